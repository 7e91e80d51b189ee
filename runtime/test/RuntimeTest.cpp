//===- RuntimeTest.cpp - Runtime context and status tests -----------------===//
#include "nnmodel/kernels.h"
#include "nnmodel/runtime.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

TEST(Status, EveryCodeHasAName) {
  for (int s = NNM_OK; s <= NNM_INTERNAL_ERROR; ++s)
    EXPECT_STRNE(nnm_status_string(static_cast<nnm_status>(s)), "unknown status") << s;
  EXPECT_STREQ(nnm_status_string(static_cast<nnm_status>(99)), "unknown status");
}

TEST(Context, LibraryAllocatesAlignedArena) {
  nnm_context *ctx = nullptr;
  ASSERT_EQ(nnm_context_create(1000, nullptr, &ctx), NNM_OK);
  ASSERT_NE(ctx, nullptr);
  void *arena = nnm_context_arena(ctx);
  ASSERT_NE(arena, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(arena) % NNM_ARENA_ALIGNMENT, 0u);
  EXPECT_EQ(nnm_context_arena_bytes(ctx), 1000u);
  EXPECT_EQ(nnm_context_num_threads(ctx), 1);
  std::memset(arena, 0xab, 1000); // the whole arena is writable
  nnm_context_destroy(ctx);
}

TEST(Context, ZeroSizedArenaIsFine) {
  nnm_context *ctx = nullptr;
  ASSERT_EQ(nnm_context_create(0, nullptr, &ctx), NNM_OK);
  EXPECT_EQ(nnm_context_arena(ctx), nullptr);
  nnm_context_destroy(ctx);
}

TEST(Context, CallerArenaIsUsedAsIs) {
  alignas(64) static unsigned char buffer[256];
  nnm_options opts;
  nnm_options_init(&opts);
  opts.arena = buffer;
  opts.arena_bytes = sizeof buffer;
  opts.num_threads = 3;
  nnm_context *ctx = nullptr;
  ASSERT_EQ(nnm_context_create(200, &opts, &ctx), NNM_OK);
  EXPECT_EQ(nnm_context_arena(ctx), buffer);
  EXPECT_EQ(nnm_context_num_threads(ctx), 3);
  nnm_context_destroy(ctx); // must not free the caller's buffer
}

TEST(Context, CallerArenaErrors) {
  alignas(64) static unsigned char buffer[256];
  nnm_options opts;
  nnm_options_init(&opts);
  opts.arena = buffer;
  opts.arena_bytes = 100;
  nnm_context *ctx = reinterpret_cast<nnm_context *>(0x1);
  EXPECT_EQ(nnm_context_create(200, &opts, &ctx), NNM_ARENA_TOO_SMALL);
  EXPECT_EQ(ctx, nullptr);
  opts.arena = buffer + 1;
  opts.arena_bytes = 255;
  EXPECT_EQ(nnm_context_create(200, &opts, &ctx), NNM_ARENA_MISALIGNED);
}

TEST(Context, InvalidArguments) {
  EXPECT_EQ(nnm_context_create(10, nullptr, nullptr), NNM_INVALID_ARGUMENT);
  nnm_options opts;
  nnm_options_init(&opts);
  opts.num_threads = -2;
  nnm_context *ctx = nullptr;
  EXPECT_EQ(nnm_context_create(10, &opts, &ctx), NNM_INVALID_ARGUMENT);
  opts.num_threads = 0;
  opts.struct_size = 4; // an older, smaller struct we do not know
  EXPECT_EQ(nnm_context_create(10, &opts, &ctx), NNM_INVALID_ARGUMENT);
  nnm_context_destroy(nullptr);
  EXPECT_EQ(nnm_context_arena(nullptr), nullptr);
  // An arena size whose rounding to the alignment would wrap around.
  EXPECT_EQ(nnm_context_create(SIZE_MAX, nullptr, &ctx), NNM_OUT_OF_MEMORY);
  EXPECT_EQ(ctx, nullptr);
}

// `nnm_options o = {0}` with an arena: struct_size 0 means this header's layout.
TEST(Context, ZeroInitialisedOptions) {
  alignas(NNM_ARENA_ALIGNMENT) static unsigned char buf[256];
  nnm_options o = {};
  o.arena = buf;
  o.arena_bytes = sizeof buf;
  nnm_context *ctx = nullptr;
  ASSERT_EQ(nnm_context_create(128, &o, &ctx), NNM_OK);
  EXPECT_EQ(nnm_context_arena(ctx), static_cast<void *>(buf));
  nnm_context_destroy(ctx);
}

namespace {
nnm_context *contextWithThreads(int32_t threads) {
  nnm_options o;
  nnm_options_init(&o);
  o.num_threads = threads;
  nnm_context *ctx = nullptr;
  return nnm_context_create(0, &o, &ctx) == NNM_OK ? ctx : nullptr;
}

struct Coverage {
  std::vector<std::atomic<int>> hits;
  explicit Coverage(size_t n) : hits(n) {}
};

void mark(void *args, int64_t lo, int64_t hi) {
  auto *c = static_cast<Coverage *>(args);
  for (int64_t i = lo; i < hi; ++i)
    c->hits[i]++;
}
} // namespace

// Every iteration runs exactly once, whatever the thread count and range.
TEST(ParallelFor, CoversTheRangeOnce) {
  for (int32_t threads : {1, 2, 3, 8}) {
    nnm_context *ctx = contextWithThreads(threads);
    ASSERT_NE(ctx, nullptr);
    for (int64_t n : {1, 2, 7, 1000}) {
      Coverage c(n);
      nnm_parallel_for(ctx, mark, &c, n);
      for (int64_t i = 0; i < n; ++i)
        ASSERT_EQ(c.hits[i].load(), 1) << "threads " << threads << " n " << n << " i " << i;
    }
    nnm_parallel_for(ctx, mark, nullptr, 0); // an empty range calls nothing
    nnm_context_destroy(ctx);
  }
}

TEST(Kernels, WorkspaceOfAConvolution) {
  int64_t desc[NNM_KW_COUNT] = {};
  desc[NNM_KW_KIND] = NNM_KERNEL_CONV2D;
  const int64_t src[4] = {1, 8, 10, 10}, w[4] = {8, 8, 3, 3};
  std::memcpy(desc + NNM_KW_SRC, src, sizeof src);
  std::memcpy(desc + NNM_KW_WEIGHTS, w, sizeof w);
  std::memcpy(desc + NNM_KW_DST, src, sizeof src);
  for (int i = 0; i < 2; ++i)
    desc[NNM_KW_STRIDES + i] = desc[NNM_KW_DILATIONS + i] = 1;
  for (int i = 0; i < 4; ++i)
    desc[NNM_KW_PADS + i] = 1;
  desc[NNM_KW_GROUPS] = 1;
  int64_t bytes = -1;
  EXPECT_EQ(nnm_kernel_workspace_bytes(desc, &bytes, nullptr, 0), 0);
  EXPECT_GE(bytes, 0);
  // Output size inconsistent with the window: no primitive, and a message.
  desc[NNM_KW_DST + 2] = 11;
  char why[200] = {};
  EXPECT_EQ(nnm_kernel_workspace_bytes(desc, &bytes, why, sizeof why), -1);
  EXPECT_NE(std::strstr(why, "oneDNN"), nullptr) << why;
  desc[NNM_KW_KIND] = 42; // unknown kind
  EXPECT_EQ(nnm_kernel_workspace_bytes(desc, &bytes, nullptr, 0), -1);
}

TEST(Kernels, MisuseIsReportedNotFollowed) {
  nnm_context *ctx = contextWithThreads(1);
  ASSERT_NE(ctx, nullptr);
  void *slot = nullptr;
  EXPECT_EQ(nnm_kernels_attach(nullptr, &slot, nullptr, 0), NNM_INVALID_ARGUMENT);
  EXPECT_EQ(nnm_kernels_attach(ctx, nullptr, nullptr, 0), NNM_INVALID_ARGUMENT);
  EXPECT_EQ(nnm_kernels_attach(ctx, &slot, nullptr, 1), NNM_INVALID_ARGUMENT);
  // A kernel index the context has no table for: recorded, returned once.
  nnm_kernel_run(ctx, 0, nullptr, nullptr, nullptr, nullptr);
  EXPECT_EQ(nnm_context_take_status(ctx), NNM_INTERNAL_ERROR);
  EXPECT_EQ(nnm_context_take_status(ctx), NNM_OK);
  nnm_context_destroy(ctx);
}
