//===- Indexing.cpp - ONNX gathers, scatters and index-driven ops ---------===//
//
// Ops whose element positions come from index values: GatherElements,
// GatherND, ScatterElements, ScatterND, OneHot, Compress, ReverseSequence,
// the diagonal masks Trilu and EyeLike (Resize moved to Image.cpp). Gathers are
// a linalg.generic over the output whose body extracts from the data at computed coordinates;
// scatters copy the data and insert the updates one by one in an scf.for nest
// (sequential, so a later update to the same position wins, and reductions
// combine in order). Negative indices count from the end; out-of-range indices
// (undefined in ONNX) are clamped so memory stays safe.
//
//===----------------------------------------------------------------------===//
#include "Common.h"

#include "nnm/Support/ElementType.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/AffineMap.h"

using namespace mlir;

namespace nnm::onnx_to_linalg {
namespace {

Value indexConst(OpBuilder &b, Location l, int64_t v) {
  return arith::ConstantIndexOp::create(b, l, v);
}

/// An integer (or float) index value as an `index`, negative values counting
/// from `dim`, clamped into [0, dim).
Value wrapIndex(OpBuilder &b, Location l, Value k, int64_t dim) {
  if (isFloat(k.getType()))
    k = castS(b, l, k, b.getI64Type());
  if (!k.getType().isIndex())
    k = arith::IndexCastOp::create(b, l, b.getIndexType(), k);
  Value zero = indexConst(b, l, 0);
  Value neg = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, k, zero);
  k = arith::SelectOp::create(b, l, neg, arith::AddIOp::create(b, l, k, indexConst(b, l, dim)),
                              k);
  k = arith::MaxSIOp::create(b, l, k, zero);
  return arith::MinSIOp::create(b, l, k, indexConst(b, l, std::max<int64_t>(dim - 1, 0)));
}

/// Checks that `indices` is an integer tensor.
LogicalResult requireIntegerIndices(const OnnxNode &node, unsigned i) {
  if (!isa<IntegerType>(elementTypeOf(node.input(i))))
    return node.error() << "input " << i << " (indices) must be an integer tensor";
  return success();
}

// GatherElements ---------------------------------------------------------------------

LogicalResult inferGatherElements(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 2)) || !node.input(0) || !node.input(1))
    return node.error() << "needs data and indices";
  if (failed(requireIntegerIndices(node, 1)))
    return failure();
  auto ds = shapeOf(node.input(0)), is = shapeOf(node.input(1));
  if (ds.size() != is.size() || ds.empty())
    return node.error() << "data and indices must have the same rank (>= 1)";
  if (failed(normalizeAxis(node, node.getInt("axis", 0), ds.size())))
    return failure();
  out.push_back(tensorOf(is, elementTypeOf(node.input(0))));
  return success();
}

/// out[i] = data[i with i[axis] replaced by indices[i]].
Result lowerGatherElements(OpBuilder &b, const OnnxNode &node) {
  Value data = node.input(0), indices = node.input(1);
  auto ds = shapeOf(data), is = shapeOf(indices);
  int64_t rank = ds.size();
  auto axis = normalizeAxis(node, node.getInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  auto id = AffineMap::getMultiDimIdentityMap(rank, b.getContext());
  return Values{generateOver(b, node.loc(), is, elementTypeOf(data), ValueRange{indices}, {id},
                             [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
    SmallVector<Value> coords = loopIndices(nb, nl, 0, rank);
    coords[*axis] = wrapIndex(nb, nl, a[0], ds[*axis]);
    return tensor::ExtractOp::create(nb, nl, data, coords);
  })};
}

// GatherND -------------------------------------------------------------------------

/// GatherND's output shape: indices.shape[:-1] + data.shape[batch_dims + k:].
FailureOr<SmallVector<int64_t>> gatherNDShape(const OnnxNode &node) {
  auto ds = shapeOf(node.input(0)), is = shapeOf(node.input(1));
  int64_t r = ds.size(), q = is.size(), bd = node.getInt("batch_dims", 0);
  if (q < 1 || r < 1)
    return node.error() << "data and indices must have rank >= 1", failure();
  if (bd < 0 || bd >= std::min(q, r))
    return node.error() << "batch_dims " << bd << " must be less than both ranks", failure();
  int64_t k = is[q - 1];
  if (k == kDyn)
    return SmallVector<int64_t>(), failure();
  if (k < 1 || k > r - bd)
    return node.error() << "the last indices dimension (" << k << ") must be in [1, "
                        << r - bd << "]", failure();
  for (int64_t d = 0; d < bd; ++d)
    if (ds[d] != kDyn && is[d] != kDyn && ds[d] != is[d])
      return node.error() << "batch dimension " << d << " differs between data and indices",
             failure();
  SmallVector<int64_t> out(is.begin(), is.end() - 1);
  out.append(ds.begin() + bd + k, ds.end());
  return out;
}

LogicalResult inferGatherND(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 2)) || !node.input(0) || !node.input(1))
    return node.error() << "needs data and indices";
  if (failed(requireIntegerIndices(node, 1)))
    return failure();
  auto shape = gatherNDShape(node);
  if (failed(shape)) {
    auto is = shapeOf(node.input(1));
    if (is.empty() || is.back() != kDyn)
      return failure();
    return node.error() << "the last indices dimension must be known";
  }
  out.push_back(tensorOf(*shape, elementTypeOf(node.input(0))));
  return success();
}

/// out[b.., i.., t..] = data[b.., indices[b.., i.., :].., t..].
Result lowerGatherND(OpBuilder &b, const OnnxNode &node) {
  auto shape = gatherNDShape(node);
  if (failed(shape))
    return failure();
  Value data = node.input(0), indices = node.input(1);
  auto ds = shapeOf(data), is = shapeOf(indices);
  int64_t q = is.size(), bd = node.getInt("batch_dims", 0), k = is[q - 1];
  int64_t tail = ds.size() - bd - k;
  return Values{generateOver(b, node.loc(), *shape, elementTypeOf(data), ValueRange{}, {},
                             [&](OpBuilder &nb, Location nl, ValueRange) -> Value {
    SmallVector<Value> lead = loopIndices(nb, nl, 0, q - 1);
    SmallVector<Value> coords(lead.begin(), lead.begin() + bd);
    for (int64_t j = 0; j < k; ++j) {
      SmallVector<Value> at(lead);
      at.push_back(indexConst(nb, nl, j));
      Value v = tensor::ExtractOp::create(nb, nl, indices, at);
      coords.push_back(wrapIndex(nb, nl, v, ds[bd + j]));
    }
    coords.append(loopIndices(nb, nl, q - 1, tail));
    return tensor::ExtractOp::create(nb, nl, data, coords);
  })};
}

// ScatterElements / ScatterND -----------------------------------------------------------

/// Combines the current element with an update per the reduction attribute.
using Combine = std::function<Value(OpBuilder &, Location, Value, Value)>;

FailureOr<Combine> scatterCombine(const OnnxNode &node) {
  std::string red = node.getString("reduction", "none");
  bool isUnsigned = node.isUnsigned(0);
  if (red == "none")
    return Combine(nullptr);
  if (red == "add")
    return Combine(addS);
  if (red == "mul")
    return Combine(mulS);
  if (red == "max")
    return Combine([isUnsigned](OpBuilder &b, Location l, Value x, Value y) -> Value {
      if (isUnsigned)
        return arith::MaxUIOp::create(b, l, x, y);
      return maxS(b, l, x, y);
    });
  if (red == "min")
    return Combine([isUnsigned](OpBuilder &b, Location l, Value x, Value y) -> Value {
      if (isUnsigned)
        return arith::MinUIOp::create(b, l, x, y);
      return minS(b, l, x, y);
    });
  return node.error() << "unsupported reduction '" << red << "'", failure();
}

/// Copies `data` and, for every position of `loopShape` in order, writes
/// updates[pos] (combined with the current element) at `target(pos)`.
Value scatterLoop(OpBuilder &b, Location l, Value data, Value updates,
                  ArrayRef<int64_t> loopShape, const Combine &combine,
                  function_ref<SmallVector<Value>(OpBuilder &, Location, ValueRange)> target) {
  if (llvm::is_contained(loopShape, 0))
    return data;
  SmallVector<Value> lbs, ubs, steps;
  for (int64_t n : loopShape) {
    lbs.push_back(indexConst(b, l, 0));
    ubs.push_back(indexConst(b, l, n));
    steps.push_back(indexConst(b, l, 1));
  }
  // A fresh copy of the data so the scatter never writes into its operand.
  Value copy = linalg::CopyOp::create(b, l, data,
                                      emptyTensor(b, l, shapeOf(data), elementTypeOf(data)))
                   .getResult(0);
  scf::LoopNest nest = scf::buildLoopNest(
      b, l, lbs, ubs, steps, ValueRange{copy},
      [&](OpBuilder &nb, Location nl, ValueRange ivs, ValueRange iter) -> scf::ValueVector {
        SmallVector<Value> coords = target(nb, nl, ivs);
        Value u = tensor::ExtractOp::create(nb, nl, updates, ivs);
        if (combine)
          u = combine(nb, nl, tensor::ExtractOp::create(nb, nl, iter[0], coords), u);
        return {tensor::InsertOp::create(nb, nl, u, iter[0], coords).getResult()};
      });
  return nest.results[0];
}

LogicalResult inferScatterElements(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 3)) || !node.input(0) || !node.input(1) || !node.input(2))
    return node.error() << "needs data, indices and updates";
  if (failed(requireIntegerIndices(node, 1)))
    return failure();
  auto ds = shapeOf(node.input(0)), is = shapeOf(node.input(1)), us = shapeOf(node.input(2));
  if (ds.size() != is.size() || is.size() != us.size() || ds.empty())
    return node.error() << "data, indices and updates must have the same rank (>= 1)";
  for (size_t d = 0; d < is.size(); ++d)
    if (is[d] != kDyn && us[d] != kDyn && is[d] != us[d])
      return node.error() << "indices and updates must have the same shape";
  if (failed(normalizeAxis(node, node.getInt("axis", 0), ds.size())))
    return failure();
  out.push_back(node.input(0).getType());
  return success();
}

Result lowerScatterElements(OpBuilder &b, const OnnxNode &node) {
  Value data = node.input(0), indices = node.input(1), updates = node.input(2);
  auto ds = shapeOf(data);
  auto axis = normalizeAxis(node, node.getInt("axis", 0), ds.size());
  auto combine = scatterCombine(node);
  if (failed(axis) || failed(combine))
    return failure();
  return Values{scatterLoop(b, node.loc(), data, updates, shapeOf(indices), *combine,
                            [&](OpBuilder &nb, Location nl, ValueRange ivs) {
    SmallVector<Value> coords = llvm::to_vector(ivs);
    Value k = tensor::ExtractOp::create(nb, nl, indices, ivs);
    coords[*axis] = wrapIndex(nb, nl, k, ds[*axis]);
    return coords;
  })};
}

/// Scatter (opset 9-10) is ScatterElements without reduction.
Result upgradeScatter(OpBuilder &b, const OnnxNode &node) {
  auto op = buildOnnxOp(b, node.loc(), "ScatterElements", 11, node.op->getOperands(),
                        attrsWithout(node, {}));
  if (failed(op))
    return failure();
  return Values((*op)->getResults());
}

LogicalResult inferScatterND(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 3)) || !node.input(0) || !node.input(1) || !node.input(2))
    return node.error() << "needs data, indices and updates";
  if (failed(requireIntegerIndices(node, 1)))
    return failure();
  auto ds = shapeOf(node.input(0)), is = shapeOf(node.input(1)), us = shapeOf(node.input(2));
  int64_t q = is.size(), r = ds.size();
  if (q < 1 || r < 1)
    return node.error() << "data and indices must have rank >= 1";
  int64_t k = is[q - 1];
  if (k != kDyn) {
    if (k < 1 || k > r)
      return node.error() << "the last indices dimension (" << k << ") must be in [1, " << r
                          << "]";
    SmallVector<int64_t> expect(is.begin(), is.end() - 1);
    expect.append(ds.begin() + k, ds.end());
    bool ok = expect.size() == us.size();
    for (size_t d = 0; ok && d < us.size(); ++d)
      ok = expect[d] == kDyn || us[d] == kDyn || expect[d] == us[d];
    if (!ok)
      return node.error() << "updates must have shape indices.shape[:-1] + data.shape[k:]";
  }
  out.push_back(node.input(0).getType());
  return success();
}

Result lowerScatterND(OpBuilder &b, const OnnxNode &node) {
  Value data = node.input(0), indices = node.input(1), updates = node.input(2);
  auto ds = shapeOf(data), is = shapeOf(indices);
  int64_t q = is.size(), k = is[q - 1];
  auto combine = scatterCombine(node);
  if (failed(combine))
    return failure();
  return Values{scatterLoop(b, node.loc(), data, updates, shapeOf(updates), *combine,
                            [&](OpBuilder &nb, Location nl, ValueRange ivs) {
    SmallVector<Value> coords;
    SmallVector<Value> at(ivs.begin(), ivs.begin() + (q - 1));
    at.push_back(Value());
    for (int64_t j = 0; j < k; ++j) {
      at.back() = indexConst(nb, nl, j);
      Value v = tensor::ExtractOp::create(nb, nl, indices, at);
      coords.push_back(wrapIndex(nb, nl, v, ds[j]));
    }
    coords.append(ivs.begin() + (q - 1), ivs.end());
    return coords;
  })};
}

// OneHot ----------------------------------------------------------------------------

/// The one value of a constant numeric scalar (or one-element tensor).
std::optional<int64_t> constantScalarInt(const OnnxNode &node, unsigned i) {
  DenseElementsAttr c = constantOf(node.input(i));
  if (!c || c.getNumElements() != 1)
    return std::nullopt;
  if (isa<FloatType>(c.getElementType()))
    return int64_t((*c.value_begin<APFloat>()).convertToDouble());
  if (isa<IntegerType>(c.getElementType()))
    return (*c.value_begin<APInt>()).getSExtValue();
  return std::nullopt;
}

LogicalResult inferOneHot(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 3)) || !node.input(0) || !node.input(1) || !node.input(2))
    return node.error() << "needs indices, depth and values";
  auto is = shapeOf(node.input(0));
  int64_t rank = is.size() + 1, axis = node.getInt("axis", -1);
  if (axis < -rank || axis >= rank)
    return node.error() << "axis " << axis << " is out of range for rank " << rank;
  if (axis < 0)
    axis += rank;
  auto depth = constantScalarInt(node, 1);
  if (depth && *depth < 1)
    return node.error() << "depth must be positive";
  is.insert(is.begin() + axis, depth ? *depth : kDyn);
  out.push_back(tensorOf(is, elementTypeOf(node.input(2))));
  return success();
}

/// out[.., j (at axis), ..] = indices[..] (wrapped by depth) == j ? on : off.
Result lowerOneHot(OpBuilder &b, const OnnxNode &node) {
  auto depth = constantScalarInt(node, 1);
  if (!depth)
    return node.error() << "input 1 (depth) must be a scalar known at compile time", failure();
  if (productOf(shapeOf(node.input(2))) != 2)
    return node.error() << "values must have two elements (off, on)", failure();
  SmallVector<Type> types;
  if (failed(inferOneHot(node, types)))
    return failure();
  Value indices = node.input(0);
  Location l = node.loc();
  auto shape = cast<RankedTensorType>(types[0]).getShape();
  int64_t rank = shape.size(), axis = node.getInt("axis", -1);
  if (axis < 0)
    axis += rank;
  Value values = reshapeTo(b, l, node.input(2), {2});
  Value off = tensor::ExtractOp::create(b, l, values, ValueRange{indexConst(b, l, 0)});
  Value on = tensor::ExtractOp::create(b, l, values, ValueRange{indexConst(b, l, 1)});
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis)
      exprs.push_back(getAffineDimExpr(d, ctx));
  Type i64 = b.getI64Type();
  bool isUnsigned = node.isUnsigned(0);
  int64_t n = *depth;
  return Values{generateOver(b, l, shape, elementTypeOf(values), ValueRange{indices},
                             {AffineMap::get(rank, 0, exprs, ctx)},
                             [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
    Value k = a[0];
    if (isUnsigned && k.getType().getIntOrFloatBitWidth() < 64)
      k = arith::ExtUIOp::create(nb, nl, i64, k);
    else
      k = castS(nb, nl, k, i64);
    Value zero = scalarConst(nb, nl, i64, 0);
    Value neg = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, k, zero);
    k = arith::SelectOp::create(
        nb, nl, neg, arith::AddIOp::create(nb, nl, k, scalarConst(nb, nl, i64, n)), k);
    Value j = arith::IndexCastOp::create(nb, nl, i64, linalg::IndexOp::create(nb, nl, axis));
    Value hit = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, k, j);
    return arith::SelectOp::create(nb, nl, hit, on, off);
  })};
}

// Trilu and EyeLike -----------------------------------------------------------------

LogicalResult inferTrilu(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 2)) || !node.input(0))
    return node.error() << "needs a ranked input";
  if (shapeOf(node.input(0)).size() < 2)
    return node.error() << "input must have rank >= 2";
  return inferLikeInput0(node, out);
}

/// Keeps x where j - i >= k (upper) or j - i <= k (lower), zero elsewhere.
Result lowerTrilu(OpBuilder &b, const OnnxNode &node) {
  int64_t k = 0;
  if (node.input(1)) {
    auto c = constantIntsOf(node, 1, "k");
    if (!c)
      return failure();
    if (c->size() != 1)
      return node.error() << "k must be a scalar", failure();
    k = (*c)[0];
  }
  bool upper = node.getInt("upper", 1) != 0;
  Value x = node.input(0);
  auto shape = shapeOf(x);
  int64_t rank = shape.size();
  Type elt = elementTypeOf(x);
  auto id = AffineMap::getMultiDimIdentityMap(rank, b.getContext());
  return Values{generateOver(b, node.loc(), shape, elt, ValueRange{x}, {id},
                             [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
    Value i = linalg::IndexOp::create(nb, nl, rank - 2);
    Value j = linalg::IndexOp::create(nb, nl, rank - 1);
    Value diff = arith::SubIOp::create(nb, nl, j, i);
    Value keep = arith::CmpIOp::create(
        nb, nl, upper ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sle, diff,
        indexConst(nb, nl, k));
    return arith::SelectOp::create(nb, nl, keep, a[0], scalarConst(nb, nl, elt, 0));
  })};
}

FailureOr<Type> eyeLikeType(const OnnxNode &node) {
  if (!node.has("dtype"))
    return elementTypeOf(node.input(0));
  const ElementType *et = elementTypeForOnnx(node.getInt("dtype", 0));
  if (!et || !et->supported)
    return node.error() << "unsupported dtype "
                        << (et ? std::string(et->name) : std::to_string(node.getInt("dtype", 0)))
                        << " (supported: " << supportedElementTypeNames() << ")", failure();
  return toMlirType(et->dtype, node.op->getContext());
}

LogicalResult inferEyeLike(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 1)) || !node.input(0))
    return node.error() << "needs a ranked input";
  auto shape = shapeOf(node.input(0));
  if (shape.size() != 2)
    return node.error() << "input must have rank 2";
  auto elt = eyeLikeType(node);
  if (failed(elt))
    return failure();
  out.push_back(tensorOf(shape, *elt));
  return success();
}

/// One where j - i == k, zero elsewhere.
Result lowerEyeLike(OpBuilder &b, const OnnxNode &node) {
  auto elt = eyeLikeType(node);
  if (failed(elt))
    return failure();
  int64_t k = node.getInt("k", 0);
  Type t = *elt;
  return Values{generateOver(b, node.loc(), shapeOf(node.input(0)), t, ValueRange{}, {},
                             [&](OpBuilder &nb, Location nl, ValueRange) -> Value {
    Value i = linalg::IndexOp::create(nb, nl, 0);
    Value j = linalg::IndexOp::create(nb, nl, 1);
    Value diff = arith::SubIOp::create(nb, nl, j, i);
    Value on = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, diff,
                                     indexConst(nb, nl, k));
    return arith::SelectOp::create(nb, nl, on, scalarConst(nb, nl, t, 1),
                                   scalarConst(nb, nl, t, 0));
  })};
}

// Compress -------------------------------------------------------------------------

/// Positions where the constant condition is true.
std::optional<SmallVector<int64_t>> compressPositions(const OnnxNode &node, bool diagnose) {
  auto c = constantIntsOf(node, 1, diagnose ? "condition" : nullptr);
  if (!c)
    return std::nullopt;
  SmallVector<int64_t> pos;
  for (size_t i = 0; i < c->size(); ++i)
    if ((*c)[i] != 0)
      pos.push_back(i);
  return pos;
}

LogicalResult inferCompress(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 2)) || !node.input(0) || !node.input(1))
    return node.error() << "needs input and condition";
  auto in = shapeOf(node.input(0));
  Type elt = elementTypeOf(node.input(0));
  auto pos = compressPositions(node, false);
  int64_t n = pos ? int64_t(pos->size()) : kDyn;
  if (!node.has("axis")) {
    int64_t total = productOf(in);
    if (pos && !pos->empty() && total != kDyn && pos->back() >= total)
      return node.error() << "condition selects element " << pos->back() << " of " << total;
    out.push_back(tensorOf({n}, elt));
    return success();
  }
  auto axis = normalizeAxis(node, node.getInt("axis", 0), in.size());
  if (failed(axis))
    return failure();
  if (pos && !pos->empty() && in[*axis] != kDyn && pos->back() >= in[*axis])
    return node.error() << "condition selects index " << pos->back() << " of dimension "
                        << in[*axis];
  in[*axis] = n;
  out.push_back(tensorOf(in, elt));
  return success();
}

/// out[.., i (at axis), ..] = x[.., positions[i], ..] (x flattened without axis).
Result lowerCompress(OpBuilder &b, const OnnxNode &node) {
  auto pos = compressPositions(node, true);
  if (!pos)
    return failure();
  SmallVector<Type> types;
  if (failed(inferCompress(node, types)))
    return failure();
  Location l = node.loc();
  Value x = node.input(0);
  int64_t axis = 0;
  if (node.has("axis"))
    axis = *normalizeAxis(node, node.getInt("axis", 0), shapeOf(x).size());
  else
    x = reshapeTo(b, l, x, {productOf(shapeOf(x))});
  auto shape = SmallVector<int64_t>(cast<RankedTensorType>(types[0]).getShape());
  if (pos->empty())
    return Values{emptyTensor(b, l, shape, elementTypeOf(x))};
  int64_t rank = shape.size();
  MLIRContext *ctx = b.getContext();
  Value sel = i64Tensor(b, l, *pos);
  return Values{generateOver(b, l, shape, elementTypeOf(x), ValueRange{sel},
                             {AffineMap::get(rank, 0, {getAffineDimExpr(axis, ctx)}, ctx)},
                             [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
    SmallVector<Value> coords = loopIndices(nb, nl, 0, rank);
    coords[axis] = arith::IndexCastOp::create(nb, nl, nb.getIndexType(), a[0]);
    return tensor::ExtractOp::create(nb, nl, x, coords);
  })};
}

// ReverseSequence -------------------------------------------------------------------

FailureOr<std::pair<int64_t, int64_t>> reverseAxes(const OnnxNode &node) {
  int64_t batch = node.getInt("batch_axis", 1), time = node.getInt("time_axis", 0);
  if ((batch != 0 && batch != 1) || (time != 0 && time != 1) || batch == time)
    return node.error() << "batch_axis and time_axis must be 0 and 1 in some order",
           failure();
  return std::make_pair(batch, time);
}

LogicalResult inferReverseSequence(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 2)) || !node.input(0) || !node.input(1))
    return node.error() << "needs input and sequence_lens";
  if (shapeOf(node.input(0)).size() < 2)
    return node.error() << "input must have rank >= 2";
  if (failed(reverseAxes(node)))
    return failure();
  return inferLikeInput0(node, out);
}

/// out[.., t, ..] = x[.., t < len[b] ? len[b] - 1 - t : t, ..].
Result lowerReverseSequence(OpBuilder &b, const OnnxNode &node) {
  auto axes = reverseAxes(node);
  if (failed(axes))
    return failure();
  int64_t batch = axes->first, time = axes->second; // captured below: no structured binding
  Value x = node.input(0), lens = node.input(1);
  auto shape = shapeOf(x);
  int64_t rank = shape.size(), steps = shape[time];
  if (shapeOf(lens) != SmallVector<int64_t>{shape[batch]})
    return node.error() << "sequence_lens must have one value per batch entry", failure();
  MLIRContext *ctx = b.getContext();
  return Values{generateOver(b, node.loc(), shape, elementTypeOf(x), ValueRange{lens},
                             {AffineMap::get(rank, 0, {getAffineDimExpr(batch, ctx)}, ctx)},
                             [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
    SmallVector<Value> coords = loopIndices(nb, nl, 0, rank);
    Value t = coords[time];
    Value len = arith::IndexCastOp::create(nb, nl, nb.getIndexType(), a[0]);
    len = arith::MinSIOp::create(nb, nl, len, indexConst(nb, nl, steps));
    Value inside = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, t, len);
    Value rev = arith::SubIOp::create(
        nb, nl, arith::SubIOp::create(nb, nl, len, indexConst(nb, nl, 1)), t);
    coords[time] = arith::SelectOp::create(nb, nl, inside, rev, t);
    return tensor::ExtractOp::create(nb, nl, x, coords);
  })};
}

} // namespace

void addIndexingOps(OpTable &t) {
  t.add("GatherElements", 11, OpEntry::form(inferGatherElements, lowerGatherElements));
  t.add("GatherND", 11, OpEntry::form(inferGatherND, lowerGatherND)); // batch_dims from 12
  t.add("Scatter", 9, OpEntry::upgradedBy(upgradeScatter)); // ScatterElements, no reduction
  // reduction: add/mul from 16, max/min from 18 (absent before: none).
  t.add("ScatterElements", 11, OpEntry::form(inferScatterElements, lowerScatterElements));
  t.add("ScatterND", 11, OpEntry::form(inferScatterND, lowerScatterND));
  t.add("OneHot", 9, OpEntry::form(inferOneHot, lowerOneHot)); // negative indices from 11
  t.add("Trilu", 14, OpEntry::form(inferTrilu, lowerTrilu));
  t.add("EyeLike", 9, OpEntry::form(inferEyeLike, lowerEyeLike));
  t.add("Compress", 9, OpEntry::form(inferCompress, lowerCompress)); // negative axis from 11
  t.add("ReverseSequence", 10, OpEntry::form(inferReverseSequence, lowerReverseSequence));
}

} // namespace nnm::onnx_to_linalg
