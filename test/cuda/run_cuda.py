#!/usr/bin/env python3
"""The cuda back end without (and with) a GPU.

Compiles the e2e models (test/e2e/make_models.py) with --target cpu --target cuda
(one library with both) and checks:
  * every embedded cubin is a CUDA ELF for its architecture (cuobjdump -lelf);
  * two compiles of one model give byte-identical libraries;
  * on the runtime tests' fake driver, cuBLAS and cuDNN (--fake-driver, --fake-cublas,
    --fake-cudnn), generated libraries attach their handles at create and hand their
    matrix products to cuBLAS and convolutions to cuDNN with the right arguments
    (app_fakes.c);
  * the libraries link into a C and a C++ program with the runtime alone (no CUDA
    library at link time), whose CPU contexts match the ONNX Runtime outputs and
    whose CUDA contexts report NNM_NO_DEVICE cleanly without a GPU; with one, every
    model runs on the device against the ONNX Runtime outputs too (app.cpp).

    run_cuda.py --nnmodel BIN --runtime-lib LIB --runtime-include DIR --cc CC --cxx CXX
                --work DIR [--require-device]

--require-device (ctest cuda.device, label cuda-device) exits 77, a skip, when the
machine has no CUDA device.
"""
import argparse
import glob
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from checks import Checks, run_logged, describe  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = ["mlp", "lenet", "resblock"]
ARCHS = ["sm_80", "sm_90"]
EM_CUDA = 190


def find_cuobjdump():
    """cuobjdump from PATH, the toolkit, or the nvidia-cuda-cuobjdump wheel."""
    candidates = [shutil.which("cuobjdump"), "/usr/local/cuda/bin/cuobjdump"]
    try:
        import nvidia  # the wheel's namespace package
        for base in nvidia.__path__:
            candidates += glob.glob(os.path.join(base, "cu*", "bin", "cuobjdump"))
    except ImportError:
        pass
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


def elf_machine(data):
    """e_machine of a 64-bit little-endian ELF, or None."""
    if len(data) < 20 or data[:4] != b"\x7fELF":
        return None
    return int.from_bytes(data[18:20], "little")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nnmodel", required=True)
    ap.add_argument("--runtime-lib", required=True)
    ap.add_argument("--runtime-include", required=True)
    ap.add_argument("--cc", default="clang-22")
    ap.add_argument("--cxx", default="clang++-22")
    ap.add_argument("--work", required=True)
    ap.add_argument("--require-device", action="store_true")
    ap.add_argument("--fake-driver", help="the runtime tests' fake libcuda (FakeCudaDriver.c)")
    ap.add_argument("--fake-cublas", help="the runtime tests' fake libcublas (FakeCublas.c)")
    ap.add_argument("--fake-cudnn", help="the runtime tests' fake libcudnn (FakeCudnn.c)")
    args = ap.parse_args()

    shutil.rmtree(args.work, ignore_errors=True)
    data = os.path.join(args.work, "data")
    os.makedirs(data)
    c = Checks()
    rc, out, err = run_logged([sys.executable, os.path.join(HERE, "..", "e2e", "make_models.py"),
                               data], 600)
    if not c.check(rc == 0, "reference models", describe(rc, err)):
        return 1

    cuobjdump = find_cuobjdump()
    c.check(cuobjdump is not None, "cuobjdump found",
            "install it with scripts/setup.sh (pip package nvidia-cuda-cuobjdump)")
    arch_flag = "--cuda-arch=" + ",".join(ARCHS)
    for name in MODELS:
        onnx = os.path.join(data, name + ".onnx")
        base = [args.nnmodel, "compile", onnx, "--name", name, "--version", "1.0.0",
                "--target", "cpu", "--target", "cuda", "--cuda-arch", ",".join(ARCHS), "-q"]
        rc, _, err = run_logged(base + ["-o", os.path.join(args.work, name)], 600)
        c.check(rc == 0, f"{name} compiles for cpu and cuda", describe(rc, err))
        rc, _, err = run_logged(base + ["-o", os.path.join(args.work, name + "-again")], 600)
        same = rc == 0 and all(
            open(os.path.join(args.work, name, f), "rb").read() ==
            open(os.path.join(args.work, name + "-again", f), "rb").read()
            for f in ("lib" + name + ".a", name + ".h", name + ".json"))
        c.check(same, f"{name}: two compiles give byte-identical .a, .h and .json")
        obj_dir = os.path.join(args.work, name + "-obj")
        rc, _, err = run_logged(base + ["--emit", "obj", "-o", obj_dir], 600)
        c.check(rc == 0, f"{name} --emit obj", describe(rc, err))
        for arch in ARCHS:
            cubin = os.path.join(obj_dir, f"{name}.{arch}.cubin")
            blob = open(cubin, "rb").read() if os.path.exists(cubin) else b""
            c.check(elf_machine(blob) == EM_CUDA, f"{name}.{arch}.cubin is a CUDA ELF",
                    f"{len(blob)} bytes")
            if cuobjdump:
                rc, out, err = run_logged([cuobjdump, "-lelf", cubin], 60)
                c.check(rc == 0 and arch in out, f"cuobjdump: {name}.{arch}.cubin is {arch}",
                        (out + err).strip())
            # The library embeds exactly these bytes.
            lib = os.path.join(args.work, name, "lib" + name + ".a")
            embedded = os.path.exists(lib) and blob and blob in open(lib, "rb").read()
            c.check(bool(embedded), f"lib{name}.a embeds the {arch} cubin")

    inc = ["-I", args.work, "-I", args.runtime_include]
    libs = [os.path.join(args.work, n, "lib" + n + ".a") for n in MODELS]
    link = [args.runtime_lib, "-ldnnl", "-lgomp", "-lpthread", "-ldl", "-lm"]
    app_c = os.path.join(args.work, "app_c")
    rc, _, err = run_logged([args.cc, "-std=c11", "-Wall", "-Werror", *inc,
                             os.path.join(HERE, "app_c.c"), libs[0], *link, "-o", app_c], 300)
    if c.check(rc == 0, "a C program links a cpu+cuda library", describe(rc, err)):
        rc, out, err = run_logged([app_c], 120)
        print(out, end="")
        c.check(rc == 0, "the C program runs on the CPU and gets NNM_NO_DEVICE or a context",
                describe(rc, err))
    if args.fake_driver and args.fake_cublas and args.fake_cudnn:
        app_fakes = os.path.join(args.work, "app_fakes")
        fakes_inc = os.path.join(HERE, "..", "..", "runtime", "test")
        rc, _, err = run_logged([args.cc, "-std=c11", "-Wall", "-Werror", *inc, "-I", fakes_inc,
                                 os.path.join(HERE, "app_fakes.c"), libs[0], libs[1], *link,
                                 "-o", app_fakes], 300)
        if c.check(rc == 0, "a C program for the fake driver and cuBLAS links",
                   describe(rc, err)):
            env = dict(os.environ, NNM_CUDA_DRIVER=args.fake_driver,
                       NNM_CUBLAS_LIBRARY=args.fake_cublas, NNM_CUDNN_LIBRARY=args.fake_cudnn)
            rc, out, err = run_logged([app_fakes], 120, env=env)
            print(out, end="")
            c.check(rc == 0, "generated libraries drive the fake driver, cuBLAS and cuDNN",
                    describe(rc, err))
    app = os.path.join(args.work, "app")
    rc, _, err = run_logged([args.cxx, "-std=c++17", "-Wall", "-Werror", *inc,
                             os.path.join(HERE, "app.cpp"), *libs, *link, "-o", app], 300)
    status = 0
    if c.check(rc == 0, "a C++ program links three cpu+cuda libraries", describe(rc, err)):
        cmd = [app, data] + (["--require-device"] if args.require_device else [])
        rc, out, err = run_logged(cmd, 600)
        print(out, end="")
        if rc == 77:
            status = 77
        else:
            c.check(rc == 0, "the C++ program's checks", describe(rc, err))
    print(f"{c.passed} passed, {c.failed} failed")
    if c.failed:
        return 1
    return status


if __name__ == "__main__":
    sys.exit(main())
