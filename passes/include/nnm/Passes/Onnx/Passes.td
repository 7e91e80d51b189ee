//===- Passes.td - Passes on the typed ONNX level -----------*- tablegen -*-===//
#ifndef NNM_PASSES_ONNX_PASSES_TD
#define NNM_PASSES_ONNX_PASSES_TD

include "mlir/Pass/PassBase.td"

def OnnxUpgrade : Pass<"nnm-onnx-upgrade", "mlir::func::FuncOp"> {
  let summary = "Rewrite every older ONNX op form into the newest form the op table lowers";
  let description = [{
    Applies each op's upgrade entries until the op has its newest form:
    attributes that became inputs (Clip min/max, Reshape shape, Squeeze and
    Unsqueeze axes, Split split, Slice starts/ends/axes, Pad pads/value,
    reduction axes, Dropout ratio), changed semantics (Softmax before 13
    becomes Flatten -> Softmax -> Reshape; Split before 18 must split evenly).
    Lowerings therefore handle one form and never branch on the opset. The
    importer applies the same rules to every node it builds.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect"];
}

def OnnxFold : Pass<"nnm-onnx-fold", "mlir::func::FuncOp"> {
  let summary = "Fold constants and shape arithmetic on the ONNX level, refining types";
  let description = [{
    Visits ops in order: an op whose fold rule applies (constant operands, or
    Shape of a static tensor) becomes `arith.constant`; any other op gets its
    result types re-derived from its shape rule, so dims that depended on
    folded values become static. Unused ONNX ops are removed, and the
    function type follows its return. This is the one place constant folding
    and shape arithmetic happen before lowering.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect"];
}

def OnnxOptimize : Pass<"nnm-onnx-optimize", "mlir::func::FuncOp"> {
  let summary = "Graph rewrites on the typed ONNX level";
  let description = [{
    Merges ONNX ops computed twice (same op, operands, attributes and types;
    MLIR's CSE leaves unregistered ops alone), then applies the ONNX-level
    rewrite patterns (passes/lib/Onnx/Rewrites.cpp), each documented there by
    one line, e.g.
    `Transpose(Transpose(x, p), q) -> Transpose(x, p∘q)`, `Identity(x) -> x`,
    BatchNormalization folded into the weights and bias of the Conv before it,
    and a Transpose of a MatMul operand folded into a Gemm's transA/transB. Rewritten ops are typed by their shape rules.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect"];
}

#endif // NNM_PASSES_ONNX_PASSES_TD
