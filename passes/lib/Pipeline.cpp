//===- Pipeline.cpp - Named pipelines and registration --------------------===//
#include "nnm/Passes/Passes.h"

#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace nnm {
namespace {

/// Adds an upstream textual pipeline; the pass manager is already anchored on
/// builtin.module, so the text must not wrap itself in builtin.module(...).
void addText(OpPassManager &pm, StringRef text) {
  if (failed(parsePassPipeline(text, pm, llvm::errs())))
    llvm::report_fatal_error(llvm::Twine("nnmodel: bad built-in pipeline: ") + text);
}

} // namespace

void buildLinalgPipeline(OpPassManager &pm) {
  pm.addNestedPass<func::FuncOp>(createOnnxToLinalgPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void buildBufferizePipeline(OpPassManager &pm) {
  addText(pm, "func.func(linalg-fuse-elementwise-ops),canonicalize,cse");
  pm.addPass(createMemrefAbiPass());
  addText(pm, "one-shot-bufferize,canonicalize");
  pm.addNestedPass<func::FuncOp>(createCopyToLinalgPass());
  pm.addNestedPass<func::FuncOp>(createArenaPlanPass());
  pm.addPass(createCanonicalizerPass());
}

void buildLlvmPipeline(OpPassManager &pm) {
  addText(pm, "func.func(convert-linalg-to-loops),lower-affine,convert-scf-to-cf,"
              "expand-strided-metadata,lower-affine,finalize-memref-to-llvm,"
              "convert-math-to-llvm,convert-math-to-libm,convert-arith-to-llvm,"
              "convert-index-to-llvm,convert-cf-to-llvm,"
              "convert-func-to-llvm{use-bare-ptr-memref-call-conv=1},"
              "reconcile-unrealized-casts");
}

void buildCpuPipeline(OpPassManager &pm) {
  buildLinalgPipeline(pm);
  buildBufferizePipeline(pm);
  buildLlvmPipeline(pm);
}

void registerPasses() {
  static bool done = false;
  if (done)
    return;
  done = true;
  registerAllPasses();
  PassRegistration<Pass>([] { return createOnnxToLinalgPass(); });
  PassRegistration<Pass>([] { return createMemrefAbiPass(); });
  PassRegistration<Pass>([] { return createArenaPlanPass(); });
  PassRegistration<Pass>([] { return createCopyToLinalgPass(); });
  PassPipelineRegistration<>("nnm-linalg-pipeline", "ONNX-level IR to linalg on tensors",
                             [](OpPassManager &pm) { buildLinalgPipeline(pm); });
  PassPipelineRegistration<>("nnm-bufferize-pipeline",
                             "linalg on tensors to arena-planned memrefs",
                             [](OpPassManager &pm) { buildBufferizePipeline(pm); });
  PassPipelineRegistration<>("nnm-llvm-pipeline", "memrefs to the LLVM dialect",
                             [](OpPassManager &pm) { buildLlvmPipeline(pm); });
  PassPipelineRegistration<>("nnm-cpu-pipeline", "ONNX-level IR to the LLVM dialect",
                             [](OpPassManager &pm) { buildCpuPipeline(pm); });
}

void registerDialects(DialectRegistry &registry) {
  registerAllDialects(registry);
  registerAllExtensions(registry);
}

} // namespace nnm
