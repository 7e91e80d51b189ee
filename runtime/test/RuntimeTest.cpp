//===- RuntimeTest.cpp - Runtime context and status tests -----------------===//
#include "nnmodel/cuda.h"
#include "nnmodel/kernels.h"
#include "nnmodel/runtime.h"

#include "fake_cublas_records.h"
#include "fake_cudnn_records.h"

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

//===- CUDA contexts ------------------------------------------------------===//
// The runtime loads the CUDA driver once per process, on the first CUDA call,
// from NNM_CUDA_DRIVER (default libcuda.so.1). A plain run of this binary
// points that at a missing file before main, so every CUDA test sees "no
// driver" whatever the machine has; ctest also runs the Cuda* tests with the
// fake driver (runtime.cuda-fake) and with the system's (runtime.cuda-system).

namespace {
constexpr const char *kMissingDriver = "/nonexistent/nnmodel-test/libcuda.so.1";
const bool kDriverChosen = [] { return setenv("NNM_CUDA_DRIVER", kMissingDriver, 0) == 0; }();

std::string driverUnderTest() {
  const char *v = std::getenv("NNM_CUDA_DRIVER");
  return v ? v : "";
}
bool missingDriver() { return driverUnderTest() == kMissingDriver; }
bool fakeDriver() { return driverUnderTest().find("nnm-fake-cuda") != std::string::npos; }

// A model with one kernel, cubins for sm_80 and sm_86 and PTX for compute_70;
// the fake driver loads any NUL-terminated text.
const nnm_cuda_image kImages[] = {
    {80, 0, "cubin sm_80", 12}, {86, 0, "cubin sm_86", 12}, {70, 1, "ptx compute_70", 15}};
const char *const kKernels[] = {"kernel_0", "kernel_1"};
const float kWeights[4] = {1, 2, 3, 4};

nnm_cuda_model testModel() {
  nnm_cuda_model m = {};
  m.images = kImages;
  m.num_images = 3;
  m.num_kernels = 2;
  m.kernel_names = kKernels;
  m.weights = kWeights;
  m.weights_bytes = sizeof kWeights;
  m.arena_bytes = 1000;
  m.staging_bytes = 64;
  return m;
}

nnm_cuda_options onDevice(int32_t device) {
  nnm_cuda_options o;
  nnm_cuda_options_init(&o);
  o.device = device;
  return o;
}
} // namespace

TEST(CudaOptions, InitFillsTheDefaults) {
  nnm_cuda_options o;
  std::memset(&o, 0xcd, sizeof o);
  nnm_cuda_options_init(&o);
  EXPECT_EQ(o.struct_size, sizeof(nnm_cuda_options));
  EXPECT_EQ(o.device, 0);
  EXPECT_EQ(o.stream, nullptr);
  EXPECT_EQ(o.arena, nullptr);
  EXPECT_EQ(o.arena_bytes, 0u);
  EXPECT_EQ(o.allow_tf32, 0);
  nnm_cuda_options_init(nullptr); // harmless
}

// Checked before the driver is asked anything, so the same on every machine.
TEST(CudaArguments, InvalidArgumentsAreRejected) {
  ASSERT_TRUE(kDriverChosen);
  nnm_cuda_model m = testModel();
  void *slot = nullptr;
  nnm_cuda_context *ctx = reinterpret_cast<nnm_cuda_context *>(0x1);
  EXPECT_EQ(nnm_cuda_context_create(&m, &slot, nullptr, nullptr), NNM_INVALID_ARGUMENT);
  EXPECT_EQ(nnm_cuda_context_create(nullptr, &slot, nullptr, &ctx), NNM_INVALID_ARGUMENT);
  EXPECT_EQ(ctx, nullptr);
  EXPECT_EQ(nnm_cuda_context_create(&m, nullptr, nullptr, &ctx), NNM_INVALID_ARGUMENT);
  nnm_cuda_options o = onDevice(-1);
  EXPECT_EQ(nnm_cuda_context_create(&m, &slot, &o, &ctx), NNM_INVALID_ARGUMENT);
  o = onDevice(0);
  o.struct_size = 4; // a layout this runtime does not know
  EXPECT_EQ(nnm_cuda_context_create(&m, &slot, &o, &ctx), NNM_INVALID_ARGUMENT);
  o.struct_size = sizeof o + 8;
  EXPECT_EQ(nnm_cuda_context_create(&m, &slot, &o, &ctx), NNM_INVALID_ARGUMENT);
  nnm_cuda_model bad = m;
  bad.num_kernels = 1;
  bad.kernel_names = nullptr;
  EXPECT_EQ(nnm_cuda_context_create(&bad, &slot, nullptr, &ctx), NNM_INVALID_ARGUMENT);
  bad = m;
  bad.arena_bytes = -1;
  EXPECT_EQ(nnm_cuda_context_create(&bad, &slot, nullptr, &ctx), NNM_INVALID_ARGUMENT);
  EXPECT_EQ(nnm_cuda_device_count(nullptr), NNM_INVALID_ARGUMENT);
  EXPECT_EQ(ctx, nullptr);
  EXPECT_EQ(slot, nullptr);
}

// The arena needs arena_bytes, then staging_bytes from the next 256-byte boundary.
TEST(CudaArguments, CallerArenaIsChecked) {
  nnm_cuda_model m = testModel(); // 1000 + 64 bytes: 1024 + 64 with the staging aligned
  void *slot = nullptr;
  nnm_cuda_context *ctx = nullptr;
  nnm_cuda_options o = onDevice(0);
  o.arena = reinterpret_cast<void *>(0x10000 + 64);
  o.arena_bytes = 4096;
  EXPECT_EQ(nnm_cuda_context_create(&m, &slot, &o, &ctx), NNM_ARENA_MISALIGNED);
  o.arena = reinterpret_cast<void *>(0x10000);
  o.arena_bytes = 1064; // enough for the sum, not for the aligned staging area
  EXPECT_EQ(nnm_cuda_context_create(&m, &slot, &o, &ctx), NNM_ARENA_TOO_SMALL);
  EXPECT_EQ(ctx, nullptr);
}

TEST(CudaNullContext, CallsAreHarmless) {
  EXPECT_EQ(nnm_cuda_begin(nullptr), NNM_INVALID_ARGUMENT);
  EXPECT_EQ(nnm_cuda_end(nullptr), NNM_INVALID_ARGUMENT);
  float host[2] = {};
  nnm_cuda_launch(nullptr, 0, 1, 1, nullptr);
  nnm_cuda_copy_to_device(nullptr, reinterpret_cast<void *>(0x1000), host, sizeof host);
  nnm_cuda_copy_to_host(nullptr, host, reinterpret_cast<void *>(0x1000), sizeof host);
  nnm_cuda_synchronize(nullptr);
  EXPECT_EQ(nnm_cuda_blas_attach(nullptr), NNM_INVALID_ARGUMENT);
  nnm_cuda_gemm(nullptr, 1, 1, 1, 1, 0, 0, 0, host, host, host);
  nnm_cuda_context_destroy(nullptr);
  EXPECT_EQ(nnm_cuda_context_arena(nullptr), nullptr);
  EXPECT_EQ(nnm_cuda_context_staging(nullptr), nullptr);
  EXPECT_EQ(nnm_cuda_context_weights(nullptr), nullptr);
}

TEST(CudaNoDriver, NoDeviceAndNothingCreated) {
  if (!missingDriver())
    GTEST_SKIP() << "driver under test: " << driverUnderTest();
  int32_t count = 7;
  EXPECT_EQ(nnm_cuda_device_count(&count), NNM_NO_DEVICE);
  EXPECT_EQ(count, 0);
  nnm_cuda_model m = testModel();
  void *slot = nullptr;
  nnm_cuda_context *ctx = reinterpret_cast<nnm_cuda_context *>(0x1);
  EXPECT_EQ(nnm_cuda_context_create(&m, &slot, nullptr, &ctx), NNM_NO_DEVICE);
  EXPECT_EQ(ctx, nullptr);
  EXPECT_EQ(slot, nullptr);
  nnm_cuda_options o = onDevice(3);
  EXPECT_EQ(nnm_cuda_context_create(&m, &slot, &o, &ctx), NNM_NO_DEVICE);
  nnm_cuda_model empty = {}; // a dummy model: no image, no kernel, nothing to allocate
  EXPECT_EQ(nnm_cuda_context_create(&empty, &slot, nullptr, &ctx), NNM_NO_DEVICE);
  EXPECT_EQ(ctx, nullptr);
}

// libcuda.so.1 as this machine has it (runtime.cuda-system): either no device,
// consistently, or devices that a context can be created on.
TEST(CudaSystem, CountAndCreateAgree) {
  if (fakeDriver())
    GTEST_SKIP() << "the fake driver has its own tests";
  int32_t count = -1;
  nnm_status s = nnm_cuda_device_count(&count);
  ASSERT_TRUE(s == NNM_OK || s == NNM_NO_DEVICE) << nnm_status_string(s);
  nnm_cuda_model empty = {};
  void *slot = nullptr;
  nnm_cuda_context *ctx = nullptr;
  if (s == NNM_NO_DEVICE) {
    EXPECT_EQ(count, 0);
    EXPECT_EQ(nnm_cuda_context_create(&empty, &slot, nullptr, &ctx), NNM_NO_DEVICE);
    return;
  }
  EXPECT_GT(count, 0);
  // A model without an image cannot be loaded on any device.
  EXPECT_EQ(nnm_cuda_context_create(&empty, &slot, nullptr, &ctx), NNM_NO_DEVICE);
  nnm_cuda_options o = onDevice(count);
  EXPECT_EQ(nnm_cuda_context_create(&empty, &slot, &o, &ctx), NNM_NO_DEVICE);
  EXPECT_EQ(slot, nullptr);
}

//===- the same code against the fake driver (runtime/test/FakeCudaDriver.c) ===//

namespace {
struct FakeState {
  int retained[2], modules, allocations, syncs, launches, depth;
  const void *last_image;
  const char *last_kernel;
  unsigned last_grid, last_block;
  void *last_stream;
};

class CudaFake : public ::testing::Test {
protected:
  void SetUp() override {
    if (!fakeDriver())
      GTEST_SKIP() << "runs as runtime.cuda-fake (NNM_CUDA_DRIVER=the fake driver)";
    int32_t count = 0;
    ASSERT_EQ(nnm_cuda_device_count(&count), NNM_OK); // loads the driver
    ASSERT_EQ(count, 2);
    void *lib = dlopen(driverUnderTest().c_str(), RTLD_NOW | RTLD_NOLOAD);
    ASSERT_NE(lib, nullptr) << "the runtime did not load " << driverUnderTest();
    void *get = dlsym(lib, "fake_cuda_state_get");
    ASSERT_NE(get, nullptr);
    std::memcpy(&getState, &get, sizeof get);
    dlclose(lib); // drops only this test's reference
  }
  FakeState state() {
    FakeState s;
    getState(&s);
    return s;
  }
  // Everything the runtime took from the driver is given back.
  void expectAllReleased() {
    FakeState s = state();
    EXPECT_EQ(s.retained[0], 0);
    EXPECT_EQ(s.retained[1], 0);
    EXPECT_EQ(s.modules, 0);
    EXPECT_EQ(s.allocations, 0);
    EXPECT_EQ(s.depth, 0);
  }
  void (*getState)(void *) = nullptr; // FakeState *
};
} // namespace

// Device 0 is sm_86: its own cubin. Device 1 is sm_70: no sm_7x cubin, so the PTX.
TEST_F(CudaFake, PicksTheImageForEachDevice) {
  nnm_cuda_model m = testModel();
  void *slot = nullptr;
  nnm_cuda_context *a = nullptr, *b = nullptr;
  nnm_cuda_options o = onDevice(0);
  ASSERT_EQ(nnm_cuda_context_create(&m, &slot, &o, &a), NNM_OK);
  EXPECT_EQ(state().last_image, kImages[1].data);
  o.device = 1;
  ASSERT_EQ(nnm_cuda_context_create(&m, &slot, &o, &b), NNM_OK);
  EXPECT_EQ(state().last_image, kImages[2].data);
  EXPECT_EQ(state().modules, 2);
  EXPECT_EQ(state().depth, 0); // create leaves the thread's context alone
  EXPECT_NE(nnm_cuda_context_weights(a), nnm_cuda_context_weights(b));
  nnm_cuda_context_destroy(a);
  EXPECT_NE(slot, nullptr); // device 1 still holds the model
  nnm_cuda_context_destroy(b);
  EXPECT_EQ(slot, nullptr);
  expectAllReleased();
}

// A cubin for sm_80 runs on sm_86; one for sm_87 does not, nor one for sm_90.
TEST_F(CudaFake, OlderCubinOfTheSameMajor) {
  const nnm_cuda_image images[] = {{75, 0, "cubin sm_75", 12},
                                   {80, 0, "cubin sm_80", 12},
                                   {87, 0, "cubin sm_87", 12},
                                   {90, 0, "cubin sm_90", 12}};
  nnm_cuda_model m = testModel();
  m.images = images;
  m.num_images = 4;
  void *slot = nullptr;
  nnm_cuda_context *ctx = nullptr;
  ASSERT_EQ(nnm_cuda_context_create(&m, &slot, nullptr, &ctx), NNM_OK);
  EXPECT_EQ(state().last_image, images[1].data);
  nnm_cuda_context_destroy(ctx);
  m.images = images + 2; // sm_87 and sm_90 only, and no PTX
  m.num_images = 2;
  EXPECT_EQ(nnm_cuda_context_create(&m, &slot, nullptr, &ctx), NNM_NO_DEVICE);
  EXPECT_EQ(ctx, nullptr);
  m.images = images; // sm_75 only
  m.num_images = 1;
  EXPECT_EQ(nnm_cuda_context_create(&m, &slot, nullptr, &ctx), NNM_NO_DEVICE);
  EXPECT_EQ(slot, nullptr);
  expectAllReleased();
}

TEST_F(CudaFake, RefusedCubinFallsBackToPtx) {
  const nnm_cuda_image images[] = {{86, 0, "refuse: not for this GPU", 25},
                                   {80, 1, "ptx compute_80", 15}};
  nnm_cuda_model m = testModel();
  m.images = images;
  m.num_images = 2;
  void *slot = nullptr;
  nnm_cuda_context *ctx = nullptr;
  ASSERT_EQ(nnm_cuda_context_create(&m, &slot, nullptr, &ctx), NNM_OK);
  EXPECT_EQ(state().last_image, images[1].data);
  nnm_cuda_context_destroy(ctx);
  m.num_images = 1; // the refused cubin alone
  EXPECT_EQ(nnm_cuda_context_create(&m, &slot, nullptr, &ctx), NNM_INTERNAL_ERROR);
  EXPECT_EQ(slot, nullptr);
  expectAllReleased();
}

// Contexts on one device share the module and the weights, uploaded once.
TEST_F(CudaFake, ContextsShareTheDevicePart) {
  nnm_cuda_model m = testModel();
  void *slot = nullptr;
  nnm_cuda_context *a = nullptr, *b = nullptr;
  ASSERT_EQ(nnm_cuda_context_create(&m, &slot, nullptr, &a), NNM_OK);
  ASSERT_EQ(nnm_cuda_context_create(&m, &slot, nullptr, &b), NNM_OK);
  EXPECT_EQ(state().modules, 1);
  EXPECT_EQ(state().retained[0], 1);
  EXPECT_EQ(state().allocations, 3); // the weights and two arenas
  void *w = nnm_cuda_context_weights(a);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w, nnm_cuda_context_weights(b));
  EXPECT_EQ(std::memcmp(w, kWeights, sizeof kWeights), 0); // fake device memory is host memory
  EXPECT_NE(nnm_cuda_context_arena(a), nnm_cuda_context_arena(b));
  auto arena = reinterpret_cast<uintptr_t>(nnm_cuda_context_arena(a));
  EXPECT_EQ(arena % 256, 0u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(nnm_cuda_context_staging(a)), arena + 1024);
  nnm_cuda_context_destroy(a);
  EXPECT_EQ(state().modules, 1);
  nnm_cuda_context_destroy(b);
  EXPECT_EQ(slot, nullptr);
  expectAllReleased();
}

TEST_F(CudaFake, CallerArenaAndNoWeights) {
  alignas(256) static unsigned char buffer[1024 + 64];
  nnm_cuda_model m = testModel();
  m.weights = nullptr;
  m.weights_bytes = 0;
  nnm_cuda_options o = onDevice(0);
  o.arena = buffer;
  o.arena_bytes = sizeof buffer;
  void *slot = nullptr;
  nnm_cuda_context *ctx = nullptr;
  ASSERT_EQ(nnm_cuda_context_create(&m, &slot, &o, &ctx), NNM_OK);
  EXPECT_EQ(nnm_cuda_context_arena(ctx), buffer);
  EXPECT_EQ(nnm_cuda_context_staging(ctx), buffer + 1024);
  EXPECT_EQ(nnm_cuda_context_weights(ctx), nullptr);
  EXPECT_EQ(state().allocations, 0);
  nnm_cuda_context_destroy(ctx); // must not free the caller's arena
  expectAllReleased();
  // Nothing to allocate at all.
  nnm_cuda_model none = testModel();
  none.weights_bytes = none.arena_bytes = none.staging_bytes = 0;
  ASSERT_EQ(nnm_cuda_context_create(&none, &slot, nullptr, &ctx), NNM_OK);
  EXPECT_EQ(nnm_cuda_context_arena(ctx), nullptr);
  EXPECT_EQ(nnm_cuda_context_staging(ctx), nullptr);
  nnm_cuda_context_destroy(ctx);
  expectAllReleased();
}

TEST_F(CudaFake, FailuresReleaseEverything) {
  nnm_cuda_model m = testModel();
  void *slot = nullptr;
  nnm_cuda_context *ctx = nullptr;
  nnm_cuda_options o = onDevice(2);
  EXPECT_EQ(nnm_cuda_context_create(&m, &slot, &o, &ctx), NNM_NO_DEVICE);
  m.arena_bytes = int64_t{2} << 30; // the fake has 1 GiB
  EXPECT_EQ(nnm_cuda_context_create(&m, &slot, nullptr, &ctx), NNM_OUT_OF_MEMORY);
  const char *const names[] = {"kernel_0", "missing"};
  m = testModel();
  m.kernel_names = names;
  EXPECT_EQ(nnm_cuda_context_create(&m, &slot, nullptr, &ctx), NNM_INTERNAL_ERROR);
  EXPECT_EQ(ctx, nullptr);
  EXPECT_EQ(slot, nullptr);
  expectAllReleased();
}

TEST_F(CudaFake, ARunEnqueuesBetweenBeginAndEnd) {
  nnm_cuda_model m = testModel();
  void *slot = nullptr;
  nnm_cuda_options o = onDevice(0);
  o.stream = reinterpret_cast<void *>(0x5157);
  nnm_cuda_context *ctx = nullptr;
  ASSERT_EQ(nnm_cuda_context_create(&m, &slot, &o, &ctx), NNM_OK);
  FakeState before = state();

  ASSERT_EQ(nnm_cuda_begin(ctx), NNM_OK);
  EXPECT_EQ(state().depth, 1);
  const float in[4] = {5, 6, 7, 8};
  float out[4] = {};
  void *staging = nnm_cuda_context_staging(ctx);
  nnm_cuda_copy_to_device(ctx, staging, in, sizeof in);
  void *params[] = {&staging};
  nnm_cuda_launch(ctx, 1, 3, 128, params);
  nnm_cuda_launch(ctx, 0, 0, 128, params); // an empty grid launches nothing
  nnm_cuda_copy_to_host(ctx, out, staging, sizeof out);
  nnm_cuda_synchronize(ctx);
  EXPECT_EQ(nnm_cuda_end(ctx), NNM_OK);
  FakeState after = state();
  EXPECT_EQ(after.depth, 0);
  EXPECT_EQ(after.launches, before.launches + 1);
  EXPECT_STREQ(after.last_kernel, "kernel_1");
  EXPECT_EQ(after.last_grid, 3u);
  EXPECT_EQ(after.last_block, 128u);
  EXPECT_EQ(after.last_stream, o.stream);
  EXPECT_EQ(after.syncs, before.syncs + 1);
  EXPECT_EQ(std::memcmp(out, in, sizeof in), 0);

  // The first failure is kept, later work skipped, and end reports it once.
  ASSERT_EQ(nnm_cuda_begin(ctx), NNM_OK);
  nnm_cuda_launch(ctx, 0, 1, 4096, params); // more threads than the fake allows
  nnm_cuda_launch(ctx, 0, 1, 32, params);
  EXPECT_EQ(nnm_cuda_end(ctx), NNM_INTERNAL_ERROR);
  EXPECT_EQ(state().launches, after.launches);
  ASSERT_EQ(nnm_cuda_begin(ctx), NNM_OK);
  nnm_cuda_launch(ctx, 2, 1, 32, params); // no such kernel
  EXPECT_EQ(nnm_cuda_end(ctx), NNM_INTERNAL_ERROR);
  ASSERT_EQ(nnm_cuda_begin(ctx), NNM_OK);
  EXPECT_EQ(nnm_cuda_end(ctx), NNM_OK);
  EXPECT_EQ(state().depth, 0);
  nnm_cuda_context_destroy(ctx);
  expectAllReleased();
}

//===- cuBLAS against the fake one (runtime/test/FakeCublas.c) --------------===//
// cuBLAS is loaded once per process too, from NNM_CUBLAS_LIBRARY (default
// libcublas.so.13): runtime.cuda-fake gives the fake driver the fake cuBLAS,
// runtime.cuda-fake-no-cublas gives it a missing file.

namespace {
constexpr const char *kMissingBlas = "/nonexistent/nnmodel-test/libcublas.so.13";

std::string blasUnderTest() {
  const char *v = std::getenv("NNM_CUBLAS_LIBRARY");
  return v ? v : "";
}
bool fakeBlas() { return blasUnderTest().find("nnm-fake-cublas") != std::string::npos; }

using FakeGemm = fake_gemm;
using FakeBlasState = fake_cublas_state;

constexpr size_t kWorkspaceBytes = size_t{4} << 20;
constexpr int kStatusNotInitialized = 1, kStatusAllocFailed = 3, kStatusInvalidValue = 7,
              kStatusExecutionFailed = 13, kStatusNotSupported = 15;

// The layout of nnm_cuda_options before allow_tf32 was added.
struct OptionsV1 {
  uint32_t struct_size;
  int32_t device;
  void *stream;
  void *arena;
  size_t arena_bytes;
};
static_assert(sizeof(OptionsV1) == offsetof(nnm_cuda_options, allow_tf32),
              "the older layout ends where allow_tf32 starts");

/// A test of one fake library (cuBLAS, cuDNN) beside the fake driver: opens
/// the file the runtime opens (so it gets the same object), reads its record
/// (`State`) and injects failures; a model and slot to create contexts with.
template <typename State> class FakeLibraryTest : public CudaFake {
protected:
  /// Call from SetUp after CudaFake::SetUp; skips unless `path` is the fake.
  void openFake(const std::string &path, const char *fakeName, const char *skipWhy,
                const char *stateFn, const char *failFn) {
    if (path.find(fakeName) == std::string::npos)
      GTEST_SKIP() << skipWhy;
    lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(lib, nullptr) << dlerror();
    void *get = dlsym(lib, stateFn), *fail = dlsym(lib, failFn);
    ASSERT_NE(get, nullptr);
    ASSERT_NE(fail, nullptr);
    std::memcpy(&getState, &get, sizeof get);
    std::memcpy(&failNext, &fail, sizeof fail);
  }
  void TearDown() override {
    if (failNext)
      failNext("", 0);
    if (lib)
      dlclose(lib);
  }
  State libState() {
    State s;
    getState(&s);
    return s;
  }
  nnm_cuda_context *create(const nnm_cuda_options *o) {
    nnm_cuda_context *ctx = nullptr;
    EXPECT_EQ(nnm_cuda_context_create(&model, &slot, o, &ctx), NNM_OK);
    return ctx;
  }
  nnm_cuda_model model = testModel();
  void *slot = nullptr;
  void *lib = nullptr;
  void (*getState)(void *) = nullptr; // State *
  void (*failNext)(const char *, int) = nullptr;
};

class CudaBlas : public FakeLibraryTest<FakeBlasState> {
protected:
  void SetUp() override {
    CudaFake::SetUp();
    if (IsSkipped() || HasFatalFailure())
      return;
    openFake(blasUnderTest(), "nnm-fake-cublas",
             "runs as runtime.cuda-fake (NNM_CUBLAS_LIBRARY=the fake cuBLAS)",
             "fake_cublas_state_get", "fake_cublas_fail");
  }
  FakeBlasState blas() { return libState(); }
};

// Row-major C = op(A) op(B) for each batch, computed plainly.
std::vector<float> referenceGemm(int64_t batch, int64_t m, int64_t n, int64_t k, int64_t flags,
                                 int64_t stride_a, int64_t stride_b, const float *a,
                                 const float *b) {
  std::vector<float> c(batch * m * n);
  for (int64_t p = 0; p < batch; ++p)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        float sum = 0;
        for (int64_t l = 0; l < k; ++l) {
          float x = flags & NNM_GEMM_TRANS_A ? a[p * stride_a + l * m + i]
                                             : a[p * stride_a + i * k + l];
          float y = flags & NNM_GEMM_TRANS_B ? b[p * stride_b + j * k + l]
                                             : b[p * stride_b + l * n + j];
          sum += x * y;
        }
        c[(p * m + i) * n + j] = sum;
      }
  return c;
}

// Small integers, so that every product and sum is exact in f32.
std::vector<float> ramp(size_t count, int seed) {
  std::vector<float> v(count);
  for (size_t i = 0; i < count; ++i)
    v[i] = static_cast<float>(static_cast<int>((i * 7 + seed) % 11) - 5);
  return v;
}

class CudaBlasMissing : public CudaFake {
protected:
  void SetUp() override {
    CudaFake::SetUp();
    if (IsSkipped() || HasFatalFailure())
      return;
    if (blasUnderTest() != kMissingBlas)
      GTEST_SKIP() << "runs as runtime.cuda-fake-no-cublas (NNM_CUBLAS_LIBRARY=" << kMissingBlas
                   << ")";
  }
};
} // namespace

// First of the cuBLAS tests, so that in runtime.cuda-fake the two attaches
// race to load the library (TSan checks the once).
TEST_F(CudaBlas, TwoThreadsAttachAtOnce) {
  nnm_cuda_context *a = create(nullptr), *b = create(nullptr);
  ASSERT_TRUE(a && b);
  int before = blas().creates;
  nnm_status sa = NNM_INTERNAL_ERROR, sb = NNM_INTERNAL_ERROR;
  std::thread ta([&] { sa = nnm_cuda_blas_attach(a); });
  std::thread tb([&] { sb = nnm_cuda_blas_attach(b); });
  ta.join();
  tb.join();
  EXPECT_EQ(sa, NNM_OK);
  EXPECT_EQ(sb, NNM_OK);
  EXPECT_EQ(blas().creates, before + 2);
  EXPECT_EQ(blas().live, 2);
  nnm_cuda_context_destroy(a);
  nnm_cuda_context_destroy(b);
  EXPECT_EQ(blas().live, 0);
  expectAllReleased();
}

TEST_F(CudaBlas, AttachBindsOneHandleToTheContextsStream) {
  nnm_cuda_options o = onDevice(0);
  o.stream = reinterpret_cast<void *>(0x5157);
  nnm_cuda_context *ctx = create(&o);
  ASSERT_NE(ctx, nullptr);
  FakeBlasState before = blas();
  int allocations = state().allocations;
  ASSERT_EQ(nnm_cuda_blas_attach(ctx), NNM_OK);
  FakeBlasState s = blas();
  EXPECT_EQ(s.creates, before.creates + 1);
  EXPECT_EQ(s.live, 1);
  EXPECT_EQ(s.depth_at_create, 1); // the context's, pushed for the attach
  EXPECT_EQ(state().depth, 0);     // and popped again
  EXPECT_EQ(s.stream_handle, s.handle);
  EXPECT_EQ(s.stream, o.stream);
  EXPECT_EQ(s.workspace_handle, s.handle);
  ASSERT_NE(s.workspace, nullptr);
  EXPECT_EQ(s.workspace_bytes, kWorkspaceBytes);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(s.workspace) % 256, 0u);
  EXPECT_EQ(state().allocations, allocations + 1); // the workspace, from the driver
  EXPECT_EQ(s.math_handle, s.handle);
  EXPECT_EQ(s.math, 0); // CUBLAS_DEFAULT_MATH: no TF32 unless asked

  // A second attach keeps the handle.
  ASSERT_EQ(nnm_cuda_blas_attach(ctx), NNM_OK);
  EXPECT_EQ(blas().creates, s.creates);
  EXPECT_EQ(state().allocations, allocations + 1);
  nnm_cuda_context_destroy(ctx);
  EXPECT_EQ(blas().destroys, before.destroys + 1);
  EXPECT_EQ(blas().live, 0);
  expectAllReleased();
}

TEST_F(CudaBlas, AllowTf32ChoosesTensorOpMath) {
  nnm_cuda_options o = onDevice(1);
  o.allow_tf32 = 1;
  nnm_cuda_context *ctx = create(&o);
  ASSERT_NE(ctx, nullptr);
  ASSERT_EQ(nnm_cuda_blas_attach(ctx), NNM_OK);
  EXPECT_EQ(blas().math, 3); // CUBLAS_TF32_TENSOR_OP_MATH
  EXPECT_EQ(blas().stream, nullptr);
  nnm_cuda_context_destroy(ctx);
  expectAllReleased();
}

// A caller built against the header before allow_tf32: its struct_size stops
// short of the field, which is then neither read (ASan would see a read past
// the heap block) nor taken as set.
TEST_F(CudaBlas, OlderOptionsLayoutStillWorks) {
  auto old = std::make_unique<OptionsV1>();
  old->struct_size = sizeof(OptionsV1);
  old->device = 1;
  old->stream = reinterpret_cast<void *>(0x77);
  const auto *o = reinterpret_cast<const nnm_cuda_options *>(old.get());
  nnm_cuda_context *ctx = create(o);
  ASSERT_NE(ctx, nullptr);
  EXPECT_EQ(state().retained[1], 1);
  ASSERT_EQ(nnm_cuda_blas_attach(ctx), NNM_OK);
  EXPECT_EQ(blas().stream, old->stream);
  EXPECT_EQ(blas().math, 0);
  nnm_cuda_context_destroy(ctx);
  // Neither layout's size: refused.
  nnm_cuda_options bad = onDevice(0);
  bad.struct_size = sizeof(OptionsV1) + 4;
  nnm_cuda_context *none = nullptr;
  EXPECT_EQ(nnm_cuda_context_create(&model, &slot, &bad, &none), NNM_INVALID_ARGUMENT);
  EXPECT_EQ(none, nullptr);
  expectAllReleased();
}

// Row-major products through column-major cuBLAS: C^T = op(B)^T op(A)^T, so B
// goes first, m and n swap, and each leading dimension is a stored row.
TEST_F(CudaBlas, GemmWithEachTransposeIsRowMajor) {
  nnm_cuda_options o = onDevice(0);
  o.stream = reinterpret_cast<void *>(0x5157);
  nnm_cuda_context *ctx = create(&o);
  ASSERT_NE(ctx, nullptr);
  ASSERT_EQ(nnm_cuda_blas_attach(ctx), NNM_OK);
  void *handle = blas().handle;
  const int64_t batch = 2, m = 3, n = 4, k = 5;
  std::vector<float> a = ramp(batch * m * k, 1), b = ramp(batch * k * n, 4);
  for (int64_t flags = 0; flags < 4; ++flags) {
    SCOPED_TRACE(flags);
    std::vector<float> c(batch * m * n, std::numeric_limits<float>::quiet_NaN());
    int gemms = blas().gemms;
    ASSERT_EQ(nnm_cuda_begin(ctx), NNM_OK);
    nnm_cuda_gemm(ctx, batch, m, n, k, flags, m * k, k * n, a.data(), b.data(), c.data());
    ASSERT_EQ(nnm_cuda_end(ctx), NNM_OK);
    FakeBlasState s = blas();
    ASSERT_EQ(s.gemms, gemms + 1);
    const bool ta = flags & NNM_GEMM_TRANS_A, tb = flags & NNM_GEMM_TRANS_B;
    EXPECT_EQ(s.gemm.handle, handle);
    EXPECT_EQ(s.gemm.stream, o.stream);
    EXPECT_EQ(s.gemm.workspace, s.workspace);
    EXPECT_EQ(s.gemm.transa, tb ? 1 : 0);
    EXPECT_EQ(s.gemm.transb, ta ? 1 : 0);
    EXPECT_EQ(s.gemm.m, n);
    EXPECT_EQ(s.gemm.n, m);
    EXPECT_EQ(s.gemm.k, k);
    EXPECT_EQ(s.gemm.alpha, 1.0f);
    EXPECT_EQ(s.gemm.beta, 0.0f);
    EXPECT_EQ(s.gemm.a, b.data());
    EXPECT_EQ(s.gemm.lda, tb ? k : n);
    EXPECT_EQ(s.gemm.stride_a, k * n);
    EXPECT_EQ(s.gemm.b, a.data());
    EXPECT_EQ(s.gemm.ldb, ta ? m : k);
    EXPECT_EQ(s.gemm.stride_b, m * k);
    EXPECT_EQ(s.gemm.c, c.data());
    EXPECT_EQ(s.gemm.ldc, n);
    EXPECT_EQ(s.gemm.stride_c, m * n);
    EXPECT_EQ(s.gemm.batch, batch);
    std::vector<float> want =
        referenceGemm(batch, m, n, k, flags, m * k, k * n, a.data(), b.data());
    for (size_t i = 0; i < c.size(); ++i)
      ASSERT_EQ(c[i], want[i]) << "at " << i;
  }
  nnm_cuda_context_destroy(ctx);
  expectAllReleased();
}

// Stride 0: one matrix for every batch (a weight shared by a batched MatMul).
TEST_F(CudaBlas, GemmBroadcastsAZeroStride) {
  nnm_cuda_context *ctx = create(nullptr);
  ASSERT_NE(ctx, nullptr);
  ASSERT_EQ(nnm_cuda_blas_attach(ctx), NNM_OK);
  const int64_t batch = 3, m = 2, n = 5, k = 3;
  std::vector<float> a = ramp(batch * m * k, 2), b = ramp(batch * k * n, 9);
  struct Case {
    int64_t flags, stride_a, stride_b;
  } cases[] = {{0, m * k, 0}, {NNM_GEMM_TRANS_B, m * k, 0}, {NNM_GEMM_TRANS_A, 0, k * n}};
  for (const Case &t : cases) {
    SCOPED_TRACE(testing::Message() << t.flags << " " << t.stride_a << " " << t.stride_b);
    std::vector<float> c(batch * m * n, std::numeric_limits<float>::quiet_NaN());
    ASSERT_EQ(nnm_cuda_begin(ctx), NNM_OK);
    nnm_cuda_gemm(ctx, batch, m, n, k, t.flags, t.stride_a, t.stride_b, a.data(), b.data(),
                  c.data());
    ASSERT_EQ(nnm_cuda_end(ctx), NNM_OK);
    EXPECT_EQ(blas().gemm.stride_a, t.stride_b); // B is cuBLAS's A
    EXPECT_EQ(blas().gemm.stride_b, t.stride_a);
    EXPECT_EQ(blas().gemm.stride_c, m * n);
    EXPECT_EQ(blas().gemm.batch, batch);
    std::vector<float> want =
        referenceGemm(batch, m, n, k, t.flags, t.stride_a, t.stride_b, a.data(), b.data());
    for (size_t i = 0; i < c.size(); ++i)
      ASSERT_EQ(c[i], want[i]) << "at " << i;
  }
  nnm_cuda_context_destroy(ctx);
  expectAllReleased();
}

// Failures are kept in the context, later work skipped, and end returns them.
TEST_F(CudaBlas, GemmFailuresAreReturnedByEnd) {
  nnm_cuda_context *ctx = create(nullptr);
  ASSERT_NE(ctx, nullptr);
  float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, 0, 0, 1, 1, 1}, c[4] = {};
  int gemms = blas().gemms;
  auto run = [&](int64_t batch, int64_t m, int64_t n, int64_t k, int64_t flags, int64_t sa,
                 int64_t sb, const void *pa, const void *pb, void *pc) {
    EXPECT_EQ(nnm_cuda_begin(ctx), NNM_OK);
    nnm_cuda_gemm(ctx, batch, m, n, k, flags, sa, sb, pa, pb, pc);
    return nnm_cuda_end(ctx);
  };
  // No handle yet.
  EXPECT_EQ(run(1, 2, 2, 3, 0, 0, 0, a, b, c), NNM_INTERNAL_ERROR);
  ASSERT_EQ(nnm_cuda_blas_attach(ctx), NNM_OK);
  EXPECT_EQ(run(1, 2, 2, 3, 0, 0, 0, a, b, c), NNM_OK);
  EXPECT_EQ(blas().gemms, gemms + 1);
  EXPECT_EQ(c[0], 4.0f); // [1 2 3] . [1 0 1]
  const int64_t big = int64_t{1} << 31;
  EXPECT_EQ(run(-1, 2, 2, 3, 0, 0, 0, a, b, c), NNM_INTERNAL_ERROR);
  EXPECT_EQ(run(1, -2, 2, 3, 0, 0, 0, a, b, c), NNM_INTERNAL_ERROR);
  EXPECT_EQ(run(1, 2, big, 3, 0, 0, 0, a, b, c), NNM_INTERNAL_ERROR);
  EXPECT_EQ(run(big, 2, 2, 3, 0, 0, 0, a, b, c), NNM_INTERNAL_ERROR);
  EXPECT_EQ(run(1, 2, 2, 0, 0, 0, 0, a, b, c), NNM_INTERNAL_ERROR); // k = 0, C not empty
  EXPECT_EQ(run(1, 2, 2, 3, 4, 0, 0, a, b, c), NNM_INTERNAL_ERROR); // unknown flag
  EXPECT_EQ(run(1, 2, 2, 3, 0, -6, 0, a, b, c), NNM_INTERNAL_ERROR);
  EXPECT_EQ(run(1, 2, 2, 3, 0, 0, -6, a, b, c), NNM_INTERNAL_ERROR);
  EXPECT_EQ(run(1, 2, 2, 3, 0, 0, 0, nullptr, b, c), NNM_INVALID_ARGUMENT);
  EXPECT_EQ(run(1, 2, 2, 3, 0, 0, 0, a, nullptr, c), NNM_INVALID_ARGUMENT);
  EXPECT_EQ(run(1, 2, 2, 3, 0, 0, 0, a, b, nullptr), NNM_INVALID_ARGUMENT);
  EXPECT_EQ(blas().gemms, gemms + 1); // none of them reached cuBLAS
  // An empty C is nothing to compute, whatever the pointers.
  EXPECT_EQ(run(0, 2, 2, 3, 0, 0, 0, nullptr, nullptr, nullptr), NNM_OK);
  EXPECT_EQ(run(1, 0, 2, 3, 0, 0, 0, nullptr, nullptr, nullptr), NNM_OK);
  EXPECT_EQ(run(1, 2, 0, 0, 0, 0, 0, nullptr, nullptr, nullptr), NNM_OK);
  EXPECT_EQ(blas().gemms, gemms + 1);
  // cuBLAS's own failure; and the first failure of a run skips the rest.
  failNext("cublasSgemmStridedBatched", kStatusExecutionFailed);
  ASSERT_EQ(nnm_cuda_begin(ctx), NNM_OK);
  nnm_cuda_gemm(ctx, 1, 2, 2, 3, 0, 0, 0, a, b, c);
  nnm_cuda_gemm(ctx, 1, 2, 2, 3, 0, 0, 0, a, b, c);
  EXPECT_EQ(nnm_cuda_end(ctx), NNM_INTERNAL_ERROR);
  EXPECT_EQ(blas().gemms, gemms + 1);
  ASSERT_EQ(nnm_cuda_begin(ctx), NNM_OK);
  nnm_cuda_launch(ctx, 0, 1, 4096, nullptr); // a launch the fake driver refuses
  nnm_cuda_gemm(ctx, 1, 2, 2, 3, 0, 0, 0, a, b, c);
  EXPECT_EQ(nnm_cuda_end(ctx), NNM_INTERNAL_ERROR);
  EXPECT_EQ(blas().gemms, gemms + 1);
  EXPECT_EQ(run(1, 2, 2, 3, 0, 0, 0, a, b, c), NNM_OK); // the next run starts clean
  EXPECT_EQ(blas().gemms, gemms + 2);
  nnm_cuda_context_destroy(ctx);
  expectAllReleased();
}

// Each step of an attach failing: a fitting status, and no handle, workspace
// or current context left behind; the context still attaches afterwards.
TEST_F(CudaBlas, FailedAttachLeavesNothing) {
  nnm_cuda_context *ctx = create(nullptr);
  ASSERT_NE(ctx, nullptr);
  const int allocations = state().allocations;
  struct Case {
    const char *call;
    int status;
    nnm_status want;
  } cases[] = {{"cublasCreate_v2", kStatusAllocFailed, NNM_OUT_OF_MEMORY},
               {"cublasCreate_v2", kStatusNotInitialized, NNM_NO_DEVICE},
               {"cublasSetStream_v2", kStatusInvalidValue, NNM_INTERNAL_ERROR},
               {"cublasSetWorkspace_v2", kStatusInvalidValue, NNM_INTERNAL_ERROR},
               {"cublasSetMathMode", kStatusNotSupported, NNM_INTERNAL_ERROR}};
  for (const Case &t : cases) {
    SCOPED_TRACE(t.call);
    failNext(t.call, t.status);
    EXPECT_EQ(nnm_cuda_blas_attach(ctx), t.want);
    EXPECT_EQ(blas().live, 0);
    EXPECT_EQ(state().allocations, allocations);
    EXPECT_EQ(state().depth, 0);
    float x[1] = {};
    ASSERT_EQ(nnm_cuda_begin(ctx), NNM_OK);
    nnm_cuda_gemm(ctx, 1, 1, 1, 1, 0, 0, 0, x, x, x);
    EXPECT_EQ(nnm_cuda_end(ctx), NNM_INTERNAL_ERROR); // still no handle
  }
  ASSERT_EQ(nnm_cuda_blas_attach(ctx), NNM_OK);
  EXPECT_EQ(blas().live, 1);
  nnm_cuda_context_destroy(ctx);
  EXPECT_EQ(blas().live, 0);
  expectAllReleased();
}

// Each context's handle and workspace go with that context.
TEST_F(CudaBlas, DestroyReleasesTheHandleAndTheWorkspace) {
  nnm_cuda_context *a = create(nullptr), *b = create(nullptr);
  ASSERT_TRUE(a && b);
  ASSERT_EQ(nnm_cuda_blas_attach(a), NNM_OK);
  void *workspace_a = blas().workspace;
  ASSERT_EQ(nnm_cuda_blas_attach(b), NNM_OK);
  EXPECT_NE(blas().workspace, workspace_a);
  int allocations = state().allocations, destroys = blas().destroys;
  EXPECT_EQ(blas().live, 2);
  nnm_cuda_context_destroy(a);
  EXPECT_EQ(blas().live, 1);
  EXPECT_EQ(blas().destroys, destroys + 1);
  EXPECT_EQ(state().allocations, allocations - 2); // a's arena and workspace
  EXPECT_EQ(state().depth, 0);
  nnm_cuda_context_destroy(b);
  EXPECT_EQ(blas().live, 0);
  expectAllReleased();
}

TEST_F(CudaBlasMissing, AttachGivesNoDeviceAndLeaksNothing) {
  nnm_cuda_model m = testModel();
  void *slot = nullptr;
  nnm_cuda_context *ctx = nullptr;
  ASSERT_EQ(nnm_cuda_context_create(&m, &slot, nullptr, &ctx), NNM_OK);
  int allocations = state().allocations;
  EXPECT_EQ(nnm_cuda_blas_attach(ctx), NNM_NO_DEVICE);
  EXPECT_EQ(nnm_cuda_blas_attach(ctx), NNM_NO_DEVICE); // and again: loaded once, missing
  EXPECT_EQ(state().allocations, allocations);
  EXPECT_EQ(state().depth, 0);
  float x[1] = {};
  ASSERT_EQ(nnm_cuda_begin(ctx), NNM_OK);
  nnm_cuda_gemm(ctx, 1, 1, 1, 1, 0, 0, 0, x, x, x);
  EXPECT_EQ(nnm_cuda_end(ctx), NNM_INTERNAL_ERROR);
  nnm_cuda_context_destroy(ctx);
  expectAllReleased();
}

//===- cuDNN against the fake one (runtime/test/FakeCudnn.c) ----------------===//
// cuDNN is loaded once per process, from NNM_CUDNN_LIBRARY (default
// libcudnn.so.9): runtime.cuda-fake gives the fake driver the fake cuDNN,
// runtime.cuda-fake-no-cudnn gives it a missing file.

namespace {
constexpr const char *kMissingDnn = "/nonexistent/nnmodel-test/libcudnn.so.9";

std::string dnnUnderTest() {
  const char *v = std::getenv("NNM_CUDNN_LIBRARY");
  return v ? v : "";
}
bool fakeDnn() { return dnnUnderTest().find("nnm-fake-cudnn") != std::string::npos; }

using FakeDnnState = fake_cudnn_state;

// cudnnMathType_t and cudnnStatus_t values (cuDNN 9's cudnn_graph.h).
constexpr int kDefaultMath = 0, kTensorOpMath = 1, kFmaMath = 3;
constexpr int kDnnNotInitialized = 1001, kDnnBadParam = 2000, kDnnNotSupported = 3000,
              kDnnArchMismatch = 3007, kDnnHostAllocFailed = 4003,
              kDnnExecutionFailed = 5000;

// One descriptor's words; the output extents follow from the rest.
struct Conv {
  int64_t n, c, h, w, k, kh, kw, sh = 1, sw = 1, dh = 1, dw = 1, groups = 1;
  int64_t oh() const { return (h - (dh * (kh - 1) + 1)) / sh + 1; }
  int64_t ow() const { return (w - (dw * (kw - 1) + 1)) / sw + 1; }
  std::vector<int64_t> words() const {
    std::vector<int64_t> d(NNM_CONV_WORDS);
    d[NNM_CONV_N] = n, d[NNM_CONV_C] = c, d[NNM_CONV_H] = h, d[NNM_CONV_W] = w;
    d[NNM_CONV_K] = k, d[NNM_CONV_KH] = kh, d[NNM_CONV_KW] = kw;
    d[NNM_CONV_OH] = oh(), d[NNM_CONV_OW] = ow();
    d[NNM_CONV_STRIDE_H] = sh, d[NNM_CONV_STRIDE_W] = sw;
    d[NNM_CONV_DILATION_H] = dh, d[NNM_CONV_DILATION_W] = dw, d[NNM_CONV_GROUPS] = groups;
    return d;
  }
  size_t xSize() const { return n * c * h * w; }
  size_t wSize() const { return k * (c / groups) * kh * kw; }
  size_t ySize() const { return n * k * oh() * ow(); }
};

std::vector<int64_t> concat(std::initializer_list<Conv> convs) {
  std::vector<int64_t> d;
  for (const Conv &c : convs) {
    std::vector<int64_t> w = c.words();
    d.insert(d.end(), w.begin(), w.end());
  }
  return d;
}

// y = conv(x, w), computed plainly: ONNX Conv without padding.
std::vector<float> referenceConv(const Conv &p, const float *x, const float *w) {
  std::vector<float> y(p.ySize());
  const int64_t cg = p.c / p.groups, kg = p.k / p.groups;
  for (int64_t n = 0; n < p.n; ++n)
    for (int64_t k = 0; k < p.k; ++k)
      for (int64_t i = 0; i < p.oh(); ++i)
        for (int64_t j = 0; j < p.ow(); ++j) {
          float sum = 0;
          for (int64_t c = 0; c < cg; ++c)
            for (int64_t a = 0; a < p.kh; ++a)
              for (int64_t b = 0; b < p.kw; ++b) {
                int64_t ci = k / kg * cg + c, hi = i * p.sh + a * p.dh, wi = j * p.sw + b * p.dw;
                sum += x[((n * p.c + ci) * p.h + hi) * p.w + wi] *
                       w[((k * cg + c) * p.kh + a) * p.kw + b];
              }
          y[((n * p.k + k) * p.oh() + i) * p.ow() + j] = sum;
        }
  return y;
}

class CudaDnn : public FakeLibraryTest<FakeDnnState> {
protected:
  void SetUp() override {
    CudaFake::SetUp();
    if (IsSkipped() || HasFatalFailure())
      return;
    openFake(dnnUnderTest(), "nnm-fake-cudnn",
             "runs as runtime.cuda-fake (NNM_CUDNN_LIBRARY=the fake cuDNN)",
             "fake_cudnn_state_get", "fake_cudnn_fail");
  }
  FakeDnnState dnn() { return libState(); }
  // Runs convolution `index` on fresh data and checks it against the plain loop.
  void expectConv(nnm_cuda_context *ctx, int32_t index, const Conv &p, int seed) {
    std::vector<float> x = ramp(p.xSize(), seed), w = ramp(p.wSize(), seed + 3);
    std::vector<float> y(p.ySize(), std::numeric_limits<float>::quiet_NaN());
    int forwards = dnn().forwards;
    ASSERT_EQ(nnm_cuda_begin(ctx), NNM_OK);
    nnm_cuda_conv2d(ctx, index, x.data(), w.data(), y.data());
    ASSERT_EQ(nnm_cuda_end(ctx), NNM_OK);
    FakeDnnState s = dnn();
    ASSERT_EQ(s.forwards, forwards + 1);
    EXPECT_EQ(s.conv.x, x.data());
    EXPECT_EQ(s.conv.w, w.data());
    EXPECT_EQ(s.conv.y, y.data());
    EXPECT_EQ(s.conv.alpha, 1.0f);
    EXPECT_EQ(s.conv.beta, 0.0f);
    EXPECT_EQ(s.conv.mode, 1); // CUDNN_CROSS_CORRELATION
    EXPECT_EQ(s.conv.pad_h, 0);
    EXPECT_EQ(s.conv.pad_w, 0);
    EXPECT_EQ(s.conv.n, p.n);
    EXPECT_EQ(s.conv.c, p.c);
    EXPECT_EQ(s.conv.k, p.k);
    EXPECT_EQ(s.conv.filter_c, p.c / p.groups);
    EXPECT_EQ(s.conv.stride_h, p.sh);
    EXPECT_EQ(s.conv.stride_w, p.sw);
    EXPECT_EQ(s.conv.dilation_h, p.dh);
    EXPECT_EQ(s.conv.dilation_w, p.dw);
    EXPECT_EQ(s.conv.groups, p.groups);
    EXPECT_EQ(s.conv.oh, p.oh());
    EXPECT_EQ(s.conv.ow, p.ow());
    std::vector<float> want = referenceConv(p, x.data(), w.data());
    for (size_t i = 0; i < y.size(); ++i)
      ASSERT_EQ(y[i], want[i]) << "at " << i;
  }
};

class CudaDnnMissing : public CudaFake {
protected:
  void SetUp() override {
    CudaFake::SetUp();
    if (IsSkipped() || HasFatalFailure())
      return;
    if (dnnUnderTest() != kMissingDnn)
      GTEST_SKIP() << "runs as runtime.cuda-fake-no-cudnn (NNM_CUDNN_LIBRARY=" << kMissingDnn
                   << ")";
  }
};

const Conv kDense{2, 3, 6, 5, 4, 3, 2};
Conv stridedDilated() {
  Conv p{1, 2, 11, 9, 3, 3, 2};
  p.sh = 2, p.sw = 3, p.dh = 2, p.dw = 3;
  return p;
}
Conv depthwise() {
  Conv p{2, 4, 5, 6, 8, 3, 3}; // two filters per channel
  p.groups = 4;
  return p;
}
} // namespace

// First of the cuDNN tests, so that in runtime.cuda-fake the two attaches
// race to load the library (TSan checks the once).
TEST_F(CudaDnn, TwoThreadsAttachAtOnce) {
  nnm_cuda_context *a = create(nullptr), *b = create(nullptr);
  ASSERT_TRUE(a && b);
  std::vector<int64_t> d = kDense.words();
  nnm_status sa = NNM_INTERNAL_ERROR, sb = NNM_INTERNAL_ERROR;
  std::thread ta([&] { sa = nnm_cuda_dnn_attach(a, d.data(), 1); });
  std::thread tb([&] { sb = nnm_cuda_dnn_attach(b, d.data(), 1); });
  ta.join();
  tb.join();
  EXPECT_EQ(sa, NNM_OK);
  EXPECT_EQ(sb, NNM_OK);
  EXPECT_EQ(dnn().live, 2);
  nnm_cuda_context_destroy(a);
  nnm_cuda_context_destroy(b);
  EXPECT_EQ(dnn().live, 0);
  EXPECT_EQ(dnn().live_descriptors, 0);
  expectAllReleased();
}

TEST_F(CudaDnn, AttachBuildsOneHandleOnTheContextsStreamAndAWorkspace) {
  nnm_cuda_options o = onDevice(0);
  o.stream = reinterpret_cast<void *>(0x5157);
  nnm_cuda_context *ctx = create(&o);
  ASSERT_NE(ctx, nullptr);
  FakeDnnState before = dnn();
  int allocations = state().allocations;
  std::vector<int64_t> d = concat({kDense, stridedDilated(), depthwise()});
  ASSERT_EQ(nnm_cuda_dnn_attach(ctx, d.data(), 3), NNM_OK);
  FakeDnnState s = dnn();
  EXPECT_EQ(s.creates, before.creates + 1);
  EXPECT_EQ(s.live, 1);
  EXPECT_EQ(s.live_descriptors, 3 * 4); // x, y, filter and convolution each
  EXPECT_EQ(s.depth_at_create, 1);      // the context's, pushed for the attach
  EXPECT_EQ(state().depth, 0);          // and popped again
  EXPECT_EQ(s.stream_handle, s.handle);
  EXPECT_EQ(s.stream, o.stream);
  EXPECT_EQ(s.algo_queries, before.algo_queries + 3);
  EXPECT_EQ(s.math, kFmaMath); // no TF32 unless asked
  EXPECT_EQ(state().allocations, allocations + 1); // one workspace, from the driver

  // Each convolution gets the FMA algorithm (the fake's 0: the unsupported
  // and the tensor-op results come first) and the one shared workspace, as
  // large as the largest need.
  Conv convs[] = {kDense, stridedDilated(), depthwise()};
  size_t largest = 0;
  for (const Conv &p : convs)
    largest = std::max<size_t>(largest, sizeof(float) * (p.c / p.groups) * p.kh * p.kw *
                                            p.oh() * p.ow());
  void *workspace = nullptr;
  for (int32_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    expectConv(ctx, i, convs[i], i + 1);
    FakeDnnState r = dnn();
    EXPECT_EQ(r.conv.handle, s.handle);
    EXPECT_EQ(r.conv.stream, o.stream);
    EXPECT_EQ(r.conv.algo, 0);
    EXPECT_EQ(r.conv.math, kFmaMath);
    EXPECT_EQ(r.conv.workspace_bytes, largest);
    ASSERT_NE(r.conv.workspace, nullptr);
    if (i)
      EXPECT_EQ(r.conv.workspace, workspace);
    workspace = r.conv.workspace;
  }
  EXPECT_EQ(dnn().max_workspace_bytes >= largest, true);
  EXPECT_EQ(state().allocations, allocations + 1); // nothing per run

  // A second attach keeps what the first made.
  std::vector<int64_t> other = kDense.words();
  ASSERT_EQ(nnm_cuda_dnn_attach(ctx, other.data(), 1), NNM_OK);
  EXPECT_EQ(dnn().creates, s.creates);
  EXPECT_EQ(dnn().live_descriptors, 3 * 4);
  EXPECT_EQ(state().allocations, allocations + 1);
  expectConv(ctx, 2, depthwise(), 7);
  nnm_cuda_context_destroy(ctx);
  EXPECT_EQ(dnn().destroys, before.destroys + 1);
  EXPECT_EQ(dnn().live, 0);
  EXPECT_EQ(dnn().live_descriptors, 0);
  expectAllReleased();
}

TEST_F(CudaDnn, DenseStridedDilatedAndDepthwiseGiveTheRightNumbers) {
  nnm_cuda_context *ctx = create(nullptr);
  ASSERT_NE(ctx, nullptr);
  Conv wide{1, 8, 3, 3, 16, 3, 3};                // one output pixel
  Conv pointwise{3, 5, 4, 4, 7, 1, 1};            // 1x1
  Conv grouped{1, 6, 7, 7, 4, 2, 3};              // two groups of three channels
  grouped.groups = 2;
  grouped.sh = 2;
  Conv convs[] = {kDense, stridedDilated(), depthwise(), wide, pointwise, grouped};
  std::vector<int64_t> d = concat({kDense, stridedDilated(), depthwise(), wide, pointwise,
                                   grouped});
  ASSERT_EQ(nnm_cuda_dnn_attach(ctx, d.data(), 6), NNM_OK);
  for (int32_t i = 0; i < 6; ++i) {
    SCOPED_TRACE(i);
    expectConv(ctx, i, convs[i], 2 * i + 1);
  }
  nnm_cuda_context_destroy(ctx);
  expectAllReleased();
}

TEST_F(CudaDnn, AllowTf32ChoosesTensorOpMath) {
  nnm_cuda_options o = onDevice(1);
  o.allow_tf32 = 1;
  nnm_cuda_context *ctx = create(&o);
  ASSERT_NE(ctx, nullptr);
  std::vector<int64_t> d = kDense.words();
  ASSERT_EQ(nnm_cuda_dnn_attach(ctx, d.data(), 1), NNM_OK);
  EXPECT_EQ(dnn().math, kTensorOpMath);
  EXPECT_EQ(dnn().stream, nullptr);
  expectConv(ctx, 0, kDense, 5);
  EXPECT_EQ(dnn().conv.math, kTensorOpMath);
  EXPECT_EQ(dnn().conv.algo, 1); // the fake's tensor-op algorithm, ahead of the FMA one
  const Conv &p = kDense;
  EXPECT_EQ(dnn().conv.workspace_bytes,
            sizeof(float) * p.c * p.kh * p.kw * p.oh() * p.ow() + 256);
  nnm_cuda_context_destroy(ctx);
  EXPECT_NE(dnn().math, kDefaultMath);
  expectAllReleased();
}

// Wrong descriptors are refused before anything is made.
TEST_F(CudaDnn, DescriptorsAreValidated) {
  nnm_cuda_context *ctx = create(nullptr);
  ASSERT_NE(ctx, nullptr);
  const int creates = dnn().creates, allocations = state().allocations;
  const std::vector<int64_t> good = kDense.words();
  auto with = [&](int word, int64_t value) {
    std::vector<int64_t> d = good;
    d[word] = value;
    return d;
  };
  const int64_t big = int64_t{1} << 31;
  std::vector<std::vector<int64_t>> bad;
  for (int word = 0; word < NNM_CONV_WORDS; ++word) {
    bad.push_back(with(word, 0));
    bad.push_back(with(word, -1));
    bad.push_back(with(word, big));
  }
  bad.push_back(with(NNM_CONV_OH, good[NNM_CONV_OH] + 1));  // padding is not cuDNN's
  bad.push_back(with(NNM_CONV_OW, good[NNM_CONV_OW] - 1));
  bad.push_back(with(NNM_CONV_KH, good[NNM_CONV_H] + 1));   // kernel larger than x
  bad.push_back(with(NNM_CONV_GROUPS, 2));                   // C = 3 not divisible
  {
    Conv p{1, 4, 5, 5, 6, 3, 3};
    p.groups = 4; // K = 6 not divisible
    bad.push_back(p.words());
    Conv huge{1 << 12, 1 << 10, 1 << 5, 1 << 5, 4, 1, 1}; // x has 2^32 elements
    bad.push_back(huge.words());
  }
  for (size_t i = 0; i < bad.size(); ++i) {
    SCOPED_TRACE(i);
    std::vector<int64_t> d = concat({kDense});
    d.insert(d.end(), bad[i].begin(), bad[i].end()); // the second of two is wrong
    EXPECT_EQ(nnm_cuda_dnn_attach(ctx, d.data(), 2), NNM_INVALID_ARGUMENT);
  }
  EXPECT_EQ(nnm_cuda_dnn_attach(nullptr, good.data(), 1), NNM_INVALID_ARGUMENT);
  EXPECT_EQ(nnm_cuda_dnn_attach(ctx, nullptr, 1), NNM_INVALID_ARGUMENT);
  EXPECT_EQ(nnm_cuda_dnn_attach(ctx, good.data(), -1), NNM_INVALID_ARGUMENT);
  EXPECT_EQ(dnn().creates, creates);
  EXPECT_EQ(dnn().live_descriptors, 0);
  EXPECT_EQ(state().allocations, allocations);
  EXPECT_EQ(state().depth, 0);
  // Strides and dilations larger than the input still work when they agree.
  Conv sparse{1, 1, 4, 4, 1, 2, 2};
  sparse.sh = sparse.sw = 5, sparse.dh = sparse.dw = 3;
  std::vector<int64_t> d = sparse.words();
  ASSERT_EQ(d[NNM_CONV_OH], 1);
  ASSERT_EQ(nnm_cuda_dnn_attach(ctx, d.data(), 1), NNM_OK);
  expectConv(ctx, 0, sparse, 3);
  nnm_cuda_context_destroy(ctx);
  expectAllReleased();
}

// Failures are kept in the context, later work skipped, and end returns them.
TEST_F(CudaDnn, ConvFailuresAreReturnedByEnd) {
  nnm_cuda_context *ctx = create(nullptr);
  ASSERT_NE(ctx, nullptr);
  std::vector<float> x(kDense.xSize()), w(kDense.wSize()), y(kDense.ySize());
  const int forwards = dnn().forwards;
  auto run = [&](int32_t index, const void *px, const void *pw, void *py) {
    EXPECT_EQ(nnm_cuda_begin(ctx), NNM_OK);
    nnm_cuda_conv2d(ctx, index, px, pw, py);
    return nnm_cuda_end(ctx);
  };
  EXPECT_EQ(run(0, x.data(), w.data(), y.data()), NNM_INTERNAL_ERROR); // before attach
  std::vector<int64_t> d = concat({kDense, kDense});
  ASSERT_EQ(nnm_cuda_dnn_attach(ctx, d.data(), 2), NNM_OK);
  EXPECT_EQ(run(1, x.data(), w.data(), y.data()), NNM_OK);
  EXPECT_EQ(dnn().forwards, forwards + 1);
  EXPECT_EQ(run(2, x.data(), w.data(), y.data()), NNM_INTERNAL_ERROR);
  EXPECT_EQ(run(-1, x.data(), w.data(), y.data()), NNM_INTERNAL_ERROR);
  EXPECT_EQ(run(0, nullptr, w.data(), y.data()), NNM_INVALID_ARGUMENT);
  EXPECT_EQ(run(0, x.data(), nullptr, y.data()), NNM_INVALID_ARGUMENT);
  EXPECT_EQ(run(0, x.data(), w.data(), nullptr), NNM_INVALID_ARGUMENT);
  EXPECT_EQ(dnn().forwards, forwards + 1); // none of them reached cuDNN
  // cuDNN's own failure; and the first failure of a run skips the rest.
  failNext("cudnnConvolutionForward", kDnnExecutionFailed);
  ASSERT_EQ(nnm_cuda_begin(ctx), NNM_OK);
  nnm_cuda_conv2d(ctx, 0, x.data(), w.data(), y.data());
  nnm_cuda_conv2d(ctx, 0, x.data(), w.data(), y.data());
  EXPECT_EQ(nnm_cuda_end(ctx), NNM_INTERNAL_ERROR);
  EXPECT_EQ(dnn().forwards, forwards + 1);
  ASSERT_EQ(nnm_cuda_begin(ctx), NNM_OK);
  nnm_cuda_launch(ctx, 0, 1, 4096, nullptr); // a launch the fake driver refuses
  nnm_cuda_conv2d(ctx, 0, x.data(), w.data(), y.data());
  EXPECT_EQ(nnm_cuda_end(ctx), NNM_INTERNAL_ERROR);
  EXPECT_EQ(dnn().forwards, forwards + 1);
  nnm_cuda_conv2d(nullptr, 0, x.data(), w.data(), y.data()); // harmless
  EXPECT_EQ(run(0, x.data(), w.data(), y.data()), NNM_OK);   // the next run starts clean
  EXPECT_EQ(dnn().forwards, forwards + 2);
  nnm_cuda_context_destroy(ctx);
  expectAllReleased();
}

// Each step of an attach failing: a fitting status, and no handle,
// descriptor, workspace or current context left behind; the context still
// attaches afterwards.
TEST_F(CudaDnn, FailedAttachLeavesNothing) {
  nnm_cuda_context *ctx = create(nullptr);
  ASSERT_NE(ctx, nullptr);
  const int allocations = state().allocations;
  std::vector<int64_t> d = concat({kDense, depthwise()});
  struct Case {
    const char *call;
    int status;
    nnm_status want;
  } cases[] = {{"cudnnCreate", kDnnHostAllocFailed, NNM_OUT_OF_MEMORY},
               {"cudnnCreate", kDnnNotInitialized, NNM_NO_DEVICE},
               {"cudnnCreate", kDnnArchMismatch, NNM_NO_DEVICE},
               {"cudnnSetStream", kDnnBadParam, NNM_INTERNAL_ERROR},
               {"cudnnCreateTensorDescriptor", kDnnHostAllocFailed, NNM_OUT_OF_MEMORY},
               {"cudnnCreateFilterDescriptor", kDnnHostAllocFailed, NNM_OUT_OF_MEMORY},
               {"cudnnCreateConvolutionDescriptor", kDnnHostAllocFailed, NNM_OUT_OF_MEMORY},
               {"cudnnSetTensor4dDescriptor", kDnnBadParam, NNM_INTERNAL_ERROR},
               {"cudnnSetFilter4dDescriptor", kDnnNotSupported, NNM_INTERNAL_ERROR},
               {"cudnnSetConvolution2dDescriptor", kDnnBadParam, NNM_INTERNAL_ERROR},
               {"cudnnSetConvolutionGroupCount", kDnnBadParam, NNM_INTERNAL_ERROR},
               {"cudnnSetConvolutionMathType", kDnnBadParam, NNM_INTERNAL_ERROR},
               {"cudnnGetConvolutionForwardAlgorithm_v7", kDnnNotSupported,
                NNM_INTERNAL_ERROR},
               {"cudnnGetConvolutionForwardWorkspaceSize", kDnnBadParam, NNM_INTERNAL_ERROR}};
  for (const Case &t : cases) {
    SCOPED_TRACE(t.call);
    failNext(t.call, t.status);
    EXPECT_EQ(nnm_cuda_dnn_attach(ctx, d.data(), 2), t.want);
    EXPECT_EQ(dnn().live, 0);
    EXPECT_EQ(dnn().live_descriptors, 0);
    EXPECT_EQ(state().allocations, allocations);
    EXPECT_EQ(state().depth, 0);
    std::vector<float> x(kDense.xSize()), w(kDense.wSize()), y(kDense.ySize());
    ASSERT_EQ(nnm_cuda_begin(ctx), NNM_OK);
    nnm_cuda_conv2d(ctx, 0, x.data(), w.data(), y.data());
    EXPECT_EQ(nnm_cuda_end(ctx), NNM_INTERNAL_ERROR); // still not attached
  }
  // The workspace's allocation failing: the fake driver refuses over 1 GiB.
  Conv large{1, 1, (1 << 14) + 1, 1 << 14, 1, 1, 1}; // an im2col workspace over 1 GiB
  large.k = 2;
  std::vector<int64_t> l = large.words();
  EXPECT_EQ(nnm_cuda_dnn_attach(ctx, l.data(), 1), NNM_OUT_OF_MEMORY);
  EXPECT_EQ(dnn().live, 0);
  EXPECT_EQ(dnn().live_descriptors, 0);
  EXPECT_EQ(state().allocations, allocations);
  ASSERT_EQ(nnm_cuda_dnn_attach(ctx, d.data(), 2), NNM_OK);
  EXPECT_EQ(dnn().live, 1);
  expectConv(ctx, 1, depthwise(), 4);
  nnm_cuda_context_destroy(ctx);
  EXPECT_EQ(dnn().live, 0);
  expectAllReleased();
}

// Each context's handle, descriptors and workspace go with that context.
TEST_F(CudaDnn, DestroyReleasesTheHandleDescriptorsAndWorkspace) {
  nnm_cuda_context *a = create(nullptr), *b = create(nullptr);
  ASSERT_TRUE(a && b);
  std::vector<int64_t> d = concat({kDense, depthwise()});
  ASSERT_EQ(nnm_cuda_dnn_attach(a, d.data(), 2), NNM_OK);
  ASSERT_EQ(nnm_cuda_dnn_attach(b, d.data(), 1), NNM_OK);
  ASSERT_EQ(nnm_cuda_blas_attach(a), fakeBlas() ? NNM_OK : NNM_NO_DEVICE);
  int allocations = state().allocations, destroys = dnn().destroys;
  EXPECT_EQ(dnn().live, 2);
  EXPECT_EQ(dnn().live_descriptors, 3 * 4);
  nnm_cuda_context_destroy(a);
  EXPECT_EQ(dnn().live, 1);
  EXPECT_EQ(dnn().destroys, destroys + 1);
  EXPECT_EQ(dnn().live_descriptors, 4);
  // a's arena and cuDNN workspace, and its cuBLAS workspace where it has one
  EXPECT_EQ(state().allocations, allocations - (fakeBlas() ? 3 : 2));
  EXPECT_EQ(state().depth, 0);
  nnm_cuda_context_destroy(b);
  EXPECT_EQ(dnn().live, 0);
  EXPECT_EQ(dnn().live_descriptors, 0);
  expectAllReleased();
}

// No convolutions: a handle on the stream, no workspace.
TEST_F(CudaDnn, AnEmptyListNeedsNoWorkspace) {
  nnm_cuda_context *ctx = create(nullptr);
  ASSERT_NE(ctx, nullptr);
  int allocations = state().allocations;
  ASSERT_EQ(nnm_cuda_dnn_attach(ctx, nullptr, 0), NNM_OK);
  EXPECT_EQ(dnn().live, 1);
  EXPECT_EQ(state().allocations, allocations);
  float x[1] = {};
  ASSERT_EQ(nnm_cuda_begin(ctx), NNM_OK);
  nnm_cuda_conv2d(ctx, 0, x, x, x);
  EXPECT_EQ(nnm_cuda_end(ctx), NNM_INTERNAL_ERROR);
  nnm_cuda_context_destroy(ctx);
  EXPECT_EQ(dnn().live, 0);
  expectAllReleased();
}

TEST_F(CudaDnnMissing, AttachGivesNoDeviceAndLeaksNothing) {
  nnm_cuda_model m = testModel();
  void *slot = nullptr;
  nnm_cuda_context *ctx = nullptr;
  ASSERT_EQ(nnm_cuda_context_create(&m, &slot, nullptr, &ctx), NNM_OK);
  int allocations = state().allocations;
  std::vector<int64_t> d = kDense.words();
  EXPECT_EQ(nnm_cuda_dnn_attach(ctx, d.data(), 1), NNM_NO_DEVICE);
  EXPECT_EQ(nnm_cuda_dnn_attach(ctx, d.data(), 1), NNM_NO_DEVICE); // loaded once, missing
  std::vector<int64_t> bad = d;
  bad[NNM_CONV_GROUPS] = 0;
  EXPECT_EQ(nnm_cuda_dnn_attach(ctx, bad.data(), 1), NNM_INVALID_ARGUMENT); // checked first
  EXPECT_EQ(state().allocations, allocations);
  EXPECT_EQ(state().depth, 0);
  std::vector<float> x(kDense.xSize()), w(kDense.wSize()), y(kDense.ySize());
  ASSERT_EQ(nnm_cuda_begin(ctx), NNM_OK);
  nnm_cuda_conv2d(ctx, 0, x.data(), w.data(), y.data());
  EXPECT_EQ(nnm_cuda_end(ctx), NNM_INTERNAL_ERROR);
  nnm_cuda_context_destroy(ctx);
  expectAllReleased();
}
