/*===- cublas_types.h - The part of cuBLAS the runtime calls ---------------===*/
/* The runtime includes no CUDA header: these are cuBLAS's types and constants
 * as cublas_api.h (CUDA 13) defines them, reduced to what cuda_blas.c uses.
 * The enums are plain ints here (cuBLAS's enums are int-sized); the handle
 * keeps cuBLAS's struct tag and the stream is the driver's CUstream (cuBLAS's
 * cudaStream_t is the same struct CUstream_st *), so that indirect calls
 * agree under -fsanitize=function. Shared by cuda_blas.c and the test's fake
 * cuBLAS. */
#ifndef NNMODEL_CUBLAS_TYPES_H
#define NNMODEL_CUBLAS_TYPES_H

#include "cuda_driver_types.h"

#include <stddef.h>

typedef int cublasStatus_t;
typedef int cublasOperation_t;
typedef int cublasMath_t;
typedef struct cublasContext *cublasHandle_t;

enum {
  CUBLAS_STATUS_SUCCESS = 0,
  CUBLAS_STATUS_NOT_INITIALIZED = 1,
  CUBLAS_STATUS_ALLOC_FAILED = 3,
  CUBLAS_STATUS_INVALID_VALUE = 7,
  CUBLAS_STATUS_ARCH_MISMATCH = 8,
  CUBLAS_STATUS_EXECUTION_FAILED = 13,
  CUBLAS_STATUS_INTERNAL_ERROR = 14,
  CUBLAS_STATUS_NOT_SUPPORTED = 15,
};

enum { CUBLAS_OP_N = 0, CUBLAS_OP_T = 1 };

enum { CUBLAS_DEFAULT_MATH = 0, CUBLAS_TF32_TENSOR_OP_MATH = 3 };

#endif /* NNMODEL_CUBLAS_TYPES_H */
