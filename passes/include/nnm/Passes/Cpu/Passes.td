//===- Passes.td - Passes of the CPU back end ---------------*- tablegen -*-===//
#ifndef NNM_PASSES_CPU_PASSES_TD
#define NNM_PASSES_CPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def CpuFuseElementwise : Pass<"nnm-cpu-fuse-elementwise", "mlir::func::FuncOp"> {
  let summary = "Fuse elementwise producers into their consumers, with bounded bodies";
  let description = [{
    Upstream elementwise fusion (and reshape propagation by expansion) with a
    cost control: a producer with one use is fused only while the fused body
    stays within `max-body-ops` operations. Unbounded fusion clones ever
    larger bodies: a chain of n elementwise ops costs O(n^2) to compile (4,000
    nodes took 14 s in linalg-fuse-elementwise-ops) and ends in one huge loop
    body; with the bound each fusion costs O(1) and compile time is linear.
  }];
  let options = [
    Option<"maxBodyOps", "max-body-ops", "int64_t", /*default=*/"64",
           "Largest number of operations in a fused op's body">,
  ];
  let dependentDialects = ["mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect"];
}

def CpuLoopOrder : Pass<"nnm-cpu-loop-order", "mlir::func::FuncOp"> {
  let summary = "Order the loops of contractions, convolutions and pools for vector code";
  let description = [{
    Makes the loop that walks the output's last (contiguous) dimension the
    innermost one, with the reduction loops just outside it, whenever an input
    walks that same loop in its last dimension too: matmul becomes (m, k, n),
    an NCHW convolution (n, f, oh, c, kh, kw, ow). The inner loop then reads
    and writes consecutive elements with loop-invariant weights, which LLVM
    turns into vector FMAs, instead of a short reduction over the kernel
    window. Named convolutions and pools are generalized first. Elementwise
    ops and reductions over the last input dimension keep their order.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def CpuConvChannelsLast : Pass<"nnm-cpu-conv-channels-last", "mlir::func::FuncOp"> {
  let summary = "Compute NCHW convolutions with constant filters channels-last";
  let description = [{
    Rewrites `linalg.conv_2d_nchw_fchw` whose filter is a constant into a
    `linalg.generic` that accumulates `y'[n, oh, ow, f] += x[n, c, ...] *
    w'[c, kh, kw, f]` (the filter transposed at compile time), followed by a
    `linalg.transpose` back to NCHW. With nnm-cpu-loop-order the innermost loop
    then runs over the output channels, which are many (64 to 2048) whatever the
    image size, so small late-stage feature maps (14x14, 7x7) vectorize as well
    as large ones. Applied when the output channels are at least as many as the
    pixels of an output row, or when the convolution is strided (a gather along
    the row) with at least 64 output channels.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::linalg::LinalgDialect",
                           "mlir::tensor::TensorDialect"];
}

#endif // NNM_PASSES_CPU_PASSES_TD
