//===- Reduction.cpp - ONNX reductions and Softmax to linalg --------------===//
#include "Common.h"

using namespace mlir;

namespace nnm::onnx_to_linalg {
namespace {

/// Reduced axes from the `axes` attribute (older opsets) or the optional
/// second input (ReduceSum from 13, the others from 18); sorted and unique.
FailureOr<SmallVector<int64_t>> reduceAxes(const OnnxNode &node, bool axesIsInput,
                                           int64_t rank, bool &noop) {
  SmallVector<int64_t> raw;
  bool given = false;
  if (axesIsInput) {
    if (node.input(1)) {
      auto c = constantInts(node, 1, "axes");
      if (failed(c))
        return failure();
      raw = *c;
      given = !raw.empty();
    }
  } else if (auto a = node.getInts("axes")) {
    raw.assign(a->begin(), a->end());
    given = !raw.empty();
  }
  noop = false;
  if (!given) {
    if (axesIsInput && node.getInt("noop_with_empty_axes", 0)) {
      noop = true;
      return SmallVector<int64_t>{};
    }
    for (int64_t i = 0; i < rank; ++i)
      raw.push_back(i);
  }
  SmallVector<int64_t> axes;
  for (int64_t a : raw) {
    auto n = normalizeAxis(node, a, rank);
    if (failed(n))
      return failure();
    axes.push_back(*n);
  }
  llvm::sort(axes);
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  return axes;
}

/// ReduceSum / ReduceMean / ReduceMax with `axesIsInput` choosing the opset form.
LowerFn reduction(StringRef kind, bool axesIsInput) {
  std::string k = kind.str();
  return [k, axesIsInput](OpBuilder &b, const OnnxNode &node) -> Result {
    Value x = node.input(0);
    auto shape = shapeOf(x);
    bool noop;
    auto axes = reduceAxes(node, axesIsInput, shape.size(), noop);
    if (failed(axes))
      return failure();
    if (noop)
      return Values{x};
    bool keep = node.getInt("keepdims", 1);
    Location l = node.loc();
    Value r = buildReduce(b, l, x, *axes, keep, k == "max" ? "max" : "sum");
    if (k == "mean") {
      Type elt = elementTypeOf(x);
      int64_t count = 1;
      for (int64_t a : *axes)
        count *= shape[a];
      r = buildElementwise(b, l, ValueRange{r}, shapeOf(r), elt,
                           [&](OpBuilder &nb, Location nl, ValueRange v) -> Value {
                             Value c = scalarConst(nb, nl, elt, double(count));
                             if (isFloat(elt))
                               return arith::DivFOp::create(nb, nl, v[0], c);
                             return arith::DivSIOp::create(nb, nl, v[0], c);
                           });
    }
    return Values{r};
  };
}

/// Softmax over `axes` of x: exp(x - max) / sum(exp(x - max)). Before opset 13
/// the input is coerced to 2-D at `axis`, which equals reducing all trailing axes.
Result lowerSoftmax(OpBuilder &b, const OnnxNode &node) {
  Value x = node.input(0);
  auto shape = shapeOf(x);
  int64_t rank = shape.size();
  Type elt = elementTypeOf(x);
  if (!isFloat(elt))
    return node.error() << "needs a floating-point input", failure();
  auto axis = normalizeAxis(node, node.getInt("axis", node.opset < 13 ? 1 : -1), rank);
  if (failed(axis))
    return failure();
  SmallVector<int64_t> axes;
  for (int64_t i = *axis; i < (node.opset < 13 ? rank : *axis + 1); ++i)
    axes.push_back(i);
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

} // namespace

void addReductionLowerings(LoweringTable &t) {
  t.add("ReduceSum", 1, reduction("sum", false));
  t.add("ReduceSum", 13, reduction("sum", true));
  t.add("ReduceMean", 1, reduction("mean", false));
  t.add("ReduceMean", 18, reduction("mean", true));
  t.add("ReduceMax", 1, reduction("max", false));
  t.add("ReduceMax", 18, reduction("max", true));
  t.add("Softmax", 1, lowerSoftmax);
  t.add("Softmax", 13, lowerSoftmax); // single axis instead of 2-D coercion
}

} // namespace nnm::onnx_to_linalg
