// RUN: nnmodel-opt %s --allow-unregistered-dialect --split-input-file --nnm-onnx-to-linalg | FileCheck %s

// MaxPool without padding: the -inf-filled init feeds the NCHW max pool with stride 2.
// CHECK-LABEL: func.func @maxpool_strided
// CHECK-SAME: -> tensor<1x3x4x4xf32>
// CHECK: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK-NOT: tensor.pad
// CHECK: linalg.fill ins(%[[NEGINF]] : f32)
// CHECK: linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
// CHECK-SAME: ins(%arg0, %{{.*}} : tensor<1x3x8x8xf32>, tensor<2x2xf32>)
// CHECK-SAME: -> tensor<1x3x4x4xf32>
func.func @maxpool_strided(%x: tensor<1x3x8x8xf32>) -> tensor<1x3x4x4xf32> {
  %0 = "onnx.MaxPool"(%x) {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, onnx.opset = 13 : i64} : (tensor<1x3x8x8xf32>) -> tensor<1x3x4x4xf32>
  return %0 : tensor<1x3x4x4xf32>
}

// -----

// Explicit pads are -inf padding of H and W; dilations reach the named op.
// CHECK-LABEL: func.func @maxpool_pads_dilations
// CHECK: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: tensor.pad %arg0 low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: tensor.yield %[[NEGINF]] : f32
// CHECK: } : tensor<1x1x7x7xf32> to tensor<1x1x9x9xf32>
// CHECK: linalg.pooling_nchw_max {dilations = dense<2> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
// CHECK-SAME: -> tensor<1x1x5x5xf32>
func.func @maxpool_pads_dilations(%x: tensor<1x1x7x7xf32>) -> tensor<1x1x5x5xf32> {
  %0 = "onnx.MaxPool"(%x) {kernel_shape = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 2, 2>, onnx.opset = 12 : i64} : (tensor<1x1x7x7xf32>) -> tensor<1x1x5x5xf32>
  return %0 : tensor<1x1x5x5xf32>
}

// -----

// auto_pad SAME_UPPER puts the odd padding at the end.
// CHECK-LABEL: func.func @maxpool_same_upper
// CHECK: tensor.pad %arg0 low[0, 0, 0, 0] high[0, 0, 1, 1]
// CHECK: linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
// CHECK-SAME: -> tensor<1x1x4x4xf32>
func.func @maxpool_same_upper(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32> {
  %0 = "onnx.MaxPool"(%x) {auto_pad = "SAME_UPPER", kernel_shape = array<i64: 2, 2>, onnx.opset = 12 : i64} : (tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}

// -----

// ceil_mode adds one row/column of -inf end padding for the partial last window.
// CHECK-LABEL: func.func @maxpool_ceil_mode
// CHECK: tensor.pad %arg0 low[0, 0, 0, 0] high[0, 0, 1, 1]
// CHECK: } : tensor<1x1x5x5xf32> to tensor<1x1x6x6xf32>
// CHECK: linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
// CHECK-SAME: -> tensor<1x1x3x3xf32>
func.func @maxpool_ceil_mode(%x: tensor<1x1x5x5xf32>) -> tensor<1x1x3x3xf32> {
  %0 = "onnx.MaxPool"(%x) {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, ceil_mode = 1 : i64, onnx.opset = 12 : i64} : (tensor<1x1x5x5xf32>) -> tensor<1x1x3x3xf32>
  return %0 : tensor<1x1x3x3xf32>
}

// -----

// Integer MaxPool starts from the type's minimum instead of -inf.
// CHECK-LABEL: func.func @maxpool_i8
// CHECK: %[[MIN:.*]] = arith.constant -128 : i8
// CHECK: linalg.fill ins(%[[MIN]] : i8)
// CHECK: linalg.pooling_nchw_max
// CHECK-SAME: -> tensor<1x2x2x2xi8>
func.func @maxpool_i8(%x: tensor<1x2x4x4xi8>) -> tensor<1x2x2x2xi8> {
  %0 = "onnx.MaxPool"(%x) {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, onnx.opset = 12 : i64} : (tensor<1x2x4x4xi8>) -> tensor<1x2x2x2xi8>
  return %0 : tensor<1x2x2x2xi8>
}

// -----

// AveragePool with pads, count_include_pad = 0: the divisor counts only taps inside the input (4/6/9).
// CHECK-LABEL: func.func @avgpool_exclude_pad
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: tensor.pad %arg0 low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: tensor.yield %[[ZERO]] : f32
// CHECK: %[[SUM:.*]] = linalg.pooling_nchw_sum {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
// CHECK: %[[CNT:.*]] = arith.constant dense<{{\[\[}}4.000000e+00, 6.000000e+00, 6.000000e+00, 4.000000e+00], [6.000000e+00, 9.000000e+00, 9.000000e+00, 6.000000e+00], [6.000000e+00, 9.000000e+00, 9.000000e+00, 6.000000e+00], [4.000000e+00, 6.000000e+00, 6.000000e+00, 4.000000e+00]]> : tensor<4x4xf32>
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[SUM]], %[[CNT]] : tensor<1x1x4x4xf32>, tensor<4x4xf32>)
// CHECK: arith.divf
// CHECK: return %{{.*}} : tensor<1x1x4x4xf32>
func.func @avgpool_exclude_pad(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32> {
  %0 = "onnx.AveragePool"(%x) {kernel_shape = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, onnx.opset = 11 : i64} : (tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}

// -----

// count_include_pad = 1 divides every window by the full kernel size.
// CHECK-LABEL: func.func @avgpool_include_pad
// CHECK: %[[SUM:.*]] = linalg.pooling_nchw_sum
// CHECK: %[[CNT:.*]] = arith.constant dense<9.000000e+00> : tensor<4x4xf32>
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[SUM]], %[[CNT]] : tensor<1x1x4x4xf32>, tensor<4x4xf32>)
// CHECK: arith.divf
func.func @avgpool_include_pad(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32> {
  %0 = "onnx.AveragePool"(%x) {kernel_shape = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, count_include_pad = 1 : i64, onnx.opset = 11 : i64} : (tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}

// -----

// AveragePool with ceil_mode: the extra end padding is not counted in the divisor.
// CHECK-LABEL: func.func @avgpool_ceil_mode
// CHECK: tensor.pad %arg0 low[0, 0, 0, 0] high[0, 0, 1, 1]
// CHECK: linalg.pooling_nchw_sum {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
// CHECK: arith.constant dense<{{\[\[}}4.000000e+00, 4.000000e+00, 2.000000e+00], [4.000000e+00, 4.000000e+00, 2.000000e+00], [2.000000e+00, 2.000000e+00, 1.000000e+00]]> : tensor<3x3xf32>
// CHECK: arith.divf
// CHECK: return %{{.*}} : tensor<1x1x3x3xf32>
func.func @avgpool_ceil_mode(%x: tensor<1x1x5x5xf32>) -> tensor<1x1x3x3xf32> {
  %0 = "onnx.AveragePool"(%x) {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, ceil_mode = 1 : i64, onnx.opset = 19 : i64} : (tensor<1x1x5x5xf32>) -> tensor<1x1x3x3xf32>
  return %0 : tensor<1x1x3x3xf32>
}

// -----

// 1-D AveragePool: lifted to H = 1, pads only W, and reshaped back to rank 3.
// CHECK-LABEL: func.func @avgpool_1d
// CHECK-SAME: -> tensor<1x2x4xf32>
// CHECK: tensor.expand_shape {{.*}} into tensor<1x2x1x7xf32>
// CHECK: tensor.pad %{{.*}} low[0, 0, 0, 1] high[0, 0, 0, 1]
// CHECK: linalg.pooling_nchw_sum {dilations = dense<1> : tensor<2xi64>, strides = dense<[1, 2]> : tensor<2xi64>}
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<1x2x1x9xf32>, tensor<1x3xf32>)
// CHECK: arith.constant dense<{{\[\[}}2.000000e+00, 3.000000e+00, 3.000000e+00, 2.000000e+00]]> : tensor<1x4xf32>
// CHECK: arith.divf
// CHECK: %[[R:.*]] = tensor.expand_shape {{.*}} into tensor<1x2x4xf32>
// CHECK: return %[[R]] : tensor<1x2x4xf32>
func.func @avgpool_1d(%x: tensor<1x2x7xf32>) -> tensor<1x2x4xf32> {
  %0 = "onnx.AveragePool"(%x) {kernel_shape = array<i64: 3>, strides = array<i64: 2>, pads = array<i64: 1, 1>, onnx.opset = 19 : i64} : (tensor<1x2x7xf32>) -> tensor<1x2x4xf32>
  return %0 : tensor<1x2x4xf32>
}

// -----

// GlobalAveragePool decomposes into onnx.ReduceMean, which is lowered in turn: a
// sum over H and W kept as unit dims, divided by H*W = 35.
// CHECK-NOT: onnx.
// CHECK-LABEL: func.func @global_avgpool
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction", "reduction"]
// CHECK-SAME: outs(%{{.*}} : tensor<1x3xf32>)
// CHECK: arith.addf
// CHECK: tensor.expand_shape {{.*}} into tensor<1x3x1x1xf32>
// CHECK: linalg.generic
// CHECK: %[[N:.*]] = arith.constant 3.500000e+01 : f32
// CHECK: arith.divf %{{.*}}, %[[N]] : f32
// CHECK: return %{{.*}} : tensor<1x3x1x1xf32>
func.func @global_avgpool(%x: tensor<1x3x5x7xf32>) -> tensor<1x3x1x1xf32> {
  %0 = "onnx.GlobalAveragePool"(%x) {onnx.opset = 1 : i64} : (tensor<1x3x5x7xf32>) -> tensor<1x3x1x1xf32>
  return %0 : tensor<1x3x1x1xf32>
}

// -----

// 3-D MaxPool: one linalg.generic whose window taps are reduction loops.
// CHECK-LABEL: func.func @maxpool_3d
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]
// CHECK-SAME: ins(%arg0, %{{.*}} : tensor<1x2x4x4x4xf32>, tensor<2x2x2xf32>)
// CHECK: arith.maximumf
// CHECK: -> tensor<1x2x2x2x2xf32>
func.func @maxpool_3d(%x: tensor<1x2x4x4x4xf32>) -> tensor<1x2x2x2x2xf32> {
  %0 = "onnx.MaxPool"(%x) {kernel_shape = array<i64: 2, 2, 2>, strides = array<i64: 2, 2, 2>, onnx.opset = 12 : i64} : (tensor<1x2x4x4x4xf32>) -> tensor<1x2x2x2x2xf32>
  return %0 : tensor<1x2x2x2x2xf32>
}

// -----

// MaxPool's Indices: value and flat index reduce together; the first maximum
// of a window wins (strict ogt, or no index yet).
// CHECK-LABEL: func.func @maxpool_indices
// CHECK: %[[IDX:.*]] = linalg.fill ins(%c-1_i64 : i64)
// CHECK: %{{.*}}:2 = linalg.generic
// CHECK-SAME: outs(%{{.*}}, %[[IDX]] : tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>)
// CHECK: %[[FLAT:.*]] = arith.index_cast %{{.*}} : index to i64
// CHECK: %[[GT:.*]] = arith.cmpf ogt
// CHECK: %[[NONE:.*]] = arith.cmpi slt
// CHECK: %[[ANY:.*]] = arith.ori %[[GT]], %[[NONE]]
// CHECK: %[[TAKE:.*]] = arith.andi %{{.*}}, %[[ANY]]
// CHECK: arith.select %[[TAKE]], %in, %out : f32
// CHECK: arith.select %[[TAKE]], %[[FLAT]], %out_1 : i64
func.func @maxpool_indices(%x: tensor<1x1x4x4xf32>) -> (tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>) {
  %0:2 = "onnx.MaxPool"(%x) {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, onnx.opset = 12 : i64} : (tensor<1x1x4x4xf32>) -> (tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>)
  return %0#0, %0#1 : tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>
}

// -----

// LpPool p = 3: sum of |x|^3 over the window, then the cube root.
// CHECK-LABEL: func.func @lppool
// CHECK: linalg.generic
// CHECK: math.absf
// CHECK: math.powf
// CHECK: arith.addf
// CHECK: linalg.generic
// CHECK: arith.constant 0.333333343 : f32
// CHECK: math.powf
func.func @lppool(%x: tensor<1x1x5x5xf32>) -> tensor<1x1x4x4xf32> {
  %0 = "onnx.LpPool"(%x) {kernel_shape = array<i64: 2, 2>, p = 3 : i64, onnx.opset = 18 : i64} : (tensor<1x1x5x5xf32>) -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}

// -----

// GlobalLpPool p = 2: squares summed over H and W, then sqrt.
// CHECK-LABEL: func.func @globallppool
// CHECK: iterator_types = ["parallel", "parallel", "reduction", "reduction"]
// CHECK: arith.mulf %in, %in
// CHECK: math.sqrt
// CHECK-SAME: f32
func.func @globallppool(%x: tensor<1x3x5x5xf32>) -> tensor<1x3x1x1xf32> {
  %0 = "onnx.GlobalLpPool"(%x) {p = 2 : i64, onnx.opset = 2 : i64} : (tensor<1x3x5x5xf32>) -> tensor<1x3x1x1xf32>
  return %0 : tensor<1x3x1x1xf32>
}

// -----

// GlobalMaxPool: a max reduction over H and W from -inf.
// CHECK-LABEL: func.func @globalmaxpool
// CHECK: arith.constant 0xFF800000 : f32
// CHECK: iterator_types = ["parallel", "parallel", "reduction", "reduction"]
// CHECK: arith.maximumf
// CHECK: tensor.expand_shape {{.*}} into tensor<1x3x1x1xf32>
func.func @globalmaxpool(%x: tensor<1x3x5x5xf32>) -> tensor<1x3x1x1xf32> {
  %0 = "onnx.GlobalMaxPool"(%x) {onnx.opset = 1 : i64} : (tensor<1x3x5x5xf32>) -> tensor<1x3x1x1xf32>
  return %0 : tensor<1x3x1x1xf32>
}

// -----

// MaxUnpool: a flat scatter into the inferred 4x4 shape, then zero end padding
// up to output_shape.
// CHECK-LABEL: func.func @maxunpool
// CHECK: scf.for
// CHECK: tensor.insert {{.*}} : tensor<16xf32>
// CHECK: tensor.expand_shape {{.*}} into tensor<1x1x4x4xf32>
// CHECK: tensor.pad %{{.*}} low[0, 0, 0, 0] high[0, 0, 1, 1]
// CHECK: } : tensor<1x1x4x4xf32> to tensor<1x1x5x5xf32>
func.func @maxunpool(%x: tensor<1x1x2x2xf32>, %i: tensor<1x1x2x2xi64>) -> tensor<1x1x5x5xf32> {
  %s = arith.constant dense<[1, 1, 5, 5]> : tensor<4xi64>
  %0 = "onnx.MaxUnpool"(%x, %i, %s) {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, onnx.opset = 11 : i64} : (tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>, tensor<4xi64>) -> tensor<1x1x5x5xf32>
  return %0 : tensor<1x1x5x5xf32>
}
