/*===- FakeCublas.c - A libcublas stand-in for the runtime's tests ----------===*/
/* Loaded by runtime/src/cuda_blas.c through NNM_CUBLAS_LIBRARY, next to the
 * fake driver (FakeCudaDriver.c), whose "device memory" is host memory. Only
 * what the runtime calls exists. It records what it is called with, and
 * cublasSgemmStridedBatched computes the product on the host, as a plain
 * column-major GEMM (reference BLAS semantics: beta 0 does not read C), so
 * tests can check the numbers as well as the arguments.
 *
 * As in the real library, a handle is made for the current context's device:
 * cublasCreate_v2 fails with CUBLAS_STATUS_NOT_INITIALIZED unless the calling
 * thread has a context of the fake driver current (asked through the
 * driver's fake_cuda_depth), and a GEMM without one fails with
 * CUBLAS_STATUS_EXECUTION_FAILED. A workspace must be 256-byte aligned.
 * fake_cublas_fail makes the next call of a named function return a status;
 * fake_cublas_state_get reads the record. */
#include "fake_cublas_records.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../src/cublas_types.h"

#define FAKE_MAGIC 0x426c6173u

struct cublasContext {
  unsigned magic;
  CUstream stream;
  void *workspace;
  size_t workspace_bytes;
  cublasMath_t math;
};

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static fake_cublas_state g_state;
static char g_fail_name[64];
static int g_fail_status;

/*---- the fake driver's context depth ----------------------------------------*/

static int (*g_depth)(void);
static pthread_once_t g_depth_once = PTHREAD_ONCE_INIT;

/* The runtime loaded the driver (NNM_CUDA_DRIVER) before any cuBLAS call,
 * and never closes it, so the function stays valid after dlclose. */
static void find_driver(void) {
  const char *name = getenv("NNM_CUDA_DRIVER");
  void *lib = name && *name ? dlopen(name, RTLD_NOW | RTLD_NOLOAD) : NULL;
  if (!lib)
    return;
  void *p = dlsym(lib, "fake_cuda_depth");
  memcpy(&g_depth, &p, sizeof p);
  dlclose(lib);
}

static int current_depth(void) {
  pthread_once(&g_depth_once, find_driver);
  return g_depth ? g_depth() : 0;
}

/* The status fake_cublas_fail set for `name`, once; else success. */
static cublasStatus_t injected(const char *name) {
  cublasStatus_t s = CUBLAS_STATUS_SUCCESS;
  pthread_mutex_lock(&g_lock);
  if (g_fail_name[0] && !strcmp(g_fail_name, name)) {
    s = g_fail_status;
    g_fail_name[0] = 0;
  }
  pthread_mutex_unlock(&g_lock);
  return s;
}

static int valid(cublasHandle_t h) { return h && h->magic == FAKE_MAGIC; }

/*---- the API --------------------------------------------------------------------*/

cublasStatus_t cublasCreate_v2(cublasHandle_t *handle) {
  cublasStatus_t s = injected("cublasCreate_v2");
  if (s)
    return s;
  if (!handle)
    return CUBLAS_STATUS_INVALID_VALUE;
  int depth = current_depth();
  if (!depth)
    return CUBLAS_STATUS_NOT_INITIALIZED;
  cublasHandle_t h = calloc(1, sizeof *h);
  if (!h)
    return CUBLAS_STATUS_ALLOC_FAILED;
  h->magic = FAKE_MAGIC;
  pthread_mutex_lock(&g_lock);
  ++g_state.creates;
  ++g_state.live;
  g_state.depth_at_create = depth;
  g_state.handle = h;
  pthread_mutex_unlock(&g_lock);
  *handle = h;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasDestroy_v2(cublasHandle_t handle) {
  if (!valid(handle))
    return CUBLAS_STATUS_NOT_INITIALIZED;
  handle->magic = 0;
  free(handle);
  pthread_mutex_lock(&g_lock);
  ++g_state.destroys;
  --g_state.live;
  pthread_mutex_unlock(&g_lock);
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, CUstream stream) {
  cublasStatus_t s = injected("cublasSetStream_v2");
  if (s)
    return s;
  if (!valid(handle))
    return CUBLAS_STATUS_NOT_INITIALIZED;
  handle->stream = stream;
  pthread_mutex_lock(&g_lock);
  g_state.stream_handle = handle;
  g_state.stream = (void *)stream;
  pthread_mutex_unlock(&g_lock);
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetWorkspace_v2(cublasHandle_t handle, void *workspace, size_t bytes) {
  cublasStatus_t s = injected("cublasSetWorkspace_v2");
  if (s)
    return s;
  if (!valid(handle))
    return CUBLAS_STATUS_NOT_INITIALIZED;
  if ((uintptr_t)workspace % 256 || (!workspace && bytes))
    return CUBLAS_STATUS_INVALID_VALUE;
  handle->workspace = workspace;
  handle->workspace_bytes = bytes;
  pthread_mutex_lock(&g_lock);
  g_state.workspace_handle = handle;
  g_state.workspace = workspace;
  g_state.workspace_bytes = bytes;
  pthread_mutex_unlock(&g_lock);
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode) {
  cublasStatus_t s = injected("cublasSetMathMode");
  if (s)
    return s;
  if (!valid(handle))
    return CUBLAS_STATUS_NOT_INITIALIZED;
  handle->math = mode;
  pthread_mutex_lock(&g_lock);
  g_state.math_handle = handle;
  g_state.math = mode;
  pthread_mutex_unlock(&g_lock);
  return CUBLAS_STATUS_SUCCESS;
}

static int max1(int v) { return v > 1 ? v : 1; }

/* Column-major: op(A) is m x k, op(B) k x n, C m x n. */
cublasStatus_t cublasSgemmStridedBatched(cublasHandle_t handle, cublasOperation_t transa,
                                         cublasOperation_t transb, int m, int n, int k,
                                         const float *alpha, const float *a, int lda,
                                         long long stride_a, const float *b, int ldb,
                                         long long stride_b, const float *beta, float *c,
                                         int ldc, long long stride_c, int batch) {
  cublasStatus_t s = injected("cublasSgemmStridedBatched");
  if (s)
    return s;
  if (!valid(handle))
    return CUBLAS_STATUS_NOT_INITIALIZED;
  const int ta = transa == CUBLAS_OP_T, tb = transb == CUBLAS_OP_T;
  if ((transa != CUBLAS_OP_N && !ta) || (transb != CUBLAS_OP_N && !tb) || m < 0 || n < 0 ||
      k < 0 || batch < 0 || lda < max1(ta ? k : m) || ldb < max1(tb ? n : k) ||
      ldc < max1(m) || !alpha || !beta)
    return CUBLAS_STATUS_INVALID_VALUE;
  if (!current_depth())
    return CUBLAS_STATUS_EXECUTION_FAILED;
  for (int p = 0; p < batch; ++p) {
    const float *ap = a + p * stride_a, *bp = b + p * stride_b;
    float *cp = c + p * stride_c;
    for (int j = 0; j < n; ++j)
      for (int i = 0; i < m; ++i) {
        float sum = 0;
        for (int l = 0; l < k; ++l) {
          float x = ta ? ap[l + (long long)i * lda] : ap[i + (long long)l * lda];
          float y = tb ? bp[j + (long long)l * ldb] : bp[l + (long long)j * ldb];
          sum += x * y;
        }
        float *out = &cp[i + (long long)j * ldc];
        *out = *beta == 0 ? *alpha * sum : *alpha * sum + *beta * *out;
      }
  }
  fake_gemm g = {handle, (void *)handle->stream, handle->workspace, handle->math,
                 transa, transb, m, n, k, *alpha, *beta, a, lda, stride_a, b, ldb, stride_b,
                 c, ldc, stride_c, batch};
  pthread_mutex_lock(&g_lock);
  ++g_state.gemms;
  g_state.gemm = g;
  pthread_mutex_unlock(&g_lock);
  return CUBLAS_STATUS_SUCCESS;
}

/*---- for the tests ----------------------------------------------------------------*/

/* Takes void *: the C++ test spells the struct its own way, and
 * -fsanitize=function compares the types of caller and callee. */
void fake_cublas_state_get(void *out) {
  pthread_mutex_lock(&g_lock);
  memcpy(out, &g_state, sizeof g_state);
  pthread_mutex_unlock(&g_lock);
}

/* The next call of `name` (cublasCreate_v2, cublasSetStream_v2,
 * cublasSetWorkspace_v2, cublasSetMathMode, cublasSgemmStridedBatched)
 * returns `status`; status 0 clears a pending failure. */
void fake_cublas_fail(const char *name, int status) {
  pthread_mutex_lock(&g_lock);
  if (status && strlen(name) < sizeof g_fail_name) {
    strcpy(g_fail_name, name);
    g_fail_status = status;
  } else {
    g_fail_name[0] = 0;
  }
  pthread_mutex_unlock(&g_lock);
}
