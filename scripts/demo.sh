#!/usr/bin/env bash
# Quick start 1: install what is missing, build faultline, run `faultline demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh build
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DFAULTLINE_TESTS=OFF >/dev/null
cmake --build build --target faultline
exec build/proxy/faultline demo "$@"
