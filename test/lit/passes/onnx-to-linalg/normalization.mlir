// RUN: nnmodel-opt %s --allow-unregistered-dialect --split-input-file --nnm-onnx-upgrade --nnm-onnx-fold --nnm-onnx-to-linalg | FileCheck %s

// LayerNormalization over the last axis: a sum, a sum of squared deviations
// (reading x and the mean), 1/sqrt(var + eps), and one elementwise generic for
// (x - mean) * inv * scale + bias.
// CHECK-LABEL: func.func @layernorm_last_axis
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: arith.addf
// CHECK: arith.divf
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: %[[EPS:.*]] = arith.constant 9.99999974E-6 : f32
// CHECK: arith.addf %{{.*}}, %[[EPS]]
// CHECK: math.sqrt
// CHECK: linalg.generic
// CHECK-SAME: ins(%arg0, %{{.*}}, %{{.*}}, %arg1, %arg2 : tensor<2x3x4xf32>, tensor<2x3x1xf32>, tensor<2x3x1xf32>, tensor<4xf32>, tensor<4xf32>)
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: return %{{.*}} : tensor<2x3x4xf32>
func.func @layernorm_last_axis(%x: tensor<2x3x4xf32>, %s: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<2x3x4xf32> {
  %0 = "onnx.LayerNormalization"(%x, %s, %b) {onnx.opset = 17 : i64} : (tensor<2x3x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----

// LayerNormalization with axis 1 and the Mean / InvStdDev outputs (unit dims from axis on).
// CHECK-LABEL: func.func @layernorm_axis1_stats
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "reduction", "reduction"]
// CHECK: return %{{.*}}, %{{.*}}, %{{.*}} : tensor<2x3x4xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>
func.func @layernorm_axis1_stats(%x: tensor<2x3x4xf32>, %s: tensor<3x4xf32>) -> (tensor<2x3x4xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>) {
  %none = "onnx.None"() : () -> none
  %0:3 = "onnx.LayerNormalization"(%x, %s, %none) {axis = 1 : i64, epsilon = 1.0e-3 : f32, onnx.opset = 17 : i64} : (tensor<2x3x4xf32>, tensor<3x4xf32>, none) -> (tensor<2x3x4xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>)
  return %0#0, %0#1, %0#2 : tensor<2x3x4xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>
}

// -----

// RMSNormalization: no mean; one reduction of x*x.
// CHECK-LABEL: func.func @rmsnorm
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "reduction"]
// CHECK-NOT: arith.subf
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: math.sqrt
// CHECK: linalg.generic
// CHECK-NOT: arith.subf
// CHECK: return
func.func @rmsnorm(%x: tensor<2x8xf32>, %s: tensor<8xf32>) -> tensor<2x8xf32> {
  %0 = "onnx.RMSNormalization"(%x, %s) {onnx.opset = 23 : i64} : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

// GroupNormalization-21: X viewed as (N, G, C/G, H, W), statistics per group.
// CHECK-LABEL: func.func @groupnorm
// CHECK: tensor.expand_shape %{{.*}} output_shape [2, 2, 2, 3, 3]
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction"]
// CHECK: return %{{.*}} : tensor<2x4x3x3xf32>
func.func @groupnorm(%x: tensor<2x4x3x3xf32>, %s: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<2x4x3x3xf32> {
  %0 = "onnx.GroupNormalization"(%x, %s, %b) {num_groups = 2 : i64, onnx.opset = 21 : i64} : (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4x3x3xf32>
  return %0 : tensor<2x4x3x3xf32>
}

// -----

// GroupNormalization-18 has scale and bias per group; the upgrade repeats them per channel.
// CHECK-LABEL: func.func @groupnorm_18
// CHECK: tensor.insert_slice %{{.*}}[0, 1] [2, 1] [1, 1] : tensor<2x1xf32> into tensor<2x2xf32>
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction"]
func.func @groupnorm_18(%x: tensor<2x4x3x3xf32>, %s: tensor<2xf32>, %b: tensor<2xf32>) -> tensor<2x4x3x3xf32> {
  %0 = "onnx.GroupNormalization"(%x, %s, %b) {num_groups = 2 : i64, onnx.opset = 18 : i64} : (tensor<2x4x3x3xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<2x4x3x3xf32>
  return %0 : tensor<2x4x3x3xf32>
}

// -----

// InstanceNormalization: statistics over the spatial dims per (n, c).
// CHECK-LABEL: func.func @instancenorm
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction", "reduction"]
// CHECK: return %{{.*}} : tensor<1x3x4x4xf32>
func.func @instancenorm(%x: tensor<1x3x4x4xf32>, %s: tensor<3xf32>, %b: tensor<3xf32>) -> tensor<1x3x4x4xf32> {
  %0 = "onnx.InstanceNormalization"(%x, %s, %b) {onnx.opset = 6 : i64} : (tensor<1x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x3x4x4xf32>
  return %0 : tensor<1x3x4x4xf32>
}

// -----

// LRN: squares padded along C, a window sum of `size`, then x / (bias + alpha/size * sum)^beta.
// CHECK-LABEL: func.func @lrn
// CHECK: tensor.pad %{{.*}} low[0, 1, 0, 0] high[0, 1, 0, 0]
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
// CHECK: math.powf
func.func @lrn(%x: tensor<1x5x2x2xf32>) -> tensor<1x5x2x2xf32> {
  %0 = "onnx.LRN"(%x) {size = 3 : i64, onnx.opset = 13 : i64} : (tensor<1x5x2x2xf32>) -> tensor<1x5x2x2xf32>
  return %0 : tensor<1x5x2x2xf32>
}

// -----

// SoftmaxCrossEntropyLoss (mean): LogSoftmax over C, then one generic picking
// -logp at the target with its weight, and sum / total weight.
// CHECK-LABEL: func.func @sce_mean
// CHECK: math.log
// CHECK: %[[L:.*]]:2 = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "reduction"]
// CHECK: arith.negf
// CHECK: arith.divf
// CHECK: return %{{.*}} : tensor<f32>
func.func @sce_mean(%x: tensor<3x5xf32>, %t: tensor<3xi64>) -> tensor<f32> {
  %0 = "onnx.SoftmaxCrossEntropyLoss"(%x, %t) {onnx.opset = 13 : i64} : (tensor<3x5xf32>, tensor<3xi64>) -> tensor<f32>
  return %0 : tensor<f32>
}
