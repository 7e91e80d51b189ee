//===- RuntimeTest.cpp - Runtime context and status tests -----------------===//
#include "nnmodel/runtime.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

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
}
