#!/usr/bin/env bash
# Runs the proxy benchmark (faultline, HAProxy, nginx; see tests/bench/README.md).
# Environment: BENCH_SECONDS, BENCH_OUT, BENCH_CALLGRIND, ... as tests/bench/run.sh reads them.
set -euo pipefail
exec "$(dirname "$0")/../tests/bench/run.sh" "$@"
