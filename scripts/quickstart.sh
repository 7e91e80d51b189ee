#!/usr/bin/env bash
# Quick start: set up, build NNModel, compile the bundled example model into a
# static library, link it into the example application and run it.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${NNM_BUILD_DIR:-$root/build}
bash "$root/scripts/setup.sh"
bash "$root/scripts/build.sh" >/dev/null
out=$build/examples/digits
mkdir -p "$out"
echo "== nnmodel compile examples/digits/digits.onnx"
"$build/bin/nnmodel" compile "$root/examples/digits/digits.onnx" --name digits --version 1.0.0 -o "$out"
echo "== link the example application against libdigits.a"
clang++-22 -std=c++17 -O2 -fuse-ld=lld -I "$out" -I "$root/runtime/include" -I "$root/examples/digits" \
  "$root/examples/digits/main.cpp" "$out/libdigits.a" "$build/lib/libnnmodel_runtime.a" \
  -ldnnl -lgomp -lpthread -lm \
  -o "$out/digits-app"
echo "== run it"
"$out/digits-app"
