//===- CudaTest.cpp - The runtime's CUDA half: contexts, driver, cuBLAS -----===//
//
// Part of nnmodel-runtime-tests (RuntimeTest.cpp: the CPU half; CudnnTest.cpp:
// cuDNN). Without a driver, against the fake driver and cuBLAS
// (runtime/test/Fake*.c), and against the system's driver; runtime/CMakeLists.txt
// runs each way.
//
//===----------------------------------------------------------------------===//
#include "CudaTestSupport.h"

//===- CUDA contexts ------------------------------------------------------===//
// The runtime loads the CUDA driver once per process, on the first CUDA call,
// from NNM_CUDA_DRIVER (default libcuda.so.1). A plain run of this binary
// points that at a missing file before main, so every CUDA test sees "no
// driver" whatever the machine has; ctest also runs the Cuda* tests with the
// fake driver (runtime.cuda-fake) and with the system's (runtime.cuda-system).

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
