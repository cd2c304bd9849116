#!/usr/bin/env bash
# Checks the CMake install rules: `cmake --install BUILD_DIR --prefix TMP` must produce a
# faultline binary that runs from its installed place (version, and `check` of an installed
# example config), with the license, README and examples beside it in share/doc/faultline.
# Usage: scripts/check-install.sh [BUILD_DIR]   (default build; faultline must be built)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
[ -x "$build/proxy/faultline" ] || { echo "check-install: build faultline in $build first" >&2; exit 1; }
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT

passed=0 failed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
bad() { echo "FAIL $*" >&2; failed=$((failed + 1)); }

if cmake --install "$build" --prefix "$prefix" > "$prefix.log" 2>&1; then ok "cmake --install $build --prefix $prefix"
else cat "$prefix.log" >&2; bad "cmake --install $build --prefix $prefix"; fi
rm -f "$prefix.log"

bin="$prefix/bin/faultline" doc="$prefix/share/doc/faultline"
# Run the installed copy with the build tree out of reach, so nothing resolves back into it.
if [ -x "$bin" ] && out=$(cd / && "$bin" version 2>&1) && grep -q "$(sed -nE 's/^project\(faultline VERSION ([0-9.]+).*/\1/p' CMakeLists.txt)" <<< "$out"; then
  ok "installed bin/faultline runs: $out"
else bad "installed bin/faultline does not run 'version' (${out:-missing})"; fi
if (cd / && "$bin" check --config "$doc/examples/http-sidecar.toml") > /dev/null 2>&1; then ok "installed faultline checks the installed examples/http-sidecar.toml"
else bad "installed faultline check --config share/doc/faultline/examples/http-sidecar.toml"; fi
for f in LICENSE NOTICE README.md examples/game-day.toml examples/experiments; do
  if [ -e "$doc/$f" ]; then ok "installed share/doc/faultline/$f"; else bad "missing share/doc/faultline/$f"; fi
done
if cmp -s LICENSE "$doc/LICENSE"; then ok "installed LICENSE is the repository's"; else bad "installed LICENSE differs"; fi
if find "$doc" -path '*/build*' | grep -q .; then bad "a build directory of examples/ was installed"; else ok "no build directories installed"; fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
