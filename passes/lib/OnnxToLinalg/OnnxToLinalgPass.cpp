//===- OnnxToLinalgPass.cpp - Lower onnx.* ops through the op table -------===//
//
// One conversion pattern matches every `onnx.*` op and applies its table
// entry's lowering; ops a lowering creates (other `onnx.*` ops included) are
// legalized in turn by the conversion driver. Before converting, every op's
// type is checked against its shape rule, and every lowered value must have
// exactly its op's type: the ONNX level and the lowering cannot drift apart.
//
// Unsigned integers (ui8 ... ui64) exist only at the ONNX level: arith and
// linalg take signless integers, so the conversion's type converter maps them
// to iN (function signatures and constants included), and lowerings that care
// read the signedness from the ONNX op (OnnxNode::isUnsigned).
//
//===----------------------------------------------------------------------===//
#include "nnm/Passes/OnnxToLinalg/OpTable.h"
#include "nnm/Passes/OnnxToLinalg/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"
#include "nnm/Passes/Memory/Passes.h"

using namespace mlir;

namespace nnm::onnx_to_linalg {

#define GEN_PASS_DEF_ONNXTOLINALG
#include "nnm/Passes/OnnxToLinalg/Passes.h.inc"

namespace {

bool isOnnx(Operation *op) {
  return op->getName().getStringRef().starts_with(kOnnxPrefix);
}
bool isNone(Operation *op) { return op->getName().getStringRef() == "onnx.None"; }

bool isStaticTensor(Type t) {
  auto rt = dyn_cast<RankedTensorType>(t);
  return rt && rt.hasStaticShape();
}

/// Unsigned integer element types become signless of the same width.
Type signlessType(Type t) {
  if (auto it = dyn_cast<IntegerType>(t); it && !it.isSignless())
    return IntegerType::get(t.getContext(), it.getWidth());
  if (auto rt = dyn_cast<RankedTensorType>(t))
    return rt.clone(signlessType(rt.getElementType()));
  return t;
}

struct SignlessConverter : TypeConverter {
  SignlessConverter() {
    addConversion([](Type t) { return signlessType(t); });
    auto cast = [](OpBuilder &b, Type type, ValueRange inputs, Location loc) -> Value {
      return UnrealizedConversionCastOp::create(b, loc, type, inputs).getResult(0);
    };
    addSourceMaterialization(cast);
    addTargetMaterialization(cast);
  }
};

/// A constant of unsigned elements (an initializer) keeps its bits, signless.
struct SignlessConstant : OpConversionPattern<arith::ConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(arith::ConstantOp op, OpAdaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto attr = dyn_cast<DenseElementsAttr>(op.getValue());
    Type to = signlessType(op.getType());
    if (!attr || to == op.getType())
      return failure();
    auto elt = cast<RankedTensorType>(to).getElementType();
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, attr.bitcast(elt));
    return success();
  }
};

struct LowerOnnxOp : ConversionPattern {
  LowerOnnxOp(TypeConverter &converter, MLIRContext *ctx, bool &reported)
      : ConversionPattern(converter, MatchAnyOpTypeTag(), /*benefit=*/1, ctx),
        reported(reported) {
    // A lowering may create other onnx.* ops, which this pattern lowers in turn.
    setHasBoundedRewriteRecursion();
  }

  LogicalResult matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                                ConversionPatternRewriter &rewriter) const override {
    if (!isOnnx(op) || isNone(op))
      return failure();
    OnnxNode node(op, operands);
    auto fail = [&]() {
      reported = true;
      return failure();
    };
    const OpEntry *entry = lookupEntry(op);
    if (!entry || !entry->lower) {
      node.error() << (entry ? "this form is lowered only after nnm-onnx-upgrade"
                             : "no lowering for this op at this opset");
      return fail();
    }
    for (Value v : operands)
      if (!isa<NoneType>(v.getType()) && !isStaticTensor(v.getType())) {
        node.error() << "operand of type " << v.getType() << " has no static shape";
        return fail();
      }
    auto results = entry->lower(rewriter, node);
    if (failed(results))
      return fail();
    if (results->size() != op->getNumResults()) {
      node.error() << "internal error: the lowering gives " << results->size()
                   << " values for " << op->getNumResults() << " results";
      return fail();
    }
    for (auto [r, v] : llvm::zip(op->getResults(), *results))
      if (signlessType(r.getType()) != v.getType()) {
        node.error() << "internal error: the shape rule gives " << r.getType()
                     << " but the lowering produced " << v.getType();
        return fail();
      }
    rewriter.replaceOp(op, *results);
    return success();
  }

  bool &reported;
};

struct OnnxToLinalgPass : impl::OnnxToLinalgBase<OnnxToLinalgPass> {
  /// Checks every op's declared types against its shape rule; types that are
  /// not static yet (hand-written IR) are filled in from the rule.
  LogicalResult checkTypes(func::FuncOp fn) {
    WalkResult r = fn.walk([&](Operation *op) {
      if (!isOnnx(op) || isNone(op))
        return WalkResult::advance();
      OnnxNode node(op);
      if (node.opset < 0) {
        op->emitError() << node.opType() << ": missing '" << kOpsetAttr << "'";
        return WalkResult::interrupt();
      }
      const OpEntry *entry = lookupEntry(op);
      if (entry && entry->infer && failed(inferResultTypes(op)))
        return WalkResult::interrupt();
      return WalkResult::advance(); // no entry: reported by the conversion
    });
    return failure(r.wasInterrupted());
  }

  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (failed(checkTypes(fn)))
      return signalPassFailure();
    // The ONNX-level result types (signedness included) are the ABI's.
    SmallVector<Attribute> resultTypes;
    for (Type t : fn.getResultTypes())
      resultTypes.push_back(TypeAttr::get(t));
    fn->setAttr(memory::kResultTypesAttr, ArrayAttr::get(&getContext(), resultTypes));
    SignlessConverter converter;
    auto isSignless = [&](Type t) { return converter.isLegal(t); };
    ConversionTarget target(getContext());
    target.markUnknownOpDynamicallyLegal([&](Operation *op) {
      if (isOnnx(op) && !isNone(op))
        return false;
      return llvm::all_of(op->getOperandTypes(), isSignless) &&
             llvm::all_of(op->getResultTypes(), isSignless);
    });
    target.addDynamicallyLegalOp<func::FuncOp>(
        [&](func::FuncOp f) { return converter.isSignatureLegal(f.getFunctionType()); });
    RewritePatternSet patterns(&getContext());
    bool reported = false;
    patterns.add<LowerOnnxOp>(converter, &getContext(), reported);
    patterns.add<SignlessConstant>(converter, &getContext());
    populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns, converter);
    populateReturnOpTypeConversionPattern(patterns, converter);
    LogicalResult converted = success();
    {
      // The driver adds "failed to legalize" after the node's own diagnostic.
      ScopedDiagnosticHandler quiet(&getContext(), [&](Diagnostic &d) {
        return success(reported && d.str().find("failed to legalize") != std::string::npos);
      });
      converted = applyPartialConversion(fn, target, std::move(patterns));
    }
    if (failed(converted))
      return signalPassFailure();
    fn.walk([](Operation *op) {
      if (isNone(op) && op->use_empty())
        op->erase();
    });
    // Result types may have been refined: refresh the function type from its return.
    syncFunctionType(fn);
  }
};

} // namespace
} // namespace nnm::onnx_to_linalg
