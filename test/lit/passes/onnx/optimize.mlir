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

// -----

// BatchNormalization after a Conv with constant weights folds into them:
// s = scale / sqrt(var + eps) = [2, 0.5]; W' = W * s per output channel;
// b' = (b - mean) * s + B = [(1 - 1) * 2 + 3, (0 - 2) * 0.5 + 1] = [3, 0].
// CHECK-LABEL: func.func @fold_batchnorm
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[\[\[}}2.000000e+00]]], {{\[\[\[}}5.000000e-01]]]]> : tensor<2x1x1x1xf32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<[3.000000e+00, 0.000000e+00]> : tensor<2xf32>
// CHECK: %[[C:.*]] = "onnx.Conv"(%arg0, %[[W]], %[[B]]) {onnx.opset = 14 : i64} : (tensor<1x1x2x2xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
// CHECK-NOT: onnx.BatchNormalization
// CHECK: return %[[C]]
func.func @fold_batchnorm(%x: tensor<1x1x2x2xf32>) -> tensor<1x2x2x2xf32> {
  %w = arith.constant dense<1.0> : tensor<2x1x1x1xf32>
  %b = arith.constant dense<[1.0, 0.0]> : tensor<2xf32>
  %scale = arith.constant dense<[2.0, 1.0]> : tensor<2xf32>
  %shift = arith.constant dense<[3.0, 1.0]> : tensor<2xf32>
  %mean = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %var = arith.constant dense<[1.0, 4.0]> : tensor<2xf32>
  %0 = "onnx.Conv"(%x, %w, %b) {onnx.opset = 14 : i64} : (tensor<1x1x2x2xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  %1 = "onnx.BatchNormalization"(%0, %scale, %shift, %mean, %var) {epsilon = 0.0 : f32, onnx.opset = 14 : i64} : (tensor<1x2x2x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  return %1 : tensor<1x2x2x2xf32>
}

// -----

// The same op on the same operands with the same attributes is computed once.
// CHECK-LABEL: func.func @duplicates
// CHECK: %[[A:.*]] = "onnx.Sigmoid"(%arg0)
// CHECK-NOT: onnx.Sigmoid
// CHECK: %[[B:.*]] = "onnx.LeakyRelu"(%arg0) {alpha = 1.000000e-01 : f32
// CHECK: %[[C:.*]] = "onnx.LeakyRelu"(%arg0) {alpha = 2.000000e-01 : f32
// CHECK: "onnx.Sum"(%[[A]], %[[A]], %[[B]], %[[C]])
func.func @duplicates(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = "onnx.Sigmoid"(%x) {onnx.opset = 14 : i64} : (tensor<4xf32>) -> tensor<4xf32>
  %1 = "onnx.Sigmoid"(%x) {onnx.opset = 14 : i64} : (tensor<4xf32>) -> tensor<4xf32>
  %2 = "onnx.LeakyRelu"(%x) {alpha = 0.1 : f32, onnx.opset = 14 : i64} : (tensor<4xf32>) -> tensor<4xf32>
  %3 = "onnx.LeakyRelu"(%x) {alpha = 0.2 : f32, onnx.opset = 14 : i64} : (tensor<4xf32>) -> tensor<4xf32>
  %4 = "onnx.Sum"(%0, %1, %2, %3) {onnx.opset = 14 : i64} : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %4 : tensor<4xf32>
}

// -----

// MatMul(A, Transpose(B)) -> Gemm(A, B, transB = 1): no transposed copy of B.
// CHECK-LABEL: func.func @matmul_transposed
// CHECK-NOT: onnx.Transpose
// CHECK: %[[G:.*]] = "onnx.Gemm"(%arg0, %arg1) {onnx.opset = 13 : i64, transB = 1 : i64} : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
// CHECK: return %[[G]]
func.func @matmul_transposed(%a: tensor<4x8xf32>, %b: tensor<16x8xf32>) -> tensor<4x16xf32> {
  %t = "onnx.Transpose"(%b) {perm = array<i64: 1, 0>, onnx.opset = 14 : i64} : (tensor<16x8xf32>) -> tensor<8x16xf32>
  %0 = "onnx.MatMul"(%a, %t) {onnx.opset = 14 : i64} : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

// A batched MatMul keeps its Transpose (Gemm takes matrices only).
// CHECK-LABEL: func.func @batched_kept
// CHECK: onnx.Transpose
// CHECK: onnx.MatMul
func.func @batched_kept(%a: tensor<2x4x8xf32>, %b: tensor<2x16x8xf32>) -> tensor<2x4x16xf32> {
  %t = "onnx.Transpose"(%b) {perm = array<i64: 0, 2, 1>, onnx.opset = 14 : i64} : (tensor<2x16x8xf32>) -> tensor<2x8x16xf32>
  %0 = "onnx.MatMul"(%a, %t) {onnx.opset = 14 : i64} : (tensor<2x4x8xf32>, tensor<2x8x16xf32>) -> tensor<2x4x16xf32>
  return %0 : tensor<2x4x16xf32>
}

// -----

// A Transpose that only moves dimensions of size 1 keeps the element order: a
// Reshape, no copy. A real reordering stays a Transpose.
// CHECK-LABEL: func.func @unit_dims
// CHECK-NOT: onnx.Transpose
// CHECK: "onnx.Reshape"(%arg0, %{{.*}}) {{.*}}: (tensor<1x1x28x28xf32>, tensor<4xi64>) -> tensor<1x28x28x1xf32>
func.func @unit_dims(%x: tensor<1x1x28x28xf32>) -> tensor<1x28x28x1xf32> {
  %0 = "onnx.Transpose"(%x) {perm = array<i64: 0, 2, 3, 1>, onnx.opset = 14 : i64} : (tensor<1x1x28x28xf32>) -> tensor<1x28x28x1xf32>
  return %0 : tensor<1x28x28x1xf32>
}

// -----

// CHECK-LABEL: func.func @real_reorder
// CHECK: onnx.Transpose
// CHECK-NOT: onnx.Reshape
func.func @real_reorder(%x: tensor<1x16x5x5xf32>) -> tensor<1x5x5x16xf32> {
  %0 = "onnx.Transpose"(%x) {perm = array<i64: 0, 2, 3, 1>, onnx.opset = 14 : i64} : (tensor<1x16x5x5xf32>) -> tensor<1x5x5x16xf32>
  return %0 : tensor<1x5x5x16xf32>
}
