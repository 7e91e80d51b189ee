// RUN: nnmodel-opt %s --allow-unregistered-dialect --split-input-file --verify-diagnostics --nnm-onnx-to-linalg | FileCheck %s

// A batched matmul: k (absent from the output) is a reduction loop.
// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
// CHECK-DAG: #[[O:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-LABEL: func.func @batch_matmul
// CHECK-SAME: -> tensor<5x2x4xf32>
// CHECK: linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[O]]], iterator_types = ["parallel", "parallel", "reduction", "parallel"]}
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @batch_matmul(%x: tensor<5x2x3xf32>, %y: tensor<5x3x4xf32>) -> tensor<*xf32> {
  %0 = "onnx.Einsum"(%x, %y) {onnx.opset = 12 : i64, equation = "bij, bjk -> bik"} : (tensor<5x2x3xf32>, tensor<5x3x4xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// Ellipsis and a repeated label: the diagonal of each batch entry.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1) -> (d0, d1, d1)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @batch_diagonal
// CHECK-SAME: -> tensor<3x5xi64>
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #[[OUT]]], iterator_types = ["parallel", "parallel"]}
// CHECK: arith.addi
func.func @batch_diagonal(%x: tensor<3x5x5xi64>) -> tensor<*xi64> {
  %0 = "onnx.Einsum"(%x) {onnx.opset = 12 : i64, equation = "...ii ->...i"} : (tensor<3x5x5xi64>) -> tensor<*xi64>
  return %0 : tensor<*xi64>
}

// -----

// Implicit output: labels seen once, sorted; i is summed.
// CHECK-LABEL: func.func @implicit
// CHECK-SAME: -> tensor<4x2xf32>
// CHECK: linalg.generic
// CHECK-SAME: "reduction"
func.func @implicit(%x: tensor<3x4xf32>, %y: tensor<3x2xf32>) -> tensor<*xf32> {
  %0 = "onnx.Einsum"(%x, %y) {onnx.opset = 12 : i64, equation = "ij,ik"} : (tensor<3x4xf32>, tensor<3x2xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// RotaryEmbedding with position_ids: the caches are read at position_ids[b, s].
// CHECK-LABEL: func.func @rotary
// CHECK-SAME: -> tensor<2x4x3x8xf32>
// CHECK: linalg.generic
// CHECK: tensor.extract %{{.*}}[%{{.*}}, %{{.*}}] : tensor<2x3xi64>
// CHECK: arith.index_cast
// CHECK: tensor.extract %{{.*}} : tensor<50x4xf32>
func.func @rotary(%x: tensor<2x4x3x8xf32>, %c: tensor<50x4xf32>, %s: tensor<50x4xf32>, %p: tensor<2x3xi64>) -> tensor<*xf32> {
  %0 = "onnx.RotaryEmbedding"(%x, %c, %s, %p) {onnx.opset = 23 : i64} : (tensor<2x4x3x8xf32>, tensor<50x4xf32>, tensor<50x4xf32>, tensor<2x3xi64>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @einsum_bad_term(%x: tensor<3x4xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{Einsum (opset 12): term 'ijk' does not match the rank 2 of input 0}}
  %0 = "onnx.Einsum"(%x) {onnx.opset = 12 : i64, equation = "ijk->i"} : (tensor<3x4xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @rotary_3d_needs_heads(%x: tensor<2x3x32xf32>, %c: tensor<2x3x4xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{RotaryEmbedding (opset 23): a 3-D input needs num_heads}}
  %0 = "onnx.RotaryEmbedding"(%x, %c, %c) {onnx.opset = 23 : i64} : (tensor<2x3x32xf32>, tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}
