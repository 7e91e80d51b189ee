#!/usr/bin/env bash
# The sanitizer job (issue #10), run by scripts/test.sh before the main suite:
#
#  1. build-asan/: everything built with ASan+UBSan (-fno-sanitize-recover), plus the
#     libFuzzer target; `ctest -L sanitize` runs the runtime's unit tests, lit, the
#     e2e program (linked with the same flags), the bad-input, mutation and hostile
#     suites, the ONNX node tests, and a bounded fuzz run (60 s).
#  2. build-tsan/: the runtime alone built with TSan; its unit tests (nnm_parallel_for
#     at 1-8 threads) and the e2e program linked with -fsanitize=thread, whose
#     concurrency checks run two contexts on two threads and 2-thread contexts.
#
# Needs libclang-rt-22-dev (scripts/setup.sh). Directories: NNM_ASAN_BUILD_DIR,
# NNM_TSAN_BUILD_DIR; the plain build (scripts/build.sh) provides the compiler for
# step 2. Extra arguments go to the ASan ctest (e.g. -R e2e).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
asan=${NNM_ASAN_BUILD_DIR:-$root/build-asan}
tsan=${NNM_TSAN_BUILD_DIR:-$root/build-tsan}
plain=${NNM_BUILD_DIR:-$root/build}

echo "sanitize: building $asan (address,undefined + fuzzer)"
NNM_SANITIZE=address,undefined NNM_BUILD_FUZZER=ON NNM_BUILD_DIR=$asan \
  bash "$root/scripts/build.sh" | tail -n 1
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
(cd "$asan" && ctest -L sanitize -j2 --output-on-failure --timeout 3000 "$@")

echo "sanitize: building $tsan (thread; runtime only)"
NNM_SANITIZE=thread NNM_BUILD_COMPILER=OFF NNM_BUILD_DIR=$tsan \
  bash "$root/scripts/build.sh" | tail -n 1
# libgomp and oneDNN are not instrumented: their own synchronisation is invisible to
# TSan, so reports from inside them are ignored; every access our code makes is checked.
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:ignore_noninstrumented_modules=1}
(cd "$tsan" && ctest --output-on-failure --timeout 600)
log=$tsan/e2e-tsan.log
if python3 "$root/test/e2e/run_e2e.py" --nnmodel "$plain/bin/nnmodel" \
    --runtime-lib "$tsan/lib/libnnmodel_runtime.a" --runtime-include "$root/runtime/include" \
    --cxx clang++-22 --cc clang-22 "--cflags=-fsanitize=thread -fno-omit-frame-pointer" \
    --work "$tsan/test-work/e2e" >"$log" 2>&1; then
  echo "sanitize: e2e under TSan: $(tail -n 1 "$log")"
else
  cat "$log"
  echo "sanitize: e2e under TSan FAILED"
  exit 1
fi
echo "sanitize: ASan+UBSan and TSan suites passed"
