//===- Activation.cpp - ONNX activation functions to linalg ---------------===//
//
// The activation functions with attributes (Elu, Selu, Celu, HardSigmoid,
// ThresholdedRelu, Shrink, Swish, Gelu) and the plain ones (HardSwish,
// Softplus, Softsign, Mish), PRelu, whose slope broadcasts to X, and SwiGLU.
// Each is one linalg.generic whose body is scalar arith/math; float16 and
// bfloat16 compute in f32 and round once.
//
//===----------------------------------------------------------------------===//
#include "Common.h"

#include "mlir/IR/BuiltinTypes.h"

#include <cmath>

using namespace mlir;

namespace nnm::onnx_to_linalg {
namespace {

using Body = std::function<Value(OpBuilder &, Location, Value, const OnnxNode &)>;

Value cst(OpBuilder &b, Location l, Value like, double v) {
  return scalarConst(b, l, like.getType(), v);
}
Value ltZero(OpBuilder &b, Location l, Value x) {
  return arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, x, cst(b, l, x, 0));
}
Value sel(OpBuilder &b, Location l, Value c, Value x, Value y) {
  return arith::SelectOp::create(b, l, c, x, y);
}
Value mulF(OpBuilder &b, Location l, Value x, Value y) { return arith::MulFOp::create(b, l, x, y); }
Value addF(OpBuilder &b, Location l, Value x, Value y) { return arith::AddFOp::create(b, l, x, y); }
Value subF(OpBuilder &b, Location l, Value x, Value y) { return arith::SubFOp::create(b, l, x, y); }
Value divF(OpBuilder &b, Location l, Value x, Value y) { return arith::DivFOp::create(b, l, x, y); }
Value expF(OpBuilder &b, Location l, Value x) { return math::ExpOp::create(b, l, x); }
/// max/min that return the other operand for a NaN bound, like a clamp.
Value clamp01(OpBuilder &b, Location l, Value x) {
  return arith::MinimumFOp::create(b, l, arith::MaximumFOp::create(b, l, x, cst(b, l, x, 0)),
                                   cst(b, l, x, 1));
}
/// log(1 + exp(x)) without overflow: max(x, 0) + log1p(exp(-|x|)).
Value softplus(OpBuilder &b, Location l, Value x) {
  Value pos = arith::MaximumFOp::create(b, l, x, cst(b, l, x, 0));
  Value e = expF(b, l, arith::NegFOp::create(b, l, math::AbsFOp::create(b, l, x)));
  return addF(b, l, pos, math::Log1pOp::create(b, l, e));
}
Value sigmoid(OpBuilder &b, Location l, Value x) {
  Value one = cst(b, l, x, 1);
  return divF(b, l, one, addF(b, l, one, expF(b, l, arith::NegFOp::create(b, l, x))));
}

// Bodies -------------------------------------------------------------------------

Value elu(OpBuilder &b, Location l, Value x, const OnnxNode &n) {
  Value alpha = cst(b, l, x, n.getFloat("alpha", 1.0));
  Value neg = mulF(b, l, alpha, subF(b, l, expF(b, l, x), cst(b, l, x, 1)));
  return sel(b, l, ltZero(b, l, x), neg, x);
}
Value selu(OpBuilder &b, Location l, Value x, const OnnxNode &n) {
  Value alpha = cst(b, l, x, n.getFloat("alpha", 1.67326319217681884765625));
  Value gamma = cst(b, l, x, n.getFloat("gamma", 1.05070102214813232421875));
  Value neg = subF(b, l, mulF(b, l, alpha, expF(b, l, x)), alpha);
  Value le = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLE, x, cst(b, l, x, 0));
  return mulF(b, l, gamma, sel(b, l, le, neg, x));
}
Value celu(OpBuilder &b, Location l, Value x, const OnnxNode &n) {
  // max(0, x) + min(0, alpha * (exp(x / alpha) - 1))
  Value alpha = cst(b, l, x, n.getFloat("alpha", 1.0));
  Value zero = cst(b, l, x, 0);
  Value e = mulF(b, l, alpha, subF(b, l, expF(b, l, divF(b, l, x, alpha)), cst(b, l, x, 1)));
  return addF(b, l, arith::MaximumFOp::create(b, l, zero, x),
              arith::MinimumFOp::create(b, l, zero, e));
}
Value hardSigmoid(OpBuilder &b, Location l, Value x, const OnnxNode &n) {
  Value alpha = cst(b, l, x, n.getFloat("alpha", 0.2));
  Value beta = cst(b, l, x, n.getFloat("beta", 0.5));
  return clamp01(b, l, addF(b, l, mulF(b, l, alpha, x), beta));
}
Value hardSwish(OpBuilder &b, Location l, Value x, const OnnxNode &) {
  Value hs = clamp01(b, l, addF(b, l, mulF(b, l, cst(b, l, x, 1.0 / 6.0), x), cst(b, l, x, 0.5)));
  return mulF(b, l, x, hs);
}
Value softplusBody(OpBuilder &b, Location l, Value x, const OnnxNode &) {
  return softplus(b, l, x);
}
Value softsign(OpBuilder &b, Location l, Value x, const OnnxNode &) {
  return divF(b, l, x, addF(b, l, cst(b, l, x, 1), math::AbsFOp::create(b, l, x)));
}
Value mish(OpBuilder &b, Location l, Value x, const OnnxNode &) {
  return mulF(b, l, x, math::TanhOp::create(b, l, softplus(b, l, x)));
}
Value gelu(OpBuilder &b, Location l, Value x, const OnnxNode &n) {
  Value half = cst(b, l, x, 0.5), one = cst(b, l, x, 1);
  Value inner;
  if (n.getString("approximate", "none") == "tanh") {
    // tanh(sqrt(2 / pi) * (x + 0.044715 x^3))
    Value x3 = mulF(b, l, x, mulF(b, l, x, x));
    Value s = addF(b, l, x, mulF(b, l, cst(b, l, x, 0.044715), x3));
    inner = math::TanhOp::create(b, l, mulF(b, l, cst(b, l, x, std::sqrt(2.0 / M_PI)), s));
  } else {
    inner = math::ErfOp::create(b, l, mulF(b, l, x, cst(b, l, x, M_SQRT1_2)));
  }
  return mulF(b, l, mulF(b, l, half, x), addF(b, l, one, inner));
}
Value thresholdedRelu(OpBuilder &b, Location l, Value x, const OnnxNode &n) {
  Value alpha = cst(b, l, x, n.getFloat("alpha", 1.0));
  Value gt = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, x, alpha);
  return sel(b, l, gt, x, cst(b, l, x, 0));
}
Value swish(OpBuilder &b, Location l, Value x, const OnnxNode &n) {
  Value alpha = cst(b, l, x, n.getFloat("alpha", 1.0));
  return mulF(b, l, x, sigmoid(b, l, mulF(b, l, alpha, x)));
}

/// Shrink takes every numeric type: the bounds are converted to it.
Value shrink(OpBuilder &b, Location l, Value x, const OnnxNode &n) {
  double lambd = n.getFloat("lambd", 0.5), bias = n.getFloat("bias", 0.0);
  Type t = x.getType();
  Value zero = cst(b, l, x, 0);
  if (isFloat(t)) {
    Value lo = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, x, cst(b, l, x, -lambd));
    Value hi = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, x, cst(b, l, x, lambd));
    Value bv = cst(b, l, x, bias);
    return sel(b, l, lo, addF(b, l, x, bv), sel(b, l, hi, subF(b, l, x, bv), zero));
  }
  // Integers: compare in double so that a fractional lambd keeps its meaning.
  Value xd = castS(b, l, x, b.getF64Type(), n.isUnsigned(0));
  Value lo = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, xd,
                                   scalarConst(b, l, b.getF64Type(), -lambd));
  Value hi = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, xd,
                                   scalarConst(b, l, b.getF64Type(), lambd));
  Value bv = cst(b, l, x, bias);
  return sel(b, l, lo, arith::AddIOp::create(b, l, x, bv),
             sel(b, l, hi, arith::SubIOp::create(b, l, x, bv), zero));
}

/// Registers a unary op on floats (or, with `anyNumeric`, on every number).
/// `check` refuses attribute values the body does not implement.
using Check = std::function<LogicalResult(const OnnxNode &)>;
void addUnary(OpTable &t, StringRef op, int64_t since, Body fn, bool anyNumeric = false,
              Check check = {}) {
  auto lower = [fn, anyNumeric, check](OpBuilder &b, const OnnxNode &node) -> Result {
    if (check && failed(check(node)))
      return failure();
    Value x = node.input(0);
    if (!x)
      return node.error() << "needs input 0", failure();
    Type elt = elementTypeOf(x);
    if (anyNumeric ? elt.isInteger(1) : !isFloat(elt))
      return node.error() << (anyNumeric ? "needs a numeric input" : "needs a floating-point input"),
             failure();
    // float16/bfloat16 compute in f32 and round once, as the references do.
    bool widen = isFloat(elt) && elt.getIntOrFloatBitWidth() < 32;
    return broadcastElementwise(b, node, {x},
                                [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                                  if (!widen)
                                    return fn(nb, l, a[0], node);
                                  Value wide = arith::ExtFOp::create(nb, l, nb.getF32Type(), a[0]);
                                  return arith::TruncFOp::create(nb, l, elt, fn(nb, l, wide, node));
                                });
  };
  t.add(op, since, OpEntry::form(inferLikeInput0, lower));
}

// PRelu --------------------------------------------------------------------------

/// The slope broadcasts unidirectionally to X: the result has X's shape.
LogicalResult inferPRelu(const OnnxNode &node, Types &out) {
  if (failed(broadcastWithArity(2)(node, out)))
    return failure();
  auto xs = shapeOf(node.input(0));
  auto bs = cast<RankedTensorType>(out[0]).getShape();
  for (size_t i = 0; i < bs.size(); ++i)
    if (bs.size() != xs.size() || (xs[i] != kDyn && bs[i] != xs[i]))
      return node.error() << "slope does not broadcast to the shape of X";
  out[0] = node.input(0).getType();
  return success();
}

Result lowerPRelu(OpBuilder &b, const OnnxNode &node) {
  Value x = node.input(0), slope = node.input(1);
  Type elt = elementTypeOf(x);
  if (elementTypeOf(slope) != elt)
    return node.error() << "operands have different element types", failure();
  if (elt.isInteger(1))
    return node.error() << "needs a numeric input", failure();
  bool u = node.isUnsigned(0);
  return broadcastElementwise(b, node, {x, slope},
                              [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                                if (u) // never negative
                                  return a[0];
                                Value neg =
                                    isFloat(elt)
                                        ? ltZero(nb, l, a[0])
                                        : Value(arith::CmpIOp::create(
                                              nb, l, arith::CmpIPredicate::slt, a[0],
                                              cst(nb, l, a[0], 0)));
                                return sel(nb, l, neg, mulS(nb, l, a[0], a[1]), a[0]);
                              });
}

// SwiGLU -------------------------------------------------------------------------

/// A and B have one shape (no broadcasting) and one type; Y is like A.
LogicalResult inferSwiGLU(const OnnxNode &node, Types &out) {
  if (failed(broadcastWithArity(2)(node, out)))
    return failure();
  auto as = shapeOf(node.input(0)), bs = shapeOf(node.input(1));
  bool same = as.size() == bs.size();
  for (size_t i = 0; same && i < as.size(); ++i)
    same = as[i] == bs[i] || as[i] == kDyn || bs[i] == kDyn;
  if (!same)
    return node.error() << "A and B must have the same shape (no broadcasting)";
  out[0] = node.input(0).getType();
  return success();
}

/// Swish(A, alpha) * B, in f32 for the half types, rounded once.
Result lowerSwiGLU(OpBuilder &b, const OnnxNode &node) {
  Value x = node.input(0), y = node.input(1);
  Type elt = elementTypeOf(x);
  if (!isFloat(elt) || elementTypeOf(y) != elt)
    return node.error() << "needs floating-point inputs of one type", failure();
  bool widen = elt.getIntOrFloatBitWidth() < 32;
  return broadcastElementwise(b, node, {x, y},
                              [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                                Value p = a[0], q = a[1];
                                if (widen) {
                                  p = arith::ExtFOp::create(nb, l, nb.getF32Type(), p);
                                  q = arith::ExtFOp::create(nb, l, nb.getF32Type(), q);
                                }
                                Value r = mulF(nb, l, swish(nb, l, p, node), q);
                                return widen ? Value(arith::TruncFOp::create(nb, l, elt, r)) : r;
                              });
}

} // namespace

void addActivationOps(OpTable &t) {
  // Older forms differ only by consumed_inputs (opset 1) or by adding types.
  for (StringRef op : {"Elu", "Selu", "HardSigmoid"})
    t.add(op, 1, OpEntry::upgradedBy(dropAttrs(6, {"consumed_inputs"})));
  t.add("PRelu", 1, OpEntry::upgradedBy(dropAttrs(7, {"consumed_inputs"})));
  addUnary(t, "Elu", 6, elu);
  addUnary(t, "Selu", 6, selu);
  addUnary(t, "Celu", 12, celu);
  addUnary(t, "HardSigmoid", 6, hardSigmoid);
  addUnary(t, "HardSwish", 14, hardSwish);
  addUnary(t, "Softplus", 1, softplusBody);
  addUnary(t, "Softsign", 1, softsign);
  addUnary(t, "Mish", 18, mish);
  addUnary(t, "Gelu", 20, gelu, false, [](const OnnxNode &n) -> LogicalResult {
    std::string a = n.getString("approximate", "none");
    if (a != "none" && a != "tanh")
      return n.error() << "approximate must be none or tanh, got '" << a << "'", failure();
    return success();
  });
  addUnary(t, "ThresholdedRelu", 10, thresholdedRelu);
  addUnary(t, "Shrink", 9, shrink, /*anyNumeric=*/true);
  addUnary(t, "Swish", 24, swish);
  t.add("PRelu", 7, OpEntry::form(inferPRelu, lowerPRelu));
  t.add("SwiGLU", 28, OpEntry::form(inferSwiGLU, lowerSwiGLU));
}

} // namespace nnm::onnx_to_linalg
