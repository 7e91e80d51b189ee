#!/usr/bin/env bash
# The whole test suite: setup (idempotent), build, then every ctest suite.
# The last lines are ctest's summary ("100% tests passed, 0 tests failed out of N").
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$root/scripts/setup.sh"
bash "$root/scripts/build.sh"
build=${NNM_BUILD_DIR:-$root/build}
cd "$build"
ctest --output-on-failure --timeout 3000 "$@"
