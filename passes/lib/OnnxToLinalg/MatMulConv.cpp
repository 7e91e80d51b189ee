//===- MatMulConv.cpp - ONNX MatMul, Gemm and Conv to linalg --------------===//
//
// Contractions are emitted as linalg.generic (MatMul, Gemm) or named linalg
// convolutions, so a later pass can route them to a kernel library.
//
//===----------------------------------------------------------------------===//
#include "Common.h"

#include "mlir/IR/AffineMap.h"

using namespace mlir;

namespace nnm::onnx_to_linalg {
namespace {

/// C[b..., m, n] = sum_k A[b..., m, k] * B[b..., k, n] with broadcast batch
/// dimensions; A and B have rank >= 2. `transA`/`transB` swap the last two dims.
Value contract(OpBuilder &b, Location l, Value lhs, Value rhs, ArrayRef<int64_t> batch,
               bool transA = false, bool transB = false) {
  MLIRContext *ctx = b.getContext();
  auto as = shapeOf(lhs), bs = shapeOf(rhs);
  int64_t nb = batch.size();
  int64_t m = transA ? as[as.size() - 1] : as[as.size() - 2];
  int64_t n = transB ? bs[bs.size() - 2] : bs[bs.size() - 1];
  // Loops: batch..., m, n, k.
  int64_t loops = nb + 3;
  AffineExpr dm = getAffineDimExpr(nb, ctx), dn = getAffineDimExpr(nb + 1, ctx),
             dk = getAffineDimExpr(nb + 2, ctx);
  auto operandMap = [&](ArrayRef<int64_t> shape, AffineExpr r, AffineExpr c) {
    SmallVector<AffineExpr> exprs;
    int64_t rankBatch = shape.size() - 2, off = nb - rankBatch;
    for (int64_t i = 0; i < rankBatch; ++i)
      exprs.push_back(shape[i] == 1 && batch[off + i] != 1 ? getAffineConstantExpr(0, ctx)
                                                            : getAffineDimExpr(off + i, ctx));
    exprs.push_back(r);
    exprs.push_back(c);
    return AffineMap::get(loops, 0, exprs, ctx);
  };
  SmallVector<AffineExpr> outExprs;
  for (int64_t i = 0; i < nb + 2; ++i)
    outExprs.push_back(getAffineDimExpr(i, ctx));
  SmallVector<AffineMap> maps = {
      transA ? operandMap(as, dk, dm) : operandMap(as, dm, dk),
      transB ? operandMap(bs, dn, dk) : operandMap(bs, dk, dn),
      AffineMap::get(loops, 0, outExprs, ctx)};
  SmallVector<utils::IteratorType> iters(nb + 2, utils::IteratorType::parallel);
  iters.push_back(utils::IteratorType::reduction);
  SmallVector<int64_t> outShape(batch);
  outShape.push_back(m);
  outShape.push_back(n);
  Type elt = elementTypeOf(lhs);
  Value init = filledTensor(b, l, outShape, scalarConst(b, l, elt, 0));
  auto op = linalg::GenericOp::create(
      b, l, TypeRange{init.getType()}, ValueRange{lhs, rhs}, ValueRange{init}, maps, iters,
      [&](OpBuilder &nb2, Location nl, ValueRange a) {
        Value p = mulS(nb2, nl, a[0], a[1]);
        linalg::YieldOp::create(nb2, nl, addS(nb2, nl, a[2], p));
      });
  return op.getResult(0);
}

Result lowerMatMul(OpBuilder &b, const OnnxNode &node) {
  Location l = node.loc();
  Value lhs = node.input(0), rhs = node.input(1);
  auto as = shapeOf(lhs), bs = shapeOf(rhs);
  if (elementTypeOf(lhs) != elementTypeOf(rhs))
    return node.error() << "operands have different element types", failure();
  if (as.empty() || bs.empty())
    return node.error() << "operands must have rank >= 1", failure();
  // numpy.matmul: a 1-D left operand gains a leading 1, a 1-D right one a trailing 1,
  // and both are removed from the result.
  bool vecA = as.size() == 1, vecB = bs.size() == 1;
  if (vecA)
    lhs = reshapeTo(b, l, lhs, {1, as[0]}), as = shapeOf(lhs);
  if (vecB)
    rhs = reshapeTo(b, l, rhs, {bs[0], 1}), bs = shapeOf(rhs);
  if (as.back() != bs[bs.size() - 2])
    return node.error() << "inner dimensions differ (" << as.back() << " vs "
                        << bs[bs.size() - 2] << ")", failure();
  auto batch = broadcastShapes({SmallVector<int64_t>(as.begin(), as.end() - 2),
                                SmallVector<int64_t>(bs.begin(), bs.end() - 2)});
  if (failed(batch))
    return node.error() << "batch dimensions cannot be broadcast", failure();
  Value r = contract(b, l, lhs, rhs, *batch);
  SmallVector<int64_t> outShape(*batch);
  if (!vecA)
    outShape.push_back(as[as.size() - 2]);
  if (!vecB)
    outShape.push_back(bs.back());
  return Values{reshapeTo(b, l, r, outShape)};
}

/// numpy.matmul's result shape; inner dimensions are checked when both are known.
LogicalResult inferMatMul(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 2)) || !node.input(0) || !node.input(1))
    return node.error() << "needs two ranked inputs";
  auto as = shapeOf(node.input(0)), bs = shapeOf(node.input(1));
  if (as.empty() || bs.empty())
    return node.error() << "operands must have rank >= 1";
  bool vecA = as.size() == 1, vecB = bs.size() == 1;
  if (vecA)
    as.insert(as.begin(), 1);
  if (vecB)
    bs.push_back(1);
  int64_t ka = as.back(), kb = bs[bs.size() - 2];
  if (ka != kDyn && kb != kDyn && ka != kb)
    return node.error() << "inner dimensions differ (" << ka << " vs " << kb << ")";
  auto batch = broadcastShapes({SmallVector<int64_t>(as.begin(), as.end() - 2),
                                SmallVector<int64_t>(bs.begin(), bs.end() - 2)});
  if (failed(batch))
    return node.error() << "batch dimensions cannot be broadcast";
  SmallVector<int64_t> shape(*batch);
  if (!vecA)
    shape.push_back(as[as.size() - 2]);
  if (!vecB)
    shape.push_back(bs.back());
  out.push_back(tensorOf(shape, elementTypeOf(node.input(0))));
  return success();
}

LogicalResult inferGemm(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 3)) || !node.input(0) || !node.input(1))
    return node.error() << "needs two ranked inputs";
  auto as = shapeOf(node.input(0)), bs = shapeOf(node.input(1));
  if (as.size() != 2 || bs.size() != 2)
    return node.error() << "A and B must be matrices";
  bool ta = node.getInt("transA", 0), tb = node.getInt("transB", 0);
  out.push_back(tensorOf({ta ? as[1] : as[0], tb ? bs[0] : bs[1]},
                         elementTypeOf(node.input(0))));
  return success();
}

Result lowerGemm(OpBuilder &b, const OnnxNode &node) {
  Location l = node.loc();
  Value a = node.input(0), bm = node.input(1), c = node.input(2);
  if (shapeOf(a).size() != 2 || shapeOf(bm).size() != 2)
    return node.error() << "A and B must be matrices", failure();
  if (elementTypeOf(a) != elementTypeOf(bm) || (c && elementTypeOf(c) != elementTypeOf(a)))
    return node.error() << "operands have different element types", failure();
  bool ta = node.getInt("transA", 0), tb = node.getInt("transB", 0);
  auto as = shapeOf(a), bs = shapeOf(bm);
  int64_t k1 = ta ? as[0] : as[1], k2 = tb ? bs[1] : bs[0];
  if (k1 != k2)
    return node.error() << "inner dimensions differ (" << k1 << " vs " << k2 << ")", failure();
  Value ab = contract(b, l, a, bm, {}, ta, tb);
  double alpha = node.getFloat("alpha", 1.0), beta = node.getFloat("beta", 1.0);
  Type elt = elementTypeOf(a);
  Values ins{ab};
  if (c && beta != 0.0) {
    auto s = broadcastShapes({shapeOf(ab), shapeOf(c)});
    if (failed(s) || *s != shapeOf(ab))
      return node.error() << "C cannot be broadcast to the result shape", failure();
    ins.push_back(c);
  }
  if (alpha == 1.0 && ins.size() == 1)
    return Values{ab};
  Value r = buildElementwise(b, l, ins, shapeOf(ab), elt,
                             [&](OpBuilder &nb, Location nl, ValueRange v) {
                               Value x = v[0];
                               if (alpha != 1.0)
                                 x = mulS(nb, nl, x, scalarConst(nb, nl, elt, alpha));
                               if (v.size() > 1) {
                                 Value y = v[1];
                                 if (beta != 1.0)
                                   y = mulS(nb, nl, y, scalarConst(nb, nl, elt, beta));
                                 x = addS(nb, nl, x, y);
                               }
                               return x;
                             });
  return Values{r};
}

} // namespace

/// Spatial padding of a conv/pool window: begin pads then end pads, per spatial dim.
FailureOr<SmallVector<int64_t>> resolvePads(const OnnxNode &node, ArrayRef<int64_t> in,
                                            ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                                            ArrayRef<int64_t> dilations) {
  size_t n = in.size();
  std::string autoPad = node.getString("auto_pad", "NOTSET");
  SmallVector<int64_t> pads(2 * n, 0);
  if (autoPad == "NOTSET") {
    if (auto p = node.getInts("pads")) {
      if (p->size() != 2 * n)
        return node.error() << "pads must have " << 2 * n << " values", failure();
      pads.assign(p->begin(), p->end());
    }
  } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    for (size_t i = 0; i < n; ++i) {
      int64_t out = (in[i] + strides[i] - 1) / strides[i];
      int64_t total = std::max<int64_t>(
          0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - in[i]);
      int64_t small = total / 2, big = total - small;
      pads[i] = autoPad == "SAME_UPPER" ? small : big;
      pads[i + n] = autoPad == "SAME_UPPER" ? big : small;
    }
  } else if (autoPad != "VALID") {
    return node.error() << "unknown auto_pad '" << autoPad << "'", failure();
  }
  for (int64_t p : pads)
    if (p < 0)
      return node.error() << "negative pads are not supported", failure();
  return pads;
}

/// Reads a per-spatial-dimension attribute, defaulting every entry to `dflt`.
FailureOr<SmallVector<int64_t>> spatialAttr(const OnnxNode &node, StringRef name, size_t n,
                                            int64_t dflt) {
  SmallVector<int64_t> v(n, dflt);
  if (auto a = node.getInts(name)) {
    if (a->size() != n)
      return node.error() << name << " must have " << n << " values, got " << a->size(),
             failure();
    v.assign(a->begin(), a->end());
  }
  for (int64_t x : v)
    if (x < 1)
      return node.error() << name << " must be positive", failure();
  return v;
}

/// Pads the spatial dims (from dim 2) of an NC... tensor with `value`.
Value padSpatial(OpBuilder &b, Location l, Value x, ArrayRef<int64_t> pads, Value value) {
  size_t n = pads.size() / 2;
  if (llvm::all_of(pads, [](int64_t p) { return p == 0; }))
    return x;
  SmallVector<OpFoldResult> lo(2, b.getIndexAttr(0)), hi(2, b.getIndexAttr(0));
  for (size_t i = 0; i < n; ++i) {
    lo.push_back(b.getIndexAttr(pads[i]));
    hi.push_back(b.getIndexAttr(pads[i + n]));
  }
  auto shape = shapeOf(x);
  for (size_t i = 0; i < n; ++i)
    shape[2 + i] += pads[i] + pads[i + n];
  auto type = RankedTensorType::get(shape, elementTypeOf(x));
  return tensor::PadOp::create(b, l, type, x, lo, hi, value, /*nofold=*/false);
}

LowerFn liftOneDimensional(LowerFn fn) {
  return [fn](OpBuilder &b, const OnnxNode &node) -> Result {
    Value x = node.input(0);
    if (!x || shapeOf(x).size() != 3)
      return fn(b, node);
    Location l = node.loc();
    auto unitH = [&](Value v) {
      auto s = shapeOf(v);
      return reshapeTo(b, l, v, {s[0], s[1], 1, s[2]});
    };
    SmallVector<Value> operands;
    for (unsigned i = 0; i < node.numInputs(); ++i)
      operands.push_back(node.input(i) ? node.input(i) : node.op->getOperand(i));
    operands[0] = unitH(x);
    if (node.opType() == "Conv" && node.input(1) && shapeOf(node.input(1)).size() == 3)
      operands[1] = unitH(node.input(1));
    SmallVector<NamedAttribute> attrs;
    for (NamedAttribute a : node.op->getAttrs()) {
      auto ints = dyn_cast<DenseI64ArrayAttr>(a.getValue());
      StringRef n = a.getName().getValue();
      if (ints && (n == "kernel_shape" || n == "strides" || n == "dilations")) {
        SmallVector<int64_t> v = {1};
        v.append(ints.asArrayRef().begin(), ints.asArrayRef().end());
        attrs.push_back(b.getNamedAttr(n, b.getDenseI64ArrayAttr(v)));
      } else if (ints && n == "pads" && ints.size() == 2) {
        attrs.push_back(b.getNamedAttr(n, b.getDenseI64ArrayAttr({0, ints[0], 0, ints[1]})));
      } else {
        attrs.push_back(a);
      }
    }
    // A detached 2-D op only carries the operands and attributes for `fn`; it
    // never enters the IR (the rewriter must see every change it makes).
    OperationState st(l, node.op->getName());
    st.addOperands(operands);
    st.addAttributes(attrs);
    st.addTypes(node.op->getResultTypes());
    Operation *twoD = Operation::create(st);
    auto results = fn(b, OnnxNode(twoD));
    twoD->destroy();
    if (failed(results))
      return failure();
    Values out;
    for (Value r : *results) {
      auto s = shapeOf(r);
      out.push_back(reshapeTo(b, l, r, {s[0], s[1], s[3]}));
    }
    return out;
  };
}

FailureOr<SmallVector<int64_t>> windowOutput(const OnnxNode &node, ArrayRef<int64_t> in,
                                             ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                                             ArrayRef<int64_t> dilations) {
  size_t n = in.size();
  SmallVector<int64_t> out(n, kDyn);
  if (llvm::is_contained(in, kDyn))
    return out; // pads of SAME_* depend on the input size
  auto pads = resolvePads(node, in, kernel, strides, dilations);
  if (failed(pads))
    return failure();
  for (size_t i = 0; i < n; ++i) {
    int64_t span = in[i] + (*pads)[i] + (*pads)[i + n] - (kernel[i] - 1) * dilations[i] - 1;
    if (span < 0)
      return node.error() << "the kernel is larger than the padded input", failure();
    out[i] = span / strides[i] + 1;
  }
  return out;
}

LogicalResult convOutputShape(const OnnxNode &node, unsigned xi, unsigned wi,
                              SmallVector<int64_t> &shape) {
  auto xs = shapeOf(node.input(xi)), ws = shapeOf(node.input(wi));
  if (xs.size() < 3 || ws.size() != xs.size())
    return node.error() << "X and W must have the same rank (>= 3)";
  size_t n = xs.size() - 2;
  SmallVector<int64_t> kernel(ws.begin() + 2, ws.end());
  auto strides = spatialAttr(node, "strides", n, 1);
  auto dil = spatialAttr(node, "dilations", n, 1);
  if (failed(strides) || failed(dil))
    return failure();
  auto spatial = windowOutput(node, SmallVector<int64_t>(xs.begin() + 2, xs.end()), kernel,
                              *strides, *dil);
  if (failed(spatial))
    return failure();
  shape = {xs[0], ws[0]};
  shape.append(spatial->begin(), spatial->end());
  return success();
}

namespace {

/// [N, M, spatial...] for convolutions over any number of spatial dims.
LogicalResult inferConv(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 3)) || !node.input(0) || !node.input(1))
    return node.error() << "needs ranked X and W";
  SmallVector<int64_t> shape;
  if (failed(convOutputShape(node, 0, 1, shape)))
    return failure();
  out.push_back(tensorOf(shape, elementTypeOf(node.input(0))));
  return success();
}

/// Adds a per-channel bias [M] to y [N, M, spatial...]; y itself when there is none.
FailureOr<Value> addChannelBias(OpBuilder &b, const OnnxNode &node, Value y, Value bias) {
  if (!bias)
    return y;
  auto ys = shapeOf(y);
  if (shapeOf(bias) != SmallVector<int64_t>{ys[1]})
    return node.error() << "bias must have shape [" << ys[1] << "]", failure();
  SmallVector<int64_t> bs(ys.size() - 1, 1);
  bs[0] = ys[1];
  Location l = node.loc();
  Value bb = reshapeTo(b, l, bias, bs);
  return buildElementwise(b, l, ValueRange{y, bb}, ys, elementTypeOf(y),
                          [](OpBuilder &nb, Location nl, ValueRange a) {
                            return addS(nb, nl, a[0], a[1]);
                          });
}

/// A grouped convolution over n spatial dims (any n) as one linalg.generic with
/// loops [batch, group, out channel, out..., in channel, taps...].
Value convGeneric(OpBuilder &b, Location l, Value xp, Value w, int64_t group,
                  ArrayRef<int64_t> strides, ArrayRef<int64_t> dil, ArrayRef<int64_t> out) {
  MLIRContext *ctx = b.getContext();
  auto ps = shapeOf(xp), ws = shapeOf(w);
  unsigned n = ws.size() - 2, loops = 4 + 2 * n;
  int64_t cg = ws[1], mg = ws[0] / group;
  SmallVector<int64_t> xgShape = {ps[0], group, cg}, wgShape = {group, mg, cg},
                       ygShape = {ps[0], group, mg};
  xgShape.append(ps.begin() + 2, ps.end());
  wgShape.append(ws.begin() + 2, ws.end());
  ygShape.append(out.begin(), out.end());
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  // Loops: n=0, g=1, m=2, o_i=3+i, c=3+n, k_i=4+n+i.
  SmallVector<AffineExpr> xe = {d(0), d(1), d(3 + n)}, we = {d(1), d(2), d(3 + n)},
                          ye = {d(0), d(1), d(2)};
  for (unsigned i = 0; i < n; ++i) {
    xe.push_back(d(3 + i) * strides[i] + d(4 + n + i) * dil[i]);
    we.push_back(d(4 + n + i));
    ye.push_back(d(3 + i));
  }
  SmallVector<AffineMap> maps = {AffineMap::get(loops, 0, xe, ctx),
                                 AffineMap::get(loops, 0, we, ctx),
                                 AffineMap::get(loops, 0, ye, ctx)};
  SmallVector<utils::IteratorType> iters(3 + n, utils::IteratorType::parallel);
  iters.append(1 + n, utils::IteratorType::reduction);
  Type elt = elementTypeOf(xp);
  Value init = filledTensor(b, l, ygShape, scalarConst(b, l, elt, 0));
  auto op = linalg::GenericOp::create(
      b, l, TypeRange{init.getType()},
      ValueRange{reshapeTo(b, l, xp, xgShape), reshapeTo(b, l, w, wgShape)}, ValueRange{init},
      maps, iters, [&](OpBuilder &nb, Location nl, ValueRange a) {
        linalg::YieldOp::create(nb, nl, addS(nb, nl, a[2], mulS(nb, nl, a[0], a[1])));
      });
  SmallVector<int64_t> yShape = {ps[0], ws[0]};
  yShape.append(out.begin(), out.end());
  return reshapeTo(b, l, op.getResult(0), yShape);
}

/// Convolutions over 3 or more spatial dims (no named linalg op with groups).
Result lowerConvND(OpBuilder &b, const OnnxNode &node) {
  Location l = node.loc();
  Value x = node.input(0), w = node.input(1), bias = node.input(2);
  auto xs = shapeOf(x), ws = shapeOf(w);
  size_t n = xs.size() - 2;
  if (ws.size() != xs.size())
    return node.error() << "X and W must have the same rank", failure();
  if (elementTypeOf(x) != elementTypeOf(w) || (bias && elementTypeOf(bias) != elementTypeOf(x)))
    return node.error() << "operands have different element types", failure();
  int64_t group = node.getInt("group", 1);
  if (group < 1 || xs[1] % group || ws[0] % group || ws[1] * group != xs[1])
    return node.error() << "group " << group << " does not divide channels (input " << xs[1]
                        << ", weight " << ws[1] << "x" << group << ")", failure();
  SmallVector<int64_t> kernel(ws.begin() + 2, ws.end());
  if (auto ks = node.getInts("kernel_shape"); ks && SmallVector<int64_t>(*ks) != kernel)
    return node.error() << "kernel_shape does not match the weight", failure();
  auto strides = spatialAttr(node, "strides", n, 1);
  auto dil = spatialAttr(node, "dilations", n, 1);
  if (failed(strides) || failed(dil))
    return failure();
  SmallVector<int64_t> in(xs.begin() + 2, xs.end());
  auto pads = resolvePads(node, in, kernel, *strides, *dil);
  auto out = windowOutput(node, in, kernel, *strides, *dil);
  if (failed(pads) || failed(out))
    return failure();
  Type elt = elementTypeOf(x);
  Value xp = padSpatial(b, l, x, *pads, scalarConst(b, l, elt, 0));
  Value y = convGeneric(b, l, xp, w, group, *strides, *dil, *out);
  auto yb = addChannelBias(b, node, y, bias);
  if (failed(yb))
    return failure();
  return Values{*yb};
}

Result lowerConv(OpBuilder &b, const OnnxNode &node) {
  Location l = node.loc();
  Value x = node.input(0), w = node.input(1), bias = node.input(2);
  auto xs = shapeOf(x), ws = shapeOf(w);
  if (xs.size() > 4)
    return lowerConvND(b, node);
  if (xs.size() != 4 || ws.size() != 4)
    return node.error() << "X and W must have the same rank (>= 3)", failure();
  if (elementTypeOf(x) != elementTypeOf(w) || (bias && elementTypeOf(bias) != elementTypeOf(x)))
    return node.error() << "operands have different element types", failure();
  int64_t group = node.getInt("group", 1);
  int64_t cin = xs[1], cout = ws[0];
  if (group < 1 || cin % group || cout % group || ws[1] * group != cin)
    return node.error() << "group " << group << " does not divide channels (input " << cin
                        << ", weight " << ws[1] << "x" << group << ")", failure();
  SmallVector<int64_t> kernel = {ws[2], ws[3]};
  if (auto ks = node.getInts("kernel_shape"); ks && SmallVector<int64_t>(*ks) != kernel)
    return node.error() << "kernel_shape does not match the weight", failure();
  auto strides = spatialAttr(node, "strides", 2, 1);
  auto dil = spatialAttr(node, "dilations", 2, 1);
  if (failed(strides) || failed(dil))
    return failure();
  auto pads = resolvePads(node, {xs[2], xs[3]}, kernel, *strides, *dil);
  if (failed(pads))
    return failure();
  Type elt = elementTypeOf(x);
  Value xp = padSpatial(b, l, x, *pads, scalarConst(b, l, elt, 0));
  auto ps = shapeOf(xp);
  SmallVector<int64_t> out(2);
  for (int i = 0; i < 2; ++i) {
    out[i] = (ps[2 + i] - (kernel[i] - 1) * (*dil)[i] - 1) / (*strides)[i] + 1;
    if (out[i] < 1)
      return node.error() << "the kernel is larger than the padded input", failure();
  }
  Attribute stridesAttr = b.getI64TensorAttr(*strides);
  Attribute dilAttr = b.getI64TensorAttr(*dil);
  Value zero = scalarConst(b, l, elt, 0);
  Value y;
  if (group == 1) {
    Value init = filledTensor(b, l, {xs[0], cout, out[0], out[1]}, zero);
    y = linalg::Conv2DNchwFchwOp::create(b, l, TypeRange{init.getType()}, ValueRange{xp, w},
                                         ValueRange{init}, stridesAttr, dilAttr)
            .getResult(0);
  } else {
    Value xg = reshapeTo(b, l, xp, {ps[0], group, cin / group, ps[2], ps[3]});
    Value wg = reshapeTo(b, l, w, {group, cout / group, ws[1], ws[2], ws[3]});
    Value init = filledTensor(b, l, {xs[0], group, cout / group, out[0], out[1]}, zero);
    Value yg = linalg::Conv2DNgchwGfchwOp::create(b, l, TypeRange{init.getType()},
                                                  ValueRange{xg, wg}, ValueRange{init},
                                                  stridesAttr, dilAttr)
                   .getResult(0);
    y = reshapeTo(b, l, yg, {xs[0], cout, out[0], out[1]});
  }
  auto yb = addChannelBias(b, node, y, bias);
  if (failed(yb))
    return failure();
  return Values{*yb};
}

// ConvTranspose and Col2Im ----------------------------------------------------------
//
// Both scatter every input element over a window of the output. They are
// written as gathers instead: each output position o visits every tap k and
// reads the input element i with i * stride = o + pad_begin - k * dilation
// when that has an integral solution inside the input (index arithmetic and
// tensor.extract, the contribution selected away otherwise).

/// The input position feeding output position `o` through tap `k` along one
/// spatial dim: {in range and on the stride, the position (0 when not)}.
std::pair<Value, Value> tapSource(OpBuilder &b, Location l, Value o, Value k, int64_t padBegin,
                                  int64_t dilation, int64_t stride, int64_t inSize) {
  auto c = [&](int64_t v) { return arith::ConstantIndexOp::create(b, l, v).getResult(); };
  auto cmp = [&](arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(b, l, p, x, y).getResult();
  };
  Value t = arith::SubIOp::create(b, l, arith::AddIOp::create(b, l, o, c(padBegin)),
                                  arith::MulIOp::create(b, l, k, c(dilation)));
  Value q = arith::DivSIOp::create(b, l, t, c(stride));
  Value r = arith::RemSIOp::create(b, l, t, c(stride));
  Value inRange = arith::AndIOp::create(b, l, cmp(arith::CmpIPredicate::sge, t, c(0)),
                                        cmp(arith::CmpIPredicate::slt, q, c(inSize)));
  Value valid = arith::AndIOp::create(b, l, inRange, cmp(arith::CmpIPredicate::eq, r, c(0)));
  return {valid, arith::SelectOp::create(b, l, inRange, q, c(0)).getResult()};
}

/// Begin pads and output sizes of a ConvTranspose over spatial sizes `in`
/// (kDyn where unknown), as the ONNX reference computes them.
struct TransposeGeometry {
  SmallVector<int64_t> strides, dilations, padBegin, out;
};

FailureOr<TransposeGeometry> transposeGeometry(const OnnxNode &node, ArrayRef<int64_t> in,
                                               ArrayRef<int64_t> kernel) {
  size_t n = in.size();
  TransposeGeometry g;
  auto s = spatialAttr(node, "strides", n, 1);
  auto d = spatialAttr(node, "dilations", n, 1);
  if (failed(s) || failed(d))
    return failure();
  g.strides = *s;
  g.dilations = *d;
  if (auto ks = node.getInts("kernel_shape"); ks && SmallVector<int64_t>(*ks) != kernel)
    return node.error() << "kernel_shape does not match the weight", failure();
  SmallVector<int64_t> outPad(n, 0);
  if (auto op = node.getInts("output_padding")) {
    if (op->size() != n)
      return node.error() << "output_padding must have " << n << " values", failure();
    outPad.assign(op->begin(), op->end());
  }
  std::optional<SmallVector<int64_t>> outShape;
  if (auto os = node.getInts("output_shape")) {
    if (os->size() != n && os->size() != n + 2)
      return node.error() << "output_shape must have " << n << " values", failure();
    outShape = SmallVector<int64_t>(os->end() - n, os->end());
  }
  std::string autoPad = node.getString("auto_pad", "NOTSET");
  if (autoPad != "NOTSET" && autoPad != "VALID" && autoPad != "SAME_UPPER" &&
      autoPad != "SAME_LOWER")
    return node.error() << "unknown auto_pad '" << autoPad << "'", failure();
  auto pads = node.getInts("pads");
  if (pads && pads->size() != 2 * n)
    return node.error() << "pads must have " << 2 * n << " values", failure();
  bool same = autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER";
  g.padBegin.assign(n, 0);
  g.out.assign(n, kDyn);
  for (size_t i = 0; i < n; ++i) {
    int64_t full = in[i] == kDyn ? kDyn
                                 : (in[i] - 1) * g.strides[i] + outPad[i] +
                                       (kernel[i] - 1) * g.dilations[i] + 1;
    if (pads && !same) {
      g.padBegin[i] = (*pads)[i];
      g.out[i] = outShape ? (*outShape)[i]
                          : full == kDyn ? kDyn : full - (*pads)[i] - (*pads)[n + i];
    } else if (same) {
      int64_t target = outShape ? (*outShape)[i] : in[i] == kDyn ? kDyn : in[i] * g.strides[i];
      g.out[i] = target;
      if (full != kDyn && target != kDyn) {
        int64_t total = full - target;
        int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2); // floor
        g.padBegin[i] = autoPad == "SAME_UPPER" ? half : total - half;
      }
    } else {
      g.out[i] = outShape ? (*outShape)[i] : full;
    }
    if (g.out[i] != kDyn && g.out[i] < 1)
      return node.error() << "the output would be empty", failure();
  }
  return g;
}

/// [N, W[1] * group, out...].
LogicalResult inferConvTranspose(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 3)) || !node.input(0) || !node.input(1))
    return node.error() << "needs ranked X and W";
  auto xs = shapeOf(node.input(0)), ws = shapeOf(node.input(1));
  if (xs.size() < 3 || ws.size() != xs.size())
    return node.error() << "X and W must have the same rank (>= 3)";
  int64_t group = node.getInt("group", 1);
  if (group < 1)
    return node.error() << "group must be positive";
  auto g = transposeGeometry(node, SmallVector<int64_t>(xs.begin() + 2, xs.end()),
                             SmallVector<int64_t>(ws.begin() + 2, ws.end()));
  if (failed(g))
    return failure();
  SmallVector<int64_t> shape = {xs[0], ws[1] == kDyn ? kDyn : ws[1] * group};
  shape.append(g->out.begin(), g->out.end());
  out.push_back(tensorOf(shape, elementTypeOf(node.input(0))));
  return success();
}

Result lowerConvTranspose(OpBuilder &b, const OnnxNode &node) {
  Location l = node.loc();
  MLIRContext *ctx = b.getContext();
  Value x = node.input(0), w = node.input(1), bias = node.input(2);
  if (!x || !w)
    return node.error() << "needs X and W", failure();
  auto xs = shapeOf(x), ws = shapeOf(w);
  if (xs.size() < 3 || ws.size() != xs.size())
    return node.error() << "X and W must have the same rank (>= 3)", failure();
  if (elementTypeOf(x) != elementTypeOf(w) || (bias && elementTypeOf(bias) != elementTypeOf(x)))
    return node.error() << "operands have different element types", failure();
  int64_t group = node.getInt("group", 1);
  if (group < 1 || xs[1] % group || ws[0] != xs[1])
    return node.error() << "W must have " << xs[1] << " input channels divisible by group "
                        << group, failure();
  unsigned n = xs.size() - 2;
  SmallVector<int64_t> in(xs.begin() + 2, xs.end()), kernel(ws.begin() + 2, ws.end());
  auto g = transposeGeometry(node, in, kernel);
  if (failed(g))
    return failure();
  int64_t cg = xs[1] / group, mg = ws[1];
  SmallVector<int64_t> wgShape = {group, cg, mg}, ygShape = {xs[0], group, mg};
  wgShape.append(kernel.begin(), kernel.end());
  ygShape.append(g->out.begin(), g->out.end());
  // Loops: n=0, g=1, m=2, o_i=3+i, c=3+n, k_i=4+n+i.
  unsigned loops = 4 + 2 * n;
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineExpr> we = {d(1), d(3 + n), d(2)}, ye = {d(0), d(1), d(2)};
  for (unsigned i = 0; i < n; ++i) {
    we.push_back(d(4 + n + i));
    ye.push_back(d(3 + i));
  }
  SmallVector<AffineMap> maps = {AffineMap::get(loops, 0, we, ctx),
                                 AffineMap::get(loops, 0, ye, ctx)};
  SmallVector<utils::IteratorType> iters(3 + n, utils::IteratorType::parallel);
  iters.append(1 + n, utils::IteratorType::reduction);
  Type elt = elementTypeOf(x);
  Value init = filledTensor(b, l, ygShape, scalarConst(b, l, elt, 0));
  auto op = linalg::GenericOp::create(
      b, l, TypeRange{init.getType()}, ValueRange{reshapeTo(b, l, w, wgShape)},
      ValueRange{init}, maps, iters, [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value gi = linalg::IndexOp::create(nb, nl, 1), ci = linalg::IndexOp::create(nb, nl, 3 + n);
        Value ch = arith::AddIOp::create(
            nb, nl, arith::MulIOp::create(nb, nl, gi, arith::ConstantIndexOp::create(nb, nl, cg)),
            ci);
        SmallVector<Value> coords = {linalg::IndexOp::create(nb, nl, 0), ch};
        Value valid = arith::ConstantIntOp::create(nb, nl, 1, 1);
        for (unsigned i = 0; i < n; ++i) {
          auto [ok, pos] = tapSource(nb, nl, linalg::IndexOp::create(nb, nl, 3 + i),
                                     linalg::IndexOp::create(nb, nl, 4 + n + i), g->padBegin[i],
                                     g->dilations[i], g->strides[i], in[i]);
          valid = arith::AndIOp::create(nb, nl, valid, ok);
          coords.push_back(pos);
        }
        Value xv = tensor::ExtractOp::create(nb, nl, x, coords);
        Value sum = addS(nb, nl, a[1], mulS(nb, nl, xv, a[0]));
        linalg::YieldOp::create(nb, nl,
                                arith::SelectOp::create(nb, nl, valid, sum, a[1]).getResult());
      });
  SmallVector<int64_t> yShape = {xs[0], group * mg};
  yShape.append(g->out.begin(), g->out.end());
  Value y = reshapeTo(b, l, op.getResult(0), yShape);
  auto yb = addChannelBias(b, node, y, bias);
  if (failed(yb))
    return failure();
  return Values{*yb};
}

/// Col2Im geometry: image and block sizes (constant inputs), pads, strides,
/// dilations and the number of blocks per spatial dim.
struct Col2ImGeometry {
  SmallVector<int64_t> image, block, pads, strides, dilations, blocks;
};

FailureOr<Col2ImGeometry> col2ImGeometry(const OnnxNode &node, bool lowering) {
  auto image = constantIntsOf(node, 1, lowering ? "image_shape" : nullptr);
  auto block = constantIntsOf(node, 2, lowering ? "block_shape" : nullptr);
  if (!image || !block)
    return failure();
  size_t n = image->size();
  if (block->size() != n || n == 0)
    return node.error() << "image_shape and block_shape must have the same length", failure();
  Col2ImGeometry g;
  g.image.assign(image->begin(), image->end());
  g.block.assign(block->begin(), block->end());
  auto s = spatialAttr(node, "strides", n, 1);
  auto d = spatialAttr(node, "dilations", n, 1);
  if (failed(s) || failed(d))
    return failure();
  g.strides = *s;
  g.dilations = *d;
  g.pads.assign(2 * n, 0);
  if (auto p = node.getInts("pads")) {
    if (p->size() != 2 * n)
      return node.error() << "pads must have " << 2 * n << " values", failure();
    g.pads.assign(p->begin(), p->end());
  }
  for (size_t i = 0; i < n; ++i) {
    if (g.block[i] < 1 || g.image[i] < 1)
      return node.error() << "image_shape and block_shape must be positive", failure();
    int64_t span =
        g.image[i] + g.pads[i] + g.pads[n + i] - (g.block[i] - 1) * g.dilations[i] - 1;
    if (span < 0)
      return node.error() << "the block is larger than the padded image", failure();
    g.blocks.push_back(span / g.strides[i] + 1);
  }
  return g;
}

/// [N, C, image...] with C = input dim 1 / prod(block_shape).
LogicalResult inferCol2Im(const OnnxNode &node, Types &out) {
  if (failed(requireRanked(node, 3)) || !node.input(0) || !node.input(1) || !node.input(2))
    return node.error() << "needs input, image_shape and block_shape";
  auto xs = shapeOf(node.input(0));
  if (xs.size() != 3)
    return node.error() << "input must have rank 3 [N, C * prod(block_shape), L]";
  Type elt = elementTypeOf(node.input(0));
  if (!constantOf(node.input(1)) || !constantOf(node.input(2))) {
    auto it = node.inputType(1);
    int64_t n = it && it.hasStaticShape() && it.getRank() == 1 ? it.getDimSize(0) : 0;
    if (!n)
      return node.error() << "image_shape must be a 1-D tensor of known length";
    SmallVector<int64_t> shape(2 + n, kDyn);
    shape[0] = xs[0];
    out.push_back(tensorOf(shape, elt));
    return success();
  }
  auto g = col2ImGeometry(node, /*lowering=*/false);
  if (failed(g))
    return failure();
  int64_t bp = productOf(g->block);
  if (xs[1] != kDyn && xs[1] % bp)
    return node.error() << "input dim 1 (" << xs[1] << ") is not a multiple of prod(block_shape) ("
                        << bp << ")";
  if (xs[2] != kDyn && xs[2] != productOf(g->blocks))
    return node.error() << "input dim 2 (" << xs[2] << ") must be the number of blocks ("
                        << productOf(g->blocks) << ")";
  SmallVector<int64_t> shape = {xs[0], xs[1] == kDyn ? kDyn : xs[1] / bp};
  shape.append(g->image.begin(), g->image.end());
  out.push_back(tensorOf(shape, elt));
  return success();
}

/// Col2Im: y[n, c, p...] sums input[n, c * prod(block) + flat(k), flat(b)]
/// over the block taps k whose block b covers p.
Result lowerCol2Im(OpBuilder &b, const OnnxNode &node) {
  Location l = node.loc();
  MLIRContext *ctx = b.getContext();
  Value x = node.input(0);
  if (!x || !node.input(1) || !node.input(2))
    return node.error() << "needs input, image_shape and block_shape", failure();
  auto xs = shapeOf(x);
  auto g = col2ImGeometry(node, /*lowering=*/true);
  if (failed(g))
    return failure();
  unsigned n = g->image.size();
  int64_t bp = productOf(g->block);
  if (xs.size() != 3 || xs[1] % bp || xs[2] != productOf(g->blocks))
    return node.error() << "input must be [N, C * prod(block_shape), number of blocks]",
           failure();
  SmallVector<int64_t> yShape = {xs[0], xs[1] / bp};
  yShape.append(g->image.begin(), g->image.end());
  // Loops: n=0, c=1, p_i=2+i, k_i=2+n+i.
  unsigned loops = 2 + 2 * n;
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineExpr> ke, ye = {d(0), d(1)};
  for (unsigned i = 0; i < n; ++i) {
    ke.push_back(d(2 + n + i));
    ye.push_back(d(2 + i));
  }
  SmallVector<AffineMap> maps = {AffineMap::get(loops, 0, ke, ctx),
                                 AffineMap::get(loops, 0, ye, ctx)};
  SmallVector<utils::IteratorType> iters(2 + n, utils::IteratorType::parallel);
  iters.append(n, utils::IteratorType::reduction);
  Type elt = elementTypeOf(x);
  Value init = filledTensor(b, l, yShape, scalarConst(b, l, elt, 0));
  Value taps = emptyTensor(b, l, g->block, elt);
  auto op = linalg::GenericOp::create(
      b, l, TypeRange{init.getType()}, ValueRange{taps}, ValueRange{init}, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange a) {
        auto c = [&](int64_t v) { return arith::ConstantIndexOp::create(nb, nl, v); };
        Value ch = arith::MulIOp::create(nb, nl, linalg::IndexOp::create(nb, nl, 1), c(bp));
        Value kFlat = c(0), bFlat = c(0);
        Value valid = arith::ConstantIntOp::create(nb, nl, 1, 1);
        for (unsigned i = 0; i < n; ++i) {
          Value k = linalg::IndexOp::create(nb, nl, 2 + n + i);
          auto [ok, pos] = tapSource(nb, nl, linalg::IndexOp::create(nb, nl, 2 + i), k,
                                     g->pads[i], g->dilations[i], g->strides[i], g->blocks[i]);
          valid = arith::AndIOp::create(nb, nl, valid, ok);
          kFlat = arith::AddIOp::create(
              nb, nl, arith::MulIOp::create(nb, nl, kFlat, c(g->block[i])), k);
          bFlat = arith::AddIOp::create(
              nb, nl, arith::MulIOp::create(nb, nl, bFlat, c(g->blocks[i])), pos);
        }
        Value xv = tensor::ExtractOp::create(
            nb, nl, x,
            ValueRange{linalg::IndexOp::create(nb, nl, 0), arith::AddIOp::create(nb, nl, ch, kFlat),
                       bFlat});
        Value sum = addS(nb, nl, a[1], xv);
        linalg::YieldOp::create(nb, nl,
                                arith::SelectOp::create(nb, nl, valid, sum, a[1]).getResult());
      });
  return Values{op.getResult(0)};
}

} // namespace

void addMatMulConvOps(OpTable &t) {
  t.add("MatMul", 1, OpEntry::form(inferMatMul, lowerMatMul));
  t.add("Gemm", 1, OpEntry::upgradedBy(dropAttrs(7, {"broadcast"}))); // C broadcast flag
  t.add("Gemm", 7, OpEntry::form(inferGemm, lowerGemm)); // C optional from 11
  t.add("Conv", 1, OpEntry::form(inferConv, liftOneDimensional(lowerConv)));
  t.add("ConvTranspose", 1, OpEntry::form(inferConvTranspose, lowerConvTranspose));
  t.add("Col2Im", 18, OpEntry::form(inferCol2Im, lowerCol2Im));
}

} // namespace nnm::onnx_to_linalg
