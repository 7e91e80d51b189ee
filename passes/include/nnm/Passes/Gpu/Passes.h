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

namespace nnm::gpu {

/// The constant global holding every weight the kernels read (nnm-gpu-weights).
constexpr const char *kWeightsSymbol = "nnm_gpu_weights";
/// Module attribute: the kernels' symbol names in launch-index order
/// (nnm-gpu-launch-calls).
constexpr const char *kKernelsAttr = "nnm.gpu.kernels";
/// The runtime entry point a launch becomes.
constexpr const char *kLaunchFunction = "nnm_cuda_launch";

#define GEN_PASS_DECL
#include "nnm/Passes/Gpu/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "nnm/Passes/Gpu/Passes.h.inc"

} // namespace nnm::gpu

#endif // NNM_PASSES_GPU_PASSES_H
