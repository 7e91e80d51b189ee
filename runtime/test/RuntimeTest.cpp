//===- RuntimeTest.cpp - Runtime context, status and kernel-table tests -----===//
// The CUDA half of the runtime is tested in CudaTest.cpp (same binary).
#include "nnmodel/kernels.h"
#include "nnmodel/runtime.h"

#include <gtest/gtest.h>

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <thread>
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

namespace {

/// Runs `desc` once through a one-entry kernel table on a context of `threads`,
/// with 64-byte aligned scratch of `workspace` bytes.
void runOneKernel(const int64_t *desc, const float *weights, const float *bias,
                  int64_t workspace, int threads, const float *x, float *y) {
  nnm_context *ctx = contextWithThreads(threads);
  ASSERT_NE(ctx, nullptr);
  void *slot = nullptr;
  nnm_kernel_entry entry = {desc, weights, bias, workspace};
  ASSERT_EQ(nnm_kernels_attach(ctx, &slot, &entry, 1), NNM_OK);
  std::vector<float> scratch(size_t(workspace / 4 + 64));
  void *ws = reinterpret_cast<void *>((reinterpret_cast<uintptr_t>(scratch.data()) + 63) &
                                      ~uintptr_t(63));
  nnm_kernel_run(ctx, 0, x, nullptr, y, ws);
  EXPECT_EQ(nnm_context_take_status(ctx), NNM_OK);
  nnm_context_destroy(ctx);
}

/// One single-input-channel convolution of the kernel table against a plain
/// loop nest: the runtime runs these with its own kernel (conv_direct.c) where
/// the machine has AVX-512 and with oneDNN elsewhere; both must agree.
struct OneChannelConv {
  int64_t n, h, w, oc, kh, kw, sh, dh, pads[4];
  int64_t post; // 0 none, else NNM_POST_RELU / NNM_POST_CLIP
  double alpha, beta;
};

int64_t bitsOf(double d) {
  int64_t b;
  std::memcpy(&b, &d, sizeof b);
  return b;
}

void checkOneChannelConv(const OneChannelConv &c, int threads) {
  const int64_t oh = (c.h + c.pads[0] + c.pads[2] - c.dh * (c.kh - 1) - 1) / c.sh + 1;
  const int64_t ow = c.w + c.pads[1] + c.pads[3] - c.kw + 1;
  int64_t desc[NNM_KW_COUNT] = {};
  desc[NNM_KW_KIND] = NNM_KERNEL_CONV2D;
  const int64_t src[4] = {c.n, 1, c.h, c.w}, wd[4] = {c.oc, 1, c.kh, c.kw},
                dst[4] = {c.n, c.oc, oh, ow};
  std::memcpy(desc + NNM_KW_SRC, src, sizeof src);
  std::memcpy(desc + NNM_KW_WEIGHTS, wd, sizeof wd);
  std::memcpy(desc + NNM_KW_DST, dst, sizeof dst);
  desc[NNM_KW_STRIDES] = c.sh;
  desc[NNM_KW_STRIDES + 1] = 1;
  desc[NNM_KW_DILATIONS] = c.dh;
  desc[NNM_KW_DILATIONS + 1] = 1;
  std::memcpy(desc + NNM_KW_PADS, c.pads, sizeof c.pads);
  desc[NNM_KW_GROUPS] = 1;
  desc[NNM_KW_FLAGS] = NNM_KF_BIAS;
  if (c.post) {
    desc[NNM_KW_NUM_POST] = 1;
    desc[NNM_KW_POST] = c.post;
    desc[NNM_KW_POST + 1] = bitsOf(c.alpha);
    desc[NNM_KW_POST + 2] = bitsOf(c.beta);
  }
  int64_t workspace = -1;
  ASSERT_EQ(nnm_kernel_workspace_bytes(desc, &workspace, nullptr, 0), 0);

  uint32_t seed = 12345u + uint32_t(c.oc * 7 + c.kh);
  auto next = [&seed] {
    seed = seed * 1664525u + 1013904223u;
    return float(int32_t(seed >> 8) % 2001 - 1000) / 1000.0f;
  };
  std::vector<float> x(size_t(c.n * c.h * c.w)), weights(size_t(c.oc * c.kh * c.kw)),
      bias(size_t(c.oc)), y(size_t(c.n * oh * ow * c.oc), -7.0f);
  for (auto *v : {&x, &weights, &bias})
    for (float &f : *v)
      f = next();

  runOneKernel(desc, weights.data(), bias.data(), workspace, threads, x.data(), y.data());

  double worst = 0;
  for (int64_t b = 0; b < c.n; ++b)
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j)
        for (int64_t o = 0; o < c.oc; ++o) {
          double acc = bias[size_t(o)];
          for (int64_t u = 0; u < c.kh; ++u)
            for (int64_t v = 0; v < c.kw; ++v) {
              int64_t yy = i * c.sh - c.pads[0] + u * c.dh, xx = j - c.pads[1] + v;
              if (yy >= 0 && yy < c.h && xx >= 0 && xx < c.w)
                acc += double(x[size_t((b * c.h + yy) * c.w + xx)]) *
                       weights[size_t((o * c.kh + u) * c.kw + v)];
            }
          if (c.post == NNM_POST_RELU)
            acc = acc < 0 ? acc * c.alpha : acc;
          else if (c.post == NNM_POST_CLIP)
            acc = std::min(std::max(acc, c.alpha), c.beta);
          float got = y[size_t(((b * oh + i) * ow + j) * c.oc + o)];
          worst = std::max(worst, std::abs(double(got) - acc));
        }
  EXPECT_LT(worst, 1e-4) << "oc " << c.oc << " kernel " << c.kh << "x" << c.kw << " threads "
                         << threads;
}

} // namespace

TEST(Kernels, SingleChannelConvolutionsMatchAPlainLoop) {
  const OneChannelConv cases[] = {
      {2, 28, 28, 6, 5, 5, 1, 1, {2, 2, 2, 2}, NNM_POST_RELU, 0.0, 0.0},    // lenet's first
      {1, 9, 37, 3, 3, 4, 2, 2, {1, 0, 2, 3}, NNM_POST_RELU, 0.1, 0.0},     // leaky, strided
      {1, 16, 16, 8, 1, 1, 1, 1, {0, 0, 0, 0}, NNM_POST_CLIP, 0.0, 0.5},    // 1x1, clip
      {3, 4, 5, 1, 3, 3, 1, 1, {1, 1, 1, 1}, 0, 0.0, 0.0},                  // narrower than a vector
      {1, 100, 100, 8, 5, 5, 1, 1, {2, 2, 2, 2}, NNM_POST_RELU, 0.0, 0.0},  // 2M MACs: threads
      {1, 20, 40, 16, 3, 3, 1, 1, {1, 1, 1, 1}, NNM_POST_RELU, 0.0, 0.0},   // 16 channels: oneDNN
  };
  for (const OneChannelConv &c : cases)
    for (int threads : {1, 2})
      checkOneChannelConv(c, threads);
}

namespace {

/// A channels-last max pool of the kernel table against a plain loop nest:
/// windows clipped to the image, padding never wins.
struct MaxPoolCase {
  int64_t n, c, h, w, kh, kw, sh, sw, dh, dw, pads[4];
};

void checkMaxPool(const MaxPoolCase &p) {
  const int64_t oh = (p.h + p.pads[0] + p.pads[2] - p.dh * (p.kh - 1) - 1) / p.sh + 1;
  const int64_t ow = (p.w + p.pads[1] + p.pads[3] - p.dw * (p.kw - 1) - 1) / p.sw + 1;
  int64_t desc[NNM_KW_COUNT] = {};
  desc[NNM_KW_KIND] = NNM_KERNEL_POOL2D;
  const int64_t src[4] = {p.n, p.c, p.h, p.w}, win[4] = {p.kh, p.kw, 0, 0},
                dst[4] = {p.n, p.c, oh, ow};
  std::memcpy(desc + NNM_KW_SRC, src, sizeof src);
  std::memcpy(desc + NNM_KW_WEIGHTS, win, sizeof win);
  std::memcpy(desc + NNM_KW_DST, dst, sizeof dst);
  desc[NNM_KW_STRIDES] = p.sh;
  desc[NNM_KW_STRIDES + 1] = p.sw;
  desc[NNM_KW_DILATIONS] = p.dh;
  desc[NNM_KW_DILATIONS + 1] = p.dw;
  std::memcpy(desc + NNM_KW_PADS, p.pads, sizeof p.pads);
  desc[NNM_KW_GROUPS] = NNM_POOL_MAX;
  int64_t workspace = -1;
  ASSERT_EQ(nnm_kernel_workspace_bytes(desc, &workspace, nullptr, 0), 0);
  std::vector<float> x(size_t(p.n * p.h * p.w * p.c)), y(size_t(p.n * oh * ow * p.c), 9.0f);
  uint32_t seed = 777u + uint32_t(p.c);
  for (float &f : x) {
    seed = seed * 1664525u + 1013904223u;
    f = float(int32_t(seed >> 8) % 2001 - 1000) / 100.0f;
  }
  runOneKernel(desc, nullptr, nullptr, workspace, 1, x.data(), y.data());
  int wrong = 0;
  for (int64_t b = 0; b < p.n; ++b)
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j)
        for (int64_t ch = 0; ch < p.c; ++ch) {
          float best = -1e30f;
          for (int64_t u = 0; u < p.kh; ++u)
            for (int64_t v = 0; v < p.kw; ++v) {
              int64_t yy = i * p.sh - p.pads[0] + u * p.dh, xx = j * p.sw - p.pads[1] + v * p.dw;
              if (yy >= 0 && yy < p.h && xx >= 0 && xx < p.w)
                best = std::max(best, x[size_t(((b * p.h + yy) * p.w + xx) * p.c + ch)]);
            }
          wrong += y[size_t(((b * oh + i) * ow + j) * p.c + ch)] != best;
        }
  EXPECT_EQ(wrong, 0) << "channels " << p.c << " window " << p.kh << "x" << p.kw;
}

} // namespace

TEST(Kernels, MaxPoolsMatchAPlainLoop) {
  const MaxPoolCase cases[] = {
      {1, 6, 28, 28, 2, 2, 2, 2, 1, 1, {0, 0, 0, 0}},  // lenet's pools
      {2, 16, 10, 10, 2, 2, 2, 2, 1, 1, {0, 0, 0, 0}},
      {1, 3, 15, 15, 3, 3, 2, 2, 1, 1, {1, 1, 1, 1}},  // padded, overlapping
      {1, 4, 9, 11, 2, 3, 1, 2, 2, 1, {0, 1, 1, 0}},   // dilated, uneven pads
      {1, 32, 12, 12, 2, 2, 2, 2, 1, 1, {0, 0, 0, 0}}, // whole channel blocks
  };
  for (const MaxPoolCase &c : cases)
    checkMaxPool(c);
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
