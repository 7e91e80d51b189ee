/*===- app_fakes.c - Generated cuda libraries on the fake driver, cuBLAS, cuDNN ===*/
/* Runs mlp and lenet (compiled by run_cuda.py for cpu and cuda) with
 * NNM_CUDA_DRIVER, NNM_CUBLAS_LIBRARY and NNM_CUDNN_LIBRARY naming the runtime's
 * test stand-ins (FakeCudaDriver.c, FakeCublas.c, FakeCudnn.c), whose "device
 * memory" is host memory: kernels do not run there, but everything the
 * generated code asks of the runtime does. Checks that create attaches one
 * cuBLAS handle (and for lenet one cuDNN handle with its two convolutions),
 * that a run hands mlp's matrix products to cuBLAS with the arguments a
 * row-major product needs and lenet's convolutions to cuDNN with their
 * shapes, and that destroy releases everything.
 * Usage: NNM_CUDA_DRIVER=... NNM_CUBLAS_LIBRARY=... NNM_CUDNN_LIBRARY=... app_fakes */
#include "lenet/lenet.h"
#include "mlp/mlp.h"

#include "fake_cublas_records.h"
#include "fake_cudnn_records.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int g_failed;

static void check(int ok, const char *what) {
  printf("%s %s\n", ok ? "PASS" : "FAIL", what);
  g_failed += !ok;
}

/* A function `name` of the stand-in library that `env` names, or NULL. */
static void *fake_symbol(const char *env, const char *name) {
  const char *path = getenv(env);
  void *lib = path ? dlopen(path, RTLD_NOW | RTLD_NOLOAD) : NULL;
  return lib ? dlsym(lib, name) : NULL;
}

/* lenet: two convolutions on cuDNN, two products on cuBLAS. */
static void lenet_on_fakes(void) {
  lenet_v1_cuda_context *ctx = NULL;
  check(lenet_v1_cuda_create(NULL, &ctx) == NNM_OK && ctx != NULL, "lenet: create");
  if (!ctx)
    return;
  void (*dnn_state)(void *) = NULL;
  *(void **)&dnn_state = fake_symbol("NNM_CUDNN_LIBRARY", "fake_cudnn_state_get");
  check(dnn_state != NULL, "lenet: the fake cuDNN is loaded");
  if (!dnn_state) {
    lenet_v1_cuda_destroy(ctx);
    return;
  }
  fake_cudnn_state st;
  dnn_state(&st);
  check(st.live == 1 && st.algo_queries == 2 && st.live_descriptors > 0,
        "lenet: create attached one cuDNN handle and chose two convolutions' algorithms");
  static float image[LENET_V1_INPUT_IMAGE_SIZE], probs[LENET_V1_OUTPUT_PROBS_SIZE];
  for (int i = 0; i < LENET_V1_INPUT_IMAGE_SIZE; ++i)
    image[i] = (float)(i % 9) * 0.25f - 1.0f;
  check(lenet_v1_cuda_run(ctx, image, probs) == NNM_OK, "lenet: a run enqueues");
  dnn_state(&st);
  const fake_conv *c = &st.conv;
  check(st.forwards == 2, "lenet: both convolutions ran on cuDNN");
  /* The second: 6 -> 16 channels, 5 x 5, on 14 x 14 without padding. */
  check(c->n == 1 && c->c == 6 && c->h == 14 && c->w_ == 14 && c->k == 16 && c->kh == 5 &&
            c->kw == 5 && c->oh == 10 && c->ow == 10 && c->groups == 1 && c->pad_h == 0 &&
            c->stride_h == 1 && c->dilation_h == 1,
        "lenet: the last convolution is 6 -> 16, 5x5, 14x14 -> 10x10");
  check(c->alpha == 1.0f && c->beta == 0.0f, "lenet: y is written, not accumulated");
  lenet_v1_cuda_destroy(ctx);
  dnn_state(&st);
  check(st.live == 0 && st.live_descriptors == 0, "lenet: destroy released cuDNN");
}

int main(void) {
  mlp_v1_cuda_context *ctx = NULL;
  nnm_status created = mlp_v1_cuda_create(NULL, &ctx);
  check(created == NNM_OK && ctx != NULL, "create on the fake device");
  if (!ctx)
    return 1;
  /* The runtime opened the fake cuBLAS: find its record of the calls. */
  void (*state_of)(void *) = NULL;
  *(void **)&state_of = fake_symbol("NNM_CUBLAS_LIBRARY", "fake_cublas_state_get");
  check(state_of != NULL, "the fake cuBLAS is loaded");
  if (!state_of)
    return 1;
  fake_cublas_state st;
  state_of(&st);
  check(st.creates == 1 && st.live == 1, "create attached one cuBLAS handle");

  float x[MLP_V1_INPUT_X_SIZE], y[MLP_V1_OUTPUT_Y_SIZE];
  for (int i = 0; i < MLP_V1_INPUT_X_SIZE; ++i)
    x[i] = (float)(i % 5) * 0.5f - 1.0f;
  check(mlp_v1_cuda_run(ctx, x, y) == NNM_OK, "a run enqueues");
  state_of(&st);
  check(st.gemms == 2, "both matrix products ran on cuBLAS");
  /* The second: hidden[2, 32] x W2^T with W2 stored [8, 32] (Gemm transB = 1),
     into C[2, 8]: cuBLAS computes C^T = W2 hidden^T, column-major. */
  const fake_gemm *g = &st.gemm;
  check(g->m == 8 && g->n == 2 && g->k == 32 && g->batch == 1,
        "the last product is 8 x 2 x 32 as cuBLAS sees it");
  check(g->transa == 1 && g->lda == 32 && g->transb == 0 && g->ldb == 32 && g->ldc == 8,
        "transposes and leading dimensions of a row-major product by transposed weights");
  check(g->alpha == 1.0f && g->beta == 0.0f, "C is written, not accumulated");
  mlp_v1_cuda_destroy(ctx);
  state_of(&st);
  check(st.live == 0 && st.destroys == 1, "destroy released the handle");
  lenet_on_fakes();
  printf("%s\n", g_failed ? "FAILED" : "OK");
  return g_failed ? 1 : 0;
}
