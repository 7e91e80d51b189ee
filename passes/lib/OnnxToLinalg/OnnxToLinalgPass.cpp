//===- OnnxToLinalgPass.cpp - Dispatch onnx.* ops through the table -------===//
#include "nnm/Passes/OnnxToLinalg/LoweringTable.h"
#include "nnm/Passes/OnnxToLinalg/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace nnm::onnx_to_linalg {

#define GEN_PASS_DEF_ONNXTOLINALG
#include "nnm/Passes/OnnxToLinalg/Passes.h.inc"

namespace {

struct OnnxToLinalgPass : impl::OnnxToLinalgBase<OnnxToLinalgPass> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    SmallVector<Operation *> ops;
    fn.walk([&](Operation *op) {
      if (op->getName().getStringRef().starts_with("onnx."))
        ops.push_back(op);
    });
    const LoweringTable &table = LoweringTable::get();
    SmallVector<Operation *> nones;
    for (Operation *op : ops) {
      StringRef type = op->getName().getStringRef().drop_front(5);
      if (type == "None") {
        nones.push_back(op);
        continue;
      }
      auto opsetAttr = op->getAttrOfType<IntegerAttr>(kOpsetAttr);
      if (!opsetAttr) {
        op->emitError() << type << ": missing '" << kOpsetAttr << "'";
        return signalPassFailure();
      }
      OnnxNode node(op, opsetAttr.getInt());
      for (Value v : op->getOperands()) {
        auto t = dyn_cast<RankedTensorType>(v.getType());
        if (!isa<NoneType>(v.getType()) && (!t || !t.hasStaticShape())) {
          node.error() << "operand of type " << v.getType() << " has no static shape";
          return signalPassFailure();
        }
      }
      const LowerFn *lower = table.lookup(type, node.opset);
      if (!lower) {
        node.error() << "no lowering for this op at this opset";
        return signalPassFailure();
      }
      OpBuilder b(op);
      auto results = (*lower)(b, node);
      if (failed(results))
        return signalPassFailure();
      if (results->size() != op->getNumResults()) {
        node.error() << "lowering produced " << results->size() << " values for "
                     << op->getNumResults() << " results";
        return signalPassFailure();
      }
      op->replaceAllUsesWith(*results);
      op->erase();
    }
    for (Operation *op : nones)
      if (op->use_empty())
        op->erase();
    // Result types are known only now: refresh the function type from its return.
    auto ret = cast<func::ReturnOp>(fn.getBody().back().getTerminator());
    fn.setType(FunctionType::get(&getContext(), fn.getArgumentTypes(),
                                 ret.getOperandTypes()));
  }
};

} // namespace
} // namespace nnm::onnx_to_linalg
