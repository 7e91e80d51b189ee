"""Bounded mutation fuzzing of `nnmodel compile`: never a crash, always exit 0 or 1.

    mutate_models.py --nnmodel BIN --work DIR [--cases N] [--seed S]

Starts from the e2e models (test/e2e/make_models.py) and, with a fixed seed, flips
bytes, truncates, duplicates and splices their serialized protobufs. Every mutant must
either compile (exit 0) or be refused with `nnmodel: error:` and exit 1; a signal, any
other exit code, a timeout or leftover files after a refusal fail the run.
"""
import argparse
import os
import random
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def mutate(data, rng):
    b = bytearray(data)
    kind = rng.randrange(4)
    if kind == 0:  # flip a few bytes
        for _ in range(rng.randint(1, 8)):
            b[rng.randrange(len(b))] = rng.randrange(256)
    elif kind == 1:  # truncate
        b = b[: rng.randrange(1, len(b))]
    elif kind == 2:  # duplicate a slice
        i = rng.randrange(len(b))
        j = min(len(b), i + rng.randint(1, 64))
        b[i:i] = b[i:j]
    else:  # overwrite a length-ish byte with a large varint
        i = rng.randrange(len(b))
        b[i:i + 1] = bytes([0xFF, 0xFF, 0xFF, 0x0F])
    return bytes(b)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nnmodel", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--cases", type=int, default=150)
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    data_dir = os.path.join(args.work, "data")
    os.makedirs(data_dir)
    subprocess.run([sys.executable, os.path.join(HERE, "..", "e2e", "make_models.py"), data_dir],
                   check=True, stdout=subprocess.DEVNULL)
    seeds = [open(os.path.join(data_dir, m), "rb").read()
             for m in ("mlp.onnx", "lenet.onnx", "resblock.onnx")]
    rng = random.Random(args.seed)
    passed = failed = compiled = 0
    for n in range(args.cases):
        case = os.path.join(args.work, f"m{n:03d}")
        os.makedirs(case)
        model = os.path.join(case, "model.onnx")
        with open(model, "wb") as f:
            f.write(mutate(rng.choice(seeds), rng))
        out = os.path.join(case, "out")
        try:
            p = subprocess.run([args.nnmodel, "compile", model, "--name", "m", "-o", out],
                               capture_output=True, text=True, errors="replace", timeout=60)
            rc, err = p.returncode, p.stderr
        except subprocess.TimeoutExpired:
            rc, err = None, "timeout"
        leftovers = os.listdir(out) if os.path.isdir(out) else []
        ok = rc == 0 or (rc == 1 and "nnmodel: error:" in err and not leftovers)
        if ok:
            passed += 1
            compiled += rc == 0
            shutil.rmtree(case)
        else:
            failed += 1
            print(f"FAIL m{n:03d}: exit {rc}: {err.strip().splitlines()[-1:] if err else ''}")
    print(f"mutants: {args.cases}, compiled: {compiled}, refused cleanly: {passed - compiled}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
