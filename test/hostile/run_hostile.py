#!/usr/bin/env python3
"""Hostile-model corpus: `nnmodel compile` refuses each one with its exact message.

    run_hostile.py --nnmodel BIN --work DIR [--corpus DIR] [--expected FILE]
                   [--timeout S] [--memory-gib G] [--update] [CASE...]

expected.txt (next to this script by default) has one line per corpus file, three
fields separated by tabs (blank lines and lines starting with `#` are skipped):

    <case>.onnx <TAB> <extra nnmodel args, space-separated, or -> <TAB> <message or OK>

For each line the runner copies the case (and its `<case>.bin` side file if there
is one) into WORK/cases/<case>/, then runs

    nnmodel compile WORK/cases/<case>/model.onnx --name bad -o WORK/out/<case> <args>

under a wall-clock timeout (60 s) and an address-space limit (RLIMIT_AS, 4 GiB;
`--memory-gib 0` lifts it for ASan builds) so that hangs and memory bombs fail fast
instead of taking the machine down. The copy
gives every case a fresh directory whose name cannot supply the expected words, and
side files that are regular files of their own (a checkout may hard-link them).

A refusal passes when the exit code is 1 (no signal, no timeout), nothing on stdout
or stderr looks like a crash (CRASH_MARKERS, as in test/bad-input), the first stderr
line that starts with `nnmodel: error: ` is, after that prefix and with the model
path replaced by `MODEL` and the output directory by `OUT`, exactly the expected
message, and WORK/out/<case> holds no file afterwards. A line whose message is `OK`
is a control: it must exit 0 and write libbad.a, bad.h and bad.json. A control may
also name its output shapes after `OK`, as `OK y=[1,4]` (output name = shape,
space-separated); they are checked against bad.json.

Prints PASS/FAIL per case and a last line `N passed, N failed`; exits 1 on any
failure, and also when a corpus `.onnx` file has no line in expected.txt.

Maintainers: after changing messages in the compiler (or adding cases with
make_corpus.py), run with `--update` to rewrite expected.txt from the current
outputs: each refusal's line gets the message the compiler now prints (controls keep
their line; a case with no error line, a crash or a timeout keeps its old line and is
listed), new corpus files get a line, lines of missing files are dropped. Review the
diff before committing: --update accepts whatever the compiler says.
"""
import argparse
import json
import os
import re
import resource
import shutil
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from checks import leftovers, run_group  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PREFIX = "nnmodel: error: "
CRASH_MARKERS = ("Stack dump", "PLEASE submit a bug report", "Assertion", "Segmentation fault",
                 "terminate called", "AddressSanitizer", "UndefinedBehaviorSanitizer",
                 "Traceback (most recent call last)")
HEADER = """\
# Hostile-model corpus (test/hostile/corpus, written by make_corpus.py) and the exact
# message `nnmodel compile` must refuse each with; run_hostile.py checks it (ctest
# hostile.corpus). Fields, tab-separated:
#   <case>.onnx  <extra nnmodel args or ->  <message after "nnmodel: error: ", or OK>
# In messages the model path is MODEL and the output directory OUT. A control (OK)
# must compile; `OK y=[1,4]` also checks output y's shape in the JSON metadata.
"""


class Case:
    def __init__(self, file, args, expected, lineno=0):
        self.file, self.args, self.expected, self.lineno = file, args, expected, lineno

    @property
    def name(self):
        return self.file[:-len(".onnx")] if self.file.endswith(".onnx") else self.file

    @property
    def control(self):
        return self.expected == "OK" or self.expected.startswith("OK ")

    def line(self):
        return f"{self.file}\t{' '.join(self.args) if self.args else '-'}\t{self.expected}"


def read_expected(path):
    cases, comments = [], []
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split("\t")
            if len(fields) != 3 or not fields[0].endswith(".onnx") or not fields[2]:
                raise SystemExit(f"{path}:{n}: expected `<case>.onnx<TAB>args or -<TAB>"
                                 f"message or OK`, got {line!r}")
            args = [] if fields[1].strip() == "-" else fields[1].split()
            cases.append(Case(fields[0], args, fields[2], n))
    return cases


def write_expected(path, cases):
    with open(path, "w", encoding="utf-8") as f:
        f.write(HEADER)
        for c in cases:
            f.write(c.line() + "\n")


def limit_memory(gib):
    def apply():
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if gib > 0:
            limit = int(gib * 2 ** 30)
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return apply


def first_error(err, model, out_dir):
    """The first `nnmodel: error: ` line's text, paths replaced; None without one."""
    for line in err.splitlines():
        if line.startswith(PREFIX):
            text = line[len(PREFIX):].rstrip()
            for path, mark in ((out_dir, "OUT"), (model, "MODEL"),
                               (os.path.dirname(model), "MODEL_DIR")):
                text = text.replace(path, mark)
            return text
    return None


def parse_shape(text):
    return [int(d) for d in text.strip("[]").split(",") if d.strip()]


def output_shapes(json_path):
    """{output name: shape} from the compile's metadata, or {} if unreadable."""
    try:
        with open(json_path, encoding="utf-8") as f:
            meta = json.load(f)
    except (OSError, ValueError):
        return {}
    shapes = {}

    def walk(node):
        if isinstance(node, dict):
            outs = node.get("outputs")
            if isinstance(outs, list):
                for o in outs:
                    if isinstance(o, dict) and "name" in o and "shape" in o:
                        shapes[o["name"]] = [int(d) for d in o["shape"]]
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(meta)
    return shapes


def prepare(case, corpus, work):
    """Copies the case and its side file into WORK/cases/<case>/; the model path."""
    d = os.path.join(work, "cases", case.name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    src = os.path.join(corpus, case.file)
    model = os.path.join(d, "model.onnx")
    shutil.copyfile(src, model)
    # Side files keep their names: the model refers to them by name.
    for f in os.listdir(corpus):
        if f.startswith(case.name + ".") and not f.endswith(".onnx"):
            shutil.copyfile(os.path.join(corpus, f), os.path.join(d, f))
    return model


def check(nnmodel, work, corpus, case, timeout, memory_gib):
    """(problems, what it did, message or None, command)."""
    model = prepare(case, corpus, work)
    out_dir = os.path.join(work, "out", case.name)
    shutil.rmtree(out_dir, ignore_errors=True)
    cmd = [nnmodel, "compile", model, "--name", "bad", "-o", out_dir] + case.args
    rc, out, err = run_group(cmd, timeout, limit_memory(memory_gib))
    problems = []
    if rc is None:
        did = f"timeout after {timeout} s"
        problems.append(did)
    elif rc < 0:
        did = f"signal {-rc} ({signal.Signals(-rc).name})"
        problems.append(did)
    else:
        did = f"exit {rc}"
    crash = [m for m in CRASH_MARKERS if m in err or m in out]
    if crash:
        problems.append(f"crash output ({crash[0]!r})")
    message = first_error(err, model, out_dir)
    files = leftovers(out_dir)
    if case.control:
        if rc is not None and rc >= 0 and rc != 0:
            problems.append(f"exit {rc}, expected 0 (a control must compile)")
        if rc == 0:
            missing = [f for f in ("libbad.a", "bad.h", "bad.json") if f not in files]
            if missing:
                problems.append(f"missing {', '.join(missing)}")
            want = {}
            for item in case.expected.split()[1:]:
                name, _, shape = item.partition("=")
                want[name] = parse_shape(shape)
            if want:
                got = output_shapes(os.path.join(out_dir, "bad.json"))
                for name, shape in want.items():
                    if got.get(name) != shape:
                        problems.append(f"output {name} has shape {got.get(name)}, "
                                        f"expected {shape}")
        if message is not None and rc != 0:
            did += f": {message}"
    else:
        if rc is not None and rc >= 0 and rc != 1:
            problems.append(f"exit {rc}, expected 1")
        if message is None:
            last = next((l.strip() for l in reversed(err.splitlines()) if l.strip()),
                        "(empty stderr)")
            problems.append(f"no `{PREFIX.strip()}` line (stderr ends: {last[:200]})\n"
                            f"       expected: {case.expected}")
        elif message != case.expected:
            problems.append(f"message differs:\n       got:      {message}\n"
                            f"       expected: {case.expected}")
        if files:
            problems.append(f"left in OUT: {', '.join(files[:10])}")
        if message is not None:
            did += f": {message}"
    return problems, did, message, cmd, rc


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nnmodel", required=True, help="the nnmodel binary")
    ap.add_argument("--work", required=True, help="scratch directory (created)")
    ap.add_argument("--corpus", default=os.path.join(HERE, "corpus"),
                    help="directory of the .onnx cases (default: corpus/ here)")
    ap.add_argument("--expected", default=os.path.join(HERE, "expected.txt"),
                    help="expectations file (default: expected.txt here)")
    ap.add_argument("--timeout", type=int, default=60, help="seconds per case (default: 60)")
    ap.add_argument("--memory-gib", type=float, default=4,
                    help="address-space limit per compile, GiB (default: 4; 0: none, "
                         "for sanitizer builds, which reserve terabytes of shadow memory)")
    ap.add_argument("--update", action="store_true",
                    help="rewrite --expected from the current messages (maintainers)")
    ap.add_argument("cases", nargs="*", help="run only these cases (name or file)")
    args = ap.parse_args(argv)
    nnmodel = os.path.abspath(args.nnmodel)
    if not (os.path.isfile(nnmodel) and os.access(nnmodel, os.X_OK)):
        ap.error(f"--nnmodel {args.nnmodel}: not an executable file")
    corpus, work = os.path.abspath(args.corpus), os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)

    cases = read_expected(args.expected) if os.path.exists(args.expected) else []
    if not os.path.exists(args.expected) and not args.update:
        ap.error(f"--expected {args.expected}: no such file")
    on_disk = sorted(f for f in os.listdir(corpus) if f.endswith(".onnx"))
    listed = {c.file for c in cases}
    unlisted = [f for f in on_disk if f not in listed]
    if args.update:
        cases = [c for c in cases if c.file in on_disk]
        cases += [Case(f, [], "OK" if f.startswith("control_") else "(new)") for f in unlisted]
        cases.sort(key=lambda c: c.file)
    wanted = {c if c.endswith(".onnx") else c + ".onnx" for c in args.cases}

    passed = failed = 0
    kept = []
    for case in cases:
        if wanted and case.file not in wanted:
            continue
        if case.file not in on_disk:
            failed += 1
            print(f"FAIL {case.name}: listed in expected.txt but not in {corpus}")
            continue
        problems, did, message, cmd, rc = check(nnmodel, work, corpus, case, args.timeout,
                                                args.memory_gib)
        if args.update and not case.control:
            clean = (rc == 1 and message is not None
                     and not any(p.startswith(("crash", "timeout", "signal")) for p in problems))
            if clean:
                if message != case.expected:
                    print(f"UPDATE {case.name}: {message}")
                case.expected = message
                problems = [p for p in problems if not p.startswith("message differs")]
            else:
                kept.append(case.name)
        if problems:
            failed += 1
            print(f"FAIL {case.name}: {did}")
            for p in problems:
                print(f"     {p}")
            print(f"     $ {' '.join(cmd)}")
        else:
            passed += 1
            print(f"PASS {case.name}: {'compiled' if case.control else did}")
        sys.stdout.flush()
    if args.update:
        write_expected(args.expected, cases)
        print(f"rewrote {args.expected}" + (f"; kept the old line of {', '.join(kept)}"
                                              if kept else ""))
    elif not wanted:
        for f in unlisted:
            failed += 1
            print(f"FAIL {f[:-5]}: in the corpus but has no line in {args.expected}")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
