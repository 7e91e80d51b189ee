//===- Rewrites.cpp - Graph rewrites on the typed ONNX level --------------===//
//
// Each pattern says what it does in one line. New ops are built with
// buildOnnxOp, which types them by their shape rules.
//
//===----------------------------------------------------------------------===//
#include "nnm/Passes/Onnx/Passes.h"
#include "nnm/Passes/OnnxToLinalg/OpTable.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/IR/PatternMatch.h"

#include "llvm/ADT/DenseSet.h"

#include <cmath>
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace nnm::onnx_level {

#define GEN_PASS_DEF_ONNXOPTIMIZE
#include "nnm/Passes/Onnx/Passes.h.inc"

namespace {

using onnx_to_linalg::OnnxNode;

/// Matches `onnx.<opType>` in its newest table form.
struct OnnxPattern : RewritePattern {
  OnnxPattern(StringRef opType, MLIRContext *ctx)
      : RewritePattern((std::string(onnx_to_linalg::kOnnxPrefix) + opType.str()), 1, ctx) {}
};

/// ONNX ops have no side effects, but the driver cannot know that of
/// unregistered ops: patterns erase what they leave unused.
void eraseIfUnused(PatternRewriter &rewriter, Operation *op) {
  if (op->use_empty())
    rewriter.eraseOp(op);
}

// Identity(x) -> x
struct DropIdentity : OnnxPattern {
  explicit DropIdentity(MLIRContext *ctx) : OnnxPattern("Identity", ctx) {}
  LogicalResult matchAndRewrite(Operation *op, PatternRewriter &rewriter) const override {
    if (op->getNumOperands() != 1 || op->getOperand(0).getType() != op->getResult(0).getType())
      return failure();
    rewriter.replaceOp(op, op->getOperand(0));
    return success();
  }
};

// Transpose(Transpose(x, p), q) -> Transpose(x, p∘q), or x when p∘q is the identity
struct FoldTransposePair : OnnxPattern {
  explicit FoldTransposePair(MLIRContext *ctx) : OnnxPattern("Transpose", ctx) {}
  LogicalResult matchAndRewrite(Operation *op, PatternRewriter &rewriter) const override {
    Operation *inner = op->getOperand(0).getDefiningOp();
    if (!inner || inner->getName() != op->getName())
      return failure();
    auto innerType = dyn_cast<RankedTensorType>(inner->getOperand(0).getType());
    if (!innerType)
      return failure();
    int64_t rank = innerType.getRank();
    auto permOf = [&](Operation *t) {
      SmallVector<int64_t> perm;
      if (auto p = OnnxNode(t).getInts("perm"))
        perm.assign(p->begin(), p->end());
      else
        for (int64_t i = rank - 1; i >= 0; --i)
          perm.push_back(i);
      return perm;
    };
    SmallVector<int64_t> p = permOf(inner), q = permOf(op);
    if (int64_t(p.size()) != rank || int64_t(q.size()) != rank)
      return failure();
    // out[i] = mid[q[i]] = x[p[q[i]]]
    SmallVector<int64_t> composed;
    bool identity = true;
    for (int64_t i = 0; i < rank; ++i) {
      composed.push_back(p[q[i]]);
      identity = identity && composed.back() == i;
    }
    if (identity && innerType == op->getResult(0).getType()) {
      rewriter.replaceOp(op, inner->getOperand(0));
      eraseIfUnused(rewriter, inner);
      return success();
    }
    auto fused = onnx_to_linalg::buildOnnxOp(
        rewriter, op->getLoc(), "Transpose", OnnxNode(op).opset, {inner->getOperand(0)},
        {rewriter.getNamedAttr("perm", rewriter.getDenseI64ArrayAttr(composed))});
    if (failed(fused) || (*fused)->getResult(0).getType() != op->getResult(0).getType())
      return failure();
    rewriter.replaceOp(op, (*fused)->getResults());
    eraseIfUnused(rewriter, inner);
    return success();
  }
};

// Transpose(x, p) -> Reshape(x) when p only moves dimensions of size 1: the
//   elements keep their order (NCHW -> NHWC of one channel, say), so no copy
struct TransposeOfUnitDimsToReshape : OnnxPattern {
  explicit TransposeOfUnitDimsToReshape(MLIRContext *ctx) : OnnxPattern("Transpose", ctx) {}
  LogicalResult matchAndRewrite(Operation *op, PatternRewriter &rewriter) const override {
    auto in = dyn_cast<RankedTensorType>(op->getOperand(0).getType());
    auto out = dyn_cast<RankedTensorType>(op->getResult(0).getType());
    if (!in || !out || !in.hasStaticShape() || !out.hasStaticShape())
      return failure();
    // Pairs of transposes are FoldTransposePair's: leave them to it.
    auto isTranspose = [&](Operation *o) { return o && o->getName() == op->getName(); };
    if (isTranspose(op->getOperand(0).getDefiningOp()) ||
        llvm::any_of(op->getUsers(), isTranspose))
      return failure();
    int64_t rank = in.getRank();
    SmallVector<int64_t> perm;
    if (auto p = OnnxNode(op).getInts("perm"))
      perm.assign(p->begin(), p->end());
    else
      for (int64_t i = rank - 1; i >= 0; --i)
        perm.push_back(i);
    if (int64_t(perm.size()) != rank)
      return failure();
    int64_t previous = -1;
    for (int64_t axis : perm) {
      if (axis < 0 || axis >= rank)
        return failure();
      if (in.getDimSize(axis) == 1)
        continue;
      if (axis < previous)
        return failure(); // a real reordering
      previous = axis;
    }
    auto shapeType = RankedTensorType::get({rank}, rewriter.getI64Type());
    Value shape = arith::ConstantOp::create(
        rewriter, op->getLoc(), shapeType, DenseElementsAttr::get(shapeType, out.getShape()));
    auto reshape = onnx_to_linalg::buildOnnxOp(rewriter, op->getLoc(), "Reshape", 14,
                                               {op->getOperand(0), shape}, {});
    if (failed(reshape) || (*reshape)->getResult(0).getType() != out)
      return failure();
    rewriter.replaceOp(op, (*reshape)->getResults());
    return success();
  }
};

/// The f32 constant behind `v`, when it is one.
DenseElementsAttr f32Constant(Value v) {
  DenseElementsAttr c;
  if (!v || !matchPattern(v, m_Constant(&c)) || !c.getElementType().isF32())
    return {};
  return c;
}

// BatchNormalization(Conv(x, W, b), scale, B, mean, var)
//   -> Conv(x, W * s, (b - mean) * s + B)  with s = scale / sqrt(var + epsilon)
struct FoldBatchNormIntoConv : OnnxPattern {
  explicit FoldBatchNormIntoConv(MLIRContext *ctx) : OnnxPattern("BatchNormalization", ctx) {}
  LogicalResult matchAndRewrite(Operation *bn, PatternRewriter &rewriter) const override {
    OnnxNode node(bn);
    Operation *conv = bn->getOperand(0).getDefiningOp();
    if (bn->getNumResults() != 1 || node.numInputs() != 5 || !conv ||
        conv->getName().getStringRef() != "onnx.Conv" || !conv->hasOneUse() ||
        node.getInt("training_mode", 0) != 0)
      return failure();
    OnnxNode c(conv);
    DenseElementsAttr w = f32Constant(c.input(1)), bias = f32Constant(c.input(2));
    DenseElementsAttr scale = f32Constant(node.input(1)), shift = f32Constant(node.input(2)),
                      mean = f32Constant(node.input(3)), var = f32Constant(node.input(4));
    if (!w || (c.input(2) && !bias) || !scale || !shift || !mean || !var)
      return failure();
    int64_t oc = w.getType().getDimSize(0);
    for (DenseElementsAttr p : {scale, shift, mean, var})
      if (p.getType().getRank() != 1 || p.getNumElements() != oc)
        return failure();
    if (bias && bias.getNumElements() != oc)
      return failure();
    double eps = node.getFloat("epsilon", 1e-5);
    auto vals = [](DenseElementsAttr a) { return SmallVector<float>(a.getValues<float>()); };
    SmallVector<float> sc = vals(scale), sh = vals(shift), mu = vals(mean), va = vals(var);
    SmallVector<float> b = bias ? vals(bias) : SmallVector<float>(oc, 0.0f);
    SmallVector<float> s(oc), newBias(oc);
    for (int64_t i = 0; i < oc; ++i) {
      s[i] = float(sc[i] / std::sqrt(double(va[i]) + eps));
      newBias[i] = (b[i] - mu[i]) * s[i] + sh[i];
    }
    SmallVector<float> newW(w.getValues<float>());
    int64_t per = newW.size() / oc;
    for (int64_t i = 0; i < int64_t(newW.size()); ++i)
      newW[i] *= s[i / per];
    Location loc = conv->getLoc();
    Value wv = arith::ConstantOp::create(
        rewriter, loc, DenseElementsAttr::get(w.getType(), ArrayRef<float>(newW)));
    Value bv = arith::ConstantOp::create(
        rewriter, loc,
        DenseElementsAttr::get(RankedTensorType::get({oc}, rewriter.getF32Type()),
                               ArrayRef<float>(newBias)));
    SmallVector<NamedAttribute> attrs;
    for (NamedAttribute a : conv->getAttrs())
      if (a.getName() != onnx_to_linalg::kOpsetAttr)
        attrs.push_back(a);
    auto fused = onnx_to_linalg::buildOnnxOp(rewriter, loc, "Conv", c.opset,
                                             {c.input(0), wv, bv}, attrs);
    if (failed(fused) || (*fused)->getResult(0).getType() != bn->getResult(0).getType())
      return failure();
    rewriter.replaceOp(bn, (*fused)->getResults());
    eraseIfUnused(rewriter, conv);
    return success();
  }
};

// MatMul(A, Transpose(B)) -> Gemm(A, B, transB = 1) and MatMul(Transpose(A), B)
//   -> Gemm(A, B, transA = 1), for matrices: the contraction reads the operand
//   transposed instead of copying it
struct FoldTransposeIntoMatMul : OnnxPattern {
  explicit FoldTransposeIntoMatMul(MLIRContext *ctx) : OnnxPattern("MatMul", ctx) {}
  LogicalResult matchAndRewrite(Operation *op, PatternRewriter &rewriter) const override {
    auto isMatrix = [](Value v) {
      auto t = dyn_cast<RankedTensorType>(v.getType());
      return t && t.getRank() == 2;
    };
    if (!isMatrix(op->getOperand(0)) || !isMatrix(op->getOperand(1)))
      return failure();
    // A 2-D Transpose: no perm, or perm [1, 0].
    auto transposed = [](Value v) -> Operation * {
      Operation *t = v.getDefiningOp();
      if (!t || t->getName().getStringRef() != "onnx.Transpose")
        return nullptr;
      auto perm = OnnxNode(t).getInts("perm");
      return !perm || (*perm == SmallVector<int64_t>{1, 0}) ? t : nullptr;
    };
    Operation *ta = transposed(op->getOperand(0)), *tb = transposed(op->getOperand(1));
    if (!ta && !tb)
      return failure();
    Value a = ta ? ta->getOperand(0) : op->getOperand(0);
    Value b = tb ? tb->getOperand(0) : op->getOperand(1);
    SmallVector<NamedAttribute> attrs;
    if (ta)
      attrs.push_back(rewriter.getNamedAttr("transA", rewriter.getI64IntegerAttr(1)));
    if (tb)
      attrs.push_back(rewriter.getNamedAttr("transB", rewriter.getI64IntegerAttr(1)));
    auto gemm = onnx_to_linalg::buildOnnxOp(rewriter, op->getLoc(), "Gemm", 13, {a, b}, attrs);
    if (failed(gemm) || (*gemm)->getResult(0).getType() != op->getResult(0).getType())
      return failure();
    rewriter.replaceOp(op, (*gemm)->getResults());
    for (Operation *t : {ta, tb})
      if (t)
        eraseIfUnused(rewriter, t);
    return success();
  }
};

/// Identical ONNX ops (same op, operands, attributes and types) computed twice
/// become one: MLIR's CSE leaves unregistered ops alone, ONNX ops are pure.
void removeDuplicateOps(func::FuncOp fn) {
  struct Key {
    static unsigned getHashValue(Operation *op) {
      return OperationEquivalence::computeHash(op, OperationEquivalence::directHashValue,
                                               OperationEquivalence::ignoreHashValue,
                                               OperationEquivalence::IgnoreLocations);
    }
    static bool isEqual(Operation *a, Operation *b) {
      if (a == b)
        return true;
      if (a == getEmptyKey() || a == getTombstoneKey() || b == getEmptyKey() ||
          b == getTombstoneKey())
        return false;
      return OperationEquivalence::isEquivalentTo(a, b, OperationEquivalence::IgnoreLocations);
    }
    static Operation *getEmptyKey() { return llvm::DenseMapInfo<Operation *>::getEmptyKey(); }
    static Operation *getTombstoneKey() {
      return llvm::DenseMapInfo<Operation *>::getTombstoneKey();
    }
  };
  llvm::DenseSet<Operation *, Key> seen;
  SmallVector<Operation *> duplicates;
  for (Operation &op : fn.getBody().front()) {
    if (!op.getName().getStringRef().starts_with(onnx_to_linalg::kOnnxPrefix) ||
        op.getNumRegions())
      continue;
    auto [it, inserted] = seen.insert(&op);
    if (!inserted) {
      op.replaceAllUsesWith(*it);
      duplicates.push_back(&op);
    }
  }
  for (Operation *op : duplicates)
    op->erase();
}

struct OnnxOptimizePass : impl::OnnxOptimizeBase<OnnxOptimizePass> {
  void runOnOperation() override {
    removeDuplicateOps(getOperation());
    RewritePatternSet patterns(&getContext());
    populateOnnxRewritePatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace

void populateOnnxRewritePatterns(RewritePatternSet &patterns) {
  patterns.add<DropIdentity, FoldTransposePair, TransposeOfUnitDimsToReshape,
               FoldBatchNormIntoConv, FoldTransposeIntoMatMul>(
      patterns.getContext());
}

} // namespace nnm::onnx_level
