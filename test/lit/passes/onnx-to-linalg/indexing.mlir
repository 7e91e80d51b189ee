// RUN: nnmodel-opt %s --allow-unregistered-dialect --split-input-file --nnm-onnx-upgrade --nnm-onnx-fold --nnm-onnx-to-linalg | FileCheck %s

// GatherElements: a generic over the indices; the body wraps a negative index
// by the axis size, clamps it and extracts.
// CHECK-LABEL: func.func @gather_elements_axis1
// CHECK: linalg.generic {{.*}} ins(%arg1 : tensor<2x3xi64>) outs(%{{.*}} : tensor<2x3xf32>)
// CHECK: ^bb0(%[[K:.*]]: i64, %{{.*}}: f32):
// CHECK: %[[I:.*]] = linalg.index 0 : index
// CHECK: %[[KI:.*]] = arith.index_cast %[[K]] : i64 to index
// CHECK: arith.cmpi slt, %[[KI]]
// CHECK: %[[W:.*]] = arith.addi %[[KI]], %c3
// CHECK: %[[J:.*]] = arith.minsi
// CHECK: tensor.extract %arg0[%[[I]], %[[J]]] : tensor<3x3xf32>
func.func @gather_elements_axis1(%x: tensor<3x3xf32>, %i: tensor<2x3xi64>) -> tensor<2x3xf32> {
  %0 = "onnx.GatherElements"(%x, %i) {axis = 1 : i64, onnx.opset = 13 : i64} : (tensor<3x3xf32>, tensor<2x3xi64>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----
// GatherND with batch_dims = 1: out[b, t] = data[b, indices[b, 0], t].
// CHECK-LABEL: func.func @gathernd_batch_dims
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<2x2xi32>)
// CHECK: %[[B:.*]] = linalg.index 0 : index
// CHECK: tensor.extract %arg1[%[[B]], %{{.*}}] : tensor<2x1xi64>
// CHECK: %[[K:.*]] = arith.minsi
// CHECK: %[[T:.*]] = linalg.index 1 : index
// CHECK: tensor.extract %arg0[%[[B]], %[[K]], %[[T]]] : tensor<2x2x2xi32>
func.func @gathernd_batch_dims(%x: tensor<2x2x2xi32>, %i: tensor<2x1xi64>) -> tensor<2x2xi32> {
  %0 = "onnx.GatherND"(%x, %i) {batch_dims = 1 : i64, onnx.opset = 13 : i64} : (tensor<2x2x2xi32>, tensor<2x1xi64>) -> tensor<2x2xi32>
  return %0 : tensor<2x2xi32>
}

// -----
// ScatterElements copies the data, then inserts each update in order inside an
// scf.for nest over the indices; reduction "add" combines with the current value.
// CHECK-LABEL: func.func @scatter_elements_add
// CHECK: %[[COPY:.*]] = linalg.copy ins(%arg0 : tensor<1x5xf32>)
// CHECK: scf.for %[[I:.*]] = {{.*}} iter_args(%{{.*}} = %[[COPY]]) -> (tensor<1x5xf32>)
// CHECK: scf.for %[[J:.*]] = {{.*}} iter_args(%[[ACC:.*]] = %{{.*}}) -> (tensor<1x5xf32>)
// CHECK: tensor.extract %arg1[%[[I]], %[[J]]] : tensor<1x2xi64>
// CHECK: %[[K:.*]] = arith.minsi
// CHECK: %[[U:.*]] = tensor.extract %arg2[%[[I]], %[[J]]] : tensor<1x2xf32>
// CHECK: %[[OLD:.*]] = tensor.extract %[[ACC]][%[[I]], %[[K]]] : tensor<1x5xf32>
// CHECK: %[[NEW:.*]] = arith.addf %[[OLD]], %[[U]] : f32
// CHECK: tensor.insert %[[NEW]] into %[[ACC]][%[[I]], %[[K]]] : tensor<1x5xf32>
func.func @scatter_elements_add(%x: tensor<1x5xf32>, %i: tensor<1x2xi64>, %u: tensor<1x2xf32>) -> tensor<1x5xf32> {
  %0 = "onnx.ScatterElements"(%x, %i, %u) {axis = 1 : i64, reduction = "add", onnx.opset = 18 : i64} : (tensor<1x5xf32>, tensor<1x2xi64>, tensor<1x2xf32>) -> tensor<1x5xf32>
  return %0 : tensor<1x5xf32>
}

// -----
// Scatter (opset 9-10) becomes ScatterElements without reduction: a plain insert.
// CHECK-LABEL: func.func @scatter_old
// CHECK: scf.for
// CHECK-NOT: arith.addf
// CHECK: tensor.insert
func.func @scatter_old(%x: tensor<3x3xf32>, %i: tensor<2x3xi64>, %u: tensor<2x3xf32>) -> tensor<3x3xf32> {
  %0 = "onnx.Scatter"(%x, %i, %u) {onnx.opset = 10 : i64} : (tensor<3x3xf32>, tensor<2x3xi64>, tensor<2x3xf32>) -> tensor<3x3xf32>
  return %0 : tensor<3x3xf32>
}

// -----
// ScatterND loops over the updates (2 index tuples x 4 slice elements): the row
// comes from the indices, the column from the loop.
// CHECK-LABEL: func.func @scatternd_rows
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %c2
// CHECK: scf.for %[[J:.*]] = %{{.*}} to %c4 {{.*}} iter_args(%[[ACC:.*]] = %{{.*}})
// CHECK: tensor.extract %arg1[%[[I]], %{{.*}}] : tensor<2x1xi64>
// CHECK: %[[R:.*]] = arith.minsi
// CHECK: %[[U:.*]] = tensor.extract %arg2[%[[I]], %[[J]]] : tensor<2x4xf32>
// CHECK: tensor.insert %[[U]] into %[[ACC]][%[[R]], %[[J]]] : tensor<4x4xf32>
func.func @scatternd_rows(%x: tensor<4x4xf32>, %i: tensor<2x1xi64>, %u: tensor<2x4xf32>) -> tensor<4x4xf32> {
  %0 = "onnx.ScatterND"(%x, %i, %u) {onnx.opset = 18 : i64} : (tensor<4x4xf32>, tensor<2x1xi64>, tensor<2x4xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----
// OneHot (axis -1): a new last dimension of size depth; negative indices wrap.
// CHECK-LABEL: func.func @onehot_last_axis
// CHECK-DAG: %[[OFF:.*]] = tensor.extract %arg1[%c0] : tensor<2xf32>
// CHECK-DAG: %[[ON:.*]] = tensor.extract %arg1[%c1] : tensor<2xf32>
// CHECK: linalg.generic {{.*}} ins(%arg0 : tensor<3xi64>) outs(%{{.*}} : tensor<3x5xf32>)
// CHECK: arith.addi %{{.*}}, %c5_i64
// CHECK: %[[J:.*]] = linalg.index 1 : index
// CHECK: %[[HIT:.*]] = arith.cmpi eq
// CHECK: arith.select %[[HIT]], %[[ON]], %[[OFF]] : f32
func.func @onehot_last_axis(%i: tensor<3xi64>, %v: tensor<2xf32>) -> tensor<3x5xf32> {
  %d = arith.constant dense<5> : tensor<i64>
  %0 = "onnx.OneHot"(%i, %d, %v) {onnx.opset = 11 : i64} : (tensor<3xi64>, tensor<i64>, tensor<2xf32>) -> tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}

// -----
// Trilu (lower, k = 1) keeps x where j - i <= 1.
// CHECK-LABEL: func.func @tril_k1
// CHECK: %[[I:.*]] = linalg.index 0 : index
// CHECK: %[[J:.*]] = linalg.index 1 : index
// CHECK: %[[D:.*]] = arith.subi %[[J]], %[[I]] : index
// CHECK: %[[KEEP:.*]] = arith.cmpi sle, %[[D]], %c1 : index
// CHECK: arith.select %[[KEEP]], %{{.*}}, %{{.*}} : f32
func.func @tril_k1(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %k = arith.constant dense<1> : tensor<i64>
  %0 = "onnx.Trilu"(%x, %k) {upper = 0 : i64, onnx.opset = 14 : i64} : (tensor<3x4xf32>, tensor<i64>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----
// EyeLike with dtype int32 (6) and k = -1: ones where j - i == -1.
// CHECK-LABEL: func.func @eyelike_dtype
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<3x4xi32>)
// CHECK: %[[ON:.*]] = arith.cmpi eq, %{{.*}}, %c-1 : index
// CHECK: arith.select %[[ON]], %c1_i32, %c0_i32 : i32
func.func @eyelike_dtype(%x: tensor<3x4xf32>) -> tensor<3x4xi32> {
  %0 = "onnx.EyeLike"(%x) {k = -1 : i64, dtype = 6 : i64, onnx.opset = 22 : i64} : (tensor<3x4xf32>) -> tensor<3x4xi32>
  return %0 : tensor<3x4xi32>
}

// -----
// Compress with a constant condition reads the selected rows [1, 2].
// CHECK-LABEL: func.func @compress_rows
// CHECK: %[[SEL:.*]] = arith.constant dense<[1, 2]> : tensor<2xi64>
// CHECK: linalg.generic {{.*}} ins(%[[SEL]] : tensor<2xi64>) outs(%{{.*}} : tensor<2x2xf32>)
// CHECK: %[[R:.*]] = arith.index_cast
// CHECK: tensor.extract %arg0[%[[R]], %{{.*}}] : tensor<3x2xf32>
func.func @compress_rows(%x: tensor<3x2xf32>) -> tensor<2x2xf32> {
  %c = arith.constant dense<[false, true, true]> : tensor<3xi1>
  %0 = "onnx.Compress"(%x, %c) {axis = 0 : i64, onnx.opset = 11 : i64} : (tensor<3x2xf32>, tensor<3xi1>) -> tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

// -----
// ReverseSequence reads the lengths per batch entry at run time.
// CHECK-LABEL: func.func @reverse_sequence
// CHECK: linalg.generic {{.*}} ins(%arg1 : tensor<4xi64>) outs(%{{.*}} : tensor<3x4xf32>)
// CHECK: %[[T:.*]] = linalg.index 0 : index
// CHECK: %[[IN:.*]] = arith.cmpi slt, %[[T]]
// CHECK: %[[S:.*]] = arith.select %[[IN]]
// CHECK: tensor.extract %arg0[%[[S]], %{{.*}}] : tensor<3x4xf32>
func.func @reverse_sequence(%x: tensor<3x4xf32>, %lens: tensor<4xi64>) -> tensor<3x4xf32> {
  %0 = "onnx.ReverseSequence"(%x, %lens) {batch_axis = 1 : i64, time_axis = 0 : i64, onnx.opset = 10 : i64} : (tensor<3x4xf32>, tensor<4xi64>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}
