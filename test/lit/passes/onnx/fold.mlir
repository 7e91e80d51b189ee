// RUN: nnmodel-opt %s --allow-unregistered-dialect --split-input-file --nnm-onnx-fold | FileCheck %s

// Shape -> Gather -> Concat folds to a constant, and the Reshape it feeds gets a
// static type in place of the ? dims it had before folding; the function type follows.
// CHECK-LABEL: func.func @shape_subgraph
// CHECK-SAME: -> tensor<2x12xf32>
// CHECK-NOT: onnx.Shape
// CHECK-NOT: onnx.Gather
// CHECK-NOT: onnx.Concat
// CHECK: %[[S:.*]] = arith.constant dense<[2, 12]> : tensor<2xi64>
// CHECK: "onnx.Reshape"(%arg0, %[[S]]) {onnx.opset = 14 : i64} : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<2x12xf32>
func.func @shape_subgraph(%x: tensor<2x3x4xf32>) -> tensor<?x?xf32> {
  %s = "onnx.Shape"(%x) {onnx.opset = 14 : i64} : (tensor<2x3x4xf32>) -> tensor<3xi64>
  %i = arith.constant dense<[0]> : tensor<1xi64>
  %n = "onnx.Gather"(%s, %i) {onnx.opset = 14 : i64} : (tensor<3xi64>, tensor<1xi64>) -> tensor<1xi64>
  %m = arith.constant dense<[12]> : tensor<1xi64>
  %t = "onnx.Concat"(%n, %m) {axis = 0 : i64, onnx.opset = 14 : i64} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %r = "onnx.Reshape"(%x, %t) {onnx.opset = 14 : i64} : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}

// -----

// Integer arithmetic, Cast and Identity fold; float arithmetic is left to the kernels.
// CHECK-LABEL: func.func @arith
// CHECK-DAG: arith.constant dense<[8, 11]> : tensor<2xi32>
// CHECK-DAG: "onnx.Add"(%arg0, %arg0)
// CHECK-NOT: "onnx.Mul"
// CHECK-NOT: "onnx.Cast"
// CHECK-NOT: "onnx.Identity"
func.func @arith(%f: tensor<2xf32>) -> (tensor<2xi32>, tensor<2xf32>) {
  %a = arith.constant dense<[3, 4]> : tensor<2xi64>
  %b = arith.constant dense<[2, 2]> : tensor<2xi64>
  %c = arith.constant dense<1> : tensor<i64>
  %m = "onnx.Mul"(%a, %b) {onnx.opset = 14 : i64} : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  %s = "onnx.Add"(%m, %a) {onnx.opset = 14 : i64} : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  %d = "onnx.Sub"(%s, %c) {onnx.opset = 14 : i64} : (tensor<2xi64>, tensor<i64>) -> tensor<2xi64>
  %i = "onnx.Identity"(%d) {onnx.opset = 14 : i64} : (tensor<2xi64>) -> tensor<2xi64>
  %k = "onnx.Cast"(%i) {to = 6 : i64, onnx.opset = 14 : i64} : (tensor<2xi64>) -> tensor<2xi32>
  %g = "onnx.Add"(%f, %f) {onnx.opset = 14 : i64} : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return %k, %g : tensor<2xi32>, tensor<2xf32>
}

// -----

// Unused ONNX ops are removed; ops with uses stay.
// CHECK-LABEL: func.func @dead
// CHECK-NOT: onnx.Relu
// CHECK: "onnx.Sigmoid"
func.func @dead(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = "onnx.Relu"(%x) {onnx.opset = 14 : i64} : (tensor<4xf32>) -> tensor<4xf32>
  %1 = "onnx.Sigmoid"(%x) {onnx.opset = 14 : i64} : (tensor<4xf32>) -> tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// A constant over the folding limit (4096 elements) is left to the kernels.
// CHECK-LABEL: func.func @large
// CHECK: "onnx.Transpose"
func.func @large() -> tensor<128x64xf32> {
  %w = arith.constant dense<1.0> : tensor<64x128xf32>
  %0 = "onnx.Transpose"(%w) {onnx.opset = 14 : i64} : (tensor<64x128xf32>) -> tensor<128x64xf32>
  return %0 : tensor<128x64xf32>
}
