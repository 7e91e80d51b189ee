//===- Attention.cpp - ONNX Attention (opset 23+) to linalg ---------------===//
//
// Attention(Q, K, V, attn_mask?, past_key?, past_value?, nonpad_kv_seqlen?):
//   3-D Q/K/V [B, S, heads*D] are split into heads ([B, heads, S, D]);
//   K and V gain the past cache (present_key/value, concatenated on S);
//   grouped-query attention repeats each K/V head q_heads/kv_heads times;
//   scores = softcap(Q*sqrt(scale) @ (K*sqrt(scale))^T) + bias, where the
//   additive bias is built from the mask (bool: 0/-inf; float: added; shorter
//   than the key length: padded with -inf), the causal frontier (key j is
//   visible to query i when j <= i + offset, offset = past length or
//   nonpad_kv_seqlen[b] - q_len), the sliding window and the per-batch key
//   padding; P = softmax(scores) over keys, with rows whose bias is all -inf
//   giving 0; Y = P @ V (merged back into [B, S, heads*Dv] for 3-D inputs).
// The bias and score go into one linalg.generic that reads the mask and the
// key lengths by index, so no [B, H, Sq, Skv] mask is materialised apart from
// the scores themselves. The matmuls are onnx.MatMul ops, lowered in turn.
//
//===----------------------------------------------------------------------===//
#include "Common.h"

#include "nnm/Support/ElementType.h"

#include <cmath>

using namespace mlir;

namespace nnm::onnx_to_linalg {
namespace {

enum Input : unsigned { kQ, kK, kV, kMask, kPastKey, kPastValue, kNonpad };

/// The problem's sizes, from the operand shapes and attributes.
struct AttentionShape {
  bool threeD = false;
  int64_t batch = 0, qHeads = 0, kvHeads = 0, qLen = 0, kvLen = 0, pastLen = 0;
  int64_t headSize = 0, vHeadSize = 0;
  int64_t totalLen() const { return pastLen + kvLen; }
};

FailureOr<AttentionShape> attentionShape(const OnnxNode &node) {
  for (unsigned i : {kQ, kK, kV})
    if (!node.inputType(i))
      return node.error() << "needs ranked inputs Q, K and V", failure();
  auto q = shapeOf(node.input(kQ)), k = shapeOf(node.input(kK)), v = shapeOf(node.input(kV));
  AttentionShape s;
  if (q.size() != k.size() || q.size() != v.size() || (q.size() != 3 && q.size() != 4))
    return node.error() << "Q, K and V must all be 3-D or all 4-D", failure();
  s.threeD = q.size() == 3;
  s.batch = q[0];
  if (s.threeD) {
    s.qHeads = node.getInt("q_num_heads", 0);
    s.kvHeads = node.getInt("kv_num_heads", 0);
    if (s.qHeads <= 0 || s.kvHeads <= 0)
      return node.error() << "3-D inputs need q_num_heads and kv_num_heads > 0", failure();
    for (auto [dim, heads, what] : {std::tuple{q[2], s.qHeads, "Q"},
                                    std::tuple{k[2], s.kvHeads, "K"},
                                    std::tuple{v[2], s.kvHeads, "V"}})
      if (dim != kDyn && dim % heads != 0)
        return node.error() << what << "'s hidden size " << dim
                            << " is not a multiple of its head count " << heads,
               failure();
    s.qLen = q[1];
    s.kvLen = k[1];
    s.headSize = q[2] == kDyn ? kDyn : q[2] / s.qHeads;
    s.vHeadSize = v[2] == kDyn ? kDyn : v[2] / s.kvHeads;
  } else {
    s.qHeads = q[1];
    s.kvHeads = k[1];
    s.qLen = q[2];
    s.kvLen = k[2];
    s.headSize = q[3];
    s.vHeadSize = v[3];
  }
  // Q, K and V must agree where the product needs them to (found by the fuzzer: a K
  // head size other than Q's reached the lowering, which failed half way).
  auto differ = [](int64_t a, int64_t b) { return a != kDyn && b != kDyn && a != b; };
  int64_t kHeadSize = s.threeD ? (k[2] == kDyn ? kDyn : k[2] / s.kvHeads) : k[3];
  if (differ(q[0], k[0]) || differ(q[0], v[0]))
    return node.error() << "Q, K and V must have the same batch size", failure();
  if (differ(kHeadSize, s.headSize))
    return node.error() << "K's head size " << kHeadSize << " differs from Q's " << s.headSize,
           failure();
  if (differ(k[s.threeD ? 1 : 2], v[s.threeD ? 1 : 2]))
    return node.error() << "K and V must have the same sequence length", failure();
  if (!s.threeD && differ(k[1], v[1]))
    return node.error() << "K and V must have the same number of heads", failure();
  if (s.qHeads != kDyn && s.kvHeads != kDyn && s.qHeads % s.kvHeads != 0)
    return node.error() << "q_num_heads " << s.qHeads << " is not a multiple of kv_num_heads "
                        << s.kvHeads,
           failure();
  if (bool(node.input(kPastKey)) != bool(node.input(kPastValue)))
    return node.error() << "past_key and past_value must be given together", failure();
  if (node.input(kPastKey) && node.input(kNonpad))
    return node.error() << "nonpad_kv_seqlen cannot be combined with a past cache", failure();
  if (Value pk = node.input(kPastKey)) {
    auto p = shapeOf(pk);
    auto pv = shapeOf(node.input(kPastValue));
    if (p.size() != 4 || pv.size() != 4)
      return node.error() << "past_key and past_value must be 4-D", failure();
    if (differ(p[0], s.batch) || differ(p[1], s.kvHeads) || differ(p[3], s.headSize) ||
        differ(pv[0], s.batch) || differ(pv[1], s.kvHeads) || differ(pv[2], p[2]) ||
        differ(pv[3], s.vHeadSize))
      return node.error() << "past_key/past_value shapes do not match K and V", failure();
    s.pastLen = p[2];
  }
  return s;
}

LogicalResult inferAttention(const OnnxNode &node, Types &out) {
  auto s = attentionShape(node);
  if (failed(s))
    return failure();
  Type elt = elementTypeOf(node.input(kQ));
  auto mul = [](int64_t a, int64_t b) { return a == kDyn || b == kDyn ? kDyn : a * b; };
  auto add = [](int64_t a, int64_t b) { return a == kDyn || b == kDyn ? kDyn : a + b; };
  int64_t total = add(s->pastLen, s->kvLen);
  if (s->threeD)
    out.push_back(tensorOf({s->batch, s->qLen, mul(s->qHeads, s->vHeadSize)}, elt));
  else
    out.push_back(tensorOf({s->batch, s->qHeads, s->qLen, s->vHeadSize}, elt));
  if (node.numResults() > 1)
    out.push_back(tensorOf({s->batch, s->kvHeads, total, s->headSize}, elt));
  if (node.numResults() > 2)
    out.push_back(tensorOf({s->batch, s->kvHeads, total, s->vHeadSize}, elt));
  if (node.numResults() > 3)
    out.push_back(tensorOf({s->batch, s->qHeads, s->qLen, total}, elt));
  return success();
}

FailureOr<Value> onnxOp(OpBuilder &b, Location l, StringRef type, int64_t opset,
                        ValueRange operands, ArrayRef<NamedAttribute> attrs = {}) {
  auto r = createOrFold(b, l, type, opset, operands, attrs);
  if (failed(r))
    return failure();
  return (*r)[0];
}

/// [B, S, H*D] -> [B, H, S, D].
FailureOr<Value> splitHeads(OpBuilder &b, Location l, Value x, int64_t heads) {
  auto s = shapeOf(x);
  Value r = reshapeTo(b, l, x, {s[0], s[1], heads, s[2] / heads});
  return onnxOp(b, l, "Transpose", 21, {r},
                {b.getNamedAttr("perm", b.getDenseI64ArrayAttr({0, 2, 1, 3}))});
}

/// Each of the H heads of [B, H, S, D] repeated `reps` times in place
/// ([h0, h0, h1, h1, ...]): broadcast through [B, H, reps, S, D].
Value repeatHeads(OpBuilder &b, Location l, Value x, int64_t reps) {
  if (reps == 1)
    return x;
  auto s = shapeOf(x);
  Value x5 = reshapeTo(b, l, x, {s[0], s[1], 1, s[2], s[3]});
  Value rep = buildElementwise(b, l, ValueRange{x5}, {s[0], s[1], reps, s[2], s[3]},
                               elementTypeOf(x),
                               [](OpBuilder &, Location, ValueRange a) { return a[0]; });
  return reshapeTo(b, l, rep, {s[0], s[1] * reps, s[2], s[3]});
}

Value scaled(OpBuilder &b, Location l, Value x, double factor) {
  return buildElementwise(b, l, ValueRange{x}, shapeOf(x), elementTypeOf(x),
                          [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                            Value f = scalarConst(nb, nl, a[0].getType(), factor);
                            return arith::MulFOp::create(nb, nl, a[0], f);
                          });
}

/// What the score generic needs to know about masking.
struct Masking {
  Value mask;          ///< attn_mask or null
  bool boolMask = false;
  Value nonpad;        ///< nonpad_kv_seqlen [B] (int64) or null
  bool causal = false;
  int64_t left = -1, right = -1; ///< sliding window (-1: unbounded)
  int64_t pastLen = 0, qLen = 0;
  double softcap = 0;
};

/// One generic over [B, H, Sq, T]: outputs (scores + bias, bias, capped scores).
SmallVector<Value> scoresWithBias(OpBuilder &b, Location l, Value qk, const Masking &m) {
  auto shape = shapeOf(qk);
  Type elt = elementTypeOf(qk);
  MLIRContext *ctx = b.getContext();
  auto id = AffineMap::getMultiDimIdentityMap(4, ctx);
  SmallVector<Value> inits{emptyTensor(b, l, shape, elt), emptyTensor(b, l, shape, elt),
                           emptyTensor(b, l, shape, elt)};
  SmallVector<utils::IteratorType> iters(4, utils::IteratorType::parallel);
  auto op = linalg::GenericOp::create(
      b, l, TypeRange(ValueRange(inits)), ValueRange{qk}, inits,
      SmallVector<AffineMap>(4, id), iters, [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value v = args[0];
        if (m.softcap > 0) {
          Value cap = scalarConst(nb, nl, elt, m.softcap);
          v = arith::MulFOp::create(
              nb, nl, math::TanhOp::create(nb, nl, arith::DivFOp::create(nb, nl, v, cap)), cap);
        }
        Value zero = scalarConst(nb, nl, elt, 0);
        Value ninf = scalarConst(nb, nl, elt, -INFINITY);
        auto idx = [&](unsigned d) { return linalg::IndexOp::create(nb, nl, d).getResult(); };
        auto cst = [&](int64_t c) { return arith::ConstantIndexOp::create(nb, nl, c).getResult(); };
        Value bi = idx(0), i = idx(2), j = idx(3);
        Value bias = zero;
        if (m.mask) {
          // Right-aligned broadcast of the mask onto [B, H, Sq, T]; a mask shorter
          // than T hides the keys past its end.
          auto ms = shapeOf(m.mask);
          int64_t rank = ms.size(), len = ms.back();
          SmallVector<Value> at;
          for (int64_t d = 0; d < rank; ++d) {
            int64_t iterDim = 4 - rank + d;
            if (d == rank - 1)
              at.push_back(len < shape[3] ? Value(arith::MinSIOp::create(nb, nl, j, cst(len - 1)))
                                          : j);
            else
              at.push_back(ms[d] == 1 ? cst(0) : idx(iterDim));
          }
          Value mv = tensor::ExtractOp::create(nb, nl, m.mask, at);
          bias = m.boolMask ? Value(arith::SelectOp::create(nb, nl, mv, zero, ninf)) : mv;
          if (len < shape[3]) {
            Value inside =
                arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, j, cst(len));
            bias = arith::SelectOp::create(nb, nl, inside, bias, ninf);
          }
        }
        // The causal/window frontier: query i sits at key position i + offset.
        Value offset;
        Value nonpadLen;
        if (m.nonpad) {
          Value n = tensor::ExtractOp::create(nb, nl, m.nonpad, ValueRange{bi});
          nonpadLen = arith::IndexCastOp::create(nb, nl, nb.getIndexType(), n);
        }
        if (m.causal || m.left >= 0 || m.right >= 0)
          offset = nonpadLen ? Value(arith::SubIOp::create(nb, nl, nonpadLen, cst(m.qLen)))
                             : cst(m.pastLen);
        auto hideUnless = [&](Value allowed) {
          bias = arith::SelectOp::create(nb, nl, allowed, bias, ninf);
        };
        Value pos = offset ? Value(arith::AddIOp::create(nb, nl, i, offset)) : Value();
        if (m.causal)
          hideUnless(arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sle, j, pos));
        if (m.left >= 0) // pos - left <= j
          hideUnless(arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sle,
                                           arith::SubIOp::create(nb, nl, pos, cst(m.left)), j));
        if (m.right >= 0) // j <= pos + right
          hideUnless(arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sle, j,
                                           arith::AddIOp::create(nb, nl, pos, cst(m.right))));
        if (nonpadLen)
          hideUnless(arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, j, nonpadLen));
        Value score = arith::AddFOp::create(nb, nl, v, bias);
        linalg::YieldOp::create(nb, nl, ValueRange{score, bias, v});
      });
  return SmallVector<Value>(op.getResults());
}

/// Softmax over the last axis; a row whose bias is all -inf gives zeros (and
/// so does a row of -inf scores, instead of NaN).
Value guardedSoftmax(OpBuilder &b, Location l, Value scores, Value bias) {
  auto shape = shapeOf(scores);
  int64_t last = shape.size() - 1;
  Type elt = elementTypeOf(scores);
  Value rowMax = buildReduce(b, l, scores, {last}, /*keepdims=*/true, "max");
  Value biasMax = buildReduce(b, l, bias, {last}, /*keepdims=*/true, "max");
  auto isNegInf = [&](OpBuilder &nb, Location nl, Value x) -> Value {
    return arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OEQ, x,
                                 scalarConst(nb, nl, elt, -INFINITY));
  };
  Value e = buildElementwise(b, l, ValueRange{scores, rowMax}, shape, elt,
                             [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                               Value safe = arith::SelectOp::create(
                                   nb, nl, isNegInf(nb, nl, a[1]), scalarConst(nb, nl, elt, 0),
                                   a[1]);
                               return math::ExpOp::create(
                                   nb, nl, arith::SubFOp::create(nb, nl, a[0], safe));
                             });
  Value sum = buildReduce(b, l, e, {last}, /*keepdims=*/true, "sum");
  return buildElementwise(
      b, l, ValueRange{e, sum, biasMax}, shape, elt,
      [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        Value zero = scalarConst(nb, nl, elt, 0);
        Value sumIsZero = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OEQ, a[1], zero);
        Value den = arith::SelectOp::create(nb, nl, sumIsZero, scalarConst(nb, nl, elt, 1), a[1]);
        Value p = arith::DivFOp::create(nb, nl, a[0], den);
        return arith::SelectOp::create(nb, nl, isNegInf(nb, nl, a[2]), zero, p);
      });
}

Value castTo(OpBuilder &b, Location l, Value x, Type to) {
  if (elementTypeOf(x) == to)
    return x;
  return buildElementwise(b, l, ValueRange{x}, shapeOf(x), to,
                          [&](OpBuilder &nb, Location nl, ValueRange a) {
                            return castS(nb, nl, a[0], to);
                          });
}

Result lowerAttention(OpBuilder &b, const OnnxNode &node) {
  auto s = attentionShape(node);
  if (failed(s))
    return failure();
  Location l = node.loc();
  Value q = node.input(kQ), k = node.input(kK), v = node.input(kV);
  Type elt = elementTypeOf(q);
  if (!isFloat(elt))
    return node.error() << "needs floating-point Q, K and V", failure();
  int64_t mode = node.getInt("qk_matmul_output_mode", 0);
  if (mode < 0 || mode > 3)
    return node.error() << "qk_matmul_output_mode " << mode << " is not 0, 1, 2 or 3", failure();
  if (s->threeD) {
    auto q4 = splitHeads(b, l, q, s->qHeads);
    auto k4 = splitHeads(b, l, k, s->kvHeads);
    auto v4 = splitHeads(b, l, v, s->kvHeads);
    if (failed(q4) || failed(k4) || failed(v4))
      return failure();
    q = *q4, k = *k4, v = *v4;
  }
  if (Value pk = node.input(kPastKey)) {
    auto axis = b.getNamedAttr("axis", b.getI64IntegerAttr(2));
    auto ck = onnxOp(b, l, "Concat", 13, {pk, k}, {axis});
    auto cv = onnxOp(b, l, "Concat", 13, {node.input(kPastValue), v}, {axis});
    if (failed(ck) || failed(cv))
      return failure();
    k = *ck, v = *cv;
  }
  Value presentKey = k, presentValue = v;

  double scale = node.getFloat("scale", 1.0 / std::sqrt(double(s->headSize)));
  double root = std::sqrt(scale);
  int64_t reps = s->qHeads / s->kvHeads;
  Value kt = repeatHeads(b, l, scaled(b, l, k, root), reps);
  auto ktT = onnxOp(b, l, "Transpose", 21, {kt},
                    {b.getNamedAttr("perm", b.getDenseI64ArrayAttr({0, 1, 3, 2}))});
  if (failed(ktT))
    return failure();
  auto qk = onnxOp(b, l, "MatMul", 13, {scaled(b, l, q, root), *ktT});
  if (failed(qk))
    return failure();

  Masking m;
  m.mask = node.input(kMask);
  if (m.mask) {
    auto ms = shapeOf(m.mask);
    Type mt = elementTypeOf(m.mask);
    if (ms.empty() || ms.size() > 4)
      return node.error() << "attn_mask must have rank 1 to 4", failure();
    if (!mt.isInteger(1) && mt != elt)
      return node.error() << "attn_mask must be bool or Q's type", failure();
    if (ms.back() > s->totalLen())
      return node.error() << "attn_mask's last dimension " << ms.back()
                          << " exceeds the key length " << s->totalLen(),
             failure();
    m.boolMask = mt.isInteger(1);
  }
  m.nonpad = node.input(kNonpad);
  m.causal = node.getInt("is_causal", 0) != 0;
  m.left = node.getInt("left_window_size", -1);
  m.right = node.getInt("right_window_size", -1);
  m.pastLen = s->pastLen;
  m.qLen = s->qLen;
  m.softcap = node.has("softcap") ? node.getFloat("softcap", 0) : 0;
  auto parts = scoresWithBias(b, l, *qk, m);
  Value scores = parts[0], bias = parts[1], capped = parts[2];

  Type softType = elt;
  if (node.has("softmax_precision")) {
    const ElementType *et = elementTypeForOnnx(node.getInt("softmax_precision", 1));
    if (!et || !et->isFloat || !et->supported)
      return node.error() << "unsupported softmax_precision " << node.getInt("softmax_precision", 0),
             failure();
    softType = toMlirType(et->dtype, b.getContext());
  }
  Value p = castTo(b, l,
                   guardedSoftmax(b, l, castTo(b, l, scores, softType), castTo(b, l, bias, softType)),
                   elt);
  auto y = onnxOp(b, l, "MatMul", 13, {p, repeatHeads(b, l, v, reps)});
  if (failed(y))
    return failure();
  Value out = *y;
  if (s->threeD) {
    auto t = onnxOp(b, l, "Transpose", 21, {out},
                    {b.getNamedAttr("perm", b.getDenseI64ArrayAttr({0, 2, 1, 3}))});
    if (failed(t))
      return failure();
    out = reshapeTo(b, l, *t, {s->batch, s->qLen, s->qHeads * s->vHeadSize});
  }
  Values results{out};
  if (node.numResults() > 1)
    results.push_back(presentKey);
  if (node.numResults() > 2)
    results.push_back(presentValue);
  if (node.numResults() > 3)
    results.push_back(mode == 3 ? p : mode == 2 ? scores : capped);
  return results;
}

} // namespace

void addAttentionOps(OpTable &t) {
  // One form from opset 23: 24 adds the optional nonpad_kv_seqlen input and 25
  // the sliding window attributes, both absent (no effect) in older models.
  t.add("Attention", 23, OpEntry::form(inferAttention, lowerAttention));
}

} // namespace nnm::onnx_to_linalg
