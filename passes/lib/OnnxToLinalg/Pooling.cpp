//===- Pooling.cpp - ONNX pooling ops to linalg ---------------------------===//
#include "Common.h"

#include "mlir/IR/AffineMap.h"

using namespace mlir;

namespace nnm::onnx_to_linalg {
namespace {

/// Window geometry of a pool over n spatial dims: kernel, strides, dilations,
/// pads (begins, then ends), the extra end padding ceil_mode needs and the
/// output size.
struct Window {
  SmallVector<int64_t> kernel, strides, dilations, pads, out, extraEnd;

  /// Pads including the extra end padding of ceil_mode.
  SmallVector<int64_t> paddedPads() const {
    SmallVector<int64_t> p = pads;
    size_t n = kernel.size();
    for (size_t i = 0; i < n; ++i)
      p[n + i] += extraEnd[i];
    return p;
  }
};

/// The window of a pool node over input shape `xs` (rank >= 3); kDyn input
/// dims give kDyn output dims.
FailureOr<Window> poolWindow(const OnnxNode &node, ArrayRef<int64_t> xs) {
  if (xs.size() < 3)
    return node.error() << "pooling needs an input of rank >= 3 (N, C, spatial...)", failure();
  size_t n = xs.size() - 2;
  Window w;
  auto ks = node.getInts("kernel_shape");
  if (!ks || ks->size() != n)
    return node.error() << "kernel_shape must have one value per spatial dimension (" << n
                        << ")", failure();
  for (int64_t k : *ks)
    if (k < 1)
      return node.error() << "kernel_shape must be positive", failure();
  w.kernel.assign(ks->begin(), ks->end());
  auto s = spatialAttr(node, "strides", n, 1);
  auto d = spatialAttr(node, "dilations", n, 1);
  if (failed(s) || failed(d))
    return failure();
  w.strides = *s;
  w.dilations = *d;
  SmallVector<int64_t> in(xs.begin() + 2, xs.end());
  w.out.assign(n, kDyn);
  w.extraEnd.assign(n, 0);
  if (llvm::is_contained(in, kDyn))
    return w;
  auto p = resolvePads(node, in, w.kernel, w.strides, w.dilations);
  if (failed(p))
    return failure();
  w.pads = *p;
  bool ceil = node.getInt("ceil_mode", 0);
  for (size_t i = 0; i < n; ++i) {
    int64_t span = in[i] + w.pads[i] + w.pads[i + n] - (w.kernel[i] - 1) * w.dilations[i] - 1;
    if (span < 0)
      return node.error() << "the kernel is larger than the padded input", failure();
    int64_t o = (ceil ? (span + w.strides[i] - 1) / w.strides[i] : span / w.strides[i]) + 1;
    // A last window that would start in the end padding is dropped (as ONNX Runtime does).
    if (ceil && (o - 1) * w.strides[i] >= in[i] + w.pads[i])
      --o;
    w.out[i] = o;
    int64_t needed = (o - 1) * w.strides[i] + (w.kernel[i] - 1) * w.dilations[i] + 1;
    w.extraEnd[i] = std::max<int64_t>(0, needed - (in[i] + w.pads[i] + w.pads[i + n]));
  }
  return w;
}

/// [N, C, out...]; MaxPool's optional Indices output is int64 of the same shape.
LogicalResult inferPool(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 1)) || !node.input(0))
    return node.error() << "needs a ranked input";
  auto xs = shapeOf(node.input(0));
  auto w = poolWindow(node, xs);
  if (failed(w))
    return failure();
  SmallVector<int64_t> shape = {xs[0], xs[1]};
  shape.append(w->out.begin(), w->out.end());
  out.push_back(tensorOf(shape, elementTypeOf(node.input(0))));
  for (unsigned i = 1; i < node.numResults(); ++i)
    out.push_back(tensorOf(shape, IntegerType::get(node.op->getContext(), 64)));
  return success();
}

/// [N, C, 1, ...]: one value per channel.
LogicalResult inferGlobalPool(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 1)) || !node.input(0))
    return node.error() << "needs a ranked input";
  auto xs = shapeOf(node.input(0));
  if (xs.size() < 3)
    return node.error() << "input must have rank >= 3";
  SmallVector<int64_t> shape(xs.size(), 1);
  shape[0] = xs[0];
  shape[1] = xs[1];
  out.push_back(tensorOf(shape, elementTypeOf(node.input(0))));
  return success();
}

/// Pads `x` with `value` (ceil_mode's extra end padding included) and pools it
/// with PoolOp (a 2-D NCHW named op) into a tensor that starts filled with `value`.
template <typename PoolOp>
Value buildPool(OpBuilder &b, Location l, Value x, const Window &w, Value value) {
  auto xs = shapeOf(x);
  Value xp = padSpatial(b, l, x, w.paddedPads(), value);
  Value init = filledTensor(b, l, {xs[0], xs[1], w.out[0], w.out[1]}, value);
  Value window = emptyTensor(b, l, w.kernel, elementTypeOf(x));
  return PoolOp::create(b, l, TypeRange{init.getType()}, ValueRange{xp, window},
                        ValueRange{init}, b.getI64TensorAttr(w.strides),
                        b.getI64TensorAttr(w.dilations))
      .getResult(0);
}

using WindowBody = function_ref<SmallVector<Value>(OpBuilder &, Location, Value, ValueRange)>;

/// A pool over any number of spatial dims: one linalg.generic with loops
/// [n, c, out..., k...] (the window taps reduce) reading the padded input `xp`
/// at (n, c, out * stride + k * dilation). `body` maps the input element and
/// the accumulators to the new accumulators; it may read the loop indices with
/// linalg.index. The accumulators start as `inits` ([N, C, out...] each).
SmallVector<Value> buildWindowGeneric(OpBuilder &b, Location l, Value xp, const Window &w,
                                      ValueRange inits, WindowBody body) {
  MLIRContext *ctx = b.getContext();
  unsigned n = w.kernel.size(), loops = 2 + 2 * n;
  SmallVector<AffineExpr> xe = {getAffineDimExpr(0, ctx), getAffineDimExpr(1, ctx)};
  SmallVector<AffineExpr> oe = xe, ke;
  for (unsigned i = 0; i < n; ++i) {
    AffineExpr o = getAffineDimExpr(2 + i, ctx), k = getAffineDimExpr(2 + n + i, ctx);
    xe.push_back(o * w.strides[i] + k * w.dilations[i]);
    oe.push_back(o);
    ke.push_back(k);
  }
  SmallVector<AffineMap> maps = {AffineMap::get(loops, 0, xe, ctx),
                                 AffineMap::get(loops, 0, ke, ctx)};
  for (size_t i = 0; i < inits.size(); ++i)
    maps.push_back(AffineMap::get(loops, 0, oe, ctx));
  SmallVector<utils::IteratorType> iters(2 + n, utils::IteratorType::parallel);
  iters.append(n, utils::IteratorType::reduction);
  Value window = emptyTensor(b, l, w.kernel, elementTypeOf(xp));
  auto op = linalg::GenericOp::create(
      b, l, TypeRange(inits), ValueRange{xp, window}, inits, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange a) {
        linalg::YieldOp::create(nb, nl, body(nb, nl, a[0], a.drop_front(2)));
      });
  return SmallVector<Value>(op.getResults());
}

/// Output shape [N, C, out...] of a pool over `xs`.
SmallVector<int64_t> poolShape(ArrayRef<int64_t> xs, const Window &w) {
  SmallVector<int64_t> s = {xs[0], xs[1]};
  s.append(w.out.begin(), w.out.end());
  return s;
}

/// The window taps inside the input (or inside input + explicit pads with
/// `includePad`) for every output position, as a constant [out...] tensor.
Value windowCounts(OpBuilder &b, Location l, ArrayRef<int64_t> in, const Window &w,
                   bool includePad, Type elt) {
  size_t n = w.kernel.size();
  SmallVector<Attribute> counts;
  SmallVector<int64_t> o(n, 0);
  int64_t total = productOf(w.out);
  for (int64_t idx = 0; idx < total; ++idx) {
    int64_t rest = idx;
    for (size_t i = n; i-- > 0;)
      o[i] = rest % w.out[i], rest /= w.out[i];
    int64_t c = 1;
    for (size_t i = 0; i < n; ++i) {
      int64_t lo = includePad ? -w.pads[i] : 0, hi = in[i] + (includePad ? w.pads[n + i] : 0);
      int64_t ci = 0;
      for (int64_t k = 0; k < w.kernel[i]; ++k) {
        int64_t p = o[i] * w.strides[i] + k * w.dilations[i] - w.pads[i];
        ci += p >= lo && p < hi;
      }
      c *= ci;
    }
    counts.push_back(b.getFloatAttr(elt, double(std::max<int64_t>(c, 1))));
  }
  return constantTensor(b, l, DenseElementsAttr::get(tensorOf(w.out, elt), counts));
}

/// Index arithmetic helpers on `index` values.
Value idxConst(OpBuilder &b, Location l, int64_t v) {
  return arith::ConstantIndexOp::create(b, l, v);
}

/// MaxPool with its Indices output (any rank): the flat index of each maximum
/// in the unpadded input, row-major (storage_order 0) or with the spatial dims
/// column-major (storage_order 1); the first maximum of a window wins.
Values maxPoolWithIndices(OpBuilder &b, Location l, Value x, const Window &w, bool isUnsigned,
                          bool columnMajor) {
  auto xs = shapeOf(x);
  size_t n = w.kernel.size();
  Type elt = elementTypeOf(x), i64 = b.getI64Type();
  Value lowest = lowestConst(b, l, elt, isUnsigned);
  Value xp = padSpatial(b, l, x, w.paddedPads(), lowest);
  auto shape = poolShape(xs, w);
  Value vInit = filledTensor(b, l, shape, lowest);
  Value iInit = filledTensor(b, l, shape, scalarConst(b, l, i64, -1));
  SmallVector<int64_t> in(xs.begin() + 2, xs.end());
  int64_t spatial = productOf(in);
  auto r = buildWindowGeneric(
      b, l, xp, w, ValueRange{vInit, iInit},
      [&](OpBuilder &nb, Location nl, Value v, ValueRange acc) -> SmallVector<Value> {
        auto cmp = [&](arith::CmpIPredicate p, Value a, Value c) {
          return arith::CmpIOp::create(nb, nl, p, a, c).getResult();
        };
        Value valid = arith::ConstantIntOp::create(nb, nl, 1, 1);
        SmallVector<Value> pos;
        for (size_t i = 0; i < n; ++i) {
          Value o = linalg::IndexOp::create(nb, nl, 2 + i);
          Value k = linalg::IndexOp::create(nb, nl, 2 + n + i);
          Value p = arith::AddIOp::create(
              nb, nl, arith::MulIOp::create(nb, nl, o, idxConst(nb, nl, w.strides[i])),
              arith::MulIOp::create(nb, nl, k, idxConst(nb, nl, w.dilations[i])));
          p = arith::SubIOp::create(nb, nl, p, idxConst(nb, nl, w.pads[i]));
          valid = arith::AndIOp::create(
              nb, nl, valid, cmp(arith::CmpIPredicate::sge, p, idxConst(nb, nl, 0)));
          valid = arith::AndIOp::create(
              nb, nl, valid, cmp(arith::CmpIPredicate::slt, p, idxConst(nb, nl, in[i])));
          pos.push_back(p);
        }
        Value flat = idxConst(nb, nl, 0);
        if (columnMajor) {
          int64_t stride = 1;
          for (size_t i = 0; i < n; ++i) {
            flat = arith::AddIOp::create(
                nb, nl, flat, arith::MulIOp::create(nb, nl, pos[i], idxConst(nb, nl, stride)));
            stride *= in[i];
          }
        } else {
          for (size_t i = 0; i < n; ++i)
            flat = arith::AddIOp::create(
                nb, nl, arith::MulIOp::create(nb, nl, flat, idxConst(nb, nl, in[i])), pos[i]);
        }
        Value nc = arith::AddIOp::create(
            nb, nl,
            arith::MulIOp::create(nb, nl, linalg::IndexOp::create(nb, nl, 0),
                                  idxConst(nb, nl, xs[1])),
            linalg::IndexOp::create(nb, nl, 1));
        flat = arith::AddIOp::create(
            nb, nl, arith::MulIOp::create(nb, nl, nc, idxConst(nb, nl, spatial)), flat);
        Value flat64 = arith::IndexCastOp::create(nb, nl, i64, flat);
        Value greater =
            isFloat(elt)
                ? arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT, v, acc[0]).getResult()
                : cmp(isUnsigned ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::sgt, v,
                      acc[0]);
        Value none = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, acc[1],
                                           arith::ConstantIntOp::create(nb, nl, i64, 0));
        Value take = arith::AndIOp::create(nb, nl, valid,
                                           arith::OrIOp::create(nb, nl, greater, none));
        return {arith::SelectOp::create(nb, nl, take, v, acc[0]).getResult(),
                arith::SelectOp::create(nb, nl, take, flat64, acc[1]).getResult()};
      });
  return Values(r.begin(), r.end());
}

Result lowerMaxPool(OpBuilder &b, const OnnxNode &node) {
  auto w = poolWindow(node, shapeOf(node.input(0)));
  if (failed(w))
    return failure();
  Value x = node.input(0);
  Location l = node.loc();
  Type elt = elementTypeOf(x);
  bool isUnsigned = node.isUnsigned(0);
  if (node.numResults() > 1) {
    int64_t order = node.getInt("storage_order", 0);
    if (order != 0 && order != 1)
      return node.error() << "storage_order must be 0 or 1", failure();
    return maxPoolWithIndices(b, l, x, *w, isUnsigned, order == 1);
  }
  if (shapeOf(x).size() != 4) {
    Value lowest = lowestConst(b, l, elt, isUnsigned);
    Value xp = padSpatial(b, l, x, w->paddedPads(), lowest);
    Value init = filledTensor(b, l, poolShape(shapeOf(x), *w), lowest);
    return Values{buildWindowGeneric(b, l, xp, *w, ValueRange{init},
                                     [&](OpBuilder &nb, Location nl, Value v,
                                         ValueRange acc) -> SmallVector<Value> {
                                       return {maxS(nb, nl, v, acc[0], isUnsigned)};
                                     })[0]};
  }
  if (!isUnsigned)
    return Values{buildPool<linalg::PoolingNchwMaxOp>(b, l, x, *w, lowestConst(b, l, elt))};
  // linalg's NCHW max pool compares signed: flipping the sign bit maps unsigned
  // order onto signed order, and flipping it back restores the values.
  auto flip = [&](Value v) {
    unsigned width = elt.getIntOrFloatBitWidth();
    return buildElementwise(b, l, ValueRange{v}, shapeOf(v), elt,
                            [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                              Value sign = arith::ConstantOp::create(
                                  nb, nl, nb.getIntegerAttr(elt, APInt::getSignMask(width)));
                              return arith::XOrIOp::create(nb, nl, a[0], sign);
                            });
  };
  return Values{flip(buildPool<linalg::PoolingNchwMaxOp>(b, l, flip(x), *w,
                                                         lowestConst(b, l, elt)))};
}

Result lowerAveragePool(OpBuilder &b, const OnnxNode &node) {
  auto w = poolWindow(node, shapeOf(node.input(0)));
  if (failed(w))
    return failure();
  Value x = node.input(0);
  auto xs = shapeOf(x);
  Location l = node.loc();
  Type elt = elementTypeOf(x);
  if (!isFloat(elt))
    return node.error() << "needs a floating-point input", failure();
  Value zero = scalarConst(b, l, elt, 0);
  Value sum;
  if (xs.size() == 4) {
    sum = buildPool<linalg::PoolingNchwSumOp>(b, l, x, *w, zero);
  } else {
    Value xp = padSpatial(b, l, x, w->paddedPads(), zero);
    Value init = filledTensor(b, l, poolShape(xs, *w), zero);
    sum = buildWindowGeneric(b, l, xp, *w, ValueRange{init},
                             [&](OpBuilder &nb, Location nl, Value v,
                                 ValueRange acc) -> SmallVector<Value> {
                               return {addS(nb, nl, v, acc[0])};
                             })[0];
  }
  // The divisor of every output position is known at compile time.
  Value divisor = windowCounts(b, l, SmallVector<int64_t>(xs.begin() + 2, xs.end()), *w,
                               node.getInt("count_include_pad", 0), elt);
  Value y = buildElementwise(b, l, ValueRange{sum, divisor}, shapeOf(sum), elt,
                             [](OpBuilder &nb, Location nl, ValueRange a) {
                               return arith::DivFOp::create(nb, nl, a[0], a[1]);
                             });
  return Values{y};
}

/// The exponent p of LpPool / GlobalLpPool (a float before opset 2, an int since).
FailureOr<double> lpExponent(const OnnxNode &node) {
  double p = node.getFloat("p", 2.0);
  if (!(p > 0))
    return node.error() << "p must be positive", failure();
  return p;
}

/// |v|^p for the Lp pools (p = 1 and 2 without pow).
Value powAbs(OpBuilder &b, Location l, Value v, double p) {
  if (p == 2.0)
    return arith::MulFOp::create(b, l, v, v);
  Value a = math::AbsFOp::create(b, l, v);
  if (p == 1.0)
    return a;
  return math::PowFOp::create(b, l, a, scalarConst(b, l, v.getType(), p));
}

/// s^(1/p) elementwise.
Value lpRoot(OpBuilder &b, Location l, Value s, double p) {
  if (p == 1.0)
    return s;
  Type elt = elementTypeOf(s);
  return buildElementwise(b, l, ValueRange{s}, shapeOf(s), elt,
                          [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                            if (p == 2.0)
                              return math::SqrtOp::create(nb, nl, a[0]);
                            return math::PowFOp::create(nb, nl, a[0],
                                                        scalarConst(nb, nl, elt, 1.0 / p));
                          });
}

/// LpPool: (sum over the window of |x|^p)^(1/p); padding contributes 0.
Result lowerLpPool(OpBuilder &b, const OnnxNode &node) {
  Value x = node.input(0);
  auto xs = shapeOf(x);
  auto w = poolWindow(node, xs);
  auto p = lpExponent(node);
  if (failed(w) || failed(p))
    return failure();
  Location l = node.loc();
  Type elt = elementTypeOf(x);
  if (!isFloat(elt))
    return node.error() << "needs a floating-point input", failure();
  Value zero = scalarConst(b, l, elt, 0);
  Value xp = padSpatial(b, l, x, w->paddedPads(), zero);
  Value init = filledTensor(b, l, poolShape(xs, *w), zero);
  Value sum = buildWindowGeneric(b, l, xp, *w, ValueRange{init},
                                 [&](OpBuilder &nb, Location nl, Value v,
                                     ValueRange acc) -> SmallVector<Value> {
                                   return {addS(nb, nl, powAbs(nb, nl, v, *p), acc[0])};
                                 })[0];
  return Values{lpRoot(b, l, sum, *p)};
}

/// GlobalAveragePool(x) = ReduceMean(x, axes = [2, ...], keepdims = 1): the
/// lowering decomposes into another ONNX op, which the conversion lowers next.
Result lowerGlobalAveragePool(OpBuilder &b, const OnnxNode &node) {
  Value x = node.input(0);
  auto xs = shapeOf(x);
  if (xs.size() < 3)
    return node.error() << "input must have rank >= 3", failure();
  if (!isFloat(elementTypeOf(x)))
    return node.error() << "needs a floating-point input", failure();
  SmallVector<int64_t> axes;
  for (size_t i = 2; i < xs.size(); ++i)
    axes.push_back(i);
  auto mean = buildOnnxOp(b, node.loc(), "ReduceMean", 18, {x, i64Tensor(b, node.loc(), axes)},
                          {b.getNamedAttr("keepdims", b.getI64IntegerAttr(1))});
  if (failed(mean))
    return failure();
  return Values{(*mean)->getResult(0)};
}

SmallVector<int64_t> spatialAxes(ArrayRef<int64_t> xs) {
  SmallVector<int64_t> axes;
  for (size_t i = 2; i < xs.size(); ++i)
    axes.push_back(i);
  return axes;
}

/// GlobalMaxPool: the maximum over every spatial dim (kept as unit dims).
Result lowerGlobalMaxPool(OpBuilder &b, const OnnxNode &node) {
  Value x = node.input(0);
  auto xs = shapeOf(x);
  if (xs.size() < 3)
    return node.error() << "input must have rank >= 3", failure();
  Location l = node.loc();
  bool isUnsigned = node.isUnsigned(0);
  Value init = lowestConst(b, l, elementTypeOf(x), isUnsigned);
  return Values{buildReduceWith(b, l, ValueRange{x}, spatialAxes(xs), /*keepdims=*/true, init,
                                [&](OpBuilder &nb, Location nl, ValueRange v, Value acc) {
                                  return maxS(nb, nl, v[0], acc, isUnsigned);
                                })};
}

/// GlobalLpPool: (sum over every spatial dim of |x|^p)^(1/p).
Result lowerGlobalLpPool(OpBuilder &b, const OnnxNode &node) {
  Value x = node.input(0);
  auto xs = shapeOf(x);
  auto p = lpExponent(node);
  if (failed(p))
    return failure();
  if (xs.size() < 3)
    return node.error() << "input must have rank >= 3", failure();
  Location l = node.loc();
  Type elt = elementTypeOf(x);
  if (!isFloat(elt))
    return node.error() << "needs a floating-point input", failure();
  Value sum = buildReduceWith(b, l, ValueRange{x}, spatialAxes(xs), /*keepdims=*/true,
                              scalarConst(b, l, elt, 0),
                              [&](OpBuilder &nb, Location nl, ValueRange v, Value acc) {
                                return addS(nb, nl, powAbs(nb, nl, v[0], *p), acc);
                              });
  return Values{lpRoot(b, l, sum, *p)};
}

// MaxUnpool ---------------------------------------------------------------------

/// The output shape of MaxUnpool: the constant output_shape input, else
/// (in - 1) * stride + kernel - pads per spatial dim (`inferredOnly` always
/// gives the latter). kDyn where unknown.
FailureOr<SmallVector<int64_t>> unpoolShape(const OnnxNode &node, bool lowering,
                                            bool inferredOnly = false) {
  auto xs = shapeOf(node.input(0));
  if (xs.size() < 3)
    return node.error() << "input must have rank >= 3", failure();
  size_t n = xs.size() - 2;
  if (node.input(2) && !inferredOnly) {
    auto s = constantIntsOf(node, 2, lowering ? "output_shape" : nullptr);
    if (!s) {
      if (lowering)
        return failure();
      auto st = node.inputType(2);
      int64_t r = st && st.hasStaticShape() && st.getRank() == 1 ? st.getDimSize(0) : xs.size();
      return SmallVector<int64_t>(r, kDyn);
    }
    if (s->size() != xs.size())
      return node.error() << "output_shape must have " << xs.size() << " values", failure();
    return SmallVector<int64_t>(*s);
  }
  auto ks = node.getInts("kernel_shape");
  if (!ks || ks->size() != n)
    return node.error() << "kernel_shape must have one value per spatial dimension (" << n
                        << ")", failure();
  auto strides = spatialAttr(node, "strides", n, 1);
  if (failed(strides))
    return failure();
  SmallVector<int64_t> pads(2 * n, 0);
  if (auto p = node.getInts("pads")) {
    if (p->size() != 2 * n)
      return node.error() << "pads must have " << 2 * n << " values", failure();
    pads.assign(p->begin(), p->end());
  }
  SmallVector<int64_t> shape = {xs[0], xs[1]};
  for (size_t i = 0; i < n; ++i)
    shape.push_back(xs[2 + i] == kDyn ? kDyn
                                      : (xs[2 + i] - 1) * (*strides)[i] + (*ks)[i] - pads[i] -
                                            pads[n + i]);
  return shape;
}

LogicalResult inferMaxUnpool(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 2)) || !node.input(0) || !node.input(1))
    return node.error() << "needs ranked X and I";
  auto shape = unpoolShape(node, /*lowering=*/false);
  if (failed(shape))
    return failure();
  out.push_back(tensorOf(*shape, elementTypeOf(node.input(0))));
  return success();
}

/// MaxUnpool: zeros of the inferred shape, then Y.flat[I[j]] = X.flat[j] (a 1-D
/// ScatterElements, lowered next by the conversion); a larger output_shape
/// pads the result with zeros at the end of each spatial dim (the indices
/// address the inferred shape, as in the ONNX reference).
Result lowerMaxUnpool(OpBuilder &b, const OnnxNode &node) {
  Value x = node.input(0), ind = node.input(1);
  if (!x || !ind)
    return node.error() << "needs X and I", failure();
  if (shapeOf(x) != shapeOf(ind))
    return node.error() << "X and I must have the same shape", failure();
  if (!elementTypeOf(ind).isInteger(64))
    return node.error() << "I must be int64", failure();
  auto shape = unpoolShape(node, /*lowering=*/true);
  auto inferred = unpoolShape(node, /*lowering=*/true, /*inferredOnly=*/true);
  if (failed(shape) || failed(inferred))
    return failure();
  size_t rank = shape->size(), n = rank - 2;
  SmallVector<int64_t> pads(2 * n, 0);
  for (size_t i = 0; i < rank; ++i) {
    int64_t extra = (*shape)[i] - (*inferred)[i];
    if (extra < 0 || (i < 2 && extra))
      return node.error() << "output_shape must not be smaller than the inferred shape or "
                             "change N and C",
             failure();
    if (i >= 2)
      pads[n + i - 2] = extra;
  }
  Location l = node.loc();
  Type elt = elementTypeOf(x);
  int64_t total = productOf(*inferred), count = productOf(shapeOf(x));
  Value zeros = filledTensor(b, l, {total}, scalarConst(b, l, elt, 0));
  auto scatter = buildOnnxOp(b, l, "ScatterElements", 11,
                             {zeros, reshapeTo(b, l, ind, {count}), reshapeTo(b, l, x, {count})},
                             {b.getNamedAttr("axis", b.getI64IntegerAttr(0))});
  if (failed(scatter))
    return failure();
  Value y = reshapeTo(b, l, (*scatter)->getResult(0), *inferred);
  return Values{padSpatial(b, l, y, pads, scalarConst(b, l, elt, 0))};
}

} // namespace

void addPoolingOps(OpTable &t) {
  t.add("MaxPool", 1, OpEntry::form(inferPool, liftOneDimensional(lowerMaxPool)));
  t.add("AveragePool", 1, OpEntry::form(inferPool, liftOneDimensional(lowerAveragePool)));
  t.add("LpPool", 1, OpEntry::form(inferPool, lowerLpPool)); // p is a float before opset 2
  t.add("GlobalAveragePool", 1, OpEntry::form(inferGlobalPool, lowerGlobalAveragePool));
  t.add("GlobalMaxPool", 1, OpEntry::form(inferGlobalPool, lowerGlobalMaxPool));
  t.add("GlobalLpPool", 1, OpEntry::form(inferGlobalPool, lowerGlobalLpPool));
  t.add("MaxUnpool", 9, OpEntry::form(inferMaxUnpool, lowerMaxUnpool)); // output_shape from 11
}

} // namespace nnm::onnx_to_linalg
