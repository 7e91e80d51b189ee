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

/// The window of a pool node over input shape `xs` (rank 3 or 4); kDyn input
/// dims give kDyn output dims.
FailureOr<Window> poolWindow(const OnnxNode &node, ArrayRef<int64_t> xs) {
  if (xs.size() != 3 && xs.size() != 4)
    return node.error() << "only 1-D and 2-D pooling (rank-3/4 input) is supported", failure();
  size_t n = xs.size() - 2;
  Window w;
  auto ks = node.getInts("kernel_shape");
  if (!ks || ks->size() != n)
    return node.error() << "only 1-D and 2-D pooling with a matching kernel_shape is supported",
           failure();
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
/// with PoolOp into a tensor that starts filled with `value`.
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

Result lowerMaxPool(OpBuilder &b, const OnnxNode &node) {
  if (node.op->getNumResults() > 1)
    return node.error() << "the Indices output is not supported", failure();
  auto w = poolWindow(node, shapeOf(node.input(0)));
  if (failed(w))
    return failure();
  Value x = node.input(0);
  Location l = node.loc();
  Type elt = elementTypeOf(x);
  if (!node.isUnsigned(0))
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
  Value sum = buildPool<linalg::PoolingNchwSumOp>(b, l, x, *w, scalarConst(b, l, elt, 0));
  // The divisor of every output position is known at compile time: count the
  // window taps inside the input (or inside input + explicit pads).
  bool includePad = node.getInt("count_include_pad", 0);
  SmallVector<double> counts;
  for (int64_t oh = 0; oh < w->out[0]; ++oh)
    for (int64_t ow = 0; ow < w->out[1]; ++ow) {
      int64_t c = 0;
      for (int64_t kh = 0; kh < w->kernel[0]; ++kh)
        for (int64_t kw = 0; kw < w->kernel[1]; ++kw) {
          int64_t ih = oh * w->strides[0] + kh * w->dilations[0] - w->pads[0];
          int64_t iw = ow * w->strides[1] + kw * w->dilations[1] - w->pads[1];
          int64_t loH = includePad ? -w->pads[0] : 0, hiH = xs[2] + (includePad ? w->pads[2] : 0);
          int64_t loW = includePad ? -w->pads[1] : 0, hiW = xs[3] + (includePad ? w->pads[3] : 0);
          c += ih >= loH && ih < hiH && iw >= loW && iw < hiW;
        }
      counts.push_back(double(std::max<int64_t>(c, 1)));
    }
  auto countType = RankedTensorType::get({w->out[0], w->out[1]}, elt);
  SmallVector<Attribute> countAttrs;
  for (double c : counts)
    countAttrs.push_back(b.getFloatAttr(elt, c));
  Value divisor = constantTensor(b, l, DenseElementsAttr::get(countType, countAttrs));
  Value y = buildElementwise(b, l, ValueRange{sum, divisor}, shapeOf(sum), elt,
                             [](OpBuilder &nb, Location nl, ValueRange a) {
                               return arith::DivFOp::create(nb, nl, a[0], a[1]);
                             });
  return Values{y};
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

} // namespace

void addPoolingOps(OpTable &t) {
  t.add("MaxPool", 1, OpEntry::form(inferPool, liftOneDimensional(lowerMaxPool)));
  t.add("AveragePool", 1, OpEntry::form(inferPool, liftOneDimensional(lowerAveragePool)));
  t.add("GlobalAveragePool", 1, OpEntry::form(inferGlobalPool, lowerGlobalAveragePool));
}

} // namespace nnm::onnx_to_linalg
