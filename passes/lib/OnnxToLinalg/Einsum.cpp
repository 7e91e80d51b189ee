//===- Einsum.cpp - ONNX Einsum and RotaryEmbedding to linalg -------------===//
//
// Einsum: the equation becomes one linalg.generic whose loops are the
// ellipsis dimensions and the distinct labels; labels absent from the output
// are reduction loops, a label repeated on one operand indexes its diagonal,
// and a unit dimension broadcasts against the loop. RotaryEmbedding: one
// generic over the output reading the input and the cos/sin caches with
// tensor.extract (through position_ids when given).
//
//===----------------------------------------------------------------------===//
#include "Common.h"

#include <map>

using namespace mlir;

namespace nnm::onnx_to_linalg {
namespace {

// Einsum -------------------------------------------------------------------------

/// One operand's (or the output's) subscripts: labels, with -1 at the place of
/// the ellipsis (at most one).
using Term = SmallVector<int>;

struct EinsumPlan {
  SmallVector<Term> inputs;
  Term output;
  /// Number of loop dims covered by the ellipsis (the broadcast of every
  /// operand's ellipsis part).
  int64_t ellipsisRank = 0;
  SmallVector<int64_t> ellipsisShape;
  /// Distinct labels in loop order (after the ellipsis dims), with sizes.
  SmallVector<int> labels;
  std::map<int, int64_t> labelSize;
};

FailureOr<Term> parseTerm(const OnnxNode &node, StringRef s) {
  Term t;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '.') {
      if (s.substr(i, 3) != "..." || llvm::is_contained(t, -1))
        return node.error() << "malformed ellipsis in equation term '" << s << "'", failure();
      t.push_back(-1);
      i += 2;
    } else if (isalpha(static_cast<unsigned char>(c))) {
      t.push_back(c);
    } else {
      return node.error() << "unexpected character '" << c << "' in equation", failure();
    }
  }
  return t;
}

/// Parses the equation against the operand shapes (kDyn tolerated: sizes stay
/// kDyn).
FailureOr<EinsumPlan> planEinsum(const OnnxNode &node) {
  if (!node.has("equation"))
    return node.error() << "needs an equation", failure();
  std::string eq;
  for (char c : node.getString("equation", ""))
    if (!isspace(static_cast<unsigned char>(c)))
      eq.push_back(c);
  StringRef lhs = eq, rhs;
  bool explicitOut = false;
  if (size_t arrow = lhs.find("->"); arrow != StringRef::npos) {
    rhs = lhs.substr(arrow + 2);
    lhs = lhs.substr(0, arrow);
    explicitOut = true;
  }
  SmallVector<StringRef> terms;
  lhs.split(terms, ',');
  Values ins;
  for (unsigned i = 0; i < node.numInputs(); ++i) {
    if (!node.input(i) || !node.inputType(i))
      return node.error() << "input " << i << " is absent or unranked", failure();
    ins.push_back(node.input(i));
  }
  if (terms.size() != ins.size())
    return node.error() << "the equation has " << terms.size() << " operand terms for "
                        << ins.size() << " inputs",
           failure();
  EinsumPlan p;
  for (auto [i, s] : llvm::enumerate(terms)) {
    auto t = parseTerm(node, s);
    if (failed(t))
      return failure();
    auto shape = shapeOf(ins[i]);
    int64_t named = llvm::count_if(*t, [](int c) { return c >= 0; });
    bool ell = llvm::is_contained(*t, -1);
    if ((!ell && named != int64_t(shape.size())) || (ell && named > int64_t(shape.size())))
      return node.error() << "term '" << s << "' does not match the rank " << shape.size()
                          << " of input " << i,
             failure();
    int64_t er = shape.size() - named;
    // Walk the dims: labels and the ellipsis part.
    int64_t d = 0;
    for (int c : *t) {
      if (c < 0) {
        SmallVector<int64_t> part(shape.begin() + d, shape.begin() + d + er);
        auto b = broadcastShapes({p.ellipsisShape, part});
        if (failed(b))
          return node.error() << "the ellipsis dimensions do not broadcast", failure();
        p.ellipsisShape = *b;
        d += er;
        continue;
      }
      int64_t size = shape[d++];
      auto it = p.labelSize.find(c);
      if (it == p.labelSize.end()) {
        p.labelSize[c] = size;
        p.labels.push_back(c);
      } else if (it->second == kDyn || it->second == 1) {
        it->second = size;
      } else if (size != kDyn && size != 1 && size != it->second) {
        return node.error() << "label '" << char(c) << "' has sizes " << it->second << " and "
                            << size,
               failure();
      }
    }
    p.inputs.push_back(*t);
  }
  p.ellipsisRank = p.ellipsisShape.size();
  if (explicitOut) {
    auto t = parseTerm(node, rhs);
    if (failed(t))
      return failure();
    for (auto [i, c] : llvm::enumerate(*t)) {
      if (c >= 0 && !p.labelSize.count(c))
        return node.error() << "output label '" << char(c) << "' is on no input", failure();
      if (llvm::count(*t, c) > 1)
        return node.error() << "output label repeated in the equation", failure();
    }
    if (p.ellipsisRank > 0 && !llvm::is_contained(*t, -1))
      return node.error() << "the output must keep the ellipsis dimensions", failure();
    p.output = *t;
  } else {
    // Implicit output: the ellipsis, then labels seen exactly once, sorted.
    if (p.ellipsisRank > 0 || llvm::any_of(p.inputs, [](const Term &t) {
          return llvm::is_contained(t, -1);
        }))
      p.output.push_back(-1);
    std::map<int, int> count;
    for (const Term &t : p.inputs)
      for (int c : t)
        if (c >= 0)
          ++count[c];
    for (auto [c, n] : count)
      if (n == 1)
        p.output.push_back(c);
  }
  return p;
}

SmallVector<int64_t> einsumOutShape(const EinsumPlan &p) {
  SmallVector<int64_t> out;
  for (int c : p.output) {
    if (c < 0)
      out.append(p.ellipsisShape.begin(), p.ellipsisShape.end());
    else
      out.push_back(p.labelSize.at(c));
  }
  return out;
}

LogicalResult inferEinsum(const OnnxNode &node, Types &out) {
  if (node.numInputs() == 0)
    return node.error() << "needs at least one input";
  auto p = planEinsum(node);
  if (failed(p))
    return failure();
  out.push_back(tensorOf(einsumOutShape(*p), elementTypeOf(node.input(0))));
  return success();
}

Result lowerEinsum(OpBuilder &b, const OnnxNode &node) {
  auto p = planEinsum(node);
  if (failed(p))
    return failure();
  Location l = node.loc();
  MLIRContext *ctx = b.getContext();
  Type elt = elementTypeOf(node.input(0));
  for (unsigned i = 1; i < node.numInputs(); ++i)
    if (elementTypeOf(node.input(i)) != elt)
      return node.error() << "inputs must share one element type", failure();
  int64_t E = p->ellipsisRank;
  int64_t nLoops = E + p->labels.size();
  auto loopOf = [&](int c) {
    return E + int64_t(llvm::find(p->labels, c) - p->labels.begin());
  };
  auto loopSize = [&](int64_t d) {
    return d < E ? p->ellipsisShape[d] : p->labelSize.at(p->labels[d - E]);
  };
  // Map of one term onto the loops (unit dims broadcast with a constant 0).
  auto mapOf = [&](const Term &t, ArrayRef<int64_t> shape) {
    SmallVector<AffineExpr> exprs;
    int64_t named = llvm::count_if(t, [](int c) { return c >= 0; });
    int64_t er = shape.size() - named;
    int64_t d = 0;
    for (int c : t) {
      if (c < 0) {
        for (int64_t k = 0; k < er; ++k, ++d) {
          int64_t loop = E - er + k;
          exprs.push_back(shape[d] == 1 && loopSize(loop) != 1
                              ? getAffineConstantExpr(0, ctx)
                              : getAffineDimExpr(loop, ctx));
        }
        continue;
      }
      int64_t loop = loopOf(c);
      exprs.push_back(shape[d] == 1 && loopSize(loop) != 1 ? getAffineConstantExpr(0, ctx)
                                                           : getAffineDimExpr(loop, ctx));
      ++d;
    }
    return AffineMap::get(nLoops, 0, exprs, ctx);
  };
  SmallVector<AffineMap> maps;
  Values ins;
  for (unsigned i = 0; i < node.numInputs(); ++i) {
    ins.push_back(node.input(i));
    maps.push_back(mapOf(p->inputs[i], shapeOf(node.input(i))));
  }
  SmallVector<AffineExpr> outExprs;
  SmallVector<bool> inOutput(nLoops, false);
  for (int c : p->output) {
    if (c < 0) {
      for (int64_t k = 0; k < E; ++k) {
        outExprs.push_back(getAffineDimExpr(k, ctx));
        inOutput[k] = true;
      }
    } else {
      outExprs.push_back(getAffineDimExpr(loopOf(c), ctx));
      inOutput[loopOf(c)] = true;
    }
  }
  maps.push_back(AffineMap::get(nLoops, 0, outExprs, ctx));
  SmallVector<utils::IteratorType> iters;
  for (int64_t d = 0; d < nLoops; ++d)
    iters.push_back(inOutput[d] ? utils::IteratorType::parallel
                                : utils::IteratorType::reduction);
  Value init = filledTensor(b, l, einsumOutShape(*p), scalarConst(b, l, elt, 0));
  auto op = linalg::GenericOp::create(
      b, l, TypeRange{init.getType()}, ins, ValueRange{init}, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value prod = a[0];
        for (size_t i = 1; i + 1 < a.size(); ++i)
          prod = mulS(nb, nl, prod, a[i]);
        linalg::YieldOp::create(nb, nl, addS(nb, nl, a.back(), prod));
      });
  return Values{op.getResult(0)};
}

// RotaryEmbedding ----------------------------------------------------------------

struct RotaryPlan {
  bool fourD;
  int64_t batch, seq, heads, headSize, rotDim;
  bool interleaved;
  bool positions;
};

FailureOr<RotaryPlan> planRotary(const OnnxNode &node) {
  if (failed(requireRanked(node, 4)) || !node.input(0) || !node.input(1) || !node.input(2))
    return node.error() << "needs input, cos_cache and sin_cache", failure();
  auto in = shapeOf(node.input(0));
  RotaryPlan p;
  p.interleaved = node.getInt("interleaved", 0) != 0;
  p.positions = bool(node.input(3));
  if (in.size() == 4) {
    p.fourD = true;
    p.batch = in[0];
    p.heads = in[1];
    p.seq = in[2];
    p.headSize = in[3];
  } else if (in.size() == 3) {
    p.fourD = false;
    p.batch = in[0];
    p.seq = in[1];
    p.heads = node.getInt("num_heads", 0);
    if (p.heads <= 0)
      return node.error() << "a 3-D input needs num_heads", failure();
    if (in[2] != kDyn && in[2] % p.heads != 0)
      return node.error() << "hidden size " << in[2] << " is not a multiple of num_heads",
             failure();
    p.headSize = in[2] == kDyn ? kDyn : in[2] / p.heads;
  } else {
    return node.error() << "input must be 3-D or 4-D", failure();
  }
  p.rotDim = node.getInt("rotary_embedding_dim", 0);
  if (p.rotDim == 0)
    p.rotDim = p.headSize;
  if (p.headSize != kDyn && (p.rotDim > p.headSize || p.rotDim % 2 != 0 || p.rotDim < 0))
    return node.error() << "rotary_embedding_dim " << p.rotDim
                        << " must be even and at most the head size " << p.headSize,
           failure();
  auto cs = shapeOf(node.input(1)), ss = shapeOf(node.input(2));
  if (cs != ss)
    return node.error() << "cos_cache and sin_cache must have one shape", failure();
  if (p.positions) {
    auto pos = shapeOf(node.input(3));
    if (cs.size() != 2 || pos.size() != 2)
      return node.error() << "with position_ids, caches must be 2-D and position_ids 2-D",
             failure();
    if (!isa<IntegerType>(elementTypeOf(node.input(3))))
      return node.error() << "position_ids must be integers", failure();
  } else if (cs.size() != 3) {
    return node.error() << "without position_ids, caches must be 3-D (batch, seq, dim/2)",
           failure();
  }
  if (cs.back() != kDyn && p.rotDim != kDyn && cs.back() * 2 < p.rotDim)
    return node.error() << "the caches' last dimension " << cs.back()
                        << " is under half the rotary dimension " << p.rotDim,
           failure();
  return p;
}

LogicalResult inferRotary(const OnnxNode &node, Types &out) {
  if (failed(planRotary(node)))
    return failure();
  out.push_back(node.input(0).getType());
  return success();
}

Result lowerRotary(OpBuilder &b, const OnnxNode &node) {
  auto pr = planRotary(node);
  if (failed(pr))
    return failure();
  RotaryPlan p = *pr;
  Location l = node.loc();
  Value x = node.input(0), cosC = node.input(1), sinC = node.input(2), pos = node.input(3);
  Type elt = elementTypeOf(x);
  auto shape = shapeOf(x);
  int64_t rank = shape.size();
  int64_t half = p.rotDim / 2;
  Value init = emptyTensor(b, l, shape, elt);
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank)};
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  auto op = linalg::GenericOp::create(
      b, l, TypeRange{init.getType()}, ValueRange{}, ValueRange{init}, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange) {
        auto idx = [&](int64_t v) -> Value { return arith::ConstantIndexOp::create(nb, nl, v); };
        SmallVector<Value> ix;
        for (int64_t d = 0; d < rank; ++d)
          ix.push_back(linalg::IndexOp::create(nb, nl, d));
        Value bi = ix[0], si = p.fourD ? ix[2] : ix[1];
        // Position within the head, and the head's base in the last dim.
        Value last = ix[rank - 1], dIn = last, base = idx(0);
        if (!p.fourD) {
          dIn = arith::RemUIOp::create(nb, nl, last, idx(p.headSize));
          base = arith::SubIOp::create(nb, nl, last, dIn);
        }
        auto readX = [&](Value d) {
          SmallVector<Value> c(ix);
          c[rank - 1] = arith::AddIOp::create(nb, nl, base, d);
          return tensor::ExtractOp::create(nb, nl, x, c).getResult();
        };
        Value self = tensor::ExtractOp::create(nb, nl, x, ix);
        // i: the cache column; x1/x2 the pair; first: this is the x1 slot.
        Value i, d1, d2, first;
        if (p.interleaved) {
          i = arith::DivUIOp::create(nb, nl, dIn, idx(2));
          d1 = arith::MulIOp::create(nb, nl, i, idx(2));
          d2 = arith::AddIOp::create(nb, nl, d1, idx(1));
          first = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, dIn, d1);
        } else {
          first = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::ult, dIn, idx(half));
          i = arith::SelectOp::create(nb, nl, first, dIn,
                                      arith::SubIOp::create(nb, nl, dIn, idx(half)));
          d1 = i;
          d2 = arith::AddIOp::create(nb, nl, i, idx(half));
        }
        Value rotated = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::ult, dIn,
                                              idx(p.rotDim));
        // Clamp reads of the not-rotated tail into range (their result is unused).
        Value iSafe = arith::MinUIOp::create(nb, nl, i, idx(half - 1));
        Value d1s = arith::MinUIOp::create(nb, nl, d1, idx(p.rotDim - 1));
        Value d2s = arith::MinUIOp::create(nb, nl, d2, idx(p.rotDim - 1));
        Value cv, sv;
        if (p.positions) {
          Value pv = tensor::ExtractOp::create(nb, nl, pos, ValueRange{bi, si});
          Value pi = arith::IndexCastOp::create(nb, nl, nb.getIndexType(), pv);
          cv = tensor::ExtractOp::create(nb, nl, cosC, ValueRange{pi, iSafe});
          sv = tensor::ExtractOp::create(nb, nl, sinC, ValueRange{pi, iSafe});
        } else {
          cv = tensor::ExtractOp::create(nb, nl, cosC, ValueRange{bi, si, iSafe});
          sv = tensor::ExtractOp::create(nb, nl, sinC, ValueRange{bi, si, iSafe});
        }
        Value x1 = readX(d1s), x2 = readX(d2s);
        Value re = arith::SubFOp::create(nb, nl, arith::MulFOp::create(nb, nl, cv, x1),
                                         arith::MulFOp::create(nb, nl, sv, x2));
        Value im = arith::AddFOp::create(nb, nl, arith::MulFOp::create(nb, nl, sv, x1),
                                         arith::MulFOp::create(nb, nl, cv, x2));
        Value r = arith::SelectOp::create(nb, nl, first, re, im);
        linalg::YieldOp::create(nb, nl,
                                Value(arith::SelectOp::create(nb, nl, rotated, r, self)));
      });
  return Values{op.getResult(0)};
}

LogicalResult checkRotaryTypes(const OnnxNode &node) {
  if (!isFloat(elementTypeOf(node.input(0))))
    return node.error() << "needs a floating-point input";
  return success();
}

} // namespace

void addEinsumOps(OpTable &t) {
  t.add("Einsum", 12, OpEntry::form(inferEinsum, lowerEinsum));
  t.add("RotaryEmbedding", 23,
        OpEntry::form(
            [](const OnnxNode &node, Types &out) -> LogicalResult {
              if (failed(inferRotary(node, out)) || failed(checkRotaryTypes(node)))
                return failure();
              return success();
            },
            lowerRotary));
}

} // namespace nnm::onnx_to_linalg
