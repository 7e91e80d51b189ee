//===- Elementwise.cpp - ONNX elementwise ops to linalg -------------------===//
#include "Common.h"

#include "nnm/Support/ElementType.h"

#include "mlir/IR/BuiltinTypes.h"

#include <cmath>

using namespace mlir;

namespace nnm::onnx_to_linalg {
namespace {

using ScalarFn = std::function<Value(OpBuilder &, Location, ValueRange, const OnnxNode &)>;

/// Broadcasts `inputs` and applies `fn` elementwise; the result has the
/// element type of input 0 unless `outElt` is given.
Result lowerBroadcast(OpBuilder &b, const OnnxNode &node, ValueRange inputs, ScalarFn fn,
                      Type outElt = {}) {
  return broadcastElementwise(b, node, inputs,
                              [&](OpBuilder &nb, Location l, ValueRange a) {
                                return fn(nb, l, a, node);
                              },
                              outElt);
}

using IntFold = std::function<std::optional<int64_t>(ArrayRef<int64_t>)>;

/// Folds an elementwise op on small integer constants (shape arithmetic such as
/// Shape -> Div -> Concat -> Reshape); failure when not applicable.
LogicalResult foldIntegers(const OnnxNode &node, Consts consts, const IntFold &fold,
                           Folded &out) {
  SmallVector<SmallVector<int64_t>> vals, shapes;
  Type elt;
  for (DenseElementsAttr c : consts) {
    if (!c)
      continue; // an absent optional input
    if (!elt)
      elt = c.getElementType();
    if (c.getElementType() != elt || !isa<IntegerType>(elt) || elt.isInteger(1) ||
        c.getNumElements() > 4096)
      return failure();
    SmallVector<int64_t> x;
    for (const APInt &a : c.getValues<APInt>())
      x.push_back(a.getSExtValue());
    vals.push_back(x);
    shapes.push_back(SmallVector<int64_t>(c.getType().getShape()));
  }
  if (vals.empty() || vals.size() != node.presentInputs().size())
    return failure();
  auto shape = broadcastShapes(shapes);
  if (failed(shape))
    return failure();
  int64_t rank = shape->size(), n = productOf(*shape);
  SmallVector<APInt> result;
  SmallVector<int64_t> idx(rank, 0), args(vals.size());
  for (int64_t i = 0; i < n; ++i) {
    for (size_t k = 0; k < vals.size(); ++k) {
      int64_t pos = 0, off = rank - int64_t(shapes[k].size());
      for (size_t d = 0; d < shapes[k].size(); ++d)
        pos = pos * shapes[k][d] + (shapes[k][d] == 1 ? 0 : idx[off + d]);
      args[k] = vals[k][pos];
    }
    std::optional<int64_t> r = fold(args);
    if (!r)
      return failure(); // e.g. division by zero: leave it to run time
    result.push_back(APInt(elt.getIntOrFloatBitWidth(), *r, /*isSigned=*/true));
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++idx[d] < (*shape)[d])
        break;
      idx[d] = 0;
    }
  }
  out.push_back(DenseElementsAttr::get(tensorOf(*shape, elt), result));
  return success();
}

/// Registers an op whose every present input takes part elementwise; `arity`
/// is its exact number of inputs (0: variadic).
void addNary(OpTable &t, StringRef op, int64_t since, unsigned arity, ScalarFn fn,
             IntFold fold = {}) {
  auto lower = [fn](OpBuilder &b, const OnnxNode &node) -> Result {
    Values ins = node.presentInputs();
    if (ins.empty())
      return node.error() << "needs at least one input", failure();
    for (Value v : ins)
      if (elementTypeOf(v) != elementTypeOf(ins[0]))
        return node.error() << "operands have different element types", failure();
    return lowerBroadcast(b, node, ins, fn);
  };
  FoldFn folder;
  if (fold)
    folder = [fold](const OnnxNode &node, Consts consts, Folded &out) {
      return foldIntegers(node, consts, fold, out);
    };
  t.add(op, since, OpEntry::form(broadcastWithArity(arity), lower, folder));
}

// Scalar bodies ----------------------------------------------------------------

Value add(OpBuilder &b, Location l, ValueRange a, const OnnxNode &) { return addS(b, l, a[0], a[1]); }
Value mul(OpBuilder &b, Location l, ValueRange a, const OnnxNode &) { return mulS(b, l, a[0], a[1]); }
Value sub(OpBuilder &b, Location l, ValueRange a, const OnnxNode &) {
  if (isFloat(a[0].getType()))
    return arith::SubFOp::create(b, l, a[0], a[1]);
  return arith::SubIOp::create(b, l, a[0], a[1]);
}
Value div(OpBuilder &b, Location l, ValueRange a, const OnnxNode &n) {
  if (isFloat(a[0].getType()))
    return arith::DivFOp::create(b, l, a[0], a[1]);
  if (n.isUnsigned(0))
    return arith::DivUIOp::create(b, l, a[0], a[1]);
  return arith::DivSIOp::create(b, l, a[0], a[1]);
}
Value neg(OpBuilder &b, Location l, ValueRange a, const OnnxNode &) {
  if (isFloat(a[0].getType()))
    return arith::NegFOp::create(b, l, a[0]);
  return arith::SubIOp::create(b, l, scalarConst(b, l, a[0].getType(), 0), a[0]);
}
Value abs(OpBuilder &b, Location l, ValueRange a, const OnnxNode &) {
  if (isFloat(a[0].getType()))
    return math::AbsFOp::create(b, l, a[0]);
  return math::AbsIOp::create(b, l, a[0]);
}
Value relu(OpBuilder &b, Location l, ValueRange a, const OnnxNode &) {
  Value zero = scalarConst(b, l, a[0].getType(), 0);
  if (isFloat(a[0].getType())) // relu(NaN) stays NaN
    return arith::SelectOp::create(
        b, l, arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, a[0], zero), zero, a[0]);
  return arith::MaxSIOp::create(b, l, a[0], zero);
}
Value leakyRelu(OpBuilder &b, Location l, ValueRange a, const OnnxNode &n) {
  Type t = a[0].getType();
  Value zero = scalarConst(b, l, t, 0);
  Value alpha = scalarConst(b, l, t, n.getFloat("alpha", 0.01));
  Value neg = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, a[0], zero);
  return arith::SelectOp::create(b, l, neg, arith::MulFOp::create(b, l, a[0], alpha), a[0]);
}
Value sigmoid(OpBuilder &b, Location l, ValueRange a, const OnnxNode &) {
  // 1 / (1 + exp(-x)), which saturates cleanly at both ends in float.
  Type t = a[0].getType();
  Value one = scalarConst(b, l, t, 1);
  Value e = math::ExpOp::create(b, l, arith::NegFOp::create(b, l, a[0]));
  return arith::DivFOp::create(b, l, one, arith::AddFOp::create(b, l, one, e));
}
Value pow(OpBuilder &b, Location l, ValueRange a, const OnnxNode &n) {
  Type t = a[0].getType();
  if (!isFloat(t)) {
    // Integer base: compute in f64 (exact for the results an integer can hold)
    // and convert back, which is what numpy's power does for small integers.
    Type f64 = b.getF64Type();
    Value r = math::PowFOp::create(b, l, castS(b, l, a[0], f64, n.isUnsigned(0)),
                                   castS(b, l, a[1], f64, n.isUnsigned(1)));
    return castS(b, l, math::RoundEvenOp::create(b, l, r), t, false, n.isUnsigned(0));
  }
  Value exp = a[1];
  if (exp.getType() != t)
    exp = castS(b, l, exp, t, n.isUnsigned(1));
  return math::PowFOp::create(b, l, a[0], exp);
}

template <typename OpTy>
Value unaryMath(OpBuilder &b, Location l, ValueRange a, const OnnxNode &) {
  return OpTy::create(b, l, a[0]);
}

Value variadicMax(OpBuilder &b, Location l, ValueRange a, const OnnxNode &n) {
  Value r = a[0];
  for (Value v : a.drop_front())
    r = maxS(b, l, r, v, n.isUnsigned(0));
  return r;
}
Value variadicMin(OpBuilder &b, Location l, ValueRange a, const OnnxNode &n) {
  Value r = a[0];
  for (Value v : a.drop_front())
    r = minS(b, l, r, v, n.isUnsigned(0));
  return r;
}

Value variadicSum(OpBuilder &b, Location l, ValueRange a, const OnnxNode &) {
  Value r = a[0];
  for (Value v : a.drop_front())
    r = addS(b, l, r, v);
  return r;
}
Value variadicMean(OpBuilder &b, Location l, ValueRange a, const OnnxNode &n) {
  Value s = variadicSum(b, l, a, n);
  return arith::DivFOp::create(b, l, s, scalarConst(b, l, s.getType(), double(a.size())));
}
Value reciprocal(OpBuilder &b, Location l, ValueRange a, const OnnxNode &) {
  return arith::DivFOp::create(b, l, scalarConst(b, l, a[0].getType(), 1), a[0]);
}
/// Sign: -1, 0 or 1; NaN stays NaN (numpy.sign), unsigned is 0 or 1.
Value sign(OpBuilder &b, Location l, ValueRange a, const OnnxNode &n) {
  Value x = a[0];
  Type t = x.getType();
  Value zero = scalarConst(b, l, t, 0), one = scalarConst(b, l, t, 1),
        minus = scalarConst(b, l, t, -1);
  if (isFloat(t)) {
    Value pos = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, x, zero);
    Value neg = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, x, zero);
    Value zeroOrNaN = arith::SelectOp::create(
        b, l, arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNO, x, x), x, zero);
    return arith::SelectOp::create(b, l, pos, one,
                                   arith::SelectOp::create(b, l, neg, minus, zeroOrNaN));
  }
  bool u = n.isUnsigned(0);
  Value pos = arith::CmpIOp::create(b, l, u ? arith::CmpIPredicate::ne : arith::CmpIPredicate::sgt,
                                    x, zero);
  if (u)
    return arith::SelectOp::create(b, l, pos, one, zero);
  Value neg = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, x, zero);
  return arith::SelectOp::create(b, l, pos, one, arith::SelectOp::create(b, l, neg, minus, zero));
}
/// Mod: fmod = 1 is C's fmod (the sign of the dividend); fmod = 0 is numpy's
/// mod (the sign of the divisor), for integers and floats alike.
Value mod(OpBuilder &b, Location l, ValueRange a, const OnnxNode &n) {
  Value x = a[0], y = a[1];
  Type t = x.getType();
  bool fmod = n.getInt("fmod", 0) != 0;
  Value zero = scalarConst(b, l, t, 0);
  if (isFloat(t)) {
    Value r = arith::RemFOp::create(b, l, x, y);
    if (fmod)
      return r;
    // A non-zero remainder with the dividend's sign moves by one divisor; a zero
    // one takes the divisor's sign. NaN and inf follow through the arithmetic.
    Value rNeg = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, r, zero);
    Value yNeg = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, y, zero);
    Value differ = arith::XOrIOp::create(b, l, rNeg, yNeg);
    Value isZero = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, r, zero);
    Value moved = arith::SelectOp::create(b, l, differ, arith::AddFOp::create(b, l, r, y), r);
    return arith::SelectOp::create(b, l, isZero, math::CopySignOp::create(b, l, zero, y), moved);
  }
  if (n.isUnsigned(0))
    return arith::RemUIOp::create(b, l, x, y);
  Value r = arith::RemSIOp::create(b, l, x, y);
  if (fmod)
    return r;
  Value rNeg = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, r, zero);
  Value yNeg = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, y, zero);
  Value nonZero = arith::CmpIOp::create(b, l, arith::CmpIPredicate::ne, r, zero);
  Value fix = arith::AndIOp::create(b, l, nonZero, arith::XOrIOp::create(b, l, rNeg, yNeg));
  return arith::SelectOp::create(b, l, fix, arith::AddIOp::create(b, l, r, y), r);
}

/// Float-only ops reject integer operands up front with a clear message.
void addFloatUnary(OpTable &t, StringRef op, int64_t since, ScalarFn fn) {
  auto lower = [fn](OpBuilder &b, const OnnxNode &node) -> Result {
    Value x = node.input(0);
    if (!x || !isFloat(elementTypeOf(x)))
      return node.error() << "needs a floating-point input", failure();
    return lowerBroadcast(b, node, ValueRange{x}, fn);
  };
  t.add(op, since, OpEntry::form(inferLikeInput0, lower));
}

// Clip -------------------------------------------------------------------------

Result lowerClip(OpBuilder &b, const OnnxNode &node) {
  Value x = node.input(0);
  Type elt = elementTypeOf(x);
  Location l = node.loc();
  // min/max are optional rank-0 inputs; extract them as scalars.
  auto scalar = [&](unsigned i) -> Value {
    Value v = node.input(i);
    if (!v)
      return {};
    return tensor::ExtractOp::create(b, l, reshapeTo(b, l, v, {}), ValueRange{});
  };
  Value lo = scalar(1), hi = scalar(2);
  Value r = buildElementwise(b, l, ValueRange{x}, shapeOf(x), elt,
                             [&](OpBuilder &nb, Location nl, ValueRange a) {
                               Value v = a[0];
                               if (lo)
                                 v = maxS(nb, nl, v, lo, node.isUnsigned(0));
                               if (hi)
                                 v = minS(nb, nl, v, hi, node.isUnsigned(0));
                               return v;
                             });
  return Values{r};
}

/// Clip before opset 11: min/max attributes become rank-0 constant inputs.
Result upgradeClip(OpBuilder &b, const OnnxNode &node) {
  Value x = node.input(0);
  Type elt = elementTypeOf(x);
  Location l = node.loc();
  auto bound = [&](StringRef name, double dflt) {
    return constantTensor(
        b, l, DenseElementsAttr::get(tensorOf({}, elt),
                                     b.getFloatAttr(elt, node.getFloat(name, dflt))));
  };
  if (!isFloat(elt))
    return node.error() << "needs a floating-point input", failure();
  return rebuildAs(b, node, 11, {x, bound("min", -INFINITY), bound("max", INFINITY)},
                   attrsWithout(node, {"min", "max"}));
}

// Cast -------------------------------------------------------------------------

FailureOr<Type> castTarget(const OnnxNode &node, MLIRContext *ctx) {
  const ElementType *et = elementTypeForOnnx(node.getInt("to", 0));
  if (!et || !et->supported)
    return node.error() << "unsupported target type "
                        << (et ? std::string(et->name) : std::to_string(node.getInt("to", 0)))
                        << " (supported: " << supportedElementTypeNames() << ")", failure();
  return toMlirType(et->dtype, ctx);
}

LogicalResult inferCast(const OnnxNode &node, Types &out) {
  auto to = castTarget(node, node.op->getContext());
  if (failed(to) || failed(requireRanked(node, 1)))
    return failure();
  out.push_back(tensorOf(shapeOf(node.input(0)), *to));
  return success();
}

/// Shape computations cast small integer constants.
LogicalResult foldCast(const OnnxNode &node, Consts consts, Folded &out) {
  DenseElementsAttr c = consts[0];
  auto to = castTarget(node, node.op->getContext());
  if (!c || failed(to) || !isa<IntegerType>(c.getElementType()) ||
      c.getElementType().isInteger(1) || c.getNumElements() > 4096)
    return failure();
  bool fromUnsigned = c.getElementType().isUnsignedInteger();
  if (auto ft = dyn_cast<FloatType>(*to)) {
    // Integer shape values turned into floats (a window's size in Range).
    SmallVector<APFloat> floats;
    for (const APInt &v : c.getValues<APInt>()) {
      APFloat f(ft.getFloatSemantics());
      f.convertFromAPInt(v, !fromUnsigned, APFloat::rmNearestTiesToEven);
      floats.push_back(f);
    }
    out.push_back(DenseElementsAttr::get(tensorOf(c.getType().getShape(), *to), floats));
    return success();
  }
  if (!isa<IntegerType>(*to) || to->isInteger(1))
    return failure();
  SmallVector<APInt> vals;
  for (const APInt &v : c.getValues<APInt>())
    vals.push_back(fromUnsigned ? v.zextOrTrunc(to->getIntOrFloatBitWidth())
                                : v.sextOrTrunc(to->getIntOrFloatBitWidth()));
  out.push_back(DenseElementsAttr::get(tensorOf(c.getType().getShape(), *to), vals));
  return success();
}

/// Input 0 converted elementwise to the ONNX-level type `target` (Cast and
/// CastLike); an unsigned target computes in its signless form.
Result castTo(OpBuilder &b, const OnnxNode &node, Type target) {
  Value x = node.input(0);
  Type to = signlessElementType(target);
  Value r = buildElementwise(b, node.loc(), ValueRange{x}, shapeOf(x), to,
                             [&](OpBuilder &nb, Location l, ValueRange a) {
                               return castS(nb, l, a[0], to, node.isUnsigned(0),
                                            target.isUnsignedInteger());
                             });
  return Values{r};
}

Result lowerCast(OpBuilder &b, const OnnxNode &node) {
  auto to = castTarget(node, b.getContext());
  if (failed(to))
    return failure();
  return castTo(b, node, *to);
}

/// CastLike: the result has input 0's shape and input 1's element type.
LogicalResult inferCastLike(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 2)) || !node.input(0) || !node.input(1))
    return node.error() << "needs 2 inputs";
  out.push_back(tensorOf(shapeOf(node.input(0)), elementTypeOf(node.input(1))));
  return success();
}

Result lowerCastLike(OpBuilder &b, const OnnxNode &node) {
  // The ONNX-level type (unsigned kept), not the converted operand's.
  return castTo(b, node, elementTypeOf(node.op->getOperand(1)));
}

// BatchNormalization (inference) -----------------------------------------------

Result lowerBatchNorm(OpBuilder &b, const OnnxNode &node) {
  if (node.op->getNumResults() > 1 || node.getInt("training_mode", 0) != 0)
    return node.error() << "only inference mode (one output) is supported", failure();
  Value x = node.input(0);
  auto shape = shapeOf(x);
  if (shape.size() < 2)
    return node.error() << "input must have rank >= 2", failure();
  Location l = node.loc();
  // Parameters are [C]: view them as [C, 1, ...] so they broadcast along axis 1.
  SmallVector<int64_t> paramShape(shape.size() - 1, 1);
  paramShape[0] = shape[1];
  Values ins{x};
  for (unsigned i = 1; i <= 4; ++i) {
    Value p = node.input(i);
    if (!p || shapeOf(p) != SmallVector<int64_t>{shape[1]})
      return node.error() << "parameter " << i << " must have shape [" << shape[1] << "]",
             failure();
    ins.push_back(reshapeTo(b, l, p, paramShape));
  }
  double eps = node.getFloat("epsilon", 1e-5);
  Value r = buildElementwise(b, l, ins, shape, elementTypeOf(x),
                             [&](OpBuilder &nb, Location nl, ValueRange a) {
                               Type t = a[0].getType();
                               Value var = arith::AddFOp::create(nb, nl, a[4],
                                                                 scalarConst(nb, nl, t, eps));
                               Value norm = arith::DivFOp::create(
                                   nb, nl, arith::SubFOp::create(nb, nl, a[0], a[3]),
                                   math::SqrtOp::create(nb, nl, var));
                               return arith::AddFOp::create(
                                   nb, nl, arith::MulFOp::create(nb, nl, norm, a[1]), a[2]);
                             });
  return Values{r};
}

/// Y has X's type; the optional training outputs have the running statistics' type.
LogicalResult inferBatchNorm(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 5)) || !node.input(0))
    return node.error() << "needs input 0";
  out.push_back(node.input(0).getType());
  for (unsigned i = 1; i < node.numResults(); ++i)
    out.push_back(node.input(3) ? node.input(3).getType() : node.input(0).getType());
  return success();
}

/// BatchNormalization before opset 7: is_test = 0 is training, which needs the
/// batch statistics; otherwise the attributes simply go.
Result upgradeBatchNorm(OpBuilder &b, const OnnxNode &node) {
  if (node.has("is_test") && node.getInt("is_test", 0) == 0)
    return node.error() << "only inference mode (is_test = 1) is supported", failure();
  return rebuildAs(b, node, 7, node.op->getOperands(),
                   attrsWithout(node, {"is_test", "consumed_inputs"}));
}

Result lowerIdentity(OpBuilder &, const OnnxNode &node) { return Values{node.input(0)}; }

LogicalResult foldIdentity(const OnnxNode &, Consts consts, Folded &out) {
  if (!consts[0])
    return failure();
  out.push_back(consts[0]);
  return success();
}

/// Inference Dropout is the identity, and its optional mask is all true. Training
/// mode is accepted only when it cannot drop anything (ratio 0).
Result lowerDropout(OpBuilder &b, const OnnxNode &node) {
  Value x = node.input(0);
  bool training = false;
  if (Value t = node.input(2)) {
    DenseElementsAttr c = constantOf(t);
    if (!c)
      return node.error() << "training_mode must be known at compile time", failure();
    training = c.getSplatValue<bool>();
  }
  if (training) {
    double ratio = 0.5;
    if (Value r = node.input(1)) {
      DenseElementsAttr c = constantOf(r);
      if (!c)
        return node.error() << "ratio must be known at compile time in training mode",
               failure();
      ratio = (*c.value_begin<APFloat>()).convertToDouble();
    }
    if (ratio != 0.0)
      return node.error() << "training mode with a non-zero ratio is random; not supported",
             failure();
  }
  Values out{x};
  if (node.numResults() > 1) {
    auto type = RankedTensorType::get(shapeOf(x), b.getI1Type());
    out.push_back(constantTensor(b, node.loc(), DenseElementsAttr::get(type, true)));
  }
  return out;
}

LogicalResult inferDropout(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 1)) || !node.input(0))
    return node.error() << "needs input 0";
  out.push_back(node.input(0).getType());
  if (node.numResults() > 1)
    out.push_back(tensorOf(shapeOf(node.input(0)), IntegerType::get(node.op->getContext(), 1)));
  return success();
}

/// Dropout before opset 12: the ratio attribute becomes the ratio input, and
/// before 7 is_test = 0 (training) becomes the training_mode input.
Result upgradeDropout(OpBuilder &b, const OnnxNode &node) {
  Value x = node.input(0);
  Type elt = elementTypeOf(x);
  if (!isFloat(elt))
    return node.error() << "needs a floating-point input", failure();
  Location l = node.loc();
  Values operands{x, constantTensor(b, l, DenseElementsAttr::get(
                                              tensorOf({}, elt),
                                              b.getFloatAttr(elt, node.getFloat("ratio", 0.5))))};
  if (node.has("is_test"))
    operands.push_back(constantTensor(
        b, l, DenseElementsAttr::get(tensorOf({}, b.getI1Type()), node.getInt("is_test", 0) == 0)));
  return rebuildAs(b, node, 12, operands, attrsWithout(node, {"ratio", "is_test", "consumed_inputs"}));
}

} // namespace

void addElementwiseOps(OpTable &t) {
  using V = ArrayRef<int64_t>;
  using R = std::optional<int64_t>;
  // Before opset 6/7: consumed_inputs, and broadcast/axis on binary arithmetic.
  for (StringRef op : {"Add", "Sub", "Mul", "Div", "Pow"})
    t.add(op, 1, OpEntry::upgradedBy(upgradeLegacyBroadcast));
  for (StringRef op : {"Neg", "Abs", "Relu", "Sqrt", "Exp", "Log", "Tanh", "Sigmoid",
                       "LeakyRelu", "Reciprocal", "Floor", "Ceil"})
    t.add(op, 1, OpEntry::upgradedBy(dropAttrs(6, {"consumed_inputs"})));
  t.add("Max", 1, OpEntry::upgradedBy(dropAttrs(8, {"consumed_inputs"}))); // same shapes
  t.add("Min", 1, OpEntry::upgradedBy(dropAttrs(8, {"consumed_inputs"})));
  t.add("Sum", 1, OpEntry::upgradedBy(dropAttrs(8, {"consumed_inputs"})));
  t.add("Mean", 1, OpEntry::upgradedBy(dropAttrs(8, {"consumed_inputs"})));
  t.add("Clip", 1, OpEntry::upgradedBy(dropAttrs(6, {"consumed_inputs"})));
  t.add("BatchNormalization", 1, OpEntry::upgradedBy(upgradeBatchNorm));
  t.add("Dropout", 1, OpEntry::upgradedBy(upgradeDropout)); // is_test
  addNary(t, "Add", 7, 2, add, [](V a) -> R { return a[0] + a[1]; });
  addNary(t, "Sub", 7, 2, sub, [](V a) -> R { return a[0] - a[1]; });
  addNary(t, "Mul", 7, 2, mul, [](V a) -> R { return a[0] * a[1]; });
  addNary(t, "Div", 7, 2, div, [](V a) -> R {
    if (a[1] == 0)
      return std::nullopt;
    return a[0] / a[1]; // ONNX integer Div truncates, like C++
  });
  addNary(t, "Max", 8, 0, variadicMax, [](V a) -> R { return *std::max_element(a.begin(), a.end()); });
  addNary(t, "Min", 8, 0, variadicMin, [](V a) -> R { return *std::min_element(a.begin(), a.end()); });
  addNary(t, "Neg", 6, 1, neg, [](V a) -> R { return -a[0]; });
  addNary(t, "Abs", 6, 1, abs, [](V a) -> R { return a[0] < 0 ? -a[0] : a[0]; });
  addNary(t, "Relu", 6, 1, relu);
  t.add("Pow", 7, OpEntry::form(broadcastWithArity(2), [](OpBuilder &b, const OnnxNode &node) -> Result {
          if (elementTypeOf(node.input(0)).isInteger(1))
            return node.error() << "needs a numeric base", failure();
          return lowerBroadcast(b, node, ValueRange{node.input(0), node.input(1)}, pow);
        }));
  addFloatUnary(t, "Sqrt", 6, unaryMath<math::SqrtOp>);
  addFloatUnary(t, "Exp", 6, unaryMath<math::ExpOp>);
  addFloatUnary(t, "Log", 6, unaryMath<math::LogOp>);
  addFloatUnary(t, "Tanh", 6, unaryMath<math::TanhOp>);
  addFloatUnary(t, "Erf", 9, unaryMath<math::ErfOp>);
  addFloatUnary(t, "Sigmoid", 6, sigmoid);
  addFloatUnary(t, "LeakyRelu", 6, leakyRelu);
  t.add("Clip", 6, OpEntry::upgradedBy(upgradeClip));  // min/max attributes
  t.add("Clip", 11, OpEntry::form(inferLikeInput0, lowerClip)); // optional inputs
  t.add("Cast", 6, OpEntry::form(inferCast, lowerCast, foldCast));
  t.add("BatchNormalization", 7, OpEntry::form(inferBatchNorm, lowerBatchNorm));
  t.add("Identity", 1, OpEntry::form(inferLikeInput0, lowerIdentity, foldIdentity));
  t.add("Dropout", 7, OpEntry::upgradedBy(upgradeDropout)); // ratio attribute
  t.add("Dropout", 12, OpEntry::form(inferDropout, lowerDropout)); // ratio, training_mode inputs
  t.add("CastLike", 15, OpEntry::form(inferCastLike, lowerCastLike));
  addNary(t, "Sum", 8, 0, variadicSum, [](V a) -> R {
    int64_t s = 0;
    for (int64_t v : a)
      s += v;
    return s;
  });
  t.add("Mean", 8, OpEntry::form(broadcastWithArity(0), [](OpBuilder &b, const OnnxNode &node) -> Result {
          Values ins = node.presentInputs();
          for (Value v : ins)
            if (!isFloat(elementTypeOf(v)) || elementTypeOf(v) != elementTypeOf(ins[0]))
              return node.error() << "needs floating-point operands of one type", failure();
          return lowerBroadcast(b, node, ins, variadicMean);
        }));
  t.add("Mod", 10, OpEntry::form(broadcastWithArity(2), [](OpBuilder &b, const OnnxNode &node) -> Result {
          Value x = node.input(0), y = node.input(1);
          if (elementTypeOf(x) != elementTypeOf(y))
            return node.error() << "operands have different element types", failure();
          if (elementTypeOf(x).isInteger(1))
            return node.error() << "needs numeric operands", failure();
          return lowerBroadcast(b, node, ValueRange{x, y}, mod);
        },
        // Shape arithmetic in expanded functions (heads % kv_heads) folds.
        [](const OnnxNode &node, Consts consts, Folded &out) -> LogicalResult {
          if (node.isUnsigned(0))
            return failure();
          bool cMod = node.getInt("fmod", 0) != 0;
          return foldIntegers(node, consts, [cMod](V a) -> R {
            if (a[1] == 0 || (a[0] == INT64_MIN && a[1] == -1))
              return std::nullopt;
            int64_t r = a[0] % a[1];
            if (!cMod && r != 0 && ((r < 0) != (a[1] < 0)))
              r += a[1]; // numpy: the remainder takes the divisor's sign
            return r;
          }, out);
        }));
  addNary(t, "Sign", 9, 1, sign, [](V a) -> R { return a[0] > 0 ? 1 : a[0] < 0 ? -1 : 0; });
  addFloatUnary(t, "Reciprocal", 6, reciprocal);
  addFloatUnary(t, "Floor", 6, unaryMath<math::FloorOp>);
  addFloatUnary(t, "Ceil", 6, unaryMath<math::CeilOp>);
  addFloatUnary(t, "Round", 11, unaryMath<math::RoundEvenOp>);
  addFloatUnary(t, "Sin", 7, unaryMath<math::SinOp>);
  addFloatUnary(t, "Cos", 7, unaryMath<math::CosOp>);
  addFloatUnary(t, "Tan", 7, unaryMath<math::TanOp>);
  addFloatUnary(t, "Asin", 7, unaryMath<math::AsinOp>);
  addFloatUnary(t, "Acos", 7, unaryMath<math::AcosOp>);
  addFloatUnary(t, "Atan", 7, unaryMath<math::AtanOp>);
  addFloatUnary(t, "Sinh", 9, unaryMath<math::SinhOp>);
  addFloatUnary(t, "Cosh", 9, unaryMath<math::CoshOp>);
  addFloatUnary(t, "Asinh", 9, unaryMath<math::AsinhOp>);
  addFloatUnary(t, "Acosh", 9, unaryMath<math::AcoshOp>);
  addFloatUnary(t, "Atanh", 9, unaryMath<math::AtanhOp>);
}

} // namespace nnm::onnx_to_linalg
