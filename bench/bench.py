"""Times compiled models against ONNX Runtime on the same inputs and thread count.

    python3 bench/bench.py [MODEL.onnx ...] [--zoo] [--threads 1,2] [--batch 1,4] [--runs N]

Without models it benchmarks the e2e models (test/e2e/make_models.py); --zoo adds the real
architectures of bench/make_zoo.py (ResNet-18, MobileNetV2). Each model is compiled with
`nnmodel compile --cpu native` (a symbolic batch dimension "N" pinned to each --batch),
linked into a shared object with the runtime (ld.lld), loaded with ctypes and called
through NAME_v1_run_packed with nnm_options.num_threads set; ONNX Runtime runs the same
inputs in the same process with intra_op_num_threads = threads. Every row checks the
outputs (max |diff| / max |reference| <= 1e-4) and prints median times, the ratio nnmodel / onnxruntime (below 1
means NNModel is faster), the compile time and the arena size. Not a test: the machines
are shared and noisy, so it prints ratios measured in one run.
"""
import argparse
import ctypes
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DTYPES = {"float32": np.float32, "float64": np.float64, "int32": np.int32,
          "int64": np.int64, "bool": np.bool_}


class Options(ctypes.Structure):
    """nnm_options from runtime/include/nnmodel/runtime.h."""
    _fields_ = [("struct_size", ctypes.c_uint32), ("num_threads", ctypes.c_int32),
                ("arena", ctypes.c_void_p), ("arena_bytes", ctypes.c_size_t)]


def build_shared(args, model, work, dims):
    cmd = [args.nnmodel, "compile", model, "--name", "bench", "--version", "1.0.0",
           "--cpu", "native", "--kernels", args.kernels, "-q", "-o", work]
    for k, v in dims.items():
        cmd += ["--dim", f"{k}={v}"]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    compile_s = time.perf_counter() - t0
    so = os.path.join(work, "libbench.so")
    # The C compiler driver finds oneDNN and its OpenMP runtime (libgomp).
    subprocess.run([args.cc, "-shared", "-fuse-ld=lld", "-o", so, "-Wl,--whole-archive",
                    os.path.join(work, "libbench.a"), "-Wl,--no-whole-archive", args.runtime_lib,
                    "-ldnnl", "-lgomp", "-lm"], check=True)
    with open(os.path.join(work, "bench.json")) as f:
        return so, json.load(f), compile_s


def write_models(data, e2e=True, zoo=False):
    """Writes the e2e models (and the zoo) into `data`; their paths."""
    models = []
    if e2e:
        subprocess.run([sys.executable, os.path.join(ROOT, "test", "e2e", "make_models.py"),
                        data], check=True, stdout=subprocess.DEVNULL)
        models = [os.path.join(data, m) for m in ("mlp.onnx", "lenet.onnx", "resblock.onnx")]
    if zoo:
        subprocess.run([sys.executable, os.path.join(HERE, "make_zoo.py"), data], check=True,
                       stdout=subprocess.DEVNULL)
        models += [os.path.join(data, m)
                   for m in ("resnet18.onnx", "mobilenetv2.onnx", "bert_encoder.onnx")]
    return models


def median_time(fn, runs):
    fn()  # warm up
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def symbolic_dims(model):
    names = set()
    for vi in onnx.load(model, load_external_data=False).graph.input:
        for d in vi.type.tensor_type.shape.dim:
            if d.HasField("dim_param"):
                names.add(d.dim_param)
    return names


def bench_row(args, model, batch, threads, sessions):
    rng = np.random.default_rng(0)
    dims = {name: batch for name in symbolic_dims(model)}
    with tempfile.TemporaryDirectory() as work:
        so, meta, compile_s = build_shared(args, model, work, dims)
        lib = ctypes.CDLL(so)
        opts = Options(ctypes.sizeof(Options), threads, None, 0)
        ctx = ctypes.c_void_p()
        if lib.bench_v1_create(ctypes.byref(opts), ctypes.byref(ctx)) != 0:
            raise RuntimeError("bench_v1_create failed")
        ins = {t["name"]: rng.standard_normal(t["shape"]).astype(DTYPES[t["dtype"]])
               for t in meta["inputs"]}
        outs = [np.empty(t["shape"], DTYPES[t["dtype"]]) for t in meta["outputs"]]
        in_ptrs = (ctypes.c_void_p * len(ins))(*[a.ctypes.data for a in ins.values()])
        out_ptrs = (ctypes.c_void_p * len(outs))(*[a.ctypes.data for a in outs])
        run = lib.bench_v1_run_packed
        key = (model, threads)
        if key not in sessions:
            so_opts = ort.SessionOptions()
            so_opts.intra_op_num_threads = threads
            so_opts.inter_op_num_threads = 1
            # ORT's idle workers spin by default, and would take a core from the
            # library measured next in this process (and oneDNN's OpenMP workers
            # from ORT): both sides wait passively between runs.
            so_opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
            sessions[key] = ort.InferenceSession(model, so_opts,
                                                 providers=["CPUExecutionProvider"])
        sess = sessions[key]
        # Interleave the two so that machine noise hits both alike.
        ours, theirs = [], []
        for _ in range(args.rounds):
            ours.append(median_time(lambda: run(ctx, in_ptrs, out_ptrs), args.runs))
            theirs.append(median_time(lambda: sess.run(None, ins), args.runs))
        ref = sess.run(None, ins)
        # Normwise relative error: deep networks reorder float sums, so single small
        # logits differ in absolute terms more than their magnitude suggests.
        err = max(float(np.max(np.abs(o - r)) / max(np.max(np.abs(r)), 1e-30))
                  for o, r in zip(outs, ref))
        ok = err <= 1e-4
        lib.bench_v1_destroy(ctx)
    mine, other = statistics.median(ours), statistics.median(theirs)
    name = os.path.splitext(os.path.basename(model))[0]
    print(f"| {name} | {batch if dims else '-'} | {threads} | {mine * 1e3:.3f} | "
          f"{other * 1e3:.3f} | {mine / other:.2f} | {compile_s:.1f} | "
          f"{meta['targets'][0]['arena_bytes'] / 2**20:.2f} | {'ok' if ok else 'MISMATCH'} {err:.1e} |",
          flush=True)
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="*")
    ap.add_argument("--zoo", action="store_true", help="add ResNet-18, MobileNetV2 and a BERT-style encoder")
    ap.add_argument("--nnmodel", default=os.path.join(ROOT, "build", "bin", "nnmodel"))
    ap.add_argument("--runtime-lib",
                    default=os.path.join(ROOT, "build", "lib", "libnnmodel_runtime.a"))
    ap.add_argument("--cc", default="clang-22", help="C compiler that links the shared object")
    ap.add_argument("--kernels", default="auto", choices=["auto", "dnnl", "codegen"],
                    help="nnmodel compile --kernels (default auto, the compiler's default)")
    ap.add_argument("--runs", type=int, default=20, help="runs per median")
    ap.add_argument("--rounds", type=int, default=3,
                    help="interleaved rounds of nnmodel and onnxruntime medians")
    ap.add_argument("--threads", default="1", help="comma-separated thread counts")
    ap.add_argument("--batch", default="1", help="comma-separated batch sizes (symbolic N)")
    args = ap.parse_args()
    models = list(args.models)
    data = tempfile.mkdtemp(prefix="nnm-bench-")
    models += write_models(data, e2e=not models, zoo=args.zoo)
    threads = [int(t) for t in args.threads.split(",")]
    batches = [int(b) for b in args.batch.split(",")]
    print(f"median of {args.runs} runs, {args.rounds} interleaved rounds; times in ms; "
          f"ratio = nnmodel / onnxruntime {ort.__version__}\n")
    print("| model | batch | threads | nnmodel | onnxruntime | ratio | compile s | arena MiB "
          "| outputs (max rel. err) |")
    print("|---|---|---|---|---|---|---|---|---|")
    sessions, ok = {}, True
    for m in models:
        for b in (batches if symbolic_dims(m) else [None]):
            for t in threads:
                ok &= bench_row(args, m, b, t, sessions)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
