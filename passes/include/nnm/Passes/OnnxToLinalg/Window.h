//===- Window.h - Geometry of ONNX convolution and pooling windows -*- C++ -*-===//
//
// Shared by the conv/pool lowerings and by back ends that hand these ops to a
// kernel library. Pads are all begins, then all ends. Every helper works on
// kDyn input dims (the padding of SAME_* is then unknown, reported as kDyn).
//
//===----------------------------------------------------------------------===//
#ifndef NNM_PASSES_ONNXTOLINALG_WINDOW_H
#define NNM_PASSES_ONNXTOLINALG_WINDOW_H

#include "nnm/Passes/OnnxToLinalg/OpTable.h"

namespace nnm::onnx_to_linalg {

/// The explicit pads of a conv/pool node (auto_pad resolved against `in`).
mlir::FailureOr<llvm::SmallVector<int64_t>>
resolvePads(const OnnxNode &node, llvm::ArrayRef<int64_t> in, llvm::ArrayRef<int64_t> kernel,
            llvm::ArrayRef<int64_t> strides, llvm::ArrayRef<int64_t> dilations);
/// A per-spatial-dimension attribute (strides, dilations), `dflt` where absent.
mlir::FailureOr<llvm::SmallVector<int64_t>> spatialAttr(const OnnxNode &node,
                                                        llvm::StringRef name, size_t n,
                                                        int64_t dflt);
/// Output sizes of a conv-style window (floor), kDyn where the input is kDyn.
mlir::FailureOr<llvm::SmallVector<int64_t>>
windowOutput(const OnnxNode &node, llvm::ArrayRef<int64_t> in, llvm::ArrayRef<int64_t> kernel,
             llvm::ArrayRef<int64_t> strides, llvm::ArrayRef<int64_t> dilations);

} // namespace nnm::onnx_to_linalg

#endif // NNM_PASSES_ONNXTOLINALG_WINDOW_H
