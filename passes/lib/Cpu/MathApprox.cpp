//===- MathApprox.cpp - Inline approximations of f32 transcendentals ------===//
#include "nnm/Passes/Cpu/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;

namespace nnm::cpu {

#define GEN_PASS_DEF_CPUMATHAPPROX
#include "nnm/Passes/Cpu/Passes.h.inc"

namespace {

struct CpuMathApproxPass : impl::CpuMathApproxBase<CpuMathApproxPass> {
  void runOnOperation() override {
    static const llvm::StringSet<> approximated = {
        math::ErfOp::getOperationName(),  math::ExpOp::getOperationName(),
        math::ExpM1Op::getOperationName(), math::LogOp::getOperationName(),
        math::Log1pOp::getOperationName(), math::Log2Op::getOperationName(),
        math::TanhOp::getOperationName()};
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(
        patterns, [](StringRef name) { return approximated.contains(name); });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
} // namespace nnm::cpu
