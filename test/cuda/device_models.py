#!/usr/bin/env python3
"""Real models and the zoo on a CUDA device, against ONNX Runtime on the CPU.

    device_models.py --nnmodel BIN --runtime-lib LIB --cc CC --work DIR

Compiles, with --target cuda for the device's own architecture:
  * the six models of test/models/make_real_models.py (BERT with embeddings, GPT-2
    block, U-Net, LSTM, QDQ CNN, float16 net) and checks each output against the
    reference data there: |got - want| <= atol + rtol |want|, the manifest's
    tolerances but at least rtol 1e-3, atol 1e-4 (float16: rtol 1e-2);
  * ResNet-18, MobileNetV2 and the BERT-style encoder of bench/make_zoo.py at batch 1,
    checked against ONNX Runtime at |got - want| <= 1e-3 * max |want| (rtol 1e-3 in f32);
links each into a shared object with the runtime and runs it through
NAME_v1_cuda_run_host (host buffers in and out, one context). Exit 77 (a skip) when
the machine has no CUDA device: this is ctest cuda.device-models, label cuda-device.
"""
import argparse
import ctypes
import json
import os
import shutil
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from checks import Checks, describe, run_logged  # noqa: E402

DTYPES = {"float32": np.float32, "float16": np.float16, "int64": np.int64, "int32": np.int32,
          "bool": np.bool_, "uint8": np.uint8, "int8": np.int8, "float64": np.float64}


def device_arch(runtime_so):
    """sm_XY of device 0 through the runtime's own driver loading, or None."""
    lib = ctypes.CDLL(runtime_so)
    count = ctypes.c_int32(0)
    if lib.nnm_cuda_device_count(ctypes.byref(count)) != 0 or count.value < 1:
        return None
    # Ask the driver the runtime loaded (NNM_CUDA_DRIVER names another, as there)
    # for the compute capability.
    cuda = ctypes.CDLL(os.environ.get("NNM_CUDA_DRIVER") or "libcuda.so.1")
    major, minor = ctypes.c_int(), ctypes.c_int()
    if cuda.cuDeviceGetAttribute(ctypes.byref(major), 75, 0) or \
            cuda.cuDeviceGetAttribute(ctypes.byref(minor), 76, 0):
        return None
    return f"sm_{major.value}{minor.value}"


def build(args, onnx, work, arch, dims=()):
    """Compiles `onnx` for cuda and links a shared object; (so, metadata) or None."""
    cmd = [args.nnmodel, "compile", onnx, "--name", "m", "--version", "1.0.0", "--target",
           "cuda", "--cuda-arch", arch, "-q", "-o", work]
    for d in dims:
        cmd += ["--dim", d]
    rc, _, err = run_logged(cmd, 900)
    if rc != 0:
        return None, describe(rc, err)
    so = os.path.join(work, "libm.so")
    rc, _, err = run_logged([args.cc, "-shared", "-fuse-ld=lld", "-o", so,
                             "-Wl,--whole-archive", os.path.join(work, "libm.a"),
                             "-Wl,--no-whole-archive", args.runtime_lib, "-ldnnl", "-lgomp",
                             "-ldl", "-lm"], 300)
    if rc != 0:
        return None, describe(rc, err)
    with open(os.path.join(work, "m.json")) as f:
        return (so, json.load(f)), ""


def run_on_device(so, meta, inputs):
    """One run_host on a fresh context; the outputs, or raises with the status."""
    lib = ctypes.CDLL(so)
    ctx = ctypes.c_void_p()
    status = lib.m_v1_cuda_create(None, ctypes.byref(ctx))
    if status != 0:
        raise RuntimeError(f"m_v1_cuda_create returned {status}")
    try:
        outputs = [np.empty(t["shape"], DTYPES[t["dtype"]]) for t in meta["outputs"]]
        arrays = [np.ascontiguousarray(a) for a in inputs] + outputs
        run = lib.m_v1_cuda_run_host
        run.argtypes = [ctypes.c_void_p] + [ctypes.c_void_p] * len(arrays)
        status = run(ctx, *[a.ctypes.data for a in arrays])
        if status != 0:
            raise RuntimeError(f"m_v1_cuda_run_host returned {status}")
        return outputs
    finally:
        lib.m_v1_cuda_destroy(ctx)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nnmodel", required=True)
    ap.add_argument("--runtime-lib", required=True)
    ap.add_argument("--cc", default="clang-22")
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)

    # The runtime alone as a shared object, to ask for a device.
    probe = os.path.join(args.work, "libprobe.so")
    rc, _, err = run_logged([args.cc, "-shared", "-fuse-ld=lld", "-o", probe,
                             "-Wl,--whole-archive", args.runtime_lib, "-Wl,--no-whole-archive",
                             "-ldnnl", "-lgomp", "-ldl", "-lm"], 300)
    if rc != 0:
        print("cannot link the runtime probe: " + describe(rc, err))
        return 1
    arch = device_arch(probe)
    if not arch:
        print("no CUDA device: skipped")
        return 77
    print(f"device 0: {arch}")

    c = Checks()
    real = os.path.join(args.work, "real")
    rc, _, err = run_logged([sys.executable, os.path.join(ROOT, "test", "models",
                                                          "make_real_models.py"), real], 900)
    if c.check(rc == 0, "real models and their references", describe(rc, err)):
        with open(os.path.join(real, "manifest.json")) as f:
            manifest = json.load(f)
        for name, entry in manifest.items():
            built, why = build(args, os.path.join(real, name + ".onnx"),
                               os.path.join(args.work, "out-" + name), arch)
            if not c.check(built is not None, f"{name} compiles for cuda", why):
                continue
            so, meta = built
            inputs = [np.load(os.path.join(real, f"{name}.{t}.npy")) for t in entry["inputs"]]
            try:
                got = run_on_device(so, meta, inputs)
            except RuntimeError as e:
                c.check(False, f"{name} runs on the device", str(e))
                continue
            # The CPU's tolerances, loosened to the rtol 1e-3 for the GPU's
            # other summation orders (cuBLAS, per-thread reductions).
            rtol, atol = max(entry["rtol"], 1e-3), max(entry["atol"], 1e-4)
            for t, g in zip(entry["outputs"], got):
                want = np.load(os.path.join(real, f"{name}.{t}.npy")).astype(np.float64)
                diff = np.abs(g.astype(np.float64) - want)
                c.check(bool(np.all(diff <= atol + rtol * np.abs(want))),
                        f"{name}.{t} matches ONNX Runtime (rtol {rtol}, atol {atol})",
                        f"max abs err {float(diff.max()):.3g}")

    import onnxruntime as ort
    zoo = os.path.join(args.work, "zoo")
    rc, _, err = run_logged([sys.executable, os.path.join(ROOT, "bench", "make_zoo.py"), zoo],
                            900)
    if c.check(rc == 0, "the zoo", describe(rc, err)):
        rng = np.random.default_rng(0)
        for name in ("resnet18", "mobilenetv2", "bert_encoder"):
            path = os.path.join(zoo, name + ".onnx")
            built, why = build(args, path, os.path.join(args.work, "out-" + name), arch,
                               ["N=1"])
            if not c.check(built is not None, f"{name} compiles for cuda", why):
                continue
            so, meta = built
            inputs = [rng.standard_normal(t["shape"]).astype(DTYPES[t["dtype"]])
                      for t in meta["inputs"]]
            try:
                got = run_on_device(so, meta, inputs)
            except RuntimeError as e:
                c.check(False, f"{name} runs on the device", str(e))
                continue
            sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
            want = sess.run(None, {t["name"]: a for t, a in zip(meta["inputs"], inputs)})
            for t, g, w in zip(meta["outputs"], got, want):
                scale = float(np.max(np.abs(w))) or 1.0
                err = float(np.max(np.abs(g.astype(np.float64) - w))) / scale
                c.check(err <= 1e-3, f"{name}.{t['name']} matches ONNX Runtime (rtol 1e-3)",
                        f"max error / max |reference| {err:.2e}")
    print(f"{c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
