/*===- cuda_dnn.c - cuDNN for CUDA contexts, loaded at run time -------------===*/
/* See nnm_cuda_dnn_attach and nnm_cuda_conv2d in nnmodel/cuda.h. As with the
 * driver (cuda.c) and cuBLAS (cuda_blas.c), no CUDA header or library is used
 * at build time: cuDNN is opened with dlopen by the first attach of the
 * process, and the entry points needed (cuDNN's legacy convolution API, still
 * in cuDNN 9) are declared below. A missing library or symbol reads as "no
 * device".
 *
 * In cuDNN 9, libcudnn.so.9 is a small dispatch library that exports the
 * whole legacy API (cudnnCreate as well as cudnnConvolutionForward) and loads
 * the sub-libraries (libcudnn_graph, _ops, _cnn, ...) itself, so it is the
 * one to open, as an application linking -lcudnn would.
 *
 * A context gets its handle, bound to its stream, every convolution's
 * descriptors and forward algorithm, and one workspace large enough for all,
 * once, at attach; a convolution only enqueues (no allocation, no wait), so
 * runs stay capturable into a CUDA graph. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* secure_getenv */
#endif
#include "cuda_internal.h"

#include "cudnn_types.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h> /* secure_getenv */
#include <string.h>

enum { CUDA_SUCCESS = 0 };

/* What one attached convolution keeps. */
struct cuda_conv {
  cudnnTensorDescriptor_t x, y;
  cudnnFilterDescriptor_t w;
  cudnnConvolutionDescriptor_t conv;
  cudnnConvolutionFwdAlgo_t algo;
};

/*---- the library ------------------------------------------------------------*/

typedef struct dnn_api {
  cudnnStatus_t (*cudnnCreate)(cudnnHandle_t *handle);
  cudnnStatus_t (*cudnnDestroy)(cudnnHandle_t handle);
  cudnnStatus_t (*cudnnSetStream)(cudnnHandle_t handle, CUstream stream);
  cudnnStatus_t (*cudnnCreateTensorDescriptor)(cudnnTensorDescriptor_t *desc);
  cudnnStatus_t (*cudnnSetTensor4dDescriptor)(cudnnTensorDescriptor_t desc,
                                              cudnnTensorFormat_t format,
                                              cudnnDataType_t type, int n, int c, int h, int w);
  cudnnStatus_t (*cudnnDestroyTensorDescriptor)(cudnnTensorDescriptor_t desc);
  cudnnStatus_t (*cudnnCreateFilterDescriptor)(cudnnFilterDescriptor_t *desc);
  cudnnStatus_t (*cudnnSetFilter4dDescriptor)(cudnnFilterDescriptor_t desc,
                                              cudnnDataType_t type,
                                              cudnnTensorFormat_t format, int k, int c, int h,
                                              int w);
  cudnnStatus_t (*cudnnDestroyFilterDescriptor)(cudnnFilterDescriptor_t desc);
  cudnnStatus_t (*cudnnCreateConvolutionDescriptor)(cudnnConvolutionDescriptor_t *desc);
  cudnnStatus_t (*cudnnSetConvolution2dDescriptor)(cudnnConvolutionDescriptor_t desc, int pad_h,
                                                   int pad_w, int u, int v, int dilation_h,
                                                   int dilation_w, cudnnConvolutionMode_t mode,
                                                   cudnnDataType_t compute_type);
  cudnnStatus_t (*cudnnSetConvolutionGroupCount)(cudnnConvolutionDescriptor_t desc, int groups);
  cudnnStatus_t (*cudnnSetConvolutionMathType)(cudnnConvolutionDescriptor_t desc,
                                               cudnnMathType_t math);
  cudnnStatus_t (*cudnnDestroyConvolutionDescriptor)(cudnnConvolutionDescriptor_t desc);
  cudnnStatus_t (*cudnnGetConvolutionForwardAlgorithm_v7)(
      cudnnHandle_t handle, const cudnnTensorDescriptor_t x, const cudnnFilterDescriptor_t w,
      const cudnnConvolutionDescriptor_t conv, const cudnnTensorDescriptor_t y,
      const int requested, int *returned, cudnnConvolutionFwdAlgoPerf_t *results);
  cudnnStatus_t (*cudnnGetConvolutionForwardWorkspaceSize)(
      cudnnHandle_t handle, const cudnnTensorDescriptor_t x, const cudnnFilterDescriptor_t w,
      const cudnnConvolutionDescriptor_t conv, const cudnnTensorDescriptor_t y,
      cudnnConvolutionFwdAlgo_t algo, size_t *bytes);
  cudnnStatus_t (*cudnnConvolutionForward)(
      cudnnHandle_t handle, const void *alpha, const cudnnTensorDescriptor_t x_desc,
      const void *x, const cudnnFilterDescriptor_t w_desc, const void *w,
      const cudnnConvolutionDescriptor_t conv, cudnnConvolutionFwdAlgo_t algo, void *workspace,
      size_t workspace_bytes, const void *beta, const cudnnTensorDescriptor_t y_desc, void *y);
} dnn_api;

static dnn_api g_dnn;
static int g_dnn_ok;
static pthread_once_t g_dnn_once = PTHREAD_ONCE_INIT;

/* NNM_CUDNN_LIBRARY names another library (tests use a fake or a missing
 * file); secure_getenv ignores it in set-user-ID programs, as for the driver. */
static const char *dnn_name(void) {
  const char *name = secure_getenv("NNM_CUDNN_LIBRARY");
  return name && *name ? name : "libcudnn.so.9";
}

/* Runs once per process; a library that loaded stays loaded (handles may
 * live until exit). */
static void load_dnn(void) {
  void *library = dlopen(dnn_name(), RTLD_NOW | RTLD_LOCAL);
  if (!library)
    return;
#define NNM_RESOLVE(name) cuda_resolve(library, #name, &g_dnn.name)
  int ok = NNM_RESOLVE(cudnnCreate) && NNM_RESOLVE(cudnnDestroy) &&
           NNM_RESOLVE(cudnnSetStream) && NNM_RESOLVE(cudnnCreateTensorDescriptor) &&
           NNM_RESOLVE(cudnnSetTensor4dDescriptor) &&
           NNM_RESOLVE(cudnnDestroyTensorDescriptor) &&
           NNM_RESOLVE(cudnnCreateFilterDescriptor) && NNM_RESOLVE(cudnnSetFilter4dDescriptor) &&
           NNM_RESOLVE(cudnnDestroyFilterDescriptor) &&
           NNM_RESOLVE(cudnnCreateConvolutionDescriptor) &&
           NNM_RESOLVE(cudnnSetConvolution2dDescriptor) &&
           NNM_RESOLVE(cudnnSetConvolutionGroupCount) &&
           NNM_RESOLVE(cudnnSetConvolutionMathType) &&
           NNM_RESOLVE(cudnnDestroyConvolutionDescriptor) &&
           NNM_RESOLVE(cudnnGetConvolutionForwardAlgorithm_v7) &&
           NNM_RESOLVE(cudnnGetConvolutionForwardWorkspaceSize) &&
           NNM_RESOLVE(cudnnConvolutionForward);
#undef NNM_RESOLVE
  if (!ok) {
    memset(&g_dnn, 0, sizeof g_dnn);
    dlclose(library);
    return;
  }
  g_dnn_ok = 1;
}

static int dnn_loaded(void) {
  pthread_once(&g_dnn_once, load_dnn);
  return g_dnn_ok;
}

/* cuDNN 9's statuses come in families of a thousand (cudnn_graph.h). */
static nnm_status dnn_status(cudnnStatus_t s) {
  switch (s) {
  case CUDNN_STATUS_SUCCESS: return NNM_OK;
  case CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED:
  case CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED: return NNM_OUT_OF_MEMORY;
  /* The library or the device cannot run cuDNN: a driver older than cuDNN
   * needs (3005), a GPU it does not support (3007), a missing runtime
   * prerequisite (3008) or sub-library (3009). */
  case CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDA_DRIVER:
  case CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDA_DRIVER + 1:
  case CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH:
  case CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH + 1:
  case CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH + 2: return NNM_NO_DEVICE;
  default:
    /* 1001-1008: not initialised (no CUDA context, a sub-library missing or
     * of another version). */
    return s / 1000 == 1 ? NNM_NO_DEVICE : NNM_INTERNAL_ERROR;
  }
}

/*---- descriptors ------------------------------------------------------------*/

static int fits_int(int64_t v) { return v >= 1 && v <= INT_MAX; }

/* a * b * c * d <= INT_MAX, for factors that each fit an int: cuDNN limits a
 * tensor to 2^31 elements (and its 4-d descriptors keep strides as ints). */
static int product_fits_int(int64_t a, int64_t b, int64_t c, int64_t d) {
  int64_t p = a * b; /* < 2^62 */
  if (p > INT_MAX)
    return 0;
  p *= c;
  return p <= INT_MAX && p * d <= INT_MAX;
}

/* The output extent of a padded input of `in` with a kernel of `k`. */
static int64_t out_extent(int64_t in, int64_t k, int64_t stride, int64_t dilation) {
  int64_t span = dilation * (k - 1) + 1; /* < 2^62 */
  return in < span ? 0 : (in - span) / stride + 1;
}

/* One descriptor's words: every size positive and an int, C and K multiples
 * of GROUPS, OH and OW what the (unpadded) convolution gives, and each
 * tensor at most INT_MAX elements. */
static int valid_desc(const int64_t *d) {
  for (int i = 0; i < NNM_CONV_WORDS; ++i)
    if (!fits_int(d[i]))
      return 0;
  const int64_t g = d[NNM_CONV_GROUPS];
  return d[NNM_CONV_C] % g == 0 && d[NNM_CONV_K] % g == 0 &&
         d[NNM_CONV_OH] == out_extent(d[NNM_CONV_H], d[NNM_CONV_KH], d[NNM_CONV_STRIDE_H],
                                      d[NNM_CONV_DILATION_H]) &&
         d[NNM_CONV_OW] == out_extent(d[NNM_CONV_W], d[NNM_CONV_KW], d[NNM_CONV_STRIDE_W],
                                      d[NNM_CONV_DILATION_W]) &&
         product_fits_int(d[NNM_CONV_N], d[NNM_CONV_C], d[NNM_CONV_H], d[NNM_CONV_W]) &&
         product_fits_int(d[NNM_CONV_N], d[NNM_CONV_K], d[NNM_CONV_OH], d[NNM_CONV_OW]) &&
         product_fits_int(d[NNM_CONV_K], d[NNM_CONV_C] / g, d[NNM_CONV_KH], d[NNM_CONV_KW]);
}

static void destroy_conv(struct cuda_conv *c) {
  if (c->conv)
    g_dnn.cudnnDestroyConvolutionDescriptor(c->conv);
  if (c->w)
    g_dnn.cudnnDestroyFilterDescriptor(c->w);
  if (c->y)
    g_dnn.cudnnDestroyTensorDescriptor(c->y);
  if (c->x)
    g_dnn.cudnnDestroyTensorDescriptor(c->x);
  memset(c, 0, sizeof *c);
}

/* Math for f32 convolutions. Without allow_tf32, CUDNN_FMA_MATH: the only
 * mode that keeps cuDNN 8/9 off TF32 tensor cores for float data
 * (CUDNN_DEFAULT_MATH permits TF32 on Ampere and newer; PyTorch makes the
 * same choice for allow_tf32=False). With it, CUDNN_TENSOR_OP_MATH: tensor
 * cores (TF32 for float) without CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION's
 * down-conversion of the data to half precision. */
static cudnnMathType_t conv_math(const nnm_cuda_context *context) {
  return context->allow_tf32 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH;
}

/* Builds one convolution's descriptors, picks its algorithm and adds its
 * workspace to *workspace (the maximum). On failure what was made stays in
 * `c` for the caller to destroy. */
static nnm_status build_conv(nnm_cuda_context *context, cudnnHandle_t handle, const int64_t *d,
                             struct cuda_conv *c, size_t *workspace) {
  const int n = (int)d[NNM_CONV_N], ci = (int)d[NNM_CONV_C], k = (int)d[NNM_CONV_K],
            g = (int)d[NNM_CONV_GROUPS];
  cudnnStatus_t s = g_dnn.cudnnCreateTensorDescriptor(&c->x);
  if (s) {
    c->x = NULL;
    return dnn_status(s);
  }
  if ((s = g_dnn.cudnnCreateTensorDescriptor(&c->y))) {
    c->y = NULL;
    return dnn_status(s);
  }
  if ((s = g_dnn.cudnnCreateFilterDescriptor(&c->w))) {
    c->w = NULL;
    return dnn_status(s);
  }
  if ((s = g_dnn.cudnnCreateConvolutionDescriptor(&c->conv))) {
    c->conv = NULL;
    return dnn_status(s);
  }
  const cudnnMathType_t math = conv_math(context);
  if ((s = g_dnn.cudnnSetTensor4dDescriptor(c->x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, n, ci,
                                            (int)d[NNM_CONV_H], (int)d[NNM_CONV_W])) ||
      (s = g_dnn.cudnnSetTensor4dDescriptor(c->y, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, n, k,
                                            (int)d[NNM_CONV_OH], (int)d[NNM_CONV_OW])) ||
      (s = g_dnn.cudnnSetFilter4dDescriptor(c->w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, k, ci / g,
                                            (int)d[NNM_CONV_KH], (int)d[NNM_CONV_KW])) ||
      (s = g_dnn.cudnnSetConvolution2dDescriptor(
           c->conv, 0, 0, (int)d[NNM_CONV_STRIDE_H], (int)d[NNM_CONV_STRIDE_W],
           (int)d[NNM_CONV_DILATION_H], (int)d[NNM_CONV_DILATION_W], CUDNN_CROSS_CORRELATION,
           CUDNN_DATA_FLOAT)) ||
      (s = g_dnn.cudnnSetConvolutionGroupCount(c->conv, g)) ||
      (s = g_dnn.cudnnSetConvolutionMathType(c->conv, math)))
    return dnn_status(s);
  /* cuDNN's heuristics, best first (no timing runs). Each result names the
   * math it needs, which the descriptor must then carry (cuDNN's guide for
   * cudnnGetConvolutionForwardAlgorithm_v7); without allow_tf32 only FMA
   * results qualify. */
  cudnnConvolutionFwdAlgoPerf_t results[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
  memset(results, 0, sizeof results);
  int returned = 0;
  if ((s = g_dnn.cudnnGetConvolutionForwardAlgorithm_v7(handle, c->x, c->w, c->conv, c->y,
                                                        CUDNN_CONVOLUTION_FWD_ALGO_COUNT,
                                                        &returned, results)))
    return dnn_status(s);
  if (returned > CUDNN_CONVOLUTION_FWD_ALGO_COUNT)
    returned = CUDNN_CONVOLUTION_FWD_ALGO_COUNT;
  const cudnnConvolutionFwdAlgoPerf_t *chosen = NULL;
  for (int i = 0; i < returned && !chosen; ++i)
    if (results[i].status == CUDNN_STATUS_SUCCESS &&
        (context->allow_tf32 || results[i].mathType == CUDNN_FMA_MATH))
      chosen = &results[i];
  if (!chosen)
    return NNM_INTERNAL_ERROR; /* no algorithm for this convolution */
  if (chosen->mathType != math &&
      (s = g_dnn.cudnnSetConvolutionMathType(c->conv, chosen->mathType)))
    return dnn_status(s);
  c->algo = chosen->algo;
  size_t bytes = 0;
  if ((s = g_dnn.cudnnGetConvolutionForwardWorkspaceSize(handle, c->x, c->w, c->conv, c->y,
                                                         c->algo, &bytes)))
    return dnn_status(s);
  if (bytes > *workspace)
    *workspace = bytes;
  return NNM_OK;
}

/*---- attach and release -------------------------------------------------------*/

static void release(cudnnHandle_t handle, struct cuda_conv *convs, int32_t count,
                    CUdeviceptr workspace) {
  for (int32_t i = 0; convs && i < count; ++i)
    destroy_conv(&convs[i]);
  free(convs);
  /* cudnnDestroy waits for the handle's work; cuMemFree then frees the
   * workspace that work used. */
  if (handle)
    g_dnn.cudnnDestroy(handle);
  if (workspace)
    cuda_mem_free(workspace);
}

/* A second attach, as cuBLAS's, keeps what the first one made and returns
 * NNM_OK; its descriptors are not read (a model attaches its one list).
 * The descriptors are checked before cuDNN is loaded, so wrong ones are
 * NNM_INVALID_ARGUMENT on any machine. On any failure the context is left
 * as it was: no handle, no descriptors, no workspace. No convolution needs
 * a workspace when every algorithm chosen asks for 0 bytes; then none is
 * allocated and cuDNN is given NULL. */
nnm_status nnm_cuda_dnn_attach(nnm_cuda_context *context, const int64_t *descs, int32_t count) {
  if (!context)
    return NNM_INVALID_ARGUMENT;
  if (context->dnn)
    return NNM_OK;
  if (count < 0 || (count > 0 && !descs))
    return NNM_INVALID_ARGUMENT;
  for (int32_t i = 0; i < count; ++i)
    if (!valid_desc(descs + (size_t)i * NNM_CONV_WORDS))
      return NNM_INVALID_ARGUMENT;
  if (!dnn_loaded())
    return NNM_NO_DEVICE;
  struct cuda_conv *convs = NULL;
  if (count > 0 && !(convs = calloc((size_t)count, sizeof *convs)))
    return NNM_OUT_OF_MEMORY;
  CUresult r = cuda_context_push(context);
  if (r != CUDA_SUCCESS) {
    free(convs);
    return cuda_status_of(r);
  }
  cudnnHandle_t handle = NULL;
  CUdeviceptr workspace = 0;
  size_t workspace_bytes = 0;
  nnm_status s = dnn_status(g_dnn.cudnnCreate(&handle));
  if (s != NNM_OK)
    handle = NULL;
  if (s == NNM_OK)
    s = dnn_status(g_dnn.cudnnSetStream(handle, context->stream));
  for (int32_t i = 0; s == NNM_OK && i < count; ++i)
    s = build_conv(context, handle, descs + (size_t)i * NNM_CONV_WORDS, &convs[i],
                   &workspace_bytes);
  /* cuMemAlloc's memory is 256-byte aligned, as cuDNN wants a workspace. */
  if (s == NNM_OK && workspace_bytes && (r = cuda_mem_alloc(&workspace, workspace_bytes))) {
    workspace = 0;
    s = cuda_status_of(r);
  }
  if (s == NNM_OK) {
    context->dnn = handle;
    context->convs = convs;
    context->num_convs = count;
    context->dnn_workspace = workspace;
    context->dnn_workspace_bytes = workspace_bytes;
  } else {
    release(handle, convs, count, workspace);
  }
  cuda_context_pop();
  return s;
}

void cuda_dnn_release(nnm_cuda_context *context) {
  if (!context->dnn)
    return;
  if (cuda_context_push(context) == CUDA_SUCCESS) {
    release(context->dnn, context->convs, context->num_convs, context->dnn_workspace);
    cuda_context_pop();
  } else {
    free(context->convs);
  }
  context->dnn = NULL;
  context->convs = NULL;
  context->num_convs = 0;
  context->dnn_workspace = 0;
  context->dnn_workspace_bytes = 0;
}

/*---- a convolution: enqueue only -------------------------------------------------*/

/* An index outside the attached list (or a context never attached) is the
 * compiler's mistake, NNM_INTERNAL_ERROR; a null tensor is
 * NNM_INVALID_ARGUMENT, as it may be a caller's buffer. */
void nnm_cuda_conv2d(nnm_cuda_context *context, int32_t index, const void *x, const void *w,
                     void *y) {
  if (!context || context->status != NNM_OK)
    return;
  if (!context->dnn || index < 0 || index >= context->num_convs) {
    cuda_context_fail(context, NNM_INTERNAL_ERROR);
    return;
  }
  if (!x || !w || !y) {
    cuda_context_fail(context, NNM_INVALID_ARGUMENT);
    return;
  }
  const struct cuda_conv *c = &context->convs[index];
  /* f32 data: alpha and beta are host floats, read before the call returns;
   * beta 0 overwrites y without reading it. */
  const float one = 1.0f, zero = 0.0f;
  cudnnStatus_t s = g_dnn.cudnnConvolutionForward(
      context->dnn, &one, c->x, x, c->w, w, c->conv, c->algo,
      (void *)(uintptr_t)context->dnn_workspace, context->dnn_workspace_bytes, &zero, c->y, y);
  cuda_context_fail(context, dnn_status(s));
}
