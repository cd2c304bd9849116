#!/usr/bin/env bash
# The console's browser test (ctest console_browser): installs npm puppeteer-core 24 into a
# directory of the build tree (never a browser: Debian's chromium drives it), then runs
# console_test.mjs against the real binary. Usage: run.sh FAULTLINE_BIN DEPS_DIR SCREENSHOT
set -euo pipefail
bin=$1 deps=$2 screenshot=$3
here=$(cd "$(dirname "$0")" && pwd)
chromium=${CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] || { echo "console test: $chromium is missing (scripts/install-deps.sh test installs it)" >&2; exit 1; }
command -v npm >/dev/null || { echo "console test: npm is missing" >&2; exit 1; }
if [ ! -f "$deps/node_modules/puppeteer-core/package.json" ]; then
  mkdir -p "$deps"
  PUPPETEER_SKIP_DOWNLOAD=1 npm install --prefix "$deps" --no-audit --no-fund --loglevel=error \
    --no-save puppeteer-core@24 >&2
fi
# Node resolves puppeteer-core from the test's own directory; link the installed one there.
work="$deps/run"
mkdir -p "$work"
cp "$here/console_test.mjs" "$work/"
ln -sfn "$deps/node_modules" "$work/node_modules"
PUPPETEER_SKIP_DOWNLOAD=1 CHROMIUM="$chromium" exec node "$work/console_test.mjs" "$bin" "$screenshot"
