//===- LoopOrder.cpp - Loop order of contractions for vector code ---------===//
#include "nnm/Passes/Cpu/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;

namespace nnm::cpu {

#define GEN_PASS_DEF_CPULOOPORDER
#include "nnm/Passes/Cpu/Passes.h.inc"

namespace {

/// The new loop order (old loop indices), or nothing when the op keeps its own:
/// [parallel loops but the last one] + [reductions] + [loop of the output's last dim].
std::optional<SmallVector<unsigned>> vectorFriendlyOrder(linalg::LinalgOp op) {
  if (op.getNumReductionLoops() == 0 || op.getNumDpsInits() != 1)
    return std::nullopt;
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (out.getNumResults() == 0)
    return std::nullopt;
  auto last = dyn_cast<AffineDimExpr>(out.getResults().back());
  if (!last)
    return std::nullopt;
  unsigned inner = last.getPosition();
  // Worth it only when an input also walks `inner` in its last dimension.
  bool contiguousInput = false;
  for (OpOperand *in : op.getDpsInputOperands()) {
    AffineMap m = op.getMatchingIndexingMap(in);
    if (m.getNumResults() && m.getResults().back().isFunctionOfDim(inner))
      contiguousInput = true;
  }
  if (!contiguousInput)
    return std::nullopt;
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  SmallVector<unsigned> order;
  for (unsigned i = 0; i < iters.size(); ++i)
    if (i != inner && iters[i] == utils::IteratorType::parallel)
      order.push_back(i);
  for (unsigned i = 0; i < iters.size(); ++i)
    if (iters[i] == utils::IteratorType::reduction)
      order.push_back(i);
  order.push_back(inner);
  bool identity = true;
  for (unsigned i = 0; i < order.size(); ++i)
    identity = identity && order[i] == i;
  if (identity)
    return std::nullopt;
  return order;
}

struct CpuLoopOrderPass : impl::CpuLoopOrderBase<CpuLoopOrderPass> {
  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> ops;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (vectorFriendlyOrder(op))
        ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : ops) {
      SmallVector<unsigned> order = *vectorFriendlyOrder(op);
      rewriter.setInsertionPoint(op);
      auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
      if (!generic) {
        auto g = linalg::generalizeNamedOp(rewriter, op);
        if (failed(g))
          continue; // no region builder: keep the named op as it is
        generic = *g;
      }
      if (failed(linalg::interchangeGenericOp(rewriter, generic, order))) {
        generic.emitError() << "nnm-cpu-loop-order: invalid loop permutation";
        return signalPassFailure();
      }
    }
  }
};

} // namespace
} // namespace nnm::cpu
