"""Times a compiled model against ONNX Runtime on the same inputs and thread count.

    python3 bench/bench.py --nnmodel build/bin/nnmodel [MODEL.onnx ...] [--runs N] [--threads T]

Without models it benchmarks the e2e models (test/e2e/make_models.py). Each model is
compiled with `nnmodel compile --cpu native`, linked into a shared object with the
runtime (ld.lld), loaded with ctypes and called through NAME_v1_run_packed; ONNX Runtime
runs the same inputs with intra_op_num_threads = T. Prints median times and the ratio
(nnmodel / onnxruntime; below 1 means NNModel is faster). Not a test: no target yet.
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
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DTYPES = {"float32": np.float32, "float64": np.float64, "int32": np.int32,
          "int64": np.int64, "bool": np.bool_}


def build_shared(nnmodel, model, work, runtime_lib, linker):
    subprocess.run([nnmodel, "compile", model, "--name", "bench", "--version", "1.0.0",
                    "--cpu", "native", "-o", work], check=True)
    so = os.path.join(work, "libbench.so")
    subprocess.run([linker, "-shared", "-o", so, "--whole-archive",
                    os.path.join(work, "libbench.a"), "--no-whole-archive", runtime_lib],
                   check=True)
    with open(os.path.join(work, "bench.json")) as f:
        return so, json.load(f)


def median_time(fn, runs):
    fn()  # warm up
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench_model(args, model):
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as work:
        so, meta = build_shared(args.nnmodel, model, work, args.runtime_lib, args.linker)
        lib = ctypes.CDLL(so)
        ctx = ctypes.c_void_p()
        if lib.bench_v1_create(None, ctypes.byref(ctx)) != 0:
            raise RuntimeError("bench_v1_create failed")
        ins = {t["name"]: rng.standard_normal(t["shape"]).astype(DTYPES[t["dtype"]])
               for t in meta["inputs"]}
        outs = [np.empty(t["shape"], DTYPES[t["dtype"]]) for t in meta["outputs"]]
        in_ptrs = (ctypes.c_void_p * len(ins))(*[a.ctypes.data for a in ins.values()])
        out_ptrs = (ctypes.c_void_p * len(outs))(*[a.ctypes.data for a in outs])
        run = lib.bench_v1_run_packed
        ours = median_time(lambda: run(ctx, in_ptrs, out_ptrs), args.runs)
        so_opts = ort.SessionOptions()
        so_opts.intra_op_num_threads = args.threads
        so_opts.inter_op_num_threads = 1
        sess = ort.InferenceSession(model, so_opts, providers=["CPUExecutionProvider"])
        theirs = median_time(lambda: sess.run(None, ins), args.runs)
        ref = sess.run(None, ins)
        err = max(float(np.max(np.abs(o - r))) for o, r in zip(outs, ref))
        lib.bench_v1_destroy(ctx)
    name = os.path.basename(model)
    print(f"{name:24s} nnmodel {ours * 1e6:10.1f} us   onnxruntime {theirs * 1e6:10.1f} us   "
          f"ratio {ours / theirs:6.2f}   max|diff| {err:.2e}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="*")
    ap.add_argument("--nnmodel", default=os.path.join(ROOT, "build", "bin", "nnmodel"))
    ap.add_argument("--runtime-lib", default=os.path.join(ROOT, "build", "lib", "libnnmodel_runtime.a"))
    ap.add_argument("--linker", default="ld.lld-22")
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--threads", type=int, default=1,
                    help="ONNX Runtime threads; compiled models run single-threaded today")
    args = ap.parse_args()
    models = args.models
    if not models:
        data = tempfile.mkdtemp(prefix="nnm-bench-")
        subprocess.run([sys.executable, os.path.join(ROOT, "test", "e2e", "make_models.py"), data],
                       check=True, stdout=subprocess.DEVNULL)
        models = [os.path.join(data, m) for m in ("mlp.onnx", "lenet.onnx", "resblock.onnx")]
    print(f"threads={args.threads} runs={args.runs} (median)")
    for m in models:
        bench_model(args, m)


if __name__ == "__main__":
    main()
