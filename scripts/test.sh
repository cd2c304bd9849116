#!/usr/bin/env bash
# Quick start 2: install what is missing, build everything, run the whole test suite.
# FAULTLINE_SANITIZE=1 builds and runs the tests with AddressSanitizer + UBSan instead.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh build test
dir=build
flags=(-DCMAKE_BUILD_TYPE=Release)
if [ "${FAULTLINE_SANITIZE:-0}" = 1 ]; then
  dir=build-asan
  # Debug: assertions stay on; cmake/Sanitizers.cmake sets -O1 -g1.
  flags=(-DCMAKE_BUILD_TYPE=Debug -DFAULTLINE_ASAN=ON -DFAULTLINE_UBSAN=ON)
fi
cmake -S . -B "$dir" -G Ninja "${flags[@]}" >/dev/null
cmake --build "$dir"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$dir" --output-on-failure -j2 "$@"
