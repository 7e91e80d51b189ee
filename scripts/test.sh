#!/usr/bin/env bash
# The whole test suite: setup (idempotent), build, then every ctest suite.
# The last lines are ctest's summary ("100% tests passed, 0 tests failed out of N").
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$root/scripts/setup.sh"
bash "$root/scripts/build.sh"
# The sanitizer job first (ASan+UBSan build, fuzz run, TSan runtime), so that the
# last lines stay the main suite's summary. NNM_SKIP_SANITIZE=1 skips it locally.
if [[ ${NNM_SKIP_SANITIZE:-0} != 1 ]]; then
  bash "$root/scripts/sanitize.sh"
fi
build=${NNM_BUILD_DIR:-$root/build}
cd "$build"
ctest --output-on-failure --timeout 3000 "$@"
