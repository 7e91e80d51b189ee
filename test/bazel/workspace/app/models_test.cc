// Bazel consumer test: models compiled by nn_model, linked into one program.
//
//   //models:mlp_v1    mlp.onnx       model_name mlp, version 1.0.0  -> mlp_v1_*
//   //models:mlp_v2    mlp_v2.onnx    model_name mlp, version 2.0.0  -> mlp_v2_*
//   //models:lenet     lenet.onnx     version 1.0.0                  -> lenet_v1_*
//   //models:resblock  resblock.onnx  version 1.3.1, via C (resblock_c.c)
//
// The headers are reached the three ways docs/bazel.md describes. Each output is
// compared with ONNX Runtime's (make_models.py's <model>.<tensor>.bin).
//
// Usage: models_test DATA_DIR. Prints PASS/FAIL lines; exit 1 if any check failed.
#include "lenet.h"              // the target's directory
#include "mlp_v1/mlp.h"         // <target>/<model>.h: the package's output directory
#include "models/mlp_v2/mlp.h"  // <package>/<target>/<model>.h: the workspace root

#include "app/resblock_c.h"

#include <nnmodel/runtime.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

int g_passed = 0, g_failed = 0;
std::string g_data;

void check(bool ok, const std::string &what, const std::string &why = "") {
  if (ok) {
    ++g_passed;
    std::printf("PASS %s\n", what.c_str());
  } else {
    ++g_failed;
    std::printf("FAIL %s: %s\n", what.c_str(), why.empty() ? "check failed" : why.c_str());
  }
  std::fflush(stdout);
}

std::string status_text(int s) {
  return "status " + std::to_string(s) + " (" + nnm_status_string(static_cast<nnm_status>(s)) +
         ")";
}

// DATA_DIR/<stem>.<tensor>.bin holds exactly n little-endian float32 values.
bool load(const std::string &stem, const std::string &tensor, size_t n, std::vector<float> &out,
          std::string &why) {
  std::string path = g_data + "/" + stem + "." + tensor + ".bin";
  FILE *f = std::fopen(path.c_str(), "rb");
  if (!f) {
    why = "cannot open " + path;
    return false;
  }
  out.assign(n + 1, 0.0f);
  size_t got = std::fread(out.data(), sizeof(float), n + 1, f);
  std::fclose(f);
  out.resize(n);
  if (got != n) {
    why = path + " holds " + std::to_string(got) + " floats, expected " + std::to_string(n);
    return false;
  }
  return true;
}

// Empty when |got - want| <= 1e-5 + 1e-4 |want| everywhere.
std::string compare(const std::vector<float> &got, const std::vector<float> &want) {
  size_t bad = 0, first = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    double g = got[i], w = want[i];
    if (!(std::isfinite(g) && std::fabs(g - w) <= 1e-5 + 1e-4 * std::fabs(w)) && bad++ == 0)
      first = i;
  }
  if (!bad)
    return "";
  char buf[200];
  std::snprintf(buf, sizeof buf, "%zu of %zu elements differ; first [%zu] got %.9g want %.9g",
                bad, want.size(), first, static_cast<double>(got[first]),
                static_cast<double>(want[first]));
  return buf;
}

bool contains(const char *text, const char *needle) {
  return text && std::strstr(text, needle) != nullptr;
}

// Runs one model through its C functions and compares with ONNX Runtime.
template <class Ctx>
void check_c_model(const char *label, const char *stem, const char *in, const char *out,
                   size_t n_in, size_t n_out, nnm_status (*create)(const nnm_options *, Ctx **),
                   nnm_status (*run)(Ctx *, const float *, float *), void (*destroy)(Ctx *),
                   std::vector<float> *result) {
  std::vector<float> x, want;
  std::string why;
  if (!load(stem, in, n_in, x, why) || !load(stem, out, n_out, want, why)) {
    check(false, std::string(label) + ": reference data", why);
    return;
  }
  Ctx *ctx = nullptr;
  nnm_status s = create(nullptr, &ctx);
  check(s == NNM_OK && ctx, std::string(label) + ": create", status_text(s));
  if (s != NNM_OK || !ctx)
    return;
  std::vector<float> y(n_out, NAN);
  s = run(ctx, x.data(), y.data());
  check(s == NNM_OK, std::string(label) + ": run", status_text(s));
  if (s == NNM_OK) {
    why = compare(y, want);
    check(why.empty(), std::string(label) + ": output matches onnxruntime", why);
    *result = y;
  }
  destroy(ctx);
}

}  // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DATA_DIR\n", argv[0]);
    return 2;
  }
  g_data = argv[1];

  // The version each nn_model target was given is in the header...
  static_assert(MLP_V1_VERSION_MAJOR == 1 && MLP_V1_VERSION_MINOR == 0, "mlp 1.0.0");
  static_assert(MLP_V2_VERSION_MAJOR == 2 && MLP_V2_VERSION_MINOR == 0, "mlp 2.0.0");
  static_assert(LENET_V1_VERSION_MAJOR == 1, "lenet 1.0.0");
  static_assert(MLP_V1_INPUT_X_SIZE == 32 && MLP_V2_OUTPUT_Y_SIZE == 16, "mlp sizes");
  static_assert(LENET_V1_INPUT_IMAGE_SIZE == 784 && LENET_V1_OUTPUT_PROBS_SIZE == 10, "lenet");
  check(std::strcmp(MLP_V1_VERSION, "1.0.0") == 0 && std::strcmp(MLP_V2_VERSION, "2.0.0") == 0 &&
            std::strcmp(LENET_V1_VERSION, "1.0.0") == 0,
        "header version macros");

  // ...in the library...
  check(std::strcmp(mlp_v1_version(), "1.0.0") == 0, "mlp v1: version() is 1.0.0",
        mlp_v1_version());
  check(std::strcmp(mlp_v2_version(), "2.0.0") == 0, "mlp v2: version() is 2.0.0",
        mlp_v2_version());
  check(std::strcmp(lenet_v1_version(), "1.0.0") == 0, "lenet v1: version() is 1.0.0",
        lenet_v1_version());
  check(std::strcmp(resblock_c_version(), "1.3.1") == 0, "resblock v1: version() is 1.3.1",
        resblock_c_version());

  // ...and in the metadata, with the attributes nn_model passed on.
  check(contains(mlp_v2_metadata_json(), "\"2.0.0\"") &&
            contains(mlp_v2_metadata_json(), "\"mlp\""),
        "mlp v2: metadata names mlp 2.0.0");
  check(contains(resblock_c_metadata(), "\"x86-64-v2\"") &&
            contains(resblock_c_metadata(), "\"x86_64-unknown-linux-gnu\"") &&
            contains(resblock_c_metadata(), "\"1.3.1\""),
        "resblock v1: metadata has cpu, target triple and version from the BUILD file",
        resblock_c_metadata());

  std::vector<float> y1, y2;
  check_c_model<mlp_v1_context>("mlp v1", "mlp", "x", "y", MLP_V1_INPUT_X_SIZE,
                                MLP_V1_OUTPUT_Y_SIZE, mlp_v1_create, mlp_v1_run, mlp_v1_destroy,
                                &y1);
  check_c_model<mlp_v2_context>("mlp v2", "mlp_v2", "x", "y", MLP_V2_INPUT_X_SIZE,
                                MLP_V2_OUTPUT_Y_SIZE, mlp_v2_create, mlp_v2_run, mlp_v2_destroy,
                                &y2);
  // Same graph, other weights: two distinct libraries answered, not one twice.
  if (!y1.empty() && !y2.empty())
    check(y1 != y2, "mlp v1 and v2 give different outputs (different weights)");

  // lenet through the C++ wrapper.
  {
    std::vector<float> x, want, y(LENET_V1_OUTPUT_PROBS_SIZE, NAN);
    std::string why;
    if (!load("lenet", "image", LENET_V1_INPUT_IMAGE_SIZE, x, why) ||
        !load("lenet", "probs", LENET_V1_OUTPUT_PROBS_SIZE, want, why)) {
      check(false, "lenet v1 (C++): reference data", why);
    } else {
      lenet::v1::Model model;
      check(model.ok(), "lenet v1 (C++): Model() is ok()", status_text(model.status()));
      if (model.ok()) {
        nnm_status s = model.run(x.data(), y.data());
        check(s == NNM_OK, "lenet v1 (C++): run", status_text(s));
        if (s == NNM_OK) {
          why = compare(y, want);
          check(why.empty(), "lenet v1 (C++): output matches onnxruntime", why);
        }
      }
    }
  }

  // resblock through the C API (resblock_c.c, compiled as C11).
  {
    const size_t n_in = static_cast<size_t>(resblock_c_input_size());
    const size_t n_out = static_cast<size_t>(resblock_c_output_size());
    std::vector<float> x, want, y(n_out, NAN);
    std::string why;
    if (!load("resblock", "x", n_in, x, why) || !load("resblock", "features", n_out, want, why)) {
      check(false, "resblock v1 (C): reference data", why);
    } else {
      int s = resblock_c_run(x.data(), y.data());
      check(s == NNM_OK, "resblock v1 (C): create + run", status_text(s));
      if (s == NNM_OK) {
        why = compare(y, want);
        check(why.empty(), "resblock v1 (C): output matches onnxruntime", why);
      }
    }
  }

  std::printf("models_test: %d passed, %d failed\n", g_passed, g_failed);
  return g_failed ? 1 : 0;
}
