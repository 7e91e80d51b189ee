// RUN: nnmodel-opt %s --allow-unregistered-dialect --split-input-file --verify-diagnostics --nnm-memref-abi --nnm-cpu-dnnl-calls | FileCheck %s
// RUN: nnmodel-opt %s --allow-unregistered-dialect --split-input-file --verify-diagnostics --nnm-memref-abi --nnm-cpu-dnnl-calls --one-shot-bufferize --canonicalize --nnm-arena-plan | FileCheck %s --check-prefix=PLAN

// A kernel becomes arena buffers for its result and scratchpad, a call of
// nnm_kernel_run on raw pointers with the context argument and the kernel's
// index, and to_tensor of the result. Its constant weights become a private
// global that the module's kernel table names.
// CHECK: module attributes {nnm.kernels = [{bias = "", desc = array<i64: 2, 32, 64,{{.*}}>, weights = "__nnm_kernel0_weights", workspace = 1152 : i64}]}
// CHECK-DAG: memref.global "private" constant @__nnm_kernel0_weights : memref<64x128xf32> = dense<5.000000e-01> {alignment = 64 : i64}
// CHECK-DAG: func.func private @nnm_kernel_run(!llvm.ptr, i32, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr)
// CHECK-LABEL: func.func @graph
// CHECK-SAME: (%[[A:.*]]: memref<32x64xf32>, %[[OUT:.*]]: memref<32x128xf32>, %[[CTX:.*]]: !llvm.ptr)
// CHECK: %[[SRC:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<32x64xf32> to memref<32x64xf32>
// CHECK: %[[DST:.*]] = memref.alloc() {alignment = 64 : i64} : memref<32x128xf32>
// CHECK: %[[WS:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1152xi8>
// CHECK: %[[NULL:.*]] = llvm.mlir.zero : !llvm.ptr
// CHECK: call @nnm_kernel_run(%[[CTX]], %c0_i32, %{{.*}}, %[[NULL]], %{{.*}}, %{{.*}})
// CHECK: bufferization.to_tensor %[[DST]] restrict writable
// PLAN-LABEL: func.func @graph
// PLAN-SAME: %{{.*}}: !llvm.ptr, %[[ARENA:.*]]: memref<
// PLAN: memref.view %[[ARENA]]
// PLAN: memref.view %[[ARENA]]
// PLAN: call @nnm_kernel_run
func.func @graph(%a: tensor<32x64xf32>) -> tensor<32x128xf32> {
  %b = arith.constant dense<0.5> : tensor<64x128xf32>
  %k = "nnm.dnnl_kernel"(%a, %b) {desc = array<i64: 2, 32, 64, 0, 0, 64, 128, 0, 0, 32, 128, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0>, roles = ["src", "weights"], workspace = 1152 : i64} : (tensor<32x64xf32>, tensor<64x128xf32>) -> tensor<32x128xf32>
  return %k : tensor<32x128xf32>
}

// -----

func.func @malformed(%a: tensor<4x4xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{malformed nnm.dnnl_kernel}}
  %k = "nnm.dnnl_kernel"(%a) {desc = array<i64: 2>, roles = ["src"], workspace = 0 : i64} : (tensor<4x4xf32>) -> tensor<4x4xf32>
  return %k : tensor<4x4xf32>
}
