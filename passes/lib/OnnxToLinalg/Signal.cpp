//===- Signal.cpp - ONNX signal-processing ops to linalg ------------------===//
//
// HannWindow, HammingWindow, BlackmanWindow and MelWeightMatrix depend only
// on compile-time constants: they fold to constant tensors. DFT and STFT are
// direct O(n^2) transforms: one linalg.generic that multiplies the signal by
// constant twiddle tables (cos/sin of 2*pi*k*f/n, signs, 1/n and the
// Hermitian weights of a one-sided inverse folded in) and sums over k.
//
//===----------------------------------------------------------------------===//
#include "Common.h"

#include "nnm/Support/ElementType.h"

#include <cmath>

using namespace mlir;

namespace nnm::onnx_to_linalg {
namespace {

/// The element type named by `output_datatype` (default float), at the ONNX
/// level (unsigned kept).
FailureOr<Type> outputDatatype(const OnnxNode &node) {
  int64_t code = node.getInt("output_datatype", 1);
  const ElementType *et = elementTypeForOnnx(code);
  if (!et || !et->supported)
    return node.error() << "unsupported output_datatype "
                        << (et ? std::string(et->name) : std::to_string(code))
                        << " (supported: " << supportedElementTypeNames() << ")",
           failure();
  return toMlirType(et->dtype, node.op->getContext());
}

/// A dense attribute of `type` from doubles (integers truncate, as astype does).
DenseElementsAttr denseOf(RankedTensorType type, ArrayRef<double> values) {
  Type elt = type.getElementType();
  SmallVector<Attribute> attrs;
  for (double v : values) {
    if (isa<FloatType>(elt))
      attrs.push_back(FloatAttr::get(elt, v));
    else if (elt.isInteger(1))
      attrs.push_back(IntegerAttr::get(elt, v != 0 ? 1 : 0));
    else
      attrs.push_back(IntegerAttr::get(elt, APInt(elt.getIntOrFloatBitWidth(),
                                                  uint64_t(int64_t(v)), true)));
  }
  return DenseElementsAttr::get(type, attrs);
}

std::optional<SmallVector<double>> constantFloatsOf(const OnnxNode &node, unsigned i,
                                                    const char *what) {
  DenseElementsAttr c = constantOf(node.input(i));
  SmallVector<double> out;
  if (c && isa<FloatType>(c.getElementType())) {
    for (const APFloat &v : c.getValues<APFloat>())
      out.push_back(v.convertToDouble() /* f32/f64 */);
    return out;
  }
  if (c && isa<IntegerType>(c.getElementType())) {
    for (const APInt &v : c.getValues<APInt>())
      out.push_back(double(v.getSExtValue()));
    return out;
  }
  if (what)
    node.error() << "input " << i << " (" << what << ") must be known at compile time";
  return std::nullopt;
}

/// Integer scalar of constant `c` (null: not a constant).
std::optional<int64_t> scalarInt(DenseElementsAttr c) {
  if (!c || !isa<IntegerType>(c.getElementType()) || c.getNumElements() != 1)
    return std::nullopt;
  return (*c.getValues<APInt>().begin()).getSExtValue();
}
std::optional<double> scalarFloat(DenseElementsAttr c) {
  if (!c || c.getNumElements() != 1)
    return std::nullopt;
  if (isa<IntegerType>(c.getElementType()))
    return double((*c.getValues<APInt>().begin()).getSExtValue());
  APFloat v = *c.getValues<APFloat>().begin();
  bool lost;
  v.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &lost);
  return v.convertToDouble();
}

// Windows ------------------------------------------------------------------------

enum class WindowKind { Hann, Hamming, Blackman };

SmallVector<double> windowValues(WindowKind kind, int64_t size, bool periodic) {
  SmallVector<double> w;
  double n1 = periodic ? double(size) : double(size - 1);
  for (int64_t i = 0; i < size; ++i) {
    double t = 2 * M_PI * double(i) / n1;
    switch (kind) {
    case WindowKind::Hann: {
      double s = std::sin(M_PI * double(i) / n1);
      w.push_back(s * s);
      break;
    }
    case WindowKind::Hamming:
      w.push_back(25.0 / 46.0 - (1 - 25.0 / 46.0) * std::cos(t));
      break;
    case WindowKind::Blackman:
      w.push_back(0.42 - 0.5 * std::cos(t) + 0.08 * std::cos(2 * t));
      break;
    }
  }
  return w;
}

LogicalResult inferWindow(const OnnxNode &node, Types &out) {
  if (!node.input(0) || !node.inputType(0))
    return node.error() << "needs a size input";
  auto elt = outputDatatype(node);
  if (failed(elt))
    return failure();
  int64_t n = kDyn;
  if (auto c = scalarInt(constantOf(node.input(0)))) {
    if (*c < 0)
      return node.error() << "size must be non-negative";
    n = *c;
  }
  out.push_back(tensorOf({n}, *elt));
  return success();
}

FoldFn foldWindow(WindowKind kind) {
  return [kind](const OnnxNode &node, Consts consts, Folded &out) -> LogicalResult {
    auto size = scalarInt(consts.empty() ? DenseElementsAttr() : consts[0]);
    if (!size || *size < 0)
      return failure();
    auto type = cast<RankedTensorType>(node.op->getResult(0).getType());
    if (!type.hasStaticShape())
      type = tensorOf({*size}, type.getElementType());
    out.push_back(
        denseOf(type, windowValues(kind, *size, node.getInt("periodic", 1) != 0)));
    return success();
  };
}

LowerFn lowerWindow(WindowKind kind) {
  return [kind](OpBuilder &b, const OnnxNode &node) -> Result {
    auto size = constantIntsOf(node, 0, "size");
    if (!size)
      return failure();
    if (size->size() != 1 || (*size)[0] < 0)
      return node.error() << "size must be a non-negative scalar", failure();
    auto elt = outputDatatype(node);
    if (failed(elt))
      return failure();
    auto type = tensorOf({(*size)[0]}, signlessElementType(*elt));
    return Values{constantTensor(
        b, node.loc(),
        denseOf(type, windowValues(kind, (*size)[0], node.getInt("periodic", 1) != 0)))};
  };
}

// MelWeightMatrix ------------------------------------------------------------------

struct MelArgs {
  int64_t bins, dftLength, sampleRate;
  double lower, upper;
};

SmallVector<double> melValues(const MelArgs &a) {
  int64_t spec = a.dftLength / 2 + 1;
  // The reference computes the edge mels in float32, the rest in float64.
  float l1 = std::log1p(float(a.lower) / 700.0f), h1 = std::log1p(float(a.upper) / 700.0f);
  double lowMel = double(2595.0f * l1) / std::log(10.0);
  double highMel = double(2595.0f * h1) / std::log(10.0);
  double step = (highMel - lowMel) / double(a.bins + 2);
  SmallVector<int64_t> f;
  for (int64_t i = 0; i < a.bins + 2; ++i) {
    double m = double(i) * step + lowMel;
    double hz = 700.0 * std::expm1(m / 2595.0 * std::log(10.0));
    f.push_back(int64_t(std::floor(double(a.dftLength + 1) * hz / double(a.sampleRate))));
  }
  SmallVector<double> out(spec * a.bins, 0.0);
  auto at = [&](int64_t j, int64_t i) -> double * {
    return j >= 0 && j < spec ? &out[j * a.bins + i] : nullptr;
  };
  for (int64_t i = 0; i < a.bins; ++i) {
    int64_t lo = f[i], c = f[i + 1], hi = f[i + 2];
    if (c - lo == 0) {
      if (double *p = at(c, i))
        *p = 1;
    } else {
      for (int64_t j = lo; j <= c; ++j)
        if (double *p = at(j, i))
          *p = double(j - lo) / double(c - lo);
    }
    if (hi - c > 0)
      for (int64_t j = c; j < hi; ++j)
        if (double *p = at(j, i))
          *p = double(hi - j) / double(hi - c);
  }
  return out;
}

std::optional<MelArgs> melArgs(Consts c) {
  if (c.size() < 5)
    return std::nullopt;
  auto bins = scalarInt(c[0]), len = scalarInt(c[1]), rate = scalarInt(c[2]);
  auto lo = scalarFloat(c[3]), hi = scalarFloat(c[4]);
  if (!bins || !len || !rate || !lo || !hi || *bins <= 0 || *len <= 0 || *rate <= 0)
    return std::nullopt;
  return MelArgs{*bins, *len, *rate, *lo, *hi};
}

SmallVector<DenseElementsAttr> constsOf(const OnnxNode &node) {
  SmallVector<DenseElementsAttr> c;
  for (unsigned i = 0; i < node.numInputs(); ++i)
    c.push_back(constantOf(node.input(i)));
  return c;
}

LogicalResult inferMel(const OnnxNode &node, Types &out) {
  if (node.numInputs() != 5 || llvm::any_of(llvm::seq(0u, 5u), [&](unsigned i) {
        return !node.input(i);
      }))
    return node.error() << "needs 5 inputs (num_mel_bins, dft_length, sample_rate, "
                           "lower_edge_hertz, upper_edge_hertz)";
  auto elt = outputDatatype(node);
  if (failed(elt))
    return failure();
  auto c = constsOf(node);
  auto bins = scalarInt(c[0]), len = scalarInt(c[1]);
  out.push_back(tensorOf({len ? *len / 2 + 1 : kDyn, bins ? *bins : kDyn}, *elt));
  return success();
}

LogicalResult foldMel(const OnnxNode &node, Consts consts, Folded &out) {
  auto a = melArgs(consts);
  if (!a)
    return failure();
  auto type = tensorOf({a->dftLength / 2 + 1, a->bins},
                       cast<RankedTensorType>(node.op->getResult(0).getType()).getElementType());
  out.push_back(denseOf(type, melValues(*a)));
  return success();
}

Result lowerMel(OpBuilder &b, const OnnxNode &node) {
  const char *names[] = {"num_mel_bins", "dft_length", "sample_rate", "lower_edge_hertz",
                         "upper_edge_hertz"};
  for (unsigned i = 0; i < 5; ++i)
    if (!constantOf(node.input(i)))
      return node.error() << "input " << i << " (" << names[i]
                          << ") must be known at compile time",
             failure();
  auto a = melArgs(constsOf(node));
  if (!a)
    return node.error() << "needs positive scalar num_mel_bins, dft_length and sample_rate",
           failure();
  auto elt = outputDatatype(node);
  if (failed(elt))
    return failure();
  auto type = tensorOf({a->dftLength / 2 + 1, a->bins}, signlessElementType(*elt));
  return Values{constantTensor(b, node.loc(), denseOf(type, melValues(*a)))};
}

// DFT ------------------------------------------------------------------------------

/// Twiddle tables [K, nOut, cOut] applied to the real and imaginary parts of
/// the signal: y[f, c] = sum_k xr[k] * re[k, f, c] + xi[k] * im[k, f, c].
struct Twiddles {
  int64_t K, nOut, cOut;
  SmallVector<double> re, im;
};

/// n: the transform length; inLen: the signal's length along the axis.
Twiddles twiddles(int64_t n, int64_t inLen, bool inverse, bool onesided) {
  Twiddles t;
  bool irfft = inverse && onesided;
  t.K = std::min(inLen, irfft ? n / 2 + 1 : n);
  t.nOut = !inverse && onesided ? n / 2 + 1 : n;
  t.cOut = irfft ? 1 : 2;
  for (int64_t k = 0; k < t.K; ++k)
    for (int64_t f = 0; f < t.nOut; ++f) {
      double theta = 2 * M_PI * double((k * f) % n) / double(n);
      double c = std::cos(theta), s = std::sin(theta);
      if (!inverse) {
        t.re.append({c, -s});
        t.im.append({s, c});
      } else if (!irfft) {
        t.re.append({c / n, s / n});
        t.im.append({-s / n, c / n});
      } else {
        double w = (k == 0 || (n % 2 == 0 && k == n / 2)) ? 1.0 : 2.0;
        t.re.push_back(w * c / n);
        t.im.push_back(-w * s / n);
      }
    }
  return t;
}

struct DftPlan {
  int64_t axis, n;
  bool inverse, onesided;
};

/// The axis (input 2) and dft_length (input 1); `strict` gives diagnostics when
/// they are not constants, otherwise nullopt leaves the shape unknown.
FailureOr<std::optional<DftPlan>> planDft(const OnnxNode &node, bool strict) {
  if (failed(requireRanked(node, 3)) || !node.input(0))
    return node.error() << "needs a ranked input", failure();
  auto shape = shapeOf(node.input(0));
  int64_t rank = shape.size();
  if (rank < 2)
    return node.error() << "input must have rank at least 2 ([..., 1 or 2])", failure();
  if (shape.back() != kDyn && shape.back() != 1 && shape.back() != 2)
    return node.error() << "the last dimension must be 1 (real) or 2 (complex), got "
                        << shape.back(),
           failure();
  if (!isFloat(elementTypeOf(node.input(0))))
    return node.error() << "needs a floating-point input", failure();
  DftPlan p;
  p.inverse = node.getInt("inverse", 0) != 0;
  p.onesided = node.getInt("onesided", 0) != 0;
  int64_t axis = -2;
  if (node.input(2)) {
    auto a = strict ? constantIntsOf(node, 2, "axis") : constantIntsOf(node, 2);
    if (!a)
      return strict ? FailureOr<std::optional<DftPlan>>(failure())
                    : FailureOr<std::optional<DftPlan>>(std::optional<DftPlan>());
    if (a->size() != 1)
      return node.error() << "axis must be a scalar", failure();
    axis = (*a)[0];
  }
  auto ax = normalizeAxis(node, axis, rank);
  if (failed(ax))
    return failure();
  if (*ax == rank - 1)
    return node.error() << "axis cannot be the last (real/imaginary) dimension", failure();
  p.axis = *ax;
  int64_t len = shape[p.axis];
  if (node.input(1)) {
    auto n = strict ? constantIntsOf(node, 1, "dft_length") : constantIntsOf(node, 1);
    if (!n)
      return strict ? FailureOr<std::optional<DftPlan>>(failure())
                    : FailureOr<std::optional<DftPlan>>(std::optional<DftPlan>());
    if (n->size() != 1 || (*n)[0] <= 0)
      return node.error() << "dft_length must be a positive scalar", failure();
    p.n = (*n)[0];
  } else if (len == kDyn) {
    p.n = kDyn;
  } else {
    p.n = p.inverse && p.onesided ? 2 * (len - 1) : len;
    if (p.n <= 0)
      return node.error() << "the signal is too short for the transform", failure();
  }
  return std::optional<DftPlan>(p);
}

LogicalResult inferDft(const OnnxNode &node, Types &out) {
  auto p = planDft(node, false);
  if (failed(p))
    return failure();
  auto shape = shapeOf(node.input(0));
  Type elt = elementTypeOf(node.input(0));
  if (!*p) {
    out.push_back(tensorOf(SmallVector<int64_t>(shape.size(), kDyn), elt));
    return success();
  }
  const DftPlan &d = **p;
  bool irfft = d.inverse && d.onesided;
  if (d.n == kDyn)
    shape[d.axis] = kDyn;
  else
    shape[d.axis] = !d.inverse && d.onesided ? d.n / 2 + 1 : d.n;
  shape.back() = irfft ? 1 : 2;
  out.push_back(tensorOf(shape, elt));
  return success();
}

Value tableConst(OpBuilder &b, Location l, const Twiddles &t, ArrayRef<double> v, Type elt) {
  return constantTensor(b, l, denseOf(tensorOf({t.K, t.nOut, t.cOut}, elt), v));
}

Result lowerDft(OpBuilder &b, const OnnxNode &node) {
  auto pp = planDft(node, true);
  if (failed(pp))
    return failure();
  DftPlan p = **pp;
  Location l = node.loc();
  MLIRContext *ctx = b.getContext();
  Value x = node.input(0);
  auto shape = shapeOf(x);
  int64_t rank = shape.size();
  Type elt = elementTypeOf(x);
  bool complexIn = shape.back() == 2;
  Twiddles t = twiddles(p.n, shape[p.axis], p.inverse, p.onesided);
  if (t.K < shape[p.axis]) {
    SmallVector<OpFoldResult> offs(rank, b.getIndexAttr(0)), sizes, strides(rank,
                                                                            b.getIndexAttr(1));
    for (int64_t d = 0; d < rank; ++d)
      sizes.push_back(b.getIndexAttr(d == p.axis ? t.K : shape[d]));
    x = tensor::ExtractSliceOp::create(b, l, x, offs, sizes, strides);
  }
  // Loops: the output dims, then k (dim `rank`).
  int64_t nLoops = rank + 1;
  auto xMap = [&](int64_t part) {
    SmallVector<AffineExpr> e;
    for (int64_t d = 0; d < rank; ++d)
      e.push_back(d == p.axis       ? getAffineDimExpr(rank, ctx)
                  : d == rank - 1 ? getAffineConstantExpr(part, ctx)
                                  : getAffineDimExpr(d, ctx));
    return AffineMap::get(nLoops, 0, e, ctx);
  };
  AffineMap tMap = AffineMap::get(nLoops, 0,
                                  {getAffineDimExpr(rank, ctx), getAffineDimExpr(p.axis, ctx),
                                   getAffineDimExpr(rank - 1, ctx)},
                                  ctx);
  SmallVector<AffineMap> maps = {xMap(0), tMap};
  Values ins = {x, tableConst(b, l, t, t.re, elt)};
  if (complexIn) {
    maps.append({xMap(1), tMap});
    ins.append({x, tableConst(b, l, t, t.im, elt)});
  }
  {
    SmallVector<AffineExpr> e;
    for (int64_t d = 0; d < rank; ++d)
      e.push_back(getAffineDimExpr(d, ctx));
    maps.push_back(AffineMap::get(nLoops, 0, e, ctx));
  }
  SmallVector<int64_t> outShape(shape);
  outShape[p.axis] = t.nOut;
  outShape.back() = t.cOut;
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  iters.push_back(utils::IteratorType::reduction);
  Value init = filledTensor(b, l, outShape, scalarConst(b, l, elt, 0));
  auto op = linalg::GenericOp::create(
      b, l, TypeRange{init.getType()}, ins, ValueRange{init}, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value acc = a.back();
        for (size_t i = 0; i + 1 < a.size(); i += 2)
          acc = arith::AddFOp::create(nb, nl, acc, arith::MulFOp::create(nb, nl, a[i], a[i + 1]));
        linalg::YieldOp::create(nb, nl, acc);
      });
  return Values{op.getResult(0)};
}

/// DFT-17: axis is an attribute (default 1); DFT-20 takes it as input 2.
Result upgradeDft17(OpBuilder &b, const OnnxNode &node) {
  Value axis = i64Tensor(b, node.loc(), {node.getInt("axis", 1)});
  axis = reshapeTo(b, node.loc(), axis, {});
  Values ops = {node.input(0)};
  if (node.input(1)) {
    ops.push_back(node.input(1));
  } else {
    OperationState st(node.loc(), "onnx.None");
    st.addTypes(b.getNoneType());
    ops.push_back(b.create(st)->getResult(0));
  }
  ops.push_back(axis);
  return rebuildAs(b, node, 20, ops, attrsWithout(node, {"axis"}));
}

// STFT -----------------------------------------------------------------------------

struct StftPlan {
  int64_t step, frameLength, frames;
  bool onesided;
};

FailureOr<std::optional<StftPlan>> planStft(const OnnxNode &node, bool strict) {
  if (failed(requireRanked(node, 4)) || !node.input(0) || !node.input(1))
    return node.error() << "needs a signal and a frame_step", failure();
  auto shape = shapeOf(node.input(0));
  if (shape.size() != 3 || (shape[2] != kDyn && shape[2] != 1 && shape[2] != 2))
    return node.error() << "signal must be [batch, length, 1 or 2]", failure();
  if (!isFloat(elementTypeOf(node.input(0))))
    return node.error() << "needs a floating-point signal", failure();
  StftPlan p;
  p.onesided = node.getInt("onesided", 1) != 0;
  auto step = strict ? constantIntsOf(node, 1, "frame_step") : constantIntsOf(node, 1);
  std::optional<SmallVector<int64_t>> fl;
  if (node.input(3))
    fl = strict ? constantIntsOf(node, 3, "frame_length") : constantIntsOf(node, 3);
  if (!step || (node.input(3) && !fl))
    return strict ? FailureOr<std::optional<StftPlan>>(failure())
                  : FailureOr<std::optional<StftPlan>>(std::optional<StftPlan>());
  if (step->size() != 1 || (*step)[0] <= 0)
    return node.error() << "frame_step must be a positive scalar", failure();
  p.step = (*step)[0];
  if (Value w = node.input(2)) {
    auto ws = shapeOf(w);
    if (ws.size() != 1)
      return node.error() << "window must be 1-D", failure();
    if (fl && ws[0] != kDyn && ws[0] != (*fl)[0])
      return node.error() << "window length " << ws[0] << " differs from frame_length "
                          << (*fl)[0],
             failure();
    p.frameLength = ws[0];
  }
  if (fl)
    p.frameLength = (*fl)[0];
  if (!fl && !node.input(2))
    return node.error() << "needs a window or a frame_length", failure();
  if (p.frameLength == kDyn || shape[1] == kDyn)
    return std::optional<StftPlan>();
  if (p.frameLength <= 0 || p.frameLength > shape[1])
    return node.error() << "frame_length " << p.frameLength
                        << " must be positive and at most the signal length " << shape[1],
           failure();
  p.frames = 1 + (shape[1] - p.frameLength) / p.step;
  return std::optional<StftPlan>(p);
}

LogicalResult inferStft(const OnnxNode &node, Types &out) {
  auto p = planStft(node, false);
  if (failed(p))
    return failure();
  auto shape = shapeOf(node.input(0));
  Type elt = elementTypeOf(node.input(0));
  if (!*p) {
    out.push_back(tensorOf({shape[0], kDyn, kDyn, 2}, elt));
    return success();
  }
  int64_t bins = (*p)->onesided ? (*p)->frameLength / 2 + 1 : (*p)->frameLength;
  out.push_back(tensorOf({shape[0], (*p)->frames, bins, 2}, elt));
  return success();
}

Result lowerStft(OpBuilder &b, const OnnxNode &node) {
  auto pp = planStft(node, true);
  if (failed(pp))
    return failure();
  if (!*pp)
    return node.error() << "needs static shapes", failure();
  StftPlan p = **pp;
  Location l = node.loc();
  MLIRContext *ctx = b.getContext();
  Value x = node.input(0), window = node.input(2);
  auto shape = shapeOf(x);
  Type elt = elementTypeOf(x);
  Twiddles t = twiddles(p.frameLength, p.frameLength, false, p.onesided);
  // Loops: (batch, frame, bin, c, k).
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  auto xMap = [&](int64_t part) {
    return AffineMap::get(5, 0, {d(0), d(1) * p.step + d(4), getAffineConstantExpr(part, ctx)},
                          ctx);
  };
  AffineMap tMap = AffineMap::get(5, 0, {d(4), d(2), d(3)}, ctx);
  SmallVector<AffineMap> maps = {xMap(0), tMap};
  Values ins = {x, tableConst(b, l, t, t.re, elt)};
  if (shape[2] == 2) {
    maps.append({xMap(1), tMap});
    ins.append({x, tableConst(b, l, t, t.im, elt)});
  }
  if (window) {
    maps.push_back(AffineMap::get(5, 0, {d(4)}, ctx));
    ins.push_back(window);
  }
  maps.push_back(AffineMap::get(5, 0, {d(0), d(1), d(2), d(3)}, ctx));
  SmallVector<int64_t> outShape = {shape[0], p.frames, t.nOut, 2};
  SmallVector<utils::IteratorType> iters(4, utils::IteratorType::parallel);
  iters.push_back(utils::IteratorType::reduction);
  Value init = filledTensor(b, l, outShape, scalarConst(b, l, elt, 0));
  bool hasWindow = bool(window);
  auto op = linalg::GenericOp::create(
      b, l, TypeRange{init.getType()}, ins, ValueRange{init}, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange a) {
        size_t pairs = (a.size() - 1 - (hasWindow ? 1 : 0)) / 2;
        Value sum;
        for (size_t i = 0; i < pairs; ++i) {
          Value term = arith::MulFOp::create(nb, nl, a[2 * i], a[2 * i + 1]);
          sum = sum ? Value(arith::AddFOp::create(nb, nl, sum, term)) : term;
        }
        if (hasWindow)
          sum = arith::MulFOp::create(nb, nl, sum, a[a.size() - 2]);
        linalg::YieldOp::create(nb, nl, Value(arith::AddFOp::create(nb, nl, a.back(), sum)));
      });
  return Values{op.getResult(0)};
}

} // namespace

void addSignalOps(OpTable &t) {
  t.add("HannWindow", 17,
        OpEntry::form(inferWindow, lowerWindow(WindowKind::Hann), foldWindow(WindowKind::Hann)));
  t.add("HammingWindow", 17,
        OpEntry::form(inferWindow, lowerWindow(WindowKind::Hamming),
                      foldWindow(WindowKind::Hamming)));
  t.add("BlackmanWindow", 17,
        OpEntry::form(inferWindow, lowerWindow(WindowKind::Blackman),
                      foldWindow(WindowKind::Blackman)));
  t.add("MelWeightMatrix", 17, OpEntry::form(inferMel, lowerMel, foldMel));
  t.add("DFT", 17, OpEntry::upgradedBy(upgradeDft17));
  t.add("DFT", 20, OpEntry::form(inferDft, lowerDft));
  t.add("STFT", 17, OpEntry::form(inferStft, lowerStft));
}

} // namespace nnm::onnx_to_linalg
