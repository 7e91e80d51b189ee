// RUN: nnmodel-opt %s --allow-unregistered-dialect --split-input-file --verify-diagnostics --nnm-onnx-upgrade --nnm-onnx-fold --nnm-onnx-to-linalg

func.func @reshape_needs_constant(%x: tensor<2x3xf32>, %s: tensor<2xi64>) -> tensor<*xf32> {
  // expected-error @+1 {{Reshape (opset 13): input 1 (shape) must be an integer tensor known at compile time}}
  %0 = "onnx.Reshape"(%x, %s) {onnx.opset = 13 : i64} : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @transpose_bad_perm(%x: tensor<2x3xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{perm is not a permutation of 0..1}}
  %0 = "onnx.Transpose"(%x) {onnx.opset = 13 : i64, perm = array<i64: 0, 2>} : (tensor<2x3xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @matmul_inner_mismatch(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{inner dimensions differ (3 vs 4)}}
  %0 = "onnx.MatMul"(%a, %b) {onnx.opset = 13 : i64} : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @gemm_mixed_types(%a: tensor<2x3xf32>, %b: tensor<3x4xf64>) -> tensor<*xf32> {
  // expected-error @+1 {{operands have different element types}}
  %0 = "onnx.Gemm"(%a, %b) {onnx.opset = 13 : i64} : (tensor<2x3xf32>, tensor<3x4xf64>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @maxpool_indices_storage_order(%x: tensor<1x1x4x4xf32>) -> (tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>) {
  // expected-error @+1 {{MaxPool (opset 12): storage_order must be 0 or 1}}
  %0:2 = "onnx.MaxPool"(%x) {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, storage_order = 2 : i64, onnx.opset = 12 : i64} : (tensor<1x1x4x4xf32>) -> (tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>)
  return %0#0, %0#1 : tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>
}

// -----

func.func @avgpool_kernel_rank(%x: tensor<1x1x4x4x4xf32>) -> tensor<1x1x2x2x2xf32> {
  // expected-error @+1 {{AveragePool (opset 11): kernel_shape must have one value per spatial dimension (3)}}
  %0 = "onnx.AveragePool"(%x) {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2, 2>, onnx.opset = 11 : i64} : (tensor<1x1x4x4x4xf32>) -> tensor<1x1x2x2x2xf32>
  return %0 : tensor<1x1x2x2x2xf32>
}

// -----

func.func @convtranspose_channels(%x: tensor<1x4x3x3xf32>, %w: tensor<2x2x3x3xf32>) -> tensor<1x2x5x5xf32> {
  // expected-error @+1 {{ConvTranspose (opset 11): W must have 4 input channels divisible by group 1}}
  %0 = "onnx.ConvTranspose"(%x, %w) {onnx.opset = 11 : i64} : (tensor<1x4x3x3xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x5x5xf32>
  return %0 : tensor<1x2x5x5xf32>
}

// -----

func.func @col2im_image_shape_need_constant(%x: tensor<1x4x4xf32>, %img: tensor<2xi64>) -> tensor<1x1x3x3xf32> {
  %block = arith.constant dense<[2, 2]> : tensor<2xi64>
  // expected-error @+1 {{Col2Im (opset 18): input 1 (image_shape) must be an integer tensor known at compile time}}
  %0 = "onnx.Col2Im"(%x, %img, %block) {onnx.opset = 18 : i64} : (tensor<1x4x4xf32>, tensor<2xi64>, tensor<2xi64>) -> tensor<1x1x3x3xf32>
  return %0 : tensor<1x1x3x3xf32>
}

// -----

func.func @reducesum_axes_need_constant(%x: tensor<2x3xf32>, %axes: tensor<1xi64>) -> tensor<2x1xf32> {
  // expected-error @+1 {{ReduceSum (opset 13): input 1 (axes) must be an integer tensor known at compile time}}
  %0 = "onnx.ReduceSum"(%x, %axes) {onnx.opset = 13 : i64} : (tensor<2x3xf32>, tensor<1xi64>) -> tensor<2x1xf32>
  return %0 : tensor<2x1xf32>
}

// -----

func.func @reducemax_axis_out_of_range(%x: tensor<2x3xf32>) -> tensor<2x1xf32> {
  // expected-error @+1 {{ReduceMax (opset 13): axis 2 is out of range for rank 2}}
  %0 = "onnx.ReduceMax"(%x) {axes = array<i64: 2>, onnx.opset = 13 : i64} : (tensor<2x3xf32>) -> tensor<2x1xf32>
  return %0 : tensor<2x1xf32>
}

// -----

func.func @squeeze_non_unit_axis(%x: tensor<1x3x4xf32>) -> tensor<4xf32> {
  %axes = arith.constant dense<[0, 1]> : tensor<2xi64>
  // expected-error @+1 {{Squeeze (opset 13): cannot squeeze axis 1 of size 3}}
  %0 = "onnx.Squeeze"(%x, %axes) {onnx.opset = 13 : i64} : (tensor<1x3x4xf32>, tensor<2xi64>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @gather_index_out_of_range(%x: tensor<5x4xf32>) -> tensor<5x1xf32> {
  %i = arith.constant dense<[4]> : tensor<1xi64>
  // expected-error @+1 {{Gather (opset 13): index 4 is out of range for dimension 4}}
  %0 = "onnx.Gather"(%x, %i) {axis = 1 : i64, onnx.opset = 13 : i64} : (tensor<5x4xf32>, tensor<1xi64>) -> tensor<5x1xf32>
  return %0 : tensor<5x1xf32>
}

// -----

// A static result type that disagrees with the op's shape rule is refused.
func.func @declared_type_disagrees(%x: tensor<2x3xf32>) -> tensor<3x3xf32> {
  // expected-error @+1 {{Relu (opset 14): declared result type 'tensor<3x3xf32>' differs from its shape rule ('tensor<2x3xf32>')}}
  %0 = "onnx.Relu"(%x) {onnx.opset = 14 : i64} : (tensor<2x3xf32>) -> tensor<3x3xf32>
  return %0 : tensor<3x3xf32>
}

// -----

// A binary op with one input is refused, never read past its operands.
func.func @add_one_input(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{Add (opset 14): needs 2 inputs, got 1}}
  %0 = "onnx.Add"(%x) {onnx.opset = 14 : i64} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @add_three_inputs(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{Add (opset 14): needs 2 inputs, got 3}}
  %0 = "onnx.Add"(%x, %x, %x) {onnx.opset = 14 : i64} : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @range_needs_constants(%s: tensor<f32>, %l: tensor<f32>, %d: tensor<f32>) -> tensor<?xf32> {
  // expected-error @+1 {{Range (opset 11): inputs 0-2 (start, limit, delta) must be scalars known at compile time}}
  %0 = "onnx.Range"(%s, %l, %d) {onnx.opset = 11 : i64} : (tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

func.func @tile_repeats_length(%x: tensor<2x3xf32>) -> tensor<*xf32> {
  %r = arith.constant dense<[2]> : tensor<1xi64>
  // expected-error @+1 {{repeats has 1 values for rank 2}}
  %0 = "onnx.Tile"(%x, %r) {onnx.opset = 13 : i64} : (tensor<2x3xf32>, tensor<1xi64>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @scatter_bad_reduction(%x: tensor<4xf32>, %i: tensor<2xi64>, %u: tensor<2xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{ScatterElements (opset 18): unsupported reduction 'sub'}}
  %0 = "onnx.ScatterElements"(%x, %i, %u) {reduction = "sub", onnx.opset = 18 : i64} : (tensor<4xf32>, tensor<2xi64>, tensor<2xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @depth_to_space_bad_channels(%x: tensor<1x6x2x2xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{channels 6 are not a multiple of blocksize^2}}
  %0 = "onnx.DepthToSpace"(%x) {blocksize = 2 : i64, onnx.opset = 13 : i64} : (tensor<1x6x2x2xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @resize_nearest_antialias_refused(%x: tensor<2x2xf32>) -> tensor<1x1xf32> {
  %none = "onnx.None"() : () -> none
  %sizes = arith.constant dense<[1, 1]> : tensor<2xi64>
  // expected-error @+1 {{Resize (opset 19): antialias is not defined for mode 'nearest'}}
  %0 = "onnx.Resize"(%x, %none, %none, %sizes) {mode = "nearest", antialias = 1 : i64, onnx.opset = 19 : i64} : (tensor<2x2xf32>, none, none, tensor<2xi64>) -> tensor<1x1xf32>
  return %0 : tensor<1x1xf32>
}

// -----

func.func @resize_crop_needs_roi(%x: tensor<2x2xf32>, %roi: tensor<4xf32>) -> tensor<3x3xf32> {
  %none = "onnx.None"() : () -> none
  %sizes = arith.constant dense<[3, 3]> : tensor<2xi64>
  // expected-error @+1 {{Resize (opset 19): input 1 (roi) must be known at compile time for tf_crop_and_resize}}
  %0 = "onnx.Resize"(%x, %roi, %none, %sizes) {mode = "linear", coordinate_transformation_mode = "tf_crop_and_resize", onnx.opset = 19 : i64} : (tensor<2x2xf32>, tensor<4xf32>, none, tensor<2xi64>) -> tensor<3x3xf32>
  return %0 : tensor<3x3xf32>
}

// -----

func.func @grid_sample_bad_grid(%x: tensor<1x1x4x4xf32>, %g: tensor<1x3x3x3xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{GridSample (opset 20): grid's last dimension must be 2}}
  %0 = "onnx.GridSample"(%x, %g) {onnx.opset = 20 : i64} : (tensor<1x1x4x4xf32>, tensor<1x3x3x3xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @lpnorm_p3(%x: tensor<2x3xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{LpNormalization (opset 22): p = 3 is not supported (only 1 and 2)}}
  %0 = "onnx.LpNormalization"(%x) {p = 3 : i64, onnx.opset = 22 : i64} : (tensor<2x3xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @groupnorm_bad_groups(%x: tensor<1x4x2xf32>, %s: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{num_groups 3 does not divide the 4 channels}}
  %0 = "onnx.GroupNormalization"(%x, %s, %b) {num_groups = 3 : i64, onnx.opset = 21 : i64} : (tensor<1x4x2xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @cumsum_axis_not_constant(%x: tensor<2x3xf32>, %a: tensor<i64>) -> tensor<*xf32> {
  // expected-error @+1 {{input 1 (axis) must be an integer tensor known at compile time}}
  %0 = "onnx.CumSum"(%x, %a) {onnx.opset = 14 : i64} : (tensor<2x3xf32>, tensor<i64>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @bitshift_bad_direction(%a: tensor<3xi32>, %b: tensor<3xi32>) -> tensor<*xi32> {
  // expected-error @+1 {{BitShift (opset 11): direction must be LEFT or RIGHT, got 'UP'}}
  %0 = "onnx.BitShift"(%a, %b) {onnx.opset = 11 : i64, direction = "UP"} : (tensor<3xi32>, tensor<3xi32>) -> tensor<*xi32>
  return %0 : tensor<*xi32>
}

// -----

func.func @prelu_slope_too_big(%x: tensor<3xf32>, %s: tensor<2x3xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{slope does not broadcast to the shape of X}}
  %0 = "onnx.PRelu"(%x, %s) {onnx.opset = 16 : i64} : (tensor<3xf32>, tensor<2x3xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @where_not_bool(%c: tensor<3xf32>, %x: tensor<3xf32>, %y: tensor<3xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{condition must be bool}}
  %0 = "onnx.Where"(%c, %x, %y) {onnx.opset = 16 : i64} : (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}
