#!/usr/bin/env bash
# Soak test (not in CI; about 10 minutes by default): wrk drives keep-alive traffic through
# faultline for SOAK_SECONDS, with a latency experiment delaying 10 % of the requests and
# header triggers on (wrk also asks for injected 503s and delays with x-chaos-* headers). The
# proxy's RSS is sampled every SOAK_INTERVAL seconds. It fails unless
#   - every sample after the warm-up is within ±SOAK_TOLERANCE % of the first one after it
#     (memory is flat: nothing grows per request or per fault);
#   - no request failed that was not faulted (non-200 without x-chaos-injected, or a wrk
#     socket error), and both the experiment and the header triggers did inject;
#   - the proxy still answers /healthz afterwards and exits 0 on SIGTERM.
# Everything listens on 127.0.0.1; every process it starts is stopped when it exits.
#
#   tests/bench/soak.sh                          # 10 minutes
#   SOAK_SECONDS=60 tests/bench/soak.sh          # a short check of the script itself
# See tests/bench/README.md ("Soak") for the settings.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
bench_name=soak keep_tmp=${SOAK_KEEP_TMP:-0}
source "$here/lib.sh" # temp dir, stopping every process started, ports, /proc, the upstream
die() { log "FAIL: $*"; exit 1; }

seconds=${SOAK_SECONDS:-600}
interval=${SOAK_INTERVAL:-10}
warmup=${SOAK_WARMUP:-60}
[ "$warmup" -le $((seconds / 3)) ] || warmup=$((seconds / 3))  # short runs keep 2/3 measured
tolerance=${SOAK_TOLERANCE:-5}
conns=${SOAK_CONNECTIONS:-20}
threads=${SOAK_THREADS:-1}
access_log=${SOAK_ACCESS_LOG:-true}
faultline=${FAULTLINE_BIN:-$root/build/proxy/faultline}

[ -x "$faultline" ] || die "no faultline binary at $faultline (build it, or set FAULTLINE_BIN)"
need=()
for c in wrk nginx curl; do command -v "$c" >/dev/null || need+=("$c"); done
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# ---- upstream: nginx answering /small (lib.sh's, with one worker) -------------------------
upstream_workers=1
start_upstream

# ---- faultline: one worker, a 10 % latency experiment, header triggers on -----------------
proxy_port=$(free_port) admin_port=$(free_port)
cat > "$tmp/faultline.toml" <<EOF
[admin]
listen = "127.0.0.1:$admin_port"
[log]
level = "info"
format = "json"
access_log = $access_log
[runtime]
workers = 1
seed = 1
[safety]
max_duration = "4h"
[triggers.headers]
enabled = true
annotate = true
[[listeners]]
name = "soak"
listen = "127.0.0.1:$proxy_port"
upstream = "127.0.0.1:$upstream_port"
[[experiments]]
name = "soak-latency"
description = "delays 10 % of the soak's requests"
trigger = "always"
duration = "4h"
[experiments.match]
percentage = 10.0
[[experiments.faults]]
type = "latency"
delay = "20ms"
EOF
"$faultline" check --config "$tmp/faultline.toml" > "$tmp/check.log" 2>&1 || die "faultline check: $(cat "$tmp/check.log")"
# The access log (one line per request) would fill the disk in 10 minutes: keep its last MiB.
"$faultline" run --config "$tmp/faultline.toml" > "$tmp/faultline.out" 2> >(tail -c 1048576 > "$tmp/faultline.log") &
proxy_pid=$!
pids+=("$proxy_pid")
wait_port "$proxy_port" "$proxy_pid" || die "faultline did not start"
headers=$(curl -s -D - -o /dev/null --max-time 5 -H 'x-chaos-abort: 503' "http://127.0.0.1:$proxy_port/small")
grep -qi '^x-chaos-injected: .*abort' <<< "$headers" || die "header triggers do not inject (got: $headers)"

# ---- load, sampled ------------------------------------------------------------------------
log "$seconds s of wrk -t$threads -c$conns through faultline (pid $proxy_pid); RSS every ${interval}s, flat within ±${tolerance} % after ${warmup}s"
timeout --kill-after=10 $((seconds + 60)) \
  wrk -t"$threads" -c"$conns" -d"${seconds}s" --timeout 5s --latency -s "$here/soak.lua" \
  "http://127.0.0.1:$proxy_port/small" > "$tmp/wrk.out" 2>&1 &
wrk_pid=$!
pids+=("$wrk_pid")
samples=()  # "t rss_kib"
start=$(date +%s)
while kill -0 "$wrk_pid" 2>/dev/null; do
  sleep "$interval" & wait $! || true
  kill -0 "$wrk_pid" 2>/dev/null || break
  kill -0 "$proxy_pid" 2>/dev/null || die "faultline died under load: $(tail -5 "$tmp/faultline.log")"
  t=$(( $(date +%s) - start ))
  rss=$(rss_kib "$proxy_pid" VmRSS)
  samples+=("$t $rss")
  printf 'soak: t=%4ss  RSS %6s KiB\n' "$t" "$rss" >&2
done
wrk_rc=0
wait "$wrk_pid" || wrk_rc=$?
[ "$wrk_rc" = 0 ] || die "wrk exited $wrk_rc: $(cat "$tmp/wrk.out")"

# ---- verdict ------------------------------------------------------------------------------
failures=0
fail() { log "FAIL: $*"; failures=$((failures + 1)); }

result=$(grep '^SOAK ' "$tmp/wrk.out" || true)
[ -n "$result" ] || die "wrk printed no SOAK line: $(cat "$tmp/wrk.out")"
field() { sed -nE "s/.* $1=([0-9]+).*/\1/p" <<< "$result"; }
requests=$(field requests) failed=$(field failed) socket_errors=$(field socket_errors)
faulted_abort=$(field faulted_abort) faulted_latency=$(field faulted_latency)
log "wrk: $result"
[ "$failed" = 0 ] || fail "$failed requests failed that were not faulted"
[ "$socket_errors" = 0 ] || fail "$socket_errors wrk socket errors (connect, read, write or timeout)"
[ "$faulted_abort" -gt 0 ] || fail "no injected abort came back: the header triggers did not run"
[ "$faulted_latency" -gt 0 ] || fail "no response carried an injected latency: the experiment did not run"

# RSS: every sample after the warm-up within ±tolerance % of the first one after it.
baseline="" lo="" hi=""
for s in "${samples[@]}"; do
  t=${s% *} rss=${s#* }
  [ "$t" -ge "$warmup" ] || continue
  [ -n "$baseline" ] || baseline=$rss
  if [ -z "$lo" ] || [ "$rss" -lt "$lo" ]; then lo=$rss; fi
  if [ -z "$hi" ] || [ "$rss" -gt "$hi" ]; then hi=$rss; fi
done
if [ -z "$baseline" ] || [ "${#samples[@]}" -lt 3 ]; then
  fail "too few RSS samples after the warm-up (${#samples[@]} in all): run longer than $((3 * interval))s"
else
  report=$(awk -v b="$baseline" -v lo="$lo" -v hi="$hi" -v tol="$tolerance" 'BEGIN {
    dlo = (lo - b) * 100 / b; dhi = (hi - b) * 100 / b
    printf "RSS after warm-up: baseline %d KiB, range %d..%d KiB (%+.1f %% .. %+.1f %%), tolerance ±%s %%\n", b, lo, hi, dlo, dhi, tol
    exit !(dlo >= -tol && dhi <= tol) }') && flat=1 || flat=0
  log "$report"
  [ "$flat" = 1 ] || fail "RSS is not flat: $report"
fi

code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$admin_port/healthz" || true)
[ "$code" = 200 ] || fail "/healthz answered $code after the soak"
kill -TERM "$proxy_pid"
rc=0
for _ in $(seq 150); do kill -0 "$proxy_pid" 2>/dev/null || break; sleep 0.1; done
wait "$proxy_pid" 2>/dev/null || rc=$?
[ "$rc" = 0 ] || fail "faultline exited $rc on SIGTERM, want 0"

if [ "$failures" = 0 ]; then
  log "PASS: $requests requests in ${seconds}s ($faulted_abort injected aborts, $faulted_latency injected delays, 0 failed), RSS flat"
else
  log "$failures check(s) failed (log tail: $tmp/faultline.log with SOAK_KEEP_TMP=1)"
  exit 1
fi
