//===- Shape.cpp - ONNX reshapes, Shape and constants ---------------------===//
//
// Shape-like operands (Reshape's shape, Squeeze's axes, ...) must be known at
// compile time. Each op's fold rule turns shape subgraphs such as
// Shape -> Gather -> Concat -> Reshape into constants (nnm-onnx-fold); its shape
// rule types it before that, with kDyn dims where a value is still unknown.
//
//===----------------------------------------------------------------------===//
#include "Common.h"

using namespace mlir;

namespace nnm::onnx_to_linalg {
namespace {

/// A lowering that only materializes what the op's fold rule computes (ops
/// whose result is always a constant once their shape operands are).
LowerFn lowerByFolding(FoldFn fold, const char *need) {
  return [fold, need](OpBuilder &b, const OnnxNode &node) -> Result {
    SmallVector<DenseElementsAttr> consts;
    for (unsigned i = 0; i < node.numInputs(); ++i)
      consts.push_back(constantOf(node.input(i)));
    SmallVector<DenseElementsAttr> folded;
    if (failed(fold(node, consts, folded)))
      return node.error() << need, failure();
    Values out;
    for (DenseElementsAttr a : folded)
      out.push_back(constantTensor(b, node.loc(), a));
    return out;
  };
}

/// Constant input 0 reshaped to the node's (static) result type.
LogicalResult foldReshapeOfInput0(const OnnxNode &node, Consts consts, Folded &out) {
  auto type = dyn_cast<RankedTensorType>(node.op->getResult(0).getType());
  if (!consts[0] || !type || !type.hasStaticShape() ||
      type.getElementType() != consts[0].getElementType())
    return failure();
  out.push_back(DenseElementsAttr(consts[0]).reshape(type));
  return success();
}

/// Lowering of the reshape family: the result type is the op's inferred one.
Result lowerToResultShape(OpBuilder &b, const OnnxNode &node) {
  auto type = dyn_cast<RankedTensorType>(node.op->getResult(0).getType());
  Value x = node.input(0);
  if (!type || !type.hasStaticShape())
    return node.error() << "the result shape is not known (" << node.op->getResult(0).getType()
                        << ")", failure();
  if (productOf(type.getShape()) != productOf(shapeOf(x)))
    return node.error() << "cannot reshape " << productOf(shapeOf(x)) << " elements into "
                        << productOf(type.getShape()), failure();
  return Values{reshapeTo(b, node.loc(), x, type.getShape())};
}

// Reshape ----------------------------------------------------------------------

/// Resolves a Reshape target against the input shape: 0 copies a dimension
/// (unless allowzero), -1 takes the rest.
FailureOr<SmallVector<int64_t>> reshapeTarget(const OnnxNode &node, ArrayRef<int64_t> in,
                                              SmallVector<int64_t> target) {
  bool allowZero = node.getInt("allowzero", 0);
  int64_t known = 1, inferAt = -1;
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i] == 0 && !allowZero) {
      if (i >= in.size())
        return node.error() << "shape has 0 at " << i << " beyond the input rank", failure();
      target[i] = in[i];
    }
    if (target[i] == -1) {
      if (inferAt >= 0)
        return node.error() << "shape has more than one -1", failure();
      inferAt = i;
    } else if (target[i] == kDyn) {
      known = kDyn;
    } else if (target[i] < 0) {
      return node.error() << "invalid shape value " << target[i], failure();
    } else if (known != kDyn) {
      known = saturatingMul(known, target[i]);
    }
  }
  int64_t total = productOf(in);
  if (inferAt >= 0)
    target[inferAt] = total == kDyn || known == kDyn ? kDyn : known ? total / known : 0;
  int64_t count = productOf(target);
  if (count != kDyn && total != kDyn && count != total)
    return node.error() << "cannot reshape " << total << " elements into " << count, failure();
  return target;
}

LogicalResult inferReshape(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 2)) || !node.input(0) || !node.input(1))
    return node.error() << "needs data and shape";
  Type elt = elementTypeOf(node.input(0));
  auto s = constantIntsOf(node, 1);
  if (!s) {
    auto st = node.inputType(1);
    if (!st || st.getRank() != 1 || st.isDynamicDim(0))
      return node.error() << "shape must be a 1-D tensor of known length";
    out.push_back(tensorOf(SmallVector<int64_t>(st.getDimSize(0), kDyn), elt));
    return success();
  }
  auto target = reshapeTarget(node, shapeOf(node.input(0)), *s);
  if (failed(target))
    return failure();
  out.push_back(tensorOf(*target, elt));
  return success();
}

/// Reshape before opset 5: the shape attribute becomes the input.
Result upgradeReshape(OpBuilder &b, const OnnxNode &node) {
  auto s = node.getInts("shape");
  if (!s)
    return node.error() << "missing shape attribute", failure();
  return rebuildAs(b, node, 5, {node.input(0), i64Tensor(b, node.loc(), *s)},
                   attrsWithout(node, {"shape", "consumed_inputs"}));
}

Result lowerReshape(OpBuilder &b, const OnnxNode &node) {
  if (!constantIntsOf(node, 1, "shape"))
    return failure();
  return lowerToResultShape(b, node);
}

// Flatten ----------------------------------------------------------------------

LogicalResult inferFlatten(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 1)) || !node.input(0))
    return node.error() << "needs a ranked input";
  auto in = shapeOf(node.input(0));
  int64_t rank = in.size(), axis = node.getInt("axis", 1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis > rank)
    return node.error() << "axis " << node.getInt("axis", 1) << " out of range";
  ArrayRef<int64_t> dims(in);
  out.push_back(tensorOf({productOf(dims.take_front(axis)), productOf(dims.drop_front(axis))},
                         elementTypeOf(node.input(0))));
  return success();
}

// Squeeze / Unsqueeze ------------------------------------------------------------

/// Squeeze/Unsqueeze before opset 13: the axes attribute becomes the input.
Result upgradeAxesAttr(OpBuilder &b, const OnnxNode &node) {
  Values operands{node.input(0)};
  if (auto a = node.getInts("axes"))
    operands.push_back(i64Tensor(b, node.loc(), *a));
  return rebuildAs(b, node, 13, operands, attrsWithout(node, {"axes"}));
}

/// Number of axes in a non-constant axes input, when its length is known.
std::optional<int64_t> axesCount(const OnnxNode &node) {
  auto t = node.inputType(1);
  if (!t || t.getRank() != 1 || t.isDynamicDim(0))
    return std::nullopt;
  return t.getDimSize(0);
}

LogicalResult inferSqueeze(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 2)) || !node.input(0))
    return node.error() << "needs a ranked input";
  auto in = shapeOf(node.input(0));
  Type elt = elementTypeOf(node.input(0));
  SmallVector<int64_t> axes;
  if (node.input(1)) {
    auto c = constantIntsOf(node, 1);
    if (!c) {
      auto n = axesCount(node);
      if (!n)
        return node.error() << "axes must be a 1-D tensor of known length";
      out.push_back(tensorOf(SmallVector<int64_t>(in.size() - *n, kDyn), elt));
      return success();
    }
    axes = *c;
  }
  SmallVector<bool> drop(in.size(), false);
  if (axes.empty()) {
    if (llvm::is_contained(in, kDyn)) { // which dims are 1 is not known yet
      out.push_back(UnrankedTensorType::get(elt));
      return success();
    }
    for (size_t i = 0; i < in.size(); ++i)
      drop[i] = in[i] == 1;
  }
  for (int64_t a : axes) {
    auto n = normalizeAxis(node, a, in.size());
    if (failed(n))
      return failure();
    if (in[*n] != 1 && in[*n] != kDyn)
      return node.error() << "cannot squeeze axis " << a << " of size " << in[*n];
    drop[*n] = true;
  }
  SmallVector<int64_t> shape;
  for (size_t i = 0; i < in.size(); ++i)
    if (!drop[i])
      shape.push_back(in[i]);
  out.push_back(tensorOf(shape, elt));
  return success();
}

LogicalResult inferUnsqueeze(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 2)) || !node.input(0))
    return node.error() << "needs a ranked input";
  if (!node.input(1))
    return node.error() << "missing axes input";
  auto in = shapeOf(node.input(0));
  Type elt = elementTypeOf(node.input(0));
  auto axes = constantIntsOf(node, 1);
  if (!axes) {
    auto n = axesCount(node);
    if (!n)
      return node.error() << "axes must be a 1-D tensor of known length";
    out.push_back(tensorOf(SmallVector<int64_t>(in.size() + *n, kDyn), elt));
    return success();
  }
  int64_t rank = in.size() + axes->size();
  SmallVector<bool> inserted(rank, false);
  for (int64_t a : *axes) {
    auto n = normalizeAxis(node, a, rank);
    if (failed(n))
      return failure();
    if (inserted[*n])
      return node.error() << "axis " << a << " repeats";
    inserted[*n] = true;
  }
  SmallVector<int64_t> shape;
  size_t j = 0;
  for (int64_t i = 0; i < rank; ++i)
    shape.push_back(inserted[i] ? 1 : in[j++]);
  out.push_back(tensorOf(shape, elt));
  return success();
}

/// Squeeze/Unsqueeze need constant axes (when given) to lower.
Result lowerSqueezeLike(OpBuilder &b, const OnnxNode &node) {
  if (node.input(1) && !constantIntsOf(node, 1, "axes"))
    return failure();
  return lowerToResultShape(b, node);
}

// Shape and constants ------------------------------------------------------------

/// The [start, end) range of dimensions Shape reports.
std::pair<int64_t, int64_t> shapeRange(const OnnxNode &node, int64_t rank) {
  int64_t start = node.getInt("start", 0), end = node.getInt("end", rank);
  if (start < 0)
    start += rank;
  if (end < 0)
    end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, start, rank);
  return {start, end};
}

LogicalResult inferShape(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 1)) || !node.input(0))
    return node.error() << "needs a ranked input";
  auto [start, end] = shapeRange(node, shapeOf(node.input(0)).size());
  out.push_back(tensorOf({end - start}, IntegerType::get(node.op->getContext(), 64)));
  return success();
}

/// Shape needs only its input's type, not its value.
LogicalResult foldShape(const OnnxNode &node, Consts, Folded &out) {
  auto t = node.inputType(0);
  if (!t || !t.hasStaticShape())
    return failure();
  auto [start, end] = shapeRange(node, t.getRank());
  SmallVector<int64_t> dims(t.getShape().begin() + start, t.getShape().begin() + end);
  out.push_back(DenseElementsAttr::get(
      tensorOf({int64_t(dims.size())}, IntegerType::get(node.op->getContext(), 64)),
      ArrayRef(dims)));
  return success();
}

/// ConstantOfShape's value attribute (a one-element tensor), default float 0.
Attribute fillValue(const OnnxNode &node, Type &elt) {
  Builder b(node.op->getContext());
  DenseElementsAttr value = node.getTensor("value");
  elt = value ? value.getElementType() : b.getF32Type();
  return value ? *value.value_begin<Attribute>() : b.getF32FloatAttr(0);
}

LogicalResult inferConstantOfShape(const OnnxNode &node, Types &out) {
  Type elt;
  fillValue(node, elt);
  if (!node.input(0) || shapeOf(node.input(0)) == SmallVector<int64_t>{0}) {
    out.push_back(tensorOf({}, elt));
    return success();
  }
  if (failed(requireRanked(node, 1)))
    return failure();
  auto s = constantIntsOf(node, 0);
  if (!s) {
    auto st = node.inputType(0);
    if (st.getRank() != 1 || st.isDynamicDim(0))
      return node.error() << "shape must be a 1-D tensor of known length";
    out.push_back(tensorOf(SmallVector<int64_t>(st.getDimSize(0), kDyn), elt));
    return success();
  }
  for (int64_t d : *s)
    if (d < 0)
      return node.error() << "negative dimension " << d;
  out.push_back(tensorOf(*s, elt));
  return success();
}

LogicalResult foldConstantOfShape(const OnnxNode &node, Consts consts, Folded &out) {
  SmallVector<int64_t> shape;
  if (node.input(0) && shapeOf(node.input(0)) != SmallVector<int64_t>{0}) {
    if (!consts[0] || !isa<IntegerType>(consts[0].getElementType()))
      return failure();
    for (const APInt &v : consts[0].getValues<APInt>())
      shape.push_back(v.getSExtValue());
  }
  if (llvm::any_of(shape, [](int64_t d) { return d < 0; }))
    return failure();
  Type elt;
  Attribute scalar = fillValue(node, elt);
  out.push_back(DenseElementsAttr::get(tensorOf(shape, elt), scalar));
  return success();
}

/// The value of a Constant node, from whichever value attribute it has.
DenseElementsAttr constantValue(const OnnxNode &node) {
  if (DenseElementsAttr v = node.getTensor("value"))
    return v;
  Builder b(node.op->getContext());
  auto make = [&](Type elt, ArrayRef<int64_t> shape, ArrayRef<Attribute> vals) {
    return DenseElementsAttr::get(tensorOf(shape, elt), vals);
  };
  if (node.has("value_float"))
    return make(b.getF32Type(), {}, {b.getF32FloatAttr(node.getFloat("value_float", 0))});
  if (node.has("value_int"))
    return make(b.getI64Type(), {}, {b.getI64IntegerAttr(node.getInt("value_int", 0))});
  if (auto fs = node.getFloats("value_floats")) {
    SmallVector<Attribute> a;
    for (double f : *fs)
      a.push_back(b.getF32FloatAttr(f));
    return make(b.getF32Type(), {int64_t(a.size())}, a);
  }
  if (auto is = node.getInts("value_ints")) {
    SmallVector<Attribute> a;
    for (int64_t i : *is)
      a.push_back(b.getI64IntegerAttr(i));
    return make(b.getI64Type(), {int64_t(a.size())}, a);
  }
  return {};
}

LogicalResult inferConstant(const OnnxNode &node, Types &out) {
  DenseElementsAttr v = constantValue(node);
  if (!v)
    return node.error() << "needs a value, value_float(s) or value_int(s) attribute";
  out.push_back(v.getType());
  return success();
}

LogicalResult foldConstant(const OnnxNode &node, Consts, Folded &out) {
  DenseElementsAttr v = constantValue(node);
  if (!v)
    return failure();
  out.push_back(v);
  return success();
}

// Size and Range -------------------------------------------------------------------

LogicalResult inferSize(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 1)) || !node.input(0))
    return node.error() << "needs a ranked input";
  out.push_back(tensorOf({}, IntegerType::get(node.op->getContext(), 64)));
  return success();
}

/// Size needs only its input's type.
LogicalResult foldSize(const OnnxNode &node, Consts, Folded &out) {
  auto t = node.inputType(0);
  if (!t || !t.hasStaticShape())
    return failure();
  out.push_back(DenseElementsAttr::get(
      tensorOf({}, IntegerType::get(node.op->getContext(), 64)), ArrayRef<int64_t>{t.getNumElements()}));
  return success();
}

/// The one value of a constant scalar (or one-element) number, as a double.
std::optional<double> scalarNumber(DenseElementsAttr c) {
  if (!c || c.getNumElements() != 1)
    return std::nullopt;
  if (isa<FloatType>(c.getElementType()))
    return (*c.value_begin<APFloat>()).convertToDouble();
  if (isa<IntegerType>(c.getElementType()))
    return double((*c.value_begin<APInt>()).getSExtValue());
  return std::nullopt;
}

/// Range's start, limit and delta and its element count, when all three are
/// constants; integers are computed exactly.
struct RangeArgs {
  double start, delta;
  int64_t startI, deltaI, count;
};

std::optional<RangeArgs> rangeArgs(const OnnxNode &node, ArrayRef<DenseElementsAttr> c) {
  if (c.size() < 3 || !c[0] || !c[1] || !c[2])
    return std::nullopt;
  RangeArgs r{};
  if (isa<IntegerType>(c[0].getElementType())) {
    if (c[0].getNumElements() != 1 || c[1].getNumElements() != 1 || c[2].getNumElements() != 1 ||
        !isa<IntegerType>(c[1].getElementType()) || !isa<IntegerType>(c[2].getElementType()))
      return std::nullopt;
    int64_t s = (*c[0].value_begin<APInt>()).getSExtValue();
    int64_t l = (*c[1].value_begin<APInt>()).getSExtValue();
    int64_t d = (*c[2].value_begin<APInt>()).getSExtValue();
    if (d == 0)
      return std::nullopt;
    int64_t span = l - s;
    // ceil(span / d) for either sign of d.
    int64_t q = span / d;
    if (q * d != span && ((span > 0) == (d > 0)))
      ++q;
    r = {double(s), double(d), s, d, std::max<int64_t>(q, 0)};
    return r;
  }
  auto s = scalarNumber(c[0]), l = scalarNumber(c[1]), d = scalarNumber(c[2]);
  if (!s || !l || !d || *d == 0)
    return std::nullopt;
  double n = std::ceil((*l - *s) / *d);
  r = {*s, *d, 0, 0, n > 0 ? int64_t(n) : 0};
  return r;
}

LogicalResult inferRange(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 3)) || !node.input(0) || !node.input(1) || !node.input(2))
    return node.error() << "needs start, limit and delta";
  Type elt = elementTypeOf(node.input(0));
  if (elementTypeOf(node.input(1)) != elt || elementTypeOf(node.input(2)) != elt)
    return node.error() << "start, limit and delta must have the same type";
  SmallVector<DenseElementsAttr> c;
  for (unsigned i = 0; i < 3; ++i)
    c.push_back(constantOf(node.input(i)));
  if (c[2] && scalarNumber(c[2]) == 0.0)
    return node.error() << "delta must not be 0";
  auto r = rangeArgs(node, c);
  out.push_back(tensorOf({r ? r->count : kDyn}, elt));
  return success();
}

/// Ranges up to this many elements fold to constants (shape computations).
constexpr int64_t kMaxFoldedRange = 1 << 16;

LogicalResult foldRange(const OnnxNode &node, Consts consts, Folded &out) {
  auto r = rangeArgs(node, consts);
  if (!r || r->count > kMaxFoldedRange)
    return failure();
  Type elt = consts[0].getElementType();
  SmallVector<Attribute> vals;
  for (int64_t i = 0; i < r->count; ++i) {
    if (auto ft = dyn_cast<FloatType>(elt))
      vals.push_back(FloatAttr::get(ft, r->start + double(i) * r->delta));
    else
      vals.push_back(IntegerAttr::get(elt, r->startI + i * r->deltaI));
  }
  out.push_back(DenseElementsAttr::get(tensorOf({r->count}, elt), vals));
  return success();
}

/// out[i] = start + i * delta (floats computed in f64, then rounded once).
Result lowerRange(OpBuilder &b, const OnnxNode &node) {
  SmallVector<DenseElementsAttr> c;
  for (unsigned i = 0; i < 3; ++i)
    c.push_back(constantOf(node.input(i)));
  auto r = rangeArgs(node, c);
  if (!r)
    return node.error() << "inputs 0-2 (start, limit, delta) must be scalars known at compile "
                           "time", failure();
  SmallVector<DenseElementsAttr> folded;
  if (succeeded(foldRange(node, c, folded)))
    return Values{constantTensor(b, node.loc(), folded[0])};
  Type elt = elementTypeOf(node.input(0));
  Location l = node.loc();
  Value v = buildElementwise(b, l, ValueRange{}, {r->count}, elt,
                             [&](OpBuilder &nb, Location nl, ValueRange) -> Value {
    Value i = linalg::IndexOp::create(nb, nl, 0);
    if (isFloat(elt)) {
      Value x = arith::UIToFPOp::create(
          nb, nl, nb.getF64Type(), arith::IndexCastUIOp::create(nb, nl, nb.getI64Type(), i));
      x = arith::AddFOp::create(nb, nl, scalarConst(nb, nl, nb.getF64Type(), r->start),
                                arith::MulFOp::create(nb, nl, x,
                                                      scalarConst(nb, nl, nb.getF64Type(),
                                                                  r->delta)));
      return castS(nb, nl, x, elt);
    }
    Value x = arith::IndexCastOp::create(nb, nl, elt, i);
    Value start = arith::ConstantOp::create(nb, nl, nb.getIntegerAttr(elt, r->startI));
    Value delta = arith::ConstantOp::create(nb, nl, nb.getIntegerAttr(elt, r->deltaI));
    return arith::AddIOp::create(nb, nl, start, arith::MulIOp::create(nb, nl, x, delta));
  });
  return Values{v};
}

} // namespace

void addShapeOps(OpTable &t) {
  t.add("Reshape", 1, OpEntry::upgradedBy(upgradeReshape)); // shape attribute
  t.add("Reshape", 5, OpEntry::form(inferReshape, lowerReshape, foldReshapeOfInput0));
  t.add("Flatten", 1, OpEntry::form(inferFlatten, lowerToResultShape, foldReshapeOfInput0));
  t.add("Squeeze", 1, OpEntry::upgradedBy(upgradeAxesAttr)); // axes attribute
  t.add("Squeeze", 13, OpEntry::form(inferSqueeze, lowerSqueezeLike, foldReshapeOfInput0));
  t.add("Unsqueeze", 1, OpEntry::upgradedBy(upgradeAxesAttr));
  t.add("Unsqueeze", 13, OpEntry::form(inferUnsqueeze, lowerSqueezeLike, foldReshapeOfInput0));
  t.add("Shape", 1, OpEntry::form(inferShape,
                                  lowerByFolding(foldShape, "needs a static input shape"),
                                  foldShape));
  t.add("Size", 1, OpEntry::form(inferSize,
                                 lowerByFolding(foldSize, "needs a static input shape"),
                                 foldSize));
  t.add("Range", 11, OpEntry::form(inferRange, lowerRange, foldRange));
  t.add("ConstantOfShape", 9,
        OpEntry::form(inferConstantOfShape,
                      lowerByFolding(foldConstantOfShape, "input 0 (shape) must be an integer "
                                                          "tensor known at compile time"),
                      foldConstantOfShape));
  t.add("Constant", 1,
        OpEntry::form(inferConstant,
                      lowerByFolding(foldConstant, "needs a value, value_float(s) or "
                                                   "value_int(s) attribute"),
                      foldConstant));
}

} // namespace nnm::onnx_to_linalg
