/* Consumer program for a model compiled with TARGETS cpu cuda (mlp_gpu, from
 * mlp_v2.onnx): it asks for the GPU first and falls back to the CPU, as an
 * application would. Without a CUDA device (or without libcuda.so.1) the CUDA
 * create must return NNM_NO_DEVICE and leave the context NULL; with one, the
 * GPU run must match ONNX Runtime's output (rtol 1e-3). The CPU half runs in
 * every case and must match it as closely as the other consumer programs do.
 *
 * Usage: consumer_gpu_app DATA_DIR. Prints PASS/FAIL lines; exit status 1 on any FAIL. */
#include "mlp_gpu.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int failures = 0;

static void check(int ok, const char *what, const char *why) {
  printf("%s %s%s%s\n", ok ? "PASS" : "FAIL", what, ok || !why ? "" : ": ", ok || !why ? "" : why);
  failures += !ok;
}

/* DATA_DIR/<name>: raw little-endian float32, exactly n values. */
static int load(const char *dir, const char *name, float *out, size_t n) {
  char path[4096];
  float extra;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "rb");
  if (!f)
    return 0;
  size_t got = fread(out, sizeof(float), n, f);
  int at_end = fread(&extra, sizeof(float), 1, f) == 0;
  fclose(f);
  return got == n && at_end;
}

/* Index of the first element outside atol + rtol * |want|, or -1. */
static long mismatch(const float *got, const float *want, size_t n, double atol, double rtol) {
  for (size_t i = 0; i < n; ++i)
    if (!(fabs((double)got[i] - want[i]) <= atol + rtol * fabs((double)want[i])))
      return (long)i;
  return -1;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s DATA_DIR\n", argv[0]);
    return 2;
  }
  float x[MLP_GPU_V1_INPUT_X_SIZE], want[MLP_GPU_V1_OUTPUT_Y_SIZE], y[MLP_GPU_V1_OUTPUT_Y_SIZE];
  int loaded = load(argv[1], "mlp_v2.x.bin", x, MLP_GPU_V1_INPUT_X_SIZE) &&
               load(argv[1], "mlp_v2.y.bin", want, MLP_GPU_V1_OUTPUT_Y_SIZE);
  check(loaded, "read mlp_v2.x.bin and mlp_v2.y.bin", argv[1]);
  if (!loaded)
    return 1;
  check(strcmp(mlp_gpu_v1_version(), "1.0.0") == 0, "mlp_gpu_v1_version() is 1.0.0",
        mlp_gpu_v1_version());
  check(strstr(mlp_gpu_v1_metadata_json(), "\"cuda\"") != NULL,
        "the metadata lists the cuda target", NULL);

  /* The GPU where there is one. */
  char why[128];
  nnm_cuda_options options;
  nnm_cuda_options_init(&options);
  mlp_gpu_v1_cuda_context *gpu = NULL;
  nnm_status s = mlp_gpu_v1_cuda_create(&options, &gpu);
  printf("mlp_gpu_v1_cuda_create: %s\n", nnm_status_string(s));
  if (s == NNM_NO_DEVICE) {
    check(gpu == NULL, "no CUDA device: create returns NNM_NO_DEVICE and no context", NULL);
  } else {
    check(s == NNM_OK && gpu != NULL, "CUDA create", nnm_status_string(s));
    if (s == NNM_OK) {
      memset(y, 0, sizeof y);
      s = mlp_gpu_v1_cuda_run_host(gpu, x, y);
      check(s == NNM_OK, "CUDA run_host", nnm_status_string(s));
      long bad = mismatch(y, want, MLP_GPU_V1_OUTPUT_Y_SIZE, 1e-5, 1e-3);
      snprintf(why, sizeof why, "element %ld: got %g", bad, bad < 0 ? 0.0 : (double)y[bad]);
      check(s == NNM_OK && bad < 0, "the GPU matches onnxruntime", why);
    }
    mlp_gpu_v1_cuda_destroy(gpu);
  }

  /* The CPU half of the same library, on every machine. */
  mlp_gpu_v1_context *cpu = NULL;
  s = mlp_gpu_v1_create(NULL, &cpu);
  check(s == NNM_OK, "CPU create", nnm_status_string(s));
  if (s == NNM_OK) {
    for (size_t i = 0; i < MLP_GPU_V1_OUTPUT_Y_SIZE; ++i)
      y[i] = NAN;
    s = mlp_gpu_v1_run(cpu, x, y);
    check(s == NNM_OK, "CPU run", nnm_status_string(s));
    long bad = mismatch(y, want, MLP_GPU_V1_OUTPUT_Y_SIZE, 1e-5, 1e-4);
    snprintf(why, sizeof why, "element %ld: got %g", bad, bad < 0 ? 0.0 : (double)y[bad]);
    check(s == NNM_OK && bad < 0, "the CPU matches onnxruntime", why);
  }
  mlp_gpu_v1_destroy(cpu);

  printf("consumer_gpu_app: %s\n", failures ? "FAILED" : "all checks passed");
  return failures ? 1 : 0;
}
