// The CUDA back end's lowering of bufferized loops: one launch per loop nest
// (1-D blocks of 256 threads over all points, guarded), a one-thread launch for
// scalar work, the weights read through a trailing argument, and launches turned
// into runtime calls with one parameter slot per kernel operand.
// RUN: nnmodel-opt %s --nnm-arena-plan --nnm-gpu-weights --convert-linalg-to-parallel-loops --nnm-gpu-map \
// RUN:   --canonicalize --gpu-kernel-outlining --nnm-gpu-launch-calls | FileCheck %s

#map = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
memref.global "private" constant @bias : memref<4x300xf32> = dense<0.5>

// CHECK-LABEL: module attributes
// CHECK-SAME: nnm.gpu.kernels = ["main_graph_kernel", "main_graph_kernel_0", "main_graph_kernel_1"]
// CHECK: memref.global "public" constant @nnm_gpu_weights : memref<4864xi8>
// CHECK: func.func @main_graph(%{{.*}}: memref<4x300xf32>, %{{.*}}: memref<4xf32>, %{{.*}}: memref<f32>, %[[CTX:.*]]: !llvm.ptr, %{{.*}}: memref<4800xi8>, %[[W:.*]]: memref<4864xi8>)
// CHECK: memref.view %[[W]]
// CHECK: llvm.call @nnm_cuda_launch(%[[CTX]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (!llvm.ptr, i32, i32, i32, !llvm.ptr) -> ()
// CHECK: llvm.call @nnm_cuda_launch
// CHECK: llvm.call @nnm_cuda_launch
// CHECK-NOT: gpu.launch_func
// CHECK: gpu.module @nnm_kernels
// CHECK: gpu.func @main_graph_kernel({{.*}}) kernel attributes {known_block_size = array<i32: 256, 1, 1>, known_grid_size = array<i32: 5, 1, 1>}
// CHECK: arith.cmpi ult
// CHECK: math.exp
// CHECK: gpu.func @main_graph_kernel_0({{.*}}) kernel attributes {known_block_size = array<i32: 4, 1, 1>, known_grid_size = array<i32: 1, 1, 1>}
// CHECK: scf.for
// CHECK: gpu.func @main_graph_kernel_1({{.*}}) kernel attributes {known_block_size = array<i32: 1, 1, 1>, known_grid_size = array<i32: 1, 1, 1>}
func.func @main_graph(%a: memref<4x300xf32>, %r: memref<4xf32>, %s: memref<f32>, %ctx: !llvm.ptr) {
  %b = memref.get_global @bias : memref<4x300xf32>
  %t = memref.alloc() : memref<4x300xf32>
  linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%a, %b : memref<4x300xf32>, memref<4x300xf32>) outs(%t : memref<4x300xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %e = math.exp %x : f32
    %c = arith.addf %e, %y : f32
    linalg.yield %c : f32
  }
  linalg.generic {indexing_maps = [#map, #row], iterator_types = ["parallel", "reduction"]}
      ins(%t : memref<4x300xf32>) outs(%r : memref<4xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %c = arith.addf %x, %acc : f32
    linalg.yield %c : f32
  }
  %c0 = arith.constant 0 : index
  %v = memref.load %r[%c0] : memref<4xf32>
  memref.store %v, %s[] : memref<f32>
  return
}
