//===- FuseElementwise.cpp - Elementwise fusion with bounded bodies -------===//
#include "nnm/Passes/Cpu/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace nnm::cpu {

#define GEN_PASS_DEF_CPUFUSEELEMENTWISE
#include "nnm/Passes/Cpu/Passes.h.inc"

namespace {

int64_t bodySize(Operation *op) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  return linalgOp ? int64_t(linalgOp.getBlock()->getOperations().size()) : 0;
}

struct CpuFuseElementwisePass : impl::CpuFuseElementwiseBase<CpuFuseElementwisePass> {
  using Base::Base;

  void runOnOperation() override {
    int64_t limit = maxBodyOps;
    bool keep = keepContractions;
    linalg::ControlFusionFn control = [limit, keep](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      auto consumer = dyn_cast<linalg::LinalgOp>(fused->getOwner());
      if (keep && consumer && consumer.getNumReductionLoops() > 0)
        return false;
      return producer && producer->hasOneUse() &&
             bodySize(producer) + bodySize(fused->getOwner()) <= limit;
    };
    RewritePatternSet patterns(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    linalg::populateFoldReshapeOpsByExpansionPatterns(patterns, control);
    linalg::populateEraseUnusedOperandsAndResultsPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
} // namespace nnm::cpu
