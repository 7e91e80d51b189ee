//===- Passes.h - Passes of the CUDA back end's stages -----------*- C++ -*-===//
#ifndef NNM_PASSES_GPU_PASSES_H
#define NNM_PASSES_GPU_PASSES_H

#include "mlir/Pass/Pass.h"

#include <memory>

namespace mlir::gpu {
class GPUDialect;
}
namespace mlir::scf {
class SCFDialect;
}
namespace mlir::func {
class FuncOp;
}

namespace nnm::gpu {

/// The constant global holding every weight the kernels read (nnm-gpu-weights).
constexpr const char *kWeightsSymbol = "nnm_gpu_weights";
/// Module attribute: the kernels' symbol names in launch-index order
/// (nnm-gpu-launch-calls).
constexpr const char *kKernelsAttr = "nnm.gpu.kernels";
/// The runtime entry point a launch becomes.
constexpr const char *kLaunchFunction = "nnm_cuda_launch";
/// The runtime entry point a matrix product becomes (nnm-gpu-library-calls).
constexpr const char *kGemmFunction = "nnm_cuda_gemm";
/// Module attribute: how many cuBLAS calls the graph makes (nnm-gpu-library-calls);
/// the generated create then calls nnm_cuda_blas_attach.
constexpr const char *kBlasAttr = "nnm.gpu.blas";
/// The runtime entry point a convolution becomes (nnm-gpu-library-calls).
constexpr const char *kConvFunction = "nnm_cuda_conv2d";
/// Module attribute: the NNM_CONV_* descriptor of each cuDNN convolution, in
/// index order; the generated create passes them to nnm_cuda_dnn_attach.
constexpr const char *kDnnAttr = "nnm.gpu.dnn";

/// True for a call of one of the runtime's library entry points (nnm_cuda_*):
/// host code that enqueues device work, which nnm-gpu-map leaves in place.
bool isLibraryCall(mlir::Operation *op);
/// The graph function's context argument: its first !llvm.ptr argument
/// (nnm-memref-abi puts it after the inputs and outputs), or null.
mlir::Value graphContext(mlir::func::FuncOp fn);

#define GEN_PASS_DECL
#include "nnm/Passes/Gpu/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "nnm/Passes/Gpu/Passes.h.inc"

} // namespace nnm::gpu

#endif // NNM_PASSES_GPU_PASSES_H
