#!/usr/bin/env bash
# Every shell script of the repository parses (bash -n): the benchmark and CI scripts are not
# run by the test suite, and a quote broken inside one (an apostrophe in an awk program between
# single quotes) would otherwise surface only when someone runs it.
# Usage: shell_syntax_test.sh SOURCE_DIR
set -euo pipefail
cd "$1"
bad=0
count=0
while IFS= read -r -d '' f; do
  count=$((count + 1))
  if ! out=$(bash -n "$f" 2>&1); then
    echo "FAIL $f: $out"
    bad=1
  fi
done < <(find . -name '*.sh' -not -path './build*' -not -path '*/node_modules/*' -not -path './.git/*' -print0)
[ "$count" -gt 0 ] || { echo "FAIL no shell scripts found under $1"; exit 1; }
echo "$count scripts parsed"
exit $bad
