#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for FUZZ_SECONDS (default 20) on
# its seed corpus (tests/fuzz/corpus/<target>/). A crash fails the script. Targets: every
# build-fuzz/tests/fuzz/fuzz_* (config_toml, admin_json, header_triggers, http_request,
# ctl_json, h2_server, h2_upstream, and whatever tests/fuzz/CMakeLists.txt adds).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh build fuzz
seconds=${FUZZ_SECONDS:-20}
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DFAULTLINE_FUZZ=ON -DFAULTLINE_TESTS=OFF >/dev/null
cmake --build build-fuzz --target fuzzers
status=0
for bin in build-fuzz/tests/fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  corpus=tests/fuzz/corpus/${name#fuzz_}
  work=$(mktemp -d)
  [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
  echo "fuzz: $name for ${seconds}s"
  if ! "$bin" -max_total_time="$seconds" -max_len=65536 -print_final_stats=0 "$work" \
      >"$work.log" 2>&1; then
    tail -50 "$work.log"
    echo "fuzz: $name FAILED" >&2
    status=1
  fi
  rm -rf "$work" "$work.log"
done
exit $status
