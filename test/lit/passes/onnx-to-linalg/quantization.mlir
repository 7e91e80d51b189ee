// RUN: nnmodel-opt %s --allow-unregistered-dialect --split-input-file --verify-diagnostics --nnm-onnx-to-linalg | FileCheck %s

// Per-axis QuantizeLinear to uint8: the scale and zero point are read at (d1);
// x / scale rounds half to even, the zero point adds in f64 (unsigned), and the
// sum saturates to [0, 255] before fptoui.
// CHECK-DAG: #[[AXIS:.*]] = affine_map<(d0, d1, d2) -> (d1)>
// CHECK-LABEL: func.func @quantize_per_axis
// CHECK-SAME: -> tensor<1x3x2xi8>
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[AXIS]], #[[AXIS]], #{{.*}}]
// CHECK: arith.divf
// CHECK: math.roundeven
// CHECK: arith.uitofp
// CHECK: arith.constant 2.550000e+02 : f64
// CHECK: arith.fptoui
func.func @quantize_per_axis(%x: tensor<1x3x2xf32>, %s: tensor<3xf32>, %z: tensor<3xui8>) -> tensor<*xui8> {
  %0 = "onnx.QuantizeLinear"(%x, %s, %z) {onnx.opset = 21 : i64, axis = 1 : i64} : (tensor<1x3x2xf32>, tensor<3xf32>, tensor<3xui8>) -> tensor<*xui8>
  return %0 : tensor<*xui8>
}

// -----

// Blocked quantization reads the scale of block d1 floordiv block_size.
// CHECK-DAG: #[[BLOCK:.*]] = affine_map<(d0, d1) -> (d0, d1 floordiv 2)>
// CHECK-LABEL: func.func @quantize_blocked
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[BLOCK]], #[[BLOCK]], #{{.*}}]
// CHECK: arith.sitofp
// CHECK: arith.constant -1.280000e+02 : f64
// CHECK: arith.fptosi
func.func @quantize_blocked(%x: tensor<3x4xf32>, %s: tensor<3x2xf32>, %z: tensor<3x2xi8>) -> tensor<*xi8> {
  %0 = "onnx.QuantizeLinear"(%x, %s, %z) {onnx.opset = 21 : i64, axis = 1 : i64, block_size = 2 : i64} : (tensor<3x4xf32>, tensor<3x2xf32>, tensor<3x2xi8>) -> tensor<*xi8>
  return %0 : tensor<*xi8>
}

// -----

// Per-tensor DequantizeLinear of uint8: (x - zero_point) * scale in f32.
// CHECK-DAG: #[[SCALAR:.*]] = affine_map<(d0) -> ()>
// CHECK-LABEL: func.func @dequantize
// CHECK-SAME: -> tensor<4xf32>
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[SCALAR]], #[[SCALAR]], #{{.*}}]
// CHECK: arith.uitofp
// CHECK: arith.uitofp
// CHECK: arith.subf
// CHECK: arith.mulf
func.func @dequantize(%x: tensor<4xui8>, %s: tensor<f32>, %z: tensor<ui8>) -> tensor<*xf32> {
  %0 = "onnx.DequantizeLinear"(%x, %s, %z) {onnx.opset = 19 : i64} : (tensor<4xui8>, tensor<f32>, tensor<ui8>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// DynamicQuantizeLinear: max and min reductions start from 0 (the range holds
// 0), then y, the scale and the zero point.
// CHECK-LABEL: func.func @dynamic_quantize
// CHECK-SAME: -> (tensor<2x3xi8>, tensor<f32>, tensor<i8>)
// CHECK: arith.maximumf
// CHECK: arith.minimumf
// CHECK: math.roundeven
// CHECK: linalg.generic
// CHECK: arith.fptoui
// CHECK: arith.fptoui
func.func @dynamic_quantize(%x: tensor<2x3xf32>) -> (tensor<*xui8>, tensor<*xf32>, tensor<*xui8>) {
  %0:3 = "onnx.DynamicQuantizeLinear"(%x) {onnx.opset = 11 : i64} : (tensor<2x3xf32>) -> (tensor<*xui8>, tensor<*xf32>, tensor<*xui8>)
  return %0#0, %0#1, %0#2 : tensor<*xui8>, tensor<*xf32>, tensor<*xui8>
}

// -----

// MatMulInteger: uint8 A zero-extends and loses its zero point, int8 B
// sign-extends, and the product accumulates in i32.
// CHECK-LABEL: func.func @matmul_integer
// CHECK-SAME: -> tensor<2x4xi32>
// CHECK: arith.extui
// CHECK: arith.subi
// CHECK: arith.extsi
// CHECK: linalg.generic
// CHECK: arith.muli {{.*}} : i32
// CHECK: arith.addi {{.*}} : i32
func.func @matmul_integer(%a: tensor<2x3xui8>, %b: tensor<3x4xi8>, %za: tensor<ui8>) -> tensor<*xi32> {
  %none = "onnx.None"() : () -> none
  %0 = "onnx.MatMulInteger"(%a, %b, %za, %none) {onnx.opset = 10 : i64} : (tensor<2x3xui8>, tensor<3x4xi8>, tensor<ui8>, none) -> tensor<*xi32>
  return %0 : tensor<*xi32>
}

// -----

// QLinearConv: an i32 convolution, then requantization with a per-channel
// weight scale read at (d1).
// CHECK-DAG: #[[CHAN:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, 0, 0)>
// CHECK-LABEL: func.func @qlinear_conv
// CHECK-SAME: -> tensor<1x2x3x3xi8>
// CHECK: linalg.conv_2d_nchw_fchw {{.*}} -> tensor<1x2x3x3xi32>
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #[[CHAN]],
// CHECK: arith.sitofp {{.*}} : i32 to f64
// CHECK: math.roundeven
// CHECK: arith.fptoui
func.func @qlinear_conv(%x: tensor<1x1x4x4xui8>, %xs: tensor<f32>, %xz: tensor<ui8>, %w: tensor<2x1x2x2xui8>, %ws: tensor<2xf32>, %wz: tensor<2xui8>, %ys: tensor<f32>, %yz: tensor<ui8>) -> tensor<*xui8> {
  %0 = "onnx.QLinearConv"(%x, %xs, %xz, %w, %ws, %wz, %ys, %yz) {onnx.opset = 10 : i64} : (tensor<1x1x4x4xui8>, tensor<f32>, tensor<ui8>, tensor<2x1x2x2xui8>, tensor<2xf32>, tensor<2xui8>, tensor<f32>, tensor<ui8>) -> tensor<*xui8>
  return %0 : tensor<*xui8>
}

// -----

func.func @quantize_output_dtype_mismatch(%x: tensor<4xf32>, %s: tensor<f32>, %z: tensor<ui8>) -> tensor<*xi8> {
  // expected-error @+1 {{QuantizeLinear (opset 21): output_dtype ('i8') differs from the zero point's type ('ui8')}}
  %0 = "onnx.QuantizeLinear"(%x, %s, %z) {onnx.opset = 21 : i64, output_dtype = 3 : i64} : (tensor<4xf32>, tensor<f32>, tensor<ui8>) -> tensor<*xi8>
  return %0 : tensor<*xi8>
}

// -----

func.func @quantize_float8_refused(%x: tensor<4xf32>, %s: tensor<f32>) -> tensor<*xi8> {
  // expected-error @+1 {{QuantizeLinear (opset 21): output_dtype float8e4m3fn is not supported (float8, 4-bit and 2-bit types are not)}}
  %0 = "onnx.QuantizeLinear"(%x, %s) {onnx.opset = 21 : i64, output_dtype = 17 : i64} : (tensor<4xf32>, tensor<f32>) -> tensor<*xi8>
  return %0 : tensor<*xi8>
}
