// Bazel consumer test for a cpu+cuda library: //models:mlp_gpu is mlp_v2.onnx compiled
// with targets = ["cpu", "cuda"], cuda_archs = ["80", "90"]. The program asks for the GPU
// and falls back to the CPU as an application would: without a CUDA device (or without
// libcuda.so.1) CudaModel must report NNM_NO_DEVICE and hold no context; with one, its
// run_host output must match ONNX Runtime's (rtol 1e-3). The CPU Model runs in every
// case and must match as closely as models_test's (1e-5 + 1e-4 |want|).
//
// Usage: gpu_test DATA_DIR. Prints PASS/FAIL lines; exit 1 if any check failed.
#include "mlp_gpu.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

int g_failed = 0;

void check(bool ok, const std::string &what, const std::string &why = "") {
  std::printf("%s %s%s%s\n", ok ? "PASS" : "FAIL", what.c_str(), ok || why.empty() ? "" : ": ",
              ok ? "" : why.c_str());
  g_failed += !ok;
}

bool load(const std::string &path, size_t n, std::vector<float> &out) {
  out.assign(n + 1, 0.0f);
  FILE *f = std::fopen(path.c_str(), "rb");
  if (!f)
    return false;
  size_t got = std::fread(out.data(), sizeof(float), n + 1, f);
  std::fclose(f);
  out.resize(n);
  return got == n;
}

// Empty when |got - want| <= atol + rtol |want| everywhere.
std::string compare(const std::vector<float> &got, const std::vector<float> &want, double atol,
                    double rtol) {
  for (size_t i = 0; i < want.size(); ++i)
    if (!(std::fabs(double(got[i]) - want[i]) <= atol + rtol * std::fabs(double(want[i]))))
      return "element " + std::to_string(i) + ": got " + std::to_string(got[i]) + ", want " +
             std::to_string(want[i]);
  return "";
}

}  // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DATA_DIR\n", argv[0]);
    return 2;
  }
  std::string data = argv[1];
  std::vector<float> x, want, y(MLP_GPU_V1_OUTPUT_Y_SIZE);
  bool loaded = load(data + "/mlp_v2.x.bin", MLP_GPU_V1_INPUT_X_SIZE, x) &&
                load(data + "/mlp_v2.y.bin", MLP_GPU_V1_OUTPUT_Y_SIZE, want);
  check(loaded, "read mlp_v2.x.bin and mlp_v2.y.bin", data);
  if (!loaded)
    return 1;
  check(std::strstr(mlp_gpu_v1_metadata_json(), "\"cuda\"") != nullptr,
        "the metadata lists the cuda target");
  static_assert(MLP_GPU_V1_CUDA_ARENA_BYTES > 0, "the header declares the CUDA API");

  // The GPU where there is one...
  mlp_gpu::v1::CudaModel gpu;
  std::printf("CudaModel: %s\n", nnm_status_string(gpu.status()));
  if (gpu.status() == NNM_NO_DEVICE) {
    check(!gpu.ok() && gpu.get() == nullptr, "no CUDA device: NNM_NO_DEVICE and no context");
  } else {
    check(gpu.ok(), "CudaModel is ok()", nnm_status_string(gpu.status()));
    if (gpu.ok()) {
      nnm_status s = gpu.run_host(x.data(), y.data());
      std::string why = s == NNM_OK ? compare(y, want, 1e-5, 1e-3) : nnm_status_string(s);
      check(why.empty(), "the GPU matches onnxruntime", why);
    }
  }

  // ...and the CPU half of the same library on every machine.
  mlp_gpu::v1::Model cpu;
  check(cpu.ok(), "Model (CPU) is ok()", nnm_status_string(cpu.status()));
  if (cpu.ok()) {
    std::fill(y.begin(), y.end(), NAN);
    nnm_status s = cpu.run(x.data(), y.data());
    std::string why = s == NNM_OK ? compare(y, want, 1e-5, 1e-4) : nnm_status_string(s);
    check(why.empty(), "the CPU matches onnxruntime", why);
  }

  std::printf("gpu_test: %s\n", g_failed ? "FAILED" : "all checks passed");
  return g_failed ? 1 : 0;
}
