// RUN: nnmodel-opt %s --nnm-memref-abi | FileCheck %s

// Inputs become memrefs read through restrict to_tensor; results become trailing
// output memrefs written by materialize_in_destination, then the run context; the
// function returns nothing and records its former result types.
// CHECK-LABEL: func.func @main_graph
// CHECK-SAME: (%[[X:.*]]: memref<2x3xf32>, %[[Y:.*]]: memref<2x3xf32>, %{{.*}}: !llvm.ptr)
// CHECK-NOT: ->
// CHECK-SAME: nnm.result_types = [tensor<2x3xf32>]
// CHECK: %[[T:.*]] = bufferization.to_tensor %[[X]] restrict
// CHECK: %[[R:.*]] = arith.addf %[[T]], %[[T]]
// CHECK: bufferization.materialize_in_destination %[[R]] in restrict writable %[[Y]]
// CHECK: return{{$}}
func.func @main_graph(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = arith.addf %x, %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}
