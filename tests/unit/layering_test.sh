#!/usr/bin/env bash
# The layers of proxy/ (proxy/CMakeLists.txt) as a rule on #include lines: each folder lists
# the folders it may include from. CMake's link dependencies catch calls against the direction;
# this catches the includes (a header-only dependency links fine) and keeps nlohmann/json out
# of the data plane. With a compiler's include directories it also checks what the data
# plane's sources pull in transitively (c++ -M).
# Usage: layering_test.sh [SOURCE_DIR [GENERATED_INCLUDE_DIR LLHTTP_INCLUDE_DIR]]
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
generated=${2:-}
llhttp_include=${3:-}
cd "$root"

# folder (files directly in it) -> allowed include prefixes ("proxy/" alone = proxy/*.h only)
declare -A allowed=(
  [config]="config/"
  [faults]="config/ faults/"
  [faults/kinds]="config/ faults/"
  [proxy/io]="config/ proxy/io/"
  [proxy]="config/ faults/ proxy/io/ proxy/"
  [proxy/http]="config/ faults/ proxy/io/ proxy/ proxy/http/"
  [proxy/tcp]="config/ faults/ proxy/io/ proxy/ proxy/tcp/"
  [proxy/http2]="config/ faults/ proxy/io/ proxy/ proxy/http/ proxy/http2/"
  [proxy/tls]="config/ faults/ proxy/io/ proxy/ proxy/tls/"
  [proxy/stress]="config/ faults/ proxy/stress/"
  [proxy/admin]="config/ faults/ proxy/io/ proxy/ proxy/http/head.h proxy/http/status_reason.h proxy/http/server_engine.h proxy/admin/"
  [proxy/compat]="config/ proxy/io/ proxy/ proxy/http/server_engine.h proxy/http/status_reason.h proxy/compat/"
  [proxy/control]="config/ faults/ proxy/io/ proxy/ proxy/http/ proxy/http2/ proxy/tcp/ proxy/tls/ proxy/stress/ proxy/admin/ proxy/compat/ proxy/control/"
  [proxy/cli]="config/ faults/ proxy/io/ proxy/ proxy/http/ proxy/admin/ proxy/control/ proxy/cli/"
)
# The data plane never parses JSON.
no_json="faults faults/kinds proxy/io proxy proxy/http proxy/http2 proxy/tcp proxy/tls proxy/stress"
# Sessions never know whether they run on TLS: OpenSSL stays behind the Transport seam
# (proxy/io/transport.h), in proxy/tls/.
no_openssl="faults faults/kinds proxy/io proxy proxy/http proxy/http2 proxy/tcp proxy/stress"

failures=0
fail() { echo "layering: $*" >&2; failures=$((failures + 1)); }

for dir in "${!allowed[@]}"; do
  [ -d "$dir" ] || { fail "$dir: folder missing (update the rules)"; continue; }
  for file in "$dir"/*.h "$dir"/*.cc; do
    [ -e "$file" ] || continue
    while IFS= read -r inc; do
      ok=0
      for prefix in ${allowed[$dir]}; do
        if [ "$prefix" = "proxy/" ]; then
          # proxy/<name>.h only, not a sub-folder
          [[ "$inc" == proxy/* && "${inc#proxy/}" != */* ]] && ok=1
        elif [[ "$inc" == "$prefix"* ]]; then
          ok=1
        fi
      done
      [ $ok = 1 ] || fail "$file includes \"$inc\", outside what $dir may use (${allowed[$dir]})"
    done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$file" | grep -E '^(config|faults|proxy)/')
  done
done

for dir in $no_json; do
  for file in "$dir"/*.h "$dir"/*.cc; do
    [ -e "$file" ] || continue
    grep -q '#include <nlohmann' "$file" && fail "$file includes nlohmann/json (data plane)"
  done
done

for dir in $no_openssl; do
  for file in "$dir"/*.h "$dir"/*.cc; do
    [ -e "$file" ] || continue
    grep -q '#include <openssl/' "$file" && fail "$file includes OpenSSL (only proxy/tls/ may)"
  done
done

# Transitively: no data-plane source reaches nlohmann/json or the admin layer through any
# header chain.
if [ -n "$generated" ] && [ -n "$llhttp_include" ]; then
  for dir in $no_json; do
    for file in "$dir"/*.cc "$dir"/*.h; do
      [ -e "$file" ] || continue
      deps=$(${CXX:-c++} -x c++ -std=c++20 -I. -I"$generated" -I"$llhttp_include" -M "$file" 2>&1) ||
        { fail "$file: c++ -M failed: ${deps%%$'\n'*}"; continue; }
      bad=$(tr ' \\' '\n\n' <<< "$deps" | grep -E 'nlohmann/|proxy/admin/' | head -n1 || true)
      [ -z "$bad" ] || fail "$file pulls in $bad through its includes (data plane)"
      if [[ " $no_openssl " == *" $dir "* ]]; then
        bad=$(tr ' \\' '\n\n' <<< "$deps" | grep -E '/openssl/|proxy/tls/' | head -n1 || true)
        [ -z "$bad" ] || fail "$file pulls in $bad through its includes (sessions stay unaware of TLS)"
      fi
    done
  done
fi

# Every folder of proxy/ has rules.
for dir in proxy/*/; do
  dir=${dir%/}
  [ -n "${allowed[$dir]+x}" ] || fail "$dir has no layering rule"
done

if [ $failures -gt 0 ]; then
  echo "layering: $failures violation(s)" >&2
  exit 1
fi
echo "layering: ok (${#allowed[@]} folders)"
