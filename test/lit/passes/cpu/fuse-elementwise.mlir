// RUN: nnmodel-opt %s --split-input-file --nnm-cpu-fuse-elementwise | FileCheck %s --check-prefix=ALL
// RUN: nnmodel-opt %s --split-input-file --nnm-cpu-fuse-elementwise="max-body-ops=4" | FileCheck %s --check-prefix=BOUNDED

#id = affine_map<(d0) -> (d0)>

// Three elementwise ops in a chain: fused into one generic by default; with a bound
// of 4 body ops, the fusions stop before a body would exceed it.
// ALL-LABEL: func.func @chain
// ALL-COUNT-1: linalg.generic
// ALL-NOT: linalg.generic
// ALL: arith.addf
// ALL: arith.mulf
// ALL: arith.subf
// BOUNDED-LABEL: func.func @chain
// BOUNDED-COUNT-2: linalg.generic
// BOUNDED-NOT: linalg.generic
func.func @chain(%x: tensor<8xf32>, %y: tensor<8xf32>) -> tensor<8xf32> {
  %e = tensor.empty() : tensor<8xf32>
  %0 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]}
       ins(%x, %y : tensor<8xf32>, tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<8xf32>
  %1 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]}
       ins(%0, %y : tensor<8xf32>, tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.mulf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<8xf32>
  %2 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]}
       ins(%1, %y : tensor<8xf32>, tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.subf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<8xf32>
  return %2 : tensor<8xf32>
}
