//===- Passes.td - ONNX level to linalg ---------------------*- tablegen -*-===//
#ifndef NNM_PASSES_ONNXTOLINALG_PASSES_TD
#define NNM_PASSES_ONNXTOLINALG_PASSES_TD

include "mlir/Pass/PassBase.td"

def OnnxToLinalg : Pass<"nnm-onnx-to-linalg", "mlir::func::FuncOp"> {
  let summary = "Lower typed ONNX-level ops with static shapes to linalg on tensors";
  let description = [{
    Lowers every `onnx.*` operation through the versioned op table into
    `linalg`, `tensor`, `arith` and `math` on tensors (scatters: an `scf.for`
    nest). Each op is lowered by the entry registered for its (op type,
    opset); a lowering may create other `onnx.*` ops, which are lowered in
    turn. Every operand must have a static
    shape. The lowered value must have exactly the type the op's shape rule
    inferred, so the ONNX level and the lowering cannot drift apart.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::linalg::LinalgDialect",
                           "mlir::math::MathDialect", "mlir::scf::SCFDialect",
                           "mlir::tensor::TensorDialect"];
}

#endif // NNM_PASSES_ONNXTOLINALG_PASSES_TD
