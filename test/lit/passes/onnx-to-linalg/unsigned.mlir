// RUN: nnmodel-opt %s --allow-unregistered-dialect --split-input-file --nnm-onnx-to-linalg | FileCheck %s

// Unsigned integers exist only at the ONNX level: the signature, the constants
// and the computation become signless, the division is unsigned, and the
// ONNX-level result type is recorded for the generated API.
// CHECK-LABEL: func.func @div_u8
// CHECK-SAME: (%{{.*}}: tensor<4xi8>) -> tensor<4xi8>
// CHECK-SAME: nnm.result_types = [tensor<4xui8>]
// CHECK: arith.constant dense<[1, 2, -1, 4]> : tensor<4xi8>
// CHECK: linalg.generic
// CHECK: arith.divui
func.func @div_u8(%x: tensor<4xui8>) -> tensor<4xui8> {
  %c = arith.constant dense<[1, 2, 255, 4]> : tensor<4xui8>
  %0 = "onnx.Div"(%x, %c) {onnx.opset = 14 : i64} : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  return %0 : tensor<4xui8>
}

// -----

// Casts read the signedness of both sides: uint16 -> float is uitofp, float ->
// uint8 is fptoui, uint8 -> int32 zero-extends.
// CHECK-LABEL: func.func @casts
// CHECK: arith.uitofp
// CHECK: arith.fptoui
// CHECK: arith.extui
func.func @casts(%a: tensor<3xui16>, %b: tensor<3xf32>, %c: tensor<3xui8>) -> (tensor<3xf32>, tensor<3xui8>, tensor<3xi32>) {
  %0 = "onnx.Cast"(%a) {onnx.opset = 21 : i64, to = 1 : i64} : (tensor<3xui16>) -> tensor<3xf32>
  %1 = "onnx.Cast"(%b) {onnx.opset = 21 : i64, to = 2 : i64} : (tensor<3xf32>) -> tensor<3xui8>
  %2 = "onnx.Cast"(%c) {onnx.opset = 21 : i64, to = 6 : i64} : (tensor<3xui8>) -> tensor<3xi32>
  return %0, %1, %2 : tensor<3xf32>, tensor<3xui8>, tensor<3xi32>
}

// -----

// Max compares unsigned; MaxPool flips the sign bit around linalg's signed pool.
// CHECK-LABEL: func.func @max_u32
// CHECK: arith.maxui
// CHECK-LABEL: func.func @maxpool_u8
// CHECK: arith.xori
// CHECK: linalg.pooling_nchw_max
// CHECK: arith.xori
func.func @max_u32(%a: tensor<2xui32>, %b: tensor<2xui32>) -> tensor<2xui32> {
  %0 = "onnx.Max"(%a, %b) {onnx.opset = 13 : i64} : (tensor<2xui32>, tensor<2xui32>) -> tensor<2xui32>
  return %0 : tensor<2xui32>
}
func.func @maxpool_u8(%x: tensor<1x1x4x4xui8>) -> tensor<1x1x2x2xui8> {
  %0 = "onnx.MaxPool"(%x) {onnx.opset = 12 : i64, kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x1x4x4xui8>) -> tensor<1x1x2x2xui8>
  return %0 : tensor<1x1x2x2xui8>
}
