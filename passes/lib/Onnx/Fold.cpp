//===- Fold.cpp - Constant folding and shape arithmetic, once -------------===//
#include "nnm/Passes/Onnx/Passes.h"
#include "nnm/Passes/OnnxToLinalg/OpTable.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

using namespace mlir;

namespace nnm::onnx_level {

#define GEN_PASS_DEF_ONNXFOLD
#include "nnm/Passes/Onnx/Passes.h.inc"

namespace {

bool isOnnx(Operation *op) {
  return op->getName().getStringRef().starts_with(onnx_to_linalg::kOnnxPrefix);
}

struct OnnxFoldPass : impl::OnnxFoldBase<OnnxFoldPass> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    // Ops in order, so every op sees its operands folded and refined already.
    SmallVector<Operation *> ops;
    fn.walk([&](Operation *op) {
      if (onnx_to_linalg::lookupEntry(op))
        ops.push_back(op);
    });
    OpBuilder b(&getContext());
    for (Operation *op : ops) {
      if (onnx_to_linalg::tryFold(b, op).has_value())
        continue;
      if (failed(onnx_to_linalg::inferResultTypes(op)))
        return signalPassFailure();
    }
    // ONNX ops are free of side effects: drop the unused ones, last first.
    SmallVector<Operation *> onnxOps;
    fn.walk([&](Operation *op) {
      if (isOnnx(op))
        onnxOps.push_back(op);
    });
    for (Operation *op : llvm::reverse(onnxOps))
      if (op->use_empty())
        op->erase();
    onnx_to_linalg::syncFunctionType(fn);
  }
};

} // namespace
} // namespace nnm::onnx_level
