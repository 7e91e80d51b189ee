// RUN: nnmodel-opt %s --allow-unregistered-dialect --split-input-file --nnm-onnx-upgrade | FileCheck %s

// Clip before opset 11: min/max attributes become rank-0 constant inputs.
// CHECK-LABEL: func.func @clip_6
// CHECK-DAG: %[[LO:.*]] = arith.constant dense<-1.000000e+00> : tensor<f32>
// CHECK-DAG: %[[HI:.*]] = arith.constant dense<2.500000e+00> : tensor<f32>
// CHECK: "onnx.Clip"(%arg0, %[[LO]], %[[HI]]) {onnx.opset = 11 : i64, onnx.source_opset = 6 : i64} : (tensor<2x3xf32>, tensor<f32>, tensor<f32>) -> tensor<2x3xf32>
func.func @clip_6(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = "onnx.Clip"(%x) {min = -1.0 : f32, max = 2.5 : f32, onnx.opset = 6 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Reshape before opset 5: the shape attribute becomes the shape input.
// CHECK-LABEL: func.func @reshape_1
// CHECK: %[[S:.*]] = arith.constant dense<[3, 2]> : tensor<2xi64>
// CHECK: "onnx.Reshape"(%arg0, %[[S]]) {onnx.opset = 5 : i64, onnx.source_opset = 1 : i64} {{.*}} -> tensor<3x2xf32>
func.func @reshape_1(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  %0 = "onnx.Reshape"(%x) {shape = array<i64: 3, 2>, onnx.opset = 1 : i64} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// ReduceSum before opset 13: the axes attribute becomes the axes input.
// CHECK-LABEL: func.func @reduce_sum_11
// CHECK: %[[A:.*]] = arith.constant dense<1> : tensor<1xi64>
// CHECK: "onnx.ReduceSum"(%arg0, %[[A]]) {keepdims = 0 : i64, onnx.opset = 13 : i64, onnx.source_opset = 11 : i64} {{.*}} -> tensor<2xf32>
func.func @reduce_sum_11(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  %0 = "onnx.ReduceSum"(%x) {axes = array<i64: 1>, keepdims = 0 : i64, onnx.opset = 11 : i64} : (tensor<2x3xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// Split goes through two upgrades: the split attribute becomes an input (13);
// an even split without sizes gains num_outputs (18).
// CHECK-LABEL: func.func @split_11_even
// CHECK: "onnx.Split"(%arg0) {axis = 1 : i64, num_outputs = 2 : i64, onnx.opset = 18 : i64, onnx.source_opset = 11 : i64} {{.*}} -> (tensor<2x2xf32>, tensor<2x2xf32>)
func.func @split_11_even(%x: tensor<2x4xf32>) -> (tensor<2x2xf32>, tensor<2x2xf32>) {
  %0:2 = "onnx.Split"(%x) {axis = 1 : i64, onnx.opset = 11 : i64} : (tensor<2x4xf32>) -> (tensor<2x2xf32>, tensor<2x2xf32>)
  return %0#0, %0#1 : tensor<2x2xf32>, tensor<2x2xf32>
}

// -----

// Slice before opset 10: starts/ends/axes attributes become inputs.
// CHECK-LABEL: func.func @slice_1
// CHECK-DAG: %[[S:.*]] = arith.constant dense<1> : tensor<1xi64>
// CHECK-DAG: %[[E:.*]] = arith.constant dense<3> : tensor<1xi64>
// CHECK-DAG: %[[A:.*]] = arith.constant dense<1> : tensor<1xi64>
// CHECK: "onnx.Slice"(%arg0, %{{.*}}, %{{.*}}, %{{.*}}) {onnx.opset = 10 : i64, onnx.source_opset = 1 : i64} {{.*}} -> tensor<2x2xf32>
func.func @slice_1(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  %0 = "onnx.Slice"(%x) {starts = array<i64: 1>, ends = array<i64: 3>, axes = array<i64: 1>, onnx.opset = 1 : i64} : (tensor<2x4xf32>) -> tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

// -----

// Softmax before opset 13 coerces to 2-D: Flatten -> Softmax(axis 1) -> Reshape,
// whose target shape (Shape of a static input) is folded right away.
// CHECK-LABEL: func.func @softmax_11
// CHECK: %[[F:.*]] = "onnx.Flatten"(%arg0) {axis = 1 : i64, onnx.opset = 13 : i64} : (tensor<2x3x4xf32>) -> tensor<2x12xf32>
// CHECK: %[[S:.*]] = "onnx.Softmax"(%[[F]]) {axis = 1 : i64, onnx.opset = 13 : i64} : (tensor<2x12xf32>) -> tensor<2x12xf32>
// CHECK: %[[T:.*]] = arith.constant dense<[2, 3, 4]> : tensor<3xi64>
// CHECK: "onnx.Reshape"(%[[S]], %[[T]]) {{.*}} -> tensor<2x3x4xf32>
func.func @softmax_11(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %0 = "onnx.Softmax"(%x) {onnx.opset = 11 : i64} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----

// Newest forms are left alone.
// CHECK-LABEL: func.func @newest
// CHECK: "onnx.Clip"(%arg0, %arg1, %arg1) {onnx.opset = 13 : i64}
func.func @newest(%x: tensor<2xf32>, %b: tensor<f32>) -> tensor<2xf32> {
  %0 = "onnx.Clip"(%x, %b, %b) {onnx.opset = 13 : i64} : (tensor<2xf32>, tensor<f32>, tensor<f32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// Add before opset 7 with broadcast = 1 and axis = 1: B [3] aligns with A's dim 1, so
// it gains two trailing unit dims (the Unsqueeze of a constant folds).
// CHECK-LABEL: func.func @add_6_axis
// CHECK: %[[B:.*]] = arith.constant dense<{{.*}}> : tensor<3x1x1xf32>
// CHECK: "onnx.Add"(%arg0, %[[B]]) {onnx.opset = 7 : i64, onnx.source_opset = 6 : i64} : (tensor<2x3x4x5xf32>, tensor<3x1x1xf32>) -> tensor<2x3x4x5xf32>
func.func @add_6_axis(%a: tensor<2x3x4x5xf32>) -> tensor<2x3x4x5xf32> {
  %b = arith.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %0 = "onnx.Add"(%a, %b) {broadcast = 1 : i64, axis = 1 : i64, onnx.opset = 6 : i64} : (tensor<2x3x4x5xf32>, tensor<3xf32>) -> tensor<2x3x4x5xf32>
  return %0 : tensor<2x3x4x5xf32>
}

// -----

// A non-constant B is unsqueezed by an onnx.Unsqueeze op.
// CHECK-LABEL: func.func @mul_6_axis_input
// CHECK: %[[U:.*]] = "onnx.Unsqueeze"(%arg1, %{{.*}}) {onnx.opset = 13 : i64} : (tensor<4xf32>, tensor<1xi64>) -> tensor<4x1xf32>
// CHECK: "onnx.Mul"(%arg0, %[[U]]) {onnx.opset = 7 : i64, onnx.source_opset = 6 : i64}
func.func @mul_6_axis_input(%a: tensor<2x4x5xf32>, %b: tensor<4xf32>) -> tensor<2x4x5xf32> {
  %0 = "onnx.Mul"(%a, %b) {broadcast = 1 : i64, axis = 1 : i64, onnx.opset = 6 : i64} : (tensor<2x4x5xf32>, tensor<4xf32>) -> tensor<2x4x5xf32>
  return %0 : tensor<2x4x5xf32>
}

// -----

// Opset 1: consumed_inputs goes; Dropout's is_test becomes the training_mode input.
// CHECK-LABEL: func.func @opset_1
// CHECK: "onnx.Relu"(%arg0) {onnx.opset = 6 : i64, onnx.source_opset = 1 : i64}
// CHECK-DAG: %[[RATIO:.*]] = arith.constant dense<3.000000e-01> : tensor<f32>
// CHECK-DAG: %[[TRAIN:.*]] = arith.constant dense<false> : tensor<i1>
// CHECK: "onnx.Dropout"(%{{.*}}, %[[RATIO]], %[[TRAIN]]) {onnx.opset = 12 : i64, onnx.source_opset = 1 : i64}
func.func @opset_1(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = "onnx.Relu"(%x) {consumed_inputs = array<i64: 0>, onnx.opset = 1 : i64} : (tensor<4xf32>) -> tensor<4xf32>
  %1 = "onnx.Dropout"(%0) {is_test = 1 : i64, ratio = 0.3 : f32, onnx.opset = 1 : i64} : (tensor<4xf32>) -> tensor<4xf32>
  return %1 : tensor<4xf32>
}
