// RUN: nnmodel-opt %s --allow-unregistered-dialect --split-input-file --verify-diagnostics --nnm-onnx-to-linalg | FileCheck %s

// A forward RNN: the input projection X @ W^T of all steps is one contraction
// before the time loop; an scf.for over the 5 steps carries Y [S, B, H] and H,
// does H @ R^T and tanh, and inserts H into Y at step t.
// CHECK-LABEL: func.func @rnn_forward
// CHECK-SAME: -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>)
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: scf.for {{.*}} iter_args
// CHECK: tensor.extract_slice
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: math.tanh
// CHECK: tensor.insert_slice
// CHECK: scf.yield
func.func @rnn_forward(%x: tensor<5x2x3xf32>, %w: tensor<1x4x3xf32>, %r: tensor<1x4x4xf32>) -> (tensor<*xf32>, tensor<*xf32>) {
  %0:2 = "onnx.RNN"(%x, %w, %r) {onnx.opset = 14 : i64, hidden_size = 4 : i64} : (tensor<5x2x3xf32>, tensor<1x4x3xf32>, tensor<1x4x4xf32>) -> (tensor<*xf32>, tensor<*xf32>)
  return %0#0, %0#1 : tensor<*xf32>, tensor<*xf32>
}

// -----

// A bidirectional LSTM with batch-first layout: two time loops carrying
// Y, H and C; the reverse direction reverses X and its Y in time.
// CHECK-LABEL: func.func @lstm_bidirectional_batchwise
// CHECK-SAME: -> (tensor<2x3x2x4xf32>, tensor<2x2x4xf32>, tensor<2x2x4xf32>)
// CHECK: scf.for {{.*}} -> (tensor<3x2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>)
// CHECK: math.exp
// CHECK: math.tanh
// CHECK: scf.for {{.*}} -> (tensor<3x2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>)
func.func @lstm_bidirectional_batchwise(%x: tensor<2x3x5xf32>, %w: tensor<2x16x5xf32>, %r: tensor<2x16x4xf32>) -> (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>) {
  %none = "onnx.None"() : () -> none
  %0:3 = "onnx.LSTM"(%x, %w, %r, %none, %none, %none, %none, %none) {onnx.opset = 22 : i64, direction = "bidirectional", layout = 1 : i64} : (tensor<2x3x5xf32>, tensor<2x16x5xf32>, tensor<2x16x4xf32>, none, none, none, none, none) -> (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>)
  return %0#0, %0#1, %0#2 : tensor<*xf32>, tensor<*xf32>, tensor<*xf32>
}

// -----

// A reverse RNN with runtime sequence_lens: X is reversed per batch entry over
// its own length (a gather by index), steps t >= len[b] keep H and write zeros
// into Y, and Y is reversed back the same way.
// CHECK-LABEL: func.func @rnn_reverse_lens
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<2xi32>)
// CHECK: arith.cmpi slt
// CHECK: tensor.extract %arg0
// CHECK: scf.for
// CHECK: arith.cmpi slt, {{.*}} : i64
// CHECK: arith.select
// CHECK: scf.yield
// CHECK: tensor.extract
func.func @rnn_reverse_lens(%x: tensor<5x2x3xf32>, %w: tensor<1x4x3xf32>, %r: tensor<1x4x4xf32>, %l: tensor<2xi32>) -> tensor<*xf32> {
  %none = "onnx.None"() : () -> none
  %0 = "onnx.RNN"(%x, %w, %r, %none, %l) {onnx.opset = 14 : i64, direction = "reverse"} : (tensor<5x2x3xf32>, tensor<1x4x3xf32>, tensor<1x4x4xf32>, none, tensor<2xi32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @gru_unknown_activation(%x: tensor<5x2x3xf32>, %w: tensor<1x12x3xf32>, %r: tensor<1x12x4xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{GRU (opset 14): unsupported activation 'gelu'}}
  %0 = "onnx.GRU"(%x, %w, %r) {onnx.opset = 14 : i64, activations = ["Sigmoid", "Gelu"]} : (tensor<5x2x3xf32>, tensor<1x12x3xf32>, tensor<1x12x4xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @rnn_wrong_direction_count(%x: tensor<5x2x3xf32>, %w: tensor<1x4x3xf32>, %r: tensor<1x4x4xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{RNN (opset 14): W's dim 0 is 1, expected 2 direction(s)}}
  %0 = "onnx.RNN"(%x, %w, %r) {onnx.opset = 14 : i64, direction = "bidirectional"} : (tensor<5x2x3xf32>, tensor<1x4x3xf32>, tensor<1x4x4xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @rnn_missing_r(%x: tensor<5x2x3xf32>, %w: tensor<1x4x3xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{RNN (opset 14): needs ranked inputs X, W and R}}
  %0 = "onnx.RNN"(%x, %w) {onnx.opset = 14 : i64} : (tensor<5x2x3xf32>, tensor<1x4x3xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}
