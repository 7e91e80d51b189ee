//===- Common.cpp - Helpers shared by the ONNX lowering families ----------===//
#include "Common.h"

#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Matchers.h"

#include <limits>

using namespace mlir;

namespace nnm::onnx_to_linalg {

SmallVector<int64_t> shapeOf(Value v) {
  return SmallVector<int64_t>(cast<RankedTensorType>(v.getType()).getShape());
}

Type elementTypeOf(Value v) { return cast<ShapedType>(v.getType()).getElementType(); }

int64_t productOf(ArrayRef<int64_t> dims) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d == kDyn)
      return kDyn;
    n = saturatingMul(n, d);
  }
  return n;
}

FailureOr<SmallVector<int64_t>> broadcastShapes(ArrayRef<SmallVector<int64_t>> shapes) {
  size_t rank = 0;
  for (const auto &s : shapes)
    rank = std::max(rank, s.size());
  SmallVector<int64_t> out(rank, 1);
  SmallVector<bool> unknown(rank, false); // a kDyn dim met and not fixed yet
  for (const auto &s : shapes) {
    size_t off = rank - s.size();
    for (size_t i = 0; i < s.size(); ++i) {
      int64_t &o = out[off + i];
      if (s[i] == kDyn) {
        unknown[off + i] = unknown[off + i] || o == 1;
        continue;
      }
      if (s[i] == o || s[i] == 1)
        continue;
      if (o != 1)
        return failure();
      o = s[i];
      unknown[off + i] = false;
    }
  }
  for (size_t i = 0; i < rank; ++i)
    if (unknown[i] && out[i] == 1)
      out[i] = kDyn;
  return out;
}

LogicalResult requireRanked(const OnnxNode &node, unsigned count) {
  for (unsigned i = 0; i < std::min(count, node.numInputs()); ++i)
    if (Value v = node.input(i); v && !isa<RankedTensorType>(v.getType()))
      return node.error() << "input " << i << " has no ranked tensor type (" << v.getType()
                          << ")";
  return success();
}

LogicalResult inferLikeInput0(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 1)) || !node.input(0))
    return node.error() << "needs input 0";
  out.assign(node.numResults(), node.input(0).getType());
  return success();
}

LogicalResult inferBroadcast(const OnnxNode &node, Types &out) {
  Values ins = node.presentInputs();
  if (ins.empty())
    return node.error() << "needs at least one input";
  SmallVector<SmallVector<int64_t>> shapes;
  for (Value v : ins) {
    if (!isa<RankedTensorType>(v.getType()))
      return node.error() << "operand has no ranked tensor type (" << v.getType() << ")";
    shapes.push_back(shapeOf(v));
  }
  auto shape = broadcastShapes(shapes);
  if (failed(shape))
    return node.error() << "operand shapes cannot be broadcast together";
  out.push_back(tensorOf(*shape, elementTypeOf(ins[0])));
  return success();
}

std::optional<SmallVector<int64_t>> constantIntsOf(const OnnxNode &node, unsigned i,
                                                   const char *what) {
  DenseElementsAttr c = constantOf(node.input(i));
  if (!c || !isa<IntegerType>(c.getElementType())) {
    if (what)
      node.error() << "input " << i << " (" << what
                   << ") must be an integer tensor known at compile time";
    return std::nullopt;
  }
  SmallVector<int64_t> out;
  for (const APInt &v : c.getValues<APInt>())
    out.push_back(v.getSExtValue());
  return out;
}

Value i64Tensor(OpBuilder &b, Location loc, ArrayRef<int64_t> values) {
  auto type = RankedTensorType::get({int64_t(values.size())}, b.getI64Type());
  return constantTensor(b, loc, DenseElementsAttr::get(type, values));
}

SmallVector<NamedAttribute> attrsWithout(const OnnxNode &node, ArrayRef<StringRef> drop) {
  SmallVector<NamedAttribute> out;
  for (NamedAttribute a : node.op->getAttrs())
    if (a.getName() != kOpsetAttr && a.getName() != kSourceOpsetAttr &&
        !llvm::is_contained(drop, a.getName().getValue()))
      out.push_back(a);
  Builder b(node.op->getContext());
  out.push_back(b.getNamedAttr(kSourceOpsetAttr, b.getI64IntegerAttr(node.sourceOpset())));
  return out;
}

UpgradeFn dropAttrs(int64_t opset, ArrayRef<StringRef> names) {
  SmallVector<std::string> dropped(names.begin(), names.end());
  return [opset, dropped](OpBuilder &b, const OnnxNode &node) -> Result {
    SmallVector<StringRef> refs(dropped.begin(), dropped.end());
    return rebuildAs(b, node, opset, node.op->getOperands(), attrsWithout(node, refs));
  };
}

Result rebuildAs(OpBuilder &b, const OnnxNode &node, int64_t opset, ValueRange operands,
                 ArrayRef<NamedAttribute> attrs) {
  auto op = buildOnnxOp(b, node.loc(), node.opType(), opset, operands, attrs,
                        node.numResults());
  if (failed(op))
    return failure();
  return Values((*op)->getResults());
}

FailureOr<int64_t> normalizeAxis(const OnnxNode &node, int64_t axis, int64_t rank) {
  int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= std::max<int64_t>(rank, 1)) {
    node.error() << "axis " << axis << " is out of range for rank " << rank;
    return failure();
  }
  return a;
}

FailureOr<SmallVector<int64_t>> attrAxesOrAll(const OnnxNode &node, int64_t rank) {
  SmallVector<int64_t> axes;
  if (auto a = node.getInts("axes")) {
    for (int64_t v : *a) {
      auto ax = normalizeAxis(node, v, rank);
      if (failed(ax))
        return failure();
      axes.push_back(*ax);
    }
  } else {
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  }
  return axes;
}

FailureOr<SmallVector<int64_t>> normalizeAxes(const OnnxNode &node, ArrayRef<int64_t> axes,
                                              int64_t rank) {
  SmallVector<int64_t> out;
  for (int64_t a : axes) {
    auto n = normalizeAxis(node, a, rank);
    if (failed(n))
      return failure();
    out.push_back(*n);
  }
  llvm::sort(out);
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Value scalarConst(OpBuilder &b, Location loc, Type type, double v) {
  if (auto ft = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(ft, v));
  return arith::ConstantOp::create(b, loc, b.getIntegerAttr(type, int64_t(v)));
}

Value lowestConst(OpBuilder &b, Location loc, Type type, bool isUnsigned) {
  if (auto ft = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(
        b, loc, b.getFloatAttr(ft, -std::numeric_limits<double>::infinity()));
  unsigned width = type.getIntOrFloatBitWidth();
  APInt min = width == 1 || isUnsigned ? APInt(width, 0) : APInt::getSignedMinValue(width);
  return arith::ConstantOp::create(b, loc, b.getIntegerAttr(type, min));
}

Value emptyTensor(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, Type elt) {
  return tensor::EmptyOp::create(b, loc, shape, elt);
}

Value filledTensor(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, Value value) {
  Value empty = emptyTensor(b, loc, shape, value.getType());
  return linalg::FillOp::create(b, loc, value, empty).getResult(0);
}

Value buildElementwise(OpBuilder &b, Location loc, ValueRange inputs,
                       ArrayRef<int64_t> outShape, Type outElt, BodyFn body) {
  int64_t rank = outShape.size();
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps;
  for (Value in : inputs) {
    auto shape = shapeOf(in);
    int64_t off = rank - int64_t(shape.size());
    SmallVector<AffineExpr> exprs;
    for (int64_t i = 0; i < int64_t(shape.size()); ++i)
      exprs.push_back(shape[i] == 1 && outShape[off + i] != 1
                          ? getAffineConstantExpr(0, ctx)
                          : getAffineDimExpr(off + i, ctx));
    maps.push_back(AffineMap::get(rank, 0, exprs, ctx));
  }
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  Value init = emptyTensor(b, loc, outShape, outElt);
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps, iters,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value r = body(nb, nloc, args.drop_back());
        linalg::YieldOp::create(nb, nloc, r);
      });
  return op.getResult(0);
}

/// A linalg.generic over a tensor of `shape` with `inputs` read through
/// `maps`; the body gets the input elements.
Value generateOver(OpBuilder &b, Location l, ArrayRef<int64_t> shape, Type elt,
                   ValueRange inputs, ArrayRef<AffineMap> maps, BodyFn body) {
  // Nothing to compute (a generic over no elements does not survive the CPU pipeline).
  if (productOf(shape) == 0)
    return emptyTensor(b, l, shape, elt);
  MLIRContext *ctx = b.getContext();
  int64_t rank = shape.size();
  SmallVector<AffineMap> all(maps);
  all.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  Value init = emptyTensor(b, l, shape, elt);
  return linalg::GenericOp::create(b, l, TypeRange{init.getType()}, inputs, ValueRange{init},
                                   all, iters,
                                   [&](OpBuilder &nb, Location nl, ValueRange a) {
                                     linalg::YieldOp::create(nb, nl,
                                                             body(nb, nl, a.drop_back()));
                                   })
      .getResult(0);
}

Value gatherByMap(OpBuilder &b, Location l, Value x, ArrayRef<int64_t> out, AffineMap map) {
  return generateOver(b, l, out, elementTypeOf(x), ValueRange{x}, {map},
                      [](OpBuilder &, Location, ValueRange a) { return a[0]; });
}

SmallVector<Value> loopIndices(OpBuilder &b, Location l, int64_t from, int64_t count) {
  SmallVector<Value> out;
  for (int64_t d = from; d < from + count; ++d)
    out.push_back(linalg::IndexOp::create(b, l, d));
  return out;
}

Value reshapeTo(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getShape() == shape)
    return v;
  auto target = RankedTensorType::get(shape, type.getElementType());
  if (DenseElementsAttr c = constantOf(v))
    return constantTensor(b, loc, c.reshape(target));
  // Through one dimension: collapse everything, then expand to the target.
  Value flat = v;
  int64_t n = type.getNumElements();
  auto flatType = RankedTensorType::get({n}, type.getElementType());
  if (type.getRank() == 0) {
    flat = tensor::ExpandShapeOp::create(b, loc, flatType, v, ArrayRef<ReassociationIndices>{});
  } else if (type.getRank() > 1) {
    ReassociationIndices all;
    for (int64_t i = 0; i < type.getRank(); ++i)
      all.push_back(i);
    flat = tensor::CollapseShapeOp::create(b, loc, flatType, v,
                                           ArrayRef<ReassociationIndices>{all});
  }
  if (shape.size() == 1)
    return flat;
  if (shape.empty())
    return tensor::CollapseShapeOp::create(b, loc, target, flat,
                                           ArrayRef<ReassociationIndices>{});
  ReassociationIndices all;
  for (size_t i = 0; i < shape.size(); ++i)
    all.push_back(i);
  return tensor::ExpandShapeOp::create(b, loc, target, flat,
                                       ArrayRef<ReassociationIndices>{all});
}

Value buildReduce(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> axes, bool keepdims,
                  StringRef kind) {
  Type elt = elementTypeOf(v);
  bool max = kind == "max";
  Value init = max ? lowestConst(b, loc, elt) : scalarConst(b, loc, elt, 0);
  return buildReduceWith(b, loc, ValueRange{v}, axes, keepdims, init,
                         [&](OpBuilder &nb, Location nl, ValueRange in, Value acc) {
                           return max ? maxS(nb, nl, in[0], acc) : addS(nb, nl, in[0], acc);
                         });
}

Value buildReduceWith(OpBuilder &b, Location loc, ValueRange inputs, ArrayRef<int64_t> axes,
                      bool keepdims, Value init, CombineFn combine) {
  auto inShape = shapeOf(inputs[0]);
  int64_t rank = inShape.size();
  MLIRContext *ctx = b.getContext();
  SmallVector<int64_t> outShape, keptShape;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iters;
  for (int64_t i = 0; i < rank; ++i) {
    bool reduced = llvm::is_contained(axes, i);
    iters.push_back(reduced ? utils::IteratorType::reduction : utils::IteratorType::parallel);
    keptShape.push_back(reduced ? 1 : inShape[i]);
    if (!reduced) {
      outShape.push_back(inShape[i]);
      outExprs.push_back(getAffineDimExpr(i, ctx));
    }
  }
  SmallVector<AffineMap> maps;
  for (Value in : inputs) {
    auto shape = shapeOf(in);
    SmallVector<AffineExpr> exprs;
    for (int64_t i = 0; i < rank; ++i)
      exprs.push_back(shape[i] == 1 && inShape[i] != 1 ? getAffineConstantExpr(0, ctx)
                                                       : getAffineDimExpr(i, ctx));
    maps.push_back(AffineMap::get(rank, 0, exprs, ctx));
  }
  maps.push_back(AffineMap::get(rank, 0, outExprs, ctx));
  Value out = filledTensor(b, loc, outShape, init);
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{out.getType()}, inputs, ValueRange{out}, maps, iters,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        linalg::YieldOp::create(nb, nloc,
                                combine(nb, nloc, args.drop_back(), args.back()));
      });
  Value r = op.getResult(0);
  return keepdims ? reshapeTo(b, loc, r, keptShape) : r;
}

DenseElementsAttr constantOf(Value v) {
  DenseElementsAttr attr;
  if (v && matchPattern(v, m_Constant(&attr)))
    return attr;
  return {};
}

Value constantTensor(OpBuilder &b, Location loc, DenseElementsAttr a) {
  return arith::ConstantOp::create(b, loc, a);
}

Value addS(OpBuilder &b, Location loc, Value x, Value y) {
  if (isFloat(x.getType()))
    return arith::AddFOp::create(b, loc, x, y);
  return arith::AddIOp::create(b, loc, x, y);
}

Value mulS(OpBuilder &b, Location loc, Value x, Value y) {
  if (isFloat(x.getType()))
    return arith::MulFOp::create(b, loc, x, y);
  return arith::MulIOp::create(b, loc, x, y);
}

Value maxS(OpBuilder &b, Location loc, Value x, Value y, bool isUnsigned) {
  // ONNX Max propagates NaN like numpy.maximum.
  if (isFloat(x.getType()))
    return arith::MaximumFOp::create(b, loc, x, y);
  if (isUnsigned || x.getType().isInteger(1)) // bool: true > false, i.e. unsigned
    return arith::MaxUIOp::create(b, loc, x, y);
  return arith::MaxSIOp::create(b, loc, x, y);
}

Value minS(OpBuilder &b, Location loc, Value x, Value y, bool isUnsigned) {
  if (isFloat(x.getType()))
    return arith::MinimumFOp::create(b, loc, x, y);
  if (isUnsigned || x.getType().isInteger(1))
    return arith::MinUIOp::create(b, loc, x, y);
  return arith::MinSIOp::create(b, loc, x, y);
}

Value castS(OpBuilder &b, Location loc, Value x, Type to, bool fromUnsigned,
            bool toUnsigned) {
  Type from = x.getType();
  if (from == to)
    return x;
  bool fromF = isFloat(from), toF = isFloat(to);
  unsigned fw = from.getIntOrFloatBitWidth(), tw = to.getIntOrFloatBitWidth();
  if (to.isInteger(1)) {
    Value zero = scalarConst(b, loc, from, 0);
    if (fromF)
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, x, zero);
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, x, zero);
  }
  if (fromF && toF)
    return fw < tw ? Value(arith::ExtFOp::create(b, loc, to, x))
                   : Value(arith::TruncFOp::create(b, loc, to, x));
  if (fromF)
    return toUnsigned ? Value(arith::FPToUIOp::create(b, loc, to, x))
                      : Value(arith::FPToSIOp::create(b, loc, to, x));
  bool fromBool = from.isInteger(1) || fromUnsigned;
  if (toF)
    return fromBool ? Value(arith::UIToFPOp::create(b, loc, to, x))
                    : Value(arith::SIToFPOp::create(b, loc, to, x));
  if (fw < tw)
    return fromBool ? Value(arith::ExtUIOp::create(b, loc, to, x))
                    : Value(arith::ExtSIOp::create(b, loc, to, x));
  return arith::TruncIOp::create(b, loc, to, x);
}


InferFn broadcastWithArity(unsigned arity) {
  return [arity](const OnnxNode &node, Types &out) -> LogicalResult {
    unsigned present = node.presentInputs().size();
    if (arity ? (present != arity || node.numInputs() != arity) : present == 0)
      return arity ? node.error() << "needs " << arity << " input" << (arity > 1 ? "s" : "")
                                  << ", got " << node.numInputs()
                   : node.error() << "needs at least one input";
    return inferBroadcast(node, out);
  };
}

Result broadcastElementwise(OpBuilder &b, const OnnxNode &node, ValueRange inputs,
                            BodyFn body, Type outElt) {
  SmallVector<SmallVector<int64_t>> shapes;
  for (Value v : inputs)
    shapes.push_back(shapeOf(v));
  auto shape = broadcastShapes(shapes);
  if (failed(shape))
    return node.error() << "operand shapes cannot be broadcast together", failure();
  Type elt = outElt ? outElt : elementTypeOf(inputs[0]);
  return Values{buildElementwise(b, node.loc(), inputs, *shape, elt, body)};
}

Result upgradeLegacyBroadcast(OpBuilder &b, const OnnxNode &node) {
  Value a = node.input(0), bv = node.input(1);
  if (!a || !bv)
    return node.error() << "needs two inputs", failure();
  auto as = shapeOf(a), bs = shapeOf(bv);
  if (!node.getInt("broadcast", 0)) {
    if (as != bs)
      return node.error() << "operand shapes differ and broadcast is 0", failure();
  } else if (node.has("axis")) {
    int64_t rank = as.size(), axis = node.getInt("axis", 0);
    if (axis < 0)
      axis += rank;
    int64_t trailing = rank - axis - int64_t(bs.size());
    if (axis < 0 || trailing < 0)
      return node.error() << "axis " << node.getInt("axis", 0) << " does not place B inside A",
             failure();
    if (trailing > 0) {
      SmallVector<int64_t> axes;
      for (int64_t i = 0; i < trailing; ++i)
        axes.push_back(bs.size() + i);
      auto unsqueezed = createOrFold(b, node.loc(), "Unsqueeze", 13,
                                     {bv, i64Tensor(b, node.loc(), axes)}, {});
      if (failed(unsqueezed))
        return failure();
      bv = (*unsqueezed)[0];
    }
  }
  return rebuildAs(b, node, 7, {a, bv},
                   attrsWithout(node, {"broadcast", "axis", "consumed_inputs"}));
}

} // namespace nnm::onnx_to_linalg
