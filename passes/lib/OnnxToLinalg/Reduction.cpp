//===- Reduction.cpp - ONNX reductions and Softmax to linalg --------------===//
#include "Common.h"

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

/// ReduceSum / ReduceMean / ReduceMax (axes as the optional second input).
LowerFn reduction(StringRef kind) {
  std::string k = kind.str();
  return [k](OpBuilder &b, const OnnxNode &node) -> Result {
    Value x = node.input(0);
    auto shape = shapeOf(x);
    bool noop;
    auto axes = reduceAxes(node, shape.size(), noop);
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

/// Softmax before opset 13 coerces the input to 2-D at `axis` (default 1):
/// Flatten(axis) -> Softmax-13(axis 1) -> Reshape(Shape(x)); a last axis needs
/// no reshaping.
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
  auto soft = createOrFold(b, l, "Softmax", 13, *flat,
                           {b.getNamedAttr("axis", b.getI64IntegerAttr(1))});
  if (failed(soft))
    return failure();
  auto shapeOfX = createOrFold(b, l, "Shape", 15, {x}, {});
  if (failed(shapeOfX))
    return failure();
  return createOrFold(b, l, "Reshape", 14, {(*soft)[0], (*shapeOfX)[0]}, {});
}

} // namespace

void addReductionOps(OpTable &t) {
  t.add("ReduceSum", 1, OpEntry::upgradedBy(axesToInput(13)));
  t.add("ReduceSum", 13, OpEntry::form(inferReduce, reduction("sum")));
  t.add("ReduceMean", 1, OpEntry::upgradedBy(axesToInput(18)));
  t.add("ReduceMean", 18, OpEntry::form(inferReduce, reduction("mean")));
  t.add("ReduceMax", 1, OpEntry::upgradedBy(axesToInput(18)));
  t.add("ReduceMax", 18, OpEntry::form(inferReduce, reduction("max")));
  t.add("Softmax", 1, OpEntry::upgradedBy(upgradeSoftmax)); // 2-D coercion at axis
  t.add("Softmax", 13, OpEntry::form(inferLikeInput0, lowerSoftmax));
}

} // namespace nnm::onnx_to_linalg
