// RUN: nnmodel-opt %s --allow-unregistered-dialect --split-input-file --nnm-cpu-dnnl-select | FileCheck %s
// RUN: nnmodel-opt %s --allow-unregistered-dialect --split-input-file --nnm-cpu-dnnl-select --nnm-onnx-optimize | FileCheck %s --check-prefix=CHAIN

// A convolution with constant weights and bias, followed by Relu and a residual
// Add, is one channels-last kernel between Transposes: desc words 0..12 are the
// kind (1 = conv), src 1x8x10x10, weights 8x8x3x3, dst 1x8x10x10; word 21 the
// groups, 22 the flags (1 = bias), 23 the post-op count, then (kind, alpha,
// beta): 1 = relu, 9 = sum. The residual is transposed too.
// CHECK-LABEL: func.func @conv_relu_sum
// CHECK: %[[XT:.*]] = "onnx.Transpose"(%arg0) {onnx.opset = {{[0-9]+}} : i64, perm = array<i64: 0, 2, 3, 1>} : (tensor<1x8x10x10xf32>) -> tensor<1x10x10x8xf32>
// CHECK: %[[RT:.*]] = "onnx.Transpose"(%arg1) {{.*}}perm = array<i64: 0, 2, 3, 1>
// CHECK: %[[K:.*]] = "nnm.dnnl_kernel"(%[[XT]], %{{.*}}, %{{.*}}, %[[RT]])
// CHECK-SAME: desc = array<i64: 1, 1, 8, 10, 10, 8, 8, 3, 3, 1, 8, 10, 10, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1, 0, 0, 9, 0, 0,
// CHECK-SAME: roles = ["src", "weights", "bias", "sum"], workspace = {{[0-9]+}} : i64
// CHECK-SAME: -> tensor<1x10x10x8xf32>
// CHECK: %[[Y:.*]] = "onnx.Transpose"(%[[K]]) {{.*}}perm = array<i64: 0, 3, 1, 2>
// CHECK: return %[[Y]]
// CHECK-NOT: onnx.Conv
func.func @conv_relu_sum(%x: tensor<1x8x10x10xf32>, %r: tensor<1x8x10x10xf32>) -> tensor<1x8x10x10xf32> {
  %w = arith.constant dense<0.5> : tensor<8x8x3x3xf32>
  %b = arith.constant dense<0.25> : tensor<8xf32>
  %c = "onnx.Conv"(%x, %w, %b) {onnx.opset = 22 : i64, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x8x10x10xf32>, tensor<8x8x3x3xf32>, tensor<8xf32>) -> tensor<1x8x10x10xf32>
  %a = "onnx.Relu"(%c) {onnx.opset = 14 : i64} : (tensor<1x8x10x10xf32>) -> tensor<1x8x10x10xf32>
  %s = "onnx.Add"(%a, %r) {onnx.opset = 14 : i64} : (tensor<1x8x10x10xf32>, tensor<1x8x10x10xf32>) -> tensor<1x8x10x10xf32>
  return %s : tensor<1x8x10x10xf32>
}

// -----

// Two kernels in a row with a max pool between: after nnm-onnx-optimize only
// the Transposes at the ends remain, activations stay NHWC in between.
// Clip(0, 6) is a clip post-op (kind 2) with alpha 0.0 and beta 6.0 as double
// bits (4618441417868443648).
// CHAIN-LABEL: func.func @chain
// CHAIN: "onnx.Transpose"(%arg0)
// CHAIN-NEXT: %[[K1:.*]] = "nnm.dnnl_kernel"
// CHAIN-SAME: 1, 2, 0, 4618441417868443648,
// CHAIN-NEXT: %[[P:.*]] = "nnm.dnnl_kernel"(%[[K1]])
// CHAIN-SAME: array<i64: 3,
// CHAIN-SAME: roles = ["src"]
// CHAIN-NEXT: %[[K2:.*]] = "nnm.dnnl_kernel"(%[[P]]
// CHAIN-NEXT: "onnx.Transpose"(%[[K2]])
// CHAIN-NOT: onnx.Transpose
func.func @chain(%x: tensor<1x8x16x16xf32>) -> tensor<1x8x8x8xf32> {
  %w = arith.constant dense<0.5> : tensor<8x8x3x3xf32>
  %lo = arith.constant dense<0.0> : tensor<f32>
  %hi = arith.constant dense<6.0> : tensor<f32>
  %none = "onnx.None"() : () -> none
  %c = "onnx.Conv"(%x, %w, %none) {onnx.opset = 22 : i64, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x8x16x16xf32>, tensor<8x8x3x3xf32>, none) -> tensor<1x8x16x16xf32>
  %a = "onnx.Clip"(%c, %lo, %hi) {onnx.opset = 13 : i64} : (tensor<1x8x16x16xf32>, tensor<f32>, tensor<f32>) -> tensor<1x8x16x16xf32>
  %p = "onnx.MaxPool"(%a) {onnx.opset = 22 : i64, kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x8x16x16xf32>) -> tensor<1x8x8x8xf32>
  %c2 = "onnx.Conv"(%p, %w, %none) {onnx.opset = 22 : i64, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x8x8x8xf32>, tensor<8x8x3x3xf32>, none) -> tensor<1x8x8x8xf32>
  return %c2 : tensor<1x8x8x8xf32>
}

// -----

// MatMul with a constant [K, N] right-hand side and an Add of a constant [N]
// becomes a matmul kernel with bias (flag 1): M is every leading dim of A
// (2 x 16 = 32), no layout change.
// CHECK-LABEL: func.func @matmul_bias
// CHECK: %[[K:.*]] = "nnm.dnnl_kernel"(%arg0, %{{.*}}, %{{.*}}) {desc = array<i64: 2, 32, 64, 0, 0, 64, 128, 0, 0, 32, 128, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 5,
// CHECK-SAME: roles = ["src", "weights", "bias"]
// CHECK-SAME: (tensor<2x16x64xf32>, tensor<64x128xf32>, tensor<128xf32>) -> tensor<2x16x128xf32>
// CHECK-NEXT: return %[[K]]
func.func @matmul_bias(%a: tensor<2x16x64xf32>) -> tensor<2x16x128xf32> {
  %b = arith.constant dense<0.5> : tensor<64x128xf32>
  %c = arith.constant dense<1.0> : tensor<128xf32>
  %m = "onnx.MatMul"(%a, %b) {onnx.opset = 13 : i64} : (tensor<2x16x64xf32>, tensor<64x128xf32>) -> tensor<2x16x128xf32>
  %s = "onnx.Add"(%m, %c) {onnx.opset = 14 : i64} : (tensor<2x16x128xf32>, tensor<128xf32>) -> tensor<2x16x128xf32>
  %h = "onnx.HardSwish"(%s) {onnx.opset = 22 : i64} : (tensor<2x16x128xf32>) -> tensor<2x16x128xf32>
  return %h : tensor<2x16x128xf32>
}

// -----

// Gemm with transB stores the weights [N, K] (flag 2); its C of shape [N] is the bias.
// CHECK-LABEL: func.func @gemm_trans_b
// CHECK: "nnm.dnnl_kernel"(%arg0, %{{.*}}, %{{.*}}) {desc = array<i64: 2, 4, 256, 0, 0, 256, 100, 0, 0, 4, 100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0,
func.func @gemm_trans_b(%a: tensor<4x256xf32>) -> tensor<4x100xf32> {
  %b = arith.constant dense<0.5> : tensor<100x256xf32>
  %c = arith.constant dense<1.0> : tensor<100xf32>
  %g = "onnx.Gemm"(%a, %b, %c) {onnx.opset = 13 : i64, transB = 1 : i64} : (tensor<4x256xf32>, tensor<100x256xf32>, tensor<100xf32>) -> tensor<4x100xf32>
  return %g : tensor<4x100xf32>
}

// -----

// Not for a library: weights that are not constants, a product below min-macs,
// Gemm with alpha != 1, f64 data. They stay ONNX ops for generated code.
// CHECK-LABEL: func.func @stays
// CHECK-NOT: nnm.dnnl_kernel
// CHECK: onnx.Conv
// CHECK: onnx.MatMul
// CHECK: onnx.Gemm
// CHECK: onnx.MatMul
func.func @stays(%x: tensor<1x8x10x10xf32>, %w: tensor<8x8x3x3xf32>, %a: tensor<2x3xf32>, %d: tensor<64x64xf64>) -> (tensor<1x8x10x10xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<64x64xf64>) {
  %none = "onnx.None"() : () -> none
  %c = "onnx.Conv"(%x, %w, %none) {onnx.opset = 22 : i64, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x8x10x10xf32>, tensor<8x8x3x3xf32>, none) -> tensor<1x8x10x10xf32>
  %b = arith.constant dense<0.5> : tensor<3x4xf32>
  %m = "onnx.MatMul"(%a, %b) {onnx.opset = 13 : i64} : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %g = "onnx.Gemm"(%a, %b) {onnx.opset = 13 : i64, alpha = 2.0 : f32} : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %bd = arith.constant dense<0.5> : tensor<64x64xf64>
  %md = "onnx.MatMul"(%d, %bd) {onnx.opset = 13 : i64} : (tensor<64x64xf64>, tensor<64x64xf64>) -> tensor<64x64xf64>
  return %c, %m, %g, %md : tensor<1x8x10x10xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<64x64xf64>
}

// -----

// kernels = "codegen" in the module's target: nothing is selected.
// CHECK-LABEL: func.func @codegen_target
// CHECK-NOT: nnm.dnnl_kernel
module attributes {nnm.target = {backend = "cpu", kernels = "codegen"}} {
  func.func @codegen_target(%a: tensor<64x64xf32>) -> tensor<64x64xf32> {
    %b = arith.constant dense<0.5> : tensor<64x64xf32>
    %m = "onnx.MatMul"(%a, %b) {onnx.opset = 13 : i64} : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32>
    return %m : tensor<64x64xf32>
  }
}
