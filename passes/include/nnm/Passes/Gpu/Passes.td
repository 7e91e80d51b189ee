//===- Passes.td - Passes of the CUDA back end's stages ------*- tablegen -*-===//
#ifndef NNM_PASSES_GPU_PASSES_TD
#define NNM_PASSES_GPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def GpuWeights : Pass<"nnm-gpu-weights", "mlir::ModuleOp"> {
  let summary = "Pack the graph's constants into one blob read through a weights argument";
  let description = [{
    Device kernels cannot read the host's constant globals. Every
    `memref.get_global` of a constant `memref.global` in the graph function
    becomes a `memref.view` into a new trailing `memref<Nxi8>` argument (the
    weights as the device holds them, 256-byte aligned each), and the bytes are
    packed into one constant global, `nnm_gpu_weights`, which the runtime
    uploads once per device. The globals read this way are erased.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::memref::MemRefDialect"];
}

def GpuLibraryCalls : Pass<"nnm-gpu-library-calls", "mlir::func::FuncOp"> {
  let summary = "Hand the graph's matrix products to cuBLAS";
  let description = [{
    On the bufferized graph function, each f32 `linalg` contraction of the
    form of a (batched) matrix product, C[b..., m, n] = sum_k A[b..., m, k] *
    B[b..., k, n] with either operand read transposed and a batch that is
    either whole or broadcast per operand, over row-major contiguous buffers,
    becomes a host call
      nnm_cuda_gemm(context, batch, m, n, k, flags, stride_a, stride_b, a, b, c)
    that enqueues cuBLAS's strided batched SGEMM on the context's stream
    (runtime/include/nnmodel/cuda.h). The pointers are the buffers' device
    addresses. The module attribute `nnm.gpu.blas` counts the calls; the
    generated create then gives each context a cuBLAS handle. Contractions of
    other shapes stay generated kernels. Runs before nnm-gpu-map, which keeps
    these calls on the host, in order between the launches.
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect", "mlir::arith::ArithDialect",
                           "mlir::func::FuncDialect", "mlir::memref::MemRefDialect"];
}

def GpuMap : Pass<"nnm-gpu-map", "mlir::func::FuncOp"> {
  let summary = "Turn the graph's top-level loop nests into GPU launches";
  let description = [{
    After `convert-linalg-to-parallel-loops`, each top-level `scf.parallel`
    becomes a `gpu.launch` of 1-D blocks of 256 threads over the product of
    its trip counts (one thread per point, delinearized back to the loop's
    indices; reduction loops stay sequential inside the thread). Every other
    top-level op that touches memory (a 0-d kernel, a sequential loop, control
    flow over tensors) runs in a one-thread launch, consecutive ones together,
    so the host never reads or writes device memory. Calls of the runtime's
    library entry points (`nnm_cuda_*`, from nnm-gpu-library-calls) stay on
    the host, in order between the launches. Captured memrefs with a
    strided layout are passed as their base buffer and rebuilt in the kernel.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads per block">,
  ];
  let dependentDialects = ["mlir::gpu::GPUDialect", "mlir::arith::ArithDialect",
                           "mlir::memref::MemRefDialect", "mlir::scf::SCFDialect"];
}

def GpuLaunchCalls : Pass<"nnm-gpu-launch-calls", "mlir::ModuleOp"> {
  let summary = "Turn gpu.launch_func into calls of the runtime's nnm_cuda_launch";
  let description = [{
    Each `gpu.launch_func` of the graph function becomes a call
    `nnm_cuda_launch(context, kernel, blocks, threads, params)`, where
    `params` points at one 8-byte slot per kernel parameter (the aligned
    pointer of a memref, or a scalar), as the bare-pointer kernel convention
    expects. The kernels' names, in launch index order, become the module
    attribute `nnm.gpu.kernels`. The launch never waits: the runtime enqueues
    on the context's stream.
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect", "mlir::arith::ArithDialect",
                           "mlir::memref::MemRefDialect"];
}

#endif // NNM_PASSES_GPU_PASSES_TD
