//===- Pipelines.h - NNModel's pipelines, built from typed passes -*- C++ -*-===//
//
// Each builder adds typed pass constructors (no textual pipelines), so a typo is
// a compile error and the library needs no global pass registry. nnmodel-opt
// registers the same builders by name (nnm-*-pipeline) to reproduce any stage.
//
//===----------------------------------------------------------------------===//
#ifndef NNM_PASSES_PIPELINES_H
#define NNM_PASSES_PIPELINES_H

#include <string>
#include <vector>

namespace mlir {
class DialectRegistry;
class OpPassManager;
} // namespace mlir

namespace nnm {

/// The typed ONNX level made ready for a back end: upgrade, fold, graph rewrites.
void buildOnnxPreparePipeline(mlir::OpPassManager &pm);
/// The typed ONNX level to linalg on tensors (what a back end left as onnx.*).
void buildLowerToLinalgPipeline(mlir::OpPassManager &pm);
/// Both of the above, back to back (nnm-linalg-pipeline).
void buildOnnxToLinalgPipeline(mlir::OpPassManager &pm);
/// The CPU back end's graph stage: convolutions, matrix products and pools to
/// oneDNN kernels with fused post-ops (nnm-cpu-dnnl-select), then the graph
/// rewrites again, which cancel the layout Transposes between kernels.
void buildCpuGraphPipeline(mlir::OpPassManager &pm);
/// Tensor-level fusion of elementwise producers into consumers, bodies bounded
/// (nnm-cpu-fuse-elementwise; part of a back end's tensor-transform stage).
/// With `keepContractions`, nothing is fused into ops with reduction loops.
void buildElementwiseFusionPipeline(mlir::OpPassManager &pm, bool keepContractions = false);
/// The CPU back end's tensor transforms: elementwise fusion, channels-last
/// convolutions (nnm-cpu-conv-channels-last), loop orders that vectorize
/// (nnm-cpu-loop-order).
void buildCpuTensorPipeline(mlir::OpPassManager &pm);
/// linalg on tensors to bufferized, arena-planned memrefs; target neutral
/// (nnm-bufferize-pipeline). `afterAbi` adds a back end's passes that need the
/// calling convention (the context argument) but run before bufferization.
void buildBufferizePipeline(mlir::OpPassManager &pm,
                            void (*afterAbi)(mlir::OpPassManager &) = nullptr);
/// The CPU back end's passes between the ABI and bufferization: oneDNN kernels
/// to runtime calls (nnm-cpu-dnnl-calls).
void buildCpuKernelCallsPipeline(mlir::OpPassManager &pm);
/// The CPU back end after the arena plan: large generated kernels into
/// functions that the context's threads split (nnm-cpu-parallel-outline).
void buildCpuParallelPipeline(mlir::OpPassManager &pm);
/// Arena-planned memrefs to the LLVM dialect through affine host loops (loads
/// that do not change inside a loop are hoisted out of it, so LLVM can vectorize
/// the loop), with the bare-pointer calling convention (nnm-llvm-pipeline).
void buildHostLlvmPipeline(mlir::OpPassManager &pm);
/// The CPU path end to end: ONNX level to the LLVM dialect, oneDNN kernels
/// included unless `nnm.target` says `kernels = "codegen"` (nnm-cpu-pipeline).
void buildCpuPipeline(mlir::OpPassManager &pm);

/// What the CUDA back end's lowering needs to know.
struct CudaLowerOptions {
  std::vector<std::string> archs = {"sm_80"}; ///< one device image per entry
  std::string toolkitPath = "/usr/local/cuda"; ///< for libdevice
  bool libraryCalls = true; ///< matrix products to cuBLAS (nnm-gpu-library-calls)
};
/// The CUDA back end after the arena plan: constants into the weights blob
/// (nnm-gpu-weights), matrix products to cuBLAS (nnm-gpu-library-calls, unless
/// libraryCalls is off), loops into launches (nnm-gpu-map), kernels outlined into
/// one gpu.module, launches into runtime calls (nnm-gpu-launch-calls), kernels
/// to NVVM and to PTX per architecture (a gpu.binary), host code to the LLVM
/// dialect (nnm-cuda-lower-pipeline, sm_80).
void buildCudaLowerPipeline(mlir::OpPassManager &pm, const CudaLowerOptions &options);

/// Registers every nnm- pass and named pipeline with MLIR's registry (tools only).
void registerPasses();
/// Adds every dialect and interface the pipelines use to `registry`.
void registerDialects(mlir::DialectRegistry &registry);

} // namespace nnm

#endif // NNM_PASSES_PIPELINES_H
