// RUN: nnmodel-opt %s --allow-unregistered-dialect --split-input-file --nnm-onnx-upgrade --nnm-onnx-fold --nnm-onnx-to-linalg | FileCheck %s

// ReduceSum before opset 13 takes axes as an attribute; keepdims defaults to 1.
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-LABEL: func.func @reducesum_attr_keepdims
// CHECK-SAME: -> tensor<2x1x4xf32>
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<2x4xf32>)
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[OUT]]], iterator_types = ["parallel", "reduction", "parallel"]}
// CHECK: arith.addf
// CHECK: %[[R:.*]] = tensor.expand_shape {{.*}} into tensor<2x1x4xf32>
// CHECK: return %[[R]] : tensor<2x1x4xf32>
func.func @reducesum_attr_keepdims(%x: tensor<2x3x4xf32>) -> tensor<2x1x4xf32> {
  %0 = "onnx.ReduceSum"(%x) {axes = array<i64: 1>, onnx.opset = 11 : i64} : (tensor<2x3x4xf32>) -> tensor<2x1x4xf32>
  return %0 : tensor<2x1x4xf32>
}

// -----

// ReduceSum from opset 13 takes axes as an input (negative, unsorted); keepdims = 0.
// CHECK-LABEL: func.func @reducesum_input_nokeep
// CHECK-SAME: -> tensor<2xf32>
// CHECK: %[[R:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "reduction", "reduction"]
// CHECK-SAME: outs(%{{.*}} : tensor<2xf32>)
// CHECK: arith.addf
// CHECK-NOT: tensor.expand_shape
// CHECK: return %[[R]] : tensor<2xf32>
func.func @reducesum_input_nokeep(%x: tensor<2x3x4xf32>) -> tensor<2xf32> {
  %axes = arith.constant dense<[-1, 1]> : tensor<2xi64>
  %0 = "onnx.ReduceSum"(%x, %axes) {keepdims = 0 : i64, onnx.opset = 13 : i64} : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// ReduceSum (opset 13) without axes reduces every dimension, here to a rank-0 tensor.
// CHECK-LABEL: func.func @reducesum_all
// CHECK-SAME: -> tensor<f32>
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["reduction", "reduction"]
// CHECK-SAME: outs(%{{.*}} : tensor<f32>)
// CHECK: arith.addf
func.func @reducesum_all(%x: tensor<2x3xf32>) -> tensor<f32> {
  %0 = "onnx.ReduceSum"(%x) {keepdims = 0 : i64, onnx.opset = 13 : i64} : (tensor<2x3xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// noop_with_empty_axes = 1 with no axes returns the input unchanged.
// CHECK-LABEL: func.func @reducesum_noop
// CHECK-NOT: linalg.generic
// CHECK: return %arg0 : tensor<2x3xf32>
func.func @reducesum_noop(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %none = "onnx.None"() : () -> none
  %0 = "onnx.ReduceSum"(%x, %none) {noop_with_empty_axes = 1 : i64, onnx.opset = 13 : i64} : (tensor<2x3xf32>, none) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// ReduceMean at opset 13 still has axes as an attribute: sum, then divide by 4.
// CHECK-LABEL: func.func @reducemean_attr_nokeep
// CHECK-SAME: -> tensor<2x3xf32>
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: arith.addf
// CHECK: linalg.generic
// CHECK: %[[N:.*]] = arith.constant 4.000000e+00 : f32
// CHECK: arith.divf %{{.*}}, %[[N]] : f32
// CHECK: return %{{.*}} : tensor<2x3xf32>
func.func @reducemean_attr_nokeep(%x: tensor<2x3x4xf32>) -> tensor<2x3xf32> {
  %0 = "onnx.ReduceMean"(%x) {axes = array<i64: 2>, keepdims = 0 : i64, onnx.opset = 13 : i64} : (tensor<2x3x4xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// ReduceMean from opset 18 takes axes as an input; the divisor is 2 * 4 = 8.
// CHECK-LABEL: func.func @reducemean_input_keepdims
// CHECK-SAME: -> tensor<1x3x1xf32>
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["reduction", "parallel", "reduction"]
// CHECK-SAME: outs(%{{.*}} : tensor<3xf32>)
// CHECK: arith.addf
// CHECK: tensor.expand_shape {{.*}} into tensor<1x3x1xf32>
// CHECK: %[[N:.*]] = arith.constant 8.000000e+00 : f32
// CHECK: arith.divf %{{.*}}, %[[N]] : f32
// CHECK: return %{{.*}} : tensor<1x3x1xf32>
func.func @reducemean_input_keepdims(%x: tensor<2x3x4xf32>) -> tensor<1x3x1xf32> {
  %axes = arith.constant dense<[0, 2]> : tensor<2xi64>
  %0 = "onnx.ReduceMean"(%x, %axes) {keepdims = 1 : i64, onnx.opset = 18 : i64} : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<1x3x1xf32>
  return %0 : tensor<1x3x1xf32>
}

// -----

// ReduceMax (attribute form) on integers: starts at INT32_MIN and uses maxsi.
// CHECK-LABEL: func.func @reducemax_attr_i32
// CHECK-SAME: -> tensor<2x1xi32>
// CHECK: %[[MIN:.*]] = arith.constant -2147483648 : i32
// CHECK: linalg.fill ins(%[[MIN]] : i32)
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "reduction"]
// CHECK: arith.maxsi
// CHECK: tensor.expand_shape {{.*}} into tensor<2x1xi32>
func.func @reducemax_attr_i32(%x: tensor<2x3xi32>) -> tensor<2x1xi32> {
  %0 = "onnx.ReduceMax"(%x) {axes = array<i64: -1>, onnx.opset = 13 : i64} : (tensor<2x3xi32>) -> tensor<2x1xi32>
  return %0 : tensor<2x1xi32>
}

// -----

// ReduceMax from opset 18 takes axes as an input: -inf init and NaN-propagating maximumf.
// CHECK-LABEL: func.func @reducemax_input_nokeep
// CHECK-SAME: -> tensor<3xf32>
// CHECK: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: linalg.fill ins(%[[NEGINF]] : f32) outs(%{{.*}} : tensor<3xf32>)
// CHECK: %[[R:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["reduction", "parallel", "reduction"]
// CHECK: arith.maximumf
// CHECK: return %[[R]] : tensor<3xf32>
func.func @reducemax_input_nokeep(%x: tensor<2x3x4xf32>) -> tensor<3xf32> {
  %axes = arith.constant dense<[0, 2]> : tensor<2xi64>
  %0 = "onnx.ReduceMax"(%x, %axes) {keepdims = 0 : i64, onnx.opset = 18 : i64} : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// Softmax from opset 13 defaults to axis -1: max, exp(x - max), sum and divide over that axis alone.
// CHECK-LABEL: func.func @softmax_13_default_axis
// CHECK-SAME: -> tensor<2x3x4xf32>
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: arith.maximumf
// CHECK: arith.subf
// CHECK: math.exp
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: arith.addf
// CHECK: arith.divf
// CHECK: return %{{.*}} : tensor<2x3x4xf32>
func.func @softmax_13_default_axis(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %0 = "onnx.Softmax"(%x) {onnx.opset = 13 : i64} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----

// Softmax at opset 13 with axis = 1 reduces only the middle axis.
// CHECK-LABEL: func.func @softmax_13_axis1
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "reduction", "parallel"]
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "reduction", "parallel"]
// CHECK: arith.addf
// CHECK: arith.divf
func.func @softmax_13_axis1(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %0 = "onnx.Softmax"(%x) {axis = 1 : i64, onnx.opset = 13 : i64} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----

// Softmax before opset 13 coerces to 2-D at axis: nnm-onnx-upgrade makes it
// Flatten -> Softmax(axis 1) -> Reshape, so axes 1 and 2 are reduced together.
// CHECK-LABEL: func.func @softmax_11_axis1
// CHECK: tensor.expand_shape %{{.*}} output_shape [2, 12]
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "reduction"]
// CHECK-SAME: outs(%{{.*}} : tensor<2xf32>)
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "reduction"]
// CHECK: arith.addf
// CHECK: arith.divf
// CHECK: tensor.expand_shape %{{.*}} output_shape [2, 3, 4]
// CHECK: return %{{.*}} : tensor<2x3x4xf32>
func.func @softmax_11_axis1(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %0 = "onnx.Softmax"(%x) {axis = 1 : i64, onnx.opset = 11 : i64} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----

// Softmax at opset 11 defaults to axis = 1: every axis after the batch is reduced.
// CHECK-LABEL: func.func @softmax_11_default_axis
// CHECK: tensor.expand_shape %{{.*}} output_shape [2, 24]
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "reduction"]
// CHECK-SAME: outs(%{{.*}} : tensor<2xf32>)
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: return %{{.*}} : tensor<2x2x3x4xf32>
func.func @softmax_11_default_axis(%x: tensor<2x2x3x4xf32>) -> tensor<2x2x3x4xf32> {
  %0 = "onnx.Softmax"(%x) {onnx.opset = 11 : i64} : (tensor<2x2x3x4xf32>) -> tensor<2x2x3x4xf32>
  return %0 : tensor<2x2x3x4xf32>
}

// -----

// ReduceMin starts at +inf and uses the NaN-propagating minimumf.
// CHECK-LABEL: func.func @reducemin_input_f32
// CHECK: %[[INF:.*]] = arith.constant 0x7F800000 : f32
// CHECK: linalg.fill ins(%[[INF]] : f32)
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "reduction"]
// CHECK: arith.minimumf
func.func @reducemin_input_f32(%x: tensor<2x3xf32>) -> tensor<2x1xf32> {
  %axes = arith.constant dense<[1]> : tensor<1xi64>
  %0 = "onnx.ReduceMin"(%x, %axes) {onnx.opset = 18 : i64} : (tensor<2x3xf32>, tensor<1xi64>) -> tensor<2x1xf32>
  return %0 : tensor<2x1xf32>
}

// -----

// ReduceL2 (attribute form): sum of squares, then sqrt.
// CHECK-LABEL: func.func @reducel2_attr
// CHECK: linalg.generic
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: linalg.generic
// CHECK: math.sqrt
func.func @reducel2_attr(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  %0 = "onnx.ReduceL2"(%x) {axes = array<i64: 1>, keepdims = 0 : i64, onnx.opset = 13 : i64} : (tensor<2x3xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// ReduceLogSumExp subtracts the max (0 where it is infinite) before exp.
// CHECK-LABEL: func.func @reducelogsumexp
// CHECK: linalg.generic
// CHECK: arith.maximumf
// CHECK: math.absf
// CHECK: arith.cmpf oeq
// CHECK: arith.select
// CHECK: linalg.generic
// CHECK: arith.subf
// CHECK: math.exp
// CHECK: linalg.generic
// CHECK: math.log
// CHECK: arith.addf
func.func @reducelogsumexp(%x: tensor<2x3xf32>) -> tensor<2x1xf32> {
  %axes = arith.constant dense<[1]> : tensor<1xi64>
  %0 = "onnx.ReduceLogSumExp"(%x, %axes) {onnx.opset = 18 : i64} : (tensor<2x3xf32>, tensor<1xi64>) -> tensor<2x1xf32>
  return %0 : tensor<2x1xf32>
}

// -----

// ReduceSumSquare with noop_with_empty_axes still squares (no reduced dims).
// CHECK-LABEL: func.func @reducesumsquare_noop
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel"]
// CHECK: arith.muli
// CHECK: arith.addi
func.func @reducesumsquare_noop(%x: tensor<2x3xi32>) -> tensor<2x3xi32> {
  %none = "onnx.None"() : () -> none
  %0 = "onnx.ReduceSumSquare"(%x, %none) {noop_with_empty_axes = 1 : i64, onnx.opset = 18 : i64} : (tensor<2x3xi32>, none) -> tensor<2x3xi32>
  return %0 : tensor<2x3xi32>
}

// -----

// ArgMax: one generic with a value and an i64 index accumulator; ties keep the
// lower index unless select_last_index.
// CHECK-LABEL: func.func @argmax_last
// CHECK: %[[R:.*]]:2 = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "reduction"]
// CHECK: linalg.index 1
// CHECK: arith.cmpf ogt
// CHECK: arith.cmpi sgt
// CHECK: tensor.expand_shape %[[R]]#1 {{.*}} into tensor<2x1xi64>
func.func @argmax_last(%x: tensor<2x3xf32>) -> tensor<2x1xi64> {
  %0 = "onnx.ArgMax"(%x) {axis = 1 : i64, select_last_index = 1 : i64, onnx.opset = 13 : i64} : (tensor<2x3xf32>) -> tensor<2x1xi64>
  return %0 : tensor<2x1xi64>
}

// -----

// LogSoftmax: max, sum of exp(x - max), then x - max - log(sum).
// CHECK-LABEL: func.func @logsoftmax
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: arith.addf
// CHECK: linalg.generic
// CHECK: arith.subf
// CHECK: math.log
// CHECK: arith.subf
func.func @logsoftmax(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = "onnx.LogSoftmax"(%x) {onnx.opset = 13 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CumSum (exclusive, reverse): the axis repeated as a reduction dimension, with
// the elements after i selected.
// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-LABEL: func.func @cumsum_exclusive_reverse
// CHECK: linalg.generic {indexing_maps = [#[[X]], #{{.*}}], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK: arith.cmpi ugt
// CHECK: arith.select
// CHECK: arith.addf
func.func @cumsum_exclusive_reverse(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %axis = arith.constant dense<1> : tensor<i64>
  %0 = "onnx.CumSum"(%x, %axis) {exclusive = 1 : i64, reverse = 1 : i64, onnx.opset = 14 : i64} : (tensor<2x3xf32>, tensor<i64>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// TopK: ranks along the axis, then the element of rank p for each output p.
// CHECK-LABEL: func.func @topk
// CHECK: linalg.generic
// CHECK: arith.cmpf ogt
// CHECK: arith.extui
// CHECK: %[[R:.*]]:2 = linalg.generic
// CHECK: return %[[R]]#0, %[[R]]#1 : tensor<2x2xf32>, tensor<2x2xi64>
func.func @topk(%x: tensor<2x4xf32>) -> (tensor<2x2xf32>, tensor<2x2xi64>) {
  %k = arith.constant dense<2> : tensor<1xi64>
  %0:2 = "onnx.TopK"(%x, %k) {onnx.opset = 11 : i64} : (tensor<2x4xf32>, tensor<1xi64>) -> (tensor<2x2xf32>, tensor<2x2xi64>)
  return %0#0, %0#1 : tensor<2x2xf32>, tensor<2x2xi64>
}
