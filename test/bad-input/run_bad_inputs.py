#!/usr/bin/env python3
"""Bad-input test: `nnmodel compile` refuses malformed or hostile models cleanly.

Writes one model per class of bad input into WORK/cases/caseNN/ and runs

    nnmodel compile WORK/cases/caseNN/model.onnx --name bad -o WORK/out/caseNN

on each (paths are neutral so that an echoed path cannot supply the expected
word; the model and output paths are also blanked out of stderr before the
word check). A case passes when the exit code is 1 (not a signal, no crash banner),
stderr holds `error:` and a word that names the problem, and WORK/out/<case>
holds no file at all afterwards (docs/cli.md: nothing is left on failure).

Classes: truncated protobuf (a valid model cut in half), not a protobuf (random
bytes; text), an empty file, an unknown op (FooBar), bad attributes (Conv
`strides` of the wrong length; Transpose `perm` out of range), external data
escaping the model directory (`../secret.bin`, `/etc/passwd`; both files exist
so only the path check can refuse them; a hard link, a symbolic link to the file, a
symbolic link to a directory on the way, a FIFO), and a symbolic input dimension
without --dim (the error must name the input and the dimension).

Two control cases (the valid model before truncation; the symbolic model with
--dim) must compile, so that a compiler that refuses everything cannot pass.
The last line printed is `N passed, N failed`.
"""
import argparse
import os
import shutil
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from checks import leftovers, run_group  # noqa: E402

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

CRASH_MARKERS = ("Stack dump", "PLEASE submit a bug report", "Assertion", "Segmentation fault",
                 "terminate called", "AddressSanitizer", "UndefinedBehaviorSanitizer",
                 "Traceback (most recent call last)")
PARSE_WORDS = ["parse", "protobuf", "truncat", "malformed", "corrupt", "decode", "invalid",
               "not an onnx", "onnx model"]


def _model(nodes, inputs, outputs, inits=(), opset=13):
    graph = helper.make_graph(nodes, "bad_input_case", inputs, outputs, initializer=list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="nnmodel-bad-input")
    model.ir_version = 8
    return model


def _f32(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def valid_model():
    """x[1,64] -> MatMul(64x64) -> Add -> Relu -> y: valid, with a few KiB of weights."""
    rng = np.random.default_rng(7)
    w = numpy_helper.from_array(rng.standard_normal((64, 64)).astype(np.float32), "w")
    b = numpy_helper.from_array(rng.standard_normal(64).astype(np.float32), "b")
    nodes = [helper.make_node("MatMul", ["x", "w"], ["h"]),
             helper.make_node("Add", ["h", "b"], ["a"]),
             helper.make_node("Relu", ["a"], ["y"])]
    return _model(nodes, [_f32("x", [1, 64])], [_f32("y", [1, 64])], [w, b])


def parses(data):
    try:
        onnx.ModelProto().ParseFromString(data)
        return True
    except Exception:
        return False


def truncated_bytes():
    data = valid_model().SerializeToString()
    cut = len(data) // 2
    while parses(data[:cut]):  # a cut between two fields would still parse: move it
        cut += 1
    return data[:cut]


def random_bytes():
    rng = np.random.default_rng(1234)
    data = rng.integers(0, 256, 4096, dtype=np.uint8).tobytes()
    while parses(data):
        data = rng.integers(0, 256, 4096, dtype=np.uint8).tobytes()
    return data


def external_model(location, length):
    w = TensorProto()
    w.name = "w"
    w.data_type = TensorProto.FLOAT
    w.dims.extend([4])
    w.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", "0"), ("length", str(length))):
        entry = w.external_data.add()
        entry.key, entry.value = key, value
    return _model([helper.make_node("Add", ["x", "w"], ["y"])],
                  [_f32("x", [4])], [_f32("y", [4])], [w])


def symbolic_model():
    return _model([helper.make_node("Relu", ["pixels"], ["y"])],
                  [_f32("pixels", ["batch_size", 16])], [_f32("y", ["batch_size", 16])])


def build_cases(cases_dir):
    """[(case, model path, extra args, word groups or None for a control)]."""
    os.makedirs(cases_dir, exist_ok=True)
    # Real files where a path escape would land: only the path check may refuse them.
    secret = os.path.join(cases_dir, "secret.bin")
    np.arange(1, 5, dtype=np.float32).tofile(secret)

    foobar = _model([helper.make_node("FooBar", ["x"], ["y"])], [_f32("x", [2, 3])],
                    [_f32("y", [2, 3])])
    rng = np.random.default_rng(5)
    conv_w = numpy_helper.from_array(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), "w")
    conv = _model([helper.make_node("Conv", ["x", "w"], ["y"], kernel_shape=[3, 3],
                                    strides=[1, 1, 1])],
                  [_f32("x", [1, 3, 8, 8])], [_f32("y", [1, 4, 6, 6])], [conv_w])
    transpose = _model([helper.make_node("Transpose", ["x"], ["y"], perm=[0, 5])],
                       [_f32("x", [2, 3])], [_f32("y", [3, 2])])

    specs = [
        # case, file contents (bytes or ModelProto), extra args, word groups
        ("truncated", truncated_bytes(), [], [PARSE_WORDS]),
        ("random_bytes", random_bytes(), [], [PARSE_WORDS]),
        ("text_file", b"this is not an ONNX model, just text\n" * 8, [], [PARSE_WORDS]),
        ("empty_file", b"", [], [["graph", "empty", "opset", "ir_version"] + PARSE_WORDS]),
        ("unknown_op", foobar, [], [["FooBar"]]),
        ("conv_strides_length", conv, [], [["strides"]]),
        ("transpose_perm_range", transpose, [], [["perm"]]),
        ("external_dotdot", external_model("../secret.bin", 16), [],
         [["external", "secret.bin"]]),
        ("external_absolute", external_model("/etc/passwd", 16), [],
         [["external", "/etc/passwd"]]),
        # weights.bin: a hard link to a file outside the model's directory.
        ("external_hardlink", external_model("weights.bin", 16), [],
         [["external", "weights.bin"], ["hard link"]]),
        ("symbolic_dim", symbolic_model(), [], [["pixels"], ["batch_size"]]),
        # weights.bin: a symbolic link to a file outside the model's directory.
        ("external_symlink", external_model("weights.bin", 16), [],
         [["external", "weights.bin"], ["symbolic link"]]),
        # sub: a symbolic link to the directory above; sub/secret.bin exists through it.
        ("external_dir_symlink", external_model("sub/secret.bin", 16), [],
         [["external", "sub/secret.bin"], ["symbolic link"]]),
        # weights.bin: a FIFO, which must be refused without waiting for a writer.
        ("external_fifo", external_model("weights.bin", 16), [],
         [["external", "weights.bin"], ["regular file"]]),
        # weights.bin: a file of its own next to the model.
        ("control_external_file", external_model("weights.bin", 16), [], None),
        # data/weights.bin: a file of its own in a real subdirectory.
        ("control_external_subdir", external_model("data/weights.bin", 16), [], None),
        ("control_valid", valid_model(), [], None),
        ("control_symbolic_pinned", symbolic_model(), ["--dim", "batch_size=2"], None),
    ]
    cases = []
    for k, (name, content, extra, words) in enumerate(specs):
        # Neutral directory names: a path echoed in a message must not supply the word.
        d = os.path.join(cases_dir, f"case{k:02d}")
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, "model.onnx")
        with open(path, "wb") as f:
            f.write(content if isinstance(content, bytes) else content.SerializeToString())
        weights = os.path.join(d, "weights.bin")
        if os.path.lexists(weights):
            os.remove(weights)
        sub = os.path.join(d, "sub")
        if os.path.lexists(sub):
            os.remove(sub)
        if name == "external_hardlink":
            outside = os.path.join(cases_dir, "outside-secret.bin")
            with open(outside, "wb") as f:
                f.write(np.arange(4, dtype=np.float32).tobytes())
            os.link(outside, weights)
        elif name == "external_symlink":
            os.symlink(secret, weights)
        elif name == "external_dir_symlink":
            os.symlink(cases_dir, sub)
        elif name == "external_fifo":
            os.mkfifo(weights)
        elif name == "control_external_subdir":
            os.makedirs(os.path.join(d, "data"), exist_ok=True)
            with open(os.path.join(d, "data", "weights.bin"), "wb") as f:
                f.write(np.arange(4, dtype=np.float32).tobytes())
        elif name == "control_external_file":
            with open(weights, "wb") as f:
                f.write(np.arange(4, dtype=np.float32).tobytes())
        cases.append((name, path, extra, words))
    return cases


def check_case(nnmodel, work, case, timeout):
    name, path, extra, words = case
    out_dir = os.path.join(work, "out", os.path.basename(os.path.dirname(path)))
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)  # cli.md does not say whether -o DIR is created; it exists here
    cmd = [nnmodel, "compile", path, "--name", "bad", "-o", out_dir] + extra
    rc, out, err = run_group(cmd, timeout)
    problems = []
    if rc is None:
        problems.append(f"hung: killed after {timeout} s")
    elif rc < 0:
        problems.append(f"crashed: signal {-rc} ({signal.Signals(-rc).name})")
    crash = [m for m in CRASH_MARKERS if m in err or m in out]
    if crash:
        problems.append(f"crash output on stderr ({crash[0]!r})")
    files = leftovers(out_dir)
    if words is None:  # control: must succeed
        if rc != 0:
            problems.append(f"exit {rc}, expected 0")
        want = ["libbad.a", "bad.h", "bad.json"]
        missing = [f for f in want if f not in files]
        if rc == 0 and missing:
            problems.append(f"missing {missing}")
    else:
        if rc is not None and rc >= 0 and rc != 1:
            problems.append(f"exit {rc}, expected 1")
        if "error:" not in err:
            problems.append("stderr has no 'error:'")
        low = err.replace(path, "MODEL").replace(out_dir, "OUT").lower()
        for group in words:
            if not any(w.lower() in low for w in group):
                problems.append("stderr names none of " + "/".join(repr(w) for w in group))
        if files:
            problems.append(f"left in {out_dir}: {', '.join(files[:10])}")
    first = next((l.strip() for l in err.splitlines() if l.strip()), "(empty stderr)")
    return problems, first, cmd


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nnmodel", required=True, help="the nnmodel binary")
    ap.add_argument("--work", required=True, help="scratch directory (created)")
    ap.add_argument("--timeout", type=int, default=60, help="seconds per case (default: 60)")
    args = ap.parse_args(argv)
    nnmodel = os.path.abspath(args.nnmodel)
    if not (os.path.isfile(nnmodel) and os.access(nnmodel, os.X_OK)):
        ap.error(f"--nnmodel {args.nnmodel}: not an executable file")
    work = os.path.abspath(args.work)

    passed = failed = 0
    for case in build_cases(os.path.join(work, "cases")):
        problems, first, cmd = check_case(nnmodel, work, case, args.timeout)
        if problems:
            failed += 1
            print(f"FAIL {case[0]}: " + "; ".join(problems))
            print(f"     $ {' '.join(cmd)}\n     stderr: {first}")
        else:
            passed += 1
            print(f"PASS {case[0]}: {first if case[3] is not None else 'compiled'}")
        sys.stdout.flush()
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
