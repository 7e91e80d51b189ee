//===- CudnnTest.cpp - The runtime's cuDNN convolutions, on the fake cuDNN ---===//
//
// Part of nnmodel-runtime-tests; runtime.cuda-fake points NNM_CUDNN_LIBRARY at
// runtime/test/FakeCudnn.c, runtime.cuda-fake-no-cudnn at a missing file.
//
//===----------------------------------------------------------------------===//
#include "CudaTestSupport.h"

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
