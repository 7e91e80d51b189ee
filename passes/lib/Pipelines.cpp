//===- Pipelines.cpp - Pipelines from typed pass constructors -------------===//
#include "nnm/Passes/Pipelines.h"
#include "nnm/Passes/Cpu/Passes.h"
#include "nnm/Passes/Gpu/Passes.h"
#include "nnm/Passes/Memory/Passes.h"
#include "nnm/Passes/Onnx/Passes.h"
#include "nnm/Passes/OnnxToLinalg/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/Affine/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace nnm {

void buildOnnxPreparePipeline(OpPassManager &pm) {
  pm.addNestedPass<func::FuncOp>(onnx_level::createOnnxUpgrade());
  pm.addNestedPass<func::FuncOp>(onnx_level::createOnnxFold());
  pm.addNestedPass<func::FuncOp>(onnx_level::createOnnxOptimize());
}

void buildLowerToLinalgPipeline(OpPassManager &pm) {
  pm.addNestedPass<func::FuncOp>(onnx_to_linalg::createOnnxToLinalg());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void buildOnnxToLinalgPipeline(OpPassManager &pm) {
  buildOnnxPreparePipeline(pm);
  buildLowerToLinalgPipeline(pm);
}

void buildCpuGraphPipeline(OpPassManager &pm) {
  pm.addNestedPass<func::FuncOp>(cpu::createCpuDnnlSelect());
  pm.addNestedPass<func::FuncOp>(onnx_level::createOnnxOptimize());
}

void buildElementwiseFusionPipeline(OpPassManager &pm, bool keepContractions) {
  cpu::CpuFuseElementwiseOptions options;
  options.keepContractions = keepContractions;
  pm.addNestedPass<func::FuncOp>(cpu::createCpuFuseElementwise(options));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void buildCpuTensorPipeline(OpPassManager &pm) {
  buildElementwiseFusionPipeline(pm);
  pm.addNestedPass<func::FuncOp>(cpu::createCpuConvChannelsLast());
  pm.addNestedPass<func::FuncOp>(cpu::createCpuLoopOrder());
}

void buildCpuKernelCallsPipeline(OpPassManager &pm) {
  pm.addPass(cpu::createCpuDnnlCalls());
}

void buildCpuParallelPipeline(OpPassManager &pm) {
  pm.addPass(cpu::createCpuParallelOutline());
}

void buildBufferizePipeline(OpPassManager &pm, void (*afterAbi)(OpPassManager &)) {
  pm.addPass(memory::createMemrefAbi());
  if (afterAbi)
    afterAbi(pm);
  pm.addPass(bufferization::createOneShotBufferizePass());
  pm.addPass(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(memory::createCopyToLinalg());
  pm.addNestedPass<func::FuncOp>(memory::createArenaPlan());
  pm.addPass(createCanonicalizerPass());
}

void buildHostLlvmPipeline(OpPassManager &pm) {
  // Affine loops let LICM hoist loop-invariant loads (a convolution's input
  // element inside the loop over output channels): distinct memrefs are distinct
  // arena buffers within one kernel, which LLVM alone cannot prove.
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToAffineLoopsPass());
  pm.addNestedPass<func::FuncOp>(affine::createAffineLoopInvariantCodeMotionPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addNestedPass<func::FuncOp>(cpu::createCpuMathApprox());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  ConvertFuncToLLVMPassOptions funcOptions;
  funcOptions.useBarePtrCallConv = true;
  pm.addPass(createConvertFuncToLLVMPass(funcOptions));
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void buildCudaLowerPipeline(OpPassManager &pm, const CudaLowerOptions &options) {
  pm.addPass(gpu::createGpuWeights());
  if (options.libraryCalls)
    pm.addNestedPass<func::FuncOp>(gpu::createGpuLibraryCalls());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  pm.addNestedPass<func::FuncOp>(gpu::createGpuMap());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(mlir::createGpuKernelOutliningPass());
  pm.addPass(gpu::createGpuLaunchCalls());
  for (const std::string &arch : options.archs) {
    GpuNVVMAttachTargetOptions target;
    target.chip = arch;
    target.optLevel = 3;
    pm.addPass(createGpuNVVMAttachTarget(target));
  }
  OpPassManager &kernels = pm.nest<mlir::gpu::GPUModuleOp>();
  kernels.addPass(createLowerAffinePass());
  kernels.addPass(createSCFToControlFlowPass());
  kernels.addPass(memref::createExpandStridedMetadataPass());
  kernels.addPass(createLowerAffinePass());
  ConvertGpuOpsToNVVMOpsOptions nvvm;
  nvvm.useBarePtrCallConv = true;
  kernels.addPass(createConvertGpuOpsToNVVMOps(nvvm));
  kernels.addPass(createReconcileUnrealizedCastsPass());
  GpuModuleToBinaryPassOptions binary;
  binary.toolkitPath = options.toolkitPath;
  binary.compilationTarget = "isa"; // PTX; the back end runs ptxas per architecture
  pm.addPass(createGpuModuleToBinaryPass(binary));
  buildHostLlvmPipeline(pm);
}

void buildCpuPipeline(OpPassManager &pm) {
  buildOnnxPreparePipeline(pm);
  buildCpuGraphPipeline(pm);
  buildLowerToLinalgPipeline(pm);
  buildCpuTensorPipeline(pm);
  buildBufferizePipeline(pm, buildCpuKernelCallsPipeline);
  buildCpuParallelPipeline(pm);
  buildHostLlvmPipeline(pm);
}

void registerPasses() {
  static bool done = [] {
    onnx_level::registerOnnxPasses();
    onnx_to_linalg::registerOnnxToLinalgPasses();
    memory::registerMemoryPasses();
    cpu::registerCpuPasses();
    gpu::registerGpuPasses();
    PassPipelineRegistration<>("nnm-linalg-pipeline",
                               "ONNX-level IR to linalg on tensors (upgrade, fold, rewrite, "
                               "lower)",
                               buildOnnxToLinalgPipeline);
    PassPipelineRegistration<>("nnm-bufferize-pipeline",
                               "linalg on tensors to arena-planned memrefs",
                               [](OpPassManager &pm) { buildBufferizePipeline(pm); });
    PassPipelineRegistration<>("nnm-llvm-pipeline",
                               "Arena-planned memrefs to the LLVM dialect (host loops)",
                               buildHostLlvmPipeline);
    PassPipelineRegistration<>("nnm-cpu-pipeline",
                               "ONNX-level IR to the LLVM dialect (CPU path, oneDNN "
                               "kernels included)",
                               buildCpuPipeline);
    PassPipelineRegistration<>(
        "nnm-cuda-lower-pipeline",
        "Arena-planned memrefs to GPU launches, PTX for sm_80 and host code (CUDA back end)",
        [](OpPassManager &pm) { buildCudaLowerPipeline(pm, CudaLowerOptions()); });
    return true;
  }();
  (void)done;
}

void registerDialects(DialectRegistry &registry) {
  registerAllDialects(registry);
  registerAllExtensions(registry);
  // The CUDA back end: #nvvm.target serialization and the NVVM/GPU dialects'
  // translation to LLVM IR (gpu-module-to-binary).
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  registerAllToLLVMIRTranslations(registry);
}

} // namespace nnm
