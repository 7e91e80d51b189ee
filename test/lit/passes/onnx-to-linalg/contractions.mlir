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

// -----

// ConvTranspose as a gather: loops [n, g, m, oh, ow, c, kh, kw] over the
// grouped weight; each tap reads X where (o + pad - k) is a multiple of the
// stride inside the input, selected away elsewhere; then the channel bias.
// CHECK-LABEL: func.func @convtranspose_group
// CHECK: tensor.expand_shape {{.*}} into tensor<2x2x1x3x3xf32>
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]
// CHECK-SAME: outs(%{{.*}} : tensor<1x2x1x7x7xf32>)
// CHECK: arith.divsi
// CHECK: arith.remsi
// CHECK: %[[X:.*]] = tensor.extract %arg0[{{.*}}] : tensor<1x4x3x3xf32>
// CHECK: %[[P:.*]] = arith.mulf %[[X]], %in
// CHECK: %[[S:.*]] = arith.addf %out, %[[P]]
// CHECK: arith.select %{{.*}}, %[[S]], %out : f32
// CHECK: tensor.expand_shape {{.*}} into tensor<1x2x7x7xf32>
// CHECK: arith.addf
func.func @convtranspose_group(%x: tensor<1x4x3x3xf32>, %w: tensor<4x1x3x3xf32>, %b: tensor<2xf32>) -> tensor<1x2x7x7xf32> {
  %0 = "onnx.ConvTranspose"(%x, %w, %b) {group = 2 : i64, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 0, 0>, output_padding = array<i64: 1, 1>, onnx.opset = 11 : i64} : (tensor<1x4x3x3xf32>, tensor<4x1x3x3xf32>, tensor<2xf32>) -> tensor<1x2x7x7xf32>
  return %0 : tensor<1x2x7x7xf32>
}

// -----

// Col2Im: every image position gathers the block taps that cover it.
// CHECK-LABEL: func.func @col2im
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]
// CHECK-SAME: ins(%{{.*}} : tensor<2x2xf32>) outs(%{{.*}} : tensor<1x1x3x3xf32>)
// CHECK: tensor.extract %arg0[{{.*}}] : tensor<1x4x4xf32>
// CHECK: arith.select
func.func @col2im(%x: tensor<1x4x4xf32>) -> tensor<1x1x3x3xf32> {
  %img = arith.constant dense<[3, 3]> : tensor<2xi64>
  %block = arith.constant dense<[2, 2]> : tensor<2xi64>
  %0 = "onnx.Col2Im"(%x, %img, %block) {onnx.opset = 18 : i64} : (tensor<1x4x4xf32>, tensor<2xi64>, tensor<2xi64>) -> tensor<1x1x3x3xf32>
  return %0 : tensor<1x1x3x3xf32>
}

// -----

// A grouped 3-D Conv: one linalg.generic over [n, g, m, od, oh, ow, c, kd, kh, kw].
// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7, d8, d9) -> (d0, d1, d6, d3 + d7, d4 + d8, d5 + d9)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7, d8, d9) -> (d1, d2, d6, d7, d8, d9)>
// CHECK-LABEL: func.func @conv_3d_group
// CHECK: linalg.generic {indexing_maps = [#[[X]], #[[W]], #{{.*}}]
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<1x2x2x5x5x5xf32>, tensor<2x3x2x3x3x3xf32>) outs(%{{.*}} : tensor<1x2x3x3x3x3xf32>)
// CHECK: tensor.expand_shape {{.*}} into tensor<1x6x3x3x3xf32>
func.func @conv_3d_group(%x: tensor<1x4x5x5x5xf32>, %w: tensor<6x2x3x3x3xf32>) -> tensor<1x6x3x3x3xf32> {
  %0 = "onnx.Conv"(%x, %w) {group = 2 : i64, onnx.opset = 11 : i64} : (tensor<1x4x5x5x5xf32>, tensor<6x2x3x3x3xf32>) -> tensor<1x6x3x3x3xf32>
  return %0 : tensor<1x6x3x3x3xf32>
}
