// RUN: nnmodel-opt %s --allow-unregistered-dialect --split-input-file --nnm-onnx-upgrade --nnm-onnx-fold --nnm-onnx-to-linalg | FileCheck %s

// Transpose with perm becomes linalg.transpose with the same permutation.
// CHECK-LABEL: func.func @transpose_perm
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x2x3xf32>
// CHECK: linalg.transpose ins(%arg0 : tensor<2x3x4xf32>) outs(%[[E]] : tensor<4x2x3xf32>) permutation = [2, 0, 1]
func.func @transpose_perm(%x: tensor<2x3x4xf32>) -> tensor<4x2x3xf32> {
  %0 = "onnx.Transpose"(%x) {perm = array<i64: 2, 0, 1>, onnx.opset = 13 : i64} : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
  return %0 : tensor<4x2x3xf32>
}

// -----
// Transpose without perm reverses the dimensions.
// CHECK-LABEL: func.func @transpose_default
// CHECK: linalg.transpose ins(%arg0 : tensor<2x3x4xf32>) outs(%{{.*}} : tensor<4x3x2xf32>) permutation = [2, 1, 0]
func.func @transpose_default(%x: tensor<2x3x4xf32>) -> tensor<4x3x2xf32> {
  %0 = "onnx.Transpose"(%x) {onnx.opset = 13 : i64} : (tensor<2x3x4xf32>) -> tensor<4x3x2xf32>
  return %0 : tensor<4x3x2xf32>
}

// -----
// Transpose of a small constant folds.
// CHECK-LABEL: func.func @transpose_constant_folds
// CHECK-NOT: linalg.transpose
// CHECK: %[[C:.*]] = arith.constant dense<{{\[\[}}1, 4], [2, 5], [3, 6]]> : tensor<3x2xi32>
// CHECK: return %[[C]] : tensor<3x2xi32>
func.func @transpose_constant_folds() -> tensor<3x2xi32> {
  %x = arith.constant dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi32>
  %0 = "onnx.Transpose"(%x) {perm = array<i64: 1, 0>, onnx.opset = 13 : i64} : (tensor<2x3xi32>) -> tensor<3x2xi32>
  return %0 : tensor<3x2xi32>
}

// -----
// Concat along the last axis inserts each input at its running offset.
// CHECK-LABEL: func.func @concat_last_axis
// CHECK: %[[E:.*]] = tensor.empty() : tensor<2x8xf32>
// CHECK: %[[A:.*]] = tensor.insert_slice %arg0 into %[[E]][0, 0] [2, 3] [1, 1] : tensor<2x3xf32> into tensor<2x8xf32>
// CHECK: %[[B:.*]] = tensor.insert_slice %arg1 into %[[A]][0, 3] [2, 5] [1, 1] : tensor<2x5xf32> into tensor<2x8xf32>
// CHECK: return %[[B]] : tensor<2x8xf32>
func.func @concat_last_axis(%a: tensor<2x3xf32>, %b: tensor<2x5xf32>) -> tensor<2x8xf32> {
  %0 = "onnx.Concat"(%a, %b) {axis = -1 : i64, onnx.opset = 13 : i64} : (tensor<2x3xf32>, tensor<2x5xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----
// Split from opset 13 takes the sizes as an input: one extract_slice per output.
// CHECK-LABEL: func.func @split_sizes_input
// CHECK: %[[A:.*]] = tensor.extract_slice %arg0[0, 0] [2, 2] [1, 1] : tensor<2x6xf32> to tensor<2x2xf32>
// CHECK: %[[B:.*]] = tensor.extract_slice %arg0[0, 2] [2, 4] [1, 1] : tensor<2x6xf32> to tensor<2x4xf32>
// CHECK: return %[[A]], %[[B]] : tensor<2x2xf32>, tensor<2x4xf32>
func.func @split_sizes_input(%x: tensor<2x6xf32>) -> (tensor<2x2xf32>, tensor<2x4xf32>) {
  %s = arith.constant dense<[2, 4]> : tensor<2xi64>
  %0:2 = "onnx.Split"(%x, %s) {axis = 1 : i64, onnx.opset = 13 : i64} : (tensor<2x6xf32>, tensor<2xi64>) -> (tensor<2x2xf32>, tensor<2x4xf32>)
  return %0#0, %0#1 : tensor<2x2xf32>, tensor<2x4xf32>
}

// -----
// Split before opset 13 takes the sizes as an attribute.
// CHECK-LABEL: func.func @split_sizes_attr
// CHECK: tensor.extract_slice %arg0[0, 0] [1, 4] [1, 1] : tensor<5x4xf32> to tensor<1x4xf32>
// CHECK: tensor.extract_slice %arg0[1, 0] [4, 4] [1, 1] : tensor<5x4xf32> to tensor<4x4xf32>
func.func @split_sizes_attr(%x: tensor<5x4xf32>) -> (tensor<1x4xf32>, tensor<4x4xf32>) {
  %0:2 = "onnx.Split"(%x) {split = array<i64: 1, 4>, onnx.opset = 11 : i64} : (tensor<5x4xf32>) -> (tensor<1x4xf32>, tensor<4x4xf32>)
  return %0#0, %0#1 : tensor<1x4xf32>, tensor<4x4xf32>
}

// -----
// Slice with positive steps is a strided extract_slice; an end past the dimension is clamped.
// CHECK-LABEL: func.func @slice_positive_steps
// CHECK: %[[R:.*]] = tensor.extract_slice %arg0[1, 1] [2, 3] [1, 3] : tensor<4x10xf32> to tensor<2x3xf32>
// CHECK: return %[[R]] : tensor<2x3xf32>
func.func @slice_positive_steps(%x: tensor<4x10xf32>) -> tensor<2x3xf32> {
  %starts = arith.constant dense<[1, 1]> : tensor<2xi64>
  %ends = arith.constant dense<[3, 1000]> : tensor<2xi64>
  %axes = arith.constant dense<[0, 1]> : tensor<2xi64>
  %steps = arith.constant dense<[1, 3]> : tensor<2xi64>
  %0 = "onnx.Slice"(%x, %starts, %ends, %axes, %steps) {onnx.opset = 13 : i64} : (tensor<4x10xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----
// Slice with step -1 from the end to before the start reverses axis 1 (reads x[d0, 9 - d1]).
// CHECK-DAG: #[[REV:.*]] = affine_map<(d0, d1) -> (d0, -d1 + 9)>
// CHECK-LABEL: func.func @slice_reverse
// CHECK-NOT: tensor.extract_slice
// CHECK: linalg.generic {indexing_maps = [#[[REV]], #{{.*}}]
// CHECK-SAME: ins(%arg0 : tensor<4x10xf32>) outs(%{{.*}} : tensor<4x10xf32>)
func.func @slice_reverse(%x: tensor<4x10xf32>) -> tensor<4x10xf32> {
  %starts = arith.constant dense<[-1]> : tensor<1xi64>
  %ends = arith.constant dense<[-9223372036854775807]> : tensor<1xi64>
  %axes = arith.constant dense<[1]> : tensor<1xi64>
  %steps = arith.constant dense<[-1]> : tensor<1xi64>
  %0 = "onnx.Slice"(%x, %starts, %ends, %axes, %steps) {onnx.opset = 13 : i64} : (tensor<4x10xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<4x10xf32>
  return %0 : tensor<4x10xf32>
}

// -----
// Slice with step -3 from 8 down to (not including) 1 reads elements 8, 5, 2.
// CHECK-DAG: #[[NEG3:.*]] = affine_map<(d0) -> (d0 * -3 + 8)>
// CHECK-LABEL: func.func @slice_negative_step3
// CHECK: linalg.generic {indexing_maps = [#[[NEG3]], #{{.*}}]
// CHECK-SAME: outs(%{{.*}} : tensor<3xf32>)
func.func @slice_negative_step3(%x: tensor<10xf32>) -> tensor<3xf32> {
  %starts = arith.constant dense<[8]> : tensor<1xi64>
  %ends = arith.constant dense<[1]> : tensor<1xi64>
  %axes = arith.constant dense<[0]> : tensor<1xi64>
  %steps = arith.constant dense<[-3]> : tensor<1xi64>
  %0 = "onnx.Slice"(%x, %starts, %ends, %axes, %steps) {onnx.opset = 13 : i64} : (tensor<10xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----
// Slice before opset 10 takes starts/ends/axes as attributes.
// CHECK-LABEL: func.func @slice_attr_form
// CHECK: tensor.extract_slice %arg0[0, 2] [4, 3] [1, 1] : tensor<4x10xf32> to tensor<4x3xf32>
func.func @slice_attr_form(%x: tensor<4x10xf32>) -> tensor<4x3xf32> {
  %0 = "onnx.Slice"(%x) {starts = array<i64: 2>, ends = array<i64: 5>, axes = array<i64: 1>, onnx.opset = 1 : i64} : (tensor<4x10xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----
// Gather with constant indices into runtime data: a generic that extracts at the clamped index.
// CHECK-DAG: #[[IDX:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @gather_constant_indices
// CHECK: %[[I:.*]] = arith.constant dense<[3, -1]> : tensor<2xi64>
// CHECK: linalg.generic {indexing_maps = [#[[IDX]], #{{.*}}]
// CHECK-SAME: ins(%[[I]] : tensor<2xi64>) outs(%{{.*}} : tensor<5x2xf32>)
// CHECK: arith.index_cast
// CHECK: %[[HI:.*]] = arith.constant 3 : index
// CHECK: %[[K:.*]] = arith.minsi %{{.*}}, %[[HI]] : index
// CHECK: %[[D0:.*]] = linalg.index 0 : index
// CHECK: tensor.extract %arg0[%[[D0]], %[[K]]] : tensor<5x4xf32>
func.func @gather_constant_indices(%x: tensor<5x4xf32>) -> tensor<5x2xf32> {
  %i = arith.constant dense<[3, -1]> : tensor<2xi64>
  %0 = "onnx.Gather"(%x, %i) {axis = 1 : i64, onnx.opset = 13 : i64} : (tensor<5x4xf32>, tensor<2xi64>) -> tensor<5x2xf32>
  return %0 : tensor<5x2xf32>
}

// -----
// Gather with runtime 2-D indices on axis 0: output [2, 3, 4]; negative indices wrap by 5.
// CHECK-DAG: #[[IDX:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @gather_runtime_indices
// CHECK: linalg.generic {indexing_maps = [#[[IDX]], #{{.*}}]
// CHECK-SAME: ins(%arg1 : tensor<2x3xi64>) outs(%{{.*}} : tensor<2x3x4xf32>)
// CHECK: %[[N:.*]] = arith.constant 5 : index
// CHECK: arith.cmpi slt
// CHECK: arith.addi %{{.*}}, %[[N]] : index
// CHECK: arith.select
// CHECK: %[[K:.*]] = arith.minsi
// CHECK: %[[D2:.*]] = linalg.index 2 : index
// CHECK: tensor.extract %arg0[%[[K]], %[[D2]]] : tensor<5x4xf32>
func.func @gather_runtime_indices(%x: tensor<5x4xf32>, %i: tensor<2x3xi64>) -> tensor<2x3x4xf32> {
  %0 = "onnx.Gather"(%x, %i) {axis = 0 : i64, onnx.opset = 13 : i64} : (tensor<5x4xf32>, tensor<2x3xi64>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----
// Gather with a scalar index removes the gathered axis.
// CHECK-DAG: #[[IDX:.*]] = affine_map<(d0) -> ()>
// CHECK-LABEL: func.func @gather_scalar_index
// CHECK: linalg.generic {indexing_maps = [#[[IDX]], #{{.*}}]
// CHECK-SAME: ins(%arg1 : tensor<i64>) outs(%{{.*}} : tensor<5xf32>)
// CHECK: tensor.extract %arg0[%{{.*}}, %{{.*}}] : tensor<5x4xf32>
func.func @gather_scalar_index(%x: tensor<5x4xf32>, %i: tensor<i64>) -> tensor<5xf32> {
  %0 = "onnx.Gather"(%x, %i) {axis = 1 : i64, onnx.opset = 13 : i64} : (tensor<5x4xf32>, tensor<i64>) -> tensor<5xf32>
  return %0 : tensor<5xf32>
}

// -----
// Pad (constant mode) from opset 11: pads and the pad value are inputs.
// CHECK-LABEL: func.func @pad_constant
// CHECK: %[[V:.*]] = tensor.extract %{{.*}}[] : tensor<f32>
// CHECK: tensor.pad %arg0 low[1, 2] high[0, 1]
// CHECK: tensor.yield %[[V]] : f32
// CHECK: } : tensor<2x3xf32> to tensor<3x6xf32>
func.func @pad_constant(%x: tensor<2x3xf32>) -> tensor<3x6xf32> {
  %p = arith.constant dense<[1, 2, 0, 1]> : tensor<4xi64>
  %v = arith.constant dense<1.5> : tensor<f32>
  %0 = "onnx.Pad"(%x, %p, %v) {mode = "constant", onnx.opset = 13 : i64} : (tensor<2x3xf32>, tensor<4xi64>, tensor<f32>) -> tensor<3x6xf32>
  return %0 : tensor<3x6xf32>
}

// -----
// Pad before opset 11 takes pads and value as attributes (upgraded to inputs).
// CHECK-LABEL: func.func @pad_attr_form
// CHECK: %[[C:.*]] = arith.constant dense<2.000000e+00> : tensor<f32>
// CHECK: %[[V:.*]] = tensor.extract %[[C]][]
// CHECK: tensor.pad %arg0 low[1, 0] high[1, 0]
// CHECK: tensor.yield %[[V]] : f32
// CHECK: } : tensor<2x3xf32> to tensor<4x3xf32>
func.func @pad_attr_form(%x: tensor<2x3xf32>) -> tensor<4x3xf32> {
  %0 = "onnx.Pad"(%x) {pads = array<i64: 1, 0, 1, 0>, value = 2.0 : f32, onnx.opset = 2 : i64} : (tensor<2x3xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----
// Pad in edge mode: a generic reading the input at the clamped index (j - 2 in [0, 2]).
// CHECK-LABEL: func.func @pad_edge
// CHECK-NOT: tensor.pad
// CHECK: linalg.generic
// CHECK-SAME: outs(%{{.*}} : tensor<2x7xf32>)
// CHECK: %[[J:.*]] = linalg.index 1 : index
// CHECK: %[[LO:.*]] = arith.constant 2 : index
// CHECK: %[[S:.*]] = arith.subi %[[J]], %[[LO]] : index
// CHECK: %[[M:.*]] = arith.maxsi %[[S]], %{{.*}} : index
// CHECK: %[[C:.*]] = arith.minsi %[[M]], %{{.*}} : index
// CHECK: tensor.extract %arg0[%{{.*}}, %[[C]]] : tensor<2x3xf32>
func.func @pad_edge(%x: tensor<2x3xf32>) -> tensor<2x7xf32> {
  %p = arith.constant dense<[0, 2, 0, 2]> : tensor<4xi64>
  %0 = "onnx.Pad"(%x, %p) {mode = "edge", onnx.opset = 13 : i64} : (tensor<2x3xf32>, tensor<4xi64>) -> tensor<2x7xf32>
  return %0 : tensor<2x7xf32>
}

// -----
// Pad in reflect mode mirrors the index: i -> |i|, then 2 * (3 - 1) - i past the end.
// CHECK-LABEL: func.func @pad_reflect
// CHECK-NOT: tensor.pad
// CHECK: linalg.generic
// CHECK-SAME: outs(%{{.*}} : tensor<2x7xf32>)
// CHECK: %[[J:.*]] = linalg.index 1 : index
// CHECK: %[[I:.*]] = arith.subi %[[J]], %{{.*}} : index
// CHECK: %[[NEG:.*]] = arith.subi %{{.*}}, %[[I]] : index
// CHECK: %[[ABS:.*]] = arith.maxsi %[[I]], %[[NEG]] : index
// CHECK: %[[TWICE:.*]] = arith.constant 4 : index
// CHECK: %[[MIR:.*]] = arith.subi %[[TWICE]], %[[ABS]] : index
// CHECK: arith.minsi %[[ABS]], %[[MIR]] : index
// CHECK: tensor.extract %arg0
func.func @pad_reflect(%x: tensor<2x3xf32>) -> tensor<2x7xf32> {
  %p = arith.constant dense<[0, 2, 0, 2]> : tensor<4xi64>
  %0 = "onnx.Pad"(%x, %p) {mode = "reflect", onnx.opset = 13 : i64} : (tensor<2x3xf32>, tensor<4xi64>) -> tensor<2x7xf32>
  return %0 : tensor<2x7xf32>
}

// -----
// Expand broadcasts bidirectionally: a unit input dim reads index 0, the
// shape's 1 keeps the input's 3.
// CHECK: #[[IN:map[0-9]*]] = affine_map<(d0, d1, d2) -> (d1, 0)>
// CHECK-LABEL: func.func @expand_bidirectional
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #{{.*}}]{{.*}} ins(%arg0 : tensor<3x1xf32>) outs(%{{.*}} : tensor<2x3x6xf32>)
func.func @expand_bidirectional(%x: tensor<3x1xf32>) -> tensor<2x3x6xf32> {
  %s = arith.constant dense<[2, 1, 6]> : tensor<3xi64>
  %0 = "onnx.Expand"(%x, %s) {onnx.opset = 13 : i64} : (tensor<3x1xf32>, tensor<3xi64>) -> tensor<2x3x6xf32>
  return %0 : tensor<2x3x6xf32>
}

// -----
// Expand of a small constant folds.
// CHECK-LABEL: func.func @expand_constant_folds
// CHECK: %[[C:.*]] = arith.constant dense<{{\[\[}}1, 2], [1, 2], [1, 2]]> : tensor<3x2xi64>
// CHECK: return %[[C]]
func.func @expand_constant_folds() -> tensor<3x2xi64> {
  %x = arith.constant dense<[1, 2]> : tensor<2xi64>
  %s = arith.constant dense<[3, 1]> : tensor<2xi64>
  %0 = "onnx.Expand"(%x, %s) {onnx.opset = 13 : i64} : (tensor<2xi64>, tensor<2xi64>) -> tensor<3x2xi64>
  return %0 : tensor<3x2xi64>
}

// -----
// Tile reads the input at i mod dim along each repeated dimension.
// CHECK: #[[IN:map[0-9]*]] = affine_map<(d0, d1) -> (d0 mod 2, d1)>
// CHECK-LABEL: func.func @tile_rows
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #{{.*}}]{{.*}} ins(%arg0 : tensor<2x3xf32>) outs(%{{.*}} : tensor<4x3xf32>)
func.func @tile_rows(%x: tensor<2x3xf32>) -> tensor<4x3xf32> {
  %r = arith.constant dense<[2, 1]> : tensor<2xi64>
  %0 = "onnx.Tile"(%x, %r) {onnx.opset = 13 : i64} : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----
// DepthToSpace (CRD): channel c*b*b + (y mod b)*b + x mod b at (y/b, x/b).
// CHECK: #[[IN:map[0-9]*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1 * 4 + (d2 mod 2) * 2 + d3 mod 2, d2 floordiv 2, d3 floordiv 2)>
// CHECK-LABEL: func.func @depth_to_space_crd
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #{{.*}}]{{.*}} ins(%arg0 : tensor<1x8x2x3xf32>) outs(%{{.*}} : tensor<1x2x4x6xf32>)
func.func @depth_to_space_crd(%x: tensor<1x8x2x3xf32>) -> tensor<1x2x4x6xf32> {
  %0 = "onnx.DepthToSpace"(%x) {blocksize = 2 : i64, mode = "CRD", onnx.opset = 13 : i64} : (tensor<1x8x2x3xf32>) -> tensor<1x2x4x6xf32>
  return %0 : tensor<1x2x4x6xf32>
}

// -----
// SpaceToDepth (DCR): output channel (i*b + j)*C + c reads (c, h*b + i, w*b + j).
// CHECK: #[[IN:map[0-9]*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1 mod 2, d2 * 2 + d1 floordiv 4, d3 * 2 + (d1 floordiv 2) mod 2)>
// CHECK-LABEL: func.func @space_to_depth_dcr
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #{{.*}}]{{.*}} ins(%arg0 : tensor<1x2x4x6xf32>) outs(%{{.*}} : tensor<1x8x2x3xf32>)
func.func @space_to_depth_dcr(%x: tensor<1x2x4x6xf32>) -> tensor<1x8x2x3xf32> {
  %0 = "onnx.SpaceToDepth"(%x) {blocksize = 2 : i64, onnx.opset = 13 : i64} : (tensor<1x2x4x6xf32>) -> tensor<1x8x2x3xf32>
  return %0 : tensor<1x8x2x3xf32>
}

// -----
// CenterCropPad crops dim 0 (5 -> 3, from 1) and pads dim 1 (2 -> 5, 1 before, 2 after).
// CHECK-LABEL: func.func @center_crop_pad
// CHECK: %[[S:.*]] = tensor.extract_slice %arg0[1, 0] [3, 2] [1, 1] : tensor<5x2xf32> to tensor<3x2xf32>
// CHECK: tensor.pad %[[S]] low[0, 1] high[0, 2]
// CHECK: } : tensor<3x2xf32> to tensor<3x5xf32>
func.func @center_crop_pad(%x: tensor<5x2xf32>) -> tensor<3x5xf32> {
  %s = arith.constant dense<[3, 5]> : tensor<2xi64>
  %0 = "onnx.CenterCropPad"(%x, %s) {onnx.opset = 18 : i64} : (tensor<5x2xf32>, tensor<2xi64>) -> tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}
