/*===- cuda_blas.c - cuBLAS for CUDA contexts, loaded at run time -----------===*/
/* See nnm_cuda_blas_attach and nnm_cuda_gemm in nnmodel/cuda.h. As with the
 * driver (cuda.c), no CUDA header or library is used at build time: cuBLAS
 * (libcublas.so.13, or NNM_CUBLAS_LIBRARY) is opened with dlopen by the first
 * attach of the process, and the six entry points needed are declared below.
 * A missing library or symbol reads as "no device".
 *
 * A context gets its handle, bound to its stream, and the handle's workspace
 * once, at attach; a GEMM only enqueues (no allocation, no wait), so runs
 * stay capturable into a CUDA graph. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* secure_getenv */
#endif
#include "cuda_internal.h"

#include "cublas_types.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h> /* secure_getenv */
#include <string.h>

/* Each handle gets a workspace of its own, allocated here so that cuBLAS
 * never needs to allocate one during a run. 4 MiB is the size cuBLAS's
 * guide recommends for a user-set workspace before Hopper (it gives 32 MiB
 * for Hopper). */
#define NNM_CUBLAS_WORKSPACE_BYTES ((size_t)4 << 20)

enum { CUDA_SUCCESS = 0 };

/*---- the library ------------------------------------------------------------*/

typedef struct blas_api {
  cublasStatus_t (*cublasCreate_v2)(cublasHandle_t *handle);
  cublasStatus_t (*cublasDestroy_v2)(cublasHandle_t handle);
  cublasStatus_t (*cublasSetStream_v2)(cublasHandle_t handle, CUstream stream);
  cublasStatus_t (*cublasSetWorkspace_v2)(cublasHandle_t handle, void *workspace,
                                          size_t bytes);
  cublasStatus_t (*cublasSetMathMode)(cublasHandle_t handle, cublasMath_t mode);
  cublasStatus_t (*cublasSgemmStridedBatched)(
      cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n,
      int k, const float *alpha, const float *a, int lda, long long stride_a, const float *b,
      int ldb, long long stride_b, const float *beta, float *c, int ldc, long long stride_c,
      int batch);
} blas_api;

static blas_api g_blas;
static int g_blas_ok;
static pthread_once_t g_blas_once = PTHREAD_ONCE_INIT;

/* NNM_CUBLAS_LIBRARY names another library (tests use a fake or a missing
 * file); secure_getenv ignores it in set-user-ID programs, as for the driver. */
static const char *blas_name(void) {
  const char *name = secure_getenv("NNM_CUBLAS_LIBRARY");
  return name && *name ? name : "libcublas.so.13";
}

/* Runs once per process; a library that loaded stays loaded (handles may
 * live until exit). */
static void load_blas(void) {
  void *library = dlopen(blas_name(), RTLD_NOW | RTLD_LOCAL);
  if (!library)
    return;
#define NNM_RESOLVE(name) cuda_resolve(library, #name, &g_blas.name)
  int ok = NNM_RESOLVE(cublasCreate_v2) && NNM_RESOLVE(cublasDestroy_v2) &&
           NNM_RESOLVE(cublasSetStream_v2) && NNM_RESOLVE(cublasSetWorkspace_v2) &&
           NNM_RESOLVE(cublasSetMathMode) && NNM_RESOLVE(cublasSgemmStridedBatched);
#undef NNM_RESOLVE
  if (!ok) {
    memset(&g_blas, 0, sizeof g_blas);
    dlclose(library);
    return;
  }
  g_blas_ok = 1;
}

static int blas_loaded(void) {
  pthread_once(&g_blas_once, load_blas);
  return g_blas_ok;
}

static nnm_status blas_status(cublasStatus_t s) {
  switch (s) {
  case CUBLAS_STATUS_SUCCESS: return NNM_OK;
  case CUBLAS_STATUS_ALLOC_FAILED: return NNM_OUT_OF_MEMORY;
  /* cuBLAS could not start its CUDA runtime (e.g. a driver older than the
   * library needs), or the device lacks what it needs. */
  case CUBLAS_STATUS_NOT_INITIALIZED:
  case CUBLAS_STATUS_ARCH_MISMATCH: return NNM_NO_DEVICE;
  default: return NNM_INTERNAL_ERROR;
  }
}

/*---- attach and release -------------------------------------------------------*/

/* A second attach keeps the first one's handle and returns NNM_OK. On any
 * failure the context is left as it was: no handle, no workspace. */
nnm_status nnm_cuda_blas_attach(nnm_cuda_context *context) {
  if (!context)
    return NNM_INVALID_ARGUMENT;
  if (context->blas)
    return NNM_OK;
  if (!blas_loaded())
    return NNM_NO_DEVICE;
  CUresult r = cuda_context_push(context);
  if (r != CUDA_SUCCESS)
    return cuda_status_of(r);
  cublasHandle_t handle = NULL;
  CUdeviceptr workspace = 0;
  nnm_status s = blas_status(g_blas.cublasCreate_v2(&handle));
  if (s != NNM_OK)
    handle = NULL;
  if (s == NNM_OK)
    s = blas_status(g_blas.cublasSetStream_v2(handle, context->stream));
  if (s == NNM_OK && (r = cuda_mem_alloc(&workspace, NNM_CUBLAS_WORKSPACE_BYTES))) {
    workspace = 0;
    s = cuda_status_of(r);
  }
  if (s == NNM_OK)
    s = blas_status(g_blas.cublasSetWorkspace_v2(handle, (void *)(uintptr_t)workspace,
                                                 NNM_CUBLAS_WORKSPACE_BYTES));
  if (s == NNM_OK)
    s = blas_status(g_blas.cublasSetMathMode(
        handle, context->allow_tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
  if (s == NNM_OK) {
    context->blas = handle;
    context->blas_workspace = workspace;
  } else {
    if (handle) /* before its workspace goes */
      g_blas.cublasDestroy_v2(handle);
    if (workspace)
      cuda_mem_free(workspace);
  }
  cuda_context_pop();
  return s;
}

void cuda_blas_release(nnm_cuda_context *context) {
  if (!context->blas)
    return;
  /* cublasDestroy waits for the handle's work; cuMemFree then frees the
   * workspace that work used. */
  if (cuda_context_push(context) == CUDA_SUCCESS) {
    g_blas.cublasDestroy_v2(context->blas);
    cuda_mem_free(context->blas_workspace);
    cuda_context_pop();
  }
  context->blas = NULL;
  context->blas_workspace = 0;
}

/*---- a GEMM: enqueue only -----------------------------------------------------*/

static int fits_int(int64_t v) { return v >= 0 && v <= INT_MAX; }

/* Dimensions, flags and strides come from the compiler, so wrong ones (or a
 * context that was never attached) are NNM_INTERNAL_ERROR; a null matrix is
 * NNM_INVALID_ARGUMENT, as it may be a caller's buffer. An empty C (batch, m
 * or n zero) is nothing to compute; k must be at least 1 where C is not empty
 * (the compiler writes zeros itself there). */
void nnm_cuda_gemm(nnm_cuda_context *context, int64_t batch, int64_t m, int64_t n, int64_t k,
                   int64_t flags, int64_t stride_a, int64_t stride_b, const void *a,
                   const void *b, void *c) {
  if (!context || context->status != NNM_OK)
    return;
  if (!context->blas || !fits_int(batch) || !fits_int(m) || !fits_int(n) || !fits_int(k) ||
      (flags & ~(int64_t)(NNM_GEMM_TRANS_A | NNM_GEMM_TRANS_B)) || stride_a < 0 ||
      stride_b < 0) {
    cuda_context_fail(context, NNM_INTERNAL_ERROR);
    return;
  }
  if (!batch || !m || !n)
    return;
  if (!k) {
    cuda_context_fail(context, NNM_INTERNAL_ERROR);
    return;
  }
  if (!a || !b || !c) {
    cuda_context_fail(context, NNM_INVALID_ARGUMENT);
    return;
  }
  /* cuBLAS is column-major, where a row-major matrix reads as its transpose:
   * C^T (n x m) = op(B)^T op(A)^T, B first. The leading dimension of a
   * stored matrix is its row length. Host scalars are read before the call
   * returns. */
  const int trans_a = (flags & NNM_GEMM_TRANS_A) != 0, trans_b = (flags & NNM_GEMM_TRANS_B) != 0;
  const float one = 1.0f, zero = 0.0f;
  cublasStatus_t s = g_blas.cublasSgemmStridedBatched(
      context->blas, trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, trans_a ? CUBLAS_OP_T : CUBLAS_OP_N,
      (int)n, (int)m, (int)k, &one, (const float *)b, (int)(trans_b ? k : n), stride_b,
      (const float *)a, (int)(trans_a ? m : k), stride_a, &zero, (float *)c, (int)n, m * n,
      (int)batch);
  cuda_context_fail(context, blas_status(s));
}
