#!/usr/bin/env python3
"""An interrupted compile leaves no temporary file behind (issue #10, atomic output set).

    interrupt_compile.py --nnmodel BIN --work DIR [--attempts 4]

Compiles a model with 128 MiB of weights, so that writing and flushing its library takes
a visible while; as soon as a `*.tmp-*` file appears in the output directory the compile
gets SIGTERM (even attempts) or SIGINT (odd ones). The compile must die of that signal
and leave no temporary behind; the previous output set, written by a first complete
compile, must still be there and unchanged. An attempt whose compile finished before
its temporary was seen proves nothing and is retried; the test fails when no attempt
caught one. The last line is `N passed, N failed`.
"""
import argparse
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def big_model(path):
    w = np.random.default_rng(3).standard_normal((4096, 8192)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm0")], "interrupt",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4096])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8192])],
        initializer=[numpy_helper.from_array(w, "w")])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.save(m, path)


def temporaries(out):
    return sorted(f for f in os.listdir(out) if ".tmp-" in f)


def digest(out):
    h = hashlib.sha256()
    for f in sorted(os.listdir(out)):
        with open(os.path.join(out, f), "rb") as fh:
            h.update(f.encode() + fh.read())
    return h.hexdigest()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nnmodel", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--attempts", type=int, default=4)
    args = ap.parse_args(argv)
    work = os.path.abspath(args.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    model = os.path.join(work, "big.onnx")
    big_model(model)
    out = os.path.join(work, "out")
    cmd = [args.nnmodel, "compile", model, "--name", "big", "-o", out, "-q"]
    passed = failed = caught = 0
    if subprocess.run(cmd).returncode != 0:
        print("FAIL first compile\n0 passed, 1 failed")
        return 1
    before = digest(out)
    for attempt in range(args.attempts * 3):
        if caught == args.attempts:
            break
        sig = signal.SIGTERM if caught % 2 == 0 else signal.SIGINT
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        seen = False
        while p.poll() is None:
            if temporaries(out):
                p.send_signal(sig)
                seen = True
                break
            time.sleep(0.0005)
        _, err = p.communicate(timeout=120)
        if not seen:
            print(f"note: attempt {attempt}: the compile finished before a temporary was seen")
            continue
        caught += 1
        left = temporaries(out)
        name = f"{sig.name} while writing: "
        problems = []
        if p.returncode != -sig and p.returncode != 128 + sig:
            problems.append(f"exit status {p.returncode}, not the signal")
        if left:
            problems.append(f"left {left}")
        if digest(out) != before:
            problems.append("the previous output set changed")
        if problems:
            failed += 1
            print(f"FAIL {name}" + "; ".join(problems) + "\n" + err.decode(errors="replace")[-2000:])
        else:
            passed += 1
            print(f"PASS {name}no temporary left, previous set intact")
    if caught == 0:
        failed += 1
        print("FAIL no attempt caught the compile while it wrote a temporary")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
