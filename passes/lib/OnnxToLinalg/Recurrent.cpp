//===- Recurrent.cpp - ONNX RNN, GRU and LSTM to linalg --------------------===//
//
// The recurrent family, one lowering shared by the three ops. Per direction:
//   - X (as [S, B, I]; layout 1 is transposed first) is reversed in time for
//     the reverse direction (per batch entry, over its own length, when
//     sequence_lens is given);
//   - the input projection of every step, X @ W^T + biases, is one matmul
//     over all S*B rows before the time loop;
//   - an scf.for over the S steps carries the states H (and C) and the
//     direction's Y [S, B, H] as tensors: each step does the recurrent
//     matmul H @ R^T and the gate arithmetic, then inserts H into Y;
//   - with sequence_lens, steps t >= len[b] keep the state and write zeros
//     into Y (masking); the reverse direction's Y is reversed back.
// Gates: RNN  H = f(XW + H R^T + Wb + Rb)
//        GRU  z = f(..z), r = f(..r), h~ = g(XWh + (r*H) Rh^T + Rbh + Wbh)
//             (linear_before_reset: g(XWh + r*(H Rh^T + Rbh) + Wbh)),
//             H = (1 - z) h~ + z H
//        LSTM i = f(.. + Pi*C), f = f(.. + Pf*C) (input_forget: 1 - i),
//             c~ = g(..), C = f C + i c~, o = f(.. + Po*C'), H = o h(C').
// clip bounds every pre-activation of f and g to [-clip, clip].
//
//===----------------------------------------------------------------------===//
#include "Common.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/AffineMap.h"

#include <optional>

using namespace mlir;

namespace nnm::onnx_to_linalg {
namespace {

enum Input : unsigned { kX, kW, kR, kB, kSeqLens, kInitH, kInitC, kP };

enum class Cell { Rnn, Gru, Lstm };

int64_t gatesOf(Cell c) { return c == Cell::Rnn ? 1 : c == Cell::Gru ? 3 : 4; }
ArrayRef<StringRef> defaultActivations(Cell c) {
  static const StringRef rnn[] = {"Tanh"};
  static const StringRef gru[] = {"Sigmoid", "Tanh"};
  static const StringRef lstm[] = {"Sigmoid", "Tanh", "Tanh"};
  if (c == Cell::Rnn)
    return rnn;
  if (c == Cell::Gru)
    return gru;
  return lstm;
}

FailureOr<int64_t> numDirections(const OnnxNode &node) {
  std::string d = node.getString("direction", "forward");
  if (d == "forward" || d == "reverse")
    return 1;
  if (d == "bidirectional")
    return 2;
  return node.error() << "unknown direction '" << d << "'", failure();
}

// Activations ----------------------------------------------------------------

enum class ActKind {
  Relu,
  Tanh,
  Sigmoid,
  Affine,
  LeakyRelu,
  ThresholdedRelu,
  ScaledTanh,
  HardSigmoid,
  Elu,
  Softsign,
  Softplus
};

struct Activation {
  ActKind kind;
  double alpha = 0, beta = 0;
};

struct ActInfo {
  StringRef name;
  ActKind kind;
  bool usesAlpha, usesBeta;
  double alpha, beta; // defaults
};

const ActInfo kActs[] = {
    {"relu", ActKind::Relu, false, false, 0, 0},
    {"tanh", ActKind::Tanh, false, false, 0, 0},
    {"sigmoid", ActKind::Sigmoid, false, false, 0, 0},
    {"affine", ActKind::Affine, true, true, 1.0, 0.0},
    {"leakyrelu", ActKind::LeakyRelu, true, false, 0.01, 0},
    {"thresholdedrelu", ActKind::ThresholdedRelu, true, false, 1.0, 0},
    {"scaledtanh", ActKind::ScaledTanh, true, true, 1.0, 1.0},
    {"hardsigmoid", ActKind::HardSigmoid, true, true, 0.2, 0.5},
    {"elu", ActKind::Elu, true, false, 1.0, 0},
    {"softsign", ActKind::Softsign, false, false, 0, 0},
    {"softplus", ActKind::Softplus, false, false, 0, 0},
};

/// The activations of every direction (numDirs * per-cell count), with their
/// alpha/beta: the activation_alpha/beta lists are consumed in order by the
/// activations that take the parameter.
FailureOr<SmallVector<Activation>> activationsOf(const OnnxNode &node, Cell cell, int64_t dirs) {
  ArrayRef<StringRef> dflt = defaultActivations(cell);
  SmallVector<std::string> names;
  if (auto a = node.op->getAttrOfType<ArrayAttr>("activations")) {
    for (Attribute e : a) {
      auto s = dyn_cast<StringAttr>(e);
      if (!s)
        return node.error() << "activations must be strings", failure();
      names.push_back(s.getValue().lower());
    }
    if (names.size() == dflt.size() && dirs == 2) // one list for both directions
      names.append(SmallVector<std::string>(names));
    if (int64_t(names.size()) != int64_t(dflt.size()) * dirs)
      return node.error() << "activations has " << names.size() << " entries, expected "
                          << dflt.size() * dirs,
             failure();
  } else {
    for (int64_t d = 0; d < dirs; ++d)
      for (StringRef n : dflt)
        names.push_back(n.lower());
  }
  SmallVector<double> alphas = node.getFloats("activation_alpha").value_or(SmallVector<double>{});
  SmallVector<double> betas = node.getFloats("activation_beta").value_or(SmallVector<double>{});
  size_t ai = 0, bi = 0;
  SmallVector<Activation> out;
  for (const std::string &n : names) {
    const ActInfo *info = nullptr;
    for (const ActInfo &i : kActs)
      if (i.name == n)
        info = &i;
    if (!info)
      return node.error() << "unsupported activation '" << n << "'", failure();
    Activation a{info->kind, info->alpha, info->beta};
    if (info->usesAlpha && ai < alphas.size())
      a.alpha = alphas[ai++];
    if (info->usesBeta && bi < betas.size())
      a.beta = betas[bi++];
    out.push_back(a);
  }
  return out;
}

Value applyActivation(OpBuilder &b, Location l, const Activation &a, Value x) {
  Type t = x.getType();
  auto c = [&](double v) { return scalarConst(b, l, t, v); };
  auto mul = [&](Value p, Value q) { return arith::MulFOp::create(b, l, p, q).getResult(); };
  auto add = [&](Value p, Value q) { return arith::AddFOp::create(b, l, p, q).getResult(); };
  switch (a.kind) {
  case ActKind::Relu:
    return maxS(b, l, x, c(0));
  case ActKind::Tanh:
    return math::TanhOp::create(b, l, x);
  case ActKind::Sigmoid: {
    Value e = math::ExpOp::create(b, l, arith::NegFOp::create(b, l, x));
    return arith::DivFOp::create(b, l, c(1), add(c(1), e));
  }
  case ActKind::Affine:
    return add(mul(c(a.alpha), x), c(a.beta));
  case ActKind::LeakyRelu: {
    Value neg = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, x, c(0));
    return arith::SelectOp::create(b, l, neg, mul(c(a.alpha), x), x);
  }
  case ActKind::ThresholdedRelu: {
    Value gt = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, x, c(a.alpha));
    return arith::SelectOp::create(b, l, gt, x, c(0));
  }
  case ActKind::ScaledTanh:
    return mul(c(a.alpha), math::TanhOp::create(b, l, mul(c(a.beta), x)));
  case ActKind::HardSigmoid:
    return maxS(b, l, c(0), minS(b, l, c(1), add(mul(c(a.alpha), x), c(a.beta))));
  case ActKind::Elu: {
    Value neg = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, x, c(0));
    Value e = arith::SubFOp::create(b, l, math::ExpOp::create(b, l, x), c(1));
    return arith::SelectOp::create(b, l, neg, mul(c(a.alpha), e), x);
  }
  case ActKind::Softsign:
    return arith::DivFOp::create(b, l, x, add(c(1), math::AbsFOp::create(b, l, x)));
  case ActKind::Softplus:
    return math::Log1pOp::create(b, l, math::ExpOp::create(b, l, x));
  }
  return x;
}

// Tensor helpers --------------------------------------------------------------

SmallVector<OpFoldResult> indexAttrs(OpBuilder &b, ArrayRef<int64_t> v) {
  SmallVector<OpFoldResult> out;
  for (int64_t x : v)
    out.push_back(b.getIndexAttr(x));
  return out;
}

/// extract_slice of `v` at `offsets` with `sizes`, rank-reduced to `shape`.
Value sliceAt(OpBuilder &b, Location l, Value v, ArrayRef<OpFoldResult> offsets,
              ArrayRef<int64_t> sizes, ArrayRef<int64_t> shape) {
  auto type = tensorOf(shape, elementTypeOf(v));
  SmallVector<OpFoldResult> strides = indexAttrs(b, SmallVector<int64_t>(sizes.size(), 1));
  return tensor::ExtractSliceOp::create(b, l, type, v, offsets, indexAttrs(b, sizes), strides);
}
Value slice(OpBuilder &b, Location l, Value v, ArrayRef<int64_t> offsets,
            ArrayRef<int64_t> sizes, ArrayRef<int64_t> shape) {
  return sliceAt(b, l, v, indexAttrs(b, offsets), sizes, shape);
}

/// insert_slice of `src` into `dest` at `offsets` with `sizes`.
Value insert(OpBuilder &b, Location l, Value src, Value dest, ArrayRef<OpFoldResult> offsets,
             ArrayRef<int64_t> sizes) {
  SmallVector<OpFoldResult> strides = indexAttrs(b, SmallVector<int64_t>(sizes.size(), 1));
  return tensor::InsertSliceOp::create(b, l, src, dest, offsets, indexAttrs(b, sizes), strides);
}

/// a [M, K] @ w[N, K]^T -> [M, N].
Value matmulNT(OpBuilder &b, Location l, Value a, Value w) {
  auto as = shapeOf(a), ws = shapeOf(w);
  Type elt = elementTypeOf(a);
  Value init = filledTensor(b, l, {as[0], ws[0]}, scalarConst(b, l, elt, 0));
  if (as[1] == 0 || as[0] == 0 || ws[0] == 0)
    return init;
  MLIRContext *ctx = b.getContext();
  AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx),
             k = getAffineDimExpr(2, ctx);
  SmallVector<AffineMap> maps{AffineMap::get(3, 0, {m, k}, ctx),
                              AffineMap::get(3, 0, {n, k}, ctx),
                              AffineMap::get(3, 0, {m, n}, ctx)};
  SmallVector<utils::IteratorType> iters{utils::IteratorType::parallel,
                                         utils::IteratorType::parallel,
                                         utils::IteratorType::reduction};
  return linalg::GenericOp::create(
             b, l, TypeRange{init.getType()}, ValueRange{a, w}, ValueRange{init}, maps, iters,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value p = mulS(nb, nl, args[0], args[1]);
               linalg::YieldOp::create(nb, nl, addS(nb, nl, args[2], p));
             })
      .getResult(0);
}

FailureOr<Value> transposeOf(OpBuilder &b, Location l, Value v, ArrayRef<int64_t> perm) {
  auto r = createOrFold(b, l, "Transpose", 21, {v},
                        {b.getNamedAttr("perm", b.getDenseI64ArrayAttr(perm))});
  if (failed(r))
    return failure();
  return (*r)[0];
}

/// Reverses x [S, B, K] in time: out[t, b] = x[S-1-t, b], or, with lens [B]
/// (any integer type), x[len[b]-1-t, b] for t < len[b] and x[t, b] beyond.
Value reverseTime(OpBuilder &b, Location l, Value x, Value lens) {
  auto s = shapeOf(x);
  if (productOf(s) == 0)
    return x;
  MLIRContext *ctx = b.getContext();
  Type elt = elementTypeOf(x);
  Value init = emptyTensor(b, l, s, elt);
  SmallVector<Value> ins;
  SmallVector<AffineMap> maps;
  if (lens) {
    ins.push_back(lens);
    maps.push_back(AffineMap::get(3, 0, {getAffineDimExpr(1, ctx)}, ctx));
  }
  maps.push_back(AffineMap::getMultiDimIdentityMap(3, ctx));
  SmallVector<utils::IteratorType> iters(3, utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, l, TypeRange{init.getType()}, ins, ValueRange{init}, maps, iters,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value t = linalg::IndexOp::create(nb, nl, 0);
               Value bi = linalg::IndexOp::create(nb, nl, 1);
               Value k = linalg::IndexOp::create(nb, nl, 2);
               Value one = arith::ConstantIndexOp::create(nb, nl, 1);
               Value sLen = arith::ConstantIndexOp::create(nb, nl, s[0]);
               Value src;
               if (lens) {
                 Value len = castS(nb, nl, args[0], nb.getI64Type());
                 len = arith::IndexCastOp::create(nb, nl, nb.getIndexType(), len);
                 len = arith::MinSIOp::create(nb, nl, len, sLen);
                 Value inside =
                     arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, t, len);
                 Value rev = arith::SubIOp::create(
                     nb, nl, arith::SubIOp::create(nb, nl, len, one), t);
                 src = arith::SelectOp::create(nb, nl, inside, rev, t);
               } else {
                 src = arith::SubIOp::create(nb, nl,
                                             arith::SubIOp::create(nb, nl, sLen, one), t);
               }
               Value e = tensor::ExtractOp::create(nb, nl, x, ValueRange{src, bi, k});
               linalg::YieldOp::create(nb, nl, e);
             })
      .getResult(0);
}

// Shape rule ------------------------------------------------------------------

LogicalResult inferRecurrent(const OnnxNode &node, Types &out, Cell cell) {
  for (unsigned i : {kX, kW, kR})
    if (!node.inputType(i))
      return node.error() << "needs ranked inputs X, W and R";
  auto x = shapeOf(node.input(kX)), w = shapeOf(node.input(kW)), r = shapeOf(node.input(kR));
  if (x.size() != 3 || w.size() != 3 || r.size() != 3)
    return node.error() << "X, W and R must be 3-D";
  Type elt = elementTypeOf(node.input(kX));
  if (!isFloat(elt))
    return node.error() << "needs a floating-point X";
  auto dirs = numDirections(node);
  if (failed(dirs))
    return failure();
  int64_t layout = node.getInt("layout", 0);
  if (layout != 0 && layout != 1)
    return node.error() << "layout " << layout << " is not 0 or 1";
  int64_t gates = gatesOf(cell);
  int64_t hidden = node.getInt("hidden_size", r[2]);
  if (hidden != kDyn && r[2] != kDyn && hidden != r[2])
    return node.error() << "hidden_size " << hidden << " does not match R's last dim " << r[2];
  if (hidden != kDyn && r[1] != kDyn && r[1] != gates * hidden)
    return node.error() << "R's dim 1 is " << r[1] << ", expected " << gates * hidden;
  if (hidden != kDyn && w[1] != kDyn && w[1] != gates * hidden)
    return node.error() << "W's dim 1 is " << w[1] << ", expected " << gates * hidden;
  for (auto [dim, what] : {std::pair{w[0], "W"}, std::pair{r[0], "R"}})
    if (dim != kDyn && dim != *dirs)
      return node.error() << what << "'s dim 0 is " << dim << ", expected " << *dirs
                          << " direction(s)";
  if (x[2] != kDyn && w[2] != kDyn && x[2] != w[2])
    return node.error() << "X's input size " << x[2] << " differs from W's " << w[2];
  unsigned maxResults = cell == Cell::Lstm ? 3 : 2;
  if (node.numResults() > maxResults)
    return node.error() << "has at most " << maxResults << " outputs";
  if (node.getInt("input_forget", 0) != 0 && cell != Cell::Lstm)
    return node.error() << "input_forget is an LSTM attribute";
  int64_t seq = layout ? x[1] : x[0], batch = layout ? x[0] : x[1];
  if (node.numResults() > 0)
    out.push_back(layout ? tensorOf({batch, seq, *dirs, hidden}, elt)
                         : tensorOf({seq, *dirs, batch, hidden}, elt));
  for (unsigned i = 1; i < node.numResults(); ++i)
    out.push_back(layout ? tensorOf({batch, *dirs, hidden}, elt)
                         : tensorOf({*dirs, batch, hidden}, elt));
  return success();
}

// Lowering --------------------------------------------------------------------

struct Problem {
  Cell cell;
  int64_t seq, batch, input, hidden, gates, dirs;
  Type elt;
  std::optional<double> clip;
  bool linearBeforeReset = false, inputForget = false;
  Value lens; // [B] integer, null when every sequence has the full length
  Value initH, initC; // [D, B, H] or null
};

/// One direction's result: Y [S, B, H], final H and C [B, H].
struct DirResult {
  Value y, h, c;
};

FailureOr<DirResult> runDirection(OpBuilder &b, Location l, const OnnxNode &node,
                                  const Problem &p, int64_t d, bool reverse, Value x,
                                  ArrayRef<Activation> acts) {
  const int64_t S = p.seq, B = p.batch, I = p.input, H = p.hidden, G = p.gates;
  Type elt = p.elt;
  Value zero = scalarConst(b, l, elt, 0);
  // Parameters of direction d.
  Value w = slice(b, l, node.input(kW), {d, 0, 0}, {1, G * H, I}, {G * H, I});
  Value r = slice(b, l, node.input(kR), {d, 0, 0}, {1, G * H, H}, {G * H, H});
  Value wb, rb;
  if (Value bias = node.input(kB)) {
    if (shapeOf(bias) != SmallVector<int64_t>{p.dirs, 2 * G * H})
      return node.error() << "B must have shape [" << p.dirs << ", " << 2 * G * H << "]",
             failure();
    wb = slice(b, l, bias, {d, 0}, {1, G * H}, {G * H});
    rb = slice(b, l, bias, {d, G * H}, {1, G * H}, {G * H});
  }
  Value h0, c0;
  if (Value ih = p.initH)
    h0 = slice(b, l, ih, {d, 0, 0}, {1, B, H}, {B, H});
  else
    h0 = filledTensor(b, l, {B, H}, zero);
  if (p.cell == Cell::Lstm) {
    if (Value ic = p.initC)
      c0 = slice(b, l, ic, {d, 0, 0}, {1, B, H}, {B, H});
    else
      c0 = filledTensor(b, l, {B, H}, zero);
  }
  Value pi, po, pf;
  if (p.cell == Cell::Lstm) {
    if (Value peep = node.input(kP)) {
      if (shapeOf(peep) != SmallVector<int64_t>{p.dirs, 3 * H})
        return node.error() << "P must have shape [" << p.dirs << ", " << 3 * H << "]",
               failure();
      pi = slice(b, l, peep, {d, 0}, {1, H}, {H});
      po = slice(b, l, peep, {d, H}, {1, H}, {H});
      pf = slice(b, l, peep, {d, 2 * H}, {1, H}, {H});
    }
  }
  // The GRU's recurrent bias of h~ stays inside r * (...) with linear_before_reset.
  bool splitRbh = p.cell == Cell::Gru && p.linearBeforeReset && rb;
  Value xBias;
  if (wb) {
    if (splitRbh) {
      Value rbzr = slice(b, l, rb, {0}, {2 * H}, {2 * H});
      Value rbzr0 = insert(b, l, rbzr, filledTensor(b, l, {G * H}, zero), indexAttrs(b, {0}),
                           {2 * H});
      xBias = buildElementwise(b, l, {wb, rbzr0}, {G * H}, elt,
                               [](OpBuilder &nb, Location nl, ValueRange a) {
                                 return addS(nb, nl, a[0], a[1]);
                               });
    } else {
      xBias = buildElementwise(b, l, {wb, rb}, {G * H}, elt,
                               [](OpBuilder &nb, Location nl, ValueRange a) {
                                 return addS(nb, nl, a[0], a[1]);
                               });
    }
  }
  Value rbh = splitRbh ? slice(b, l, rb, {2 * H}, {H}, {H}) : Value();
  // Input projection of every step.
  if (reverse)
    x = reverseTime(b, l, x, p.lens);
  Value xw = matmulNT(b, l, reshapeTo(b, l, x, {S * B, I}), w);
  if (xBias)
    xw = buildElementwise(b, l, {xw, xBias}, {S * B, G * H}, elt,
                          [](OpBuilder &nb, Location nl, ValueRange a) {
                            return addS(nb, nl, a[0], a[1]);
                          });
  xw = reshapeTo(b, l, xw, {S, B, G * H});

  Value rzr, rh; // GRU: R split into the z/r rows and the h rows
  if (p.cell == Cell::Gru) {
    rzr = slice(b, l, r, {0, 0}, {2 * H, H}, {2 * H, H});
    rh = slice(b, l, r, {2 * H, 0}, {H, H}, {H, H});
  }
  Value lens2 = p.lens ? reshapeTo(b, l, p.lens, {B, 1}) : Value();
  std::optional<double> clip = p.clip;
  auto pre = [clip](OpBuilder &nb, Location nl, Value v) {
    if (!clip)
      return v;
    Type t = v.getType();
    v = maxS(nb, nl, v, scalarConst(nb, nl, t, -*clip));
    return minS(nb, nl, v, scalarConst(nb, nl, t, *clip));
  };
  const Activation f = acts[0];
  const Activation g = acts.size() > 1 ? acts[1] : acts[0];
  const Activation hAct = acts.size() > 2 ? acts[2] : acts[0];

  Value yInit = emptyTensor(b, l, {S, B, H}, elt);
  SmallVector<Value> iterInit{yInit, h0};
  if (c0)
    iterInit.push_back(c0);
  Value lb = arith::ConstantIndexOp::create(b, l, 0);
  Value ub = arith::ConstantIndexOp::create(b, l, S);
  Value step = arith::ConstantIndexOp::create(b, l, 1);
  auto loop = scf::ForOp::create(
      b, l, lb, ub, step, iterInit,
      [&](OpBuilder &nb, Location nl, Value t, ValueRange iter) {
        Value y = iter[0], hPrev = iter[1], cPrev = c0 ? iter[2] : Value();
        SmallVector<OpFoldResult> tOff{t, nb.getIndexAttr(0), nb.getIndexAttr(0)};
        Value xt = sliceAt(nb, nl, xw, tOff, {1, B, G * H}, {B, G * H});
        auto cols = [&](Value v, int64_t gate) {
          return slice(nb, nl, v, {0, gate * H}, {B, H}, {B, H});
        };
        auto ew = [&](ValueRange ins, BodyFn body) {
          return buildElementwise(nb, nl, ins, {B, H}, elt, body);
        };
        Value hNew, cNew;
        if (p.cell == Cell::Rnn) {
          Value hr = matmulNT(nb, nl, hPrev, r);
          hNew = ew({xt, hr}, [&](OpBuilder &eb, Location el, ValueRange a) {
            return applyActivation(eb, el, f, pre(eb, el, addS(eb, el, a[0], a[1])));
          });
        } else if (p.cell == Cell::Gru) {
          Value hzr = matmulNT(nb, nl, hPrev, rzr);
          auto gate = [&](int64_t k) {
            return ew({cols(xt, k), cols(hzr, k)}, [&](OpBuilder &eb, Location el, ValueRange a) {
              return applyActivation(eb, el, f, pre(eb, el, addS(eb, el, a[0], a[1])));
            });
          };
          Value z = gate(0), rg = gate(1);
          Value xh = cols(xt, 2);
          Value ht;
          if (p.linearBeforeReset) {
            Value hh = matmulNT(nb, nl, hPrev, rh);
            SmallVector<Value> ins{xh, rg, hh};
            if (rbh)
              ins.push_back(rbh);
            ht = ew(ins, [&](OpBuilder &eb, Location el, ValueRange a) {
              Value inner = a.size() > 3 ? addS(eb, el, a[2], a[3]) : a[2];
              Value v = addS(eb, el, a[0], mulS(eb, el, a[1], inner));
              return applyActivation(eb, el, g, pre(eb, el, v));
            });
          } else {
            Value rhPrev = ew({rg, hPrev}, [](OpBuilder &eb, Location el, ValueRange a) {
              return mulS(eb, el, a[0], a[1]);
            });
            Value hh = matmulNT(nb, nl, rhPrev, rh);
            ht = ew({xh, hh}, [&](OpBuilder &eb, Location el, ValueRange a) {
              return applyActivation(eb, el, g, pre(eb, el, addS(eb, el, a[0], a[1])));
            });
          }
          hNew = ew({z, ht, hPrev}, [](OpBuilder &eb, Location el, ValueRange a) {
            // (1 - z) * h~ + z * H
            Value one = scalarConst(eb, el, a[0].getType(), 1);
            Value omz = arith::SubFOp::create(eb, el, one, a[0]);
            return addS(eb, el, mulS(eb, el, omz, a[1]), mulS(eb, el, a[0], a[2]));
          });
        } else {
          Value hr = matmulNT(nb, nl, hPrev, r);
          Value gsum = buildElementwise(nb, nl, {xt, hr}, {B, G * H}, elt,
                                        [](OpBuilder &eb, Location el, ValueRange a) {
                                          return addS(eb, el, a[0], a[1]);
                                        });
          Value gi = cols(gsum, 0), go = cols(gsum, 1), gf = cols(gsum, 2), gc = cols(gsum, 3);
          bool peep = bool(pi);
          // C' = f * C + i * c~
          SmallVector<Value> ins{gi, gf, gc, cPrev};
          if (peep) {
            ins.push_back(pi);
            ins.push_back(pf);
          }
          bool inputForget = p.inputForget;
          cNew = ew(ins, [&](OpBuilder &eb, Location el, ValueRange a) {
            Value vi = a[0], vf = a[1];
            if (peep) {
              vi = addS(eb, el, vi, mulS(eb, el, a[4], a[3]));
              vf = addS(eb, el, vf, mulS(eb, el, a[5], a[3]));
            }
            Value ig = applyActivation(eb, el, f, pre(eb, el, vi));
            Value fg = inputForget
                           ? arith::SubFOp::create(eb, el, scalarConst(eb, el, ig.getType(), 1),
                                                   ig)
                                 .getResult()
                           : applyActivation(eb, el, f, pre(eb, el, vf));
            Value cg = applyActivation(eb, el, g, pre(eb, el, a[2]));
            return addS(eb, el, mulS(eb, el, fg, a[3]), mulS(eb, el, ig, cg));
          });
          SmallVector<Value> oins{go, cNew};
          if (peep)
            oins.push_back(po);
          hNew = ew(oins, [&](OpBuilder &eb, Location el, ValueRange a) {
            Value vo = a[0];
            if (peep)
              vo = addS(eb, el, vo, mulS(eb, el, a[2], a[1]));
            Value og = applyActivation(eb, el, f, pre(eb, el, vo));
            return mulS(eb, el, og, applyActivation(eb, el, hAct, a[1]));
          });
        }
        Value yt = hNew;
        if (lens2) {
          // Steps past a sequence's length keep its state and give zeros.
          Value t64 = arith::IndexCastOp::create(nb, nl, nb.getI64Type(), t);
          auto keep = [&](Value next, Value prev) {
            return ew({lens2, next, prev}, [&](OpBuilder &eb, Location el, ValueRange a) {
              Value len = castS(eb, el, a[0], eb.getI64Type());
              Value in = arith::CmpIOp::create(eb, el, arith::CmpIPredicate::slt, t64, len);
              return arith::SelectOp::create(eb, el, in, a[1], a[2]).getResult();
            });
          };
          yt = keep(hNew, filledTensor(nb, nl, {B, H}, scalarConst(nb, nl, elt, 0)));
          hNew = keep(hNew, hPrev);
          if (cNew)
            cNew = keep(cNew, cPrev);
        }
        // The new states are written into the carried ones so that the loop
        // bufferizes in place (every read of the old state comes first).
        hNew = linalg::CopyOp::create(nb, nl, hNew, hPrev).getResult(0);
        if (cNew)
          cNew = linalg::CopyOp::create(nb, nl, cNew, cPrev).getResult(0);
        Value yNext = insert(nb, nl, yt, y, tOff, {1, B, H});
        SmallVector<Value> next{yNext, hNew};
        if (cNew)
          next.push_back(cNew);
        scf::YieldOp::create(nb, nl, next);
      });
  DirResult res;
  res.y = loop.getResult(0);
  res.h = loop.getResult(1);
  if (c0)
    res.c = loop.getResult(2);
  if (reverse)
    res.y = reverseTime(b, l, res.y, p.lens);
  return res;
}

Result lowerRecurrent(OpBuilder &b, const OnnxNode &node, Cell cell) {
  Location l = node.loc();
  Problem p;
  p.cell = cell;
  p.gates = gatesOf(cell);
  p.elt = elementTypeOf(node.input(kX));
  auto dirs = numDirections(node);
  if (failed(dirs))
    return failure();
  p.dirs = *dirs;
  std::string direction = node.getString("direction", "forward");
  int64_t layout = node.getInt("layout", 0);
  Value x = node.input(kX);
  if (layout) {
    auto t = transposeOf(b, l, x, {1, 0, 2});
    if (failed(t))
      return failure();
    x = *t;
  }
  auto xs = shapeOf(x), rs = shapeOf(node.input(kR));
  p.seq = xs[0];
  p.batch = xs[1];
  p.input = xs[2];
  p.hidden = rs[2];
  if (node.has("clip"))
    p.clip = node.getFloat("clip", 0);
  p.linearBeforeReset = node.getInt("linear_before_reset", 0) != 0;
  p.inputForget = node.getInt("input_forget", 0) != 0;
  if (Value lens = node.input(kSeqLens)) {
    if (shapeOf(lens) != SmallVector<int64_t>{p.batch} ||
        !isa<IntegerType>(elementTypeOf(lens)))
      return node.error() << "sequence_lens must be an integer tensor of shape [" << p.batch
                          << "]",
             failure();
    auto c = constantOf(lens);
    bool full = c && llvm::all_of(c.getValues<APInt>(), [&](const APInt &v) {
                  return v.getSExtValue() == p.seq;
                });
    if (!full)
      p.lens = lens;
  }
  // Initial states arrive as [D, B, H] (layout 0) or [B, D, H].
  for (unsigned i : {kInitH, kInitC}) {
    Value v = node.input(i);
    if (!v)
      continue;
    SmallVector<int64_t> want = layout ? SmallVector<int64_t>{p.batch, p.dirs, p.hidden}
                                       : SmallVector<int64_t>{p.dirs, p.batch, p.hidden};
    if (shapeOf(v) != want)
      return node.error() << (i == kInitH ? "initial_h" : "initial_c") << " has the wrong shape",
             failure();
    if (layout) {
      auto t = transposeOf(b, l, v, {1, 0, 2});
      if (failed(t))
        return failure();
      v = *t;
    }
    (i == kInitH ? p.initH : p.initC) = v;
  }
  auto acts = activationsOf(node, cell, p.dirs);
  if (failed(acts))
    return failure();
  int64_t perDir = defaultActivations(cell).size();
  SmallVector<DirResult> results;
  for (int64_t d = 0; d < p.dirs; ++d) {
    bool reverse = direction == "reverse" || d == 1;
    auto r = runDirection(b, l, node, p, d, reverse, x,
                          ArrayRef<Activation>(*acts).slice(d * perDir, perDir));
    if (failed(r))
      return failure();
    results.push_back(*r);
  }
  const int64_t S = p.seq, B = p.batch, H = p.hidden, D = p.dirs;
  Values out;
  if (node.numResults() > 0) {
    Value y = emptyTensor(b, l, {S, D, B, H}, p.elt);
    for (int64_t d = 0; d < D; ++d)
      y = insert(b, l, results[d].y, y, indexAttrs(b, {0, d, 0, 0}), {S, 1, B, H});
    if (layout) {
      auto t = transposeOf(b, l, y, {2, 0, 1, 3});
      if (failed(t))
        return failure();
      y = *t;
    }
    out.push_back(y);
  }
  for (unsigned i = 1; i < node.numResults(); ++i) {
    Value s = emptyTensor(b, l, {D, B, H}, p.elt);
    for (int64_t d = 0; d < D; ++d) {
      Value v = i == 1 ? results[d].h : results[d].c;
      s = insert(b, l, v, s, indexAttrs(b, {d, 0, 0}), {1, B, H});
    }
    if (layout) {
      auto t = transposeOf(b, l, s, {1, 0, 2});
      if (failed(t))
        return failure();
      s = *t;
    }
    out.push_back(s);
  }
  return out;
}

} // namespace

void addRecurrentOps(OpTable &t) {
  for (auto [name, cell] : {std::pair{"RNN", Cell::Rnn}, std::pair{"GRU", Cell::Gru},
                            std::pair{"LSTM", Cell::Lstm}}) {
    Cell c = cell;
    // Before 7 (GRU: 1 and 3), output_sequence said whether Y is wanted; Y is
    // simply an optional output from 7 on. GRU 3 added linear_before_reset
    // (default 0, GRU 1's behaviour).
    t.add(name, 1, OpEntry::upgradedBy(dropAttrs(7, {"output_sequence"})));
    // Opset 14 adds layout (default 0, the only layout before).
    t.add(name, 7, OpEntry::upgradedBy(dropAttrs(14, {})));
    t.add(name, 14,
          OpEntry::form([c](const OnnxNode &n, Types &out) { return inferRecurrent(n, out, c); },
                        [c](OpBuilder &b, const OnnxNode &n) { return lowerRecurrent(b, n, c); }));
  }
}

} // namespace nnm::onnx_to_linalg
