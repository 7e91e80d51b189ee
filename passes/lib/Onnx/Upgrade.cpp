//===- Upgrade.cpp - Older ONNX op forms to the newest ones ---------------===//
#include "nnm/Passes/Onnx/Passes.h"
#include "nnm/Passes/OnnxToLinalg/OpTable.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

using namespace mlir;

namespace nnm::onnx_level {

#define GEN_PASS_DEF_ONNXUPGRADE
#include "nnm/Passes/Onnx/Passes.h.inc"

namespace {

struct OnnxUpgradePass : impl::OnnxUpgradeBase<OnnxUpgradePass> {
  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (onnx_to_linalg::lookupEntry(op))
        ops.push_back(op);
    });
    OpBuilder b(&getContext());
    for (Operation *op : ops)
      if (failed(onnx_to_linalg::upgradeToNewestForm(b, op)))
        return signalPassFailure();
    // A decomposed op may leave a type that nnm-onnx-fold refines later.
    func::FuncOp fn = getOperation();
    onnx_to_linalg::syncFunctionType(fn);
  }
};

} // namespace
} // namespace nnm::onnx_level
