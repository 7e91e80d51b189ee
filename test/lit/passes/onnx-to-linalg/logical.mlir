// RUN: nnmodel-opt %s --allow-unregistered-dialect --split-input-file --nnm-onnx-upgrade --nnm-onnx-to-linalg | FileCheck %s
// RUN: nnmodel-opt %s --allow-unregistered-dialect --split-input-file --nnm-onnx-upgrade --nnm-onnx-fold | FileCheck %s --check-prefix=FOLD

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
// CHECK: linalg.yield
func.func @isinf_positive(%a: tensor<4xf32>) -> tensor<*xi1> {
  %0 = "onnx.IsInf"(%a) {onnx.opset = 20 : i64, detect_negative = 0 : i64} : (tensor<4xf32>) -> tensor<*xi1>
  return %0 : tensor<*xi1>
}

// -----

// Shape arithmetic folds: Where(Not(Equal(shape, 0)), shape, other).
// FOLD-LABEL: func.func @fold_where
// FOLD-NOT: onnx.
// FOLD: arith.constant dense<[2, 8, 3]> : tensor<3xi64>
func.func @fold_where() -> tensor<*xi64> {
  %s = arith.constant dense<[2, 0, 3]> : tensor<3xi64>
  %z = arith.constant dense<0> : tensor<i64>
  %d = arith.constant dense<[7, 8, 9]> : tensor<3xi64>
  %e = "onnx.Equal"(%s, %z) {onnx.opset = 13 : i64} : (tensor<3xi64>, tensor<i64>) -> tensor<*xi1>
  %n = "onnx.Not"(%e) {onnx.opset = 1 : i64} : (tensor<*xi1>) -> tensor<*xi1>
  %w = "onnx.Where"(%n, %s, %d) {onnx.opset = 16 : i64} : (tensor<*xi1>, tensor<3xi64>, tensor<3xi64>) -> tensor<*xi64>
  return %w : tensor<*xi64>
}

// -----

// Opset 1 with broadcast/axis: B is aligned at axis 0 by an Unsqueeze.
// FOLD-LABEL: func.func @greater_legacy_axis
// FOLD: onnx.Unsqueeze
// FOLD: "onnx.Greater"({{.*}}) {onnx.opset = 7 : i64
func.func @greater_legacy_axis(%a: tensor<2x3xf32>, %c: tensor<2xf32>) -> tensor<*xi1> {
  %0 = "onnx.Greater"(%a, %c) {onnx.opset = 1 : i64, broadcast = 1 : i64, axis = 0 : i64} : (tensor<2x3xf32>, tensor<2xf32>) -> tensor<*xi1>
  return %0 : tensor<*xi1>
}

// -----

// Unsigned comparisons use the unsigned predicate.
// CHECK-LABEL: func.func @less_unsigned
// CHECK: arith.cmpi ult
func.func @less_unsigned(%a: tensor<4xui8>, %b: tensor<4xui8>) -> tensor<*xi1> {
  %0 = "onnx.Less"(%a, %b) {onnx.opset = 13 : i64} : (tensor<4xui8>, tensor<4xui8>) -> tensor<*xi1>
  return %0 : tensor<*xi1>
}
