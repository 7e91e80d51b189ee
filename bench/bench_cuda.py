#!/usr/bin/env python3
"""The cuda back end on a GPU: model latency, and heavy layers against cuBLAS/cuDNN.

    python3 bench/bench_cuda.py [--zoo] [--batch 1,4] [--runs 50] [--compile-only]

Needs a CUDA device and PyTorch built with CUDA (the lent GPU machines have both); run
`bash scripts/build.sh` first. Two tables:

* models: the e2e models (and with --zoo ResNet-18, MobileNetV2, the BERT-style
  encoder) compiled with `--target cuda --cuda-arch <this GPU's sm>`, run with
  NAME_v1_cuda_run on PyTorch's current stream with device buffers, timed with CUDA
  events (median of --rounds medians of --runs runs), outputs checked against ONNX
  Runtime on the CPU (max |difference| / max |reference| <= 1e-3);
* layers: single-op models of the GEMM- and convolution-heavy layers of the zoo
  (BERT's projections and FFN, ResNet-18's 3x3 convolutions), each compiled the same
  way and timed against the same op through PyTorch, i.e. cuBLAS (torch.matmul) and
  cuDNN (conv2d, cudnn.benchmark on), both with TF32 off as NNModel computes in f32.
  `fraction` = library time / NNModel time: 1.0 is the library's throughput, the
  target is >= 0.8.

--compile-only compiles every model and links its shared object, then stops: it needs
neither a GPU nor PyTorch, and checks the script's first half on any machine.
It is a benchmark, not a test: nothing here is timed in CI.
"""
import argparse
import ctypes
import json
import os
import statistics
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from bench import DTYPES, symbolic_dims, write_models  # noqa: E402  (one definition of each)


class CudaOptions(ctypes.Structure):
    """nnm_cuda_options from runtime/include/nnmodel/cuda.h."""
    _fields_ = [("struct_size", ctypes.c_uint32), ("device", ctypes.c_int32),
                ("stream", ctypes.c_void_p), ("arena", ctypes.c_void_p),
                ("arena_bytes", ctypes.c_size_t)]


# The heavy layers: (name, op, shapes). MatMul: x[M, K] @ W[K, N]. Conv: x[N, C, H, W],
# W[F, C, k, k], stride 1, pads k // 2.
def layer_specs(batch):
    m = 128 * batch  # the encoder's rows: batch x sequence 128
    specs = []
    for k, n, what in ((256, 256, "q/k/v/out projection"), (256, 1024, "FFN up"),
                       (1024, 256, "FFN down")):
        specs.append((f"matmul {m}x{k}x{n} ({what})", "MatMul", (m, k, n)))
    for c, hw in ((64, 56), (128, 28), (256, 14), (512, 7)):
        specs.append((f"conv 3x3 {c}->{c} on {hw}x{hw}, batch {batch}", "Conv",
                      (batch, c, hw, c, 3)))
    return specs


def layer_model(op, shape, path, seed=7):
    """A one-node model with seeded random weights; returns the input's shape."""
    rng = np.random.default_rng(seed)
    if op == "MatMul":
        m, k, n = shape
        w = (rng.standard_normal((k, n)) / np.sqrt(k)).astype(np.float32)
        node = helper.make_node("MatMul", ["x", "w"], ["y"])
        x_shape, y_shape = [m, k], [m, n]
    else:
        b, c, hw, f, k = shape
        w = (rng.standard_normal((f, c, k, k)) / np.sqrt(c * k * k)).astype(np.float32)
        node = helper.make_node("Conv", ["x", "w"], ["y"], pads=[k // 2] * 4)
        x_shape, y_shape = [b, c, hw, hw], [b, f, hw, hw]
    graph = helper.make_graph(
        [node], "layer", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)],
        [numpy_helper.from_array(w, "w")])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return w


def compile_cuda(args, model, work, dims, arch):
    """nnmodel compile --target cuda, then a shared object of it and the runtime."""
    cmd = [args.nnmodel, "compile", model, "--name", "bench", "--version", "1.0.0",
           "--target", "cuda", "--cuda-arch", arch, "-q", "-o", work]
    for k, v in dims.items():
        cmd += ["--dim", f"{k}={v}"]
    subprocess.run(cmd, check=True)
    so = os.path.join(work, "libbench.so")
    subprocess.run([args.cc, "-shared", "-fuse-ld=lld", "-o", so, "-Wl,--whole-archive",
                    os.path.join(work, "libbench.a"), "-Wl,--no-whole-archive",
                    args.runtime_lib, "-ldnnl", "-lgomp", "-ldl", "-lm"], check=True)
    with open(os.path.join(work, "bench.json")) as f:
        return so, json.load(f)


def event_median(torch, fn, runs, rounds):
    """Median over `rounds` of the mean time of `runs` back-to-back calls (ms)."""
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(rounds):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(runs):
            fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) / runs)
    return statistics.median(times)


class CudaModel:
    """A compiled cuda model on PyTorch's current stream, with device buffers."""

    def __init__(self, torch, so, meta):
        self.lib = ctypes.CDLL(so)
        self.torch = torch
        stream = torch.cuda.current_stream().cuda_stream
        opts = CudaOptions(ctypes.sizeof(CudaOptions), torch.cuda.current_device(), stream,
                           None, 0)
        self.ctx = ctypes.c_void_p()
        status = self.lib.bench_v1_cuda_create(ctypes.byref(opts), ctypes.byref(self.ctx))
        if status != 0:
            raise RuntimeError(f"bench_v1_cuda_create returned status {status}")
        self.meta = meta
        n = len(meta["inputs"]) + len(meta["outputs"])
        self.run_fn = self.lib.bench_v1_cuda_run
        self.run_fn.argtypes = [ctypes.c_void_p] + [ctypes.c_void_p] * n
        self.run_fn.restype = ctypes.c_int
        self.outputs = [torch.empty(t["shape"], dtype=getattr(torch, t["dtype"]), device="cuda")
                        for t in meta["outputs"]]

    def bind(self, inputs):
        self.inputs = [self.torch.from_numpy(np.ascontiguousarray(a)).cuda() for a in inputs]
        self.pointers = [t.data_ptr() for t in self.inputs + self.outputs]

    def run(self):
        status = self.run_fn(self.ctx, *self.pointers)
        if status != 0:
            raise RuntimeError(f"bench_v1_cuda_run returned status {status}")

    def close(self):
        self.torch.cuda.synchronize()
        self.lib.bench_v1_cuda_destroy(self.ctx)


def rel_error(got, want):
    scale = float(np.max(np.abs(want))) or 1.0
    return float(np.max(np.abs(got.astype(np.float64) - want))) / scale


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--zoo", action="store_true", help="add ResNet-18, MobileNetV2, BERT")
    ap.add_argument("--nnmodel", default=os.path.join(ROOT, "build", "bin", "nnmodel"))
    ap.add_argument("--runtime-lib",
                    default=os.path.join(ROOT, "build", "lib", "libnnmodel_runtime.a"))
    ap.add_argument("--cc", default="clang-22")
    ap.add_argument("--arch", help="sm_XY to compile for (default: the GPU's own)")
    ap.add_argument("--batch", default="1", help="comma-separated batch sizes")
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--compile-only", action="store_true")
    args = ap.parse_args()
    batches = [int(b) for b in args.batch.split(",")]

    torch = None
    if not args.compile_only:
        try:
            import torch  # noqa: F811
        except ImportError:
            print("bench_cuda: PyTorch is not installed (use --compile-only here)")
            return 2
        if not torch.cuda.is_available():
            print("bench_cuda: no CUDA device (use --compile-only here)")
            return 2
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.benchmark = True
    arch = args.arch
    if not arch:
        major, minor = torch.cuda.get_device_capability() if torch else (9, 0)
        arch = f"sm_{major}{minor}"

    data_dir = tempfile.TemporaryDirectory(prefix="nnm-bench-cuda-")
    data = data_dir.name
    models = write_models(data, zoo=args.zoo)
    if torch:
        print(f"device: {torch.cuda.get_device_name()} ({arch}); times in ms, CUDA events\n")
        import onnxruntime as ort

    print("| model | batch | nnmodel cuda ms | outputs (max rel. err vs ORT CPU) |")
    print("|---|---|---|---|")
    ok = True
    rng = np.random.default_rng(0)
    for m in models:
        for b in (batches if symbolic_dims(m) else [None]):
            dims = {name: b for name in symbolic_dims(m)}
            with tempfile.TemporaryDirectory() as work:
                so, meta = compile_cuda(args, m, work, dims, arch)
                name = os.path.basename(m)[:-5]
                if not torch:
                    print(f"| {name} | {b or '-'} | (compiled) | - |")
                    continue
                inputs = [rng.standard_normal(t["shape"]).astype(DTYPES[t["dtype"]])
                          for t in meta["inputs"]]
                model = CudaModel(torch, so, meta)
                model.bind(inputs)
                ms = event_median(torch, model.run, args.runs, args.rounds)
                torch.cuda.synchronize()
                got = [t.cpu().numpy() for t in model.outputs]
                model.close()
                sess = ort.InferenceSession(m, providers=["CPUExecutionProvider"])
                feed = {t["name"]: a for t, a in zip(meta["inputs"], inputs)}
                want = sess.run(None, feed)
                err = max(rel_error(g, w) for g, w in zip(got, want))
                ok &= err <= 1e-3
                print(f"| {name} | {b or '-'} | {ms:.3f} | {'ok' if err <= 1e-3 else 'MISMATCH'} "
                      f"{err:.1e} |")

    print("\n| layer | nnmodel ms | library ms | fraction (library / nnmodel) |")
    print("|---|---|---|---|")
    for b in batches:
        for title, op, shape in layer_specs(b):
            with tempfile.TemporaryDirectory() as work:
                path = os.path.join(work, "layer.onnx")
                w = layer_model(op, shape, path)
                so, meta = compile_cuda(args, path, os.path.join(work, "out"), {}, arch)
                if not torch:
                    print(f"| {title} | (compiled) | - | - |")
                    continue
                x = rng.standard_normal(meta["inputs"][0]["shape"]).astype(np.float32)
                model = CudaModel(torch, so, meta)
                model.bind([x])
                ours = event_median(torch, model.run, args.runs, args.rounds)
                xt, wt = model.inputs[0], torch.from_numpy(w).cuda()
                if op == "MatMul":
                    lib_ms = event_median(torch, lambda: torch.matmul(xt, wt), args.runs,
                                          args.rounds)
                    want = torch.matmul(xt, wt)
                else:
                    conv = torch.nn.functional.conv2d
                    lib_ms = event_median(torch, lambda: conv(xt, wt, padding=shape[4] // 2),
                                          args.runs, args.rounds)
                    want = conv(xt, wt, padding=shape[4] // 2)
                torch.cuda.synchronize()
                err = rel_error(model.outputs[0].cpu().numpy(), want.cpu().numpy())
                model.close()
                ok &= err <= 1e-3
                print(f"| {title} | {ours:.3f} | {lib_ms:.3f} | {lib_ms / ours:.2f}"
                      f"{'' if err <= 1e-3 else f' (MISMATCH {err:.1e})'} |")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
