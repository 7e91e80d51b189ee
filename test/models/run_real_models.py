#!/usr/bin/env python3
"""Real-architecture models through NNModel, compared with ONNX Runtime.

 1. make_real_models.py WORK/data: six models (BERT-style encoder, GPT-2 block, U-Net,
    LSTM classifier, QDQ-quantized CNN, float16 net), seeded inputs, ORT outputs.
 2. For each model: `nnmodel run MODEL -i NAME=FILE.npy ... -o WORK/out/<model>`
    (compile, link and run once), then WORK/out/<model>/<output>.npy is compared with
    the reference: |got - want| <= atol + rtol * |want| everywhere (rtol 1e-4,
    atol 1e-5 for float32; rtol 1e-2, atol 1e-3 for the float16 model).

Prints PASS/FAIL per model with the max abs and rel errors; the last line is
`N passed, N failed`; exits 1 on any failure.
"""
import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from checks import describe, run_logged as run  # noqa: E402


def compare(got, want, rtol, atol):
    """Returns (ok, max abs error, max rel error, message)."""
    if got.shape != want.shape:
        return False, np.inf, np.inf, f"shape {got.shape} != {want.shape}"
    if got.dtype != want.dtype:
        return False, np.inf, np.inf, f"dtype {got.dtype} != {want.dtype}"
    g = got.astype(np.float64)
    w = want.astype(np.float64)
    if not np.all(np.isfinite(g)):
        return False, np.inf, np.inf, "non-finite values"
    diff = np.abs(g - w)
    rel = diff / np.maximum(np.abs(w), np.finfo(np.float64).tiny)
    ok = bool(np.all(diff <= atol + rtol * np.abs(w)))
    return ok, float(diff.max()), float(rel[diff > 0].max() if np.any(diff > 0) else 0.0), ""


def check_model(nnmodel, data, outroot, stem, entry, timeout):
    outdir = os.path.join(outroot, stem)
    os.makedirs(outdir, exist_ok=True)
    for f in os.listdir(outdir):
        os.remove(os.path.join(outdir, f))
    cmd = [nnmodel, "run", os.path.join(data, entry["model"])]
    for name in entry["inputs"]:
        cmd += ["-i", f"{name}={os.path.join(data, f'{stem}.{name}.npy')}"]
    cmd += ["-o", outdir]
    rc, out, err = run(cmd, timeout)
    if rc != 0:
        sys.stdout.write(err[-2000:])
        return False, describe(rc, err)
    worst_abs = worst_rel = 0.0
    ok = True
    notes = []
    for name in entry["outputs"]:
        path = os.path.join(outdir, f"{name}.npy")
        if not os.path.exists(path):
            return False, f"no {name}.npy written"
        got, want = np.load(path), np.load(os.path.join(data, f"{stem}.{name}.npy"))
        good, a, r, msg = compare(got, want, entry["rtol"], entry["atol"])
        ok = ok and good
        worst_abs, worst_rel = max(worst_abs, a), max(worst_rel, r)
        if msg:
            notes.append(f"{name}: {msg}")
    detail = f"max abs err {worst_abs:.3g}, max rel err {worst_rel:.3g} " \
             f"(rtol {entry['rtol']:g}, atol {entry['atol']:g})"
    return ok, "; ".join([detail] + notes)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nnmodel", required=True, help="the nnmodel binary")
    ap.add_argument("--work", required=True, help="scratch directory (created)")
    ap.add_argument("--only", action="append", help="run only this model (repeatable)")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per model")
    args = ap.parse_args(argv)

    data = os.path.join(args.work, "data")
    outroot = os.path.join(args.work, "out")
    os.makedirs(outroot, exist_ok=True)
    passed = failed = 0
    cmd = [sys.executable, os.path.join(HERE, "make_real_models.py"), data]
    for stem in args.only or []:
        cmd += ["--only", stem]
    rc, out, err = run(cmd, 300)
    sys.stdout.write(out)
    if rc != 0:
        print(f"FAIL make_real_models.py: {describe(rc, err)}")
        print(f"{passed} passed, 1 failed")
        return 1
    with open(os.path.join(data, "manifest.json")) as f:
        manifest = json.load(f)

    for stem, entry in manifest.items():
        ok, detail = check_model(args.nnmodel, data, outroot, stem, entry, args.timeout)
        print(f"{'PASS' if ok else 'FAIL'} {stem}: {detail}", flush=True)
        passed += ok
        failed += not ok
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
