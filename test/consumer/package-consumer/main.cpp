// Runs the installed "mnist" package (test/e2e's lenet, packaged as mnist 1.4.0) on the
// reference input and compares with ONNX Runtime. Usage: mnist_app DATA_DIR
#include "mnist.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

static std::vector<float> load(const std::string &path, size_t n) {
  std::vector<float> v(n + 1);
  size_t got = 0;
  if (FILE *f = std::fopen(path.c_str(), "rb")) {
    got = std::fread(v.data(), sizeof(float), n + 1, f);
    std::fclose(f);
  }
  if (got != n) {
    std::printf("FAIL %s: %zu floats, want %zu\n", path.c_str(), got, n);
    return {};
  }
  v.resize(n);
  return v;
}

int main(int argc, char **argv) {
  if (argc != 2)
    return 2;
  std::string dir = argv[1];
  static_assert(MNIST_V1_VERSION_MAJOR == 1, "mnist 1.x");
  int bad = 0;
  if (std::strcmp(mnist_v1_version(), MNIST_PACKAGE_VERSION) != 0) {
    std::printf("FAIL library version %s, package version %s\n", mnist_v1_version(),
                MNIST_PACKAGE_VERSION);
    ++bad;
  }
  std::vector<float> x = load(dir + "/lenet.image.bin", MNIST_V1_INPUT_IMAGE_SIZE);
  std::vector<float> want = load(dir + "/lenet.probs.bin", MNIST_V1_OUTPUT_PROBS_SIZE);
  if (x.empty() || want.empty())
    return 1;
  std::vector<float> y(MNIST_V1_OUTPUT_PROBS_SIZE, NAN);
  mnist::v1::Model model;
  nnm_status s = model.ok() ? model.run(x.data(), y.data()) : model.status();
  if (s != NNM_OK) {
    std::printf("FAIL run: %s\n", nnm_status_string(s));
    return 1;
  }
  for (size_t i = 0; i < y.size(); ++i)
    if (!(std::fabs(y[i] - want[i]) <= 1e-5 + 1e-4 * std::fabs(want[i]))) {
      std::printf("FAIL probs[%zu] = %g, onnxruntime %g\n", i, y[i], want[i]);
      ++bad;
    }
  std::printf("mnist_app: mnist %s %s\n", mnist_v1_version(), bad ? "FAILED" : "matches onnxruntime");
  return bad ? 1 : 0;
}
