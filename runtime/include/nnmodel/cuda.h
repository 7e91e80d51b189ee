/*===- nnmodel/cuda.h - CUDA contexts for models compiled with --target cuda ===*/
/* A model compiled for `cuda` carries its device code (a cubin per requested
 * architecture, plus PTX for newer GPUs) inside its static library. The
 * runtime loads the CUDA driver (libcuda.so.1) with dlopen when the first CUDA
 * context is created, so a program that links such a model links and runs on
 * a machine without CUDA: creating a CUDA context there returns NNM_NO_DEVICE.
 *
 * The model's generated header wraps these calls with its own name and major
 * version (NAME_vN_cuda_create / _cuda_run / _cuda_run_host); applications use
 * those. The second half of this file is the interface that generated code
 * calls, documented for the runtime's tests. */
#ifndef NNMODEL_CUDA_H
#define NNMODEL_CUDA_H

#include "nnmodel/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Options of a CUDA context. Initialise with nnm_cuda_options_init(). */
typedef struct nnm_cuda_options {
  uint32_t struct_size; /**< sizeof(nnm_cuda_options); 0 = this layout */
  int32_t device;       /**< CUDA device ordinal (default 0) */
  void *stream;         /**< the CUstream / cudaStream_t that runs enqueue on;
                             NULL = the device's legacy default stream */
  void *arena;          /**< caller-provided device memory, or NULL to allocate */
  size_t arena_bytes;   /**< size of `arena` when it is given */
  int32_t allow_tf32;   /**< cuBLAS may round matrix products' inputs to TF32 on
                             tensor cores (faster, 10-bit mantissa); default 0:
                             plain f32 */
} nnm_cuda_options;

NNM_API void nnm_cuda_options_init(nnm_cuda_options *options);

/** Number of CUDA devices. NNM_NO_DEVICE (and *count = 0) when the driver
 *  cannot be loaded or initialised, or reports no device. */
NNM_API nnm_status nnm_cuda_device_count(int32_t *count);

/*---- The interface generated code calls -----------------------------------*/

/** One device image of a model: a cubin for `sm` (e.g. 80 for sm_80), or the
 *  PTX text (NUL-terminated) that the driver compiles for newer devices. */
typedef struct nnm_cuda_image {
  int32_t sm;
  int32_t is_ptx;
  const void *data;
  int64_t bytes;
} nnm_cuda_image;

/** Everything a model's device side needs, emitted as a constant by the compiler. */
typedef struct nnm_cuda_model {
  const nnm_cuda_image *images;
  int32_t num_images;
  int32_t num_kernels;
  const char *const *kernel_names; /**< entry points, launched by index */
  const void *weights;             /**< host copy of every constant the kernels read */
  int64_t weights_bytes;           /**< uploaded once per device, shared by contexts */
  int64_t arena_bytes;             /**< device scratch one context needs */
  int64_t staging_bytes;           /**< extra device bytes for run_host's inputs/outputs */
} nnm_cuda_model;

typedef struct nnm_cuda_context nnm_cuda_context;

/** Creates a context on options->device (0 when options is NULL). `slot` is the
 *  model's own pointer-sized static, where the runtime keeps what all contexts
 *  of the model share (per device: the loaded module, its functions, the
 *  weights in device memory). Thread-safe. The arena (arena_bytes +
 *  staging_bytes, 256-byte aligned) is allocated here unless options->arena
 *  is given. NNM_NO_DEVICE when there is no driver, no such device, or no
 *  image the device can load. */
NNM_API nnm_status nnm_cuda_context_create(const nnm_cuda_model *model, void **slot,
                                           const nnm_cuda_options *options,
                                           nnm_cuda_context **out);
NNM_API void nnm_cuda_context_destroy(nnm_cuda_context *context);

/** Device addresses of the context's arena, of its staging area (just after
 *  the arena) and of the model's weights on the context's device. */
NNM_API void *nnm_cuda_context_arena(const nnm_cuda_context *context);
NNM_API void *nnm_cuda_context_staging(const nnm_cuda_context *context);
NNM_API void *nnm_cuda_context_weights(const nnm_cuda_context *context);

/** Makes the context's CUDA context current on the calling thread (undone by
 *  nnm_cuda_end). Launches between the two enqueue on the context's stream. */
NNM_API nnm_status nnm_cuda_begin(nnm_cuda_context *context);
/** Enqueues kernel `kernel` with a 1-D grid of `blocks` blocks of `threads`
 *  threads; params[i] points at the i-th kernel parameter. A failure is kept in
 *  the context and returned by nnm_cuda_end. Never synchronizes. */
NNM_API void nnm_cuda_launch(nnm_cuda_context *context, int32_t kernel, uint32_t blocks,
                             uint32_t threads, void **params);
/** Asynchronous copies on the context's stream (host memory should be pinned
 *  for them to overlap; pageable memory works too). */
NNM_API void nnm_cuda_copy_to_device(nnm_cuda_context *context, void *device,
                                     const void *host, size_t bytes);
NNM_API void nnm_cuda_copy_to_host(nnm_cuda_context *context, void *host, const void *device,
                                   size_t bytes);
/** Waits for the context's stream (run_host only; run never waits). */
NNM_API void nnm_cuda_synchronize(nnm_cuda_context *context);
/** Restores the calling thread's CUDA context and returns the first failure
 *  since nnm_cuda_begin (NNM_OK when none). */
NNM_API nnm_status nnm_cuda_end(nnm_cuda_context *context);

/*---- cuBLAS, for models whose matrix products are library calls -----------*/

/** Flags of nnm_cuda_gemm. */
enum { NNM_GEMM_TRANS_A = 1, NNM_GEMM_TRANS_B = 2 };

/** Gives the context a cuBLAS handle bound to its stream, with a device
 *  workspace of its own, both made here and never per run (so runs stay
 *  capturable into a CUDA graph). The generated create calls it for models
 *  with library GEMMs. cuBLAS (libcublas.so.13, or the library that
 *  NNM_CUBLAS_LIBRARY names) is opened with dlopen once per process; where it
 *  is missing this returns NNM_NO_DEVICE. Honours options.allow_tf32. A
 *  second call on an attached context does nothing and returns NNM_OK; a
 *  failed one leaves the context as it was (launches still work). */
NNM_API nnm_status nnm_cuda_blas_attach(nnm_cuda_context *context);

/** Enqueues, between nnm_cuda_begin and nnm_cuda_end, `batch` products
 *  C = op(A) op(B) of row-major f32 matrices through cuBLAS: op(A) is m x k (A
 *  stored k x m with NNM_GEMM_TRANS_A), op(B) is k x n (B stored n x k with
 *  NNM_GEMM_TRANS_B), C is m x n, dense. stride_a and stride_b count the
 *  elements from one batch's A or B to the next (0: one matrix for every
 *  batch); C's is m * n. Device pointers. An empty C (batch, m or n 0)
 *  enqueues nothing; otherwise k must be at least 1. A failure (or a context
 *  without nnm_cuda_blas_attach) is kept in the context, as a launch's is. */
NNM_API void nnm_cuda_gemm(nnm_cuda_context *context, int64_t batch, int64_t m, int64_t n,
                           int64_t k, int64_t flags, int64_t stride_a, int64_t stride_b,
                           const void *a, const void *b, void *c);

/*---- cuDNN, for models whose convolutions are library calls ---------------*/

/** The words of one convolution's descriptor (nnm_cuda_dnn_attach): x is NCHW
 *  [N, C, H, W] f32, already padded (cuDNN is given no padding); w is
 *  [K, C / GROUPS, KH, KW]; y is NCHW [N, K, OH, OW]. Strides and dilations
 *  are 1 for a dense convolution. */
enum {
  NNM_CONV_N, NNM_CONV_C, NNM_CONV_H, NNM_CONV_W, NNM_CONV_K, NNM_CONV_KH, NNM_CONV_KW,
  NNM_CONV_OH, NNM_CONV_OW, NNM_CONV_STRIDE_H, NNM_CONV_STRIDE_W, NNM_CONV_DILATION_H,
  NNM_CONV_DILATION_W, NNM_CONV_GROUPS, NNM_CONV_WORDS
};

/** Gives the context a cuDNN handle bound to its stream and, for each of the
 *  model's `count` convolutions (`descs`: count x NNM_CONV_WORDS words), its
 *  tensor, filter and convolution descriptors, its forward algorithm (cuDNN's
 *  heuristics, no timing runs) and one device workspace large enough for all,
 *  all made here and never per run. cuDNN (libcudnn.so.9, or the library that
 *  NNM_CUDNN_LIBRARY names) is opened with dlopen once per process; where it
 *  is missing this returns NNM_NO_DEVICE. TF32 tensor-op math only with
 *  options.allow_tf32. */
NNM_API nnm_status nnm_cuda_dnn_attach(nnm_cuda_context *context, const int64_t *descs,
                                       int32_t count);

/** Enqueues convolution `index` of the attached list, y = conv(x, w) (y is
 *  overwritten), between nnm_cuda_begin and nnm_cuda_end; device pointers. A
 *  failure (or a context without that convolution) is kept in the context, as
 *  a launch's is. */
NNM_API void nnm_cuda_conv2d(nnm_cuda_context *context, int32_t index, const void *x,
                             const void *w, void *y);

#ifdef __cplusplus
} /* extern "C" */
#endif
#endif /* NNMODEL_CUDA_H */
