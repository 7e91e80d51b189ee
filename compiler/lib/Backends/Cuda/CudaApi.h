//===- CudaApi.h - The exported C API of a cuda library ----------*- C++ -*-===//
#ifndef NNM_COMPILER_BACKENDS_CUDA_CUDAAPI_H
#define NNM_COMPILER_BACKENDS_CUDA_CUDAAPI_H

#include "../HostCodegen.h"

#include <cstdint>
#include <string>
#include <vector>

namespace nnm {

/// One device image of the library: a cubin for `sm`, or PTX text.
struct CudaImage {
  int sm = 0;
  bool isPtx = false;
  std::string bytes; ///< PTX images end with their NUL
};

/// Bytes of device staging that run_host needs for `info`'s inputs and outputs.
int64_t cudaStagingBytes(const ModelInfo &info);

/// An ApiEmitter for NAME_vN_cuda_create / _cuda_run / _cuda_run_host /
/// _cuda_destroy (docs/cuda.md) around a graph that takes (inputs...,
/// outputs..., context, arena, weights) as device pointers. With `blas`,
/// create also gives each context its cuBLAS handle (nnm_cuda_blas_attach);
/// with `convDescs` (NNM_CONV_WORDS words per convolution), its cuDNN
/// convolutions (nnm_cuda_dnn_attach).
ApiEmitter cudaApiEmitter(const ModelInfo &info, std::vector<CudaImage> images,
                          std::vector<std::string> kernelNames, std::string weightsSymbol,
                          int64_t weightsBytes, bool blas, std::vector<int64_t> convDescs);

} // namespace nnm

#endif // NNM_COMPILER_BACKENDS_CUDA_CUDAAPI_H
