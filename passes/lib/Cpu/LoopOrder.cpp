//===- LoopOrder.cpp - Loop order of contractions for vector code ---------===//
#include "nnm/Passes/Cpu/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

#include <cstring>
#include <vector>

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

/// Constant matrices transposed for a contraction are copied at compile time;
/// larger ones (the fully connected layers of VGG are 400 MB) keep their layout.
constexpr int64_t kMaxTransposedConstantBytes = 1 << 20;

/// A contraction none of whose inputs walks the output's last dimension last,
/// but where a constant matrix does walk it first (Gemm with transB = 1, whose
/// weights are [N, K]): the constant is transposed here, so that
/// vectorFriendlyOrder then finds a contiguous input. Otherwise the inner loop
/// is a reduction, one serial chain of adds in strict FP order.
void transposeConstantOperand(IRRewriter &rewriter, linalg::GenericOp op) {
  if (op.getNumReductionLoops() == 0 || op.getNumDpsInits() != 1)
    return;
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (out.getNumResults() == 0)
    return;
  auto last = dyn_cast<AffineDimExpr>(out.getResults().back());
  if (!last)
    return;
  unsigned inner = last.getPosition();
  for (OpOperand *in : op.getDpsInputOperands()) {
    AffineMap m = op.getMatchingIndexingMap(in);
    if (m.getNumResults() && m.getResults().back().isFunctionOfDim(inner))
      return; // vectorFriendlyOrder handles it as it is
  }
  for (OpOperand *in : op.getDpsInputOperands()) {
    AffineMap m = op.getMatchingIndexingMap(in);
    auto cst = in->get().getDefiningOp<arith::ConstantOp>();
    auto value = cst ? dyn_cast<DenseElementsAttr>(cst.getValue()) : DenseElementsAttr();
    if (!value || m.getNumResults() != 2 || m.getResult(0) != last ||
        !isa<AffineDimExpr>(m.getResult(1)) || !value.getElementType().isIntOrFloat())
      continue;
    auto type = cast<RankedTensorType>(value.getType());
    int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
    int64_t bits = type.getElementTypeBitWidth();
    if (bits % 8 || rows * cols * (bits / 8) > kMaxTransposedConstantBytes)
      continue;
    auto transposedType = RankedTensorType::get({cols, rows}, type.getElementType());
    DenseElementsAttr transposed;
    if (value.isSplat()) {
      transposed = value.resizeSplat(transposedType);
    } else {
      ArrayRef<char> raw = value.getRawData();
      size_t bytes = size_t(bits / 8);
      std::vector<char> data(raw.size());
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c)
          std::memcpy(&data[size_t(c * rows + r) * bytes], &raw[size_t(r * cols + c) * bytes],
                      bytes);
      transposed = DenseElementsAttr::getFromRawBuffer(transposedType, data);
    }
    rewriter.setInsertionPoint(op);
    Value replacement =
        arith::ConstantOp::create(rewriter, cst.getLoc(), transposedType, transposed);
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    maps[in->getOperandNumber()] =
        AffineMap::get(m.getNumDims(), 0, {m.getResult(1), m.getResult(0)}, op.getContext());
    rewriter.modifyOpInPlace(op, [&] {
      in->set(replacement);
      op.setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(maps));
    });
    return;
  }
}

struct CpuLoopOrderPass : impl::CpuLoopOrderBase<CpuLoopOrderPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    SmallVector<linalg::GenericOp> generics;
    getOperation().walk([&](linalg::GenericOp op) { generics.push_back(op); });
    for (linalg::GenericOp op : generics)
      transposeConstantOperand(rewriter, op);
    SmallVector<linalg::LinalgOp> ops;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (vectorFriendlyOrder(op))
        ops.push_back(op);
    });
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
