// RUN: nnmodel-opt %s --allow-unregistered-dialect --split-input-file --nnm-onnx-to-linalg | FileCheck %s

// A comparison broadcasts and yields bool.
// CHECK-LABEL: func.func @less_broadcast
// CHECK-SAME: -> tensor<2x3xi1>
// CHECK: linalg.generic
// CHECK: arith.cmpf olt
func.func @less_broadcast(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<*xi1> {
  %0 = "onnx.Less"(%a, %b) {onnx.opset = 13 : i64} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<*xi1>
  return %0 : tensor<*xi1>
}

// -----

// Integer comparisons are signed unless the ONNX type is unsigned.
// CHECK-LABEL: func.func @greater_equal_i32
// CHECK: arith.cmpi sge
func.func @greater_equal_i32(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<*xi1> {
  %0 = "onnx.GreaterOrEqual"(%a, %b) {onnx.opset = 16 : i64} : (tensor<4xi32>, tensor<4xi32>) -> tensor<*xi1>
  return %0 : tensor<*xi1>
}

// -----

// Where broadcasts all three operands; the result has X's element type.
// CHECK-LABEL: func.func @where_bcast
// CHECK-SAME: -> tensor<2x3xi64>
// CHECK: linalg.generic
// CHECK: arith.select
func.func @where_bcast(%c: tensor<2x1xi1>, %x: tensor<3xi64>, %y: tensor<i64>) -> tensor<*xi64> {
  %0 = "onnx.Where"(%c, %x, %y) {onnx.opset = 16 : i64} : (tensor<2x1xi1>, tensor<3xi64>, tensor<i64>) -> tensor<*xi64>
  return %0 : tensor<*xi64>
}

// -----

// Not is xor with true.
// CHECK-LABEL: func.func @not
// CHECK: arith.constant true
// CHECK: arith.xori
func.func @not(%a: tensor<4xi1>) -> tensor<*xi1> {
  %0 = "onnx.Not"(%a) {onnx.opset = 1 : i64} : (tensor<4xi1>) -> tensor<*xi1>
  return %0 : tensor<*xi1>
}

// -----

// A signed right shift clamps the amount to width - 1 (the sign fills).
// CHECK-LABEL: func.func @shift_right
// CHECK: arith.cmpi ult
// CHECK: arith.select
// CHECK: arith.shrsi
func.func @shift_right(%a: tensor<3xi32>, %b: tensor<3xi32>) -> tensor<*xi32> {
  %0 = "onnx.BitShift"(%a, %b) {onnx.opset = 11 : i64, direction = "RIGHT"} : (tensor<3xi32>, tensor<3xi32>) -> tensor<*xi32>
  return %0 : tensor<*xi32>
}

// -----

// CHECK-LABEL: func.func @isinf_positive
// CHECK: arith.cmpf oeq
// CHECK-NOT: arith.cmpf
func.func @isinf_positive(%a: tensor<4xf32>) -> tensor<*xi1> {
  %0 = "onnx.IsInf"(%a) {onnx.opset = 20 : i64, detect_negative = 0 : i64} : (tensor<4xf32>) -> tensor<*xi1>
  return %0 : tensor<*xi1>
}
