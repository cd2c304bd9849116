#!/usr/bin/env bash
# Runs a Node test script that drives the real binary with a real npm client library, installed
# once into a directory of the build tree (scripts/install-deps.sh test puts it in npm's cache).
# Usage: run_with_npm_package.sh PACKAGE@VERSION DEPS_DIR SCRIPT ARGS...
set -euo pipefail
package=$1 deps=$2 script=$3
shift 3
command -v npm >/dev/null || { echo "$(basename "$script"): npm is missing" >&2; exit 1; }
if [ ! -f "$deps/node_modules/${package%@*}/package.json" ]; then
  mkdir -p "$deps"
  npm install --prefix "$deps" --prefer-offline --no-audit --no-fund --loglevel=error --no-save \
    "$package" >&2
fi
# Node resolves the library from the script's own directory; link the installed one there.
work="$deps/run"
mkdir -p "$work"
cp "$script" "$(dirname "$0")/test_support.mjs" "$work/"
ln -sfn "$deps/node_modules" "$work/node_modules"
exec node "$work/$(basename "$script")" "$@"
