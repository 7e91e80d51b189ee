//===- app.cpp - cuda libraries linked into a C++ program ------------------===//
//
// Links three models compiled with --target cpu --target cuda (run_cuda.py)
// through their C++ wrappers. The CPU Model of each runs everywhere and must
// match the ONNX Runtime outputs that test/e2e/make_models.py wrote (rtol 1e-4
// of the largest reference value). Without a CUDA device every CudaModel
// reports NNM_NO_DEVICE, cleanly; with one, each model runs on host buffers
// (run_host) through two contexts, which must match ONNX Runtime (rtol 1e-3)
// with byte-identical results from both contexts.
//
// Usage: app DATA_DIR [--require-device]
// Exit: 0 all checks passed, 1 a check failed, 77 no device and one was required.
//===----------------------------------------------------------------------===//
#include "lenet/lenet.h"
#include "mlp/mlp.h"
#include "resblock/resblock.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
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
