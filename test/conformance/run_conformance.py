#!/usr/bin/env python3
"""ONNX backend node-test conformance for `nnmodel run`.

Selects the cases under onnx/backend/test/data/node whose model uses only the
operators NNModel supports (SUPPORTED_OPS below) and whose graph inputs and
outputs are float32/float64/int32/int64/bool tensors (training-mode Dropout
cases, whose reference output is a random mask, are skipped). For each case:

    nnmodel run model.onnx -i NAME=test_data_set_0/input_K.pb ... -o TMP [--dim S=N]

then TMP/<output>.npy is compared with test_data_set_0/output_K.pb
(rtol 1e-4, atol 1e-5 for floating point; exact for integers and bools; dtype
and shape must match). `--dim` is passed for symbolic input dimensions, taken
from the input data.

When the installed onnx wheel carries no node test data, the cases are
generated once from onnx.backend.test.case.node into --cache-dir.

--xfail FILE lists expected failures, one `test_name  # reason` per line. The
run fails on a new failure and on an unexpected pass. --write-xfail FILE
writes the failures of this run in that format, so the list can be regenerated.
The last line printed is `N passed, N failed` (failed = new failures +
unexpected passes); expected failures are counted on the line before it.
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper

SUPPORTED_OPS = sorted("""
Add Sub Mul Div Pow Neg Abs Sqrt Exp Log Relu LeakyRelu Sigmoid Tanh Erf Clip Min Max
MatMul Gemm Conv MaxPool AveragePool GlobalAveragePool BatchNormalization Softmax
Reshape Flatten Transpose Concat Split Slice Squeeze Unsqueeze Gather Pad Shape Cast
ReduceSum ReduceMean ReduceMax Identity Constant ConstantOfShape Dropout
""".split())
TENSOR_TYPES = {TensorProto.FLOAT, TensorProto.DOUBLE, TensorProto.INT32,
                TensorProto.INT64, TensorProto.BOOL}
RTOL, ATOL = 1e-4, 1e-5
# Cases whose expected output comes from numpy's random generator (dropout masks
# in training mode): no implementation can reproduce them, so they are skipped.
RANDOM_CASES = re.compile(r"^test_training_dropout(?!_zero_ratio)")


# ----------------------------------------------------------------------------
# Finding the cases


def default_cache_dir():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "nnmodel", f"onnx-{onnx.__version__}-node-seed0")


def generate_node_data(dest):
    """Writes onnx's node test cases (tensor-only ones) to dest, as the wheel would ship them."""
    import warnings
    from onnx.backend.test.case.node import collect_testcases

    print(f"conformance: generating ONNX node test data into {dest} ...", flush=True)
    parent = os.path.dirname(os.path.abspath(dest))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".node-", dir=parent)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        np.random.seed(0)  # some cases draw their inputs from np.random: make them repeatable
        cases = collect_testcases()
    for case in cases:
        graph = case.model.graph
        if not all(v.type.HasField("tensor_type") for v in list(graph.input) + list(graph.output)):
            continue
        try:
            blobs = {}
            for i, (inputs, outputs) in enumerate(case.data_sets):
                for kind, values, infos in (("input", inputs, graph.input),
                                            ("output", outputs, graph.output)):
                    for j, value in enumerate(values):
                        t = value if isinstance(value, TensorProto) else \
                            numpy_helper.from_array(np.asarray(value), infos[j].name)
                        blobs[f"test_data_set_{i}/{kind}_{j}.pb"] = t.SerializeToString()
        except Exception:  # a case onnx itself cannot serialise: not ours to test
            continue
        case_dir = os.path.join(tmp, case.name)
        os.makedirs(case_dir, exist_ok=True)
        with open(os.path.join(case_dir, "model.onnx"), "wb") as f:
            f.write(case.model.SerializeToString())
        for rel, blob in blobs.items():
            os.makedirs(os.path.join(case_dir, os.path.dirname(rel)), exist_ok=True)
            with open(os.path.join(case_dir, rel), "wb") as f:
                f.write(blob)
    if os.path.isdir(dest):
        import shutil
        shutil.rmtree(dest)
    os.replace(tmp, dest)


def node_data_dir(args):
    if args.data_dir:
        return args.data_dir
    shipped = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "node")
    if os.path.isdir(shipped) and os.listdir(shipped):
        return shipped
    cache = args.cache_dir or default_cache_dir()
    if not (os.path.isdir(cache) and os.listdir(cache)):
        generate_node_data(cache)
    return cache


def graph_ops(graph):
    """(domain, op_type) of every node, subgraphs included."""
    ops = set()
    for node in graph.node:
        ops.add((node.domain, node.op_type))
        for attr in node.attribute:
            for g in list(attr.graphs) + ([attr.g] if attr.HasField("g") else []):
                ops |= graph_ops(g)
    return ops


def select(data_dir, pattern):
    """Returns ([(name, case_dir, model, sorted op list)] for the supported cases,
    [names of supported cases skipped because their reference output is random])."""
    cases, skipped = [], []
    for name in sorted(os.listdir(data_dir)):
        case_dir = os.path.join(data_dir, name)
        if pattern and not re.search(pattern, name):
            continue
        if not os.path.isdir(os.path.join(case_dir, "test_data_set_0")):
            continue
        try:
            model = onnx.load(os.path.join(case_dir, "model.onnx"), load_external_data=False)
        except Exception:
            continue
        ops = graph_ops(model.graph)
        if not ops or any(d not in ("", "ai.onnx") or op not in SUPPORTED_OPS for d, op in ops):
            continue
        inits = {t.name for t in model.graph.initializer}
        values = [v for v in model.graph.input if v.name not in inits] + list(model.graph.output)
        if not all(v.type.HasField("tensor_type") and v.type.tensor_type.elem_type in TENSOR_TYPES
                   for v in values):
            continue
        if RANDOM_CASES.search(name):
            skipped.append(name)
            continue
        cases.append((name, case_dir, model, sorted({op for _, op in ops})))
    return cases, skipped


# ----------------------------------------------------------------------------
# Running one case


def first_error_line(text):
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    for l in lines:
        if "error" in l.lower():
            return l[:300]
    return lines[0][:300] if lines else ""


def safe_name(name):
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def compare(got, want):
    """None when got matches want, else why not."""
    if got.dtype != want.dtype:
        return f"dtype {got.dtype}, expected {want.dtype}"
    if got.shape != want.shape:
        return f"shape {list(got.shape)}, expected {list(want.shape)}"
    if want.dtype.kind in "fc":
        ok = np.isclose(got, want, rtol=RTOL, atol=ATOL, equal_nan=True)
    else:
        ok = got == want
    if np.all(ok):
        return None
    bad = np.argwhere(~np.asarray(ok))
    idx = tuple(int(i) for i in bad[0])
    msg = (f"{len(bad)} of {want.size} elements differ; first at {list(idx)}: "
           f"got {got[idx].item()!r}, expected {want[idx].item()!r}")
    if want.dtype.kind == "f":
        with np.errstate(all="ignore"):
            err = np.abs(got.astype(np.float64) - want.astype(np.float64))
        msg += f"; max abs err {np.nanmax(np.where(np.asarray(ok), 0, err)):.3g}"
    return msg


def run_command(cmd, timeout):
    """(returncode or None on timeout, combined stderr+stdout text)."""
    try:
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             errors="replace", start_new_session=True)
    except OSError as e:
        return 127, str(e)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)  # the group this call started: nnmodel + its linker
        except OSError:
            pass
        p.communicate()
        return None, f"timed out after {timeout} s"
    return p.returncode, err + out


# nnmodel is ahead-of-time with static shapes: shape-like operands (Reshape's shape,
# Slice's starts, axes, pads, ...) must be known at compile time. Node tests pass them
# as graph inputs, so when a case is refused for that reason it is retried once with
# its integer, bool and scalar inputs fixed at compile time (`--bind NAME=FILE`).
NEEDS_CONSTANT = "known at compile time"
INTEGER_TYPES = (TensorProto.INT32, TensorProto.INT64, TensorProto.BOOL)


# Options every `nnmodel run` gets (--kernels).
RUN_OPTIONS = []
# --bind-weights: every graph input after the first is bound at compile time, so
# that weights are constants (kernel libraries take constant weights only).
BIND_WEIGHTS = []


def run_case(nnmodel, case, timeout):
    """(ok, reason)."""
    ok, why = run_case_once(nnmodel, case, timeout, bind_integers=False)
    if not ok and NEEDS_CONSTANT in why:
        ok, why = run_case_once(nnmodel, case, timeout, bind_integers=True)
    return ok, why


def run_case_once(nnmodel, case, timeout, bind_integers):
    name, case_dir, model, _ = case
    data = os.path.join(case_dir, "test_data_set_0")
    inits = {t.name for t in model.graph.initializer}
    inputs = [v for v in model.graph.input if v.name not in inits]
    files = sorted((f for f in os.listdir(data) if re.fullmatch(r"input_\d+\.pb", f)),
                   key=lambda f: int(f[6:-3]))
    if len(files) > len(inputs):
        return False, f"{len(files)} input files for {len(inputs)} graph inputs"
    cmd = [nnmodel, "run", os.path.join(case_dir, "model.onnx"), *RUN_OPTIONS]
    dims = {}
    for k, (vi, f) in enumerate(zip(inputs, files)):
        path = os.path.join(data, f)
        scalar = len(vi.type.tensor_type.shape.dim) == 0
        bind = bind_integers and (vi.type.tensor_type.elem_type in INTEGER_TYPES or scalar)
        bind = bind or (BIND_WEIGHTS and k > 0)
        cmd += ["--bind" if bind else "-i", f"{vi.name}={path}"]
        shape = onnx.load_tensor(path).dims
        for k, d in enumerate(vi.type.tensor_type.shape.dim):
            if d.dim_param and k < len(shape):
                dims.setdefault(d.dim_param, shape[k])
    for sym, n in sorted(dims.items()):
        cmd += ["--dim", f"{sym}={n}"]
    with tempfile.TemporaryDirectory(prefix="nnm-conf-") as tmp:
        out_dir = os.path.join(tmp, "out")
        os.makedirs(out_dir)  # cli.md does not say whether -o DIR is created; it exists here
        cmd += ["-o", out_dir]
        rc, text = run_command(cmd, timeout)
        if rc is None:
            return False, text
        if rc != 0:
            why = f"crashed (signal {-rc})" if rc < 0 else f"exit {rc}"
            return False, f"{why}: {first_error_line(text)}"
        for k, vi in enumerate(model.graph.output):
            want = numpy_helper.to_array(onnx.load_tensor(os.path.join(data, f"output_{k}.pb")))
            path = next((p for p in (os.path.join(out_dir, vi.name + ".npy"),
                                     os.path.join(out_dir, safe_name(vi.name) + ".npy"))
                         if os.path.isfile(p)), None)
            if path is None:
                return False, f"output '{vi.name}': {safe_name(vi.name)}.npy was not written"
            try:
                got = np.load(path, allow_pickle=False)
            except Exception as e:
                return False, f"output '{vi.name}': unreadable .npy: {e}"
            why = compare(got, np.asarray(want))
            if why:
                return False, f"output '{vi.name}': {why}"
    return True, ""


# ----------------------------------------------------------------------------
# Lists, tables and the summary


def read_xfail(path):
    entries = {}
    with open(path) as f:
        for line in f:
            name, _, reason = line.partition("#")
            if name.strip():
                entries[name.strip()] = reason.strip()
    return entries


def write_xfail(path, failures):
    with open(path, "w") as f:
        f.write("# Expected failures of test/conformance/run_conformance.py, one per line:\n"
                "# test_name  # reason   (regenerate with --write-xfail)\n")
        for name, reason in sorted(failures.items()):
            f.write(f"{name}  # {reason.replace(chr(10), ' ') or 'fails'}\n")


def write_table(path, cases, results):
    rows = {op: [0, 0] for op in SUPPORTED_OPS}
    for name, _, _, ops in cases:
        for op in ops:
            rows[op][1] += 1
            rows[op][0] += results[name][0]
    passed = sum(ok for ok, _ in results.values())
    with open(path, "w") as f:
        f.write("# ONNX backend conformance\n\n"
                f"Generated by `test/conformance/run_conformance.py` from the node tests of "
                f"onnx {onnx.__version__}. A case counts for every operator its model uses.\n\n"
                "| operator | passed/total |\n|---|---:|\n")
        for op in SUPPORTED_OPS:
            f.write(f"| {op} | {rows[op][0]}/{rows[op][1]} |\n")
        f.write(f"| **all cases** | **{passed}/{len(results)}** |\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nnmodel", required=True, help="the nnmodel binary")
    ap.add_argument("--filter", help="only cases whose name matches this regex (re.search)")
    ap.add_argument("--xfail", help="expected-failure list: `test_name  # reason` lines")
    ap.add_argument("--write-xfail", metavar="FILE", help="write this run's failures to FILE")
    ap.add_argument("--table", metavar="OUT.md", help="write a markdown op -> passed/total table")
    ap.add_argument("--kernels", choices=["auto", "dnnl", "codegen"],
                    help="nnmodel run --kernels (default: the compiler's, auto)")
    ap.add_argument("--bind-weights", action="store_true",
                    help="bind every graph input after the first at compile time (constant "
                         "weights, as kernel libraries need)")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="parallel cases (default: 2)")
    ap.add_argument("--timeout", type=int, default=60, help="seconds per case (default: 60)")
    ap.add_argument("--data-dir", help="node test directory (default: the one in the onnx "
                    "package, else generated into --cache-dir)")
    ap.add_argument("--cache-dir", help=f"where to generate node test data when onnx ships "
                    f"none (default: {default_cache_dir()})")
    ap.add_argument("--list", action="store_true", help="print the selected cases and exit")
    ap.add_argument("-v", "--verbose", action="store_true", help="also print passing cases")
    args = ap.parse_args(argv)

    nnmodel = os.path.abspath(args.nnmodel)
    if args.kernels:
        RUN_OPTIONS.extend(["--kernels", args.kernels])
    if args.bind_weights:
        BIND_WEIGHTS.append(True)
    if not args.list and not (os.path.isfile(nnmodel) and os.access(nnmodel, os.X_OK)):
        ap.error(f"--nnmodel {args.nnmodel}: not an executable file")
    if args.xfail and not os.path.isfile(args.xfail):
        ap.error(f"--xfail {args.xfail}: no such file (create it with --write-xfail)")
    xfail = read_xfail(args.xfail) if args.xfail else {}
    data_dir = node_data_dir(args)
    cases, skipped = select(data_dir, args.filter)
    if args.list:
        for name, _, _, ops in cases:
            print(f"{name}  ({', '.join(ops)})")
        print(f"{len(cases)} cases; skipped (random reference output): {', '.join(skipped)}")
        return 0
    print(f"conformance: {len(cases)} cases from {data_dir}, -j {args.jobs}; skipped "
          f"{len(skipped)} whose reference output is random: {', '.join(skipped)}", flush=True)

    results = {}
    lock = threading.Lock()
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {pool.submit(run_case, nnmodel, c, args.timeout): c[0] for c in cases}
        for fut in as_completed(futures):
            name = futures[fut]
            try:
                ok, why = fut.result()
            except Exception as e:  # a bug in this script or unreadable test data
                ok, why = False, f"harness error: {type(e).__name__}: {e}"
            results[name] = (ok, why)
            tag = ("XPASS" if ok else "XFAIL") if name in xfail else ("PASS" if ok else "FAIL")
            if args.verbose or tag != "PASS":
                with lock:
                    print(f"{tag} {name}" + (f": {why}" if why else ""), flush=True)

    new_fail = sorted(n for n, (ok, _) in results.items() if not ok and n not in xfail)
    xpass = sorted(n for n, (ok, _) in results.items() if ok and n in xfail)
    n_xfail = sum(1 for n, (ok, _) in results.items() if not ok and n in xfail)
    passed = sum(1 for n, (ok, _) in results.items() if ok and n not in xfail)
    stale = sorted(n for n in xfail if n not in results) if not args.filter else []

    if args.table:
        write_table(args.table, cases, results)
        print(f"conformance: wrote {args.table}")
    if args.write_xfail:
        write_xfail(args.write_xfail, {n: w for n, (ok, w) in results.items() if not ok})
        print(f"conformance: wrote {len(results) - sum(ok for ok, _ in results.values())} "
              f"entries to {args.write_xfail}")
    if stale:
        print(f"\nwarning: {len(stale)} --xfail entries name no selected case: "
              + ", ".join(stale))
    if new_fail:
        print(f"\nNEW FAILURES ({len(new_fail)}), not in the xfail list:")
        for n in new_fail:
            print(f"  {n}: {results[n][1]}")
    if xpass:
        print(f"\nUNEXPECTED PASSES ({len(xpass)}): remove them from the xfail list:")
        for n in xpass:
            print(f"  {n}  (listed as: {xfail[n] or 'no reason'})")
    print(f"\nconformance: {passed} passed, {len(new_fail)} failed, {n_xfail} xfail, "
          f"{len(xpass)} unexpected passes")
    print(f"{passed} passed, {len(new_fail) + len(xpass)} failed")
    return 1 if new_fail or xpass or not cases else 0


if __name__ == "__main__":
    sys.exit(main())
