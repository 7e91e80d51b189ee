#!/usr/bin/env python3
"""End-to-end test: compiled models linked into one C++ program match ONNX Runtime.

Steps (each prints PASS/FAIL lines; the last line is `N passed, N failed`):

 1. make_models.py WORK/data: four models, random inputs, onnxruntime outputs.
 2. `nnmodel compile` each model into WORK/<dir>:
        mlp1/      mlp.onnx       --name mlp      --version 1.0.0
        mlp2/      mlp_v2.onnx    --name mlp      --version 2.0.0
        lenet/     lenet.onnx     --name lenet    --version 1.0.0
        resblock/  resblock.onnx  --name resblock --version 1.0.0
    and check that libNAME.a, NAME.h and NAME.json are there, that the JSON names
    the model and version, and that the library exports only NAME_vMAJOR_ symbols.
 3. The four headers compile as C (C11) in one translation unit.
 4. app.cpp is linked (-fuse-ld=lld) against the four libraries and the runtime
    library, and run on WORK/data; each of its PASS/FAIL lines counts as a check.
 5. `nnmodel inspect WORK/lenet/liblenet.a` and `--json` show the fields docs/cli.md
    lists; sha256 equals hashlib.sha256 of lenet.onnx.

Exit status: 0 only if every check passed.
"""
import argparse
import hashlib
import json
import os
import re
import shlex
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from checks import Checks, describe, run_logged as run  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TRIPLE = "x86_64-unknown-linux-gnu"
DEFAULT_CPU = "x86-64-v2"
PRODUCER = "nnmodel-e2e"

# output dir, model file stem, --name, --version
MODELS = [
    ("mlp1", "mlp", "mlp", "1.0.0"),
    ("mlp2", "mlp_v2", "mlp", "2.0.0"),
    ("lenet", "lenet", "lenet", "1.0.0"),
    ("resblock", "resblock", "resblock", "1.0.0"),
]

# The generated headers must work from C too: all four in one C11 file.
C_HEADER_CHECK = """#include "mlp1/mlp.h"
#include "mlp2/mlp.h"
#include "lenet/lenet.h"
#include "resblock/resblock.h"
int use(void) {
  mlp_v1_context *a = 0; mlp_v2_context *b = 0;
  lenet_v1_context *l = 0; resblock_v1_context *r = 0;
  return (int)mlp_v1_create(0, &a) + (int)mlp_v2_create(0, &b) +
         (int)lenet_v1_create(0, &l) + (int)resblock_v1_create(0, &r);
}
"""


def leaves(obj, key=""):
    """Yields (key, value) for every scalar and every list of scalars in a JSON document."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from leaves(v, str(k))
    elif isinstance(obj, list):
        if all(not isinstance(v, (dict, list)) for v in obj):
            yield key, obj
        for v in obj:
            yield from leaves(v, key)
    else:
        yield key, obj


def exported_symbols(readelf, lib):
    """Defined global symbols with default visibility in an archive, or None."""
    rc, out, _ = run([readelf, "-sW", lib], 120)
    if rc != 0:
        return None
    names = set()
    for line in out.splitlines():
        f = line.split()
        # Num: Value Size Type Bind Vis Ndx Name
        if len(f) >= 8 and f[0].endswith(":") and f[4] in ("GLOBAL", "WEAK") \
                and f[5] == "DEFAULT" and f[6] != "UND":
            names.add(f[7])
    return names


def c_compiler(cxx):
    base = os.path.basename(cxx)
    for a, b in (("clang++", "clang"), ("g++", "gcc"), ("c++", "cc")):
        if a in base:
            cand = os.path.join(os.path.dirname(cxx), base.replace(a, b))
            if shutil.which(cand):
                return cand
    return shutil.which("cc")


MISMATCH_MAIN = """#include "mlp.h"
int main(void) {
  mlp_v1_context *ctx = 0;
  return (int)mlp_v1_create(0, &ctx);
}
"""


def check_build_id(c, args, work, data, extra):
    """A header and a library of two different compiles do not link together: the header
    references <prefix>_build_<id>, which only its own library defines."""
    meta = json.load(open(os.path.join(work, "mlp1", "mlp.json")))
    bid = meta.get("build_id", "")
    c.check(re.fullmatch(r"[0-9a-f]{16}", bid or "") is not None, "mlp.json has a build id",
            f"build_id {bid!r}")
    other = os.path.join(work, "mlp-other")
    shutil.rmtree(other, ignore_errors=True)
    os.makedirs(other)
    # The same name and version, from a different model: a stale header's situation.
    rc, _, err = run([args.nnmodel, "compile", os.path.join(data, "mlp_v2.onnx"), "--name", "mlp",
                      "--version", "1.0.0", "-o", other, "-q"], args.timeout)
    if not c.check(rc == 0, "compile mlp_v2.onnx as mlp 1.0.0", describe(rc, err)):
        return
    cc = args.cc or c_compiler(args.cxx)
    # Not beside either header: #include "mlp.h" must come from the -I directory.
    src_dir = os.path.join(work, "mismatch")
    os.makedirs(src_dir, exist_ok=True)
    src = os.path.join(src_dir, "main.c")
    with open(src, "w") as f:
        f.write(MISMATCH_MAIN)
    def link(header_dir):
        return run([cc, "-std=c11", *extra, f"-I{header_dir}", f"-I{args.runtime_include}", src,
                    os.path.join(other, "libmlp.a"), args.runtime_lib, "-ldnnl", "-lgomp",
                    "-lm", "-lpthread", "-fuse-ld=lld", "-o", src + ".out"], args.timeout)
    rc, _, err = link(os.path.join(work, "mlp1"))
    c.check(rc != 0 and f"mlp_v1_build_{bid}" in err,
            "mlp1/mlp.h with another compile's libmlp.a: link error naming the build symbol",
            f"exit {rc}: {err.strip()[:600]}")
    rc, _, err = link(other)
    c.check(rc == 0, "the same program with the matching header links", err.strip()[:600])


def check_inspect(c, args, lib, onnx_path, json_path):
    sha = hashlib.sha256(open(onnx_path, "rb").read()).hexdigest()
    rc, out, err = run([args.nnmodel, "inspect", lib], args.timeout)
    if c.check(rc == 0, "inspect: exit 0", describe(rc, err)):
        low = out.lower()
        for what, needle in [("model name", "lenet"), ("version", "1.0.0"), ("sha256", sha),
                             ("producer", PRODUCER), ("target triple", TRIPLE),
                             ("cpu", DEFAULT_CPU), ("input name", "image"),
                             ("output name", "probs"), ("opsets", "opset"),
                             ("weight bytes", "weight"), ("arena bytes", "arena"),
                             ("compiler version", "compiler")]:
            c.check(needle.lower() in low, f"inspect: shows {what} ({needle})",
                    "not in output:\n" + out[:2000])

    rc, out, err = run([args.nnmodel, "inspect", "--json", lib], args.timeout)
    if not c.check(rc == 0, "inspect --json: exit 0", describe(rc, err)):
        return
    try:
        doc = json.loads(out)
    except ValueError as e:
        c.check(False, "inspect --json: prints one JSON document", f"{e}:\n{out[:2000]}")
        return
    c.check(True, "inspect --json: prints one JSON document")
    vals = list(leaves(doc))
    strings = [v for _, v in vals if isinstance(v, str)]
    lists = [v for _, v in vals if isinstance(v, list)]

    def keys(obj):
        if isinstance(obj, dict):
            for k, v in obj.items():
                yield str(k).lower()
                yield from keys(v)
        elif isinstance(obj, list):
            for v in obj:
                yield from keys(v)

    def has_key(word, pred=None):
        if pred is None:
            return any(word in k for k in keys(doc))
        return any(word in k.lower() and pred(v) for k, v in vals)

    def is_int(v):
        return isinstance(v, int) and not isinstance(v, bool)

    c.check("lenet" in strings, "inspect --json: model name lenet")
    c.check("1.0.0" in strings, "inspect --json: version 1.0.0")
    c.check(any(sha in s.lower() for s in strings),
            "inspect --json: sha256 equals hashlib.sha256(lenet.onnx)", f"want {sha}")
    c.check(PRODUCER in strings, f"inspect --json: producer {PRODUCER}")
    c.check(has_key("opset"), "inspect --json: opsets")
    c.check(has_key("compiler"), "inspect --json: compiler version")
    c.check(TRIPLE in strings, f"inspect --json: target triple {TRIPLE}")
    c.check(DEFAULT_CPU in strings, f"inspect --json: cpu {DEFAULT_CPU}")
    c.check("image" in strings and [1, 1, 28, 28] in lists,
            "inspect --json: input image [1,1,28,28]")
    c.check("probs" in strings and [1, 10] in lists, "inspect --json: output probs [1,10]")
    c.check(has_key("weight", lambda v: is_int(v) and v > 0), "inspect --json: weight bytes")
    c.check(has_key("arena", lambda v: is_int(v) and v >= 0), "inspect --json: arena bytes")
    try:
        same = json.load(open(json_path)) == doc
    except (OSError, ValueError):
        same = False
    c.check(same, "inspect --json: same document as lenet/lenet.json")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nnmodel", required=True, help="the nnmodel binary")
    ap.add_argument("--runtime-lib", required=True, help="libnnmodel_runtime.a")
    ap.add_argument("--runtime-include", required=True,
                    help="directory holding nnmodel/runtime.h")
    ap.add_argument("--cxx", default="clang++", help="C++ compiler (default: %(default)s)")
    ap.add_argument("--cc", help="C compiler for the C header check (default: from --cxx)")
    ap.add_argument("--work", required=True, help="scratch directory (created)")
    ap.add_argument("--timeout", type=int, default=600,
                    help="seconds allowed per command (default: %(default)s)")
    ap.add_argument("--cflags", default="",
                    help="extra compile and link flags for the programs this test builds "
                         "(the sanitizer build passes its -fsanitize flags)")
    args = ap.parse_args(argv)
    extra = shlex.split(args.cflags)
    args.nnmodel = os.path.abspath(args.nnmodel)
    work = os.path.abspath(args.work)
    data = os.path.join(work, "data")
    os.makedirs(work, exist_ok=True)
    c = Checks()

    rc, out, err = run([sys.executable, os.path.join(HERE, "make_models.py"), data], 300)
    if not c.check(rc == 0, "make_models.py", describe(rc, err) + out):
        print(f"{c.passed} passed, {c.failed} failed")
        return 1

    readelf = shutil.which("llvm-readelf") or shutil.which("readelf")
    built = True
    for d, stem, name, version in MODELS:
        out_dir = os.path.join(work, d)
        shutil.rmtree(out_dir, ignore_errors=True)
        os.makedirs(out_dir)  # cli.md does not say whether -o DIR is created; it exists here
        onnx_path = os.path.join(data, stem + ".onnx")
        rc, _, err = run([args.nnmodel, "compile", onnx_path, "--name", name, "--version",
                          version, "-o", out_dir], args.timeout)
        if not c.check(rc == 0, f"{d}: nnmodel compile", describe(rc, err)):
            built = False
            continue
        files = [f"lib{name}.a", f"{name}.h", f"{name}.json"]
        missing = [f for f in files if not os.path.isfile(os.path.join(out_dir, f))]
        if not c.check(not missing, f"{d}: wrote {', '.join(files)}", f"missing {missing}"):
            built = False
            continue
        try:
            meta = json.load(open(os.path.join(out_dir, f"{name}.json")))
            strings = [v for _, v in leaves(meta) if isinstance(v, str)]
            ok, why = name in strings and version in strings, f"{name}/{version} not in it"
        except ValueError as e:
            ok, why = False, f"not JSON: {e}"
        c.check(ok, f"{d}: {name}.json names {name} {version}", why)
        prefix = f"{name}_v{version.split('.')[0]}_"
        if readelf:
            syms = exported_symbols(readelf, os.path.join(out_dir, files[0]))
            bad = sorted(s for s in syms or () if not s.startswith(prefix))
            c.check(syms is not None and not bad and any(s.startswith(prefix) for s in syms),
                    f"{d}: lib{name}.a exports only {prefix}* symbols",
                    "readelf failed" if syms is None else f"also exports {bad[:20]}")

    if not built:
        c.check(False, "link and run app.cpp", "skipped: a model did not compile")
    else:
        cc = args.cc or c_compiler(args.cxx)
        if cc:
            src = os.path.join(work, "headers_c.c")
            with open(src, "w") as f:
                f.write(C_HEADER_CHECK)
            rc, _, err = run([cc, "-std=c11", "-Wall", "-c", *extra, f"-I{work}",
                              f"-I{args.runtime_include}", src, "-o", src + ".o"], args.timeout)
            c.check(rc == 0, "the four headers compile as C11 in one file", err.strip()[:2000])
        app = os.path.join(work, "app")
        if os.path.exists(app):
            os.remove(app)
        libs = [os.path.join(work, d, f"lib{name}.a") for d, _, name, _ in MODELS]
        rc, _, err = run([args.cxx, "-std=c++17", "-O2", "-g", "-Wall", "-pthread", *extra,
                          f"-I{work}", f"-I{args.runtime_include}",
                          os.path.join(HERE, "app.cpp"), *libs, args.runtime_lib,
                          "-ldnnl", "-lgomp", "-lm", "-lpthread", "-fuse-ld=lld",
                          "-o", app], args.timeout)
        if c.check(rc == 0, "link app.cpp with the four libraries (lld)", err.strip()[:4000]):
            rc, out, err = run([app, data], args.timeout)
            for line in out.splitlines():
                m = re.match(r"(PASS|FAIL) (.*)", line)
                if m:
                    c.check(m.group(1) == "PASS", "app: " + m.group(2))
            if err.strip():
                print(err.strip()[:4000])
            c.check(rc == 0 and "FAIL" not in out and "PASS" in out, "app: exit 0",
                    describe(rc, err))

    if built:
        check_build_id(c, args, work, data, extra)
    lenet_lib = os.path.join(work, "lenet", "liblenet.a")
    if os.path.isfile(lenet_lib):
        check_inspect(c, args, lenet_lib, os.path.join(data, "lenet.onnx"),
                      os.path.join(work, "lenet", "lenet.json"))
    else:
        c.check(False, "nnmodel inspect lenet", "skipped: liblenet.a was not built")

    print(f"{c.passed} passed, {c.failed} failed")
    return 0 if c.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
