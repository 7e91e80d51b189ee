//===- Passes.td - Calling convention and memory planning ---*- tablegen -*-===//
#ifndef NNM_PASSES_MEMORY_PASSES_TD
#define NNM_PASSES_MEMORY_PASSES_TD

include "mlir/Pass/PassBase.td"

def MemrefAbi : Pass<"nnm-memref-abi", "mlir::ModuleOp"> {
  let summary = "Give tensor-typed graph functions the (inputs, outputs) memref calling convention";
  let description = [{
    `(tensor inputs) -> (tensor results)` becomes `(memref inputs, memref
    outputs, !llvm.ptr context) -> ()`: the context is the run's runtime
    context (thread pool, kernel-library handles, later a CUDA stream). Inputs are wrapped in `bufferization.to_tensor restrict`
    and results are written with `bufferization.materialize_in_destination`,
    so one-shot bufferization lets the last producers write straight into the
    caller's buffers. Every type must be a static tensor. The result types are
    kept as the function attribute `nnm.result_types`: the signature the
    generated header publishes.
  }];
  let dependentDialects = ["mlir::bufferization::BufferizationDialect",
                           "mlir::LLVM::LLVMDialect", "mlir::memref::MemRefDialect"];
}

def CopyToLinalg : Pass<"nnm-copy-to-linalg", "mlir::func::FuncOp"> {
  let summary = "Rewrite memref.copy as linalg.copy so it lowers to loops";
  let description = [{
    Bufferization emits `memref.copy`; a strided copy would become a call into
    MLIR's C runner library, which a generated model must not need. As
    `linalg.copy` it lowers like every other kernel.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def ArenaPlan : Pass<"nnm-arena-plan", "mlir::func::FuncOp"> {
  let summary = "Place static allocations at compile-time offsets of one arena argument";
  let description = [{
    Computes the live range of every static `memref.alloc` in the function
    body, packs buffers whose ranges do not overlap into the same bytes
    (largest first, first fit, 64-byte alignment) and replaces each allocation
    with a `memref.view` into a new trailing `memref<Nxi8>` argument. The arena
    size is recorded as the function attribute `nnm.arena_bytes`; a run
    allocates nothing.
  }];
  let options = [
    Option<"alignment", "alignment", "int64_t", /*default=*/"64",
           "Alignment in bytes of every buffer and of the arena size">,
  ];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::memref::MemRefDialect"];
}

#endif // NNM_PASSES_MEMORY_PASSES_TD
