//===- app.cpp - cuda libraries linked into a C++ program ------------------===//
//
// Links three models compiled with --target cpu --target cuda (run_cuda.py)
// through their C++ wrappers. The CPU Model of each runs everywhere and must
// match the ONNX Runtime outputs that test/e2e/make_models.py wrote (rtol 1e-4
// of the largest reference value). Without a CUDA device every CudaModel
// reports NNM_NO_DEVICE, cleanly; with one, each model runs on host buffers
// (run_host) through two contexts, which must match ONNX Runtime (rtol 1e-3)
// with byte-identical results from both contexts; then two contexts on two
// streams of their own run from two threads at once, 20 times each, and every
// result must be those same bytes. The streams come from the driver, opened
// here with dlopen as the runtime does, so the program links no CUDA library.
//
// Usage: app DATA_DIR [--require-device]
// Exit: 0 all checks passed, 1 a check failed, 77 no device and one was required.
//===----------------------------------------------------------------------===//
#include "lenet/lenet.h"
#include "mlp/mlp.h"
#include "resblock/resblock.h"

#include <dlfcn.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

std::string g_data;
int g_failed = 0;

void check(bool ok, const std::string &name, const std::string &why = "") {
  std::printf("%s %s%s%s\n", ok ? "PASS" : "FAIL", name.c_str(), why.empty() ? "" : ": ",
              why.c_str());
  g_failed += !ok;
}

bool load(const std::string &file, size_t n, std::vector<float> &out) {
  FILE *f = std::fopen((g_data + "/" + file).c_str(), "rb");
  if (!f)
    return false;
  out.resize(n);
  size_t got = std::fread(out.data(), sizeof(float), n, f);
  std::fclose(f);
  return got == n;
}

/// Two non-blocking streams on device 0's primary context, made through the
/// driver API; false (and a failed check) when any call fails.
struct Streams {
  void *stream[2] = {nullptr, nullptr};
  void *context = nullptr;
  int (*destroy)(void *) = nullptr;
  int (*push)(void *) = nullptr;
  int (*pop)(void **) = nullptr;

  bool create() {
    void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib)
      return false;
    auto sym = [lib](const char *name) { return dlsym(lib, name); };
    auto init = reinterpret_cast<int (*)(unsigned)>(sym("cuInit"));
    auto deviceGet = reinterpret_cast<int (*)(int *, int)>(sym("cuDeviceGet"));
    auto retain = reinterpret_cast<int (*)(void **, int)>(sym("cuDevicePrimaryCtxRetain"));
    auto streamCreate = reinterpret_cast<int (*)(void **, unsigned)>(sym("cuStreamCreate"));
    push = reinterpret_cast<int (*)(void *)>(sym("cuCtxPushCurrent_v2"));
    pop = reinterpret_cast<int (*)(void **)>(sym("cuCtxPopCurrent_v2"));
    destroy = reinterpret_cast<int (*)(void *)>(sym("cuStreamDestroy_v2"));
    int device = 0;
    if (!init || !deviceGet || !retain || !streamCreate || !push || !pop || !destroy ||
        init(0) || deviceGet(&device, 0) || retain(&context, device) || push(context))
      return false;
    bool ok = !streamCreate(&stream[0], 1 /* CU_STREAM_NON_BLOCKING */) &&
              !streamCreate(&stream[1], 1);
    void *popped = nullptr;
    pop(&popped);
    return ok;
  }

  ~Streams() {
    if (!push || !context || push(context))
      return;
    for (void *s : stream)
      if (s)
        destroy(s);
    void *popped = nullptr;
    pop(&popped);
  }
};

Streams *g_streams = nullptr;

double relError(const std::vector<float> &got, const std::vector<float> &want) {
  double worst = 0, scale = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    worst = std::fmax(worst, std::fabs(double(got[i]) - double(want[i])));
    scale = std::fmax(scale, std::fabs(double(want[i])));
  }
  return scale > 0 ? worst / scale : worst;
}

/// One model: the CPU context, then the CUDA one (NO_DEVICE without a device),
/// else host-buffer runs on the device.
template <typename CpuModel, typename Model>
int exercise(const char *name, const std::string &in, const std::string &out, size_t inSize,
             size_t outSize) {
  std::vector<float> x, want, got(outSize), again(outSize);
  if (!load(std::string(name) + "." + in + ".bin", inSize, x) ||
      !load(std::string(name) + "." + out + ".bin", outSize, want)) {
    check(false, std::string(name) + " reference data");
    return 0;
  }
  CpuModel cpu;
  nnm_status s = cpu.ok() ? cpu.run(x.data(), got.data()) : cpu.status();
  double err = relError(got, want);
  check(s == NNM_OK && err <= 1e-4, std::string(name) + " on the CPU matches ONNX Runtime",
        std::string(nnm_status_string(s)) + ", rel. error " + std::to_string(err));

  Model model;
  if (model.status() == NNM_NO_DEVICE) {
    check(!model.ok() && model.get() == nullptr, std::string(name) + " reports no device");
    return 0;
  }
  check(model.ok(), std::string(name) + " context", nnm_status_string(model.status()));
  if (!model.ok())
    return 1;
  s = model.run_host(x.data(), got.data());
  err = relError(got, want);
  check(s == NNM_OK && err <= 1e-3, std::string(name) + " matches ONNX Runtime",
        std::string(nnm_status_string(s)) + ", rel. error " + std::to_string(err));
  Model second;
  s = second.ok() ? second.run_host(x.data(), again.data()) : second.status();
  check(s == NNM_OK && std::memcmp(got.data(), again.data(), outSize * sizeof(float)) == 0,
        std::string(name) + " two contexts give identical bytes");

  // Two contexts, two streams, two threads at once.
  if (!g_streams) {
    check(false, std::string(name) + " streams for the parallel runs");
    return 1;
  }
  nnm_cuda_options options[2];
  std::vector<float> results[2];
  bool same[2] = {true, true};
  nnm_status last[2] = {NNM_OK, NNM_OK};
  std::thread threads[2];
  for (int t = 0; t < 2; ++t) {
    nnm_cuda_options_init(&options[t]);
    options[t].stream = g_streams->stream[t];
    results[t].resize(outSize);
    threads[t] = std::thread([&, t] {
      Model m(options[t]);
      if (!m.ok()) {
        last[t] = m.status();
        return;
      }
      for (int i = 0; i < 20 && last[t] == NNM_OK; ++i) {
        last[t] = m.run_host(x.data(), results[t].data());
        same[t] = same[t] &&
                  std::memcmp(results[t].data(), got.data(), outSize * sizeof(float)) == 0;
      }
    });
  }
  for (std::thread &t : threads)
    t.join();
  check(last[0] == NNM_OK && last[1] == NNM_OK && same[0] && same[1],
        std::string(name) + " two streams from two threads give the same bytes",
        std::string(nnm_status_string(last[0])) + " / " + nnm_status_string(last[1]));
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: app DATA_DIR [--require-device]\n");
    return 2;
  }
  g_data = argv[1];
  bool requireDevice = argc > 2 && std::strcmp(argv[2], "--require-device") == 0;
  int32_t devices = 0;
  nnm_status count = nnm_cuda_device_count(&devices);
  std::printf("CUDA devices: %d (%s)\n", int(devices), nnm_status_string(count));
  Streams streams;
  if (count == NNM_OK && devices > 0 && streams.create())
    g_streams = &streams;
  int ran = exercise<mlp::v1::Model, mlp::v1::CudaModel>("mlp", "x", "y", MLP_V1_INPUT_X_SIZE,
                                                         MLP_V1_OUTPUT_Y_SIZE);
  ran += exercise<lenet::v1::Model, lenet::v1::CudaModel>(
      "lenet", "image", "probs", LENET_V1_INPUT_IMAGE_SIZE, LENET_V1_OUTPUT_PROBS_SIZE);
  ran += exercise<resblock::v1::Model, resblock::v1::CudaModel>(
      "resblock", "x", "features", RESBLOCK_V1_INPUT_X_SIZE, RESBLOCK_V1_OUTPUT_FEATURES_SIZE);
  std::printf("%s: %d failed, %d of 3 models ran on a device\n", g_failed ? "FAILED" : "OK",
              g_failed, ran);
  if (g_failed)
    return 1;
  return requireDevice && ran == 0 ? 77 : 0;
}
