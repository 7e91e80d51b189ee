//===- Normalization.cpp - ONNX normalization ops to linalg ---------------===//
//
// LayerNormalization, RMSNormalization, GroupNormalization,
// InstanceNormalization, MeanVarianceNormalization, LpNormalization and LRN.
// Each is lowered directly: one or two reductions for the statistics (kept as
// unit dims), then one elementwise generic for the output.
//
//===----------------------------------------------------------------------===//
#include "Common.h"

using namespace mlir;

namespace nnm::onnx_to_linalg {
namespace {

/// The element type named by stash_type (an ONNX TensorProto data type).
FailureOr<Type> stashType(const OnnxNode &node) {
  MLIRContext *ctx = node.op->getContext();
  switch (node.getInt("stash_type", 1)) {
  case 1:
    return Type(Float32Type::get(ctx));
  case 10:
    return Type(Float16Type::get(ctx));
  case 11:
    return Type(Float64Type::get(ctx));
  case 16:
    return Type(BFloat16Type::get(ctx));
  default:
    return node.error() << "stash_type " << node.getInt("stash_type", 1)
                        << " is not a floating-point type",
           failure();
  }
}

/// The type statistics are computed in where no stash_type says: f32 for
/// narrower floats, the input's type otherwise.
Type accumulatorType(Type t) {
  if (isFloat(t) && t.getIntOrFloatBitWidth() < 32)
    return Float32Type::get(t.getContext());
  return t;
}

/// How the inverse scale is formed from the variance.
enum class Scale { InvStd, InvRms, InvStdPlusEps };

/// Mean (null for RMS) and inverse scale of `x` over `axes`, both in `u` with
/// the axes kept as unit dims: InvStd = 1/sqrt(var + eps), InvRms =
/// 1/sqrt(mean(x^2) + eps), InvStdPlusEps = 1/(sqrt(var) + eps).
std::pair<Value, Value> buildMoments(OpBuilder &b, Location l, Value x,
                                     ArrayRef<int64_t> axes, double eps, Type u, Scale how) {
  auto shape = shapeOf(x);
  double count = 1;
  for (int64_t a : axes)
    count *= shape[a];
  Value mean;
  if (how != Scale::InvRms) {
    Value s = buildReduceWith(b, l, {x}, axes, true, scalarConst(b, l, u, 0),
                              [&](OpBuilder &nb, Location nl, ValueRange in, Value acc) {
                                return arith::AddFOp::create(nb, nl, acc,
                                                             castS(nb, nl, in[0], u));
                              });
    mean = buildElementwise(b, l, {s}, shapeOf(s), u,
                            [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                              return arith::DivFOp::create(nb, nl, a[0],
                                                           scalarConst(nb, nl, u, count));
                            });
  }
  Values ins{x};
  if (mean)
    ins.push_back(mean);
  Value ss = buildReduceWith(b, l, ins, axes, true, scalarConst(b, l, u, 0),
                             [&](OpBuilder &nb, Location nl, ValueRange in, Value acc) {
                               Value d = castS(nb, nl, in[0], u);
                               if (in.size() > 1)
                                 d = arith::SubFOp::create(nb, nl, d, in[1]);
                               return arith::AddFOp::create(
                                   nb, nl, acc, arith::MulFOp::create(nb, nl, d, d));
                             });
  Value inv = buildElementwise(
      b, l, {ss}, shapeOf(ss), u, [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        Value var = arith::DivFOp::create(nb, nl, a[0], scalarConst(nb, nl, u, count));
        Value e = scalarConst(nb, nl, u, eps);
        Value den;
        if (how == Scale::InvStdPlusEps)
          den = arith::AddFOp::create(nb, nl, math::SqrtOp::create(nb, nl, var), e);
        else
          den = math::SqrtOp::create(nb, nl, arith::AddFOp::create(nb, nl, var, e));
        return arith::DivFOp::create(nb, nl, scalarConst(nb, nl, u, 1), den);
      });
  return {mean, inv};
}

/// y = ((x - mean) * inv) * scale + bias in `u`, cast to x's type; mean, scale
/// and bias may be null; all broadcast to x's shape.
Value buildNormalized(OpBuilder &b, Location l, Value x, Value mean, Value inv, Value scale,
                      Value bias, Type u) {
  Type elt = elementTypeOf(x);
  Values ins{x, inv};
  int iMean = -1, iScale = -1, iBias = -1;
  auto addIn = [&](Value v, int &slot) {
    if (v) {
      slot = ins.size();
      ins.push_back(v);
    }
  };
  addIn(mean, iMean);
  addIn(scale, iScale);
  addIn(bias, iBias);
  return buildElementwise(b, l, ins, shapeOf(x), elt,
                          [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                            Value y = castS(nb, nl, a[0], u);
                            if (iMean >= 0)
                              y = arith::SubFOp::create(nb, nl, y, a[iMean]);
                            y = arith::MulFOp::create(nb, nl, y, a[1]);
                            if (iScale >= 0)
                              y = arith::MulFOp::create(nb, nl, y, castS(nb, nl, a[iScale], u));
                            if (iBias >= 0)
                              y = arith::AddFOp::create(nb, nl, y, castS(nb, nl, a[iBias], u));
                            return castS(nb, nl, y, elt);
                          });
}

/// Fails unless `v` (when present) broadcasts to `shape` unidirectionally.
LogicalResult checkBroadcastsTo(const OnnxNode &node, Value v, ArrayRef<int64_t> shape,
                                const char *what) {
  if (!v)
    return success();
  auto vs = shapeOf(v);
  auto r = broadcastShapes({SmallVector<int64_t>(shape), vs});
  if (vs.size() > shape.size() || failed(r) || ArrayRef<int64_t>(*r) != shape)
    return node.error() << what << " does not broadcast to the input's shape", failure();
  return success();
}

// LayerNormalization / RMSNormalization -------------------------------------------

/// Y like X; Mean and InvStdDev (LayerNormalization) keep X's dims before axis
/// and have unit dims from axis on, in the stash type.
LogicalResult inferLayerNorm(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 3)) || !node.input(0) || !node.input(1))
    return node.error() << "needs X and Scale";
  auto shape = shapeOf(node.input(0));
  int64_t rank = shape.size();
  auto axis = normalizeAxis(node, node.getInt("axis", -1), rank);
  if (failed(axis))
    return failure();
  auto u = stashType(node);
  if (failed(u))
    return failure();
  out.push_back(node.input(0).getType());
  SmallVector<int64_t> stat(shape);
  for (int64_t i = *axis; i < rank; ++i)
    stat[i] = 1;
  for (unsigned i = 1; i < node.numResults(); ++i)
    out.push_back(tensorOf(stat, *u));
  return success();
}

/// Layer (or RMS) normalisation over the axes from `axis` on.
LowerFn lowerLayerNorm(bool rms) {
  return [rms](OpBuilder &b, const OnnxNode &node) -> Result {
    Value x = node.input(0), scale = node.input(1), bias = rms ? Value() : node.input(2);
    auto shape = shapeOf(x);
    int64_t rank = shape.size();
    if (!isFloat(elementTypeOf(x)))
      return node.error() << "needs a floating-point input", failure();
    auto axis = normalizeAxis(node, node.getInt("axis", -1), rank);
    auto u = stashType(node);
    if (failed(axis) || failed(u) || failed(checkBroadcastsTo(node, scale, shape, "scale")) ||
        failed(checkBroadcastsTo(node, bias, shape, "bias")))
      return failure();
    SmallVector<int64_t> axes;
    for (int64_t i = *axis; i < rank; ++i)
      axes.push_back(i);
    Location l = node.loc();
    auto [mean, inv] = buildMoments(b, l, x, axes, node.getFloat("epsilon", 1e-5), *u,
                                    rms ? Scale::InvRms : Scale::InvStd);
    Values results{buildNormalized(b, l, x, mean, inv, scale, bias, *u), mean, inv};
    results.resize(node.numResults());
    return results;
  };
}

// GroupNormalization / InstanceNormalization --------------------------------------

/// GroupNormalization-21: X (N, C, D...) viewed as (N, G, C/G, D...); statistics
/// per (n, g), scale and bias per channel.
Result lowerGroupNorm(OpBuilder &b, const OnnxNode &node) {
  Value x = node.input(0), scale = node.input(1), bias = node.input(2);
  if (!x || !scale || !bias)
    return node.error() << "needs X, scale and bias", failure();
  auto shape = shapeOf(x);
  int64_t rank = shape.size();
  if (rank < 2 || !isFloat(elementTypeOf(x)))
    return node.error() << "needs a floating-point input of rank 2 or more", failure();
  int64_t c = shape[1], g = node.getInt("num_groups", 0);
  if (g <= 0 || c % g)
    return node.error() << "num_groups " << g << " does not divide the " << c << " channels",
           failure();
  if (shapeOf(scale) != SmallVector<int64_t>{c} || shapeOf(bias) != SmallVector<int64_t>{c})
    return node.error() << "scale and bias must have one value per channel (" << c << ")",
           failure();
  auto u = stashType(node);
  if (failed(u))
    return failure();
  Location l = node.loc();
  SmallVector<int64_t> grouped = {shape[0], g, c / g}, perChannel = {g, c / g};
  SmallVector<int64_t> axes = {2};
  for (int64_t i = 2; i < rank; ++i) {
    grouped.push_back(shape[i]);
    perChannel.push_back(1);
    axes.push_back(i + 1);
  }
  Value xg = reshapeTo(b, l, x, grouped);
  auto [mean, inv] =
      buildMoments(b, l, xg, axes, node.getFloat("epsilon", 1e-5), *u, Scale::InvStd);
  Value y = buildNormalized(b, l, xg, mean, inv, reshapeTo(b, l, scale, perChannel),
                            reshapeTo(b, l, bias, perChannel), *u);
  return Values{reshapeTo(b, l, y, shape)};
}

/// GroupNormalization-18 has scale and bias per group: repeat each C/G times
/// (Unsqueeze -> Concat -> Reshape) to make them per channel.
Result upgradeGroupNorm(OpBuilder &b, const OnnxNode &node) {
  Value x = node.input(0);
  if (!x || !node.input(1) || !node.input(2) || !node.inputType(0))
    return node.error() << "needs X, scale and bias", failure();
  int64_t g = node.getInt("num_groups", 0);
  auto shape = shapeOf(x);
  if (shape.size() < 2 || shape[1] == kDyn || g <= 0 || shape[1] % g)
    return node.error() << "needs a known channel count divisible by num_groups", failure();
  int64_t c = shape[1];
  Location l = node.loc();
  Values operands{x};
  for (unsigned i = 1; i < 3; ++i) {
    auto col = createOrFold(b, l, "Unsqueeze", 13, {node.input(i), i64Tensor(b, l, {1})}, {});
    if (failed(col))
      return failure();
    Values copies(c / g, (*col)[0]);
    auto rep = createOrFold(b, l, "Concat", 13, copies,
                            {b.getNamedAttr("axis", b.getI64IntegerAttr(1))});
    if (failed(rep))
      return failure();
    auto flat = createOrFold(b, l, "Reshape", 14, {(*rep)[0], i64Tensor(b, l, {c})}, {});
    if (failed(flat))
      return failure();
    operands.push_back((*flat)[0]);
  }
  return rebuildAs(b, node, 21, operands, attrsWithout(node, {}));
}

/// InstanceNormalization: statistics per (n, c) over the spatial dims.
Result lowerInstanceNorm(OpBuilder &b, const OnnxNode &node) {
  Value x = node.input(0), scale = node.input(1), bias = node.input(2);
  if (!x || !scale || !bias)
    return node.error() << "needs input, scale and B", failure();
  auto shape = shapeOf(x);
  int64_t rank = shape.size();
  Type elt = elementTypeOf(x);
  if (rank < 2 || !isFloat(elt))
    return node.error() << "needs a floating-point input of rank 2 or more", failure();
  int64_t c = shape[1];
  if (shapeOf(scale) != SmallVector<int64_t>{c} || shapeOf(bias) != SmallVector<int64_t>{c})
    return node.error() << "scale and B must have one value per channel (" << c << ")",
           failure();
  Location l = node.loc();
  SmallVector<int64_t> axes, perChannel = {c};
  for (int64_t i = 2; i < rank; ++i) {
    axes.push_back(i);
    perChannel.push_back(1);
  }
  Type u = accumulatorType(elt);
  auto [mean, inv] = buildMoments(b, l, x, axes, node.getFloat("epsilon", 1e-5), u, Scale::InvStd);
  return Values{buildNormalized(b, l, x, mean, inv, reshapeTo(b, l, scale, perChannel),
                                reshapeTo(b, l, bias, perChannel), u)};
}

// MeanVarianceNormalization / LpNormalization / LRN -------------------------------

/// (x - mean) / (sqrt(var) + 1e-9) over `axes` (default [0, 2, 3]).
Result lowerMVN(OpBuilder &b, const OnnxNode &node) {
  Value x = node.input(0);
  auto shape = shapeOf(x);
  int64_t rank = shape.size();
  Type elt = elementTypeOf(x);
  if (!isFloat(elt))
    return node.error() << "needs a floating-point input", failure();
  auto normalized = normalizeAxes(
      node, node.getInts("axes").value_or(SmallVector<int64_t>{0, 2, 3}), rank);
  if (failed(normalized))
    return failure();
  SmallVector<int64_t> axes = *normalized;
  Location l = node.loc();
  Type u = accumulatorType(elt);
  auto [mean, inv] = buildMoments(b, l, x, axes, 1e-9, u, Scale::InvStdPlusEps);
  return Values{buildNormalized(b, l, x, mean, inv, {}, {}, u)};
}

/// x / ||x||_p along `axis`, p being 1 or 2; 0 where the norm is 0.
Result lowerLpNorm(OpBuilder &b, const OnnxNode &node) {
  Value x = node.input(0);
  auto shape = shapeOf(x);
  Type elt = elementTypeOf(x);
  if (!isFloat(elt))
    return node.error() << "needs a floating-point input", failure();
  auto axis = normalizeAxis(node, node.getInt("axis", -1), shape.size());
  if (failed(axis))
    return failure();
  int64_t p = node.getInt("p", 2);
  if (p != 1 && p != 2)
    return node.error() << "p = " << p << " is not supported (only 1 and 2)", failure();
  Location l = node.loc();
  Type u = accumulatorType(elt);
  Value norm = buildReduceWith(b, l, {x}, {*axis}, true, scalarConst(b, l, u, 0),
                               [&](OpBuilder &nb, Location nl, ValueRange in, Value acc) {
                                 Value v = castS(nb, nl, in[0], u);
                                 v = p == 1 ? Value(math::AbsFOp::create(nb, nl, v))
                                            : Value(arith::MulFOp::create(nb, nl, v, v));
                                 return arith::AddFOp::create(nb, nl, acc, v);
                               });
  Value y = buildElementwise(b, l, {x, norm}, shape, elt,
                             [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                               Value n = p == 1 ? a[1] : math::SqrtOp::create(nb, nl, a[1]);
                               Value zero = scalarConst(nb, nl, u, 0);
                               Value isZero = arith::CmpFOp::create(
                                   nb, nl, arith::CmpFPredicate::OEQ, n, zero);
                               Value q = arith::DivFOp::create(nb, nl, castS(nb, nl, a[0], u), n);
                               return castS(nb, nl,
                                            arith::SelectOp::create(nb, nl, isZero, zero, q), elt);
                             });
  return Values{y};
}

/// LRN across channels: x / (bias + alpha / size * sum of x^2 over the window
/// [c - floor((size-1)/2), c + ceil((size-1)/2)])^beta, as a window sum over
/// the zero-padded squares.
Result lowerLRN(OpBuilder &b, const OnnxNode &node) {
  Value x = node.input(0);
  auto shape = shapeOf(x);
  int64_t rank = shape.size();
  Type elt = elementTypeOf(x);
  if (rank < 2 || !isFloat(elt))
    return node.error() << "needs a floating-point input of rank 2 or more", failure();
  int64_t size = node.getInt("size", 0);
  if (size <= 0)
    return node.error() << "needs a positive size", failure();
  double alpha = node.getFloat("alpha", 1e-4), beta = node.getFloat("beta", 0.75),
         bias = node.getFloat("bias", 1.0);
  Location l = node.loc();
  Type u = accumulatorType(elt);
  Value sq = buildElementwise(b, l, {x}, shape, u,
                              [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                                Value v = castS(nb, nl, a[0], u);
                                return arith::MulFOp::create(nb, nl, v, v);
                              });
  int64_t lo = (size - 1) / 2, hi = size - 1 - lo;
  SmallVector<OpFoldResult> los(rank, b.getIndexAttr(0)), his(rank, b.getIndexAttr(0));
  los[1] = b.getIndexAttr(lo);
  his[1] = b.getIndexAttr(hi);
  SmallVector<int64_t> padded = shape;
  padded[1] += size - 1;
  Value sqPad = tensor::PadOp::create(b, l, tensorOf(padded, u), sq, los, his,
                                      scalarConst(b, l, u, 0), /*nofold=*/false);
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineExpr> inExprs, outExprs;
  for (int64_t i = 0; i < rank; ++i) {
    outExprs.push_back(getAffineDimExpr(i, ctx));
    inExprs.push_back(i == 1 ? getAffineDimExpr(1, ctx) + getAffineDimExpr(rank, ctx)
                             : getAffineDimExpr(i, ctx));
  }
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  iters.push_back(utils::IteratorType::reduction);
  // The window dimension's extent comes from a dummy operand of shape [size].
  SmallVector<AffineExpr> winExpr = {getAffineDimExpr(rank, ctx)};
  Value window = emptyTensor(b, l, {size}, u);
  Value init = filledTensor(b, l, shape, scalarConst(b, l, u, 0));
  auto sum = linalg::GenericOp::create(
      b, l, TypeRange{init.getType()}, ValueRange{sqPad, window}, ValueRange{init},
      SmallVector<AffineMap>{AffineMap::get(rank + 1, 0, inExprs, ctx),
                             AffineMap::get(rank + 1, 0, winExpr, ctx),
                             AffineMap::get(rank + 1, 0, outExprs, ctx)},
      iters, [&](OpBuilder &nb, Location nl, ValueRange a) {
        linalg::YieldOp::create(nb, nl, ValueRange{arith::AddFOp::create(nb, nl, a[2], a[0])});
      });
  Value y = buildElementwise(
      b, l, {x, sum.getResult(0)}, shape, elt,
      [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        Value s = arith::MulFOp::create(nb, nl, a[1], scalarConst(nb, nl, u, alpha / size));
        Value d = math::PowFOp::create(
            nb, nl, arith::AddFOp::create(nb, nl, s, scalarConst(nb, nl, u, bias)),
            scalarConst(nb, nl, u, beta));
        return castS(nb, nl, arith::DivFOp::create(nb, nl, castS(nb, nl, a[0], u), d), elt);
      });
  return Values{y};
}

} // namespace

void addNormalizationOps(OpTable &t) {
  t.add("LayerNormalization", 17, OpEntry::form(inferLayerNorm, lowerLayerNorm(false)));
  t.add("RMSNormalization", 23, OpEntry::form(inferLayerNorm, lowerLayerNorm(true)));
  t.add("GroupNormalization", 18, OpEntry::upgradedBy(upgradeGroupNorm)); // scale per group
  t.add("GroupNormalization", 21, OpEntry::form(inferLikeInput0, lowerGroupNorm));
  t.add("InstanceNormalization", 1, OpEntry::upgradedBy(dropAttrs(6, {"consumed_inputs"})));
  t.add("InstanceNormalization", 6, OpEntry::form(inferLikeInput0, lowerInstanceNorm));
  t.add("MeanVarianceNormalization", 9, OpEntry::form(inferLikeInput0, lowerMVN));
  t.add("LpNormalization", 1, OpEntry::form(inferLikeInput0, lowerLpNorm));
  t.add("LRN", 1, OpEntry::form(inferLikeInput0, lowerLRN));
}

} // namespace nnm::onnx_to_linalg
