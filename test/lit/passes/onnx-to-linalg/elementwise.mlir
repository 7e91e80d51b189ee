// RUN: nnmodel-opt %s --allow-unregistered-dialect --split-input-file --nnm-onnx-to-linalg | FileCheck %s

// CHECK-LABEL: func.func @relu_f32
// CHECK-SAME: -> tensor<2x3xf32>
// CHECK: linalg.generic
// CHECK: arith.cmpf olt
// CHECK: arith.select
func.func @relu_f32(%x: tensor<2x3xf32>) -> tensor<*xf32> {
  %0 = "onnx.Relu"(%x) {onnx.opset = 14 : i64} : (tensor<2x3xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// Multidirectional broadcasting: [3] against [2,3] reads the row with (d1) only.
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @add_broadcast
// CHECK-SAME: -> tensor<2x3xf32>
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[ROW]], #{{.*}}]
// CHECK: arith.addf
func.func @add_broadcast(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<*xf32> {
  %0 = "onnx.Add"(%a, %b) {onnx.opset = 14 : i64} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// Clip from opset 11 takes min/max as optional inputs; a missing min is `none`.
// CHECK-LABEL: func.func @clip_max_only
// CHECK: tensor.extract
// CHECK: linalg.generic
// CHECK: arith.minimumf
// CHECK-NOT: arith.maximumf
func.func @clip_max_only(%x: tensor<4xf32>, %hi: tensor<f32>) -> tensor<*xf32> {
  %none = "onnx.None"() : () -> none
  %0 = "onnx.Clip"(%x, %none, %hi) {onnx.opset = 13 : i64} : (tensor<4xf32>, none, tensor<f32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// Shape subgraphs fold to constants: Shape -> Gather -> Reshape.
// CHECK-LABEL: func.func @shape_gather_fold
// CHECK-NOT: onnx.
// CHECK: tensor.collapse_shape
func.func @shape_gather_fold(%x: tensor<2x3x4xf32>) -> tensor<*xf32> {
  %s = "onnx.Shape"(%x) {onnx.opset = 13 : i64} : (tensor<2x3x4xf32>) -> tensor<*xi64>
  %i = arith.constant dense<[0, 1]> : tensor<2xi64>
  %g = "onnx.Gather"(%s, %i) {onnx.opset = 13 : i64, axis = 0 : i64} : (tensor<*xi64>, tensor<2xi64>) -> tensor<*xi64>
  %m = arith.constant dense<-1> : tensor<1xi64>
  %c = "onnx.Concat"(%g, %m) {onnx.opset = 13 : i64, axis = 0 : i64} : (tensor<*xi64>, tensor<1xi64>) -> tensor<*xi64>
  %sh = arith.constant dense<[6, 4]> : tensor<2xi64>
  %r = "onnx.Reshape"(%x, %sh) {onnx.opset = 13 : i64} : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<*xf32>
  return %r : tensor<*xf32>
}

// -----

// Integer Mod with fmod = 0 takes the divisor's sign (numpy's mod).
// CHECK-LABEL: func.func @mod_int
// CHECK: arith.remsi
// CHECK: arith.addi
// CHECK: arith.select
func.func @mod_int(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<*xi32> {
  %0 = "onnx.Mod"(%a, %b) {onnx.opset = 13 : i64} : (tensor<4xi32>, tensor<4xi32>) -> tensor<*xi32>
  return %0 : tensor<*xi32>
}

// -----

// Sum is variadic and broadcasts.
// CHECK-LABEL: func.func @sum3
// CHECK-SAME: -> tensor<2x3xf32>
// CHECK: arith.addf
// CHECK: arith.addf
func.func @sum3(%a: tensor<2x3xf32>, %b: tensor<3xf32>, %c: tensor<2x1xf32>) -> tensor<*xf32> {
  %0 = "onnx.Sum"(%a, %b, %c) {onnx.opset = 13 : i64} : (tensor<2x3xf32>, tensor<3xf32>, tensor<2x1xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// CastLike takes the element type of its second input.
// CHECK-LABEL: func.func @castlike
// CHECK-SAME: -> tensor<4xf64>
// CHECK: arith.extf
func.func @castlike(%a: tensor<4xf32>, %like: tensor<1xf64>) -> tensor<*xf64> {
  %0 = "onnx.CastLike"(%a, %like) {onnx.opset = 19 : i64} : (tensor<4xf32>, tensor<1xf64>) -> tensor<*xf64>
  return %0 : tensor<*xf64>
}

// -----

// CHECK-LABEL: func.func @round_even
// CHECK: math.roundeven
func.func @round_even(%a: tensor<4xf32>) -> tensor<*xf32> {
  %0 = "onnx.Round"(%a) {onnx.opset = 11 : i64} : (tensor<4xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}
