//===- Passes.h - Passes on the typed ONNX level ----------------*- C++ -*-===//
#ifndef NNM_PASSES_ONNX_PASSES_H
#define NNM_PASSES_ONNX_PASSES_H

#include "mlir/Pass/Pass.h"

#include <memory>

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace nnm::onnx_level {

#define GEN_PASS_DECL
#include "nnm/Passes/Onnx/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "nnm/Passes/Onnx/Passes.h.inc"

/// The graph rewrites nnm-onnx-optimize applies.
void populateOnnxRewritePatterns(mlir::RewritePatternSet &patterns);

} // namespace nnm::onnx_level

#endif // NNM_PASSES_ONNX_PASSES_H
