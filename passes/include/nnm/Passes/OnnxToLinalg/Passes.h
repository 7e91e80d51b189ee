//===- Passes.h - ONNX level to linalg --------------------------*- C++ -*-===//
#ifndef NNM_PASSES_ONNXTOLINALG_PASSES_H
#define NNM_PASSES_ONNXTOLINALG_PASSES_H

#include "mlir/Pass/Pass.h"

#include <memory>

namespace nnm::onnx_to_linalg {

#define GEN_PASS_DECL
#include "nnm/Passes/OnnxToLinalg/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "nnm/Passes/OnnxToLinalg/Passes.h.inc"

} // namespace nnm::onnx_to_linalg

#endif // NNM_PASSES_ONNXTOLINALG_PASSES_H
