#!/usr/bin/env bash
# The Toxiproxy client test (ctest toxiproxy_node_client): installs npm toxiproxy-node-client
# 4.1.0 into a directory of the build tree, then drives the real binary with it
# (client_test.mjs). Usage: run.sh FAULTLINE_BIN DEPS_DIR
set -euo pipefail
bin=$1 deps=$2
here=$(cd "$(dirname "$0")" && pwd)
command -v npm >/dev/null || { echo "toxiproxy client test: npm is missing" >&2; exit 1; }
if [ ! -f "$deps/node_modules/toxiproxy-node-client/package.json" ]; then
  mkdir -p "$deps"
  npm install --prefix "$deps" --no-audit --no-fund --loglevel=error --no-save \
    toxiproxy-node-client@4.1.0 >&2
fi
# Node resolves the client from the test's own directory; link the installed one there.
work="$deps/run"
mkdir -p "$work"
cp "$here/client_test.mjs" "$work/"
ln -sfn "$deps/node_modules" "$work/node_modules"
exec node "$work/client_test.mjs" "$bin"
