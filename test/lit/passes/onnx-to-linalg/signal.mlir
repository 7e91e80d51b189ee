// RUN: nnmodel-opt %s --allow-unregistered-dialect --split-input-file --verify-diagnostics --nnm-onnx-to-linalg | FileCheck %s

// A window of constant size becomes a constant.
// CHECK-LABEL: func.func @hann
// CHECK-SAME: -> tensor<4xf32>
// CHECK: arith.constant dense<[0.000000e+00, 5.000000e-01, 1.000000e+00, 5.000000e-01]> : tensor<4xf32>
// CHECK-NOT: linalg.generic
func.func @hann() -> tensor<*xf32> {
  %n = arith.constant dense<4> : tensor<i64>
  %0 = "onnx.HannWindow"(%n) {onnx.opset = 17 : i64} : (tensor<i64>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// A real one-sided DFT along axis 1: a reduction over k against a constant
// [k, f, re/im] twiddle table.
// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, 0)>
// CHECK-DAG: #[[T:.*]] = affine_map<(d0, d1, d2, d3) -> (d3, d1, d2)>
// CHECK-LABEL: func.func @rfft
// CHECK-SAME: -> tensor<2x5x2xf32>
// CHECK: arith.constant dense<{{.*}}> : tensor<8x5x2xf32>
// CHECK: linalg.generic {indexing_maps = [#[[X]], #[[T]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
func.func @rfft(%x: tensor<2x8x1xf32>) -> tensor<*xf32> {
  %axis = arith.constant dense<1> : tensor<i64>
  %none = "onnx.None"() : () -> none
  %0 = "onnx.DFT"(%x, %none, %axis) {onnx.opset = 20 : i64, onesided = 1 : i64} : (tensor<2x8x1xf32>, none, tensor<i64>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// STFT: frame f, tap k reads the signal at f * step + k.
// CHECK-DAG: #[[S:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1 * 4 + d4, 0)>
// CHECK-LABEL: func.func @stft
// CHECK-SAME: -> tensor<1x7x5x2xf32>
// CHECK: linalg.generic {indexing_maps = [#[[S]],
func.func @stft(%x: tensor<1x32x1xf32>, %w: tensor<8xf32>) -> tensor<*xf32> {
  %step = arith.constant dense<4> : tensor<i64>
  %0 = "onnx.STFT"(%x, %step, %w) {onnx.opset = 17 : i64} : (tensor<1x32x1xf32>, tensor<i64>, tensor<8xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @window_size_not_constant(%n: tensor<i64>) -> tensor<*xf32> {
  // expected-error @+1 {{HammingWindow (opset 17): input 0 (size) must be an integer tensor known at compile time}}
  %0 = "onnx.HammingWindow"(%n) {onnx.opset = 17 : i64} : (tensor<i64>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @dft_last_axis(%x: tensor<4x2xf32>) -> tensor<*xf32> {
  %axis = arith.constant dense<1> : tensor<i64>
  %none = "onnx.None"() : () -> none
  // expected-error @+1 {{DFT (opset 20): axis cannot be the last (real/imaginary) dimension}}
  %0 = "onnx.DFT"(%x, %none, %axis) {onnx.opset = 20 : i64} : (tensor<4x2xf32>, none, tensor<i64>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}
