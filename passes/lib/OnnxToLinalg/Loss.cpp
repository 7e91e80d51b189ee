//===- Loss.cpp - ONNX loss ops to linalg ---------------------------------===//
//
// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (LogSoftmax over the
// class axis, then the same negative log-likelihood).
//
//===----------------------------------------------------------------------===//
#include "Common.h"

using namespace mlir;

namespace nnm::onnx_to_linalg {
namespace {

/// Checks the input (N, C, d...) against the target (N, d...) and the optional
/// weight (C); returns the reduction mode.
FailureOr<std::string> checkLoss(const OnnxNode &node) {
  if (failed(requireRanked(node, 3)) || !node.input(0) || !node.input(1))
    return node.error() << "needs an input and a target", failure();
  auto in = shapeOf(node.input(0)), target = shapeOf(node.input(1));
  if (in.size() < 2 || target.size() != in.size() - 1)
    return node.error() << "needs an input of shape (N, C, d...) and a target of shape (N, d...)",
           failure();
  if (!isFloat(elementTypeOf(node.input(0))) ||
      !isa<IntegerType>(elementTypeOf(node.input(1))))
    return node.error() << "needs a floating-point input and an integer target", failure();
  if (Value w = node.input(2); w && shapeOf(w).size() != 1)
    return node.error() << "weight must be 1-D", failure();
  std::string mode = node.getString("reduction", "mean");
  if (mode != "none" && mode != "sum" && mode != "mean")
    return node.error() << "unknown reduction '" << mode << "'", failure();
  return mode;
}

/// The loss: the target's shape for reduction "none", a scalar otherwise; the
/// optional second result (log_prob of SoftmaxCrossEntropyLoss) like the input.
LogicalResult inferLoss(const OnnxNode &node, Types &out) {
  auto mode = checkLoss(node);
  if (failed(mode))
    return failure();
  Type elt = elementTypeOf(node.input(0));
  out.push_back(*mode == "none" ? Type(tensorOf(shapeOf(node.input(1)), elt))
                                : Type(tensorOf({}, elt)));
  if (node.numResults() > 1)
    out.push_back(node.input(0).getType());
  return success();
}

/// loss[n, d...] = -logp[n, t, d...] * weight[t] with t = target[n, d...] (0
/// where t is ignore_index), then reduced: "sum" adds, "mean" divides the sum by
/// the total weight of the targets not ignored.
Value buildNll(OpBuilder &b, Location l, const OnnxNode &node, Value logp, StringRef mode) {
  Value target = node.input(1), weight = node.input(2);
  auto shape = shapeOf(logp);
  int64_t rank = shape.size();
  Type elt = elementTypeOf(logp), tElt = elementTypeOf(target);
  std::optional<int64_t> ignore;
  if (node.has("ignore_index"))
    ignore = node.getInt("ignore_index", 0);
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineExpr> all, noClass;
  SmallVector<utils::IteratorType> iters;
  for (int64_t i = 0; i < rank; ++i) {
    all.push_back(getAffineDimExpr(i, ctx));
    if (i != 1)
      noClass.push_back(getAffineDimExpr(i, ctx));
    iters.push_back(i == 1 ? utils::IteratorType::reduction : utils::IteratorType::parallel);
  }
  AffineMap allMap = AffineMap::get(rank, 0, all, ctx);
  AffineMap outMap = AffineMap::get(rank, 0, noClass, ctx);
  SmallVector<AffineMap> maps = {allMap, outMap};
  Values ins{logp, target};
  if (weight) {
    ins.push_back(weight);
    maps.push_back(AffineMap::get(rank, 0, {getAffineDimExpr(1, ctx)}, ctx));
  }
  maps.push_back(outMap);
  maps.push_back(outMap);
  auto outShape = shapeOf(target);
  Value lossInit = filledTensor(b, l, outShape, scalarConst(b, l, elt, 0));
  Value wInit = filledTensor(b, l, outShape, scalarConst(b, l, elt, 0));
  auto op = linalg::GenericOp::create(
      b, l, TypeRange{lossInit.getType(), wInit.getType()}, ins, ValueRange{lossInit, wInit},
      maps, iters, [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value c = arith::IndexCastOp::create(nb, nl, tElt, linalg::IndexOp::create(nb, nl, 1));
        Value hit = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, c, a[1]);
        if (ignore)
          hit = arith::AndIOp::create(
              nb, nl, hit,
              arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::ne, a[1],
                                    scalarConst(nb, nl, tElt, double(*ignore))));
        Value w = weight ? a[2] : scalarConst(nb, nl, elt, 1);
        Value zero = scalarConst(nb, nl, elt, 0);
        Value loss = arith::NegFOp::create(nb, nl, arith::MulFOp::create(nb, nl, a[0], w));
        Value accL = a[a.size() - 2], accW = a[a.size() - 1];
        linalg::YieldOp::create(
            nb, nl,
            ValueRange{arith::AddFOp::create(nb, nl, accL,
                                             arith::SelectOp::create(nb, nl, hit, loss, zero)),
                       arith::AddFOp::create(nb, nl, accW,
                                             arith::SelectOp::create(nb, nl, hit, w, zero))});
      });
  Value loss = op.getResult(0);
  if (mode == "none")
    return loss;
  SmallVector<int64_t> every;
  for (int64_t i = 0; i < int64_t(outShape.size()); ++i)
    every.push_back(i);
  Value sum = buildReduce(b, l, loss, every, false, "sum");
  if (mode == "sum")
    return sum;
  Value total = buildReduce(b, l, op.getResult(1), every, false, "sum");
  return buildElementwise(b, l, {sum, total}, {}, elt,
                          [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                            return arith::DivFOp::create(nb, nl, a[0], a[1]);
                          });
}

Result lowerNll(OpBuilder &b, const OnnxNode &node) {
  auto mode = checkLoss(node);
  if (failed(mode))
    return failure();
  return Values{buildNll(b, node.loc(), node, node.input(0), *mode)};
}

Result lowerSoftmaxCrossEntropy(OpBuilder &b, const OnnxNode &node) {
  auto mode = checkLoss(node);
  if (failed(mode))
    return failure();
  Value logp = buildLogSoftmax(b, node.loc(), node.input(0), 1);
  Values results{buildNll(b, node.loc(), node, logp, *mode), logp};
  results.resize(node.numResults());
  return results;
}

} // namespace

void addLossOps(OpTable &t) {
  t.add("NegativeLogLikelihoodLoss", 12, OpEntry::form(inferLoss, lowerNll));
  t.add("SoftmaxCrossEntropyLoss", 12, OpEntry::form(inferLoss, lowerSoftmaxCrossEntropy));
}

} // namespace nnm::onnx_to_linalg
