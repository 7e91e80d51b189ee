//===- Quantization.cpp - ONNX linear quantization ops to linalg ----------===//
//
// QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear and the integer
// contractions (MatMulInteger, ConvInteger, QLinearMatMul, QLinearConv).
//
// Quantized element types are the integer ones NNModel has: int8, uint8, int16,
// uint16 (and int32 for DequantizeLinear's input). Float8, int4/uint4, int2 and
// float4 tensors are refused (the importer already rejects those element types).
//
// The integer contractions widen their operands to i32, subtract the zero
// points there, and hand the i32 tensors to onnx.MatMul / onnx.Conv, whose
// lowerings accumulate in the operand type. Requantization (QLinear*) scales the
// i32 accumulator in f64 (what the reference computes: an int32 array times a
// float array promotes to float64), rounds half to even and saturates.
//
//===----------------------------------------------------------------------===//
#include "Common.h"

#include "nnm/Support/ElementType.h"

#include "mlir/IR/AffineMap.h"

#include <iterator>

using namespace mlir;

namespace nnm::onnx_to_linalg {
namespace {

// Helpers -------------------------------------------------------------------------

/// Integer element types a quantized tensor may have here.
bool isQuantizedType(Type t, bool allowI32) {
  auto it = dyn_cast<IntegerType>(t);
  if (!it)
    return false;
  unsigned w = it.getWidth();
  return w == 8 || w == 16 || (allowI32 && w == 32 && !it.isUnsigned());
}

/// Names of the ONNX types NNModel has no row for (messages only).
std::string unsupportedTypeName(int64_t code) {
  static const char *names[] = {"bfloat16",  "float8e4m3fn", "float8e4m3fnuz",
                                "float8e5m2", "float8e5m2fnuz", "uint4",
                                "int4",       "float4e2m1",   "float8e8m0",
                                "uint2",      "int2",         "float6e2m3",
                                "float6e3m2"};
  if (code >= 16 && code < 16 + int64_t(std::size(names)))
    return names[code - 16];
  return "type " + std::to_string(code);
}

/// The element type of an ONNX type code held by attribute `name`, or failure
/// after a diagnostic when it is unknown or not supported.
FailureOr<Type> typeAttr(const OnnxNode &node, StringRef name) {
  int64_t code = node.getInt(name, 0);
  const ElementType *et = elementTypeForOnnx(code);
  if (!et || !et->supported)
    return node.error() << name << " "
                        << (et ? std::string(et->name) : unsupportedTypeName(code))
                        << " is not supported (float8, 4-bit and 2-bit types are not)",
           failure();
  return toMlirType(et->dtype, node.op->getContext());
}

/// Saturation bounds of a quantized integer type.
std::pair<double, double> rangeOf(Type t, bool isUnsigned) {
  unsigned w = t.getIntOrFloatBitWidth();
  if (isUnsigned)
    return {0.0, double((uint64_t(1) << w) - 1)};
  return {-double(uint64_t(1) << (w - 1)), double((uint64_t(1) << (w - 1)) - 1)};
}

/// Saturates the float `v` into [lo, hi] of integer type `to` (NaN gives lo)
/// and converts it.
Value saturateToInt(OpBuilder &b, Location l, Value v, Type to, bool toUnsigned) {
  auto [lo, hi] = rangeOf(to, toUnsigned);
  Type ft = v.getType();
  Value loC = scalarConst(b, l, ft, lo), hiC = scalarConst(b, l, ft, hi);
  Value aboveLo = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, v, loC);
  v = arith::SelectOp::create(b, l, aboveLo, v, loC);
  Value belowHi = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, v, hiC);
  v = arith::SelectOp::create(b, l, belowHi, v, hiC);
  return castS(b, l, v, to, false, toUnsigned);
}

/// How a scale / zero point maps onto the elements of x.
struct Granularity {
  enum Kind { PerTensor, PerAxis, Blocked } kind = PerTensor;
  int64_t axis = 0;
  int64_t block = 0;
};

/// Classifies `scale` against x's shape (axis / block_size attributes), and
/// checks that a zero point has the scale's shape.
FailureOr<Granularity> granularityOf(const OnnxNode &node, ArrayRef<int64_t> xs,
                                     Value scale, Value zp) {
  auto ss = shapeOf(scale);
  if (zp && shapeOf(zp) != ss)
    return node.error() << "the zero point must have the shape of the scale", failure();
  Granularity g;
  int64_t blockSize = node.getInt("block_size", 0);
  if (productOf(ss) == 1 && (blockSize == 0 || ss.size() != xs.size()))
    return g;
  int64_t rank = xs.size();
  auto axis = normalizeAxis(node, node.getInt("axis", 1), rank);
  if (failed(axis))
    return failure();
  g.axis = *axis;
  if (blockSize == 0) {
    if (ss.size() != 1)
      return node.error() << "a scale of rank " << ss.size()
                          << " needs block_size (per-axis scales are 1-D)", failure();
    if (ss[0] != xs[g.axis] && xs[g.axis] != kDyn)
      return node.error() << "the per-axis scale has " << ss[0] << " elements, axis "
                          << g.axis << " has " << xs[g.axis], failure();
    g.kind = Granularity::PerAxis;
    return g;
  }
  if (blockSize < 0)
    return node.error() << "block_size must be positive", failure();
  if (int64_t(ss.size()) != rank)
    return node.error() << "blocked quantization needs a scale of the input's rank",
           failure();
  for (int64_t i = 0; i < rank; ++i) {
    int64_t want = i == g.axis ? (xs[i] + blockSize - 1) / blockSize : xs[i];
    if (xs[i] != kDyn && ss[i] != want)
      return node.error() << "blocked quantization: scale dimension " << i << " is "
                          << ss[i] << ", expected " << want, failure();
  }
  g.kind = Granularity::Blocked;
  g.block = blockSize;
  return g;
}

/// out[i] = body(x[i], params[p(i)]...) where params (scale, zero point...) are
/// read per tensor, per axis or per block as `g` says.
Value buildQuantElementwise(OpBuilder &b, Location l, Value x, ValueRange params,
                            const Granularity &g, Type outElt, BodyFn body) {
  auto xs = shapeOf(x);
  int64_t rank = xs.size();
  MLIRContext *ctx = b.getContext();
  SmallVector<Value> ins = {x};
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx)};
  for (Value p : params) {
    SmallVector<AffineExpr> exprs;
    switch (g.kind) {
    case Granularity::PerTensor:
      p = reshapeTo(b, l, p, {});
      break;
    case Granularity::PerAxis:
      exprs.push_back(getAffineDimExpr(g.axis, ctx));
      break;
    case Granularity::Blocked:
      for (int64_t i = 0; i < rank; ++i)
        exprs.push_back(i == g.axis ? getAffineDimExpr(i, ctx).floorDiv(g.block)
                                    : getAffineDimExpr(i, ctx));
      break;
    }
    ins.push_back(p);
    maps.push_back(AffineMap::get(rank, 0, exprs, ctx));
  }
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  Value init = emptyTensor(b, l, xs, outElt);
  auto op = linalg::GenericOp::create(
      b, l, TypeRange{init.getType()}, ins, ValueRange{init}, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        linalg::YieldOp::create(nb, nl, body(nb, nl, args.drop_back()));
      });
  return op.getResult(0);
}

/// The wider of two float types.
Type widerFloat(Type a, Type c) {
  return a.getIntOrFloatBitWidth() >= c.getIntOrFloatBitWidth() ? a : c;
}

// QuantizeLinear ------------------------------------------------------------------

/// y's element type: the zero point's, else output_dtype, else uint8.
FailureOr<Type> quantizeOutputType(const OnnxNode &node) {
  Type out;
  if (node.has("output_dtype") && node.getInt("output_dtype", 0) != 0) {
    auto t = typeAttr(node, "output_dtype");
    if (failed(t))
      return failure();
    out = *t;
  }
  if (Value zp = node.input(2)) {
    Type zt = elementTypeOf(zp);
    if (out && out != zt)
      return node.error() << "output_dtype (" << out << ") differs from the zero point's type ("
                          << zt << ")", failure();
    out = zt;
  }
  if (!out)
    out = IntegerType::get(node.op->getContext(), 8, IntegerType::Unsigned);
  if (!isQuantizedType(out, false))
    return node.error() << "quantizing to " << out
                        << " is not supported (int8, uint8, int16, uint16 are)", failure();
  return out;
}

LogicalResult inferQuantize(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 3)) || !node.input(0) || !node.input(1))
    return node.error() << "needs x and y_scale";
  auto t = quantizeOutputType(node);
  if (failed(t))
    return failure();
  out.push_back(tensorOf(shapeOf(node.input(0)), *t));
  return success();
}

Result lowerQuantize(OpBuilder &b, const OnnxNode &node) {
  Location l = node.loc();
  Value x = node.input(0), scale = node.input(1), zp = node.input(2);
  // The operands here are signless already: the result type (checked by the
  // shape rule) keeps the signedness.
  Type outElt = signlessElementType(elementTypeOf(node.op->getResult(0)));
  bool outUnsigned = node.resultIsUnsigned(0);
  Type xt = elementTypeOf(x), st = elementTypeOf(scale);
  if (!isFloat(xt) && !xt.isInteger(32))
    return node.error() << "x must be float or int32, got " << xt, failure();
  if (!isFloat(st) && !st.isInteger(32))
    return node.error() << "y_scale must be float or int32, got " << st, failure();
  // The division's type: `precision`, else the wider float of x and the scale
  // (float64 once an integer is involved, like numpy's true division).
  Type ct = isFloat(xt) && isFloat(st) ? widerFloat(xt, st) : Type(b.getF64Type());
  if (node.getInt("precision", 0) != 0) {
    auto p = typeAttr(node, "precision");
    if (failed(p))
      return failure();
    if (!isFloat(*p))
      return node.error() << "precision must be a float type, got " << *p, failure();
    ct = *p;
  }
  auto g = granularityOf(node, shapeOf(x), scale, zp);
  if (failed(g))
    return failure();
  bool zpUnsigned = node.isUnsigned(2);
  Values params = {scale};
  if (zp)
    params.push_back(zp);
  Type f64 = b.getF64Type();
  Value y = buildQuantElementwise(
      b, l, x, params, *g, outElt, [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value q = arith::DivFOp::create(nb, nl, castS(nb, nl, a[0], ct),
                                        castS(nb, nl, a[1], ct));
        q = castS(nb, nl, math::RoundEvenOp::create(nb, nl, q), f64);
        if (a.size() > 2)
          q = arith::AddFOp::create(nb, nl, q, castS(nb, nl, a[2], f64, zpUnsigned));
        return saturateToInt(nb, nl, q, outElt, outUnsigned);
      });
  return Values{y};
}

// DequantizeLinear ----------------------------------------------------------------

FailureOr<Type> dequantizeOutputType(const OnnxNode &node) {
  if (node.getInt("output_dtype", 0) != 0) {
    auto t = typeAttr(node, "output_dtype");
    if (failed(t))
      return failure();
    if (!isFloat(*t))
      return node.error() << "output_dtype must be a float type, got " << *t, failure();
    return *t;
  }
  Type st = elementTypeOf(node.input(1));
  if (!isFloat(st))
    return node.error() << "x_scale must be a float tensor, got " << st, failure();
  return st;
}

LogicalResult inferDequantize(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 3)) || !node.input(0) || !node.input(1))
    return node.error() << "needs x and x_scale";
  Type xt = elementTypeOf(node.input(0));
  if (!isQuantizedType(xt, true))
    return node.error() << "dequantizing " << xt
                        << " is not supported (int8, uint8, int16, uint16, int32 are)";
  if (Value zp = node.input(2); zp && elementTypeOf(zp) != xt)
    return node.error() << "the zero point's type (" << elementTypeOf(zp)
                        << ") differs from x's (" << xt << ")";
  auto t = dequantizeOutputType(node);
  if (failed(t))
    return failure();
  out.push_back(tensorOf(shapeOf(node.input(0)), *t));
  return success();
}

Result lowerDequantize(OpBuilder &b, const OnnxNode &node) {
  Location l = node.loc();
  Value x = node.input(0), scale = node.input(1), zp = node.input(2);
  auto outType = dequantizeOutputType(node);
  if (failed(outType))
    return failure();
  auto g = granularityOf(node, shapeOf(x), scale, zp);
  if (failed(g))
    return failure();
  bool xUnsigned = node.isUnsigned(0);
  // (x - zero_point) * scale in float32, the reference's arithmetic; int32
  // inputs are first rounded to float32, then the rest is float64.
  Type f32 = b.getF32Type();
  Type ct = elementTypeOf(x).isInteger(32) ? Type(b.getF64Type()) : f32;
  Values params = {scale};
  if (zp)
    params.push_back(zp);
  Value y = buildQuantElementwise(
      b, l, x, params, *g, *outType, [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value d = castS(nb, nl, castS(nb, nl, a[0], f32, xUnsigned), ct);
        if (a.size() > 2)
          d = arith::SubFOp::create(nb, nl, d, castS(nb, nl, a[2], ct, xUnsigned));
        Value r = arith::MulFOp::create(nb, nl, d, castS(nb, nl, a[1], ct));
        return castS(nb, nl, r, *outType);
      });
  return Values{y};
}

// DynamicQuantizeLinear -----------------------------------------------------------

LogicalResult inferDynamicQuantize(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 1)) || !node.input(0))
    return node.error() << "needs x";
  Type xt = elementTypeOf(node.input(0));
  if (!isFloat(xt))
    return node.error() << "x must be a float tensor, got " << xt;
  Type u8 = IntegerType::get(node.op->getContext(), 8, IntegerType::Unsigned);
  out.push_back(tensorOf(shapeOf(node.input(0)), u8));
  out.push_back(tensorOf({}, xt));
  out.push_back(tensorOf({}, u8));
  return success();
}

Result lowerDynamicQuantize(OpBuilder &b, const OnnxNode &node) {
  Location l = node.loc();
  Value x = node.input(0);
  Type xt = elementTypeOf(x), f32 = b.getF32Type(), i8 = b.getI8Type();
  auto xs = shapeOf(x);
  SmallVector<int64_t> all;
  for (int64_t i = 0; i < int64_t(xs.size()); ++i)
    all.push_back(i);
  // The range always includes 0: both reductions start from it.
  Value zero = scalarConst(b, l, xt, 0);
  auto reduce = [&](bool isMax) {
    Value r = buildReduceWith(b, l, ValueRange{x}, all, false, zero,
                              [&](OpBuilder &nb, Location nl, ValueRange a, Value acc) {
                                return isMax ? maxS(nb, nl, a[0], acc)
                                             : minS(nb, nl, a[0], acc);
                              });
    Value s = tensor::ExtractOp::create(b, l, r, ValueRange{});
    return castS(b, l, s, f32);
  };
  Value mx = reduce(true), mn = reduce(false);
  // scale = (max - min) / 255 (1 / 255 when the range is empty).
  Value same = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, mx, mn);
  Value span = arith::SelectOp::create(b, l, same, scalarConst(b, l, f32, 1),
                                       arith::SubFOp::create(b, l, mx, mn));
  Value scale = arith::DivFOp::create(b, l, span, scalarConst(b, l, f32, 255));
  // zero point = round(clamp(0 - min / scale, 0, 255)).
  Value zpf = arith::NegFOp::create(b, l, arith::DivFOp::create(b, l, mn, scale));
  zpf = arith::MaximumFOp::create(b, l, zpf, scalarConst(b, l, f32, 0));
  zpf = arith::MinimumFOp::create(b, l, zpf, scalarConst(b, l, f32, 255));
  zpf = math::RoundEvenOp::create(b, l, zpf);
  Value y = buildElementwise(b, l, ValueRange{x}, xs, i8,
                             [&](OpBuilder &nb, Location nl, ValueRange a) {
                               Value q = arith::DivFOp::create(
                                   nb, nl, castS(nb, nl, a[0], f32), scale);
                               q = arith::AddFOp::create(
                                   nb, nl, math::RoundEvenOp::create(nb, nl, q), zpf);
                               return saturateToInt(nb, nl, q, i8, true);
                             });
  Value scaleT = filledTensor(b, l, {}, castS(b, l, scale, xt));
  Value zpT = filledTensor(b, l, {}, castS(b, l, zpf, i8, false, true));
  return Values{y, scaleT, zpT};
}

// Integer contractions ----------------------------------------------------------

/// x widened to i32 (signedness of input `xi`), minus the zero point of input
/// `zi` when present; `zpShape` (when given) reshapes a non-scalar zero point
/// so that it broadcasts against x.
FailureOr<Value> widenMinusZeroPoint(OpBuilder &b, Location l, const OnnxNode &node,
                                     unsigned xi, unsigned zi,
                                     std::optional<SmallVector<int64_t>> zpShape) {
  Value x = node.input(xi), zp = node.input(zi);
  Type i32 = b.getI32Type();
  bool xu = node.isUnsigned(xi), zu = node.isUnsigned(zi);
  SmallVector<Value> ins = {x};
  if (zp) {
    if (productOf(shapeOf(zp)) == 1)
      zp = reshapeTo(b, l, zp, {});
    else if (zpShape && productOf(*zpShape) == productOf(shapeOf(zp)))
      zp = reshapeTo(b, l, zp, *zpShape);
    auto s = broadcastShapes({shapeOf(x), shapeOf(zp)});
    if (failed(s) || *s != shapeOf(x))
      return node.error() << "the zero point (input " << zi
                          << ") does not broadcast against input " << xi, failure();
    ins.push_back(zp);
  }
  return buildElementwise(b, l, ins, shapeOf(x), i32,
                          [&](OpBuilder &nb, Location nl, ValueRange a) {
                            Value v = castS(nb, nl, a[0], i32, xu);
                            if (a.size() > 1)
                              v = arith::SubIOp::create(nb, nl, v,
                                                        castS(nb, nl, a[1], i32, zu));
                            return v;
                          });
}

/// Checks the types of a quantized operand and of its zero point.
LogicalResult checkQuantizedOperand(const OnnxNode &node, unsigned xi, unsigned zi,
                                    const char *what) {
  Value x = node.input(xi);
  if (!x)
    return node.error() << "missing input " << xi << " (" << what << ")";
  Type xt = elementTypeOf(x);
  if (!isQuantizedType(xt, false))
    return node.error() << what << " must be int8, uint8, int16 or uint16, got " << xt;
  if (Value zp = node.input(zi); zp && elementTypeOf(zp) != xt)
    return node.error() << "the zero point of " << what << " has type "
                        << elementTypeOf(zp) << ", expected " << xt;
  return success();
}

/// The per-row zero point of a 1-D or per-tensor A: [M] -> [M, 1].
std::optional<SmallVector<int64_t>> rowShape(Value a, Value zp) {
  if (!zp || shapeOf(zp).size() != 1 || shapeOf(a).size() < 2)
    return std::nullopt;
  return SmallVector<int64_t>{shapeOf(zp)[0], 1};
}

LogicalResult inferMatMulInteger(const OnnxNode &node, Types &out) {
  if (failed(checkQuantizedOperand(node, 0, 2, "A")) ||
      failed(checkQuantizedOperand(node, 1, 3, "B")))
    return failure();
  const OpEntry *mm = OpTable::get().lookup("MatMul", 13);
  if (failed(mm->infer(node, out)))
    return failure();
  out[0] = cast<RankedTensorType>(out[0]).clone(IntegerType::get(node.op->getContext(), 32));
  return success();
}

Result lowerMatMulInteger(OpBuilder &b, const OnnxNode &node) {
  Location l = node.loc();
  auto a = widenMinusZeroPoint(b, l, node, 0, 2, rowShape(node.input(0), node.input(2)));
  auto c = widenMinusZeroPoint(b, l, node, 1, 3, std::nullopt);
  if (failed(a) || failed(c))
    return failure();
  return createOrFold(b, l, "MatMul", 13, {*a, *c}, {});
}

/// The conv attributes of `node`, for an onnx.Conv.
SmallVector<NamedAttribute> convAttrs(const OnnxNode &node) {
  SmallVector<NamedAttribute> out;
  for (NamedAttribute a : node.op->getAttrs())
    if (a.getName() != kOpsetAttr && a.getName() != kSourceOpsetAttr)
      out.push_back(a);
  return out;
}

/// A zero point or scale per output channel ([M]) reshaped to broadcast
/// against a tensor of rank `rank` whose dim `dim` is the channel.
std::optional<SmallVector<int64_t>> channelShape(Value v, int64_t rank, int64_t dim) {
  if (!v || productOf(shapeOf(v)) == 1)
    return std::nullopt;
  SmallVector<int64_t> s(rank - dim, 1);
  s[0] = productOf(shapeOf(v));
  return s;
}

LogicalResult inferConvInteger(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 4)) || failed(checkQuantizedOperand(node, 0, 2, "x")) ||
      failed(checkQuantizedOperand(node, 1, 3, "w")))
    return failure();
  SmallVector<int64_t> shape;
  if (failed(convOutputShape(node, 0, 1, shape)))
    return failure();
  out.push_back(tensorOf(shape, IntegerType::get(node.op->getContext(), 32)));
  return success();
}

Result lowerConvInteger(OpBuilder &b, const OnnxNode &node) {
  Location l = node.loc();
  if (Value zp = node.input(2); zp && productOf(shapeOf(zp)) != 1)
    return node.error() << "x_zero_point must be a scalar", failure();
  int64_t rank = shapeOf(node.input(1)).size();
  auto x = widenMinusZeroPoint(b, l, node, 0, 2, std::nullopt);
  auto w = widenMinusZeroPoint(b, l, node, 1, 3, channelShape(node.input(3), rank, 0));
  if (failed(x) || failed(w))
    return failure();
  return createOrFold(b, l, "Conv", 11, {*x, *w}, convAttrs(node));
}

/// y = saturate(round(acc * (s1 * s2 / sy)) + zy) from an i32 accumulator;
/// the scales are already shaped to broadcast against it.
Result requantize(OpBuilder &b, Location l, const OnnxNode &node, Value acc, Value s1,
                  Value s2, Value sy, Value zy, Type outElt, bool outUnsigned,
                  bool zyUnsigned) {
  SmallVector<Value> ins = {acc, s1, s2, sy};
  if (zy)
    ins.push_back(zy);
  for (Value v : ins) {
    auto s = broadcastShapes({shapeOf(acc), shapeOf(v)});
    if (failed(s) || *s != shapeOf(acc))
      return node.error() << "a scale or zero point does not broadcast against the result",
             failure();
  }
  Type f64 = b.getF64Type();
  return Values{buildElementwise(
      b, l, ins, shapeOf(acc), outElt, [&](OpBuilder &nb, Location nl, ValueRange a) {
        // The multiplier in the scales' own type, like the reference.
        Value m = arith::DivFOp::create(nb, nl, arith::MulFOp::create(nb, nl, a[1], a[2]),
                                        castS(nb, nl, a[3], a[1].getType()));
        Value v = arith::MulFOp::create(nb, nl, castS(nb, nl, a[0], f64),
                                        castS(nb, nl, m, f64));
        v = math::RoundEvenOp::create(nb, nl, v);
        if (a.size() > 4)
          v = arith::AddFOp::create(nb, nl, v, castS(nb, nl, a[4], f64, zyUnsigned));
        return saturateToInt(nb, nl, v, outElt, outUnsigned);
      })};
}

/// The result type of QLinear*: y_zero_point's type, else input `xi`'s.
Type qlinearOutType(const OnnxNode &node, unsigned xi, unsigned zyi) {
  Value zy = node.input(zyi);
  return elementTypeOf(zy ? zy : node.input(xi));
}

LogicalResult checkScales(const OnnxNode &node, ArrayRef<unsigned> idx) {
  Type first;
  for (unsigned i : idx) {
    Value s = node.input(i);
    if (!s)
      return node.error() << "missing scale input " << i;
    if (!isFloat(elementTypeOf(s)))
      return node.error() << "scale input " << i << " must be float, got " << elementTypeOf(s);
    if (first && elementTypeOf(s) != first)
      return node.error() << "the scales have different element types";
    first = elementTypeOf(s);
  }
  return success();
}

LogicalResult inferQLinearMatMul(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 8)) || failed(checkQuantizedOperand(node, 0, 2, "a")) ||
      failed(checkQuantizedOperand(node, 3, 5, "b")) || failed(checkScales(node, {1, 4, 6})))
    return failure();
  Type yt = qlinearOutType(node, 0, 7);
  if (!isQuantizedType(yt, false))
    return node.error() << "y must be int8, uint8, int16 or uint16, got " << yt;
  auto as = shapeOf(node.input(0)), bs = shapeOf(node.input(3));
  if (as.size() < 2 || bs.size() < 2)
    return node.error() << "a and b must have rank >= 2";
  if (as.back() != kDyn && bs[bs.size() - 2] != kDyn && as.back() != bs[bs.size() - 2])
    return node.error() << "inner dimensions differ (" << as.back() << " vs "
                        << bs[bs.size() - 2] << ")";
  auto batch = broadcastShapes({SmallVector<int64_t>(as.begin(), as.end() - 2),
                                SmallVector<int64_t>(bs.begin(), bs.end() - 2)});
  if (failed(batch))
    return node.error() << "batch dimensions cannot be broadcast";
  SmallVector<int64_t> shape(*batch);
  shape.push_back(as[as.size() - 2]);
  shape.push_back(bs.back());
  out.push_back(tensorOf(shape, yt));
  return success();
}

/// A scale of A per row ([M] -> [M, 1]); scalars become rank 0.
Value rowScale(OpBuilder &b, Location l, Value s, Value a) {
  if (productOf(shapeOf(s)) == 1)
    return reshapeTo(b, l, s, {});
  if (auto shape = rowShape(a, s))
    return reshapeTo(b, l, s, *shape);
  return s;
}

Result lowerQLinearMatMul(OpBuilder &b, const OnnxNode &node) {
  Location l = node.loc();
  auto a = widenMinusZeroPoint(b, l, node, 0, 2, rowShape(node.input(0), node.input(2)));
  auto c = widenMinusZeroPoint(b, l, node, 3, 5, std::nullopt);
  if (failed(a) || failed(c))
    return failure();
  auto acc = createOrFold(b, l, "MatMul", 13, {*a, *c}, {});
  if (failed(acc))
    return failure();
  Value zy = node.input(7);
  if (zy && productOf(shapeOf(zy)) != 1)
    return node.error() << "y_zero_point must be a scalar", failure();
  if (Value sy = node.input(6); productOf(shapeOf(sy)) != 1)
    return node.error() << "y_scale must be a scalar", failure();
  Value sa = rowScale(b, l, node.input(1), node.input(0));
  Value sb = productOf(shapeOf(node.input(4))) == 1 ? reshapeTo(b, l, node.input(4), {})
                                                    : node.input(4);
  Value sy = reshapeTo(b, l, node.input(6), {});
  if (zy)
    zy = reshapeTo(b, l, zy, {});
  Type yt = qlinearOutType(node, 0, 7);
  bool yu = zy ? node.isUnsigned(7) : node.isUnsigned(0);
  return requantize(b, l, node, (*acc)[0], sa, sb, sy, zy, signlessElementType(yt), yu,
                    node.isUnsigned(7));
}

LogicalResult inferQLinearConv(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 9)) || failed(checkQuantizedOperand(node, 0, 2, "x")) ||
      failed(checkQuantizedOperand(node, 3, 5, "w")) || failed(checkScales(node, {1, 4, 6})))
    return failure();
  if (Value bias = node.input(8); bias && !elementTypeOf(bias).isInteger(32))
    return node.error() << "B must be int32, got " << elementTypeOf(bias);
  Type yt = qlinearOutType(node, 0, 7);
  if (!isQuantizedType(yt, false))
    return node.error() << "y must be int8, uint8, int16 or uint16, got " << yt;
  SmallVector<int64_t> shape;
  if (failed(convOutputShape(node, 0, 3, shape)))
    return failure();
  out.push_back(tensorOf(shape, yt));
  return success();
}

Result lowerQLinearConv(OpBuilder &b, const OnnxNode &node) {
  Location l = node.loc();
  for (unsigned i : {1u, 2u, 6u, 7u})
    if (Value v = node.input(i); v && productOf(shapeOf(v)) != 1)
      return node.error() << "input " << i << " must be a scalar (per-tensor)", failure();
  int64_t rank = shapeOf(node.input(3)).size();
  int64_t cout = shapeOf(node.input(3))[0];
  for (unsigned i : {4u, 5u})
    if (Value v = node.input(i);
        v && productOf(shapeOf(v)) != 1 && shapeOf(v) != SmallVector<int64_t>{cout})
      return node.error() << "input " << i << " must be a scalar or have " << cout
                          << " elements (one per output channel)", failure();
  auto x = widenMinusZeroPoint(b, l, node, 0, 2, std::nullopt);
  auto w = widenMinusZeroPoint(b, l, node, 3, 5, channelShape(node.input(5), rank, 0));
  if (failed(x) || failed(w))
    return failure();
  Values operands = {*x, *w};
  if (Value bias = node.input(8))
    operands.push_back(bias);
  auto acc = createOrFold(b, l, "Conv", 11, operands, convAttrs(node));
  if (failed(acc))
    return failure();
  Value sx = reshapeTo(b, l, node.input(1), {});
  Value sw = node.input(4);
  if (auto shape = channelShape(sw, rank, 1))
    sw = reshapeTo(b, l, sw, *shape);
  else
    sw = reshapeTo(b, l, sw, {});
  Value sy = reshapeTo(b, l, node.input(6), {});
  Value zy = node.input(7);
  if (zy)
    zy = reshapeTo(b, l, zy, {});
  Type yt = qlinearOutType(node, 0, 7);
  bool yu = zy ? node.isUnsigned(7) : node.isUnsigned(0);
  return requantize(b, l, node, (*acc)[0], sx, sw, sy, zy, signlessElementType(yt), yu,
                    node.isUnsigned(7));
}

} // namespace

void addQuantizationOps(OpTable &t) {
  // Later opsets (13 axis, 19 saturate, 21 block_size/output_dtype, 23 precision,
  // 24/25/28 more element types) only add attributes whose defaults keep the
  // opset-10 meaning, so one form covers them all.
  t.add("QuantizeLinear", 10, OpEntry::form(inferQuantize, lowerQuantize));
  t.add("DequantizeLinear", 10, OpEntry::form(inferDequantize, lowerDequantize));
  t.add("DynamicQuantizeLinear", 11,
        OpEntry::form(inferDynamicQuantize, lowerDynamicQuantize));
  t.add("MatMulInteger", 10, OpEntry::form(inferMatMulInteger, lowerMatMulInteger));
  t.add("ConvInteger", 10, OpEntry::form(inferConvInteger, lowerConvInteger));
  // 21 only widens the element types.
  t.add("QLinearMatMul", 10, OpEntry::form(inferQLinearMatMul, lowerQLinearMatMul));
  t.add("QLinearConv", 10, OpEntry::form(inferQLinearConv, lowerQLinearConv));
}

} // namespace nnm::onnx_to_linalg
