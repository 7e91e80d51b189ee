//===- Shape.cpp - ONNX shape and data-movement ops to linalg/tensor ------===//
//
// Shape-like operands (Reshape's shape, Slice's starts, ...) must be known at
// compile time. When the data operands are constants too (shape subgraphs such
// as Shape -> Gather -> Concat -> Reshape), the result is folded to a constant.
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

/// Builds a constant of `shape` whose element at each index is taken from
/// `sources[src]` at the linear position `pick` returns.
Value foldByIndex(OpBuilder &b, Location l, ArrayRef<DenseElementsAttr> sources,
                  ArrayRef<int64_t> shape,
                  function_ref<std::pair<unsigned, int64_t>(ArrayRef<int64_t>)> pick) {
  SmallVector<SmallVector<Attribute>> vals;
  for (DenseElementsAttr s : sources)
    vals.push_back(SmallVector<Attribute>(s.getValues<Attribute>()));
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
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
  auto type = RankedTensorType::get(shape, sources[0].getElementType());
  return constantTensor(b, l, DenseElementsAttr::get(type, out));
}

/// Constants with few elements are folded; large ones are left to run time.
bool smallConstant(DenseElementsAttr c) { return c && c.getNumElements() <= 4096; }

// Reshape family ---------------------------------------------------------------

Result lowerReshape(OpBuilder &b, const OnnxNode &node) {
  Value x = node.input(0);
  auto in = shapeOf(x);
  SmallVector<int64_t> target;
  if (node.opset < 5) {
    auto s = node.getInts("shape");
    if (!s)
      return node.error() << "missing shape attribute", failure();
    target.assign(s->begin(), s->end());
  } else {
    auto s = constantInts(node, 1, "shape");
    if (failed(s))
      return failure();
    target = *s;
  }
  bool allowZero = node.getInt("allowzero", 0);
  int64_t known = 1, inferAt = -1, total = 1;
  for (int64_t d : in)
    total *= d;
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
    } else if (target[i] < 0) {
      return node.error() << "invalid shape value " << target[i], failure();
    } else {
      known *= target[i];
    }
  }
  if (inferAt >= 0)
    target[inferAt] = known ? total / known : 0;
  int64_t count = 1;
  for (int64_t d : target)
    count *= d;
  if (count != total)
    return node.error() << "cannot reshape " << total << " elements into " << count,
           failure();
  return Values{reshapeTo(b, node.loc(), x, target)};
}

Result lowerFlatten(OpBuilder &b, const OnnxNode &node) {
  Value x = node.input(0);
  auto in = shapeOf(x);
  int64_t rank = in.size(), axis = node.getInt("axis", 1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis > rank)
    return node.error() << "axis " << node.getInt("axis", 1) << " out of range", failure();
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < rank; ++i)
    (i < axis ? outer : inner) *= in[i];
  return Values{reshapeTo(b, node.loc(), x, {outer, inner})};
}

/// Squeeze/Unsqueeze axes: attribute before opset 13, input from 13.
FailureOr<SmallVector<int64_t>> axesOperand(const OnnxNode &node, bool required) {
  if (node.opset >= 13) {
    if (!node.input(1)) {
      if (required)
        return node.error() << "missing axes input", failure();
      return SmallVector<int64_t>{};
    }
    return constantInts(node, 1, "axes");
  }
  if (auto a = node.getInts("axes"))
    return SmallVector<int64_t>(*a);
  if (required)
    return node.error() << "missing axes attribute", failure();
  return SmallVector<int64_t>{};
}

Result lowerSqueeze(OpBuilder &b, const OnnxNode &node) {
  Value x = node.input(0);
  auto in = shapeOf(x);
  auto axes = axesOperand(node, false);
  if (failed(axes))
    return failure();
  SmallVector<bool> drop(in.size(), false);
  if (axes->empty()) {
    for (size_t i = 0; i < in.size(); ++i)
      drop[i] = in[i] == 1;
  }
  for (int64_t a : *axes) {
    auto n = normalizeAxis(node, a, in.size());
    if (failed(n))
      return failure();
    if (in[*n] != 1)
      return node.error() << "cannot squeeze axis " << a << " of size " << in[*n], failure();
    drop[*n] = true;
  }
  SmallVector<int64_t> out;
  for (size_t i = 0; i < in.size(); ++i)
    if (!drop[i])
      out.push_back(in[i]);
  return Values{reshapeTo(b, node.loc(), x, out)};
}

Result lowerUnsqueeze(OpBuilder &b, const OnnxNode &node) {
  Value x = node.input(0);
  auto in = shapeOf(x);
  auto axes = axesOperand(node, true);
  if (failed(axes))
    return failure();
  int64_t rank = in.size() + axes->size();
  SmallVector<bool> inserted(rank, false);
  for (int64_t a : *axes) {
    auto n = normalizeAxis(node, a, rank);
    if (failed(n))
      return failure();
    if (inserted[*n])
      return node.error() << "axis " << a << " repeats", failure();
    inserted[*n] = true;
  }
  SmallVector<int64_t> out;
  size_t j = 0;
  for (int64_t i = 0; i < rank; ++i)
    out.push_back(inserted[i] ? 1 : in[j++]);
  return Values{reshapeTo(b, node.loc(), x, out)};
}

// Transpose --------------------------------------------------------------------

Result lowerTranspose(OpBuilder &b, const OnnxNode &node) {
  Value x = node.input(0);
  auto in = shapeOf(x);
  int64_t rank = in.size();
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
  SmallVector<int64_t> out;
  for (int64_t p : perm)
    out.push_back(in[p]);
  Location l = node.loc();
  if (DenseElementsAttr c = constantOf(x); smallConstant(c)) {
    auto st = stridesOf(in);
    return Values{foldByIndex(b, l, {c}, out, [&](ArrayRef<int64_t> idx) {
      int64_t pos = 0;
      for (int64_t i = 0; i < rank; ++i)
        pos += idx[i] * st[perm[i]];
      return std::make_pair(0u, pos);
    })};
  }
  Value init = emptyTensor(b, l, out, elementTypeOf(x));
  return Values{linalg::TransposeOp::create(b, l, x, init, perm).getResult()[0]};
}

// Concat / Split ---------------------------------------------------------------

Result lowerConcat(OpBuilder &b, const OnnxNode &node) {
  Values ins;
  for (unsigned i = 0; i < node.numInputs(); ++i)
    if (Value v = node.input(i))
      ins.push_back(v);
  if (ins.empty())
    return node.error() << "needs at least one input", failure();
  int64_t rank = shapeOf(ins[0]).size();
  auto axis = normalizeAxis(node, node.getInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  SmallVector<int64_t> out = shapeOf(ins[0]);
  out[*axis] = 0;
  SmallVector<int64_t> offsets;
  for (Value v : ins) {
    auto s = shapeOf(v);
    for (int64_t d = 0; d < rank; ++d)
      if (d != *axis && (int64_t(s.size()) != rank || s[d] != out[d]))
        return node.error() << "inputs differ outside the concatenation axis", failure();
    offsets.push_back(out[*axis]);
    out[*axis] += s[*axis];
  }
  Location l = node.loc();
  SmallVector<DenseElementsAttr> consts;
  for (Value v : ins)
    consts.push_back(constantOf(v));
  if (llvm::all_of(consts, smallConstant)) {
    return Values{foldByIndex(b, l, consts, out, [&](ArrayRef<int64_t> idx) {
      unsigned src = 0;
      while (src + 1 < ins.size() && idx[*axis] >= offsets[src + 1])
        ++src;
      auto s = shapeOf(ins[src]);
      auto st = stridesOf(s);
      int64_t pos = 0;
      for (int64_t d = 0; d < rank; ++d)
        pos += (d == *axis ? idx[d] - offsets[src] : idx[d]) * st[d];
      return std::make_pair(src, pos);
    })};
  }
  Value acc = emptyTensor(b, l, out, elementTypeOf(ins[0]));
  for (size_t i = 0; i < ins.size(); ++i) {
    if (llvm::is_contained(shapeOf(ins[i]), 0))
      continue; // contributes nothing (and its offset may sit at the end)
    SmallVector<int64_t> off(rank, 0), strides(rank, 1);
    off[*axis] = offsets[i];
    acc = tensor::InsertSliceOp::create(b, l, ins[i], acc, ValueRange{}, ValueRange{},
                                        ValueRange{}, off, shapeOf(ins[i]), strides);
  }
  return Values{acc};
}

/// out[i] = x[start + i * step] along each dimension (steps may be negative).
Value strided(OpBuilder &b, Location l, Value x, ArrayRef<int64_t> starts,
              ArrayRef<int64_t> steps, ArrayRef<int64_t> out) {
  auto in = shapeOf(x);
  int64_t rank = in.size();
  if (llvm::is_contained(out, 0)) // nothing to read; offsets may sit at the end
    return emptyTensor(b, l, out, elementTypeOf(x));
  if (DenseElementsAttr c = constantOf(x); smallConstant(c)) {
    auto st = stridesOf(in);
    return foldByIndex(b, l, {c}, out, [&](ArrayRef<int64_t> idx) {
      int64_t pos = 0;
      for (int64_t d = 0; d < rank; ++d)
        pos += (starts[d] + idx[d] * steps[d]) * st[d];
      return std::make_pair(0u, pos);
    });
  }
  if (llvm::all_of(steps, [](int64_t s) { return s > 0; })) {
    auto type = RankedTensorType::get(out, elementTypeOf(x));
    return tensor::ExtractSliceOp::create(b, l, type, x, ValueRange{}, ValueRange{},
                                          ValueRange{}, starts, out, steps);
  }
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < rank; ++d)
    exprs.push_back(getAffineDimExpr(d, ctx) * steps[d] + starts[d]);
  SmallVector<AffineMap> maps = {AffineMap::get(rank, 0, exprs, ctx),
                                 AffineMap::getMultiDimIdentityMap(rank, ctx)};
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  Value init = emptyTensor(b, l, out, elementTypeOf(x));
  return linalg::GenericOp::create(
             b, l, TypeRange{init.getType()}, ValueRange{x}, ValueRange{init}, maps, iters,
             [](OpBuilder &nb, Location nl, ValueRange a) { linalg::YieldOp::create(nb, nl, a[0]); })
      .getResult(0);
}

Result lowerSplit(OpBuilder &b, const OnnxNode &node) {
  Value x = node.input(0);
  auto in = shapeOf(x);
  auto axis = normalizeAxis(node, node.getInt("axis", 0), in.size());
  if (failed(axis))
    return failure();
  int64_t n = node.op->getNumResults();
  SmallVector<int64_t> sizes;
  if (node.opset >= 13 && node.input(1)) {
    auto s = constantInts(node, 1, "split");
    if (failed(s))
      return failure();
    sizes = *s;
  } else if (auto s = node.getInts("split"); node.opset < 13 && s) {
    sizes.assign(s->begin(), s->end());
  } else {
    // Even split; from opset 18 the last chunk may be smaller.
    int64_t dim = in[*axis], chunk = (dim + n - 1) / n;
    if (node.opset < 18 && dim % n)
      return node.error() << "dimension " << dim << " does not split evenly in " << n,
             failure();
    for (int64_t i = 0; i < n; ++i)
      sizes.push_back(std::min(chunk, dim - i * chunk));
  }
  int64_t sum = 0;
  for (int64_t s : sizes)
    sum += s;
  if (int64_t(sizes.size()) != n || sum != in[*axis])
    return node.error() << "split sizes do not add up to dimension " << in[*axis], failure();
  Values outs;
  int64_t off = 0;
  for (int64_t s : sizes) {
    SmallVector<int64_t> starts(in.size(), 0), steps(in.size(), 1), shape(in);
    starts[*axis] = off;
    shape[*axis] = s;
    outs.push_back(strided(b, node.loc(), x, starts, steps, shape));
    off += s;
  }
  return outs;
}

// Slice ------------------------------------------------------------------------

Result lowerSlice(OpBuilder &b, const OnnxNode &node) {
  Value x = node.input(0);
  auto in = shapeOf(x);
  int64_t rank = in.size();
  SmallVector<int64_t> starts, ends, axes, steps;
  if (node.opset < 10) {
    auto s = node.getInts("starts"), e = node.getInts("ends");
    if (!s || !e)
      return node.error() << "missing starts/ends attributes", failure();
    starts.assign(s->begin(), s->end());
    ends.assign(e->begin(), e->end());
    if (auto a = node.getInts("axes"))
      axes.assign(a->begin(), a->end());
  } else {
    auto s = constantInts(node, 1, "starts"), e = constantInts(node, 2, "ends");
    if (failed(s) || failed(e))
      return failure();
    starts = *s;
    ends = *e;
    if (node.input(3)) {
      auto a = constantInts(node, 3, "axes");
      if (failed(a))
        return failure();
      axes = *a;
    }
    if (node.input(4)) {
      auto st = constantInts(node, 4, "steps");
      if (failed(st))
        return failure();
      steps = *st;
    }
  }
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return node.error() << "starts, ends, axes and steps differ in length", failure();
  SmallVector<int64_t> fullStart(rank, 0), fullStep(rank, 1), out(in);
  for (size_t i = 0; i < starts.size(); ++i) {
    auto ax = normalizeAxis(node, axes[i], rank);
    if (failed(ax))
      return failure();
    int64_t dim = in[*ax], step = steps[i];
    if (step == 0)
      return node.error() << "steps must not be 0", failure();
    auto clampIdx = [&](int64_t v, int64_t lo, int64_t hi) {
      if (v < 0)
        v += dim;
      return std::clamp(v, lo, hi);
    };
    int64_t s, e;
    if (step > 0) {
      s = clampIdx(starts[i], 0, dim);
      e = clampIdx(ends[i], 0, dim);
    } else {
      s = clampIdx(starts[i], 0, dim - 1);
      e = ends[i] < -dim ? -1 : clampIdx(ends[i], -1, dim - 1);
    }
    int64_t len = step > 0 ? (e - s + step - 1) / step : (s - e + (-step) - 1) / (-step);
    fullStart[*ax] = s;
    fullStep[*ax] = step;
    out[*ax] = std::max<int64_t>(len, 0);
  }
  return Values{strided(b, node.loc(), x, fullStart, fullStep, out)};
}

// Gather -----------------------------------------------------------------------

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
  DenseElementsAttr ci = constantOf(indices);
  SmallVector<int64_t> idxVals;
  if (ci) {
    for (const APInt &v : ci.getValues<APInt>()) {
      int64_t k = v.getSExtValue();
      if (k < -dim || k >= dim)
        return node.error() << "index " << k << " is out of range for dimension " << dim,
               failure();
      idxVals.push_back(k < 0 ? k + dim : k);
    }
    if (DenseElementsAttr cd = constantOf(data); smallConstant(cd)) {
      auto dst = stridesOf(ds), ist = stridesOf(is);
      int64_t ir = is.size();
      return Values{foldByIndex(b, l, {cd}, out, [&](ArrayRef<int64_t> idx) {
        int64_t ipos = 0;
        for (int64_t k = 0; k < ir; ++k)
          ipos += idx[*axis + k] * ist[k];
        int64_t pos = 0;
        for (int64_t d = 0; d < rank; ++d) {
          int64_t v = d < *axis ? idx[d] : d == *axis ? idxVals[ipos] : idx[d + ir - 1];
          pos += v * dst[d];
        }
        return std::make_pair(0u, pos);
      })};
    }
  }
  // General form: a generic over the output that reads the index and extracts.
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

Result lowerPad(OpBuilder &b, const OnnxNode &node) {
  Value x = node.input(0);
  auto in = shapeOf(x);
  int64_t rank = in.size();
  Type elt = elementTypeOf(x);
  Location l = node.loc();
  SmallVector<int64_t> pads;
  double constant = 0;
  Value padValue;
  if (node.opset < 11) {
    auto p = node.getInts("pads");
    if (!p)
      return node.error() << "missing pads attribute", failure();
    pads.assign(p->begin(), p->end());
    constant = node.getFloat("value", 0.0);
  } else {
    auto p = constantInts(node, 1, "pads");
    if (failed(p))
      return failure();
    pads = *p;
    if (Value cv = node.input(2))
      padValue = tensor::ExtractOp::create(b, l, reshapeTo(b, l, cv, {}), ValueRange{});
  }
  SmallVector<int64_t> axes;
  if (node.opset >= 18 && node.input(3)) {
    auto a = constantInts(node, 3, "axes");
    if (failed(a))
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
  if (pads.size() != 2 * axes.size())
    return node.error() << "pads must have " << 2 * axes.size() << " values", failure();
  SmallVector<int64_t> lo(rank, 0), hi(rank, 0), out(in);
  for (size_t i = 0; i < axes.size(); ++i) {
    lo[axes[i]] = pads[i];
    hi[axes[i]] = pads[i + axes.size()];
  }
  for (int64_t d = 0; d < rank; ++d) {
    if (lo[d] < 0 || hi[d] < 0)
      return node.error() << "negative pads are not supported", failure();
    out[d] += lo[d] + hi[d];
  }
  std::string mode = node.getString("mode", "constant");
  if (mode == "constant") {
    if (!padValue)
      padValue = scalarConst(b, l, elt, constant);
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

// Constants --------------------------------------------------------------------

Result lowerShape(OpBuilder &b, const OnnxNode &node) {
  auto in = shapeOf(node.input(0));
  int64_t rank = in.size();
  int64_t start = node.getInt("start", 0), end = node.getInt("end", rank);
  if (start < 0)
    start += rank;
  if (end < 0)
    end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, start, rank);
  SmallVector<int64_t> dims(in.begin() + start, in.begin() + end);
  auto type = RankedTensorType::get({int64_t(dims.size())}, b.getI64Type());
  return Values{constantTensor(b, node.loc(), DenseElementsAttr::get(type, ArrayRef(dims)))};
}

Result lowerConstantOfShape(OpBuilder &b, const OnnxNode &node) {
  SmallVector<int64_t> shape;
  if (node.input(0) && shapeOf(node.input(0)) != SmallVector<int64_t>{0}) {
    auto s = constantInts(node, 0, "shape");
    if (failed(s))
      return failure();
    shape = *s;
  }
  for (int64_t d : shape)
    if (d < 0)
      return node.error() << "negative dimension " << d, failure();
  DenseElementsAttr value = node.getTensor("value");
  Attribute scalar = value ? *value.value_begin<Attribute>() : b.getF32FloatAttr(0);
  Type elt = value ? value.getElementType() : b.getF32Type();
  auto type = RankedTensorType::get(shape, elt);
  return Values{constantTensor(b, node.loc(), DenseElementsAttr::get(type, scalar))};
}

Result lowerConstant(OpBuilder &b, const OnnxNode &node) {
  Location l = node.loc();
  if (DenseElementsAttr v = node.getTensor("value"))
    return Values{constantTensor(b, l, v)};
  auto make = [&](Type elt, ArrayRef<int64_t> shape, ArrayRef<Attribute> vals) {
    return Values{constantTensor(b, l, DenseElementsAttr::get(
                                           RankedTensorType::get(shape, elt), vals))};
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
  return node.error() << "needs a value, value_float(s) or value_int(s) attribute", failure();
}

} // namespace

void addShapeLowerings(LoweringTable &t) {
  t.add("Reshape", 1, lowerReshape);
  t.add("Reshape", 5, lowerReshape); // shape became an input
  t.add("Flatten", 1, lowerFlatten);
  t.add("Squeeze", 1, lowerSqueeze);
  t.add("Squeeze", 13, lowerSqueeze); // axes became an input
  t.add("Unsqueeze", 1, lowerUnsqueeze);
  t.add("Unsqueeze", 13, lowerUnsqueeze);
  t.add("Transpose", 1, lowerTranspose);
  t.add("Concat", 4, lowerConcat);
  t.add("Split", 2, lowerSplit);
  t.add("Split", 13, lowerSplit); // split became an input
  t.add("Slice", 1, lowerSlice);
  t.add("Slice", 10, lowerSlice); // starts/ends/axes/steps became inputs
  t.add("Gather", 1, lowerGather);
  t.add("Pad", 2, lowerPad);
  t.add("Pad", 11, lowerPad); // pads and value became inputs
  t.add("Shape", 1, lowerShape);
  t.add("ConstantOfShape", 9, lowerConstantOfShape);
  t.add("Constant", 1, lowerConstant);
}

} // namespace nnm::onnx_to_linalg
