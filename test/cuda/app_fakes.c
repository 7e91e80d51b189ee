/*===- app_fakes.c - A generated cuda library on the fake driver and cuBLAS ---===*/
/* Runs mlp (compiled by run_cuda.py for cpu and cuda) with NNM_CUDA_DRIVER and
 * NNM_CUBLAS_LIBRARY naming the runtime's test stand-ins (FakeCudaDriver.c,
 * FakeCublas.c), whose "device memory" is host memory: kernels do not run
 * there, but everything the generated code asks of the runtime does. Checks
 * that create attaches one cuBLAS handle, that a run hands both of mlp's
 * matrix products to cuBLAS with the arguments a row-major product needs,
 * and that destroy releases the handle.
 * Usage: NNM_CUDA_DRIVER=... NNM_CUBLAS_LIBRARY=... app_fakes */
#include "mlp/mlp.h"

#include "fake_cublas_records.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int g_failed;

static void check(int ok, const char *what) {
  printf("%s %s\n", ok ? "PASS" : "FAIL", what);
  g_failed += !ok;
}

int main(void) {
  const char *blas = getenv("NNM_CUBLAS_LIBRARY");
  mlp_v1_cuda_context *ctx = NULL;
  nnm_status created = mlp_v1_cuda_create(NULL, &ctx);
  check(created == NNM_OK && ctx != NULL, "create on the fake device");
  if (!ctx)
    return 1;
  /* The runtime opened the fake cuBLAS: find its record of the calls. */
  void *lib = blas ? dlopen(blas, RTLD_NOW | RTLD_NOLOAD) : NULL;
  void (*state_of)(void *) = NULL;
  if (lib)
    *(void **)&state_of = dlsym(lib, "fake_cublas_state_get");
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
  printf("%s\n", g_failed ? "FAILED" : "OK");
  return g_failed ? 1 : 0;
}
