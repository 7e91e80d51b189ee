#!/usr/bin/env bash
# Installs what NNModel needs to build and test, once. Idempotent: packages that are
# already present are not touched, so a second run costs a few seconds.
set -euo pipefail

DEB_PACKAGES=(
  libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools clang-22 lld-22
  libonnx-dev libprotobuf-dev protobuf-compiler
  ninja-build cmake libzstd-dev zlib1g-dev ccache libgtest-dev bazel-bootstrap
  libdnnl-dev libclang-rt-22-dev
)
PIP_PACKAGES=(onnx onnxruntime numpy lit nvidia-cuda-cuobjdump)

missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
# cuobjdump checks the cubins of cuda libraries (test/cuda); the CUDA toolkit on these
# machines ships ptxas but not cuobjdump, which NVIDIA publishes as a wheel.
if ! "$PY" -c 'import onnx, onnxruntime, numpy, lit' 2>/dev/null ||
   ! ls "$("$PY" -c 'import nvidia, os; print(list(nvidia.__path__)[0])' 2>/dev/null)"/cu*/bin/cuobjdump \
       >/dev/null 2>&1; then
  echo "setup: installing Python packages: ${PIP_PACKAGES[*]}"
  "$PY" -m pip install -q "${PIP_PACKAGES[@]}"
fi
