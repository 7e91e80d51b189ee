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
    Option<"keepContractions", "keep-contractions", "bool", /*default=*/"false",
           "Fuse nothing into ops with reduction loops (a back end hands them to a "
           "library, which takes plain operands)">,
  ];
  let dependentDialects = ["mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect"];
}

def CpuMathApprox : Pass<"nnm-cpu-math-approx", "mlir::func::FuncOp"> {
  let summary = "Replace f32 transcendental calls by inline polynomial approximations";
  let description = [{
    math.erf, exp, expm1, log, log1p, log2 and tanh on f32 (scalars and
    vectors) become MLIR's polynomial approximations: straight-line arith code
    that LLVM's loop vectorizer turns into vector code, where a libm call
    (erff, expf) keeps the loop scalar. GELU's Erf took 20% of a BERT-style
    encoder's time as a libm call. sin/cos are left alone (their approximation
    loses accuracy far from 0). Other element types keep the libm/LLVM lowering.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::math::MathDialect",
                           "mlir::vector::VectorDialect"];
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
    ops and reductions over the last input dimension keep their order. A
    contraction whose only way to such an order is a constant matrix read
    transposed (Gemm with transB = 1) gets that constant transposed at compile
    time (up to 1 MiB), instead of an inner loop that is one serial chain of
    adds.
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

def CpuDnnlSelect : Pass<"nnm-cpu-dnnl-select", "mlir::func::FuncOp"> {
  let summary = "Hand convolutions, matrix products and pools to oneDNN, with fused post-ops";
  let description = [{
    On the typed ONNX level: each f32 2-D Conv with constant weights, MatMul
    or Gemm with a constant right-hand side, of at least `min-macs`
    multiply-adds, becomes one `nnm.dnnl_kernel` op together with the
    single-use chain after it that oneDNN applies as post-ops (the bias of a
    MatMul + Add, Relu, LeakyRelu, Clip, Sigmoid, Tanh, HardSwish, Elu, Gelu,
    one residual Add as a sum). MaxPool, AveragePool and the global pools of a
    kernel's result join too. The op carries the kernel descriptor of
    `nnmodel/kernels.h`, its operands' roles and the scratchpad bytes oneDNN
    reports for it on the compiling machine; an op oneDNN has no primitive for
    stays with generated code. Convolutions and pools run channels-last: the
    op sits between two onnx.Transpose ops, which nnm-onnx-optimize cancels
    along chains of kernels. Does nothing when the module's `nnm.target` asks
    for other kernels (`--kernels codegen`).
  }];
  let options = [
    Option<"minMacs", "min-macs", "int64_t", /*default=*/"32768",
           "Smallest convolution or matrix product (multiply-adds) worth a library call">,
  ];
}

def CpuDnnlCalls : Pass<"nnm-cpu-dnnl-calls", "mlir::ModuleOp"> {
  let summary = "Lower nnm.dnnl_kernel ops to calls of the runtime's kernel table";
  let description = [{
    After nnm-memref-abi, before bufferization. Each `nnm.dnnl_kernel` becomes
    an arena buffer for its result and one for its scratchpad, a call
    `nnm_kernel_run(context, index, src, sum, dst, workspace)` on raw
    pointers, and a `bufferization.to_tensor` of the result. Constant weights
    and biases become private memref.globals, and the module attribute
    `nnm.kernels` lists each kernel's descriptor, globals and workspace bytes:
    serialization turns it into the table that the model's create function
    hands to the runtime (primitives and weight reorders happen there, once
    per model).
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::bufferization::BufferizationDialect",
                           "mlir::func::FuncDialect", "mlir::LLVM::LLVMDialect",
                           "mlir::memref::MemRefDialect"];
}

def CpuParallelOutline : Pass<"nnm-cpu-parallel-outline", "mlir::ModuleOp"> {
  let summary = "Move large generated kernels into functions that threads split";
  let description = [{
    After the arena plan. Each top-level linalg op of a graph function with at
    least `min-work` loop iterations and a parallel loop that every operand
    indexes plainly (an operand dimension is exactly that loop, or the loop
    does not index the operand; every output is indexed by it) moves into a
    private function `__nnm_par<N>(lo, hi, operands...)` that runs the op on
    the slice [lo, hi) of that loop, through subviews. The graph calls it for
    the whole range; serialization turns the call into
    `nnm_parallel_for(context, task, arguments, range)`, which splits the range
    over the context's `num_threads` (the OpenMP pool oneDNN uses). Slices
    write disjoint parts of the outputs: results do not depend on the thread
    count. Constants the op uses from outside are cloned into the function.
  }];
  let options = [
    Option<"minWork", "min-work", "int64_t", /*default=*/"16384",
           "Fewest loop iterations worth splitting across threads">,
  ];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::func::FuncDialect",
                           "mlir::memref::MemRefDialect"];
}

#endif // NNM_PASSES_CPU_PASSES_TD
