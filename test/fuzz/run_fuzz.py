#!/usr/bin/env python3
"""Bounded libFuzzer run of nnmodel-fuzz (import + compile to LLVM IR), for CI.

    run_fuzz.py --fuzzer BUILD/bin/nnmodel-fuzz --work DIR [--seconds 60]
                [--node-every 8] [--rss-limit-mb 4096]

Seeds (copied into WORK/seeds, read-only for the fuzzer):
  * test/hostile/corpus/*.onnx: one model per hostile class of issue #10;
  * the e2e models (test/e2e/make_models.py, generated into WORK/e2e);
  * every --node-every'th ONNX node test model (the conformance runner's cache,
    generated there first if missing), so that each op family is reached.

The fuzzer writes what it finds into WORK/corpus (kept between runs of the same
work directory, so a local run can go on where CI stopped) and any crashing,
hanging (-timeout 60 s per input) or memory-hungry (-rss_limit_mb; one malloc past
it counts too) input into WORK/artifacts/. The test fails on any such artifact.

A longer local run, e.g. ten minutes:  run_fuzz.py ... --seconds 600
Reproduce one artifact:                nnmodel-fuzz WORK/artifacts/crash-<sha1>
The last line printed is `fuzz: exit R; N execs in S s (E/s), coverage C edges, F features,
corpus K inputs, A artifacts`.
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
from types import SimpleNamespace

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def collect_seeds(work, node_every):
    seeds = os.path.join(work, "seeds")
    shutil.rmtree(seeds, ignore_errors=True)
    os.makedirs(seeds)
    n = 0
    for path in sorted(glob.glob(os.path.join(ROOT, "test", "hostile", "corpus", "*.onnx"))):
        shutil.copy(path, os.path.join(seeds, "hostile-" + os.path.basename(path)))
        n += 1
    e2e = os.path.join(work, "e2e")
    subprocess.run([sys.executable, os.path.join(ROOT, "test", "e2e", "make_models.py"), e2e],
                   check=True, stdout=subprocess.DEVNULL)
    for path in sorted(glob.glob(os.path.join(e2e, "*.onnx"))):
        shutil.copy(path, os.path.join(seeds, "e2e-" + os.path.basename(path)))
        n += 1
    if node_every > 0:
        sys.path.insert(0, os.path.join(ROOT, "test", "conformance"))
        import run_conformance  # noqa: E402
        data = run_conformance.node_data_dir(SimpleNamespace(data_dir=None, cache_dir=None))
        for k, case in enumerate(sorted(os.listdir(data))):
            model = os.path.join(data, case, "model.onnx")
            if k % node_every == 0 and os.path.isfile(model):
                shutil.copy(model, os.path.join(seeds, f"node-{case}.onnx"))
                n += 1
    return seeds, n


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fuzzer", required=True, help="the nnmodel-fuzz binary")
    ap.add_argument("--work", required=True, help="scratch directory (created)")
    ap.add_argument("--seconds", type=int, default=60, help="total fuzzing time")
    ap.add_argument("--node-every", type=int, default=8,
                    help="seed with every Nth node test model (0: none)")
    ap.add_argument("--rss-limit-mb", type=int, default=4096)
    args = ap.parse_args(argv)
    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    seeds, nseeds = collect_seeds(work, args.node_every)
    corpus = os.path.join(work, "corpus")
    artifacts = os.path.join(work, "artifacts")
    os.makedirs(corpus, exist_ok=True)
    shutil.rmtree(artifacts, ignore_errors=True)
    os.makedirs(artifacts)
    scratch = os.path.join(work, "tmp")
    os.makedirs(scratch, exist_ok=True)
    env = dict(os.environ, TMPDIR=scratch)
    # Leak checking stays on: a leak is a finding like any other.
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
    cmd = [args.fuzzer, f"-max_total_time={args.seconds}", "-timeout=60",
           f"-rss_limit_mb={args.rss_limit_mb}", "-print_final_stats=1",
           f"-artifact_prefix={artifacts}/", corpus, seeds]
    print(f"fuzz: {nseeds} seeds; {' '.join(cmd)}", flush=True)
    # libFuzzer stops by itself after max_total_time, but the seeds run first: allow
    # for them, then kill a run that overstays.
    try:
        p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, errors="replace", timeout=args.seconds + 900)
        out, rc = p.stdout, p.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) \
            else (e.stdout or "")
        rc = "timeout"
    stats = dict(re.findall(r"^stat::(\w+):\s+(\d+)", out, re.M))
    cov = re.findall(r"\bcov: (\d+) ft: (\d+) corp: (\d+)", out)
    found = sorted(os.listdir(artifacts))
    ok = rc == 0 and not found
    if not ok:
        print(out[-20000:])
        for a in found:
            print(f"fuzz: artifact {os.path.join(artifacts, a)}")
    edges, features, corp = cov[-1] if cov else ("?", "?", "?")
    execs = int(stats.get("number_of_executed_units", 0))
    rate = stats.get("average_exec_per_sec", "?")
    print(f"fuzz: exit {rc}; {execs} execs in {args.seconds} s ({rate}/s), coverage "
          f"{edges} edges, {features} features, corpus {corp} inputs, {len(found)} artifacts")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
