#!/usr/bin/env python3
"""ONNX backend node-test conformance for `nnmodel run`, counted over every case.

The denominator is every case that onnx.backend.test.case.node generates in the
installed onnx (1,884 in 1.23.2), whatever its operators or dtypes. For each case:

    nnmodel run model.onnx -i NAME=test_data_set_0/input_K.pb ... -o TMP [--dim S=N]

then TMP/<output>.npy is compared with test_data_set_0/output_K.pb (rtol 1e-4,
atol 1e-5 for floating point, rtol 4e-3/atol 1e-3 for float16, a few units in its
last place; exact for integers, bools and strings; dtype and
shape must match). `--dim` is passed for symbolic input dimensions, taken from
the input data. nnmodel compiles ahead of time with static shapes, so a case
refused because a shape-like operand is a graph input is retried with its
integer, bool and scalar inputs fixed at compile time (`--bind`), then with every
input after the first fixed (float scales); such a pass is counted in its own
column, "bound".

Each case ends in one class:
  pass, bound   the outputs match (bound: only with inputs bound at compile time)
  wrong         it compiled and ran, and an output differs (the first difference)
  error         nnmodel refused it (its first diagnostic)
  crash         nnmodel died on a signal
  timeout       it ran past --timeout
  untestable    the case's reference cannot be reproduced (random dropout masks) or
                its data are not tensors and nnmodel compiled the model anyway

When the installed onnx wheel carries no node test data, the cases are
generated once from onnx.backend.test.case.node into --cache-dir (a case whose
inputs or outputs are sequences or optionals is written without data; it is
compiled, not run).

--expected FILE lists the expected failures, one `test_name  # class: reason`
line each. The run fails on a new failure, on an unexpected pass, and on a crash
or timeout not listed as one. --write-expected FILE writes this run's failures
in that format. --operators-doc FILE rewrites the generated part of
docs/operators.md (after its marker line): per operator, the cases in each
class and the opsets and dtypes that pass. The last line printed is
`N passed, N failed` (failed = new failures + unexpected passes).
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

CLASSES = ("pass", "bound", "wrong", "error", "crash", "timeout", "untestable")
FAILING = CLASSES[2:]
RTOL, ATOL = 1e-4, 1e-5
# float16 results carry 11 significant bits: a different (equally valid) order of
# operations moves them by a few units in the last place, about 1e-3 relative.
RTOL_F16, ATOL_F16 = 4e-3, 1e-3
# Cases whose expected output comes from numpy's random generator (dropout masks
# in training mode): no implementation can reproduce them: "untestable".
RANDOM_CASES = re.compile(r"^test_training_dropout(?!_zero_ratio)")


# ----------------------------------------------------------------------------
# Finding the cases


def default_cache_dir():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "nnmodel", f"onnx-{onnx.__version__}-node-all-seed0")


def generate_node_data(dest):
    """Writes every onnx node test case to dest, as the wheel would ship them; a case whose
    data are not all tensors gets its model only (and a NOT_TENSORS file saying why)."""
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
        blobs, why_not = {}, None
        if not all(v.type.HasField("tensor_type") for v in list(graph.input) + list(graph.output)):
            why_not = "its inputs or outputs are not all tensors (sequences, optionals, maps)"
        else:
            try:
                for i, (inputs, outputs) in enumerate(case.data_sets):
                    for kind, values, infos in (("input", inputs, graph.input),
                                                ("output", outputs, graph.output)):
                        for j, value in enumerate(values):
                            t = value if isinstance(value, TensorProto) else \
                                numpy_helper.from_array(np.asarray(value), infos[j].name)
                            blobs[f"test_data_set_{i}/{kind}_{j}.pb"] = t.SerializeToString()
            except Exception as e:  # data onnx itself cannot write as TensorProto
                blobs, why_not = {}, f"onnx cannot serialise its data: {type(e).__name__}"
        case_dir = os.path.join(tmp, case.name)
        os.makedirs(case_dir, exist_ok=True)
        with open(os.path.join(case_dir, "model.onnx"), "wb") as f:
            f.write(case.model.SerializeToString())
        if why_not:
            with open(os.path.join(case_dir, "NOT_TENSORS"), "w") as f:
                f.write(why_not + "\n")
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


class Case:
    """One node test: its name, directory, model, ops, opset and dtypes."""

    def __init__(self, name, case_dir, model):
        self.name, self.dir, self.model = name, case_dir, model
        ops = graph_ops(model.graph)
        self.ops = sorted({op if d in ("", "ai.onnx") else f"{d}.{op}" for d, op in ops})
        self.opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")),
                          None)
        dtypes = set()
        for v in list(model.graph.input) + list(model.graph.output):
            if v.type.HasField("tensor_type"):
                dtypes.add(TensorProto.DataType.Name(v.type.tensor_type.elem_type).lower())
        self.dtypes = sorted(dtypes)
        marker = os.path.join(case_dir, "NOT_TENSORS")
        self.not_tensors = open(marker).read().strip() if os.path.isfile(marker) else None


def select(data_dir, pattern):
    """Every case under data_dir (whose name matches pattern), as Case objects."""
    cases = []
    for name in sorted(os.listdir(data_dir)):
        case_dir = os.path.join(data_dir, name)
        if pattern and not re.search(pattern, name):
            continue
        if not os.path.isfile(os.path.join(case_dir, "model.onnx")):
            continue
        try:
            model = onnx.load(os.path.join(case_dir, "model.onnx"), load_external_data=False)
        except Exception:
            continue
        cases.append(Case(name, case_dir, model))
    return cases


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
        f16 = want.dtype == np.float16
        ok = np.isclose(got, want, rtol=RTOL_F16 if f16 else RTOL, atol=ATOL_F16 if f16 else ATOL,
                        equal_nan=True)
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
    """(class, reason) of one case; class is one of CLASSES."""
    if RANDOM_CASES.search(case.name):
        return "untestable", "the reference output is a random dropout mask"
    if case.not_tensors:
        return compile_only(nnmodel, case, timeout)
    cls, why = run_case_once(nnmodel, case, timeout, bind=0)
    # Bind integer/bool/scalar inputs first, then (float scales and the like)
    # every input after the first.
    for level in (1, 2):
        if cls != "error" or NEEDS_CONSTANT not in why:
            break
        cls2, why2 = run_case_once(nnmodel, case, timeout, bind=level)
        if cls2 == "pass":
            return "bound", ""
        if cls2 != "error" or NEEDS_CONSTANT not in why2:
            return cls2, why2
    return cls, why


def failure_of(rc, text):
    """The class and reason of an nnmodel exit that is not 0 (rc None: timed out)."""
    if rc is None:
        return "timeout", text
    if rc < 0:
        return "crash", f"signal {-rc}: {first_error_line(text)}"
    return "error", first_error_line(text)


def compile_only(nnmodel, case, timeout):
    """A case without tensor data: the compiler's verdict on its model."""
    with tempfile.TemporaryDirectory(prefix="nnm-conf-") as tmp:
        rc, text = run_command([nnmodel, "compile", os.path.join(case.dir, "model.onnx"),
                                "--name", "conformance", "-q", "-o", os.path.join(tmp, "out")],
                               timeout)
    if rc == 0:
        return "untestable", f"compiles, but {case.not_tensors}"
    return failure_of(rc, text)


def run_case_once(nnmodel, case, timeout, bind):
    """Runs the case once; bind 1 fixes integer, bool and scalar inputs at compile
    time, bind 2 every input after the first."""
    model = case.model
    data = os.path.join(case.dir, "test_data_set_0")
    inits = {t.name for t in model.graph.initializer}
    inputs = [v for v in model.graph.input if v.name not in inits]
    files = sorted((f for f in os.listdir(data) if re.fullmatch(r"input_\d+\.pb", f)),
                   key=lambda f: int(f[6:-3]))
    if len(files) > len(inputs):
        return "untestable", f"{len(files)} input files for {len(inputs)} graph inputs"
    cmd = [nnmodel, "run", os.path.join(case.dir, "model.onnx"), *RUN_OPTIONS]
    dims = {}
    for k, (vi, f) in enumerate(zip(inputs, files)):
        path = os.path.join(data, f)
        scalar = len(vi.type.tensor_type.shape.dim) == 0
        fixed = bind >= 1 and (vi.type.tensor_type.elem_type in INTEGER_TYPES or scalar)
        fixed = fixed or ((bind >= 2 or BIND_WEIGHTS) and k > 0)
        cmd += ["--bind" if fixed else "-i", f"{vi.name}={path}"]
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
        if rc != 0:
            return failure_of(rc, text)
        for k, vi in enumerate(model.graph.output):
            want = numpy_helper.to_array(onnx.load_tensor(os.path.join(data, f"output_{k}.pb")))
            path = next((p for p in (os.path.join(out_dir, vi.name + ".npy"),
                                     os.path.join(out_dir, safe_name(vi.name) + ".npy"))
                         if os.path.isfile(p)), None)
            if path is None:
                return "wrong", f"output '{vi.name}': {safe_name(vi.name)}.npy was not written"
            try:
                got = np.load(path, allow_pickle=False)
            except Exception as e:
                return "wrong", f"output '{vi.name}': unreadable .npy: {e}"
            why = compare(got, np.asarray(want))
            if why:
                return "wrong", f"output '{vi.name}': {why}"
    return "pass", ""


# ----------------------------------------------------------------------------
# Expected results, the operator table and the summary


def read_expected(path, entries):
    """Adds `test_name  # class: reason` lines of path to entries {test_name: (class,
    reason)}; a `pass` line removes the name (an override file for one mode of running)."""
    with open(path) as f:
        for n, line in enumerate(f, 1):
            name, _, rest = line.partition("#")
            name = name.strip()
            if not name:
                continue
            cls, sep, reason = rest.strip().partition(":")
            cls = cls.strip()
            if not sep or cls not in FAILING + ("pass",):
                raise SystemExit(f"{path}:{n}: expected `test_name  # class: reason` with a "
                                 f"class out of {', '.join(FAILING + ('pass',))}")
            if cls == "pass":
                entries.pop(name, None)
            else:
                entries[name] = (cls, reason.strip())
    return entries


def write_expected(path, results):
    with open(path, "w") as f:
        f.write("# Expected failures of test/conformance/run_conformance.py, one per line:\n"
                "# test_name  # class: reason   (regenerate with --write-expected)\n")
        for name, (cls, reason) in sorted(results.items()):
            if cls in FAILING:
                f.write(f"{name}  # {cls}: {reason.replace(chr(10), ' ') or 'fails'}\n")


def operator_rows(cases, results):
    """{op: {class: count, 'opsets': set, 'dtypes': set}} (opsets/dtypes of passing cases)."""
    rows = {}
    for case in cases:
        cls = results[case.name][0]
        for op in case.ops:
            row = rows.setdefault(op, {c: 0 for c in CLASSES} | {"opsets": set(), "dtypes": set()})
            row[cls] += 1
            if cls in ("pass", "bound"):
                row["opsets"].add(case.opset)
                row["dtypes"].update(case.dtypes)
    return rows


def span_text(opsets):
    """'7-9, 13' for {7, 8, 9, 13}."""
    out, run = [], []
    for v in sorted(o for o in opsets if o is not None):
        if run and v == run[-1] + 1:
            run.append(v)
            continue
        if run:
            out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
        run = [v]
    if run:
        out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
    return ", ".join(out)


OPERATORS_MARKER = "<!-- generated by test/conformance/run_conformance.py --operators-doc -->"


def operators_section(cases, results, extra):
    totals = {c: sum(1 for r in results.values() if r[0] == c) for c in CLASSES}
    n = len(results)
    passed = totals["pass"] + totals["bound"]
    lines = [OPERATORS_MARKER, "",
             f"Node tests of onnx {onnx.__version__}: **{passed} of {n} cases pass "
             f"({100.0 * passed / max(n, 1):.1f}%)**, {totals['bound']} of them only with "
             f"shape-like inputs bound at compile time{extra}. Classes: "
             + ", ".join(f"{c} {totals[c]}" for c in CLASSES) + ".",
             "",
             "A case counts for every operator its model uses (expanded function cases count "
             "for each primitive they contain). *Opsets* and *dtypes* are those of the passing "
             "cases (the model's ai.onnx opset; the element types of its graph inputs and "
             "outputs).", "",
             "| operator | cases | pass | bound | wrong | error | crash | timeout | untestable "
             "| opsets passing | dtypes passing |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    for op, row in sorted(operator_rows(cases, results).items()):
        total = sum(row[c] for c in CLASSES)
        lines.append(f"| {op} | {total} | " + " | ".join(str(row[c]) for c in CLASSES)
                     + f" | {span_text(row['opsets'])} | {', '.join(sorted(row['dtypes']))} |")
    return "\n".join(lines) + "\n"


ONNX_TYPE_NAMES = {v: k.lower() for k, v in TensorProto.DataType.items()}


def failure_group(cls, reason):
    """A short cause shared by many failing cases: the unsupported operator, element
    type or domain, else the diagnostic without node names and numbers."""
    m = re.search(r"\((\w+), opset \d+\): operator is not supported", reason)
    if m:
        return f"operator {m.group(1)} not supported"
    m = re.search(r"unsupported (?:element|target) type (\w+)", reason)
    if m:
        t = m.group(1)
        return f"element type {ONNX_TYPE_NAMES.get(int(t), t) if t.isdigit() else t}"
    m = re.search(r"domain '([\w.]+)' is not supported", reason)
    if m:
        return f"domain {m.group(1)}"
    text = re.sub(r"node '[^']*'", "node", reason)
    text = re.sub(r"input '[^']*'", "input", text)
    text = re.sub(r"\d+(\.\d+)?(e-?\d+)?", "N", text)
    text = text.replace("nnmodel: error: ", "")
    return f"{cls}: {text[:110]}"


def failure_groups_section(results):
    groups = {}
    for name, (cls, reason) in results.items():
        if cls in FAILING:
            groups.setdefault(failure_group(cls, reason), []).append(name)
    lines = ["", "### Failing cases by cause", "",
             "Largest groups first: the path to more coverage. Each case is listed with its "
             "full diagnostic in `test/conformance/expected.txt`.", "",
             "| cause | cases | e.g. |", "|---|---:|---|"]
    for cause, names in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        lines.append(f"| {cause.replace('|', '/')} | {len(names)} | {sorted(names)[0]} |")
    return "\n".join(lines) + "\n"


def write_operators_doc(path, section):
    """Replaces everything after the marker line of path (appends it when missing)."""
    text = open(path).read() if os.path.isfile(path) else ""
    head = text.split(OPERATORS_MARKER)[0].rstrip("\n")
    with open(path + ".tmp", "w") as f:
        f.write((head + "\n\n" if head else "") + section)
    os.replace(path + ".tmp", path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nnmodel", required=True, help="the nnmodel binary")
    ap.add_argument("--filter", help="only cases whose name matches this regex (re.search)")
    ap.add_argument("--expected", action="append", default=[], metavar="FILE",
                    help="expected failures: `test_name  # class: reason` lines; repeat it to "
                         "apply overrides in order (`pass` removes an entry)")
    ap.add_argument("--write-expected", metavar="FILE", help="write this run's failures to FILE")
    ap.add_argument("--operators-doc", metavar="OPERATORS.md",
                    help="rewrite the generated per-operator section of this file")
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
    expected = {}
    for path in args.expected:
        if not os.path.isfile(path):
            ap.error(f"--expected {path}: no such file (create it with --write-expected)")
        read_expected(path, expected)
    data_dir = node_data_dir(args)
    cases = select(data_dir, args.filter)
    if args.list:
        for case in cases:
            print(f"{case.name}  (opset {case.opset}; {', '.join(case.ops)})")
        print(f"{len(cases)} cases")
        return 0
    print(f"conformance: {len(cases)} cases from {data_dir}, -j {args.jobs}", flush=True)

    results = {}
    lock = threading.Lock()
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {pool.submit(run_case, nnmodel, c, args.timeout): c.name for c in cases}
        for fut in as_completed(futures):
            name = futures[fut]
            try:
                cls, why = fut.result()
            except Exception as e:  # a bug in this script or unreadable test data
                cls, why = "error", f"harness error: {type(e).__name__}: {e}"
            results[name] = (cls, why)
            ok = cls in ("pass", "bound")
            listed = name in expected
            if args.verbose or not ok and not listed or ok and listed:
                tag = ("XPASS" if ok else "XFAIL") if listed else cls.upper()
                with lock:
                    print(f"{tag} {name}" + (f": {why}" if why else ""), flush=True)

    def is_new_failure(name, cls):
        if cls in ("pass", "bound"):
            return False
        if name not in expected:
            return True
        # A crash or a hang is never hidden behind an entry of another class.
        return cls in ("crash", "timeout") and expected[name][0] != cls

    new_fail = sorted(n for n, (c, _) in results.items() if is_new_failure(n, c))
    xpass = sorted(n for n, (c, _) in results.items() if c in ("pass", "bound") and n in expected)
    n_xfail = sum(1 for n, (c, _) in results.items() if c in FAILING and n not in new_fail)
    passed = sum(1 for c, _ in results.values() if c in ("pass", "bound"))
    stale = sorted(n for n in expected if n not in results) if not args.filter else []
    counts = {c: sum(1 for r in results.values() if r[0] == c) for c in CLASSES}

    if args.operators_doc:
        mode = ""
        if RUN_OPTIONS or BIND_WEIGHTS:
            mode = f" (run with {' '.join(RUN_OPTIONS + (['--bind-weights'] if BIND_WEIGHTS else []))})"
        write_operators_doc(args.operators_doc, operators_section(cases, results, mode)
                            + failure_groups_section(results))
        print(f"conformance: wrote {args.operators_doc}")
    if args.write_expected:
        write_expected(args.write_expected, results)
        print(f"conformance: wrote {sum(1 for c, _ in results.values() if c in FAILING)} "
              f"entries to {args.write_expected}")
    if stale:
        print(f"\nwarning: {len(stale)} --expected entries name no case: " + ", ".join(stale))
    if new_fail:
        print(f"\nNEW FAILURES ({len(new_fail)}), not in the expected list:")
        for n in new_fail:
            print(f"  {n}: {results[n][0]}: {results[n][1]}")
    if xpass:
        print(f"\nUNEXPECTED PASSES ({len(xpass)}): remove them from the expected list:")
        for n in xpass:
            print(f"  {n}  (listed as: {expected[n][0]}: {expected[n][1]})")
    print(f"\nconformance: {passed} of {len(results)} cases pass "
          f"({100.0 * passed / max(len(results), 1):.1f}%); "
          + ", ".join(f"{c} {counts[c]}" for c in CLASSES))
    print(f"conformance: {len(new_fail)} new failures, {n_xfail} expected failures, "
          f"{len(xpass)} unexpected passes")
    print(f"{passed} passed, {len(new_fail) + len(xpass)} failed")
    return 1 if new_fail or xpass or not cases else 0


if __name__ == "__main__":
    sys.exit(main())
