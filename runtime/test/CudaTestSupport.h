//===- CudaTestSupport.h - What the CUDA tests of the runtime share -*- C++ -*-===//
//
// For CudaTest.cpp and CudnnTest.cpp (one binary, nnmodel-runtime-tests): which
// driver and cuBLAS the run uses, a test model, the fake driver's fixture
// (CudaFake), and FakeLibraryTest for the fake cuBLAS and cuDNN.
//
//===----------------------------------------------------------------------===//
#ifndef NNMODEL_CUDA_TEST_SUPPORT_H
#define NNMODEL_CUDA_TEST_SUPPORT_H

#include "nnmodel/cuda.h"
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

// CUDA contexts.
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

// The fake driver (runtime/test/FakeCudaDriver.c).

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

// cuBLAS under test: NNM_CUBLAS_LIBRARY.
constexpr const char *kMissingBlas = "/nonexistent/nnmodel-test/libcublas.so.13";

std::string blasUnderTest() {
  const char *v = std::getenv("NNM_CUBLAS_LIBRARY");
  return v ? v : "";
}
bool fakeBlas() { return blasUnderTest().find("nnm-fake-cublas") != std::string::npos; }

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

// Small integers, so that every product and sum is exact in f32.
std::vector<float> ramp(size_t count, int seed) {
  std::vector<float> v(count);
  for (size_t i = 0; i < count; ++i)
    v[i] = static_cast<float>(static_cast<int>((i * 7 + seed) % 11) - 5);
  return v;
}

} // namespace

#endif // NNMODEL_CUDA_TEST_SUPPORT_H
