// RUN: nnmodel-opt %s --allow-unregistered-dialect --split-input-file --nnm-onnx-upgrade --nnm-onnx-fold --nnm-onnx-to-linalg | FileCheck %s

// Reshape: 0 copies the input dimension, -1 takes the rest (2 x 12).
// CHECK-LABEL: func.func @reshape_zero_and_minus_one
// CHECK-SAME: -> tensor<2x12xf32>
// CHECK: tensor.collapse_shape %arg0 {{.*}} : tensor<2x3x4xf32> into tensor<24xf32>
// CHECK: %[[R:.*]] = tensor.expand_shape {{.*}} output_shape [2, 12] : tensor<24xf32> into tensor<2x12xf32>
// CHECK: return %[[R]] : tensor<2x12xf32>
func.func @reshape_zero_and_minus_one(%x: tensor<2x3x4xf32>) -> tensor<2x12xf32> {
  %s = arith.constant dense<[0, -1]> : tensor<2xi64>
  %0 = "onnx.Reshape"(%x, %s) {onnx.opset = 14 : i64} : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<2x12xf32>
  return %0 : tensor<2x12xf32>
}

// -----
// Reshape of a constant folds to a reshaped constant.
// CHECK-LABEL: func.func @reshape_constant_folds
// CHECK-NOT: tensor.expand_shape
// CHECK: %[[C:.*]] = arith.constant dense<{{\[\[}}1.000000e+00, 2.000000e+00, 3.000000e+00], [4.000000e+00, 5.000000e+00, 6.000000e+00]]> : tensor<2x3xf32>
// CHECK: return %[[C]] : tensor<2x3xf32>
func.func @reshape_constant_folds() -> tensor<2x3xf32> {
  %x = arith.constant dense<[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]> : tensor<6xf32>
  %s = arith.constant dense<[-1, 3]> : tensor<2xi64>
  %0 = "onnx.Reshape"(%x, %s) {onnx.opset = 13 : i64} : (tensor<6xf32>, tensor<2xi64>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----
// Flatten at axis 2: [2*3, 4*5].
// CHECK-LABEL: func.func @flatten_axis2
// CHECK: %[[R:.*]] = tensor.expand_shape {{.*}} output_shape [6, 20] : tensor<120xf32> into tensor<6x20xf32>
// CHECK: return %[[R]] : tensor<6x20xf32>
func.func @flatten_axis2(%x: tensor<2x3x4x5xf32>) -> tensor<6x20xf32> {
  %0 = "onnx.Flatten"(%x) {axis = 2 : i64, onnx.opset = 13 : i64} : (tensor<2x3x4x5xf32>) -> tensor<6x20xf32>
  return %0 : tensor<6x20xf32>
}

// -----
// Squeeze before opset 13 takes axes as an attribute; the other unit dim stays.
// CHECK-LABEL: func.func @squeeze_attr
// CHECK: %[[R:.*]] = tensor.expand_shape {{.*}} output_shape [3, 1, 4] : tensor<12xf32> into tensor<3x1x4xf32>
// CHECK: return %[[R]] : tensor<3x1x4xf32>
func.func @squeeze_attr(%x: tensor<1x3x1x4xf32>) -> tensor<3x1x4xf32> {
  %0 = "onnx.Squeeze"(%x) {axes = array<i64: 0>, onnx.opset = 11 : i64} : (tensor<1x3x1x4xf32>) -> tensor<3x1x4xf32>
  return %0 : tensor<3x1x4xf32>
}

// -----
// Squeeze from opset 13 takes axes as an input (here with a negative axis).
// CHECK-LABEL: func.func @squeeze_input
// CHECK: %[[R:.*]] = tensor.expand_shape {{.*}} output_shape [3, 4] : tensor<12xf32> into tensor<3x4xf32>
// CHECK: return %[[R]] : tensor<3x4xf32>
func.func @squeeze_input(%x: tensor<1x3x1x4xf32>) -> tensor<3x4xf32> {
  %axes = arith.constant dense<[0, -2]> : tensor<2xi64>
  %0 = "onnx.Squeeze"(%x, %axes) {onnx.opset = 13 : i64} : (tensor<1x3x1x4xf32>, tensor<2xi64>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----
// Squeeze without axes drops every unit dimension.
// CHECK-LABEL: func.func @squeeze_all_units
// CHECK: %[[R:.*]] = tensor.collapse_shape %arg0 {{.*}} : tensor<1x3x1x1xf32> into tensor<3xf32>
// CHECK: return %[[R]] : tensor<3xf32>
func.func @squeeze_all_units(%x: tensor<1x3x1x1xf32>) -> tensor<3xf32> {
  %0 = "onnx.Squeeze"(%x) {onnx.opset = 13 : i64} : (tensor<1x3x1x1xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----
// Unsqueeze before opset 13: axes attribute indexes the output rank.
// CHECK-LABEL: func.func @unsqueeze_attr
// CHECK: %[[R:.*]] = tensor.expand_shape {{.*}} output_shape [1, 3, 4, 1] : tensor<12xf32> into tensor<1x3x4x1xf32>
// CHECK: return %[[R]] : tensor<1x3x4x1xf32>
func.func @unsqueeze_attr(%x: tensor<3x4xf32>) -> tensor<1x3x4x1xf32> {
  %0 = "onnx.Unsqueeze"(%x) {axes = array<i64: 0, 3>, onnx.opset = 11 : i64} : (tensor<3x4xf32>) -> tensor<1x3x4x1xf32>
  return %0 : tensor<1x3x4x1xf32>
}

// -----
// Unsqueeze from opset 13 takes axes as an input; -2 is the middle of the rank-3 output.
// CHECK-LABEL: func.func @unsqueeze_input
// CHECK: %[[R:.*]] = tensor.expand_shape {{.*}} output_shape [3, 1, 4] : tensor<12xf32> into tensor<3x1x4xf32>
// CHECK: return %[[R]] : tensor<3x1x4xf32>
func.func @unsqueeze_input(%x: tensor<3x4xf32>) -> tensor<3x1x4xf32> {
  %axes = arith.constant dense<[-2]> : tensor<1xi64>
  %0 = "onnx.Unsqueeze"(%x, %axes) {onnx.opset = 13 : i64} : (tensor<3x4xf32>, tensor<1xi64>) -> tensor<3x1x4xf32>
  return %0 : tensor<3x1x4xf32>
}

// -----
// Split at opset 18 with num_outputs: 7 rows in chunks of 3, the last one smaller.
// CHECK-LABEL: func.func @split_uneven_18
// CHECK: tensor.extract_slice %arg0[0, 0] [3, 2] [1, 1] : tensor<7x2xf32> to tensor<3x2xf32>
// CHECK: tensor.extract_slice %arg0[3, 0] [3, 2] [1, 1] : tensor<7x2xf32> to tensor<3x2xf32>
// CHECK: tensor.extract_slice %arg0[6, 0] [1, 2] [1, 1] : tensor<7x2xf32> to tensor<1x2xf32>
func.func @split_uneven_18(%x: tensor<7x2xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>, tensor<1x2xf32>) {
  %none = "onnx.None"() : () -> none
  %0:3 = "onnx.Split"(%x, %none) {num_outputs = 3 : i64, onnx.opset = 18 : i64} : (tensor<7x2xf32>, none) -> (tensor<3x2xf32>, tensor<3x2xf32>, tensor<1x2xf32>)
  return %0#0, %0#1, %0#2 : tensor<3x2xf32>, tensor<3x2xf32>, tensor<1x2xf32>
}

// -----
// Shape of a static tensor is a constant; from opset 15 start/end select a range.
// CHECK-LABEL: func.func @shape_ops
// CHECK: %[[ALL:.*]] = arith.constant dense<[2, 3, 4]> : tensor<3xi64>
// CHECK: %[[TAIL:.*]] = arith.constant dense<[3, 4]> : tensor<2xi64>
// CHECK: return %[[ALL]], %[[TAIL]] : tensor<3xi64>, tensor<2xi64>
func.func @shape_ops(%x: tensor<2x3x4xf32>) -> (tensor<3xi64>, tensor<2xi64>) {
  %0 = "onnx.Shape"(%x) {onnx.opset = 13 : i64} : (tensor<2x3x4xf32>) -> tensor<3xi64>
  %1 = "onnx.Shape"(%x) {start = 1 : i64, onnx.opset = 15 : i64} : (tensor<2x3x4xf32>) -> tensor<2xi64>
  return %0, %1 : tensor<3xi64>, tensor<2xi64>
}

// -----
// ConstantOfShape splats its value attribute (default: f32 zero) over the shape.
// CHECK-LABEL: func.func @constant_of_shape
// CHECK-DAG: %[[SEVEN:.*]] = arith.constant dense<7> : tensor<2x3xi32>
// CHECK-DAG: %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : tensor<4xf32>
// CHECK: return %[[SEVEN]], %[[ZERO]] : tensor<2x3xi32>, tensor<4xf32>
func.func @constant_of_shape() -> (tensor<2x3xi32>, tensor<4xf32>) {
  %s = arith.constant dense<[2, 3]> : tensor<2xi64>
  %0 = "onnx.ConstantOfShape"(%s) {value = dense<7> : tensor<1xi32>, onnx.opset = 9 : i64} : (tensor<2xi64>) -> tensor<2x3xi32>
  %t = arith.constant dense<[4]> : tensor<1xi64>
  %1 = "onnx.ConstantOfShape"(%t) {onnx.opset = 20 : i64} : (tensor<1xi64>) -> tensor<4xf32>
  return %0, %1 : tensor<2x3xi32>, tensor<4xf32>
}

// -----
// Constant from a tensor value and from value_ints.
// CHECK-LABEL: func.func @constants
// CHECK-DAG: %[[T:.*]] = arith.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK-DAG: %[[I:.*]] = arith.constant dense<[4, 5, 6]> : tensor<3xi64>
// CHECK: return %[[T]], %[[I]] : tensor<2xf32>, tensor<3xi64>
func.func @constants() -> (tensor<2xf32>, tensor<3xi64>) {
  %0 = "onnx.Constant"() {value = dense<[1.0, 2.0]> : tensor<2xf32>, onnx.opset = 13 : i64} : () -> tensor<2xf32>
  %1 = "onnx.Constant"() {value_ints = array<i64: 4, 5, 6>, onnx.opset = 13 : i64} : () -> tensor<3xi64>
  return %0, %1 : tensor<2xf32>, tensor<3xi64>
}

// -----
// Shape -> Gather on constants folds to a single arith.constant ([4, 2]).
// CHECK-LABEL: func.func @shape_gather_folds
// CHECK-NOT: linalg.generic
// CHECK: %[[C:.*]] = arith.constant dense<[4, 2]> : tensor<2xi64>
// CHECK-NOT: linalg.generic
// CHECK: return %[[C]] : tensor<2xi64>
func.func @shape_gather_folds(%x: tensor<2x3x4xf32>) -> tensor<2xi64> {
  %s = "onnx.Shape"(%x) {onnx.opset = 13 : i64} : (tensor<2x3x4xf32>) -> tensor<3xi64>
  %i = arith.constant dense<[2, 0]> : tensor<2xi64>
  %g = "onnx.Gather"(%s, %i) {axis = 0 : i64, onnx.opset = 13 : i64} : (tensor<3xi64>, tensor<2xi64>) -> tensor<2xi64>
  return %g : tensor<2xi64>
}

// -----
// Shape -> Gather -> Concat folds to the constant [2, -1], which Reshape accepts as its shape.
// CHECK-LABEL: func.func @shape_subgraph_feeds_reshape
// CHECK: arith.constant dense<[2, -1]> : tensor<2xi64>
// CHECK-NOT: linalg.generic
// CHECK: %[[R:.*]] = tensor.expand_shape {{.*}} output_shape [2, 12] : tensor<24xf32> into tensor<2x12xf32>
// CHECK: return %[[R]] : tensor<2x12xf32>
func.func @shape_subgraph_feeds_reshape(%x: tensor<2x3x4xf32>) -> tensor<2x12xf32> {
  %s = "onnx.Shape"(%x) {onnx.opset = 13 : i64} : (tensor<2x3x4xf32>) -> tensor<3xi64>
  %i = arith.constant dense<[0]> : tensor<1xi64>
  %g = "onnx.Gather"(%s, %i) {axis = 0 : i64, onnx.opset = 13 : i64} : (tensor<3xi64>, tensor<1xi64>) -> tensor<1xi64>
  %m = arith.constant dense<[-1]> : tensor<1xi64>
  %c = "onnx.Concat"(%g, %m) {axis = 0 : i64, onnx.opset = 13 : i64} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %r = "onnx.Reshape"(%x, %c) {onnx.opset = 13 : i64} : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<2x12xf32>
  return %r : tensor<2x12xf32>
}

// -----
// Size needs only the input's type: it folds to an i64 scalar.
// CHECK-LABEL: func.func @size_folds
// CHECK: %[[C:.*]] = arith.constant dense<24> : tensor<i64>
// CHECK: return %[[C]] : tensor<i64>
func.func @size_folds(%x: tensor<2x3x4xf32>) -> tensor<i64> {
  %0 = "onnx.Size"(%x) {onnx.opset = 13 : i64} : (tensor<2x3x4xf32>) -> tensor<i64>
  return %0 : tensor<i64>
}

// -----
// Range of constants folds; a negative delta counts down (limit excluded).
// CHECK-LABEL: func.func @range_negative_delta
// CHECK: %[[C:.*]] = arith.constant dense<[10, 8, 6]> : tensor<3xi32>
// CHECK: return %[[C]] : tensor<3xi32>
func.func @range_negative_delta() -> tensor<3xi32> {
  %s = arith.constant dense<10> : tensor<i32>
  %l = arith.constant dense<4> : tensor<i32>
  %d = arith.constant dense<-2> : tensor<i32>
  %0 = "onnx.Range"(%s, %l, %d) {onnx.opset = 11 : i64} : (tensor<i32>, tensor<i32>, tensor<i32>) -> tensor<3xi32>
  return %0 : tensor<3xi32>
}

// -----
// A float Range gets its length, ceil((limit - start) / delta), from the constants.
// CHECK-LABEL: func.func @range_float
// CHECK-SAME: -> tensor<4xf32>
// CHECK: %[[C:.*]] = arith.constant dense<[1.000000e+00, 1.250000e+00, 1.500000e+00, 1.750000e+00]> : tensor<4xf32>
// CHECK: return %[[C]] : tensor<4xf32>
func.func @range_float() -> tensor<?xf32> {
  %s = arith.constant dense<1.0> : tensor<f32>
  %l = arith.constant dense<2.0> : tensor<f32>
  %d = arith.constant dense<0.25> : tensor<f32>
  %0 = "onnx.Range"(%s, %l, %d) {onnx.opset = 11 : i64} : (tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----
// Size -> Unsqueeze -> Concat(Tile) -> Reshape: Size and Tile fold, so the
// Reshape gets a constant target [6, 1, 1].
// CHECK-LABEL: func.func @size_tile_reshape
// CHECK-SAME: -> tensor<6x1x1xf32>
// CHECK: tensor.expand_shape {{.*}} output_shape [6, 1, 1]
func.func @size_tile_reshape(%x: tensor<2x3xf32>) -> tensor<?x?x?xf32> {
  %n = "onnx.Size"(%x) {onnx.opset = 13 : i64} : (tensor<2x3xf32>) -> tensor<i64>
  %a = arith.constant dense<0> : tensor<1xi64>
  %u = "onnx.Unsqueeze"(%n, %a) {onnx.opset = 13 : i64} : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %one = arith.constant dense<1> : tensor<1xi64>
  %r = arith.constant dense<2> : tensor<1xi64>
  %t = "onnx.Tile"(%one, %r) {onnx.opset = 13 : i64} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %s = "onnx.Concat"(%u, %t) {axis = 0 : i64, onnx.opset = 13 : i64} : (tensor<1xi64>, tensor<2xi64>) -> tensor<3xi64>
  %y = "onnx.Reshape"(%x, %s) {onnx.opset = 14 : i64} : (tensor<2x3xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  return %y : tensor<?x?x?xf32>
}
