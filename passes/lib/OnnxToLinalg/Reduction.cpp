//===- Reduction.cpp - ONNX reductions and Softmax to linalg --------------===//
#include "Common.h"

#include <limits>

using namespace mlir;

namespace nnm::onnx_to_linalg {
namespace {

/// Reduced axes from the optional second input, sorted and unique; `noop` when
/// the axes are empty and noop_with_empty_axes is set. Failure after a
/// diagnostic when the axes are not constants or out of range.
FailureOr<SmallVector<int64_t>> reduceAxes(const OnnxNode &node, int64_t rank, bool &noop) {
  SmallVector<int64_t> raw;
  if (node.input(1)) {
    auto c = constantIntsOf(node, 1, "axes");
    if (!c)
      return failure();
    raw = *c;
  }
  noop = false;
  if (raw.empty()) {
    if (node.getInt("noop_with_empty_axes", 0)) {
      noop = true;
      return SmallVector<int64_t>{};
    }
    for (int64_t i = 0; i < rank; ++i)
      raw.push_back(i);
  }
  return normalizeAxes(node, raw, rank);
}

/// keepdims keeps reduced axes as 1; axes not known yet give kDyn dims (and,
/// without keepdims, the rank the number of axes implies).
LogicalResult inferReduce(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 2)) || !node.input(0))
    return node.error() << "needs a ranked input";
  auto shape = shapeOf(node.input(0));
  int64_t rank = shape.size();
  bool keep = node.getInt("keepdims", 1);
  Type elt = elementTypeOf(node.input(0));
  bool noop;
  if (node.input(1) && !constantIntsOf(node, 1)) {
    auto at = node.inputType(1);
    if (!at || at.getRank() != 1 || at.isDynamicDim(0))
      return node.error() << "axes must be a 1-D tensor of known length";
    int64_t outRank = keep ? rank : rank - at.getDimSize(0);
    out.push_back(tensorOf(SmallVector<int64_t>(std::max<int64_t>(outRank, 0), kDyn), elt));
    return success();
  }
  auto axes = reduceAxes(node, rank, noop);
  if (failed(axes))
    return failure();
  SmallVector<int64_t> result;
  for (int64_t i = 0; i < rank; ++i) {
    bool reduced = !noop && llvm::is_contained(*axes, i);
    if (!reduced)
      result.push_back(shape[i]);
    else if (keep)
      result.push_back(1);
  }
  out.push_back(tensorOf(result, elt));
  return success();
}

/// The largest value of a float (+inf) or integer type (signed or unsigned).
Value highestOf(OpBuilder &b, Location l, Type t, bool isUnsigned) {
  if (auto ft = dyn_cast<FloatType>(t))
    return arith::ConstantOp::create(
        b, l, b.getFloatAttr(ft, std::numeric_limits<double>::infinity()));
  unsigned w = t.getIntOrFloatBitWidth();
  APInt v = isUnsigned || w == 1 ? APInt::getAllOnes(w) : APInt::getSignedMaxValue(w);
  return arith::ConstantOp::create(b, l, b.getIntegerAttr(t, v));
}

/// The smallest value of a float (-inf) or integer type (signed or unsigned).
Value lowestOf(OpBuilder &b, Location l, Type t, bool isUnsigned) {
  if (isUnsigned)
    return scalarConst(b, l, t, 0);
  return lowestConst(b, l, t);
}

/// max / min of two scalars; NaN propagates for floats.
Value maxOf(OpBuilder &b, Location l, Value x, Value y, bool isUnsigned) {
  if (isUnsigned && !isFloat(x.getType()))
    return arith::MaxUIOp::create(b, l, x, y);
  return maxS(b, l, x, y);
}
Value minOf(OpBuilder &b, Location l, Value x, Value y, bool isUnsigned) {
  if (isUnsigned && !isFloat(x.getType()))
    return arith::MinUIOp::create(b, l, x, y);
  return minS(b, l, x, y);
}

/// Applies a float function to a scalar; integers go through f64 and back
/// (truncating, like numpy's astype).
Value viaFloat(OpBuilder &b, Location l, Value x, bool isUnsigned,
               function_ref<Value(OpBuilder &, Location, Value)> fn) {
  Type t = x.getType();
  if (isFloat(t))
    return fn(b, l, x);
  Type f = b.getF64Type();
  Value xf = isUnsigned ? Value(arith::UIToFPOp::create(b, l, f, x)) : castS(b, l, x, f);
  Value r = fn(b, l, xf);
  return isUnsigned ? Value(arith::FPToUIOp::create(b, l, t, r)) : castS(b, l, r, t);
}

/// The Reduce* family (axes as the optional second input).
LowerFn reduction(StringRef kind) {
  std::string k = kind.str();
  return [k](OpBuilder &b, const OnnxNode &node) -> Result {
    Value x = node.input(0);
    auto shape = shapeOf(x);
    bool noop;
    auto axes = reduceAxes(node, shape.size(), noop);
    if (failed(axes))
      return failure();
    bool identity = k == "sum" || k == "mean" || k == "max" || k == "min" || k == "prod";
    if (noop && identity)
      return Values{x};
    bool keep = node.getInt("keepdims", 1);
    bool uns = node.isUnsigned(0);
    Location l = node.loc();
    Type elt = elementTypeOf(x);
    if ((k == "logsum" || k == "logsumexp") && !isFloat(elt))
      return node.error() << "needs a floating-point input", failure();
    int64_t count = 1;
    for (int64_t a : *axes)
      count *= shape[a];

    if (k == "logsumexp") {
      // log(sum(exp(x - m))) + m with m the max (0 where the max is infinite).
      Value mx = buildReduceWith(b, l, {x}, *axes, true, lowestConst(b, l, elt),
                                 [](OpBuilder &nb, Location nl, ValueRange in, Value acc) {
                                   return maxS(nb, nl, in[0], acc);
                                 });
      mx = buildElementwise(b, l, {mx}, shapeOf(mx), elt,
                            [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                              Value inf = arith::CmpFOp::create(
                                  nb, nl, arith::CmpFPredicate::OEQ,
                                  math::AbsFOp::create(nb, nl, a[0]),
                                  highestOf(nb, nl, elt, false));
                              return arith::SelectOp::create(
                                  nb, nl, inf, scalarConst(nb, nl, elt, 0), a[0]);
                            });
      Value s = buildReduceWith(b, l, {x, mx}, *axes, true, scalarConst(b, l, elt, 0),
                                [](OpBuilder &nb, Location nl, ValueRange in, Value acc) {
                                  Value d = arith::SubFOp::create(nb, nl, in[0], in[1]);
                                  return arith::AddFOp::create(
                                      nb, nl, acc, math::ExpOp::create(nb, nl, d));
                                });
      Value r = buildElementwise(b, l, {s, mx}, shapeOf(s), elt,
                                 [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                                   return arith::AddFOp::create(
                                       nb, nl, math::LogOp::create(nb, nl, a[0]), a[1]);
                                 });
      if (keep)
        return Values{r};
      SmallVector<int64_t> kept;
      for (int64_t i = 0; i < int64_t(shape.size()); ++i)
        if (!llvm::is_contained(*axes, i))
          kept.push_back(shape[i]);
      return Values{reshapeTo(b, l, r, kept)};
    }

    Value init = k == "max"    ? lowestOf(b, l, elt, uns)
                 : k == "min"  ? highestOf(b, l, elt, uns)
                 : k == "prod" ? scalarConst(b, l, elt, 1)
                               : scalarConst(b, l, elt, 0);
    Value r = buildReduceWith(
        b, l, {x}, *axes, keep, init,
        [&](OpBuilder &nb, Location nl, ValueRange in, Value acc) -> Value {
          Value v = in[0];
          if (k == "max")
            return maxOf(nb, nl, v, acc, uns);
          if (k == "min")
            return minOf(nb, nl, v, acc, uns);
          if (k == "prod")
            return mulS(nb, nl, acc, v);
          if (k == "l1" && !uns)
            v = isFloat(elt) ? Value(math::AbsFOp::create(nb, nl, v))
                             : Value(math::AbsIOp::create(nb, nl, v));
          if (k == "l2" || k == "sumsquare")
            v = mulS(nb, nl, v, v);
          return addS(nb, nl, acc, v);
        });
    if (k == "mean" || k == "l2" || k == "logsum")
      r = buildElementwise(b, l, ValueRange{r}, shapeOf(r), elt,
                           [&](OpBuilder &nb, Location nl, ValueRange v) -> Value {
                             if (k == "l2")
                               return viaFloat(nb, nl, v[0], uns,
                                               [](OpBuilder &fb, Location fl, Value a) {
                                                 return math::SqrtOp::create(fb, fl, a);
                                               });
                             if (k == "logsum")
                               return math::LogOp::create(nb, nl, v[0]);
                             Value c = scalarConst(nb, nl, elt, double(count));
                             if (isFloat(elt))
                               return arith::DivFOp::create(nb, nl, v[0], c);
                             if (uns)
                               return arith::DivUIOp::create(nb, nl, v[0], c);
                             return arith::DivSIOp::create(nb, nl, v[0], c);
                           });
    return Values{r};
  };
}

/// Reductions whose axes were an attribute: the axes become the input of the
/// form at `opset`.
UpgradeFn axesToInput(int64_t opset) {
  return [opset](OpBuilder &b, const OnnxNode &node) -> Result {
    Values operands{node.input(0)};
    if (auto a = node.getInts("axes"))
      operands.push_back(i64Tensor(b, node.loc(), *a));
    return rebuildAs(b, node, opset, operands, attrsWithout(node, {"axes"}));
  };
}

/// Index (i64) along `axis` of the first (with `last`, the last) greatest
/// (`isMax`) or smallest element; NaN wins like in numpy. The winner is picked
/// by value, then by index, so the result does not depend on the visiting order.
Value buildArgReduce(OpBuilder &b, Location l, Value x, int64_t axis, bool keep, bool isMax,
                     bool last, bool uns) {
  auto shape = shapeOf(x);
  int64_t rank = shape.size();
  Type elt = elementTypeOf(x);
  uns = uns || elt.isInteger(1);
  Type i64 = b.getI64Type();
  MLIRContext *ctx = b.getContext();
  SmallVector<int64_t> outShape, kept;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iters;
  for (int64_t i = 0; i < rank; ++i) {
    iters.push_back(i == axis ? utils::IteratorType::reduction : utils::IteratorType::parallel);
    kept.push_back(i == axis ? 1 : shape[i]);
    if (i != axis) {
      outShape.push_back(shape[i]);
      outExprs.push_back(getAffineDimExpr(i, ctx));
    }
  }
  Value vInit =
      filledTensor(b, l, outShape, isMax ? lowestOf(b, l, elt, uns) : highestOf(b, l, elt, uns));
  Value iInit = filledTensor(b, l, outShape, scalarConst(b, l, i64, 0));
  AffineMap outMap = AffineMap::get(rank, 0, outExprs, ctx);
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx), outMap, outMap};
  auto op = linalg::GenericOp::create(
      b, l, TypeRange{vInit.getType(), iInit.getType()}, ValueRange{x}, ValueRange{vInit, iInit},
      maps, iters, [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value v = a[0], acc = a[1], accI = a[2];
        Value i = arith::IndexCastOp::create(nb, nl, i64, linalg::IndexOp::create(nb, nl, axis));
        Value better, same;
        if (isFloat(elt)) {
          using P = arith::CmpFPredicate;
          Value vNan = arith::CmpFOp::create(nb, nl, P::UNO, v, v);
          Value accNan = arith::CmpFOp::create(nb, nl, P::UNO, acc, acc);
          Value accNum = arith::CmpFOp::create(nb, nl, P::ORD, acc, acc);
          better = arith::OrIOp::create(
              nb, nl, arith::CmpFOp::create(nb, nl, isMax ? P::OGT : P::OLT, v, acc),
              arith::AndIOp::create(nb, nl, vNan, accNum));
          same = arith::OrIOp::create(nb, nl, arith::CmpFOp::create(nb, nl, P::OEQ, v, acc),
                                      arith::AndIOp::create(nb, nl, vNan, accNan));
        } else {
          using P = arith::CmpIPredicate;
          P pred = isMax ? (uns ? P::ugt : P::sgt) : (uns ? P::ult : P::slt);
          better = arith::CmpIOp::create(nb, nl, pred, v, acc);
          same = arith::CmpIOp::create(nb, nl, P::eq, v, acc);
        }
        Value tie = arith::CmpIOp::create(
            nb, nl, last ? arith::CmpIPredicate::sgt : arith::CmpIPredicate::slt, i, accI);
        Value take =
            arith::OrIOp::create(nb, nl, better, arith::AndIOp::create(nb, nl, same, tie));
        linalg::YieldOp::create(nb, nl,
                                ValueRange{arith::SelectOp::create(nb, nl, take, v, acc),
                                           arith::SelectOp::create(nb, nl, take, i, accI)});
      });
  Value r = op.getResult(1);
  return keep ? reshapeTo(b, l, r, kept) : r;
}

/// ArgMax / ArgMin: the input's shape with `axis` reduced; i64 indices.
LogicalResult inferArg(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 1)) || !node.input(0))
    return node.error() << "needs a ranked input";
  auto shape = shapeOf(node.input(0));
  int64_t rank = shape.size();
  auto axis = normalizeAxis(node, node.getInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  bool keep = node.getInt("keepdims", 1);
  SmallVector<int64_t> result;
  for (int64_t i = 0; i < rank; ++i) {
    if (i != *axis)
      result.push_back(shape[i]);
    else if (keep)
      result.push_back(1);
  }
  out.push_back(tensorOf(result, IntegerType::get(node.op->getContext(), 64)));
  return success();
}

LowerFn lowerArg(bool isMax) {
  return [isMax](OpBuilder &b, const OnnxNode &node) -> Result {
    Value x = node.input(0);
    auto axis = normalizeAxis(node, node.getInt("axis", 0), shapeOf(x).size());
    if (failed(axis))
      return failure();
    return Values{buildArgReduce(b, node.loc(), x, *axis, node.getInt("keepdims", 1), isMax,
                                 node.getInt("select_last_index", 0), node.isUnsigned(0))};
  };
}

/// LogSoftmax over `axis`.
Result lowerLogSoftmax(OpBuilder &b, const OnnxNode &node) {
  Value x = node.input(0);
  if (!isFloat(elementTypeOf(x)))
    return node.error() << "needs a floating-point input", failure();
  auto axis = normalizeAxis(node, node.getInt("axis", -1), shapeOf(x).size());
  if (failed(axis))
    return failure();
  return Values{buildLogSoftmax(b, node.loc(), x, *axis)};
}

/// Hardmax over `axis`: 1 at the first maximum, 0 elsewhere.
Result lowerHardmax(OpBuilder &b, const OnnxNode &node) {
  Value x = node.input(0);
  auto shape = shapeOf(x);
  Type elt = elementTypeOf(x);
  auto axis = normalizeAxis(node, node.getInt("axis", -1), shape.size());
  if (failed(axis))
    return failure();
  Location l = node.loc();
  Value idx = buildArgReduce(b, l, x, *axis, true, true, false, node.isUnsigned(0));
  int64_t ax = *axis;
  Value y = buildElementwise(b, l, ValueRange{idx}, shape, elt,
                             [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                               Value i = arith::IndexCastOp::create(
                                   nb, nl, nb.getI64Type(), linalg::IndexOp::create(nb, nl, ax));
                               Value hit = arith::CmpIOp::create(
                                   nb, nl, arith::CmpIPredicate::eq, i, a[0]);
                               return arith::SelectOp::create(nb, nl, hit,
                                                              scalarConst(nb, nl, elt, 1),
                                                              scalarConst(nb, nl, elt, 0));
                             });
  return Values{y};
}

/// The single constant axis of CumSum / CumProd (input 1), normalised.
FailureOr<int64_t> cumAxis(const OnnxNode &node, int64_t rank) {
  auto a = constantIntsOf(node, 1, "axis");
  if (!a)
    return failure();
  if (a->size() != 1)
    return node.error() << "axis must hold a single value", failure();
  return normalizeAxis(node, (*a)[0], rank);
}

/// CumSum / CumProd along the constant axis: out[i] combines x[j] for j before
/// i (up to i unless exclusive; after i when reverse), as one generic with the
/// axis repeated as a reduction dimension.
LowerFn lowerCumulative(bool prod) {
  return [prod](OpBuilder &b, const OnnxNode &node) -> Result {
    Value x = node.input(0);
    if (!node.input(1))
      return node.error() << "needs the axis input", failure();
    auto shape = shapeOf(x);
    int64_t rank = shape.size();
    if (rank == 0)
      return node.error() << "needs an input of rank 1 or more", failure();
    auto axis = cumAxis(node, rank);
    if (failed(axis))
      return failure();
    int64_t ax = *axis;
    bool exclusive = node.getInt("exclusive", 0), reverse = node.getInt("reverse", 0);
    Type elt = elementTypeOf(x);
    Location l = node.loc();
    MLIRContext *ctx = b.getContext();
    SmallVector<AffineExpr> xExprs, outExprs;
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    iters.push_back(utils::IteratorType::reduction);
    for (int64_t i = 0; i < rank; ++i) {
      xExprs.push_back(getAffineDimExpr(i == ax ? rank : i, ctx));
      outExprs.push_back(getAffineDimExpr(i, ctx));
    }
    SmallVector<AffineMap> maps = {AffineMap::get(rank + 1, 0, xExprs, ctx),
                                   AffineMap::get(rank + 1, 0, outExprs, ctx)};
    Value init = filledTensor(b, l, shape, scalarConst(b, l, elt, prod ? 1 : 0));
    using P = arith::CmpIPredicate;
    P pred = reverse ? (exclusive ? P::ugt : P::uge) : (exclusive ? P::ult : P::ule);
    auto op = linalg::GenericOp::create(
        b, l, TypeRange{init.getType()}, ValueRange{x}, ValueRange{init}, maps, iters,
        [&](OpBuilder &nb, Location nl, ValueRange a) {
          Value i = linalg::IndexOp::create(nb, nl, ax);
          Value j = linalg::IndexOp::create(nb, nl, rank);
          Value in = arith::CmpIOp::create(nb, nl, pred, j, i);
          Value v = arith::SelectOp::create(nb, nl, in, a[0],
                                            scalarConst(nb, nl, elt, prod ? 1 : 0));
          linalg::YieldOp::create(nb, nl, prod ? mulS(nb, nl, a[1], v) : addS(nb, nl, a[1], v));
        });
    return Values{op.getResult(0)};
  };
}

/// TopK: values and i64 indices with `axis` of length k (kDyn while k is unknown).
LogicalResult inferTopK(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 2)) || !node.input(0) || !node.input(1))
    return node.error() << "needs a ranked input and k";
  auto shape = shapeOf(node.input(0));
  auto axis = normalizeAxis(node, node.getInt("axis", -1), shape.size());
  if (failed(axis))
    return failure();
  int64_t k = kDyn;
  if (auto c = constantIntsOf(node, 1)) {
    if (c->size() != 1)
      return node.error() << "k must hold a single value", failure();
    k = (*c)[0];
    if (k < 0 || (shape[*axis] != kDyn && k > shape[*axis]))
      return node.error() << "k = " << k << " is out of range for a dimension of "
                          << shape[*axis],
             failure();
  }
  shape[*axis] = k;
  out.push_back(tensorOf(shape, elementTypeOf(node.input(0))));
  out.push_back(tensorOf(shape, IntegerType::get(node.op->getContext(), 64)));
  return success();
}

/// TopK with a constant k, always sorted: each element's rank along the axis
/// (how many elements come before it, ties by lower index), then output p takes
/// the element of rank p.
Result lowerTopK(OpBuilder &b, const OnnxNode &node) {
  Value x = node.input(0);
  auto shape = shapeOf(x);
  int64_t rank = shape.size();
  auto axis = normalizeAxis(node, node.getInt("axis", -1), rank);
  if (failed(axis))
    return failure();
  auto kv = constantIntsOf(node, 1, "k");
  if (!kv)
    return failure();
  int64_t ax = *axis, k = (*kv)[0];
  bool largest = node.getInt("largest", 1);
  bool uns = node.isUnsigned(0) || elementTypeOf(x).isInteger(1);
  Type elt = elementTypeOf(x), i64 = b.getI64Type();
  Location l = node.loc();
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineExpr> ident, alongJ;
  for (int64_t i = 0; i < rank; ++i) {
    ident.push_back(getAffineDimExpr(i, ctx));
    alongJ.push_back(getAffineDimExpr(i == ax ? rank : i, ctx));
  }
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  iters.push_back(utils::IteratorType::reduction);
  AffineMap identMap = AffineMap::get(rank + 1, 0, ident, ctx);
  AffineMap jMap = AffineMap::get(rank + 1, 0, alongJ, ctx);

  // rank[i] = #{j : x[j] before x[i]}
  Value rInit = filledTensor(b, l, shape, scalarConst(b, l, i64, 0));
  auto ranks = linalg::GenericOp::create(
      b, l, TypeRange{rInit.getType()}, ValueRange{x, x}, ValueRange{rInit},
      SmallVector<AffineMap>{identMap, jMap, identMap}, iters,
      [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value xi = a[0], xj = a[1];
        Value before, same;
        if (isFloat(elt)) {
          using P = arith::CmpFPredicate;
          before = arith::CmpFOp::create(nb, nl, largest ? P::OGT : P::OLT, xj, xi);
          same = arith::CmpFOp::create(nb, nl, P::OEQ, xj, xi);
        } else {
          using P = arith::CmpIPredicate;
          P pred = largest ? (uns ? P::ugt : P::sgt) : (uns ? P::ult : P::slt);
          before = arith::CmpIOp::create(nb, nl, pred, xj, xi);
          same = arith::CmpIOp::create(nb, nl, P::eq, xj, xi);
        }
        Value lower = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::ult,
                                            linalg::IndexOp::create(nb, nl, rank),
                                            linalg::IndexOp::create(nb, nl, ax));
        Value cnt = arith::OrIOp::create(nb, nl, before,
                                         arith::AndIOp::create(nb, nl, same, lower));
        linalg::YieldOp::create(
            nb, nl, ValueRange{arith::AddIOp::create(
                        nb, nl, a[2], arith::ExtUIOp::create(nb, nl, i64, cnt))});
      });

  // out[p] = x[i] with rank[i] == p.
  SmallVector<int64_t> outShape = shape;
  outShape[ax] = k;
  Value vInit = filledTensor(b, l, outShape, scalarConst(b, l, elt, 0));
  Value iInit = filledTensor(b, l, outShape, scalarConst(b, l, i64, 0));
  auto pick = linalg::GenericOp::create(
      b, l, TypeRange{vInit.getType(), iInit.getType()},
      ValueRange{x, ranks.getResult(0)}, ValueRange{vInit, iInit},
      SmallVector<AffineMap>{jMap, jMap, identMap, identMap}, iters,
      [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value p = arith::IndexCastOp::create(nb, nl, i64, linalg::IndexOp::create(nb, nl, ax));
        Value j = arith::IndexCastOp::create(nb, nl, i64, linalg::IndexOp::create(nb, nl, rank));
        Value hit = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, a[1], p);
        linalg::YieldOp::create(nb, nl,
                                ValueRange{arith::SelectOp::create(nb, nl, hit, a[0], a[2]),
                                           arith::SelectOp::create(nb, nl, hit, j, a[3])});
      });
  return Values{pick.getResult(0), pick.getResult(1)};
}

/// TopK-1 has k as an attribute; from opset 10 it is an input.
Result upgradeTopK(OpBuilder &b, const OnnxNode &node) {
  Values operands{node.input(0), i64Tensor(b, node.loc(), {node.getInt("k", 1)})};
  return rebuildAs(b, node, 10, operands, attrsWithout(node, {"k"}));
}

/// Softmax over `axis` of x: exp(x - max) / sum(exp(x - max)).
Result lowerSoftmax(OpBuilder &b, const OnnxNode &node) {
  Value x = node.input(0);
  auto shape = shapeOf(x);
  int64_t rank = shape.size();
  Type elt = elementTypeOf(x);
  if (!isFloat(elt))
    return node.error() << "needs a floating-point input", failure();
  auto axis = normalizeAxis(node, node.getInt("axis", -1), rank);
  if (failed(axis))
    return failure();
  SmallVector<int64_t> axes = {*axis};
  Location l = node.loc();
  Value mx = buildReduce(b, l, x, axes, true, "max");
  Value e = buildElementwise(b, l, ValueRange{x, mx}, shape, elt,
                             [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                               return math::ExpOp::create(
                                   nb, nl, arith::SubFOp::create(nb, nl, a[0], a[1]));
                             });
  Value s = buildReduce(b, l, e, axes, true, "sum");
  Value y = buildElementwise(b, l, ValueRange{e, s}, shape, elt,
                             [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                               return arith::DivFOp::create(nb, nl, a[0], a[1]);
                             });
  return Values{y};
}

/// Softmax, LogSoftmax and Hardmax before opset 13 coerce the input to 2-D at
/// `axis` (default 1): Flatten(axis) -> <op>-13(axis 1) -> Reshape(Shape(x)); a
/// last axis needs no reshaping.
Result upgradeSoftmax(OpBuilder &b, const OnnxNode &node) {
  Value x = node.input(0);
  auto shape = shapeOf(x);
  int64_t rank = shape.size();
  auto axis = normalizeAxis(node, node.getInt("axis", 1), rank);
  if (failed(axis))
    return failure();
  Location l = node.loc();
  if (*axis == rank - 1)
    return rebuildAs(b, node, 13, {x},
                     {b.getNamedAttr("axis", b.getI64IntegerAttr(-1)),
                      b.getNamedAttr(kSourceOpsetAttr, b.getI64IntegerAttr(node.sourceOpset()))});
  auto flat = createOrFold(b, l, "Flatten", 13, {x},
                           {b.getNamedAttr("axis", b.getI64IntegerAttr(*axis))});
  if (failed(flat))
    return failure();
  auto soft = createOrFold(b, l, node.opType(), 13, *flat,
                           {b.getNamedAttr("axis", b.getI64IntegerAttr(1))});
  if (failed(soft))
    return failure();
  auto shapeOfX = createOrFold(b, l, "Shape", 15, {x}, {});
  if (failed(shapeOfX))
    return failure();
  return createOrFold(b, l, "Reshape", 14, {(*soft)[0], (*shapeOfX)[0]}, {});
}

} // namespace

Value buildLogSoftmax(OpBuilder &b, Location l, Value x, int64_t axis) {
  auto shape = shapeOf(x);
  Type elt = elementTypeOf(x);
  SmallVector<int64_t> axes = {axis};
  Value mx = buildReduce(b, l, x, axes, true, "max");
  Value s = buildReduceWith(b, l, {x, mx}, axes, true, scalarConst(b, l, elt, 0),
                            [](OpBuilder &nb, Location nl, ValueRange in, Value acc) {
                              Value d = arith::SubFOp::create(nb, nl, in[0], in[1]);
                              return arith::AddFOp::create(nb, nl, acc,
                                                           math::ExpOp::create(nb, nl, d));
                            });
  return buildElementwise(b, l, ValueRange{x, mx, s}, shape, elt,
                          [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                            Value d = arith::SubFOp::create(nb, nl, a[0], a[1]);
                            return arith::SubFOp::create(nb, nl, d,
                                                         math::LogOp::create(nb, nl, a[2]));
                          });
}

void addReductionOps(OpTable &t) {
  t.add("ReduceSum", 1, OpEntry::upgradedBy(axesToInput(13)));
  t.add("ReduceSum", 13, OpEntry::form(inferReduce, reduction("sum")));
  struct {
    const char *op, *kind;
  } reductions18[] = {{"ReduceMean", "mean"},        {"ReduceMax", "max"},
                      {"ReduceMin", "min"},          {"ReduceProd", "prod"},
                      {"ReduceL1", "l1"},            {"ReduceL2", "l2"},
                      {"ReduceLogSum", "logsum"},    {"ReduceLogSumExp", "logsumexp"},
                      {"ReduceSumSquare", "sumsquare"}};
  for (auto [op, kind] : reductions18) { // axes became an input at 18
    t.add(op, 1, OpEntry::upgradedBy(axesToInput(18)));
    t.add(op, 18, OpEntry::form(inferReduce, reduction(kind)));
  }
  t.add("ArgMax", 1, OpEntry::form(inferArg, lowerArg(true)));
  t.add("ArgMin", 1, OpEntry::form(inferArg, lowerArg(false)));
  t.add("Softmax", 1, OpEntry::upgradedBy(upgradeSoftmax)); // 2-D coercion at axis
  t.add("Softmax", 13, OpEntry::form(inferLikeInput0, lowerSoftmax));
  t.add("LogSoftmax", 1, OpEntry::upgradedBy(upgradeSoftmax));
  t.add("LogSoftmax", 13, OpEntry::form(inferLikeInput0, lowerLogSoftmax));
  t.add("Hardmax", 1, OpEntry::upgradedBy(upgradeSoftmax));
  t.add("Hardmax", 13, OpEntry::form(inferLikeInput0, lowerHardmax));
  t.add("CumSum", 11, OpEntry::form(inferLikeInput0, lowerCumulative(false)));
  t.add("CumProd", 26, OpEntry::form(inferLikeInput0, lowerCumulative(true)));
  t.add("TopK", 1, OpEntry::upgradedBy(upgradeTopK));
  t.add("TopK", 10, OpEntry::form(inferTopK, lowerTopK));
}

} // namespace nnm::onnx_to_linalg
