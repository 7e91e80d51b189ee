// Matrix products to cuBLAS (nnm-gpu-library-calls): a product into a buffer of
// zeros becomes one nnm_cuda_gemm call with the buffers' device addresses; the
// module counts the calls; nnm-gpu-map keeps the call on the host, in order
// between the launches around it.
// RUN: nnmodel-opt %s --split-input-file --nnm-gpu-library-calls --cse | FileCheck %s
// RUN: nnmodel-opt %s --split-input-file --nnm-gpu-library-calls --convert-linalg-to-parallel-loops --nnm-gpu-map | FileCheck %s --check-prefix=MAP

#a = affine_map<(b, m, n, k) -> (b, m, k)>
#bt = affine_map<(b, m, n, k) -> (b, n, k)>
#c = affine_map<(b, m, n, k) -> (b, m, n)>
#w = affine_map<(b, m, n, k) -> (k, n)>

// CHECK: module attributes {nnm.gpu.blas = 2 : i64}
// CHECK: func.func private @nnm_cuda_gemm(!llvm.ptr, i64, i64, i64, i64, i64, i64, i64, !llvm.ptr, !llvm.ptr, !llvm.ptr)
// CHECK-LABEL: func.func @main_graph
// Attention scores: batch 8 of Q[16, 32] x K[16, 32]^T, both walking the batch.
// CHECK-DAG: %[[B8:.*]] = arith.constant 8 : i64
// CHECK-DAG: %[[M16:.*]] = arith.constant 16 : i64
// CHECK-DAG: %[[K32:.*]] = arith.constant 32 : i64
// CHECK-DAG: %[[TB:.*]] = arith.constant 2 : i64
// CHECK-DAG: %[[SA:.*]] = arith.constant 512 : i64
// CHECK: call @nnm_cuda_gemm(%arg3, %[[B8]], %[[M16]], %[[M16]], %[[K32]], %[[TB]], %[[SA]], %[[SA]], %{{.*}}, %{{.*}}, %{{.*}})
// A product by shared weights into a copy of a zero-filled buffer: the batch is
// A's and C's alone, so it is 128 rows of one GEMM, B not walking a batch.
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1 : i64
// CHECK-DAG: %[[M128:.*]] = arith.constant 128 : i64
// CHECK-DAG: %[[N64:.*]] = arith.constant 64 : i64
// CHECK-DAG: %[[NONE:.*]] = arith.constant 0 : i64
// CHECK: call @nnm_cuda_gemm(%arg3, %[[ONE]], %[[M128]], %[[N64]], %[[M16]], %[[NONE]], %[[NONE]], %[[NONE]], %{{.*}}, %{{.*}}, %{{.*}})
// CHECK-NOT: linalg.generic {{.*}}"reduction"
// MAP: gpu.launch
// MAP: call @nnm_cuda_gemm
// MAP: gpu.launch
// MAP: gpu.launch
// MAP: memref.copy
// MAP: call @nnm_cuda_gemm
// MAP-NEXT: return
func.func @main_graph(%q: memref<8x16x32xf32>, %k: memref<8x16x32xf32>, %out: memref<8x16x64xf32>,
                      %ctx: !llvm.ptr, %s: memref<8x16x16xf32>, %w: memref<16x64xf32>,
                      %zeros: memref<8x16x64xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  linalg.fill ins(%zero : f32) outs(%s : memref<8x16x16xf32>)
  linalg.generic {indexing_maps = [#a, #bt, #c], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %k : memref<8x16x32xf32>, memref<8x16x32xf32>) outs(%s : memref<8x16x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  }
  linalg.fill ins(%zero : f32) outs(%zeros : memref<8x16x64xf32>)
  linalg.fill ins(%one : f32) outs(%w : memref<16x64xf32>)
  memref.copy %zeros, %out : memref<8x16x64xf32> to memref<8x16x64xf32>
  linalg.generic {indexing_maps = [#a, #w, #c], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%s, %w : memref<8x16x16xf32>, memref<16x64xf32>) outs(%out : memref<8x16x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// C not known to hold zeros (it holds the bias): the product stays generated.
// CHECK-LABEL: func.func @accumulates
// CHECK-NOT: nnm_cuda_gemm
// CHECK: linalg.matmul
func.func @accumulates(%a: memref<4x8xf32>, %b: memref<8x16xf32>, %bias: memref<4x16xf32>, %ctx: !llvm.ptr,
                       %c: memref<4x16xf32>) {
  memref.copy %bias, %c : memref<4x16xf32> to memref<4x16xf32>
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
  return
}

// -----

// A loop that writes C after its zero fill: unclear, so the product stays generated.
// CHECK-LABEL: func.func @loop_writes
// CHECK-NOT: nnm_cuda_gemm
// CHECK: linalg.matmul
func.func @loop_writes(%a: memref<4x8xf32>, %b: memref<8x16xf32>, %ctx: !llvm.ptr,
                       %c: memref<4x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  linalg.fill ins(%zero : f32) outs(%c : memref<4x16xf32>)
  scf.for %i = %c0 to %c4 step %c1 {
    memref.store %one, %c[%i, %c0] : memref<4x16xf32>
  }
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
  return
}

// -----

// Convolutions to cuDNN: a dense one and a grouped (depthwise) one over padded,
// contiguous inputs into zeros become nnm_cuda_conv2d calls by index; the module
// lists their NNM_CONV_* descriptors (N, C, H, W, K, KH, KW, OH, OW, strides,
// dilations, groups).
// CHECK: module attributes {nnm.gpu.dnn = [array<i64: 1, 3, 10, 10, 8, 3, 3, 4, 4, 2, 2, 1, 1, 1>, array<i64: 1, 8, 6, 6, 8, 3, 3, 4, 4, 1, 1, 1, 1, 8>]}
// CHECK: func.func private @nnm_cuda_conv2d(!llvm.ptr, i32, !llvm.ptr, !llvm.ptr, !llvm.ptr)
// CHECK-LABEL: func.func @convolutions
// CHECK: call @nnm_cuda_conv2d(%arg5, %c0_i32,
// CHECK: call @nnm_cuda_conv2d(%arg5, %c1_i32,
// CHECK-NOT: linalg.conv
func.func @convolutions(%x: memref<1x3x10x10xf32>, %w: memref<8x3x3x3xf32>, %y: memref<1x8x4x4xf32>,
                        %dw: memref<8x1x1x3x3xf32>, %dy: memref<1x8x1x4x4xf32>, %ctx: !llvm.ptr,
                        %px: memref<1x8x1x6x6xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<1x8x4x4xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w : memref<1x3x10x10xf32>, memref<8x3x3x3xf32>) outs(%y : memref<1x8x4x4xf32>)
  linalg.fill ins(%zero : f32) outs(%dy : memref<1x8x1x4x4xf32>)
  linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%px, %dw : memref<1x8x1x6x6xf32>, memref<8x1x1x3x3xf32>) outs(%dy : memref<1x8x1x4x4xf32>)
  return
}
