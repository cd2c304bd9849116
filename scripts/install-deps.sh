#!/usr/bin/env bash
# Installs the Debian packages faultline needs, only those missing (idempotent).
# Usage: scripts/install-deps.sh [build|test|bench|fuzz]...
set -euo pipefail
build=(cmake ninja-build g++ pkg-config libuv1-dev libspdlog-dev libtomlplusplus-dev node-llhttp
       nlohmann-json3-dev libcli11-dev libssl-dev)
test=(libgtest-dev libgmock-dev curl prometheus openssl gnutls-bin python3 chromium nodejs)
bench=(wrk haproxy nginx)
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
# The npm test clients (toxiproxy-node-client) need npm: Debian's nodejs lacks it, NodeSource's
# nodejs ships it (and conflicts with Debian's npm package), so only when the command is missing.
if [[ " ${want[*]} " == *" nodejs "* ]] && ! command -v npm >/dev/null; then missing+=(npm); fi
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "install-deps: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
