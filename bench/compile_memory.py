#!/usr/bin/env python3
"""Peak memory and time of `nnmodel compile` on a VGG-19-sized model.

    python3 bench/compile_memory.py [--nnmodel build/bin/nnmodel] [--kernels auto]

Builds VGG-19 with seeded random weights (bench/make_zoo.py, 548 MiB of f32 weights),
compiles it for batch 1 and prints the weight bytes, the compiler's peak resident set
(its own ru_maxrss, from wait4) and the budget the performance issue sets: 3x the weight bytes
plus 1 GiB. A measurement, not a test.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nnmodel", default=os.path.join(HERE, "..", "build", "bin", "nnmodel"))
    ap.add_argument("--kernels", default="auto", choices=["auto", "dnnl", "codegen"])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="nnm-vgg19-") as work:
        model = os.path.join(work, "vgg19.onnx")
        # Built in a child: a parent holding the model would lend its pages to the
        # forked compiler until exec, and ru_maxrss would count them.
        subprocess.run([sys.executable, "-c", "import sys, onnx, make_zoo; "
                        "onnx.save(make_zoo.vgg19(), sys.argv[1])", model],
                       check=True, cwd=HERE)
        t0 = time.perf_counter()
        proc = subprocess.Popen([args.nnmodel, "compile", model, "--name", "vgg19", "--dim",
                                 "N=1", "--kernels", args.kernels, "-q", "-o",
                                 os.path.join(work, "out")])
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak, nobody else's
        seconds = time.perf_counter() - t0
        if status != 0:
            sys.exit(f"nnmodel compile failed (status {status})")
        peak = usage.ru_maxrss * 1024
        lib = os.path.getsize(os.path.join(work, "out", "libvgg19.a"))
        with open(os.path.join(work, "out", "vgg19.json")) as f:
            weight_bytes = json.load(f)["targets"][0]["weight_bytes"]
    budget = 3 * weight_bytes + 2**30
    mib = 2**20
    print(f"vgg19 --kernels {args.kernels}: weights {weight_bytes / mib:.0f} MiB, "
          f"compile {seconds:.1f} s, peak RSS {peak / mib:.0f} MiB "
          f"({peak / weight_bytes:.2f}x weights), library {lib / mib:.0f} MiB; "
          f"budget 3x weights + 1 GiB = {budget / mib:.0f} MiB: "
          f"{'within' if peak <= budget else 'OVER'}")


if __name__ == "__main__":
    main()
