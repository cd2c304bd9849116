#!/usr/bin/env bash
# HTTP/2 benchmark: h2load (nghttp2-client) straight at an h2c upstream (nghttpd), then
# through faultline, HAProxy, nginx, h2o and nghttpx, each single-threaded, taking turns in the
# same run, all on 127.0.0.1. Same rounds, accounting and table as tests/bench/run.sh (whose
# helpers it shares through lib.sh). See tests/bench/README.md.
#
#   tests/bench/h2.sh                                   # full run, about 3 minutes
#   BENCH_SECONDS=2 BENCH_ROUNDS=1 tests/bench/h2.sh    # a quick check
#   BENCH_H2_ROWS="direct faultline" tests/bench/h2.sh
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$here/lib.sh"

conns=${BENCH_H2_CLIENTS:-10}        # h2load -c: connections
streams=${BENCH_H2_STREAMS:-10}      # h2load -m: concurrent streams per connection
threads=${BENCH_H2_THREADS:-2}       # h2load -t
scenarios=${BENCH_H2_SCENARIOS-"h2-small h2-1mib"}
rows=${BENCH_H2_ROWS-"direct haproxy nginx h2o nghttpx faultline"}
load_name=h2load
load_desc="h2load -c$conns -m$streams -t$threads (h2c, prior knowledge)"
upstream_desc="upstream nghttpd (h2c) with $upstream_workers worker threads; h2o, which proxies over HTTP/1.1 only, to an nginx upstream with $upstream_workers workers"

[ "${BENCH_NO_INSTALL:-0}" = 1 ] || "$root/scripts/install-deps.sh" bench
command -v h2load >/dev/null || die "needs h2load (Debian nghttp2-client)"
command -v nghttpd >/dev/null || die "needs nghttpd (Debian nghttp2-server)"

# --- h2c upstream: nghttpd serving the same /small (100 bytes) and /1m.bin as the nginx one ---
printf '%s' "$small_body" >"$tmp/www/small"
chmod a+r "$tmp/www/small"
h2_upstream_port=$(free_port)
start_h2_upstream() {
  exec_on_cpu 1 nghttpd --no-tls -a 127.0.0.1 -n "$upstream_workers" -d "$tmp/www" "$h2_upstream_port" >"$tmp/nghttpd.log" 2>&1 &
  upstream_pid=$!
  pids+=("$upstream_pid")
  wait_port "$h2_upstream_port" "$upstream_pid" || die "nghttpd did not start: $(tail -3 "$tmp/nghttpd.log")"
  curl -fsS --http2-prior-knowledge -o /dev/null "http://127.0.0.1:$h2_upstream_port/small" ||
    die "nghttpd does not answer /small over h2c"
}

# --- proxies: each listens for h2c with prior knowledge on $1 and sets proxy_pid ---------------
start_haproxy_h2() {
  cat >"$tmp/haproxy-h2.cfg" <<EOF
global
  nbthread 1
  maxconn 4096
defaults
  mode http
  http-reuse always
  timeout connect 2s
  timeout client 30s
  timeout server 30s
frontend bench
  bind 127.0.0.1:$1 proto h2
  default_backend upstream
backend upstream
  server upstream 127.0.0.1:$h2_upstream_port proto h2
EOF
  exec_on_cpu 0 haproxy -db -f "$tmp/haproxy-h2.cfg" >"$tmp/haproxy.log" 2>&1 &
  proxy_pid=$!
}

# nginx 1.22 proxies to upstreams in HTTP/1.1 only (proxy_pass); its gRPC module is the one
# that speaks HTTP/2 upstream, and it forwards any request, so grpc_pass keeps the comparison
# HTTP/2 end to end. It opens one upstream connection per concurrent stream (no multiplexing).
start_nginx_h2() {
  local d="$tmp/nginx-proxy"
  {
    nginx_common "$d"
    cat <<EOF
worker_processes 1;
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  http2_max_concurrent_streams 128;
$(nginx_temp_paths "$d")
  upstream backend {
    server 127.0.0.1:$h2_upstream_port;
    keepalive 128;
    keepalive_requests 100000000;
  }
  server {
    listen 127.0.0.1:$1 http2 backlog=4096;
    location / {
      grpc_pass grpc://backend;
      grpc_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    }
  }
}
EOF
  } >"$d/nginx.conf"
  exec_on_cpu 0 nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" >"$tmp/nginx-proxy.log" 2>&1 &
  proxy_pid=$!
}

# nghttpx: master and one worker process, everything of the worker in one thread.
start_nghttpx() {
  command -v nghttpx >/dev/null || { row_problem="nghttpx is not installed (Debian nghttp2-proxy)"; return 1; }
  exec_on_cpu 0 nghttpx --conf=/dev/null --workers=1 --single-thread --no-ocsp \
    --frontend="127.0.0.1,$1;no-tls" --backend="127.0.0.1,$h2_upstream_port;;proto=h2" \
    --errorlog-file="$tmp/nghttpx.err" >"$tmp/nghttpx.log" 2>&1 &
  proxy_pid=$!
}

start_faultline_h2() {
  local admin
  admin=$(free_port)
  {
    faultline_listener_config "$1" "$admin" "$h2_upstream_port" http
    echo 'upstream_protocol = "http2"'
  } >"$tmp/faultline-h2.toml"
  if ! "$faultline_bin" check --config "$tmp/faultline-h2.toml" >"$tmp/faultline-h2.check" 2>&1; then
    row_problem="config rejected: $(head -1 "$tmp/faultline-h2.check" | sed "s|$tmp/||")"
    return 1
  fi
  exec_on_cpu 0 "$faultline_bin" run --config "$tmp/faultline-h2.toml" >"$tmp/faultline.log" 2>&1 &
  proxy_pid=$!
}

start_proxy() { # start_proxy ROW PORT (for start_row)
  case "$1" in
    haproxy) start_haproxy_h2 "$2" ;;
    nginx) start_nginx_h2 "$2" ;;
    h2o) start_h2o "$2" ;;
    nghttpx) start_nghttpx "$2" ;;
    faultline)
      [ -z "$faultline_problem" ] || { row_problem=$faultline_problem; return 1; }
      start_faultline_h2 "$2" ;;
    *) row_problem="unknown row"; return 1 ;;
  esac
}

probe_proxy() { curl -fsS --http2-prior-knowledge -m 5 -o /dev/null "http://127.0.0.1:$1/small"; }
scenario_url() { case "$1" in h2-1mib) echo "http://127.0.0.1:$3/1m.bin" ;; *) echo "http://127.0.0.1:$3/small" ;; esac; }
scenario_args() { :; }

# h2load prints no percentiles, but --log-file has each request's time to the end of its
# response (third column, microseconds): p50 and p99 come from there. The BENCH line is the one
# wrk_report.lua gives run.sh.
load_run() { # load_run warmup|measure SECONDS URL OUTPUT
  local kind=$1 d=$2 url=$3 output=$4 log_file="$tmp/h2load.requests"
  local -a log_arg=()
  [ "$kind" = measure ] && log_arg=(--log-file="$log_file")
  : >"$log_file"
  fg_run exec_on_cpu 1 timeout $((d + 30)) h2load -c"$conns" -m"$streams" -t"$threads" -D"$d" "${log_arg[@]}" "$url" \
    >"$tmp/h2load.txt" 2>&1 || true
  [ "$kind" = measure ] || return 0
  (
    cat "$tmp/h2load.txt"
    # A run that did not finish prints no summary, and no BENCH line is written.
    grep -q '^requests: ' "$tmp/h2load.txt" || exit 0
    sort -n -k3,3 "$log_file" | awk -F'\t' '{ t[NR] = $3 } END {
      if (NR) printf "%.0f %.0f\n", t[int((NR - 1) * 0.50) + 1], t[int((NR - 1) * 0.99) + 1]; else print "0 0" }' >"$tmp/h2load.pct"
    awk -v pct="$(cat "$tmp/h2load.pct")" '
      /^finished in / { d = $3; sub(/s,$/, "", d); dur = d * 1e6 }
      /^requests: / { done = $6; failed = $10 }
      /^status codes: / { bad = $7 + $9 }
      /^traffic: / { b = $3; gsub(/[()]/, "", b) }
      END { split(pct, p, " ")
        printf "BENCH requests=%.0f bytes=%.0f duration_us=%.0f p50_us=%.0f p99_us=%.0f socket_errors=%.0f status_errors=%.0f\n",
          done, b, dur, p[1], p[2], failed, bad }' "$tmp/h2load.txt"
  ) >"$output"
}

peer_versions() {
  echo "$(haproxy -v | head -1 | cut -d' ' -f1-3), $(nginx -v 2>&1 | cut -d' ' -f3), h2o $(h2o --version 2>/dev/null | head -1 | awk '{ print $3 }'), nghttpx $(nghttpx --version 2>/dev/null | awk '{ print $NF }'), $(h2load --version 2>/dev/null | head -1)"
}

# --- main -------------------------------------------------------------------------------------
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
case " $rows " in *" faultline "*) find_faultline ;; esac
[ -n "$faultline_problem" ] && log "faultline rows skipped: $faultline_problem"
start_upstream # HTTP/1.1, for h2o
h1_upstream_pid=$upstream_pid
start_h2_upstream
direct_port=$h2_upstream_port
# upstream CPU in the per-round log line: nghttpd's, or nginx's for h2o (HTTP/1.1 upstream)
row_upstream_pid() { [ "$1" = h2o ] && echo "$h1_upstream_pid" || echo "$upstream_pid"; }

for scenario in $scenarios; do
  run_scenario "$scenario" $rows
done
report=$(render)
echo "$report"
[ -z "$out" ] || printf '%s\n' "$report" >"$out"
