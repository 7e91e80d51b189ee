// RUN: nnmodel-opt %s --allow-unregistered-dialect --split-input-file --verify-diagnostics --nnm-onnx-upgrade

// Split before opset 18 refuses an uneven split without sizes; the message names the model's opset.
func.func @split_uneven(%x: tensor<2x5xf32>) -> (tensor<2x3xf32>, tensor<2x2xf32>) {
  // expected-error @+1 {{Split (opset 11): dimension 5 does not split evenly in 2}}
  %0:2 = "onnx.Split"(%x) {axis = 1 : i64, onnx.opset = 11 : i64} : (tensor<2x5xf32>) -> (tensor<2x3xf32>, tensor<2x2xf32>)
  return %0#0, %0#1 : tensor<2x3xf32>, tensor<2x2xf32>
}

// -----

func.func @reshape_no_shape(%x: tensor<2x3xf32>) -> tensor<6xf32> {
  // expected-error @+1 {{Reshape (opset 1): missing shape attribute}}
  %0 = "onnx.Reshape"(%x) {onnx.opset = 1 : i64} : (tensor<2x3xf32>) -> tensor<6xf32>
  return %0 : tensor<6xf32>
}

// -----

func.func @batchnorm_training(%x: tensor<1x2x3xf32>, %p: tensor<2xf32>) -> tensor<1x2x3xf32> {
  // expected-error @+1 {{BatchNormalization (opset 6): only inference mode (is_test = 1) is supported}}
  %0 = "onnx.BatchNormalization"(%x, %p, %p, %p, %p) {is_test = 0 : i64, onnx.opset = 6 : i64} : (tensor<1x2x3xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x3xf32>
  return %0 : tensor<1x2x3xf32>
}

// -----

func.func @add_no_broadcast(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{Add (opset 6): operand shapes differ and broadcast is 0}}
  %0 = "onnx.Add"(%a, %b) {onnx.opset = 6 : i64} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}
