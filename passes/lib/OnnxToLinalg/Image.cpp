//===- Image.cpp - ONNX image sampling: Resize, GridSample, AffineGrid ----===//
//
// Resize (and Upsample, which becomes Resize): shapes, scales and roi are
// compile-time constants, so the source positions and weights of every output
// index along a resized axis are computed here, as in the ONNX reference
// (separable, one axis at a time). Nearest is one gather through per-axis
// index tables; linear and cubic (optionally antialiased) resize one axis per
// linalg.generic whose body gathers the axis' taps (index and weight tables
// indexed by the output position) and sums them; tf_crop_and_resize marks the
// outputs whose source lies outside the input, which get extrapolation_value.
//
// GridSample reads its sampling positions from a data input, so its body
// computes them at run time: denormalise, apply the padding mode, gather the
// 1, 2^k or 4^k taps and combine. AffineGrid is theta applied to the base grid.
//
//===----------------------------------------------------------------------===//
#include "Common.h"

#include "mlir/IR/AffineMap.h"

#include <cmath>

using namespace mlir;

namespace nnm::onnx_to_linalg {
namespace {

Value toIndex(OpBuilder &b, Location l, Value v) {
  return arith::IndexCastOp::create(b, l, b.getIndexType(), v);
}

/// A constant 1-D tensor of float type `t` holding `values`.
Value floatTable(OpBuilder &b, Location l, Type t, ArrayRef<double> values) {
  SmallVector<Attribute> attrs;
  for (double v : values)
    attrs.push_back(FloatAttr::get(t, v));
  return constantTensor(
      b, l, DenseElementsAttr::get(tensorOf({int64_t(values.size())}, t), attrs));
}

/// The float type interpolation computes in: f64 for f64 and integers, f32 else.
Type computeTypeFor(OpBuilder &b, Type elt) {
  return elt.isF64() || isa<IntegerType>(elt) ? Type(b.getF64Type()) : Type(b.getF32Type());
}

/// Converts an interpolated value back to the element type: integers round
/// half to even and saturate (as the reference does), floats convert.
Value fromCompute(OpBuilder &b, Location l, Value v, Type elt, bool isUnsigned) {
  if (v.getType() == elt)
    return v;
  auto it = dyn_cast<IntegerType>(elt);
  if (!it)
    return castS(b, l, v, elt);
  unsigned w = it.getWidth();
  double lo = isUnsigned || w == 1 ? 0.0 : -std::ldexp(1.0, w - 1);
  double hi = w == 1 ? 1.0 : (isUnsigned ? std::ldexp(1.0, w) - 1 : std::ldexp(1.0, w - 1) - 1);
  Type ft = v.getType();
  v = math::RoundEvenOp::create(b, l, v);
  v = arith::MaximumFOp::create(b, l, v, scalarConst(b, l, ft, lo));
  v = arith::MinimumFOp::create(b, l, v, scalarConst(b, l, ft, hi));
  return castS(b, l, v, elt, false, isUnsigned);
}

// Resize / Upsample ------------------------------------------------------------------

/// Float values of constant input `i` (any float or integer type).
std::optional<SmallVector<double>> constantNumbersOf(const OnnxNode &node, unsigned i) {
  DenseElementsAttr c = constantOf(node.input(i));
  if (!c)
    return std::nullopt;
  SmallVector<double> out;
  if (isa<FloatType>(c.getElementType()))
    for (const APFloat &v : c.getValues<APFloat>())
      out.push_back(v.convertToDouble());
  else if (isa<IntegerType>(c.getElementType()))
    for (const APInt &v : c.getValues<APInt>())
      out.push_back(double(v.getSExtValue()));
  else
    return std::nullopt;
  return out;
}

/// Per-dimension output sizes and scales of Resize, from its constant scales
/// or sizes (an empty tensor counts as absent), axes and keep_aspect_ratio_policy.
struct ResizePlan {
  SmallVector<int64_t> out;
  SmallVector<double> scales;
  SmallVector<int64_t> axes;
};

FailureOr<ResizePlan> resizePlan(const OnnxNode &node, ArrayRef<int64_t> in, bool diagnose) {
  int64_t rank = in.size();
  auto present = [&](unsigned i) {
    auto t = node.inputType(i);
    return t && !(t.hasStaticShape() && t.getNumElements() == 0);
  };
  bool useScales = present(2), useSizes = present(3);
  if (useScales == useSizes)
    return node.error() << "needs exactly one of scales and sizes", failure();
  auto attrAxes = attrAxesOrAll(node, rank);
  if (failed(attrAxes))
    return failure();
  SmallVector<int64_t> axes = *attrAxes;
  auto values = constantNumbersOf(node, useScales ? 2 : 3);
  if (!values) {
    if (diagnose)
      node.error() << "input " << (useScales ? 2 : 3) << (useScales ? " (scales)" : " (sizes)")
                   << " must be known at compile time";
    return failure();
  }
  if (values->size() != axes.size())
    return node.error() << (useScales ? "scales" : "sizes") << " has " << values->size()
                        << " values for " << axes.size() << " axes", failure();
  ResizePlan plan{SmallVector<int64_t>(in), SmallVector<double>(rank, 1.0), axes};
  if (useScales) {
    for (size_t k = 0; k < axes.size(); ++k) {
      double sc = (*values)[k];
      if (!(sc > 0))
        return node.error() << "scales must be positive", failure();
      plan.scales[axes[k]] = sc;
      plan.out[axes[k]] = int64_t(std::floor(sc * double(in[axes[k]])));
    }
    return plan;
  }
  for (size_t k = 0; k < axes.size(); ++k) {
    if ((*values)[k] < 0)
      return node.error() << "sizes must not be negative", failure();
    plan.out[axes[k]] = int64_t((*values)[k]);
    plan.scales[axes[k]] = (*values)[k] / double(in[axes[k]]);
  }
  std::string policy = node.getString("keep_aspect_ratio_policy", "stretch");
  if (policy == "stretch")
    return plan;
  if (policy != "not_larger" && policy != "not_smaller")
    return node.error() << "unsupported keep_aspect_ratio_policy '" << policy << "'", failure();
  double scale = plan.scales[axes[0]];
  for (int64_t a : axes)
    scale = policy == "not_larger" ? std::min(scale, plan.scales[a])
                                   : std::max(scale, plan.scales[a]);
  for (int64_t a : axes) {
    plan.scales[a] = scale;
    plan.out[a] = int64_t(scale * double(in[a]) + 0.5);
  }
  return plan;
}

LogicalResult inferResize(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 4)) || !node.input(0))
    return node.error() << "needs a ranked input";
  auto in = shapeOf(node.input(0));
  Type elt = elementTypeOf(node.input(0));
  if (llvm::is_contained(in, kDyn) || (!constantOf(node.input(2)) && !constantOf(node.input(3)))) {
    out.push_back(tensorOf(SmallVector<int64_t>(in.size(), kDyn), elt));
    return success();
  }
  auto plan = resizePlan(node, in, false);
  if (failed(plan)) {
    out.push_back(tensorOf(SmallVector<int64_t>(in.size(), kDyn), elt));
    return success();
  }
  out.push_back(tensorOf(plan->out, elt));
  return success();
}

/// How one axis is resized: the attributes that shape its tables.
struct AxisSpec {
  std::string coord, mode, rounding;
  bool antialias = false, excludeOutside = false;
  double cubicA = -0.75;
};

/// The source coordinate of output index `x` along an axis of size `in`
/// resized to `outInt` with `scale` (ONNX Resize's coordinate transformation);
/// `outside` is set for tf_crop_and_resize positions outside the input.
double sourceCoord(const AxisSpec &s, int64_t x, int64_t in, int64_t outInt, double scale,
                   double roi0, double roi1, bool &outside) {
  outside = false;
  double width = scale * double(in), xf = double(x);
  StringRef coord = s.coord;
  if (coord == "align_corners")
    return width == 1 ? 0.0 : xf * double(in - 1) / (width - 1);
  if (coord == "asymmetric")
    return xf / scale;
  if (coord == "tf_crop_and_resize") {
    double xo = width == 1 ? (roi1 - roi0) * double(in - 1) / 2
                           : xf * (roi1 - roi0) * double(in - 1) / (width - 1);
    xo += roi0 * double(in - 1);
    outside = xo < 0 || xo > double(in - 1);
    return xo;
  }
  if (coord == "pytorch_half_pixel")
    return width == 1 ? -0.5 : (xf + 0.5) / scale - 0.5;
  if (coord == "half_pixel_symmetric") {
    double adjustment = double(outInt) / width;
    double offset = double(in) / 2 * (1 - adjustment);
    return offset + (xf + 0.5) / scale - 0.5;
  }
  return (xf + 0.5) / scale - 0.5; // half_pixel
}

/// Interpolation weights of the taps around a source coordinate whose
/// distance past the left tap is `ratio` in (0, 1] (ONNX reference kernels).
SmallVector<double> tapWeights(const AxisSpec &s, double ratio, double scale) {
  double a = s.cubicA;
  if (s.mode == "linear" && !s.antialias)
    return {1 - ratio, ratio};
  if (s.mode == "cubic" && !s.antialias) {
    double r1 = ratio + 1, q = 1 - ratio, q1 = q + 1;
    return {((a * r1 - 5 * a) * r1 + 8 * a) * r1 - 4 * a,
            ((a + 2) * ratio - (a + 3)) * ratio * ratio + 1,
            ((a + 2) * q - (a + 3)) * q * q + 1,
            ((a * q1 - 5 * a) * q1 + 8 * a) * q1 - 4 * a};
  }
  double sc = std::min(scale, 1.0);
  SmallVector<double> w;
  if (s.mode == "linear") {
    int64_t start = int64_t(std::floor(-1 / sc) + 1), count = 2 - 2 * start;
    for (int64_t i = start; i < start + count; ++i)
      w.push_back(std::clamp(1 - std::abs((double(i) - ratio) * sc), 0.0, 1.0));
  } else {
    int64_t start = int64_t(std::floor(-2 / sc) + 1), end = 2 - start;
    for (int64_t i = start; i < end; ++i) {
      double x = std::abs(sc * (double(i) - ratio)), x2 = x * x, x3 = x2 * x;
      w.push_back(x <= 1   ? (a + 2) * x3 - (a + 3) * x2 + 1
                  : x < 2 ? a * x3 - 5 * a * x2 + 8 * a * x - 4 * a
                          : 0.0);
    }
  }
  double sum = 0;
  for (double v : w)
    sum += v;
  for (double &v : w)
    v /= sum;
  return w;
}

/// The taps of every output index along one axis: `n` (index, weight) pairs
/// each, indices clamped into the input (edge padding); `outside` marks
/// tf_crop_and_resize extrapolated positions.
struct AxisTaps {
  int64_t n = 0;
  SmallVector<int64_t> idx; // out * n
  SmallVector<double> w;    // out * n
  SmallVector<bool> outside;
  bool anyOutside = false;
};

AxisTaps axisTaps(const AxisSpec &s, int64_t in, int64_t out, double scale, double roi0,
                  double roi1) {
  AxisTaps t;
  for (int64_t o = 0; o < out; ++o) {
    bool outside;
    double xo = sourceCoord(s, o, in, out, scale, roi0, roi1, outside);
    t.outside.push_back(outside);
    t.anyOutside |= outside;
    double fl = std::floor(xo);
    bool integral = xo == fl;
    double ratio = integral ? 1.0 : xo - fl;
    if (s.mode == "nearest") {
      int64_t i = int64_t(fl);
      if (integral)
        ; // the coordinate itself
      else if (s.rounding == "ceil" || (s.rounding == "round_prefer_floor" && ratio > 0.5) ||
               (s.rounding == "round_prefer_ceil" && ratio >= 0.5))
        i += 1;
      t.n = 1;
      t.idx.push_back(std::clamp<int64_t>(i, 0, in - 1));
      t.w.push_back(1.0);
      continue;
    }
    SmallVector<double> w = tapWeights(s, ratio, scale);
    int64_t n = w.size();
    t.n = n;
    int64_t start = int64_t(fl) - n / 2 + (integral ? 0 : 1);
    if (s.excludeOutside) {
      double sum = 0;
      for (int64_t k = 0; k < n; ++k) {
        if (start + k < 0 || start + k >= in)
          w[k] = 0;
        sum += w[k];
      }
      if (sum != 0)
        for (double &v : w)
          v /= sum;
    }
    for (int64_t k = 0; k < n; ++k) {
      t.idx.push_back(std::clamp<int64_t>(start + k, 0, in - 1));
      t.w.push_back(w[k]);
    }
  }
  return t;
}

Result lowerResize(OpBuilder &b, const OnnxNode &node) {
  AxisSpec spec;
  spec.mode = node.getString("mode", "nearest");
  spec.coord = node.getString("coordinate_transformation_mode", "half_pixel");
  spec.rounding = node.getString("nearest_mode", "round_prefer_floor");
  spec.antialias = node.getInt("antialias", 0) != 0;
  spec.excludeOutside = node.getInt("exclude_outside", 0) != 0;
  spec.cubicA = node.getFloat("cubic_coeff_a", -0.75);
  double extrapolation = node.getFloat("extrapolation_value", 0.0);
  if (spec.mode != "nearest" && spec.mode != "linear" && spec.mode != "cubic")
    return node.error() << "mode '" << spec.mode << "' is not supported", failure();
  StringRef coord = spec.coord;
  if (coord != "half_pixel" && coord != "half_pixel_symmetric" && coord != "asymmetric" &&
      coord != "align_corners" && coord != "pytorch_half_pixel" &&
      coord != "tf_crop_and_resize")
    return node.error() << "coordinate_transformation_mode '" << coord
                        << "' is not supported", failure();
  StringRef rounding = spec.rounding;
  if (rounding != "round_prefer_floor" && rounding != "round_prefer_ceil" &&
      rounding != "floor" && rounding != "ceil")
    return node.error() << "unsupported nearest_mode '" << rounding << "'", failure();
  if (spec.antialias && spec.mode == "nearest")
    return node.error() << "antialias is not defined for mode 'nearest'", failure();
  Value x = node.input(0);
  auto in = shapeOf(x);
  auto plan = resizePlan(node, in, true);
  if (failed(plan))
    return failure();
  if (productOf(in) == 0 && productOf(plan->out) != 0)
    return node.error() << "cannot resize an empty tensor to a non-empty one", failure();
  Location l = node.loc();
  int64_t rank = in.size();
  MLIRContext *ctx = b.getContext();
  Type elt = elementTypeOf(x);

  // roi (tf_crop_and_resize only): starts then ends, per axis of `axes`.
  SmallVector<double> roi0(rank, 0.0), roi1(rank, 1.0);
  bool crop = coord == "tf_crop_and_resize";
  if (crop) {
    auto roi = constantNumbersOf(node, 1);
    if (!node.input(1) || !roi)
      return node.error() << "input 1 (roi) must be known at compile time for "
                             "tf_crop_and_resize", failure();
    size_t na = plan->axes.size();
    if (roi->size() != 2 * na)
      return node.error() << "roi has " << roi->size() << " values, expected " << 2 * na,
             failure();
    for (size_t k = 0; k < na; ++k) {
      roi0[plan->axes[k]] = (*roi)[k];
      roi1[plan->axes[k]] = (*roi)[na + k];
    }
  }
  auto isClose = [](double a, double c) {
    return std::abs(a - c) <= 1e-9 * std::max(std::abs(a), std::abs(c));
  };
  // Axes that change (the reference skips identity axes).
  SmallVector<int64_t> resized;
  SmallVector<AxisTaps> taps(rank);
  for (int64_t d : plan->axes) {
    if (in[d] == 0 || plan->out[d] == 0)
      continue;
    if (isClose(plan->scales[d], 1.0) && plan->out[d] == in[d] &&
        (!crop || (isClose(roi0[d], 0.0) && isClose(roi1[d], 1.0))))
      continue;
    if (llvm::is_contained(resized, d))
      continue;
    taps[d] = axisTaps(spec, in[d], plan->out[d], plan->scales[d], roi0[d], roi1[d]);
    bool identity = !taps[d].anyOutside && spec.mode == "nearest" && plan->out[d] == in[d];
    for (int64_t o = 0; identity && o < plan->out[d]; ++o)
      identity = taps[d].idx[o] == o;
    if (!identity)
      resized.push_back(d);
  }
  if (productOf(plan->out) == 0)
    return Values{emptyTensor(b, l, plan->out, elt)};
  auto outsideTable = [&](const AxisTaps &t) {
    SmallVector<int64_t> flags;
    for (bool f : t.outside)
      flags.push_back(f);
    return i64Tensor(b, l, flags);
  };

  if (spec.mode == "nearest") {
    // One gather: an index table (and an outside table) per resized axis.
    SmallVector<Value> tables;
    SmallVector<AffineMap> maps;
    SmallVector<int64_t> idxAt(rank, -1), outAt(rank, -1);
    for (int64_t d : resized) {
      auto map = AffineMap::get(rank, 0, {getAffineDimExpr(d, ctx)}, ctx);
      idxAt[d] = tables.size();
      tables.push_back(i64Tensor(b, l, taps[d].idx));
      maps.push_back(map);
      if (taps[d].anyOutside) {
        outAt[d] = tables.size();
        tables.push_back(outsideTable(taps[d]));
        maps.push_back(map);
      }
    }
    return Values{generateOver(b, l, plan->out, elt, tables, maps,
                               [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
      SmallVector<Value> coords = loopIndices(nb, nl, 0, rank);
      Value outside;
      for (int64_t d = 0; d < rank; ++d) {
        if (idxAt[d] >= 0)
          coords[d] = toIndex(nb, nl, a[idxAt[d]]);
        if (outAt[d] >= 0) {
          Value f = arith::TruncIOp::create(nb, nl, nb.getI1Type(), a[outAt[d]]);
          outside = outside ? Value(arith::OrIOp::create(nb, nl, outside, f)) : f;
        }
      }
      Value v = tensor::ExtractOp::create(nb, nl, x, coords);
      if (outside)
        v = arith::SelectOp::create(nb, nl, outside, scalarConst(nb, nl, elt, extrapolation), v);
      return v;
    })};
  }

  // Linear / cubic: one weighted gather per resized axis, in the compute type.
  Type ct = computeTypeFor(b, elt);
  bool isUnsigned = node.isUnsigned(0);
  Value cur = x;
  if (ct != elt)
    cur = buildElementwise(b, l, {x}, in, ct, [&](OpBuilder &nb, Location nl, ValueRange a) {
      return castS(nb, nl, a[0], ct, isUnsigned);
    });
  SmallVector<int64_t> shape(in);
  for (int64_t d : resized) {
    const AxisTaps &t = taps[d];
    shape[d] = plan->out[d];
    auto map = AffineMap::get(rank, 0, {getAffineDimExpr(d, ctx)}, ctx);
    SmallVector<Value> tables;
    for (int64_t k = 0; k < t.n; ++k) {
      SmallVector<int64_t> idx;
      SmallVector<double> w;
      for (int64_t o = 0; o < plan->out[d]; ++o) {
        idx.push_back(t.idx[o * t.n + k]);
        w.push_back(t.w[o * t.n + k]);
      }
      tables.push_back(i64Tensor(b, l, idx));
      tables.push_back(floatTable(b, l, ct, w));
    }
    if (t.anyOutside)
      tables.push_back(outsideTable(t));
    SmallVector<AffineMap> maps(tables.size(), map);
    Value src = cur;
    cur = generateOver(b, l, shape, ct, tables, maps,
                       [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
      SmallVector<Value> coords = loopIndices(nb, nl, 0, rank);
      Value acc;
      for (int64_t k = 0; k < t.n; ++k) {
        coords[d] = toIndex(nb, nl, a[2 * k]);
        Value v = tensor::ExtractOp::create(nb, nl, src, coords);
        v = arith::MulFOp::create(nb, nl, a[2 * k + 1], v);
        acc = acc ? Value(arith::AddFOp::create(nb, nl, acc, v)) : v;
      }
      if (t.anyOutside) {
        Value f = arith::TruncIOp::create(nb, nl, nb.getI1Type(), a[2 * t.n]);
        acc = arith::SelectOp::create(nb, nl, f, scalarConst(nb, nl, ct, extrapolation), acc);
      }
      return acc;
    });
  }
  if (ct != elt)
    cur = buildElementwise(b, l, {cur}, plan->out, elt,
                           [&](OpBuilder &nb, Location nl, ValueRange a) {
      return fromCompute(nb, nl, a[0], elt, isUnsigned);
    });
  return Values{cur};
}

/// Resize-10 and Upsample-9 (X, scales): Resize-11 with asymmetric coordinates
/// and floor rounding, which is what they compute for nearest.
Result upgradeToResize11(OpBuilder &b, const OnnxNode &node) {
  Location l = node.loc();
  Value roi = constantTensor(
      b, l, DenseElementsAttr::get(tensorOf({0}, b.getF32Type()), ArrayRef<float>{}));
  auto attrs = attrsWithout(node, {"coordinate_transformation_mode", "nearest_mode", "mode"});
  attrs.push_back(b.getNamedAttr("coordinate_transformation_mode", b.getStringAttr("asymmetric")));
  attrs.push_back(b.getNamedAttr("nearest_mode", b.getStringAttr("floor")));
  std::string mode = node.getString("mode", "nearest");
  if (mode == "bilinear" || mode == "trilinear")
    mode = "linear";
  attrs.push_back(b.getNamedAttr("mode", b.getStringAttr(mode)));
  auto op = buildOnnxOp(b, l, "Resize", 11, {node.input(0), roi, node.input(1)}, attrs);
  if (failed(op))
    return failure();
  return Values((*op)->getResults());
}

/// Upsample-7: the scales attribute becomes an input.
Result upgradeUpsampleAttr(OpBuilder &b, const OnnxNode &node) {
  auto s = node.getFloats("scales");
  if (!s)
    return node.error() << "missing scales attribute", failure();
  SmallVector<float> f(s->begin(), s->end());
  Value scales = constantTensor(
      b, node.loc(), DenseElementsAttr::get(tensorOf({int64_t(f.size())}, b.getF32Type()),
                                            ArrayRef<float>(f)));
  return rebuildAs(b, node, 9, {node.input(0), scales}, attrsWithout(node, {"scales"}));
}

// GridSample ------------------------------------------------------------------------

LogicalResult inferGridSample(const OnnxNode &node, Types &out) {
  if (!node.input(0) || !node.input(1) || failed(requireRanked(node, 2)))
    return node.error() << "needs ranked X and grid inputs";
  auto xs = shapeOf(node.input(0)), gs = shapeOf(node.input(1));
  if (xs.size() < 3 || gs.size() != xs.size())
    return node.error() << "X must have rank >= 3 and grid the same rank", failure();
  int64_t k = xs.size() - 2;
  if (gs.back() != kDyn && gs.back() != k)
    return node.error() << "grid's last dimension must be " << k, failure();
  SmallVector<int64_t> shape{xs[0] == kDyn ? gs[0] : xs[0], xs[1]};
  for (int64_t i = 1; i <= k; ++i)
    shape.push_back(gs[i]);
  out.push_back(tensorOf(shape, elementTypeOf(node.input(0))));
  return success();
}

/// Reflects `x` into [lo, hi] by its nearest border until it lies inside
/// (the ONNX reference's rule); `lo` < `hi`.
Value reflect(OpBuilder &b, Location l, Value x, double lo, double hi) {
  Type t = x.getType();
  auto c = [&](double v) { return scalarConst(b, l, t, v); };
  Value below = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, x, c(lo));
  Value above = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, x, c(hi));
  Value dx = arith::SelectOp::create(b, l, below, arith::SubFOp::create(b, l, c(lo), x),
                                     arith::SubFOp::create(b, l, x, c(hi)));
  Value n = math::FloorOp::create(b, l, arith::DivFOp::create(b, l, dx, c(hi - lo)));
  Value r = arith::SubFOp::create(b, l, dx, arith::MulFOp::create(b, l, n, c(hi - lo)));
  Value half = math::FloorOp::create(b, l, arith::MulFOp::create(b, l, n, c(0.5)));
  Value odd = arith::CmpFOp::create(b, l, arith::CmpFPredicate::ONE, n,
                                    arith::MulFOp::create(b, l, half, c(2.0)));
  Value fromLo = arith::AddFOp::create(b, l, c(lo), r);
  Value fromHi = arith::SubFOp::create(b, l, c(hi), r);
  Value resBelow = arith::SelectOp::create(b, l, odd, fromHi, fromLo);
  Value resAbove = arith::SelectOp::create(b, l, odd, fromLo, fromHi);
  return arith::SelectOp::create(b, l, below, resBelow,
                                 arith::SelectOp::create(b, l, above, resAbove, x));
}

Result lowerGridSample(OpBuilder &b, const OnnxNode &node) {
  std::string mode = node.getString("mode", "linear");
  std::string padding = node.getString("padding_mode", "zeros");
  bool align = node.getInt("align_corners", 0) != 0;
  if (mode != "linear" && mode != "nearest" && mode != "cubic")
    return node.error() << "mode '" << mode << "' is not supported", failure();
  if (padding != "zeros" && padding != "border" && padding != "reflection")
    return node.error() << "padding_mode '" << padding << "' is not supported", failure();
  Value x = node.input(0), grid = node.input(1);
  auto xs = shapeOf(x), gs = shapeOf(grid);
  int64_t k = xs.size() - 2;
  if (gs[0] != xs[0])
    return node.error() << "X and grid must have the same batch size", failure();
  if (!isFloat(elementTypeOf(grid)))
    return node.error() << "grid must be a float tensor", failure();
  Location l = node.loc();
  Type elt = elementTypeOf(x);
  Type ct = computeTypeFor(b, elt);
  bool isUnsigned = node.isUnsigned(0);
  SmallVector<int64_t> outShape{xs[0], xs[1]};
  outShape.append(gs.begin() + 1, gs.end() - 1);
  int64_t taps = mode == "nearest" ? 1 : mode == "linear" ? 2 : 4;
  auto cubic = [](OpBuilder &nb, Location nl, Value t, int64_t j) {
    // Keys' kernel (A = -0.75) at distance (t + 1, t, 1 - t, 2 - t) for taps j = 0..3.
    const double a = -0.75;
    Type ty = t.getType();
    auto c = [&](double v) { return scalarConst(nb, nl, ty, v); };
    Value one = c(1.0);
    Value d = j == 0   ? Value(arith::AddFOp::create(nb, nl, t, one))
              : j == 1 ? t
              : j == 2 ? Value(arith::SubFOp::create(nb, nl, one, t))
                       : Value(arith::SubFOp::create(nb, nl, c(2.0), t));
    auto mul = [&](Value p, Value q) { return Value(arith::MulFOp::create(nb, nl, p, q)); };
    auto add = [&](Value p, Value q) { return Value(arith::AddFOp::create(nb, nl, p, q)); };
    if (j == 1 || j == 2) // ((a + 2) d - (a + 3)) d^2 + 1
      return add(mul(add(mul(c(a + 2), d), c(-(a + 3))), mul(d, d)), one);
    // ((a d - 5a) d + 8a) d - 4a
    return add(mul(add(mul(add(mul(c(a), d), c(-5 * a)), d), c(8 * a)), d), c(-4 * a));
  };
  return Values{generateOver(b, l, outShape, elt, {}, {},
                             [&](OpBuilder &nb, Location nl, ValueRange) -> Value {
    auto c = [&](double v) { return scalarConst(nb, nl, ct, v); };
    auto ic = [&](int64_t v) { return Value(arith::ConstantIndexOp::create(nb, nl, v)); };
    SmallVector<Value> iv = loopIndices(nb, nl, 0, outShape.size());
    // Per spatial dim i: tap indices (index), validity (i1, zeros mode), weights.
    SmallVector<SmallVector<Value>> tapIdx(k), tapOk(k), tapW(k);
    for (int64_t i = 0; i < k; ++i) {
      int64_t len = xs[2 + i];
      SmallVector<Value> gc{iv[0]};
      gc.append(iv.begin() + 2, iv.end());
      gc.push_back(ic(k - 1 - i)); // the grid lists coordinates innermost dim first
      Value g = castS(nb, nl, tensor::ExtractOp::create(nb, nl, grid, gc), ct);
      Value p = arith::AddFOp::create(nb, nl, g, c(1.0));
      Value xv = align ? Value(arith::MulFOp::create(nb, nl, p, c(double(len - 1) / 2)))
                       : Value(arith::MulFOp::create(
                             nb, nl, arith::SubFOp::create(nb, nl, arith::MulFOp::create(
                                                                        nb, nl, p, c(double(len))),
                                                           c(1.0)),
                             c(0.5)));
      if (mode == "nearest")
        xv = math::RoundEvenOp::create(nb, nl, xv);
      double lo = align ? 0.0 : -0.5, hi = align ? double(len - 1) : double(len) - 0.5;
      auto reflectOrZero = [&](Value v) {
        return hi > lo ? reflect(nb, nl, v, lo, hi) : c(0.0);
      };
      if (padding == "border") {
        Value out = arith::OrIOp::create(
            nb, nl, arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OLT, xv, c(lo)),
            arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT, xv, c(hi)));
        Value cl = arith::MinimumFOp::create(
            nb, nl, arith::MaximumFOp::create(nb, nl, xv, c(0.0)), c(double(len - 1)));
        xv = arith::SelectOp::create(nb, nl, out, cl, xv);
      } else if (padding == "reflection") {
        xv = reflectOrZero(xv);
      }
      Value base = mode == "nearest" ? xv : Value(math::FloorOp::create(nb, nl, xv));
      Value t = arith::SubFOp::create(nb, nl, xv, base);
      int64_t first = mode == "cubic" ? -1 : 0;
      for (int64_t j = 0; j < taps; ++j) {
        Value pos = arith::AddFOp::create(nb, nl, base, c(double(first + j)));
        if (padding == "reflection")
          pos = reflectOrZero(pos);
        Value pi = arith::FPToSIOp::create(nb, nl, nb.getI64Type(), pos);
        Value ok;
        if (padding == "zeros") {
          Value zero = arith::ConstantIntOp::create(nb, nl, nb.getI64Type(), 0);
          Value end = arith::ConstantIntOp::create(nb, nl, nb.getI64Type(), len);
          ok = arith::AndIOp::create(
              nb, nl, arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sge, pi, zero),
              arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, pi, end));
        }
        Value idx = toIndex(nb, nl, pi);
        idx = arith::MaxSIOp::create(nb, nl, idx, ic(0));
        idx = arith::MinSIOp::create(nb, nl, idx, ic(std::max<int64_t>(len - 1, 0)));
        tapIdx[i].push_back(idx);
        tapOk[i].push_back(ok);
        Value w;
        if (mode == "linear")
          w = j == 0 ? Value(arith::SubFOp::create(nb, nl, c(1.0), t)) : t;
        else if (mode == "cubic")
          w = cubic(nb, nl, t, j);
        tapW[i].push_back(w);
      }
    }
    // Sum over every combination of taps.
    Value acc;
    int64_t combos = 1;
    for (int64_t i = 0; i < k; ++i)
      combos *= taps;
    for (int64_t m = 0; m < combos; ++m) {
      SmallVector<Value> coords{iv[0], iv[1]};
      Value ok, w;
      for (int64_t i = 0, r = m; i < k; ++i) {
        // Dim 0 varies slowest.
        int64_t stride = 1;
        for (int64_t q = i + 1; q < k; ++q)
          stride *= taps;
        int64_t j = (r / stride) % taps;
        coords.push_back(tapIdx[i][j]);
        if (Value o = tapOk[i][j])
          ok = ok ? Value(arith::AndIOp::create(nb, nl, ok, o)) : o;
        if (Value wj = tapW[i][j])
          w = w ? Value(arith::MulFOp::create(nb, nl, w, wj)) : wj;
      }
      Value v = castS(nb, nl, tensor::ExtractOp::create(nb, nl, x, coords), ct, isUnsigned);
      if (ok)
        v = arith::SelectOp::create(nb, nl, ok, v, c(0.0));
      if (w)
        v = arith::MulFOp::create(nb, nl, w, v);
      acc = acc ? Value(arith::AddFOp::create(nb, nl, acc, v)) : v;
    }
    return fromCompute(nb, nl, acc, elt, isUnsigned);
  })};
}

/// GridSample-16 (4-D only, modes bilinear/nearest/bicubic): GridSample-20 with
/// the modes renamed.
Result upgradeGridSample16(OpBuilder &b, const OnnxNode &node) {
  std::string mode = node.getString("mode", "bilinear");
  if (mode == "bilinear")
    mode = "linear";
  else if (mode == "bicubic")
    mode = "cubic";
  auto attrs = attrsWithout(node, {"mode"});
  attrs.push_back(b.getNamedAttr("mode", b.getStringAttr(mode)));
  return rebuildAs(b, node, 20, {node.input(0), node.input(1)}, attrs);
}

// AffineGrid ------------------------------------------------------------------------

LogicalResult inferAffineGrid(const OnnxNode &node, Types &out) {
  if (!node.input(0) || !node.input(1) || failed(requireRanked(node, 2)))
    return node.error() << "needs ranked theta and size inputs";
  Type elt = elementTypeOf(node.input(0));
  auto size = constantIntsOf(node, 1);
  if (!size) {
    auto ss = shapeOf(node.input(1));
    int64_t n = ss.size() == 1 && ss[0] != kDyn ? ss[0] : kDyn;
    if (n == kDyn) // rank unknown: fall back to the 2-D form's rank
      n = 4;
    out.push_back(tensorOf(SmallVector<int64_t>(n, kDyn), elt));
    return success();
  }
  if (size->size() != 4 && size->size() != 5)
    return node.error() << "size must have 4 (2-D) or 5 (3-D) values", failure();
  int64_t k = size->size() - 2;
  SmallVector<int64_t> shape{(*size)[0]};
  shape.append(size->begin() + 2, size->end());
  shape.push_back(k);
  out.push_back(tensorOf(shape, elt));
  return success();
}

Result lowerAffineGrid(OpBuilder &b, const OnnxNode &node) {
  bool align = node.getInt("align_corners", 0) != 0;
  auto size = constantIntsOf(node, 1, "size");
  if (!size)
    return failure();
  if (size->size() != 4 && size->size() != 5)
    return node.error() << "size must have 4 (2-D) or 5 (3-D) values", failure();
  int64_t k = size->size() - 2;
  Value theta = node.input(0);
  auto ts = shapeOf(theta);
  if (ts.size() != 3 || ts[0] != (*size)[0] || ts[1] != k || ts[2] != k + 1)
    return node.error() << "theta must have shape [N, " << k << ", " << k + 1 << "]",
           failure();
  Type elt = elementTypeOf(theta);
  if (!isFloat(elt))
    return node.error() << "theta must be a float tensor", failure();
  Location l = node.loc();
  SmallVector<int64_t> shape{(*size)[0]};
  shape.append(size->begin() + 2, size->end());
  shape.push_back(k);
  return Values{generateOver(b, l, shape, elt, {}, {},
                             [&](OpBuilder &nb, Location nl, ValueRange) -> Value {
    auto c = [&](double v) { return scalarConst(nb, nl, elt, v); };
    SmallVector<Value> iv = loopIndices(nb, nl, 0, shape.size());
    Value n = iv[0], row = iv.back();
    Value acc = tensor::ExtractOp::create(
        nb, nl, theta, ValueRange{n, row, arith::ConstantIndexOp::create(nb, nl, k)});
    for (int64_t m = 0; m < k; ++m) {
      // Base coordinate m (x, y, z) comes from spatial dim k - 1 - m (W, H, D).
      int64_t dim = 1 + (k - 1 - m), len = (*size)[2 + (k - 1 - m)];
      Value i = castS(nb, nl, arith::IndexCastOp::create(nb, nl, nb.getI64Type(), iv[dim]), elt);
      Value base;
      if (align)
        base = len == 1 ? c(-1.0)
                        : Value(arith::AddFOp::create(
                              nb, nl, arith::MulFOp::create(nb, nl, i, c(2.0 / double(len - 1))),
                              c(-1.0)));
      else // (2i + 1) / len - 1
        base = arith::AddFOp::create(
            nb, nl,
            arith::MulFOp::create(nb, nl, arith::AddFOp::create(nb, nl, i, c(0.5)),
                                  c(2.0 / double(len))),
            c(-1.0));
      Value th = tensor::ExtractOp::create(
          nb, nl, theta, ValueRange{n, row, arith::ConstantIndexOp::create(nb, nl, m)});
      acc = arith::AddFOp::create(nb, nl, acc, arith::MulFOp::create(nb, nl, th, base));
    }
    return acc;
  })};
}

} // namespace

void addImageOps(OpTable &t) {
  t.add("Upsample", 7, OpEntry::upgradedBy(upgradeUpsampleAttr)); // scales attribute
  t.add("Upsample", 9, OpEntry::upgradedBy(upgradeToResize11));
  t.add("Resize", 10, OpEntry::upgradedBy(upgradeToResize11));
  // axes, keep_aspect_ratio_policy from 18, half_pixel_symmetric from 19;
  // antialias from 18 (absent before: off).
  t.add("Resize", 11, OpEntry::form(inferResize, lowerResize));
  t.add("GridSample", 16, OpEntry::upgradedBy(upgradeGridSample16));
  // N-D and modes linear/nearest/cubic from 20 (22 only widens the types).
  t.add("GridSample", 20, OpEntry::form(inferGridSample, lowerGridSample));
  t.add("AffineGrid", 20, OpEntry::form(inferAffineGrid, lowerAffineGrid));
}

} // namespace nnm::onnx_to_linalg
