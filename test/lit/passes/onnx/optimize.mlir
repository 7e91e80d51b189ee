// RUN: nnmodel-opt %s --allow-unregistered-dialect --split-input-file --nnm-onnx-optimize | FileCheck %s

// Transpose(Transpose(x, p), q) -> Transpose(x, p∘q)
// CHECK-LABEL: func.func @transpose_pair
// CHECK: %[[T:.*]] = "onnx.Transpose"(%arg0) {onnx.opset = 14 : i64, perm = array<i64: 2, 0, 1>} : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
// CHECK-NEXT: return %[[T]]
func.func @transpose_pair(%x: tensor<2x3x4xf32>) -> tensor<4x2x3xf32> {
  %0 = "onnx.Transpose"(%x) {perm = array<i64: 1, 0, 2>, onnx.opset = 14 : i64} : (tensor<2x3x4xf32>) -> tensor<3x2x4xf32>
  %1 = "onnx.Transpose"(%0) {perm = array<i64: 2, 1, 0>, onnx.opset = 14 : i64} : (tensor<3x2x4xf32>) -> tensor<4x2x3xf32>
  return %1 : tensor<4x2x3xf32>
}

// -----

// A pair that composes to the identity disappears.
// CHECK-LABEL: func.func @transpose_inverse
// CHECK-NOT: onnx.Transpose
// CHECK: return %arg0
func.func @transpose_inverse(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = "onnx.Transpose"(%x) {onnx.opset = 14 : i64} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  %1 = "onnx.Transpose"(%0) {onnx.opset = 14 : i64} : (tensor<3x2xf32>) -> tensor<2x3xf32>
  return %1 : tensor<2x3xf32>
}

// -----

// Identity(x) -> x
// CHECK-LABEL: func.func @identity
// CHECK-NOT: onnx.Identity
// CHECK: "onnx.Relu"(%arg0)
func.func @identity(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = "onnx.Identity"(%x) {onnx.opset = 14 : i64} : (tensor<4xf32>) -> tensor<4xf32>
  %1 = "onnx.Relu"(%0) {onnx.opset = 14 : i64} : (tensor<4xf32>) -> tensor<4xf32>
  return %1 : tensor<4xf32>
}
