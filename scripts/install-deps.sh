#!/usr/bin/env bash
# Installs the Debian packages faultline needs, only those missing (idempotent).
# Usage: scripts/install-deps.sh [build|test|bench|fuzz]...
set -euo pipefail
build=(cmake ninja-build g++ pkg-config libuv1-dev libspdlog-dev libtomlplusplus-dev node-llhttp
       nlohmann-json3-dev libcli11-dev libssl-dev libnghttp2-dev)
test=(libgtest-dev libgmock-dev curl prometheus openssl gnutls-bin python3 chromium nodejs
      nghttp2-client nghttp2-server python3-grpcio)
# bench: the peers of tests/bench/run.sh and h2.sh (nginx's TCP relay is a module of its own;
# nghttpd (a test package) is the h2c upstream, nghttpx and h2o are HTTP/2 and TLS peers)
bench=(wrk haproxy nginx libnginx-mod-stream nghttp2-proxy h2o)
fuzz=(clang libclang-rt-14-dev)
want=("${build[@]}")
for set in "$@"; do
  case "$set" in
    build) ;;
    test) want+=("${test[@]}") ;;
    bench) want+=("${test[@]}" "${bench[@]}") ;;
    fuzz) want+=("${fuzz[@]}") ;;
    *) echo "install-deps: unknown set $set" >&2; exit 2 ;;
  esac
done
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# The console and Toxiproxy-client tests need npm: NodeSource's nodejs carries it, Debian's
# nodejs does not (Debian packages it apart).
if [[ " ${want[*]} " == *" nodejs "* ]] && ! command -v npm >/dev/null &&
   ! apt-cache show nodejs 2>/dev/null | grep -q '^Provides:.*\bnpm\b'; then
  missing+=(npm)
fi
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  echo "install-deps: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi
# The npm client libraries the tests drive faultline with (tests/node/run_with_npm_package.sh installs
# them into the build tree from npm's cache, which this fills): Toxiproxy's client, and gRPC's
# Node implementation.
npm_test=(toxiproxy-node-client@4.1.0 @grpc/grpc-js@1.14.7)
if [[ " ${want[*]} " == *" nodejs "* ]] && command -v npm >/dev/null; then
  for p in "${npm_test[@]}"; do
    npm cache ls "$p" 2>/dev/null | grep -q . || npm cache add "$p" --loglevel=error >/dev/null
  done
fi
