// RUN: nnmodel-opt %s --allow-unregistered-dialect --split-input-file --nnm-onnx-to-linalg | FileCheck %s

// CHECK-LABEL: func.func @elu
// CHECK: linalg.generic
// CHECK: math.exp
// CHECK: arith.cmpf olt
// CHECK: arith.select
func.func @elu(%x: tensor<2x3xf32>) -> tensor<*xf32> {
  %0 = "onnx.Elu"(%x) {onnx.opset = 22 : i64, alpha = 2.0 : f32} : (tensor<2x3xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// The slope broadcasts to X's shape: [3] is read along the last dimension.
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @prelu
// CHECK-SAME: -> tensor<2x3xf32>
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[ROW]], #{{.*}}]
// CHECK: arith.mulf
func.func @prelu(%x: tensor<2x3xf32>, %s: tensor<3xf32>) -> tensor<*xf32> {
  %0 = "onnx.PRelu"(%x, %s) {onnx.opset = 16 : i64} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// CHECK-LABEL: func.func @gelu_tanh
// CHECK: math.tanh
// CHECK-NOT: math.erf
func.func @gelu_tanh(%x: tensor<4xf32>) -> tensor<*xf32> {
  %0 = "onnx.Gelu"(%x) {onnx.opset = 20 : i64, approximate = "tanh"} : (tensor<4xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// CHECK-LABEL: func.func @hard_sigmoid
// CHECK: arith.maximumf
// CHECK: arith.minimumf
func.func @hard_sigmoid(%x: tensor<4xf32>) -> tensor<*xf32> {
  %0 = "onnx.HardSigmoid"(%x) {onnx.opset = 6 : i64} : (tensor<4xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// Half types compute in f32 and round once at the end.
// CHECK-LABEL: func.func @softplus_f16
// CHECK: arith.extf {{.*}} : f16 to f32
// CHECK: math.log1p {{.*}} : f32
// CHECK: arith.truncf {{.*}} : f32 to f16
func.func @softplus_f16(%x: tensor<4xf16>) -> tensor<*xf16> {
  %0 = "onnx.Softplus"(%x) {onnx.opset = 22 : i64} : (tensor<4xf16>) -> tensor<*xf16>
  return %0 : tensor<*xf16>
}

// -----

// CHECK-LABEL: func.func @swiglu
// CHECK: math.exp
// CHECK: arith.mulf
func.func @swiglu(%a: tensor<2x4xf32>, %b: tensor<2x4xf32>) -> tensor<*xf32> {
  %0 = "onnx.SwiGLU"(%a, %b) {onnx.opset = 28 : i64, alpha = 0.5 : f32} : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}
