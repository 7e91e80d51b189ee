// RUN: nnmodel-opt %s --allow-unregistered-dialect --split-input-file --nnm-onnx-upgrade --nnm-onnx-fold --nnm-onnx-to-linalg | FileCheck %s

// Resize linear (half_pixel, 2 -> 4 along the last axis): two taps per output
// column, their source indices and weights compile-time tables; the body
// gathers and sums w0 * x[i0] + w1 * x[i1].
// CHECK-LABEL: func.func @resize_linear
// CHECK-DAG: %[[I0:.*]] = arith.constant dense<[0, 0, 0, 1]> : tensor<4xi64>
// CHECK-DAG: %[[W0:.*]] = arith.constant dense<[2.500000e-01, 7.500000e-01, 2.500000e-01, 7.500000e-01]> : tensor<4xf32>
// CHECK-DAG: %[[I1:.*]] = arith.constant dense<[0, 1, 1, 1]> : tensor<4xi64>
// CHECK-DAG: %[[W1:.*]] = arith.constant dense<[7.500000e-01, 2.500000e-01, 7.500000e-01, 2.500000e-01]> : tensor<4xf32>
// CHECK: linalg.generic {{.*}} ins(%[[I0]], %[[W0]], %[[I1]], %[[W1]] : {{.*}}) outs(%{{.*}} : tensor<1x4xf32>)
// CHECK: %[[A:.*]] = tensor.extract %arg0
// CHECK: arith.mulf %{{.*}}, %[[A]]
// CHECK: %[[B:.*]] = tensor.extract %arg0
// CHECK: arith.mulf %{{.*}}, %[[B]]
// CHECK: arith.addf
func.func @resize_linear(%x: tensor<1x2xf32>) -> tensor<1x4xf32> {
  %none = "onnx.None"() : () -> none
  %sizes = arith.constant dense<[1, 4]> : tensor<2xi64>
  %0 = "onnx.Resize"(%x, %none, %none, %sizes) {mode = "linear", onnx.opset = 19 : i64} : (tensor<1x2xf32>, none, none, tensor<2xi64>) -> tensor<1x4xf32>
  return %0 : tensor<1x4xf32>
}

// -----
// Resize cubic (4 -> 2): four taps per output (Keys kernel, A = -0.75).
// CHECK-LABEL: func.func @resize_cubic
// CHECK-DAG: arith.constant dense<-9.375000e-02> : tensor<2xf32>
// CHECK-DAG: arith.constant dense<5.937500e-01> : tensor<2xf32>
// CHECK: linalg.generic
// CHECK-COUNT-4: tensor.extract %arg0
func.func @resize_cubic(%x: tensor<4xf32>) -> tensor<2xf32> {
  %none = "onnx.None"() : () -> none
  %scales = arith.constant dense<[0.5]> : tensor<1xf32>
  %0 = "onnx.Resize"(%x, %none, %scales) {mode = "cubic", onnx.opset = 13 : i64} : (tensor<4xf32>, none, tensor<1xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----
// tf_crop_and_resize (nearest, roi [0.5, 1.5] on axis 1): sources 1.5, 3, 4.5;
// the last lies outside the input, flagged in a second table, and reads
// extrapolation_value.
// CHECK-LABEL: func.func @resize_crop
// CHECK-DAG: %[[IDX:.*]] = arith.constant dense<[1, 3, 3]> : tensor<3xi64>
// CHECK-DAG: %[[OUT:.*]] = arith.constant dense<[0, 0, 1]> : tensor<3xi64>
// CHECK: linalg.generic {{.*}} ins(%[[IDX]], %[[OUT]] : tensor<3xi64>, tensor<3xi64>)
// CHECK: %[[F:.*]] = arith.trunci
// CHECK: %[[V:.*]] = tensor.extract %arg0
// CHECK: %[[E:.*]] = arith.constant 7.000000e+00 : f32
// CHECK: arith.select %[[F]], %[[E]], %[[V]]
func.func @resize_crop(%x: tensor<1x4xf32>) -> tensor<1x3xf32> {
  %none = "onnx.None"() : () -> none
  %roi = arith.constant dense<[0.5, 1.5]> : tensor<2xf32>
  %sizes = arith.constant dense<[3]> : tensor<1xi64>
  %0 = "onnx.Resize"(%x, %roi, %none, %sizes) {mode = "nearest", axes = array<i64: 1>, coordinate_transformation_mode = "tf_crop_and_resize", extrapolation_value = 7.0 : f32, onnx.opset = 19 : i64} : (tensor<1x4xf32>, tensor<2xf32>, none, tensor<1xi64>) -> tensor<1x3xf32>
  return %0 : tensor<1x3xf32>
}

// -----
// GridSample-16 bilinear becomes GridSample-20 linear: the body reads the grid
// (x from the last entry's index 0 for W, y from index 1 for H), floors, and
// sums four zero-padded taps.
// CHECK-LABEL: func.func @grid_sample
// CHECK: linalg.generic
// CHECK: %[[Y:.*]] = tensor.extract %arg1[%{{.*}}, %{{.*}}, %{{.*}}, %c1] : tensor<1x2x2x2xf32>
// CHECK: math.floor
// CHECK: tensor.extract %arg1[%{{.*}}, %{{.*}}, %{{.*}}, %c0{{.*}}] : tensor<1x2x2x2xf32>
// CHECK-COUNT-4: tensor.extract %arg0
// CHECK: linalg.yield
func.func @grid_sample(%x: tensor<1x1x3x3xf32>, %g: tensor<1x2x2x2xf32>) -> tensor<1x1x2x2xf32> {
  %0 = "onnx.GridSample"(%x, %g) {mode = "bilinear", onnx.opset = 16 : i64} : (tensor<1x1x3x3xf32>, tensor<1x2x2x2xf32>) -> tensor<1x1x2x2xf32>
  return %0 : tensor<1x1x2x2xf32>
}

// -----
// AffineGrid (2-D, size [1, 1, 2, 3]): grid[n, h, w, j] = theta[n, j, 2] +
// theta[n, j, 0] * x(w) + theta[n, j, 1] * y(h), x(w) = (w + 0.5) * 2/3 - 1.
// CHECK-LABEL: func.func @affine_grid
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x2x3x2xf32>)
// CHECK: tensor.extract %arg0[%{{.*}}, %{{.*}}, %c2] : tensor<1x2x3xf32>
// CHECK: arith.constant 0.666666686 : f32
// CHECK: tensor.extract %arg0[%{{.*}}, %{{.*}}, %c0] : tensor<1x2x3xf32>
func.func @affine_grid(%t: tensor<1x2x3xf32>) -> tensor<1x2x3x2xf32> {
  %size = arith.constant dense<[1, 1, 2, 3]> : tensor<4xi64>
  %0 = "onnx.AffineGrid"(%t, %size) {onnx.opset = 20 : i64} : (tensor<1x2x3xf32>, tensor<4xi64>) -> tensor<1x2x3x2xf32>
  return %0 : tensor<1x2x3x2xf32>
}

// -----
// Resize (nearest, sizes 2x2 -> 4x3, half_pixel, round_prefer_floor): the source
// index of each output row and column is a compile-time table (output column 1
// maps to 0.5, which rounds down).
// CHECK-LABEL: func.func @resize_nearest_sizes
// CHECK-DAG: %[[ROWS:.*]] = arith.constant dense<[0, 0, 1, 1]> : tensor<4xi64>
// CHECK-DAG: %[[COLS:.*]] = arith.constant dense<[0, 0, 1]> : tensor<3xi64>
// CHECK: linalg.generic {{.*}} ins(%[[ROWS]], %[[COLS]] : tensor<4xi64>, tensor<3xi64>) outs(%{{.*}} : tensor<4x3xf32>)
// CHECK: tensor.extract %arg0
func.func @resize_nearest_sizes(%x: tensor<2x2xf32>) -> tensor<4x3xf32> {
  %none = "onnx.None"() : () -> none
  %sizes = arith.constant dense<[4, 3]> : tensor<2xi64>
  %0 = "onnx.Resize"(%x, %none, %none, %sizes) {mode = "nearest", onnx.opset = 19 : i64} : (tensor<2x2xf32>, none, none, tensor<2xi64>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----
// Upsample-9 becomes Resize with asymmetric coordinates and floor rounding: only
// the scaled dimension gets a table (out[i] = in[floor(i / 2)]).
// CHECK-LABEL: func.func @upsample_nearest
// CHECK: %[[COLS:.*]] = arith.constant dense<[0, 0, 1, 1]> : tensor<4xi64>
// CHECK: linalg.generic {{.*}} ins(%[[COLS]] : tensor<4xi64>) outs(%{{.*}} : tensor<1x4xf32>)
func.func @upsample_nearest(%x: tensor<1x2xf32>) -> tensor<1x4xf32> {
  %scales = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %0 = "onnx.Upsample"(%x, %scales) {mode = "nearest", onnx.opset = 9 : i64} : (tensor<1x2xf32>, tensor<2xf32>) -> tensor<1x4xf32>
  return %0 : tensor<1x4xf32>
}
