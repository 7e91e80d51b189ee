/*===- nnmodel/kernels.h - Kernel-library calls of generated code ----------===*/
/* The interface between a compiled model, the compiler and the runtime's
 * kernel library (oneDNN). Applications never call these functions; the
 * generated NAME_create/NAME_run do.
 *
 * A kernel is one oneDNN primitive (a convolution, matrix product or pooling
 * with fused post-ops) described at compile time by NNM_KW_COUNT int64 words
 * (the layout below). A model's kernels form a table; NAME_create attaches the
 * table to the new context: the first context of a model creates every
 * primitive and reorders the constant weights into oneDNN's preferred layout,
 * once, shared by all contexts of that model (reference counted, created under
 * a lock; one set of primitives per thread count, since oneDNN fixes a
 * primitive's threads when it creates it, with the reordered weights shared);
 * each context adds its own stream and argument lists. A run only sets data
 * pointers and executes (oneDNN 2.6's execute itself allocates a small map of
 * its arguments, which its API offers no way around). Scratchpads come from
 * the arena (the compiler reserves each kernel's size, asked from oneDNN on
 * the compiling machine); where the running machine's oneDNN needs more, the
 * context allocates the difference once, when it is created. */
#ifndef NNMODEL_KERNELS_H
#define NNMODEL_KERNELS_H

#include "nnmodel/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Kernel kinds (word NNM_KW_KIND). */
enum nnm_kernel_kind {
  NNM_KERNEL_CONV2D = 1,  /**< NHWC activations, OIHW (or GOIHW) constant weights */
  NNM_KERNEL_MATMUL = 2,  /**< row-major [M,K] x [K,N] (or [N,K] transposed) */
  NNM_KERNEL_POOL2D = 3   /**< NHWC max / average pooling */
};

/** Post-operations applied in order after the kernel's bias. */
enum nnm_kernel_post {
  NNM_POST_RELU = 1,      /**< alpha: negative slope (LeakyRelu) */
  NNM_POST_CLIP = 2,      /**< alpha..beta */
  NNM_POST_SIGMOID = 3,
  NNM_POST_TANH = 4,
  NNM_POST_HARDSWISH = 5,
  NNM_POST_ELU = 6,       /**< alpha */
  NNM_POST_GELU_ERF = 7,
  NNM_POST_GELU_TANH = 8,
  NNM_POST_SUM = 9        /**< adds the kernel's `sum` operand (residual) */
};

/** Pooling algorithms (word NNM_KW_GROUPS of a NNM_KERNEL_POOL2D). */
enum nnm_kernel_pool {
  NNM_POOL_MAX = 1,
  NNM_POOL_AVG_INCLUDE_PAD = 2,
  NNM_POOL_AVG_EXCLUDE_PAD = 3
};

/** Flags (word NNM_KW_FLAGS). */
enum nnm_kernel_flag {
  NNM_KF_BIAS = 1,              /**< the table entry has a bias */
  NNM_KF_WEIGHTS_TRANSPOSED = 2 /**< matmul weights are stored [N,K] */
};

/** Word indices of a kernel descriptor. Dimensions are in the logical order
 * oneDNN uses (NCHW, OIHW, MxK) whatever the memory layout; unused words are 0.
 * Floats (post-op parameters) are stored as the bits of a double. */
enum nnm_kernel_word {
  NNM_KW_KIND = 0,
  NNM_KW_SRC = 1,        /**< 4 words: conv/pool N,C,H,W; matmul M,K,0,0 */
  NNM_KW_WEIGHTS = 5,    /**< 4 words: conv O,I/group,KH,KW; matmul K,N,0,0; pool KH,KW */
  NNM_KW_DST = 9,        /**< 4 words: conv/pool N,C,OH,OW; matmul M,N,0,0 */
  NNM_KW_STRIDES = 13,   /**< 2 words */
  NNM_KW_DILATIONS = 15, /**< 2 words, ONNX convention (1 = dense) */
  NNM_KW_PADS = 17,      /**< 4 words: top, left, bottom, right */
  NNM_KW_GROUPS = 21,    /**< conv: groups; pool: nnm_kernel_pool */
  NNM_KW_FLAGS = 22,
  NNM_KW_NUM_POST = 23,
  NNM_KW_POST = 24,      /**< NNM_MAX_POST x (nnm_kernel_post, alpha, beta) */
  NNM_MAX_POST = 6,
  NNM_KW_COUNT = NNM_KW_POST + 3 * NNM_MAX_POST
};

/** One entry of a model's kernel table (emitted by the compiler). */
typedef struct nnm_kernel_entry {
  const int64_t *desc;     /**< NNM_KW_COUNT words */
  const void *weights;     /**< constant weights (plain layout), or NULL */
  const void *bias;        /**< constant bias, or NULL */
  int64_t workspace_bytes; /**< arena bytes the compiler reserved for this kernel */
} nnm_kernel_entry;

/** Creates the model's shared kernels on first use (`model_state` is the
 * model's own slot, initially NULL) and this context's part. */
NNM_API nnm_status nnm_kernels_attach(nnm_context *context, void **model_state,
                                      const nnm_kernel_entry *table, int32_t count);

/** Runs kernel `index` of the context's table. `sum` is the residual of a
 * NNM_POST_SUM (may equal `dst`), `workspace` the kernel's arena bytes.
 * A failure is recorded in the context and returned by the model's run. */
NNM_API void nnm_kernel_run(nnm_context *context, int32_t index, const void *src,
                            const void *sum, void *dst, void *workspace);

/** Scratch bytes kernel `desc` needs on this machine (the compiler asks this).
 * Returns 0 with *bytes set, or -1 when oneDNN has no primitive for `desc`;
 * `error` (may be NULL) then receives a message. */
NNM_API int nnm_kernel_workspace_bytes(const int64_t *desc, int64_t *bytes, char *error,
                                       size_t error_size);

/** A slice of a generated kernel: runs iterations [lo, hi) of its split loop. */
typedef void (*nnm_task)(void *args, int64_t lo, int64_t hi);

/** Runs task(args, lo, hi) over [0, n), split into one contiguous slice per
 * thread of the context (num_threads, at most n); on the calling thread alone
 * when that is 1. Returns when every slice is done. */
NNM_API void nnm_parallel_for(nnm_context *context, nnm_task task, void *args, int64_t n);

/** The status recorded by a failed kernel since the last call (then cleared). */
NNM_API nnm_status nnm_context_take_status(nnm_context *context);

#ifdef __cplusplus
} /* extern "C" */
#endif
#endif /* NNMODEL_KERNELS_H */
