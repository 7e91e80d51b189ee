/*===- cuda_internal.h - The CUDA context's layout, inside the runtime -----===*/
/* cuda.c owns the driver and the contexts; cuda_blas.c adds cuBLAS to them
 * and cuda_dnn.c cuDNN, and they need the context's fields and a few driver
 * calls, declared here. */
#ifndef NNMODEL_CUDA_INTERNAL_H
#define NNMODEL_CUDA_INTERNAL_H

#include "nnmodel/cuda.h"

#include "cublas_types.h"
#include "cuda_driver_types.h"
#include "cudnn_types.h"

struct device_entry; /* what a model's contexts share on one device (cuda.c) */
struct cuda_conv;    /* one attached convolution's descriptors (cuda_dnn.c) */

struct nnm_cuda_context {
  struct device_entry *entry;
  void **slot;
  CUstream stream;     /* NULL: the legacy default stream */
  CUdeviceptr arena;   /* 0 when the model needs no device scratch */
  size_t staging_offset;
  int owns_arena;
  int pushed;          /* begin made the primary context current */
  nnm_status status;   /* first failure since begin */
  int allow_tf32;      /* from the options; read by nnm_cuda_blas_attach */
  cublasHandle_t blas; /* NULL until nnm_cuda_blas_attach */
  CUdeviceptr blas_workspace;
  cudnnHandle_t dnn;       /* NULL until nnm_cuda_dnn_attach */
  struct cuda_conv *convs; /* num_convs of them, from the attach */
  int32_t num_convs;
  CUdeviceptr dnn_workspace; /* 0 when no convolution needs one */
  size_t dnn_workspace_bytes;
};

/* dlsym into a function-pointer slot; 0 when the library lacks `name`. */
int cuda_resolve(void *library, const char *name, void *fn_slot);

/* Makes the context's primary context current on the calling thread, and
 * undoes that. Only valid once the context exists (the driver is loaded). */
CUresult cuda_context_push(const nnm_cuda_context *context);
void cuda_context_pop(void);

/* cuMemAlloc / cuMemFree, with the context's primary context current. */
CUresult cuda_mem_alloc(CUdeviceptr *ptr, size_t bytes);
CUresult cuda_mem_free(CUdeviceptr ptr);

nnm_status cuda_status_of(CUresult r);

/* Keeps `status` as the context's first failure since nnm_cuda_begin. */
void cuda_context_fail(nnm_cuda_context *context, nnm_status status);

/* Destroys the context's cuBLAS handle and frees its workspace (cuda_blas.c);
 * nothing when nnm_cuda_blas_attach never succeeded. */
void cuda_blas_release(nnm_cuda_context *context);

/* Destroys the context's cuDNN handle and descriptors and frees their
 * workspace (cuda_dnn.c); nothing when nnm_cuda_dnn_attach never succeeded. */
void cuda_dnn_release(nnm_cuda_context *context);

#endif /* NNMODEL_CUDA_INTERNAL_H */
