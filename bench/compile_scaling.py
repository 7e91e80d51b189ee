#!/usr/bin/env python3
"""Compile time and peak memory of `nnmodel compile` against graph size.

    python3 bench/compile_scaling.py [--nnmodel build/bin/nnmodel] [--sizes 1000,2000,4000,8000,10000]
                                     [--matmuls 250,500,1000]

Generates chains of alternating Add/Relu nodes on a [1, 64] tensor and chains of MatMul
nodes with distinct [16, 16] weights, compiles each to a library and prints wall time and
peak resident memory (from /usr/bin/time). Compile time should grow linearly.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def save(nodes, inits, in_shape, out, path):
    graph = helper.make_graph(nodes, "chain",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, in_shape)],
                              [helper.make_tensor_value_info(out, TensorProto.FLOAT, in_shape)],
                              inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)


def elementwise_chain(n, path):
    nodes, prev = [], "x"
    for i in range(n):
        op = ("Add", [prev, "b"]) if i % 2 == 0 else ("Relu", [prev])
        nodes.append(helper.make_node(op[0], op[1], [f"t{i}"]))
        prev = f"t{i}"
    bias = np.random.default_rng(0).standard_normal(64).astype(np.float32)
    save(nodes, [numpy_helper.from_array(bias, "b")], [1, 64], prev, path)


def matmul_chain(n, path):
    rng = np.random.default_rng(0)
    nodes, inits, prev = [], [], "x"
    for i in range(n):
        w = (rng.standard_normal((16, 16)) * 0.25).astype(np.float32)
        inits.append(numpy_helper.from_array(w, f"w{i}"))
        nodes.append(helper.make_node("MatMul", [prev, f"w{i}"], [f"m{i}"]))
        prev = f"m{i}"
    save(nodes, inits, [4, 16], prev, path)


def compile_once(nnmodel, model, out):
    r = subprocess.run(["/usr/bin/time", "-f", "%e %M", nnmodel, "compile", model, "--name", "m",
                        "-o", out], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(r.stderr)
    seconds, kb = re.findall(r"([\d.]+) (\d+)\s*$", r.stderr)[-1]
    return float(seconds), int(kb) / 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nnmodel", default=os.path.join(ROOT, "build", "bin", "nnmodel"))
    ap.add_argument("--sizes", default="1000,2000,4000,8000,10000")
    ap.add_argument("--matmuls", default="250,500,1000")
    args = ap.parse_args()
    print("| graph | nodes | compile s | peak MiB |\n|---|---|---|---|")
    with tempfile.TemporaryDirectory() as work:
        for kind, make, sizes in (("Add/Relu chain", elementwise_chain, args.sizes),
                                  ("MatMul chain", matmul_chain, args.matmuls)):
            for n in (int(s) for s in sizes.split(",") if s):
                path = os.path.join(work, f"{n}.onnx")
                make(n, path)
                seconds, mib = compile_once(args.nnmodel, path, os.path.join(work, str(n)))
                print(f"| {kind} | {n} | {seconds:.2f} | {mib:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
