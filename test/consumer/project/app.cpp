// Consumer program: mlp 1.0.0 and 2.0.0 (one model name, two major versions) and
// lenet, compiled by nnmodel_add_model() and linked into one program, each checked
// against the ONNX Runtime outputs that test/e2e/make_models.py wrote.
//
// Usage: consumer_app DATA_DIR. Prints PASS/FAIL lines; exit status 1 on any FAIL.
#include "mlp_v1/mlp.h"  // two headers named mlp.h: the <target>/ prefix picks one
#include "mlp_v2/mlp.h"
#include "lenet.h"       // a single version needs no prefix

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

extern "C" int consumer_run_lenet_c(const float *image, float *probs);

namespace {

int failures = 0;
std::string data_dir;

void check(bool ok, const std::string &what, const std::string &why = "") {
  std::printf("%s %s%s%s\n", ok ? "PASS" : "FAIL", what.c_str(), ok || why.empty() ? "" : ": ",
              ok ? "" : why.c_str());
  failures += !ok;
}

// DATA_DIR/<stem>.<tensor>.bin: raw little-endian float32, exactly n values.
std::vector<float> load(const std::string &stem, const std::string &tensor, size_t n) {
  std::string path = data_dir + "/" + stem + "." + tensor + ".bin";
  std::vector<float> v(n + 1);
  size_t got = 0;
  if (FILE *f = std::fopen(path.c_str(), "rb")) {
    got = std::fread(v.data(), sizeof(float), n + 1, f);
    std::fclose(f);
  }
  check(got == n, "read " + path, std::to_string(got) + " floats, want " + std::to_string(n));
  v.resize(n);
  return v;
}

std::string compare(const std::vector<float> &got, const std::vector<float> &want) {
  for (size_t i = 0; i < want.size(); ++i)
    if (!(std::fabs(got[i] - want[i]) <= 1e-5 + 1e-4 * std::fabs(want[i])))
      return "element " + std::to_string(i) + ": got " + std::to_string(got[i]) + ", want " +
             std::to_string(want[i]);
  return "";
}

template <class Model>
void run_cpp(const char *label, const char *stem, size_t n_in, size_t n_out) {
  std::vector<float> x = load(stem, "x", n_in), want = load(stem, "y", n_out);
  std::vector<float> y(n_out, NAN);
  Model model;
  check(model.ok(), std::string(label) + ": create");
  nnm_status s = model.ok() ? model.run(x.data(), y.data()) : NNM_OK;
  check(model.ok() && s == NNM_OK, std::string(label) + ": run", nnm_status_string(s));
  std::string why = compare(y, want);
  check(why.empty(), std::string(label) + ": matches onnxruntime", why);
}

}  // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DATA_DIR\n", argv[0]);
    return 2;
  }
  data_dir = argv[1];

  static_assert(MLP_V1_VERSION_MAJOR == 1 && MLP_V2_VERSION_MAJOR == 2, "two majors");
  static_assert(LENET_V1_INPUT_IMAGE_SIZE == 784 && LENET_V1_OUTPUT_PROBS_SIZE == 10, "lenet");
  check(std::strcmp(mlp_v1_version(), "1.0.0") == 0, "mlp_v1_version() is 1.0.0",
        mlp_v1_version());
  check(std::strcmp(mlp_v2_version(), "2.0.0") == 0, "mlp_v2_version() is 2.0.0",
        mlp_v2_version());
  check(std::strstr(lenet_v1_metadata_json(), "\"lenet\"") != nullptr,
        "lenet_v1_metadata_json() names the model");

  run_cpp<mlp::v1::Model>("mlp 1.0.0", "mlp", MLP_V1_INPUT_X_SIZE, MLP_V1_OUTPUT_Y_SIZE);
  run_cpp<mlp::v2::Model>("mlp 2.0.0", "mlp_v2", MLP_V2_INPUT_X_SIZE, MLP_V2_OUTPUT_Y_SIZE);

  std::vector<float> image = load("lenet", "image", LENET_V1_INPUT_IMAGE_SIZE);
  std::vector<float> want = load("lenet", "probs", LENET_V1_OUTPUT_PROBS_SIZE);
  std::vector<float> probs(LENET_V1_OUTPUT_PROBS_SIZE, NAN);
  int s = consumer_run_lenet_c(image.data(), probs.data());
  check(s == NNM_OK, "lenet 1.0.0 (C API): run", nnm_status_string(static_cast<nnm_status>(s)));
  std::string why = compare(probs, want);
  check(why.empty(), "lenet 1.0.0 (C API): matches onnxruntime", why);

  std::printf("consumer_app: %s\n", failures ? "FAILED" : "all checks passed");
  return failures ? 1 : 0;
}
