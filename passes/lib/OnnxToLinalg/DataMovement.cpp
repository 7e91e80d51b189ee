//===- DataMovement.cpp - ONNX Transpose, Concat, Split, Slice, Gather, Pad... ===//
//
// Ops that move elements without arithmetic. Their fold rules compute small
// constants element by element (shape subgraphs); their shape rules give kDyn
// dims where an index operand is not a constant yet.
//
//===----------------------------------------------------------------------===//
#include "Common.h"

#include "mlir/IR/AffineMap.h"

using namespace mlir;

namespace nnm::onnx_to_linalg {
namespace {

SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> s(shape.size(), 1);
  for (int64_t i = int64_t(shape.size()) - 2; i >= 0; --i)
    s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/// A constant of `shape` whose element at each index is taken from
/// `sources[src]` at the linear position `pick` returns.
DenseElementsAttr foldByIndex(ArrayRef<DenseElementsAttr> sources, ArrayRef<int64_t> shape,
                              function_ref<std::pair<unsigned, int64_t>(ArrayRef<int64_t>)> pick) {
  SmallVector<SmallVector<Attribute>> vals;
  for (DenseElementsAttr s : sources)
    vals.push_back(SmallVector<Attribute>(s.getValues<Attribute>()));
  int64_t n = productOf(shape);
  SmallVector<Attribute> out;
  SmallVector<int64_t> idx(shape.size(), 0);
  for (int64_t i = 0; i < n; ++i) {
    auto [src, pos] = pick(idx);
    out.push_back(vals[src][pos]);
    for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
      if (++idx[d] < shape[d])
        break;
      idx[d] = 0;
    }
  }
  return DenseElementsAttr::get(tensorOf(shape, sources[0].getElementType()), out);
}

/// Constants with few elements are folded; large ones are left to run time.
bool smallConstant(DenseElementsAttr c) { return c && c.getNumElements() <= 4096; }

/// The op's static result shape (set by its shape rule), or failure.
FailureOr<SmallVector<int64_t>> staticResultShape(const OnnxNode &node, unsigned i = 0) {
  auto t = dyn_cast<RankedTensorType>(node.op->getResult(i).getType());
  if (!t || !t.hasStaticShape())
    return failure();
  return SmallVector<int64_t>(t.getShape());
}

// Transpose --------------------------------------------------------------------

FailureOr<SmallVector<int64_t>> transposePerm(const OnnxNode &node, int64_t rank) {
  SmallVector<int64_t> perm;
  if (auto p = node.getInts("perm"))
    perm.assign(p->begin(), p->end());
  else
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  SmallVector<bool> seen(rank, false);
  if (int64_t(perm.size()) != rank)
    return node.error() << "perm has " << perm.size() << " entries for rank " << rank,
           failure();
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || seen[p])
      return node.error() << "perm is not a permutation of 0.." << rank - 1, failure();
    seen[p] = true;
  }
  return perm;
}

LogicalResult inferTranspose(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 1)) || !node.input(0))
    return node.error() << "needs a ranked input";
  auto in = shapeOf(node.input(0));
  auto perm = transposePerm(node, in.size());
  if (failed(perm))
    return failure();
  SmallVector<int64_t> shape;
  for (int64_t p : *perm)
    shape.push_back(in[p]);
  out.push_back(tensorOf(shape, elementTypeOf(node.input(0))));
  return success();
}

LogicalResult foldTranspose(const OnnxNode &node, Consts consts, Folded &out) {
  auto shape = staticResultShape(node);
  if (!smallConstant(consts[0]) || failed(shape))
    return failure();
  auto in = SmallVector<int64_t>(consts[0].getType().getShape());
  auto perm = transposePerm(node, in.size());
  if (failed(perm))
    return failure();
  auto st = stridesOf(in);
  out.push_back(foldByIndex({consts[0]}, *shape, [&](ArrayRef<int64_t> idx) {
    int64_t pos = 0;
    for (size_t i = 0; i < idx.size(); ++i)
      pos += idx[i] * st[(*perm)[i]];
    return std::make_pair(0u, pos);
  }));
  return success();
}

Result lowerTranspose(OpBuilder &b, const OnnxNode &node) {
  Value x = node.input(0);
  auto perm = transposePerm(node, shapeOf(x).size());
  if (failed(perm))
    return failure();
  SmallVector<int64_t> shape;
  for (int64_t p : *perm)
    shape.push_back(shapeOf(x)[p]);
  Location l = node.loc();
  Value init = emptyTensor(b, l, shape, elementTypeOf(x));
  return Values{linalg::TransposeOp::create(b, l, x, init, *perm).getResult()[0]};
}

// Concat -------------------------------------------------------------------------

LogicalResult inferConcat(const OnnxNode &node, Types &out) {
  Values ins = node.presentInputs();
  if (ins.empty())
    return node.error() << "needs at least one input";
  if (failed(requireRanked(node, node.numInputs())))
    return failure();
  if (!node.has("axis"))
    return node.error() << "needs an axis attribute";
  int64_t rank = shapeOf(ins[0]).size();
  auto axis = normalizeAxis(node, node.getInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  SmallVector<int64_t> shape = shapeOf(ins[0]);
  shape[*axis] = 0;
  for (Value v : ins) {
    auto s = shapeOf(v);
    if (int64_t(s.size()) != rank)
      return node.error() << "inputs have different ranks";
    for (int64_t d = 0; d < rank; ++d) {
      if (d == *axis)
        shape[d] = shape[d] == kDyn || s[d] == kDyn ? kDyn : shape[d] + s[d];
      else if (shape[d] == kDyn)
        shape[d] = s[d];
      else if (s[d] != kDyn && s[d] != shape[d])
        return node.error() << "inputs differ outside the concatenation axis";
    }
  }
  out.push_back(tensorOf(shape, elementTypeOf(ins[0])));
  return success();
}

/// Offsets of each present input along the axis, and the axis.
std::pair<int64_t, SmallVector<int64_t>> concatOffsets(const OnnxNode &node, ValueRange ins) {
  int64_t rank = shapeOf(ins[0]).size();
  int64_t axis = node.getInt("axis", 0);
  if (axis < 0)
    axis += rank;
  SmallVector<int64_t> offsets;
  int64_t off = 0;
  for (Value v : ins) {
    offsets.push_back(off);
    off += shapeOf(v)[axis];
  }
  return {axis, offsets};
}

LogicalResult foldConcat(const OnnxNode &node, Consts consts, Folded &out) {
  Values ins = node.presentInputs();
  SmallVector<DenseElementsAttr> present;
  for (unsigned i = 0; i < node.numInputs(); ++i)
    if (node.input(i))
      present.push_back(consts[i]);
  auto shape = staticResultShape(node);
  if (failed(shape) || !llvm::all_of(present, smallConstant))
    return failure();
  auto [axisV, offsetsV] = concatOffsets(node, ins);
  int64_t axis = axisV;
  SmallVector<int64_t> offsets = offsetsV;
  out.push_back(foldByIndex(present, *shape, [&](ArrayRef<int64_t> idx) {
    unsigned src = 0;
    while (src + 1 < ins.size() && idx[axis] >= offsets[src + 1])
      ++src;
    auto st = stridesOf(shapeOf(ins[src]));
    int64_t pos = 0;
    for (size_t d = 0; d < idx.size(); ++d)
      pos += (int64_t(d) == axis ? idx[d] - offsets[src] : idx[d]) * st[d];
    return std::make_pair(src, pos);
  }));
  return success();
}

/// Concat before opset 4: axis was optional with default 1.
Result upgradeConcat(OpBuilder &b, const OnnxNode &node) {
  auto attrs = attrsWithout(node, {"axis"});
  attrs.push_back(b.getNamedAttr("axis", b.getI64IntegerAttr(node.getInt("axis", 1))));
  return rebuildAs(b, node, 4, node.op->getOperands(), attrs);
}

Result lowerConcat(OpBuilder &b, const OnnxNode &node) {
  Values ins = node.presentInputs();
  SmallVector<Type> types;
  if (failed(inferConcat(node, types)))
    return failure();
  auto shape = shapeOf(ins[0]);
  auto [axis, offsets] = concatOffsets(node, ins);
  shape[axis] = cast<RankedTensorType>(types[0]).getDimSize(axis);
  Location l = node.loc();
  Value acc = emptyTensor(b, l, shape, elementTypeOf(ins[0]));
  int64_t rank = shape.size();
  for (size_t i = 0; i < ins.size(); ++i) {
    if (llvm::is_contained(shapeOf(ins[i]), 0))
      continue; // contributes nothing (and its offset may sit at the end)
    SmallVector<int64_t> off(rank, 0), strides(rank, 1);
    off[axis] = offsets[i];
    acc = tensor::InsertSliceOp::create(b, l, ins[i], acc, ValueRange{}, ValueRange{},
                                        ValueRange{}, off, shapeOf(ins[i]), strides);
  }
  return Values{acc};
}

// Strided reads: Split and Slice ---------------------------------------------------

/// out[i] = x[start + i * step] along each dimension (steps may be negative).
Value strided(OpBuilder &b, Location l, Value x, ArrayRef<int64_t> starts,
              ArrayRef<int64_t> steps, ArrayRef<int64_t> out) {
  int64_t rank = out.size();
  if (llvm::is_contained(out, 0)) // nothing to read; offsets may sit at the end
    return emptyTensor(b, l, out, elementTypeOf(x));
  if (llvm::all_of(steps, [](int64_t s) { return s > 0; })) {
    auto type = RankedTensorType::get(out, elementTypeOf(x));
    return tensor::ExtractSliceOp::create(b, l, type, x, ValueRange{}, ValueRange{},
                                          ValueRange{}, starts, out, steps);
  }
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < rank; ++d)
    exprs.push_back(getAffineDimExpr(d, ctx) * steps[d] + starts[d]);
  return gatherByMap(b, l, x, out, AffineMap::get(rank, 0, exprs, ctx));
}

/// The strided read of constant `c` as a constant.
DenseElementsAttr foldStrided(DenseElementsAttr c, ArrayRef<int64_t> starts,
                              ArrayRef<int64_t> steps, ArrayRef<int64_t> out) {
  auto st = stridesOf(c.getType().getShape());
  if (llvm::is_contained(out, 0))
    return DenseElementsAttr::get(tensorOf(out, c.getElementType()), ArrayRef<Attribute>{});
  return foldByIndex({c}, out, [&](ArrayRef<int64_t> idx) {
    int64_t pos = 0;
    for (size_t d = 0; d < idx.size(); ++d)
      pos += (starts[d] + idx[d] * steps[d]) * st[d];
    return std::make_pair(0u, pos);
  });
}

/// One strided read per output.
struct StridedPlan {
  SmallVector<SmallVector<int64_t>> starts, steps, shapes;
};

/// Split sizes along the axis: the constant `split` input, or `num_outputs`
/// (the result count) chunks of ceil(dim / n), the last one smaller.
FailureOr<StridedPlan> splitPlan(const OnnxNode &node, ArrayRef<int64_t> in, bool diagnose) {
  auto axis = normalizeAxis(node, node.getInt("axis", 0), in.size());
  if (failed(axis))
    return failure();
  int64_t n = node.numResults(), dim = in[*axis];
  SmallVector<int64_t> sizes;
  if (node.input(1)) {
    auto s = constantIntsOf(node, 1, diagnose ? "split" : nullptr);
    if (!s)
      return failure();
    sizes = *s;
  } else {
    if (dim == kDyn)
      return failure();
    int64_t chunk = (dim + n - 1) / n;
    for (int64_t i = 0; i < n; ++i)
      sizes.push_back(std::max<int64_t>(0, std::min(chunk, dim - i * chunk)));
  }
  int64_t sum = 0;
  for (int64_t s : sizes)
    sum += s;
  if (int64_t(sizes.size()) != n || (dim != kDyn && sum != dim))
    return node.error() << "split sizes do not add up to dimension " << dim, failure();
  StridedPlan plan;
  int64_t off = 0;
  for (int64_t s : sizes) {
    SmallVector<int64_t> starts(in.size(), 0), steps(in.size(), 1), shape(in);
    starts[*axis] = off;
    shape[*axis] = s;
    plan.starts.push_back(starts);
    plan.steps.push_back(steps);
    plan.shapes.push_back(shape);
    off += s;
  }
  return plan;
}

LogicalResult inferSplit(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 2)) || !node.input(0))
    return node.error() << "needs a ranked input";
  auto in = shapeOf(node.input(0));
  Type elt = elementTypeOf(node.input(0));
  auto axis = normalizeAxis(node, node.getInt("axis", 0), in.size());
  if (failed(axis))
    return failure();
  bool known = !node.input(1) || constantIntsOf(node, 1);
  if (!known || in[*axis] == kDyn) {
    SmallVector<int64_t> shape(in);
    shape[*axis] = kDyn;
    out.assign(node.numResults(), tensorOf(shape, elt));
    return success();
  }
  auto plan = splitPlan(node, in, true);
  if (failed(plan))
    return failure();
  for (const auto &shape : plan->shapes)
    out.push_back(tensorOf(shape, elt));
  return success();
}

/// The reads of `plan` from a small constant, as constants.
LogicalResult foldPlan(DenseElementsAttr c, FailureOr<StridedPlan> plan, Folded &out) {
  if (failed(plan))
    return failure();
  for (size_t i = 0; i < plan->shapes.size(); ++i)
    out.push_back(foldStrided(c, plan->starts[i], plan->steps[i], plan->shapes[i]));
  return success();
}

LogicalResult foldSplit(const OnnxNode &node, Consts consts, Folded &out) {
  if (!smallConstant(consts[0]))
    return failure();
  return foldPlan(consts[0], splitPlan(node, consts[0].getType().getShape(), false), out);
}

/// The reads of `plan` from `x`, one value per read.
Result lowerPlan(OpBuilder &b, const OnnxNode &node, Value x, FailureOr<StridedPlan> plan) {
  if (failed(plan))
    return failure();
  Values outs;
  for (size_t i = 0; i < plan->shapes.size(); ++i)
    outs.push_back(strided(b, node.loc(), x, plan->starts[i], plan->steps[i], plan->shapes[i]));
  return outs;
}

Result lowerSplit(OpBuilder &b, const OnnxNode &node) {
  Value x = node.input(0);
  return lowerPlan(b, node, x, splitPlan(node, shapeOf(x), true));
}

/// Split before opset 13: the split attribute becomes the input.
Result upgradeSplitAttr(OpBuilder &b, const OnnxNode &node) {
  Values operands{node.input(0)};
  if (auto s = node.getInts("split"))
    operands.push_back(i64Tensor(b, node.loc(), *s));
  else if (node.input(1)) // Split-1 could also take the sizes as a second input
    operands.push_back(node.input(1));
  return rebuildAs(b, node, 13, operands, attrsWithout(node, {"split"}));
}

/// Split 13-17 without sizes splits evenly and refuses a remainder; from 18 the
/// last chunk may be smaller and num_outputs says how many.
Result upgradeSplitEven(OpBuilder &b, const OnnxNode &node) {
  auto attrs = attrsWithout(node, {});
  if (!node.input(1)) {
    auto in = shapeOf(node.input(0));
    auto axis = normalizeAxis(node, node.getInt("axis", 0), in.size());
    if (failed(axis))
      return failure();
    int64_t n = node.numResults(), dim = in[*axis];
    if (dim != kDyn && dim % n)
      return node.error() << "dimension " << dim << " does not split evenly in " << n,
             failure();
    attrs.push_back(b.getNamedAttr("num_outputs", b.getI64IntegerAttr(n)));
  }
  return rebuildAs(b, node, 18, node.op->getOperands(), attrs);
}

/// Slice geometry: per-dimension start, step and output size.
FailureOr<StridedPlan> slicePlan(const OnnxNode &node, ArrayRef<int64_t> in, bool diagnose) {
  int64_t rank = in.size();
  auto need = [&](unsigned i, const char *what) {
    return constantIntsOf(node, i, diagnose ? what : nullptr);
  };
  auto starts = need(1, "starts"), ends = need(2, "ends");
  if (!starts || !ends)
    return failure();
  SmallVector<int64_t> axes, steps;
  if (node.input(3)) {
    auto a = need(3, "axes");
    if (!a)
      return failure();
    axes = *a;
  } else {
    for (size_t i = 0; i < starts->size(); ++i)
      axes.push_back(i);
  }
  if (node.input(4)) {
    auto s = need(4, "steps");
    if (!s)
      return failure();
    steps = *s;
  } else {
    steps.assign(starts->size(), 1);
  }
  if (ends->size() != starts->size() || axes.size() != starts->size() ||
      steps.size() != starts->size())
    return node.error() << "starts, ends, axes and steps differ in length", failure();
  SmallVector<int64_t> fullStart(rank, 0), fullStep(rank, 1), out(in);
  llvm::SmallDenseSet<int64_t> seen;
  for (size_t i = 0; i < starts->size(); ++i) {
    auto ax = normalizeAxis(node, axes[i], rank);
    if (failed(ax))
      return failure();
    if (!seen.insert(*ax).second)
      return node.error() << "axes must be distinct, " << *ax << " appears twice", failure();
    int64_t dim = in[*ax], step = steps[i];
    if (step == 0)
      return node.error() << "steps must not be 0", failure();
    if (dim == kDyn) {
      out[*ax] = kDyn;
      continue;
    }
    auto clampIdx = [&](int64_t v, int64_t lo, int64_t hi) {
      if (v < 0)
        v += dim;
      return std::clamp(v, lo, hi);
    };
    int64_t s, e;
    if (step > 0) {
      s = clampIdx((*starts)[i], 0, dim);
      e = clampIdx((*ends)[i], 0, dim);
    } else {
      s = clampIdx((*starts)[i], 0, dim - 1);
      e = (*ends)[i] < -dim ? -1 : clampIdx((*ends)[i], -1, dim - 1);
    }
    // ceil(distance / |step|) without overflow, for steps up to INT64_MAX / down to INT64_MIN.
    int64_t distance = step > 0 ? e - s : s - e;
    uint64_t magnitude = step > 0 ? uint64_t(step) : uint64_t(-(step + 1)) + 1;
    int64_t len = distance > 0 ? int64_t((uint64_t(distance) - 1) / magnitude + 1) : 0;
    fullStart[*ax] = s;
    fullStep[*ax] = step;
    out[*ax] = std::max<int64_t>(len, 0);
  }
  StridedPlan plan;
  plan.starts.push_back(fullStart);
  plan.steps.push_back(fullStep);
  plan.shapes.push_back(out);
  return plan;
}

LogicalResult inferSlice(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 5)) || !node.input(0))
    return node.error() << "needs a ranked input";
  auto in = shapeOf(node.input(0));
  Type elt = elementTypeOf(node.input(0));
  for (unsigned i = 1; i <= 4; ++i)
    if (node.input(i) && !constantIntsOf(node, i)) {
      out.push_back(tensorOf(SmallVector<int64_t>(in.size(), kDyn), elt));
      return success();
    }
  auto plan = slicePlan(node, in, true);
  if (failed(plan))
    return failure();
  out.push_back(tensorOf(plan->shapes[0], elt));
  return success();
}

LogicalResult foldSlice(const OnnxNode &node, Consts consts, Folded &out) {
  if (!smallConstant(consts[0]))
    return failure();
  return foldPlan(consts[0], slicePlan(node, consts[0].getType().getShape(), false), out);
}

Result lowerSlice(OpBuilder &b, const OnnxNode &node) {
  Value x = node.input(0);
  return lowerPlan(b, node, x, slicePlan(node, shapeOf(x), true));
}

/// Slice before opset 10: starts/ends/axes attributes become inputs.
Result upgradeSlice(OpBuilder &b, const OnnxNode &node) {
  auto s = node.getInts("starts"), e = node.getInts("ends");
  if (!s || !e)
    return node.error() << "missing starts/ends attributes", failure();
  Location l = node.loc();
  Values operands{node.input(0), i64Tensor(b, l, *s), i64Tensor(b, l, *e)};
  if (auto a = node.getInts("axes"))
    operands.push_back(i64Tensor(b, l, *a));
  return rebuildAs(b, node, 10, operands, attrsWithout(node, {"starts", "ends", "axes"}));
}

// Gather -----------------------------------------------------------------------

LogicalResult inferGather(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 2)) || !node.input(0) || !node.input(1))
    return node.error() << "needs data and indices";
  auto ds = shapeOf(node.input(0)), is = shapeOf(node.input(1));
  auto axis = normalizeAxis(node, node.getInt("axis", 0), ds.size());
  if (failed(axis))
    return failure();
  SmallVector<int64_t> shape(ds.begin(), ds.begin() + *axis);
  shape.append(is.begin(), is.end());
  shape.append(ds.begin() + *axis + 1, ds.end());
  out.push_back(tensorOf(shape, elementTypeOf(node.input(0))));
  return success();
}

/// Constant indices, normalized into [0, dim); failure (with a diagnostic when
/// `diagnose`) on an index out of range.
FailureOr<SmallVector<int64_t>> gatherIndices(const OnnxNode &node, DenseElementsAttr c,
                                              int64_t dim, bool diagnose) {
  SmallVector<int64_t> idx;
  for (const APInt &v : c.getValues<APInt>()) {
    int64_t k = v.getSExtValue();
    if (k < -dim || k >= dim) {
      if (diagnose)
        node.error() << "index " << k << " is out of range for dimension " << dim;
      return failure();
    }
    idx.push_back(k < 0 ? k + dim : k);
  }
  return idx;
}

LogicalResult foldGather(const OnnxNode &node, Consts consts, Folded &out) {
  auto shape = staticResultShape(node);
  if (!smallConstant(consts[0]) || !consts[1] || failed(shape))
    return failure();
  auto ds = SmallVector<int64_t>(consts[0].getType().getShape());
  auto is = SmallVector<int64_t>(consts[1].getType().getShape());
  int64_t rank = ds.size(), ir = is.size();
  int64_t axis = node.getInt("axis", 0) < 0 ? node.getInt("axis", 0) + rank : node.getInt("axis", 0);
  auto idxVals = gatherIndices(node, consts[1], ds[axis], false);
  if (failed(idxVals))
    return failure();
  auto dst = stridesOf(ds), ist = stridesOf(is);
  out.push_back(foldByIndex({consts[0]}, *shape, [&](ArrayRef<int64_t> idx) {
    int64_t ipos = 0;
    for (int64_t k = 0; k < ir; ++k)
      ipos += idx[axis + k] * ist[k];
    int64_t pos = 0;
    for (int64_t d = 0; d < rank; ++d) {
      int64_t v = d < axis ? idx[d] : d == axis ? (*idxVals)[ipos] : idx[d + ir - 1];
      pos += v * dst[d];
    }
    return std::make_pair(0u, pos);
  }));
  return success();
}

Result lowerGather(OpBuilder &b, const OnnxNode &node) {
  Value data = node.input(0), indices = node.input(1);
  auto ds = shapeOf(data), is = shapeOf(indices);
  int64_t rank = ds.size();
  auto axis = normalizeAxis(node, node.getInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  SmallVector<int64_t> out(ds.begin(), ds.begin() + *axis);
  out.append(is.begin(), is.end());
  out.append(ds.begin() + *axis + 1, ds.end());
  Location l = node.loc();
  int64_t dim = ds[*axis];
  if (DenseElementsAttr ci = constantOf(indices))
    if (failed(gatherIndices(node, ci, dim, true)))
      return failure();
  // A generic over the output that reads the index and extracts.
  MLIRContext *ctx = b.getContext();
  int64_t outRank = out.size(), ir = is.size();
  SmallVector<AffineExpr> idxExprs;
  for (int64_t k = 0; k < ir; ++k)
    idxExprs.push_back(getAffineDimExpr(*axis + k, ctx));
  SmallVector<AffineMap> maps = {AffineMap::get(outRank, 0, idxExprs, ctx),
                                 AffineMap::getMultiDimIdentityMap(outRank, ctx)};
  SmallVector<utils::IteratorType> iters(outRank, utils::IteratorType::parallel);
  Value init = emptyTensor(b, l, out, elementTypeOf(data));
  auto op = linalg::GenericOp::create(
      b, l, TypeRange{init.getType()}, ValueRange{indices}, ValueRange{init}, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value k = arith::IndexCastOp::create(nb, nl, nb.getIndexType(), a[0]);
        Value dimV = arith::ConstantIndexOp::create(nb, nl, dim);
        Value zero = arith::ConstantIndexOp::create(nb, nl, 0);
        Value isNeg = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, k, zero);
        k = arith::SelectOp::create(nb, nl, isNeg, arith::AddIOp::create(nb, nl, k, dimV), k);
        // Out-of-range indices are undefined in ONNX; clamp so memory stays safe.
        k = arith::MaxSIOp::create(nb, nl, k, zero);
        k = arith::MinSIOp::create(
            nb, nl, k, arith::ConstantIndexOp::create(nb, nl, dim - 1));
        SmallVector<Value> coords;
        for (int64_t d = 0; d < rank; ++d) {
          if (d == *axis)
            coords.push_back(k);
          else
            coords.push_back(linalg::IndexOp::create(nb, nl, d < *axis ? d : d + ir - 1));
        }
        Value v = tensor::ExtractOp::create(nb, nl, data, coords);
        linalg::YieldOp::create(nb, nl, v);
      });
  return Values{op.getResult(0)};
}

// Pad --------------------------------------------------------------------------

/// Begin and end pads per dimension from the constant pads (and axes) inputs.
FailureOr<std::pair<SmallVector<int64_t>, SmallVector<int64_t>>>
padAmounts(const OnnxNode &node, int64_t rank) {
  auto pads = constantIntsOf(node, 1, "pads");
  if (!pads)
    return failure();
  SmallVector<int64_t> axes;
  if (node.input(3)) {
    auto a = constantIntsOf(node, 3, "axes");
    if (!a)
      return failure();
    for (int64_t v : *a) {
      auto n = normalizeAxis(node, v, rank);
      if (failed(n))
        return failure();
      axes.push_back(*n);
    }
  } else {
    for (int64_t i = 0; i < rank; ++i)
      axes.push_back(i);
  }
  if (pads->size() != 2 * axes.size())
    return node.error() << "pads must have " << 2 * axes.size() << " values", failure();
  SmallVector<int64_t> lo(rank, 0), hi(rank, 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    lo[axes[i]] = (*pads)[i];
    hi[axes[i]] = (*pads)[i + axes.size()];
  }
  for (int64_t d = 0; d < rank; ++d)
    if (lo[d] < 0 || hi[d] < 0)
      return node.error() << "negative pads are not supported", failure();
  return std::make_pair(lo, hi);
}

LogicalResult inferPad(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 4)) || !node.input(0) || !node.input(1))
    return node.error() << "needs data and pads";
  auto in = shapeOf(node.input(0));
  Type elt = elementTypeOf(node.input(0));
  if (!constantIntsOf(node, 1) || (node.input(3) && !constantIntsOf(node, 3))) {
    out.push_back(tensorOf(SmallVector<int64_t>(in.size(), kDyn), elt));
    return success();
  }
  auto amounts = padAmounts(node, in.size());
  if (failed(amounts))
    return failure();
  for (size_t d = 0; d < in.size(); ++d)
    if (in[d] != kDyn)
      in[d] += amounts->first[d] + amounts->second[d];
  out.push_back(tensorOf(in, elt));
  return success();
}

/// Pad before opset 11: pads and value attributes become inputs.
Result upgradePad(OpBuilder &b, const OnnxNode &node) {
  auto p = node.getInts(node.has("paddings") ? "paddings" : "pads"); // "paddings" in Pad-1
  if (!p)
    return node.error() << "missing pads attribute", failure();
  Value x = node.input(0);
  Type elt = elementTypeOf(x);
  Location l = node.loc();
  Attribute v = isFloat(elt) ? Attribute(b.getFloatAttr(elt, node.getFloat("value", 0.0)))
                             : Attribute(b.getIntegerAttr(elt, int64_t(node.getFloat("value", 0.0))));
  Value value = constantTensor(b, l, DenseElementsAttr::get(tensorOf({}, elt), v));
  return rebuildAs(b, node, 11, {x, i64Tensor(b, l, *p), value},
                   attrsWithout(node, {"pads", "paddings", "value"}));
}

Result lowerPad(OpBuilder &b, const OnnxNode &node) {
  Value x = node.input(0);
  auto in = shapeOf(x);
  int64_t rank = in.size();
  Type elt = elementTypeOf(x);
  Location l = node.loc();
  auto amounts = padAmounts(node, rank);
  if (failed(amounts))
    return failure();
  SmallVector<int64_t> lo = amounts->first, hi = amounts->second;
  SmallVector<int64_t> out(in);
  for (int64_t d = 0; d < rank; ++d)
    out[d] += lo[d] + hi[d];
  std::string mode = node.getString("mode", "constant");
  if (mode == "constant") {
    Value padValue = node.input(2)
                         ? Value(tensor::ExtractOp::create(b, l, reshapeTo(b, l, node.input(2), {}),
                                                           ValueRange{}))
                         : scalarConst(b, l, elt, 0);
    SmallVector<OpFoldResult> lof, hif;
    for (int64_t d = 0; d < rank; ++d) {
      lof.push_back(b.getIndexAttr(lo[d]));
      hif.push_back(b.getIndexAttr(hi[d]));
    }
    auto type = RankedTensorType::get(out, elt);
    return Values{tensor::PadOp::create(b, l, type, x, lof, hif, padValue, false)};
  }
  if (mode != "edge" && mode != "reflect")
    return node.error() << "unsupported mode '" << mode << "'", failure();
  for (int64_t d = 0; d < rank; ++d)
    if (mode == "reflect" && (lo[d] >= in[d] || hi[d] >= in[d]) && (lo[d] || hi[d]))
      return node.error() << "reflect pads must be smaller than the dimension", failure();
  // edge/reflect: each output element reads a clamped or mirrored input index.
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx)};
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  Value init = emptyTensor(b, l, out, elt);
  bool reflect = mode == "reflect";
  auto op = linalg::GenericOp::create(
      b, l, TypeRange{init.getType()}, ValueRange{}, ValueRange{init}, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange) {
        SmallVector<Value> coords;
        Value zero = arith::ConstantIndexOp::create(nb, nl, 0);
        for (int64_t d = 0; d < rank; ++d) {
          Value i = arith::SubIOp::create(nb, nl, linalg::IndexOp::create(nb, nl, d),
                                          arith::ConstantIndexOp::create(nb, nl, lo[d]));
          Value last = arith::ConstantIndexOp::create(nb, nl, in[d] - 1);
          if (reflect) {
            // i < 0 -> -i ; i > last -> 2*last - i
            Value negI = arith::SubIOp::create(nb, nl, zero, i);
            i = arith::MaxSIOp::create(nb, nl, i, negI);
            Value mirrored = arith::SubIOp::create(
                nb, nl, arith::ConstantIndexOp::create(nb, nl, 2 * (in[d] - 1)), i);
            i = arith::MinSIOp::create(nb, nl, i, mirrored);
          }
          i = arith::MaxSIOp::create(nb, nl, i, zero);
          i = arith::MinSIOp::create(nb, nl, i, last);
          coords.push_back(i);
        }
        linalg::YieldOp::create(nb, nl, tensor::ExtractOp::create(nb, nl, x, coords).getResult());
      });
  return Values{op.getResult(0)};
}

// Expand and Tile ----------------------------------------------------------------

LogicalResult inferExpand(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 2)) || !node.input(0) || !node.input(1))
    return node.error() << "needs input and shape";
  auto in = shapeOf(node.input(0));
  Type elt = elementTypeOf(node.input(0));
  auto s = constantIntsOf(node, 1);
  if (!s) {
    auto st = node.inputType(1);
    if (st.getRank() != 1 || st.isDynamicDim(0))
      return node.error() << "shape must be a 1-D tensor of known length";
    int64_t rank = std::max<int64_t>(in.size(), st.getDimSize(0));
    out.push_back(tensorOf(SmallVector<int64_t>(rank, kDyn), elt));
    return success();
  }
  for (int64_t d : *s)
    if (d < 0)
      return node.error() << "negative dimension " << d << " in shape";
  auto shape = broadcastShapes({in, *s});
  if (failed(shape))
    return node.error() << "input shape cannot be broadcast to the shape input";
  out.push_back(tensorOf(*shape, elt));
  return success();
}

/// Element position in a constant of shape `in` read by broadcasting (or,
/// with `wrap`, tiling) it to the output index `idx`.
int64_t broadcastPos(ArrayRef<int64_t> in, ArrayRef<int64_t> st, ArrayRef<int64_t> idx,
                     bool wrap) {
  int64_t off = idx.size() - in.size(), pos = 0;
  for (size_t d = 0; d < in.size(); ++d)
    pos += (wrap ? idx[off + d] % in[d] : (in[d] == 1 ? 0 : idx[off + d])) * st[d];
  return pos;
}

/// Expand/Tile of a small (or splat) constant.
LogicalResult foldExpandLike(const OnnxNode &node, Consts consts, Folded &out, bool wrap) {
  auto shape = staticResultShape(node);
  if (!consts[0] || failed(shape))
    return failure();
  auto type = tensorOf(*shape, consts[0].getElementType());
  if (consts[0].isSplat()) {
    out.push_back(DenseElementsAttr::get(type, consts[0].getSplatValue<Attribute>()));
    return success();
  }
  if (!smallConstant(consts[0]) || productOf(*shape) > 4096)
    return failure();
  auto in = SmallVector<int64_t>(consts[0].getType().getShape());
  auto st = stridesOf(in);
  out.push_back(foldByIndex({consts[0]}, *shape, [&](ArrayRef<int64_t> idx) {
    return std::make_pair(0u, broadcastPos(in, st, idx, wrap));
  }));
  return success();
}

LogicalResult foldExpand(const OnnxNode &node, Consts consts, Folded &out) {
  return foldExpandLike(node, consts, out, false);
}

Result lowerExpand(OpBuilder &b, const OnnxNode &node) {
  if (!constantIntsOf(node, 1, "shape"))
    return failure();
  SmallVector<Type> types;
  if (failed(inferExpand(node, types)))
    return failure();
  Value x = node.input(0);
  auto shape = cast<RankedTensorType>(types[0]).getShape();
  if (shape == ArrayRef<int64_t>(shapeOf(x)))
    return Values{x};
  if (productOf(shape) == 0)
    return Values{emptyTensor(b, node.loc(), shape, elementTypeOf(x))};
  return Values{buildElementwise(b, node.loc(), ValueRange{x}, shape, elementTypeOf(x),
                                 [](OpBuilder &, Location, ValueRange a) { return a[0]; })};
}

LogicalResult inferTile(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 2)) || !node.input(0) || !node.input(1))
    return node.error() << "needs input and repeats";
  auto in = shapeOf(node.input(0));
  Type elt = elementTypeOf(node.input(0));
  auto r = constantIntsOf(node, 1);
  if (!r) {
    out.push_back(tensorOf(SmallVector<int64_t>(in.size(), kDyn), elt));
    return success();
  }
  if (r->size() != in.size())
    return node.error() << "repeats has " << r->size() << " values for rank " << in.size();
  for (size_t d = 0; d < in.size(); ++d) {
    if ((*r)[d] < 0)
      return node.error() << "negative repeat " << (*r)[d];
    if (in[d] != kDyn)
      in[d] = saturatingMul(in[d], (*r)[d]);
  }
  out.push_back(tensorOf(in, elt));
  return success();
}

LogicalResult foldTile(const OnnxNode &node, Consts consts, Folded &out) {
  return foldExpandLike(node, consts, out, true);
}

/// out[i] = x[i mod dim] along every dimension.
Result lowerTile(OpBuilder &b, const OnnxNode &node) {
  if (!constantIntsOf(node, 1, "repeats"))
    return failure();
  SmallVector<Type> types;
  if (failed(inferTile(node, types)))
    return failure();
  Value x = node.input(0);
  auto in = shapeOf(x);
  auto out = SmallVector<int64_t>(cast<RankedTensorType>(types[0]).getShape());
  Location l = node.loc();
  MLIRContext *ctx = b.getContext();
  int64_t rank = out.size();
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < rank; ++d)
    exprs.push_back(in[d] == out[d] ? getAffineDimExpr(d, ctx)
                                    : getAffineDimExpr(d, ctx) % in[d]);
  return Values{gatherByMap(b, l, x, out, AffineMap::get(rank, 0, exprs, ctx))};
}

} // namespace

void addDataMovementOps(OpTable &t) {
  t.add("Transpose", 1, OpEntry::form(inferTranspose, lowerTranspose, foldTranspose));
  t.add("Concat", 1, OpEntry::upgradedBy(upgradeConcat)); // axis optional, default 1
  t.add("Concat", 4, OpEntry::form(inferConcat, lowerConcat, foldConcat));
  t.add("Split", 1, OpEntry::upgradedBy(upgradeSplitAttr));  // split attribute
  t.add("Split", 13, OpEntry::upgradedBy(upgradeSplitEven)); // even split only
  t.add("Split", 18, OpEntry::form(inferSplit, lowerSplit, foldSplit));
  t.add("Slice", 1, OpEntry::upgradedBy(upgradeSlice)); // starts/ends/axes attributes
  t.add("Slice", 10, OpEntry::form(inferSlice, lowerSlice, foldSlice));
  t.add("Gather", 1, OpEntry::form(inferGather, lowerGather, foldGather));
  t.add("Pad", 1, OpEntry::upgradedBy(upgradePad)); // paddings (1), pads (2) and value
  t.add("Pad", 11, OpEntry::form(inferPad, lowerPad));
  t.add("Expand", 8, OpEntry::form(inferExpand, lowerExpand, foldExpand));
  t.add("Tile", 6, OpEntry::form(inferTile, lowerTile, foldTile));
}

} // namespace nnm::onnx_to_linalg
