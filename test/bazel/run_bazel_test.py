#!/usr/bin/env python3
"""Bazel consumer test: nn_model in a workspace, built and run offline, and its disk cache.

Steps (PASS/FAIL lines; the last line is `bazel: N passed, N failed`):

 1. WORK/prefix: an installed NNModel, by `cmake --install` (--cmake), whose
    share/nnmodel/bazel is the @nnmodel repository and finds the compiler by itself;
    without --cmake, bin/nnmodel, lib/libnnmodel_runtime.a and the header copied
    there and the checkout's rules. WORK/overrides: the tiny rules_cc, rules_java
    and remote_coverage_tools repositories that let Bazel 4.2.3 work offline
    (ARCHITECTURE.md). WORK/ws: test/bazel/workspace plus paths.bzl, the models
    and ONNX Runtime reference data from test/e2e/make_models.py, and the checkout's
    examples/digits copied as the package //digits, as a user copies it.
 2. `bazel test //...` with output base WORK/base-1 and a fresh --disk_cache:
    nn_model compiles mlp 1.0.0, mlp 2.0.0, lenet, resblock, mlp_gpu (cpu+cuda, which
    needs the CUDA toolkit at /usr/local/cuda) and digits;
    //app:models_test links the first four (the two mlp versions side by side) and
    checks them against ONNX Runtime; //app:gpu_test runs mlp_gpu's CPU API and gets
    NNM_NO_DEVICE from its CUDA API on a machine without a GPU (runs it with one);
    //app:build_tree_runtime_test and a genrule use nnmodel_repository pointed at the
    CMake build tree; //digits:digits_test runs the example's main.cpp. Then
    `bazel run //digits:digits-app` on the same server, as the example's BUILD.bazel
    tells a user, prints its predictions, and the manual targets in //bad_cuda
    (misused cuda attributes) fail at analysis with their messages.
 3. The outputs hold no absolute path, and Bazel's mlp 1.0.0 library, header and
    JSON are byte-identical to `nnmodel compile` run by hand in another directory.
 4. The same `bazel test //...` from a fresh output base WORK/base-2 with the same
    disk cache: every NNModelCompile action is a disk cache hit (execution log),
    and Bazel's `INFO: N processes: M disk cache hit` line is reported.

Exit status 0 if every check passed, 1 otherwise, 77 (ctest SKIP_RETURN_CODE) when
no `bazel` executable exists (scripts/setup.sh installs Debian's bazel-bootstrap).
"""
import argparse
import json
import os
import re
import shutil
import stat
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from checks import Checks  # noqa: E402
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SKIP = 77
# nn_model targets: (package, target, model_name). //digits is examples/digits/BUILD.bazel.
MODELS = (("models", "mlp_v1", "mlp"), ("models", "mlp_v2", "mlp"), ("models", "lenet", "lenet"),
          ("models", "resblock", "resblock"), ("models", "mlp_gpu", "mlp_gpu"),
          ("digits", "digits", "digits"))
# //bad_cuda's manual targets and the analysis error each must give.
BAD_CUDA = {
    "archs_without_cuda": 'cuda_archs is set but targets (cpu) has no "cuda"',
    "malformed_arch": "cuda_archs value 'sm90' is not a CUDA architecture",
    "cuda_for_aarch64": "--target-triple 'aarch64-unknown-linux-gnu'",
}
MNEMONIC = "NNModelCompile"
EXAMPLE = os.path.join("examples", "digits")  # in --source-dir; copied to WORK/ws/digits
# The last line main.cpp prints; the version is the one examples/digits/BUILD.bazel gives.
PREDICTION = re.compile(r"prediction: (\d+) of (\d+) held-out digits correct "
                        r"\(model digits ([0-9.]+)\)")

# Bazel 4.2.3 (Debian's bazel-bootstrap) wants to download rules_cc and rules_java.
# These stand-ins forward to the rules built into Bazel; the rules_cc one also has
# the files nnmodel's defs.bzl loads (cc/common/*.bzl, cc/find_cc_toolchain.bzl).
OVERRIDES = {
    "rules_cc": {
        "WORKSPACE": 'workspace(name = "rules_cc")\n',
        "BUILD": "",
        "cc/BUILD": (
            'package(default_visibility = ["//visibility:public"])\n\n'
            'alias(name = "current_cc_toolchain", '
            'actual = "@bazel_tools//tools/cpp:current_cc_toolchain")\n\n'
            'alias(name = "toolchain_type", actual = "@bazel_tools//tools/cpp:toolchain_type")\n'
        ),
        "cc/defs.bzl": "".join(
            "def %s(**kwargs):\n    native.%s(**kwargs)\n\n" % (r, r)
            for r in ("cc_binary", "cc_import", "cc_library", "cc_proto_library", "cc_test",
                      "cc_toolchain", "cc_toolchain_suite", "fdo_prefetch_hints",
                      "fdo_profile", "objc_import", "objc_library")),
        "cc/find_cc_toolchain.bzl": (
            "def find_cc_toolchain(ctx):\n"
            "    return ctx.attr._cc_toolchain[cc_common.CcToolchainInfo]\n\n"
            "def find_cpp_toolchain(ctx):\n"
            "    return find_cc_toolchain(ctx)\n\n"
            "def use_cc_toolchain(mandatory = False):\n"
            "    return []\n"
        ),
        "cc/common/BUILD": "",
        "cc/common/cc_common.bzl": (
            'load("//cc/private:native.bzl", "native_cc_common")\n\n'
            "cc_common = native_cc_common\n"
        ),
        "cc/common/cc_info.bzl": (
            'load("//cc/private:native.bzl", "native_cc_info")\n\n'
            "CcInfo = native_cc_info\n"
        ),
        "cc/private/BUILD": "",
        "cc/private/native.bzl": "native_cc_common = cc_common\nnative_cc_info = CcInfo\n",
    },
    # cc_test's implicit coverage tools; coverage is not used here.
    "remote_coverage_tools": {
        "WORKSPACE": 'workspace(name = "remote_coverage_tools")\n',
        "BUILD": (
            'package(default_visibility = ["//visibility:public"])\n\n'
            'filegroup(name = "coverage_report_generator", srcs = ["unavailable.sh"])\n\n'
            'filegroup(name = "lcov_merger", srcs = ["unavailable.sh"])\n'
        ),
        "unavailable.sh": '#!/bin/sh\necho "coverage tools are not available offline" >&2\nexit 1\n',
    },
    "rules_java": {
        "WORKSPACE": 'workspace(name = "rules_java")\n',
        "BUILD": "",
        "java/BUILD": "",
        "java/defs.bzl": "".join(
            "def %s(**kwargs):\n    native.%s(**kwargs)\n\n" % (r, r)
            for r in ("java_binary", "java_import", "java_library", "java_lite_proto_library",
                      "java_package_configuration", "java_plugin", "java_proto_library",
                      "java_runtime", "java_test", "java_toolchain")),
    },
}


def rmtree(path):
    """Removes a tree, including Bazel's read-only output directories."""
    def onerror(func, p, _exc):
        try:
            os.chmod(os.path.dirname(p), 0o755)
            os.chmod(p, stat.S_IWUSR | stat.S_IRUSR | stat.S_IXUSR)
        except OSError:
            pass
        func(p)
    if os.path.lexists(path):
        shutil.rmtree(path, onerror=onerror)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def run(cmd, log, timeout, cwd=None):
    """Runs cmd with stdout+stderr into `log`; returns (rc or None on timeout, output, seconds)."""
    print("$ " + " ".join(cmd) + (f"    (in {cwd})" if cwd else ""))
    sys.stdout.flush()
    t0 = time.time()
    try:
        p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=timeout)
        rc, out = p.returncode, p.stdout
    except subprocess.TimeoutExpired as e:
        rc = None
        out = (e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else e.stdout) or ""
        out += f"\n(timed out after {timeout} s)\n"
    except OSError as e:
        rc, out = 127, str(e)
    with open(log, "w") as f:
        f.write(out)
    return rc, out, time.time() - t0


def tail(text, n=40):
    # Debian's Bazel 4.2.3 prints linux-sandbox debug lines; they say nothing here.
    lines = [l for l in text.splitlines() if "linux-sandbox" not in l]
    return "\n".join(lines[-n:])


def spawns(path):
    """The SpawnExec records of a JSON execution log (Bazel writes concatenated objects)."""
    with open(path) as f:
        text = f.read()
    dec, i, out = json.JSONDecoder(), 0, []
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return out
        obj, i = dec.raw_decode(text, i)
        out.append(obj)


def process_summary(output):
    """`INFO: 24 processes: 16 remote cache hit, 8 internal.` -> (line, {kind: count})."""
    line = None
    for l in output.splitlines():
        if re.match(r"INFO: \d+ process(es)?[:.]", l):
            line = l.strip()
    kinds = {}
    if line:
        for count, kind in re.findall(r"(\d+) ([a-z][a-z -]*[a-z])", line.split(":", 2)[-1]):
            kinds[kind] = int(count)
    return line, kinds


def check_prediction(c, what, output):
    """The digits program's summary line: version 1.0.0, and most held-out digits right
    (it gets 9 of 10; a wrong compile scores about 1)."""
    m = PREDICTION.search(output)
    if not c.check(m is not None, f"{what} printed its prediction line",
                   tail(output, 15)):
        return
    correct, total, version = int(m.group(1)), int(m.group(2)), m.group(3)
    print("     " + m.group(0))
    c.check(version == "1.0.0" and total == 10 and correct >= total - 2,
            f"{what}: digits 1.0.0, at least 8 of 10 digits right", m.group(0))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nnmodel", required=True, help="the nnmodel executable")
    ap.add_argument("--runtime-lib", required=True, help="libnnmodel_runtime.a")
    ap.add_argument("--runtime-include", required=True, help="directory with nnmodel/runtime.h")
    ap.add_argument("--source-dir", required=True, help="the NNModel checkout (the rules)")
    ap.add_argument("--build-dir", required=True, help="the CMake build tree")
    ap.add_argument("--work", required=True, help="scratch directory (emptied first)")
    ap.add_argument("--cmake", help="cmake executable: make WORK/prefix with `cmake --install` "
                    "(default: copy --nnmodel, --runtime-lib and the header)")
    ap.add_argument("--bazel", default=os.environ.get("BAZEL") or shutil.which("bazel"))
    ap.add_argument("--python", default=sys.executable, help="python with onnx/onnxruntime")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=600, help="seconds per bazel command")
    args = ap.parse_args(argv)

    if not args.bazel or not os.path.exists(args.bazel):
        print("SKIP: no bazel executable (install Debian's bazel-bootstrap: "
              "`apt-get install bazel-bootstrap`, which scripts/setup.sh does)")
        return SKIP

    t_start = time.time()
    c = Checks()
    work = os.path.abspath(args.work)
    ws, prefix = os.path.join(work, "ws"), os.path.join(work, "prefix")
    overrides, logs = os.path.join(work, "overrides"), os.path.join(work, "logs")
    cache, user_root = os.path.join(work, "disk-cache"), os.path.join(work, "root")
    bases = [os.path.join(work, "base-1"), os.path.join(work, "base-2")]

    # A previous run's servers would hold the output bases: stop them first.
    for base in bases:
        if os.path.isdir(base):
            subprocess.run([args.bazel, "--nohome_rc",
                            f"--output_user_root={user_root}", f"--output_base={base}",
                            "shutdown"], cwd=ws if os.path.isdir(ws) else None,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    for d in [ws, prefix, overrides, logs, cache, user_root] + bases:
        rmtree(d)
    os.makedirs(logs)

    # 1. An installed NNModel: `cmake --install` when --cmake is given (the rules are then
    # the installed <prefix>/share/nnmodel/bazel, and nnmodel_dependencies() gets no
    # prefix: it finds the compiler three directories above the rules); otherwise the
    # three files copied into the same layout, with the checkout's rules.
    if args.cmake:
        rc, out, _ = run([args.cmake, "--install", os.path.abspath(args.build_dir),
                          "--prefix", prefix], os.path.join(logs, "install.log"), 300)
        if not c.check(rc == 0, "cmake --install into WORK/prefix", tail(out)):
            return 1
        rules, dependencies_prefix = os.path.join(prefix, "share", "nnmodel", "bazel"), ""
    else:
        for src, dst in [(args.nnmodel, "bin/nnmodel"),
                         (args.runtime_lib, "lib/libnnmodel_runtime.a"),
                         (os.path.join(args.runtime_include, "nnmodel", "runtime.h"),
                          "include/nnmodel/runtime.h")]:
            os.makedirs(os.path.dirname(os.path.join(prefix, dst)), exist_ok=True)
            shutil.copy2(src, os.path.join(prefix, dst))
        rules, dependencies_prefix = os.path.abspath(args.source_dir), prefix
    want = ["bin/nnmodel", "lib/libnnmodel_runtime.a", "include/nnmodel/runtime.h"]
    if args.cmake:
        want += ["share/nnmodel/bazel/" + f for f in (
            "MODULE.bazel", "WORKSPACE.bazel", "BUILD.bazel", "bazel/BUILD.bazel",
            "bazel/defs.bzl", "bazel/repositories.bzl", "bazel/extensions.bzl")]
    missing = [f for f in want if not os.path.exists(os.path.join(prefix, f))]
    if not c.check(not missing, "the prefix has the compiler, runtime" +
                   (" and Bazel rules" if args.cmake else ""), f"missing {missing}"):
        return 1
    c.check(open(os.path.join(prefix, "lib/libnnmodel_runtime.a"), "rb").read() ==
            open(args.runtime_lib, "rb").read(),
            "the prefix's libnnmodel_runtime.a is the build's")

    for repo, files in OVERRIDES.items():
        for rel, text in files.items():
            write(os.path.join(overrides, repo, rel), text)
            if rel.endswith(".sh"):
                os.chmod(os.path.join(overrides, repo, rel), 0o755)
    shutil.copytree(os.path.join(HERE, "workspace"), ws)
    write(os.path.join(ws, "paths.bzl"),
          "# Written by run_bazel_test.py.\n"
          f"NNMODEL_RULES = {json.dumps(rules)}\n"
          f"NNMODEL_PREFIX = {json.dumps(dependencies_prefix)}\n"
          f"NNMODEL_BUILD_DIR = {json.dumps(os.path.abspath(args.build_dir))}\n")
    models = os.path.join(ws, "models")
    rc, out, _ = run([args.python, os.path.join(HERE, "..", "e2e", "make_models.py"), models],
                     os.path.join(logs, "make_models.log"), 600)
    if not c.check(rc == 0, "make_models.py wrote the models and reference data", tail(out)):
        return 1
    # The digits example exactly as a user copies it (less any build output in it).
    shutil.copytree(os.path.join(args.source_dir, EXAMPLE), os.path.join(ws, "digits"),
                    ignore=shutil.ignore_patterns("build", "build-*", "bazel-*"))
    if not c.check(os.path.exists(os.path.join(ws, "digits", "BUILD.bazel")),
                   f"{EXAMPLE}/BUILD.bazel copied into the workspace as //digits"):
        return 1

    def bazel(base, command, *extra, log, timeout=args.timeout):
        startup = [args.bazel, "--nohome_rc", f"--output_user_root={user_root}",
                   f"--output_base={base}", "--max_idle_secs=300"]
        flags = []
        if command in ("build", "test", "run"):
            flags = [f"--override_repository={r}={os.path.join(overrides, r)}" for r in OVERRIDES]
            flags += [f"--disk_cache={cache}", f"--jobs={args.jobs}", "--symlink_prefix=/",
                     "--color=no", "--curses=no", "--verbose_failures", "--test_output=errors",
                     "--nosandbox_debug"]
        return run(startup + [command] + flags + list(extra), os.path.join(logs, log), timeout,
                   cwd=ws)

    def shutdown(base):
        bazel(base, "shutdown", log="shutdown-" + os.path.basename(base) + ".log", timeout=120)

    try:
        # 2. First build: compiles the models, fills the disk cache, runs the tests.
        exec1 = os.path.join(logs, "exec-1.json")
        rc, out, secs1 = bazel(bases[0], "test", "//...", f"--execution_log_json_file={exec1}",
                               log="build-1.log")
        c.check(rc == 0, f"bazel test //... (output base 1, {secs1:.0f} s)",
                f"exit {rc}; see {logs}/build-1.log\n" + tail(out))
        first_summary, _ = process_summary(out)
        if first_summary:
            print(f"     build 1: {first_summary}")
        for test in ("//app:models_test", "//app:gpu_test", "//app:build_tree_runtime_test",
                     "//digits:digits_test"):
            c.check(re.search(re.escape(test) + r"\s+PASSED", out) is not None,
                    f"{test} passed", tail(out, 20))

        # The example as its BUILD.bazel tells a user to run it; `bazel test //...` has
        # built it already, so this only runs the program, on the same warm server.
        rc_run, out_run, secs_run = bazel(bases[0], "run", "//digits:digits-app",
                                          log="run-digits.log")
        c.check(rc_run == 0, f"bazel run //digits:digits-app ({secs_run:.0f} s)",
                f"exit {rc_run}; see {logs}/run-digits.log\n" + tail(out_run))
        check_prediction(c, "bazel run //digits:digits-app", out_run)

        rc_info, info, _ = bazel(bases[0], "info", "bazel-bin", "bazel-testlogs",
                                 log="info-1.log")
        paths = dict(l.split(": ", 1) for l in info.splitlines() if ": " in l)
        bin_dir, testlogs = paths.get("bazel-bin", ""), paths.get("bazel-testlogs", "")
        for name in ("models_test", "gpu_test"):
            test_log = os.path.join(testlogs, "app", name, "test.log")
            if os.path.exists(test_log):
                print(f"     --- //app:{name} log ---")
                for line in open(test_log, errors="replace").read().splitlines():
                    if line.startswith(("PASS", "FAIL", name + ":", "CudaModel:")):
                        print("     " + line)

        # Misused cuda attributes stop the build at analysis, each with its message.
        rc_bad, out_bad, _ = bazel(bases[0], "build", "--keep_going",
                                   *[f"//bad_cuda:{t}" for t in BAD_CUDA], log="bad-cuda.log")
        c.check(rc_bad not in (0, None), "bazel build //bad_cuda:... fails",
                f"exit {rc_bad}\n" + tail(out_bad))
        for target, message in BAD_CUDA.items():
            c.check(f"//bad_cuda:{target}: " in out_bad and message in out_bad,
                    f"//bad_cuda:{target} fails at analysis: ...{message}...",
                    tail(out_bad, 30))
        digits_log = os.path.join(testlogs, "digits", "digits_test", "test.log")
        check_prediction(c, "//digits:digits_test",
                         open(digits_log, errors="replace").read()
                         if os.path.exists(digits_log) else f"(no {digits_log})")

        # Which NNModel nnmodel_dependencies() picked (the header of its BUILD file).
        generated = os.path.join(bases[0], "external", "nnmodel_prebuilt", "BUILD.bazel")
        found = ""
        if os.path.exists(generated):
            m = re.search(r"^#\s+prefix:\s+(.*)$", open(generated).read(), re.M)
            found = m.group(1).strip() if m else ""
        c.check(found and os.path.realpath(found) == os.path.realpath(prefix),
                "@nnmodel_prebuilt uses WORK/prefix" +
                (" (found from the installed rules, no prefix given)" if args.cmake else ""),
                f"prefix line: {found!r}")

        # 3. Outputs: present, free of absolute paths, equal to a hand-run compile.
        if bin_dir:
            direct = os.path.join(work, "direct")
            rmtree(direct)
            rc_d, out_d, _ = run([args.nnmodel, "compile", os.path.join(models, "mlp.onnx"),
                                  "--name", "mlp", "--version", "1.0.0", "--target", "cpu",
                                  "-o", direct], os.path.join(logs, "direct.log"), 300)
            c.check(rc_d == 0, "nnmodel compile mlp.onnx by hand", tail(out_d))
            needles = [work.encode(), os.path.abspath(args.source_dir).encode(), b"/execroot/",
                       b"sandbox", b"bazel-out"]
            for package, target, model in MODELS:
                files = [f"lib{model}.a", f"{model}.h", f"{model}.json"]
                got = [os.path.join(bin_dir, package, target, f) for f in files]
                missing = [p for p in got if not os.path.exists(p)]
                if not c.check(not missing, f"{target}: lib{model}.a, {model}.h, {model}.json",
                               f"missing {missing}"):
                    continue
                leaks = [f"{os.path.basename(p)} contains {n.decode()}" for p in got
                         for n in needles if n in open(p, "rb").read()]
                c.check(not leaks, f"{target}: no absolute or sandbox paths in the outputs",
                        "; ".join(leaks))
                if target == "mlp_gpu":
                    meta = open(got[2], errors="replace").read()
                    c.check('"target": "cuda"' in meta and '"sm_80,sm_90"' in meta,
                            "mlp_gpu: the JSON lists the cuda target for sm_80,sm_90",
                            meta[:400])
                if target == "mlp_v1" and rc_d == 0:
                    diff = [f for f, p in zip(files, got)
                            if open(p, "rb").read() != open(os.path.join(direct, f), "rb").read()]
                    c.check(not diff, "mlp_v1: Bazel's outputs are byte-identical to a "
                            "hand-run nnmodel compile in another directory", f"differ: {diff}")
        else:
            c.check(False, "bazel info bazel-bin", tail(info))

        nn1 = [s for s in spawns(exec1) if s.get("mnemonic") == MNEMONIC] \
            if os.path.exists(exec1) else []
        c.check(len(nn1) == len(MODELS),
                f"build 1 ran {len(MODELS)} {MNEMONIC} actions", f"found {len(nn1)}")
        shutdown(bases[0])

        # 4. Clean output base, same disk cache: the model compiles come from the cache.
        exec2 = os.path.join(logs, "exec-2.json")
        rc, out, secs2 = bazel(bases[1], "test", "//...", f"--execution_log_json_file={exec2}",
                               log="build-2.log")
        c.check(rc == 0, f"bazel test //... again from a clean output base ({secs2:.0f} s)",
                f"exit {rc}; see {logs}/build-2.log\n" + tail(out))
        summary, kinds = process_summary(out)
        # Bazel 4 counts disk cache hits as "remote cache hit"; later versions say "disk".
        hits = kinds.get("disk cache hit", 0) + kinds.get("remote cache hit", 0)
        nn2 = [s for s in spawns(exec2) if s.get("mnemonic") == MNEMONIC] \
            if os.path.exists(exec2) else []
        nn_hits = [s for s in nn2 if s.get("remoteCacheHit") or s.get("remote_cache_hit")]
        c.check(len(nn2) == len(MODELS) and len(nn_hits) == len(nn2),
                f"build 2: all {len(MODELS)} {MNEMONIC} actions are disk cache hits",
                f"{len(nn_hits)} of {len(nn2)} hit")
        c.check(hits >= len(MODELS), f"build 2 reports >= {len(MODELS)} disk cache hits",
                summary or "no `INFO: N processes` line")
        print(f"     build 2: {summary}")
        print(f"     disk cache hits in the clean rebuild: {hits} processes in all, "
              f"{len(nn_hits)} of {len(nn2)} {MNEMONIC}")
        for s in nn2:
            outs = [o.get("path", "") for o in s.get("actualOutputs", s.get("actual_outputs", []))]
            print(f"       {MNEMONIC} {'hit ' if s in nn_hits else 'MISS'} "
                  f"{next((o for o in outs if o.endswith('.a')), '?')}")
    finally:
        for base in bases:
            if os.path.isdir(base):
                shutdown(base)

    print(f"bazel: {c.passed} passed, {c.failed} failed ({time.time() - t_start:.0f} s in all; "
          f"logs in {logs})")
    return 0 if c.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
