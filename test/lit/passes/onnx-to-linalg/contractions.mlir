// RUN: nnmodel-opt %s --allow-unregistered-dialect --split-input-file --nnm-onnx-to-linalg | FileCheck %s

// Grouped convolution goes through the NGCHW named op with strides and padding.
// CHECK-LABEL: func.func @conv_groups
// CHECK: tensor.pad
// CHECK: linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
// CHECK-SAME: -> tensor<1x2x2x4x4xf32>
// CHECK: return %{{.*}} : tensor<1x4x4x4xf32>
func.func @conv_groups(%x: tensor<1x4x8x8xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<*xf32> {
  %0 = "onnx.Conv"(%x, %w) {onnx.opset = 11 : i64, group = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x4x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// Batched MatMul broadcasts the batch dimension of the 2-D operand.
// CHECK: #[[B:.*]] = affine_map<(d0, d1, d2, d3) -> (d3, d2)>
// CHECK: func.func @matmul_batched
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[B]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME: outs(%{{.*}} : tensor<5x2x4xf32>)
func.func @matmul_batched(%a: tensor<5x2x3xf32>, %b: tensor<3x4xf32>) -> tensor<*xf32> {
  %0 = "onnx.MatMul"(%a, %b) {onnx.opset = 13 : i64} : (tensor<5x2x3xf32>, tensor<3x4xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// 1-D pooling runs as 2-D pooling over a unit H dimension.
// CHECK-LABEL: func.func @maxpool_1d
// CHECK: linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<[1, 2]> : tensor<2xi64>}
// CHECK-SAME: outs(%{{.*}} : tensor<1x3x1x4xf32>)
// CHECK: return %{{.*}} : tensor<1x3x4xf32>
func.func @maxpool_1d(%x: tensor<1x3x8xf32>) -> tensor<*xf32> {
  %0 = "onnx.MaxPool"(%x) {onnx.opset = 12 : i64, kernel_shape = array<i64: 2>, strides = array<i64: 2>} : (tensor<1x3x8xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}
