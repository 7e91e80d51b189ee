/*===- FakeCudnn.c - A libcudnn stand-in for the runtime's tests ------------===*/
/* Loaded by runtime/src/cuda_dnn.c through NNM_CUDNN_LIBRARY, next to the
 * fake driver (FakeCudaDriver.c), whose "device memory" is host memory. Only
 * what the runtime calls exists. It records what it is called with, and
 * cudnnConvolutionForward computes the cross-correlation on the host (NCHW
 * f32, padding, strides, dilations and groups honoured; beta 0 does not read
 * y), so tests can check the numbers as well as the arguments.
 *
 * As in the real library, a handle is made for the current context's device:
 * cudnnCreate fails with CUDNN_STATUS_NOT_INITIALIZED unless the calling
 * thread has a context of the fake driver current (asked through the
 * driver's fake_cuda_depth), and a convolution without one fails with
 * CUDNN_STATUS_EXECUTION_FAILED. The heuristics return, best first, an
 * algorithm that is not supported, a tensor-op one (CUDNN_TENSOR_OP_MATH,
 * algorithm 1) and an FMA one (CUDNN_FMA_MATH, algorithm 0); algorithm 0
 * needs an im2col-sized workspace, algorithm 1 256 bytes more, and a forward
 * fails with CUDNN_STATUS_BAD_PARAM when given less or one not 256-byte
 * aligned. fake_cudnn_fail makes the next call of a named function return a
 * status; fake_cudnn_state_get reads the record. */
#include "fake_cudnn_records.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../src/cudnn_types.h"

#define HANDLE_MAGIC 0x444e4e48u
#define TENSOR_MAGIC 0x444e4e54u
#define FILTER_MAGIC 0x444e4e46u
#define CONV_MAGIC 0x444e4e43u

struct cudnnContext {
  unsigned magic;
  CUstream stream;
};
struct cudnnTensorStruct {
  unsigned magic;
  int set, n, c, h, w;
};
struct cudnnFilterStruct {
  unsigned magic;
  int set, k, c, h, w;
};
struct cudnnConvolutionStruct {
  unsigned magic;
  int set, pad_h, pad_w, stride_h, stride_w, dilation_h, dilation_w, mode, groups, math;
};

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static fake_cudnn_state g_state;
static char g_fail_name[64];
static int g_fail_status;

/*---- the fake driver's context depth ----------------------------------------*/

static int (*g_depth)(void);
static pthread_once_t g_depth_once = PTHREAD_ONCE_INIT;

/* The runtime loaded the driver (NNM_CUDA_DRIVER) before any cuDNN call,
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

/* The status fake_cudnn_fail set for `name`, once; else success. */
static cudnnStatus_t injected(const char *name) {
  cudnnStatus_t s = CUDNN_STATUS_SUCCESS;
  pthread_mutex_lock(&g_lock);
  if (g_fail_name[0] && !strcmp(g_fail_name, name)) {
    s = g_fail_status;
    g_fail_name[0] = 0;
  }
  pthread_mutex_unlock(&g_lock);
  return s;
}

static int valid(cudnnHandle_t h) { return h && h->magic == HANDLE_MAGIC; }
static int tensor_ok(cudnnTensorDescriptor_t t) { return t && t->magic == TENSOR_MAGIC && t->set; }
static int filter_ok(cudnnFilterDescriptor_t f) { return f && f->magic == FILTER_MAGIC && f->set; }
static int conv_ok(cudnnConvolutionDescriptor_t c) { return c && c->magic == CONV_MAGIC && c->set; }

static void count_descriptor(int delta) {
  pthread_mutex_lock(&g_lock);
  g_state.live_descriptors += delta;
  pthread_mutex_unlock(&g_lock);
}

/*---- handles ------------------------------------------------------------------*/

cudnnStatus_t cudnnCreate(cudnnHandle_t *handle) {
  cudnnStatus_t s = injected("cudnnCreate");
  if (s)
    return s;
  if (!handle)
    return CUDNN_STATUS_BAD_PARAM;
  int depth = current_depth();
  if (!depth)
    return CUDNN_STATUS_NOT_INITIALIZED;
  cudnnHandle_t h = calloc(1, sizeof *h);
  if (!h)
    return CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED;
  h->magic = HANDLE_MAGIC;
  pthread_mutex_lock(&g_lock);
  ++g_state.creates;
  ++g_state.live;
  g_state.depth_at_create = depth;
  g_state.handle = h;
  pthread_mutex_unlock(&g_lock);
  *handle = h;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnDestroy(cudnnHandle_t handle) {
  if (!valid(handle))
    return CUDNN_STATUS_BAD_PARAM;
  handle->magic = 0;
  free(handle);
  pthread_mutex_lock(&g_lock);
  ++g_state.destroys;
  --g_state.live;
  pthread_mutex_unlock(&g_lock);
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetStream(cudnnHandle_t handle, CUstream stream) {
  cudnnStatus_t s = injected("cudnnSetStream");
  if (s)
    return s;
  if (!valid(handle))
    return CUDNN_STATUS_BAD_PARAM;
  handle->stream = stream;
  pthread_mutex_lock(&g_lock);
  g_state.stream_handle = handle;
  g_state.stream = (void *)stream;
  pthread_mutex_unlock(&g_lock);
  return CUDNN_STATUS_SUCCESS;
}

/*---- descriptors -----------------------------------------------------------------*/

cudnnStatus_t cudnnCreateTensorDescriptor(cudnnTensorDescriptor_t *desc) {
  cudnnStatus_t s = injected("cudnnCreateTensorDescriptor");
  if (s)
    return s;
  if (!desc)
    return CUDNN_STATUS_BAD_PARAM;
  if (!(*desc = calloc(1, sizeof **desc)))
    return CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED;
  (*desc)->magic = TENSOR_MAGIC;
  count_descriptor(1);
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetTensor4dDescriptor(cudnnTensorDescriptor_t desc,
                                         cudnnTensorFormat_t format, cudnnDataType_t type,
                                         int n, int c, int h, int w) {
  cudnnStatus_t s = injected("cudnnSetTensor4dDescriptor");
  if (s)
    return s;
  if (!desc || desc->magic != TENSOR_MAGIC || format != CUDNN_TENSOR_NCHW ||
      type != CUDNN_DATA_FLOAT || n < 1 || c < 1 || h < 1 || w < 1)
    return CUDNN_STATUS_BAD_PARAM;
  desc->n = n, desc->c = c, desc->h = h, desc->w = w, desc->set = 1;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnDestroyTensorDescriptor(cudnnTensorDescriptor_t desc) {
  if (!desc || desc->magic != TENSOR_MAGIC)
    return CUDNN_STATUS_BAD_PARAM;
  desc->magic = 0;
  free(desc);
  count_descriptor(-1);
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnCreateFilterDescriptor(cudnnFilterDescriptor_t *desc) {
  cudnnStatus_t s = injected("cudnnCreateFilterDescriptor");
  if (s)
    return s;
  if (!desc)
    return CUDNN_STATUS_BAD_PARAM;
  if (!(*desc = calloc(1, sizeof **desc)))
    return CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED;
  (*desc)->magic = FILTER_MAGIC;
  count_descriptor(1);
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetFilter4dDescriptor(cudnnFilterDescriptor_t desc, cudnnDataType_t type,
                                         cudnnTensorFormat_t format, int k, int c, int h,
                                         int w) {
  cudnnStatus_t s = injected("cudnnSetFilter4dDescriptor");
  if (s)
    return s;
  if (!desc || desc->magic != FILTER_MAGIC || format != CUDNN_TENSOR_NCHW ||
      type != CUDNN_DATA_FLOAT || k < 1 || c < 1 || h < 1 || w < 1)
    return CUDNN_STATUS_BAD_PARAM;
  desc->k = k, desc->c = c, desc->h = h, desc->w = w, desc->set = 1;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnDestroyFilterDescriptor(cudnnFilterDescriptor_t desc) {
  if (!desc || desc->magic != FILTER_MAGIC)
    return CUDNN_STATUS_BAD_PARAM;
  desc->magic = 0;
  free(desc);
  count_descriptor(-1);
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnCreateConvolutionDescriptor(cudnnConvolutionDescriptor_t *desc) {
  cudnnStatus_t s = injected("cudnnCreateConvolutionDescriptor");
  if (s)
    return s;
  if (!desc)
    return CUDNN_STATUS_BAD_PARAM;
  if (!(*desc = calloc(1, sizeof **desc)))
    return CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED;
  (*desc)->magic = CONV_MAGIC;
  (*desc)->groups = 1;
  (*desc)->math = CUDNN_DEFAULT_MATH;
  count_descriptor(1);
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetConvolution2dDescriptor(cudnnConvolutionDescriptor_t desc, int pad_h,
                                              int pad_w, int u, int v, int dilation_h,
                                              int dilation_w, cudnnConvolutionMode_t mode,
                                              cudnnDataType_t compute_type) {
  cudnnStatus_t s = injected("cudnnSetConvolution2dDescriptor");
  if (s)
    return s;
  if (!desc || desc->magic != CONV_MAGIC || pad_h < 0 || pad_w < 0 || u < 1 || v < 1 ||
      dilation_h < 1 || dilation_w < 1 ||
      (mode != CUDNN_CONVOLUTION && mode != CUDNN_CROSS_CORRELATION) ||
      compute_type != CUDNN_DATA_FLOAT)
    return CUDNN_STATUS_BAD_PARAM;
  desc->pad_h = pad_h, desc->pad_w = pad_w, desc->stride_h = u, desc->stride_w = v;
  desc->dilation_h = dilation_h, desc->dilation_w = dilation_w, desc->mode = mode;
  desc->set = 1;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetConvolutionGroupCount(cudnnConvolutionDescriptor_t desc, int groups) {
  cudnnStatus_t s = injected("cudnnSetConvolutionGroupCount");
  if (s)
    return s;
  if (!desc || desc->magic != CONV_MAGIC || groups < 1)
    return CUDNN_STATUS_BAD_PARAM;
  desc->groups = groups;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetConvolutionMathType(cudnnConvolutionDescriptor_t desc,
                                          cudnnMathType_t math) {
  cudnnStatus_t s = injected("cudnnSetConvolutionMathType");
  if (s)
    return s;
  if (!desc || desc->magic != CONV_MAGIC || math < CUDNN_DEFAULT_MATH || math > CUDNN_FMA_MATH)
    return CUDNN_STATUS_BAD_PARAM;
  desc->math = math;
  pthread_mutex_lock(&g_lock);
  g_state.math = math;
  pthread_mutex_unlock(&g_lock);
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnDestroyConvolutionDescriptor(cudnnConvolutionDescriptor_t desc) {
  if (!desc || desc->magic != CONV_MAGIC)
    return CUDNN_STATUS_BAD_PARAM;
  desc->magic = 0;
  free(desc);
  count_descriptor(-1);
  return CUDNN_STATUS_SUCCESS;
}

/*---- the convolution -------------------------------------------------------------*/

static int out_dim(int in, int pad, int k, int stride, int dilation) {
  int span = dilation * (k - 1) + 1;
  return in + 2 * pad < span ? 0 : (in + 2 * pad - span) / stride + 1;
}

/* The four descriptors agree (cudnnGetConvolution2dForwardOutputDim's shape). */
static int consistent(cudnnTensorDescriptor_t x, cudnnFilterDescriptor_t w,
                      cudnnConvolutionDescriptor_t c, cudnnTensorDescriptor_t y) {
  return tensor_ok(x) && filter_ok(w) && conv_ok(c) && tensor_ok(y) &&
         x->c == w->c * c->groups && w->k % c->groups == 0 && y->n == x->n && y->c == w->k &&
         y->h == out_dim(x->h, c->pad_h, w->h, c->stride_h, c->dilation_h) &&
         y->w == out_dim(x->w, c->pad_w, w->w, c->stride_w, c->dilation_w);
}

static size_t workspace_for(cudnnFilterDescriptor_t w, cudnnTensorDescriptor_t y, int algo) {
  size_t im2col = sizeof(float) * (size_t)w->c * w->h * w->w * y->h * y->w;
  return algo == 1 ? im2col + 256 : algo == 0 ? im2col : 0;
}

cudnnStatus_t cudnnGetConvolutionForwardAlgorithm_v7(
    cudnnHandle_t handle, const cudnnTensorDescriptor_t x, const cudnnFilterDescriptor_t w,
    const cudnnConvolutionDescriptor_t conv, const cudnnTensorDescriptor_t y,
    const int requested, int *returned, cudnnConvolutionFwdAlgoPerf_t *results) {
  cudnnStatus_t s = injected("cudnnGetConvolutionForwardAlgorithm_v7");
  if (s)
    return s;
  if (!valid(handle) || !consistent(x, w, conv, y) || requested < 1 || !returned || !results)
    return CUDNN_STATUS_BAD_PARAM;
  const cudnnConvolutionFwdAlgoPerf_t all[3] = {
      {3, CUDNN_STATUS_NOT_SUPPORTED, -1.0f, 0, 1, conv->math, {0}},
      {1, CUDNN_STATUS_SUCCESS, -1.0f, workspace_for(w, y, 1), 1, CUDNN_TENSOR_OP_MATH, {0}},
      {0, CUDNN_STATUS_SUCCESS, -1.0f, workspace_for(w, y, 0), 1, CUDNN_FMA_MATH, {0}},
  };
  int count = requested < 3 ? requested : 3;
  memcpy(results, all, (size_t)count * sizeof *results);
  *returned = count;
  pthread_mutex_lock(&g_lock);
  ++g_state.algo_queries;
  pthread_mutex_unlock(&g_lock);
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetConvolutionForwardWorkspaceSize(
    cudnnHandle_t handle, const cudnnTensorDescriptor_t x, const cudnnFilterDescriptor_t w,
    const cudnnConvolutionDescriptor_t conv, const cudnnTensorDescriptor_t y,
    cudnnConvolutionFwdAlgo_t algo, size_t *bytes) {
  cudnnStatus_t s = injected("cudnnGetConvolutionForwardWorkspaceSize");
  if (s)
    return s;
  if (!valid(handle) || !consistent(x, w, conv, y) || !bytes || algo < 0 ||
      algo >= CUDNN_CONVOLUTION_FWD_ALGO_COUNT)
    return CUDNN_STATUS_BAD_PARAM;
  *bytes = workspace_for(w, y, algo);
  pthread_mutex_lock(&g_lock);
  if (*bytes > g_state.max_workspace_bytes)
    g_state.max_workspace_bytes = *bytes;
  pthread_mutex_unlock(&g_lock);
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnConvolutionForward(cudnnHandle_t handle, const void *alpha,
                                      const cudnnTensorDescriptor_t xd, const void *x,
                                      const cudnnFilterDescriptor_t wd, const void *w,
                                      const cudnnConvolutionDescriptor_t cd,
                                      cudnnConvolutionFwdAlgo_t algo, void *workspace,
                                      size_t workspace_bytes, const void *beta,
                                      const cudnnTensorDescriptor_t yd, void *y) {
  cudnnStatus_t s = injected("cudnnConvolutionForward");
  if (s)
    return s;
  if (!valid(handle) || !consistent(xd, wd, cd, yd) || !alpha || !beta || !x || !w || !y ||
      (algo != 0 && algo != 1) || workspace_bytes < workspace_for(wd, yd, algo) ||
      (workspace_bytes && !workspace) || (uintptr_t)workspace % 256)
    return CUDNN_STATUS_BAD_PARAM;
  if (!current_depth())
    return CUDNN_STATUS_EXECUTION_FAILED;
  const float a = *(const float *)alpha, b = *(const float *)beta;
  const float *xs = x, *ws = w;
  float *ys = y;
  const int g = cd->groups, cg = wd->c, kg = wd->k / g;
  for (int n = 0; n < yd->n; ++n)
    for (int k = 0; k < yd->c; ++k) {
      const int group = k / kg;
      for (int oh = 0; oh < yd->h; ++oh)
        for (int ow = 0; ow < yd->w; ++ow) {
          float sum = 0;
          for (int c = 0; c < cg; ++c)
            for (int i = 0; i < wd->h; ++i)
              for (int j = 0; j < wd->w; ++j) {
                /* cross-correlation; convolution flips the kernel */
                int fi = cd->mode == CUDNN_CONVOLUTION ? wd->h - 1 - i : i;
                int fj = cd->mode == CUDNN_CONVOLUTION ? wd->w - 1 - j : j;
                int ih = oh * cd->stride_h + i * cd->dilation_h - cd->pad_h;
                int iw = ow * cd->stride_w + j * cd->dilation_w - cd->pad_w;
                if (ih < 0 || ih >= xd->h || iw < 0 || iw >= xd->w)
                  continue;
                size_t xi = (((size_t)n * xd->c + group * cg + c) * xd->h + ih) * xd->w + iw;
                size_t wi = (((size_t)k * cg + c) * wd->h + fi) * wd->w + fj;
                sum += xs[xi] * ws[wi];
              }
          float *out = &ys[(((size_t)n * yd->c + k) * yd->h + oh) * yd->w + ow];
          *out = b == 0 ? a * sum : a * sum + b * *out;
        }
    }
  fake_conv r = {handle, (void *)handle->stream, xd, wd, cd, yd, algo, workspace,
                 workspace_bytes, a, b, x, w, y, xd->n, xd->c, xd->h, xd->w, wd->k, wd->c,
                 wd->h, wd->w, yd->h, yd->w, cd->pad_h, cd->pad_w, cd->stride_h, cd->stride_w,
                 cd->dilation_h, cd->dilation_w, cd->mode, cd->groups, cd->math};
  pthread_mutex_lock(&g_lock);
  ++g_state.forwards;
  g_state.conv = r;
  pthread_mutex_unlock(&g_lock);
  return CUDNN_STATUS_SUCCESS;
}

/*---- for the tests ----------------------------------------------------------------*/

/* Takes void *: -fsanitize=function compares the types of caller and callee,
 * and the C++ test spells the struct its own way. */
void fake_cudnn_state_get(void *out) {
  pthread_mutex_lock(&g_lock);
  memcpy(out, &g_state, sizeof g_state);
  pthread_mutex_unlock(&g_lock);
}

/* The next call of `name` (any function above but the Destroy ones) returns
 * `status`; status 0 clears a pending failure. */
void fake_cudnn_fail(const char *name, int status) {
  pthread_mutex_lock(&g_lock);
  if (status && strlen(name) < sizeof g_fail_name) {
    strcpy(g_fail_name, name);
    g_fail_status = status;
  } else {
    g_fail_name[0] = 0;
  }
  pthread_mutex_unlock(&g_lock);
}
