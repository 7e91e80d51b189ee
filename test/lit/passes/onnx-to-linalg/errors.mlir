// RUN: nnmodel-opt %s --allow-unregistered-dialect --split-input-file --verify-diagnostics --nnm-onnx-to-linalg

func.func @reshape_needs_constant(%x: tensor<2x3xf32>, %s: tensor<2xi64>) -> tensor<*xf32> {
  // expected-error @+1 {{Reshape (opset 13): input 1 (shape) must be an integer tensor known at compile time}}
  %0 = "onnx.Reshape"(%x, %s) {onnx.opset = 13 : i64} : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @transpose_bad_perm(%x: tensor<2x3xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{perm is not a permutation of 0..1}}
  %0 = "onnx.Transpose"(%x) {onnx.opset = 13 : i64, perm = array<i64: 0, 2>} : (tensor<2x3xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @matmul_inner_mismatch(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{inner dimensions differ (3 vs 4)}}
  %0 = "onnx.MatMul"(%a, %b) {onnx.opset = 13 : i64} : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @gemm_mixed_types(%a: tensor<2x3xf32>, %b: tensor<3x4xf64>) -> tensor<*xf32> {
  // expected-error @+1 {{operands have different element types}}
  %0 = "onnx.Gemm"(%a, %b) {onnx.opset = 13 : i64} : (tensor<2x3xf32>, tensor<3x4xf64>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}
