// RUN: nnmodel-opt %s --split-input-file --nnm-cpu-conv-channels-last | FileCheck %s

// A convolution with a constant filter accumulates into [n, oh, ow, f] with the
// filter transposed to [c, kh, kw, f] at compile time, then transposes back.
// filter[f][c][0][0] = 10 * f + c, so the transposed constant lists channel 0 of
// each output first: [0, 10, 20], then channel 1: [1, 11, 21].
// CHECK-LABEL: func.func @conv
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[\[\[}}0.000000e+00, 1.000000e+01, 2.000000e+01]]], {{\[\[\[}}1.000000e+00, 1.100000e+01, 2.100000e+01]]]]> : tensor<2x1x1x3xf32>
// CHECK: %[[ACC:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]
// CHECK-SAME: ins(%arg0, %[[W]] : tensor<1x2x4x4xf32>, tensor<2x1x1x3xf32>) outs(%{{.*}} : tensor<1x2x2x3xf32>)
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: linalg.transpose ins(%[[ACC]] : tensor<1x2x2x3xf32>) outs(%{{.*}} : tensor<1x3x2x2xf32>) permutation = [0, 3, 1, 2]
// CHECK-NOT: linalg.conv_2d_nchw_fchw
func.func @conv(%x: tensor<1x2x4x4xf32>) -> tensor<1x3x2x2xf32> {
  %w = arith.constant dense<[[[[0.0]], [[1.0]]], [[[10.0]], [[11.0]]], [[[20.0]], [[21.0]]]]> : tensor<3x2x1x1xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x3x2x2xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x3x2x2xf32>) -> tensor<1x3x2x2xf32>
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
       ins(%x, %w : tensor<1x2x4x4xf32>, tensor<3x2x1x1xf32>) outs(%init : tensor<1x3x2x2xf32>) -> tensor<1x3x2x2xf32>
  return %0 : tensor<1x3x2x2xf32>
}

// -----

// A filter that is not a constant keeps the named convolution.
// CHECK-LABEL: func.func @dynamic_filter
// CHECK: linalg.conv_2d_nchw_fchw
func.func @dynamic_filter(%x: tensor<1x2x4x4xf32>, %w: tensor<3x2x1x1xf32>, %init: tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32> {
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x, %w : tensor<1x2x4x4xf32>, tensor<3x2x1x1xf32>) outs(%init : tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32>
  return %0 : tensor<1x3x4x4xf32>
}

// -----

// Fewer output channels (2) than pixels in a row (4) at stride 1: the NCHW order,
// whose inner loop runs along the row, vectorizes better; the conv is kept.
// CHECK-LABEL: func.func @few_channels
// CHECK: linalg.conv_2d_nchw_fchw
func.func @few_channels(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = arith.constant dense<1.0> : tensor<2x2x1x1xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2x4x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x, %w : tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) outs(%init : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %0 : tensor<1x2x4x4xf32>
}
