//===- Passes.h - NNModel passes and pipelines ------------------*- C++ -*-===//
#ifndef NNM_PASSES_PASSES_H
#define NNM_PASSES_PASSES_H

#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

#include <memory>

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace nnm {

/// nnm-onnx-to-linalg: lowers every `onnx.*` op through the versioned table.
std::unique_ptr<mlir::Pass> createOnnxToLinalgPass();
/// nnm-memref-abi: turns the tensor-typed graph function into the library's
/// calling convention: inputs, then outputs, as memref arguments, no results.
std::unique_ptr<mlir::Pass> createMemrefAbiPass();
/// nnm-copy-to-linalg: memref.copy -> linalg.copy (no C runner library calls).
std::unique_ptr<mlir::Pass> createCopyToLinalgPass();
/// nnm-arena-plan: places every static allocation at a compile-time offset in
/// one arena argument and records its size as `nnm.arena_bytes`.
std::unique_ptr<mlir::Pass> createArenaPlanPass();

/// ONNX-level IR -> linalg on tensors (nnm-linalg-pipeline).
void buildLinalgPipeline(mlir::OpPassManager &pm);
/// linalg on tensors -> bufferized, arena-planned memref IR (nnm-bufferize-pipeline).
void buildBufferizePipeline(mlir::OpPassManager &pm);
/// memref IR -> LLVM dialect (nnm-llvm-pipeline).
void buildLlvmPipeline(mlir::OpPassManager &pm);
/// The whole CPU pipeline, ONNX-level IR to LLVM dialect (nnm-cpu-pipeline).
void buildCpuPipeline(mlir::OpPassManager &pm);

/// Registers NNModel's passes and named pipelines with the global registry.
void registerPasses();
/// Adds every dialect the pipeline uses (and their interfaces) to `registry`.
void registerDialects(mlir::DialectRegistry &registry);

/// Attribute on the graph function carrying the arena size in bytes.
constexpr const char *kArenaBytesAttr = "nnm.arena_bytes";

} // namespace nnm

#endif // NNM_PASSES_PASSES_H
