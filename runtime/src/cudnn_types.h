/*===- cudnn_types.h - The part of cuDNN the runtime calls -----------------===*/
/* The runtime includes no CUDA header: these are cuDNN's types and constants
 * as cuDNN 9's cudnn_graph.h, cudnn_ops.h and cudnn_cnn.h define them (checked
 * against 9.19), reduced to what cuda_dnn.c uses. The enums are plain ints
 * here (cuDNN's enums are int-sized); the handle and descriptors keep cuDNN's
 * struct tags and the stream is the driver's CUstream (cuDNN's cudaStream_t is
 * the same struct CUstream_st *), so that indirect calls agree under
 * -fsanitize=function. Shared by cuda_dnn.c and the test's fake cuDNN. */
#ifndef NNMODEL_CUDNN_TYPES_H
#define NNMODEL_CUDNN_TYPES_H

#include "cuda_driver_types.h"

#include <stddef.h>

typedef int cudnnStatus_t;
typedef int cudnnDataType_t;
typedef int cudnnTensorFormat_t;
typedef int cudnnConvolutionMode_t;
typedef int cudnnMathType_t;
typedef int cudnnConvolutionFwdAlgo_t;
typedef int cudnnDeterminism_t;
typedef struct cudnnContext *cudnnHandle_t;
typedef struct cudnnTensorStruct *cudnnTensorDescriptor_t;
typedef struct cudnnFilterStruct *cudnnFilterDescriptor_t;
typedef struct cudnnConvolutionStruct *cudnnConvolutionDescriptor_t;

/* cudnn_cnn.h's cudnnConvolutionFwdAlgoPerf_t. */
typedef struct cudnnConvolutionFwdAlgoPerfStruct {
  cudnnConvolutionFwdAlgo_t algo;
  cudnnStatus_t status;
  float time;
  size_t memory;
  cudnnDeterminism_t determinism;
  cudnnMathType_t mathType;
  int reserved[3];
} cudnnConvolutionFwdAlgoPerf_t;

/* cudnn_graph.h's cudnnStatus_t: each family is a range (1001-1008 not
 * initialised, 2000-2012 bad parameter, 3000-3014 not supported, 4000-4006
 * internal error, 5000-5004 execution failed); the runtime maps ranges. */
enum {
  CUDNN_STATUS_SUCCESS = 0,
  CUDNN_STATUS_NOT_INITIALIZED = 1001,
  CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH = 1002,
  CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED = 1008,
  CUDNN_STATUS_BAD_PARAM = 2000,
  CUDNN_STATUS_NOT_SUPPORTED = 3000,
  CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDA_DRIVER = 3005,
  CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH = 3007,
  CUDNN_STATUS_INTERNAL_ERROR = 4000,
  CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED = 4003,
  CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED = 4004,
  CUDNN_STATUS_EXECUTION_FAILED = 5000,
};

enum { CUDNN_DATA_FLOAT = 0 };                               /* cudnnDataType_t */
enum { CUDNN_TENSOR_NCHW = 0 };                              /* cudnnTensorFormat_t */
enum { CUDNN_CONVOLUTION = 0, CUDNN_CROSS_CORRELATION = 1 }; /* cudnnConvolutionMode_t */

/* cudnnMathType_t */
enum {
  CUDNN_DEFAULT_MATH = 0,
  CUDNN_TENSOR_OP_MATH = 1,
  CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION = 2,
  CUDNN_FMA_MATH = 3,
};

enum { CUDNN_CONVOLUTION_FWD_ALGO_COUNT = 8 }; /* cudnnConvolutionFwdAlgo_t's count */

#endif /* NNMODEL_CUDNN_TYPES_H */
