#!/usr/bin/env bash
# Configures and builds NNModel into ${NNM_BUILD_DIR:-build} (Release, clang-22, lld, Ninja).
# NNM_SANITIZE (e.g. address,undefined) and NNM_BUILD_FUZZER=ON configure a sanitizer
# build (scripts/sanitize.sh); NNM_BUILD_COMPILER=OFF builds the runtime only.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${NNM_BUILD_DIR:-$root/build}
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
if [[ ! -f $build/build.ninja ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    "-DNNM_SANITIZE=${NNM_SANITIZE:-}" "-DNNM_BUILD_FUZZER=${NNM_BUILD_FUZZER:-OFF}" \
    "-DNNM_BUILD_COMPILER=${NNM_BUILD_COMPILER:-ON}" \
    "${launcher[@]}" >/dev/null
fi
cmake --build "$build"
