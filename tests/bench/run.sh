#!/usr/bin/env bash
# Benchmark: wrk straight at an nginx upstream, then through faultline, HAProxy and nginx as
# reverse proxies (HTTP/1.1, TCP relays, TLS termination; h2o too for TLS), each proxy
# single-threaded, taking turns in the same run, all on 127.0.0.1. Prints a Markdown table
# (also written to $BENCH_OUT). See tests/bench/README.md; HTTP/2 is tests/bench/h2.sh.
#
#   tests/bench/run.sh                      # full run, about 7.5 minutes with the defaults
#   BENCH_ROUNDS=1 BENCH_ROWS="direct haproxy" BENCH_ENGINE_ROWS="" tests/bench/run.sh
#   BENCH_CALLGRIND=1 tests/bench/run.sh    # instructions per request under callgrind instead
#   (BENCH_CALLGRIND_KEEP=DIR also keeps the profiles there, for callgrind_annotate)
#   BENCH_STRACE=1 tests/bench/run.sh       # system calls per request under strace -c instead
#   BENCH_LATENCY=1 tests/bench/run.sh      # latency faults' exactness at a fixed rate instead
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

source "$here/lib.sh"

conns=${BENCH_CONNECTIONS:-50}       # wrk connections
threads=${BENCH_THREADS:-2}          # wrk threads
scenarios=${BENCH_SCENARIOS-"small 1mib close small-2w tcp tls tls-close tls-handshake"}
rows=${BENCH_ROWS-"direct haproxy nginx faultline"}
engine_rows=${BENCH_ENGINE_ROWS-"faultline-exp1 faultline-exp100 faultline-hdr"}  # small only
tcp_rows=${BENCH_TCP_ROWS-"faultline-lat10 faultline-toxi faultline-toxi-lat10"}  # tcp only
tls_rows=${BENCH_TLS_ROWS-"h2o"}              # tls, tls-close and tls-handshake only
tls_clients=${BENCH_TLS_CLIENTS:-16}          # tls-handshake: client threads, a connection each
callgrind=${BENCH_CALLGRIND:-0}
callgrind_requests=${BENCH_CALLGRIND_REQUESTS:-2000}
strace_mode=${BENCH_STRACE:-0}
latency_mode=${BENCH_LATENCY:-0}
latency_rate=${BENCH_LATENCY_RATE:-2000}   # latency mode: requests per second, open loop
latency_burst=${BENCH_LATENCY_BURST:-1000} # latency mode: concurrent requests in the burst
load_name=wrk
load_desc="wrk -t$threads -c$conns"
upstream_desc="upstream nginx with $upstream_workers workers (plain HTTP/1.1 in every scenario)"

[ "${BENCH_NO_INSTALL:-0}" = 1 ] || "$root/scripts/install-deps.sh" bench
[ "$strace_mode" = 1 ] && { command -v strace >/dev/null || die "BENCH_STRACE=1 needs strace (apt-get install strace)"; }
[ "$callgrind" = 1 ] && { command -v valgrind >/dev/null || die "BENCH_CALLGRIND=1 needs valgrind (apt-get install valgrind)"; }

# --- proxies ----------------------------------------------------------------------------------
# The scenario picks how every proxy listens: HTTP (small, 1mib, close), a TCP relay (tcp) or
# HTTP terminating TLS (tls, tls-close, tls-handshake). The upstream is the same plain HTTP nginx throughout.
listen_mode() { case "${current_scenario:-}" in tcp) echo tcp ;; tls*) echo tls ;; *) echo http ;; esac; }
# Threads (HAProxy), worker processes (nginx) or workers (faultline): 2 in the multi-worker
# scenario (small-2w), on the same 2 CPUs as everything else; 1 elsewhere.
proxy_threads() { case "${current_scenario:-}" in *-2w) echo 2 ;; *) echo 1 ;; esac; }
nginx_stream_module=${BENCH_NGINX_STREAM_MODULE:-/usr/lib/nginx/modules/ngx_stream_module.so}

# Each start_* launches one proxy on $1 in the background and sets proxy_pid.
write_haproxy_cfg() { # write_haproxy_cfg PORT
  local mode bind_tls="" http_options=""
  mode=$(listen_mode)
  [ "$mode" = tls ] && bind_tls=" ssl crt $tls_dir/haproxy.pem"
  [ "$mode" = tcp ] || http_options=$'  option http-keep-alive\n  option forwardfor\n  http-reuse always'
  cat >"$tmp/haproxy.cfg" <<EOF
global
  nbthread $(proxy_threads)
  maxconn 4096
defaults
  mode $([ "$mode" = tcp ] && echo tcp || echo http)
$http_options
  timeout connect 2s
  timeout client 30s
  timeout server 30s
frontend bench
  bind 127.0.0.1:$1$bind_tls
  default_backend upstream
backend upstream
  server upstream 127.0.0.1:$upstream_port
EOF
}

start_haproxy() {
  write_haproxy_cfg "$1"
  exec_on_cpu 0 haproxy -db -f "$tmp/haproxy.cfg" >"$tmp/haproxy.log" 2>&1 &
  proxy_pid=$!
}

nginx_http_proxy() { # the reverse-proxy http block; $1 = port, $2 = prefix dir
  local listen_tls="" tls_files=""
  if [ "$(listen_mode)" = tls ]; then
    # nginx 1.22 offers TLS 1.3 only when told (1.23.4 made it the default); the others do.
    listen_tls=" ssl"
    tls_files=$'\n'"    ssl_certificate $tls_dir/cert.pem;"$'\n'"    ssl_certificate_key $tls_dir/key.pem;"
    tls_files+=$'\n'"    ssl_protocols TLSv1.2 TLSv1.3;"
  fi
  cat <<EOF
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
$(nginx_temp_paths "$2")
  upstream backend {
    server 127.0.0.1:$upstream_port;
    keepalive 64;
    keepalive_requests 100000000;
  }
  server {
    listen 127.0.0.1:$1$listen_tls backlog=4096;$tls_files
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    }
  }
}
EOF
}

nginx_stream_proxy() { # the TCP relay (ngx_stream_module); $1 = port
  cat <<EOF
stream {
  upstream backend { server 127.0.0.1:$upstream_port; }
  server {
    listen 127.0.0.1:$1 backlog=4096;
    proxy_pass backend;
  }
}
EOF
}

write_nginx_cfg() { # write_nginx_cfg PORT [EXTRA-MAIN-DIRECTIVE]
  local d="$tmp/nginx-proxy"
  {
    # load_module must come before the events block.
    [ "$(listen_mode)" != tcp ] || echo "load_module $nginx_stream_module;"
    nginx_common "$d"
    echo "worker_processes $(proxy_threads);"
    echo "${2:-}"
    if [ "$(listen_mode)" = tcp ]; then nginx_stream_proxy "$1"; else nginx_http_proxy "$1" "$d"; fi
  } >"$d/nginx.conf"
}

start_nginx() {
  local d="$tmp/nginx-proxy"
  if [ "$(listen_mode)" = tcp ] && [ ! -f "$nginx_stream_module" ]; then
    row_problem="no $nginx_stream_module (Debian libnginx-mod-stream)"
    return 1
  fi
  write_nginx_cfg "$1"
  exec_on_cpu 0 nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" >"$tmp/nginx-proxy.log" 2>&1 &
  proxy_pid=$!
}

# faultline config per row: plain, 1 or 100 non-matching experiments, header triggers on, or
# (TCP listener) a +10 ms latency on every chunk the upstream sends back.
faultline_config() { # faultline_config ROW PORT ADMIN_PORT [TOXIPROXY_API_PORT]
  local mode
  mode=$(listen_mode)
  faultline_workers=$(proxy_threads)
  if [ -n "${4:-}" ]; then # no listener of its own: toxiproxy_create makes it
    faultline_base_config "$3"
    printf '\n[compat.toxiproxy]\nenabled = true\nlisten = "127.0.0.1:%s"\n' "$4"
    return
  fi
  faultline_listener_config "$2" "$3" "$upstream_port" "$([ "$mode" = tcp ] && echo tcp || echo http)"
  # The upstream (nginx) speaks HTTP/1.1 only: with "auto", a client that agreed on h2 by ALPN
  # (the sanity check's curl) would have its requests sent upstream over HTTP/2.
  [ "$mode" != tls ] || printf 'upstream_protocol = "http1"\n[listeners.tls]\ncert_file = "%s"\nkey_file = "%s"\n' "$tls_dir/cert.pem" "$tls_dir/key.pem"
  local n=0 i
  case "$1" in
    faultline-exp1) n=1 ;;
    faultline-exp100) n=100 ;;
    faultline-hdr) printf '\n[triggers.headers]\nenabled = true\n' ;;
    faultline-canary) printf '\n[triggers.headers]\nenabled = true\n'
      printf '\n[[experiments]]\nname = "canary"\n[experiments.match]\npaths = ["/canary"]\n'
      printf '[[experiments.faults]]\ntype = "latency"\ndelay = "200ms"\n' ;;
    faultline-lat10)
      printf '\n[[experiments]]\nname = "latency-10ms"\n[[experiments.faults]]\ntype = "latency"\n'
      printf 'delay = "10ms"\ndirection = "downstream"\n' ;;
    faultline-hlat10) # HTTP listener: every request waits 10 ms before it goes upstream
      printf '\n[[experiments]]\nname = "latency-10ms"\n[[experiments.faults]]\ntype = "latency"\n'
      printf 'delay = "10ms"\n' ;;
  esac
  for ((i = 1; i <= n; i++)); do
    cat <<EOF

[[experiments]]
name = "nope-$i"
[experiments.match]
paths = ["/nope-$i"]
[[experiments.faults]]
type = "latency"
delay = "100ms"
EOF
  done
}

# The engine rows only mean something if faults act: a faultline with one matching latency
# experiment (path /canary) and header triggers on must delay both kinds of request.
engine_note=""
check_engine_acts() {
  local port t_exp t_hdr
  port=$(free_port)
  if ! start_row faultline-canary "$port"; then
    engine_note="the fault engine could not be checked ($row_problem)"
    stop_proxy
    return
  fi
  t_exp=$(curl -s -m 5 -o /dev/null -w '%{time_total}' "http://127.0.0.1:$port/canary" || echo 0)
  t_hdr=$(curl -s -m 5 -o /dev/null -w '%{time_total}' -H 'x-chaos-delay: 200' "http://127.0.0.1:$port/small" || echo 0)
  stop_proxy
  engine_note=$(awk -v e="$t_exp" -v h="$t_hdr" 'BEGIN {
    if (e < 0.19) printf "a matching latency experiment was not applied (%.3f s), so the experiment rows measure nothing yet. ", e
    if (h < 0.19) printf "An x-chaos-delay header was not applied (%.3f s), so the header-trigger row measures nothing yet.", h
  }')
  [ -z "$engine_note" ] || log "warning: $engine_note"
}

# The faultline-toxi rows: the TCP listener is a proxy made through faultline's Toxiproxy API,
# as Toxiproxy's clients make one; faultline-toxi-lat10 adds Toxiproxy's latency toxic (10 ms on
# the downstream stream, its default).
toxiproxy_create() { # toxiproxy_create ROW PORT API_PORT
  local api="http://127.0.0.1:$3" json='Content-Type: application/json'
  wait_port "$3" "$proxy_pid" || { row_problem="its Toxiproxy API did not start listening"; return 1; }
  if ! curl -fsS -m 5 -o /dev/null -H "$json" "$api/proxies" 2>"$tmp/curl.err" \
      -d "{\"name\":\"bench\",\"listen\":\"127.0.0.1:$2\",\"upstream\":\"127.0.0.1:$upstream_port\"}"; then
    row_problem="POST /proxies failed: $(head -c 120 "$tmp/curl.err")"
    return 1
  fi
  [ "$1" = faultline-toxi-lat10 ] || return 0
  if ! curl -fsS -m 5 -o /dev/null -H "$json" "$api/proxies/bench/toxics" 2>"$tmp/curl.err" \
      -d '{"name":"latency","type":"latency","stream":"downstream","attributes":{"latency":10,"jitter":0}}'; then
    row_problem="POST /proxies/bench/toxics failed: $(head -c 120 "$tmp/curl.err")"
    return 1
  fi
}

start_faultline() { # start_faultline ROW PORT
  local admin api=""
  admin=$(free_port)
  case "$1" in faultline-toxi*) api=$(free_port) ;; esac
  faultline_config "$1" "$2" "$admin" "$api" >"$tmp/$1.toml"
  if ! "$faultline_bin" check --config "$tmp/$1.toml" >"$tmp/$1.check" 2>&1; then
    row_problem="config rejected: $(head -1 "$tmp/$1.check" | sed "s|$tmp/||")"
    return 1
  fi
  FAULTLINE_READY_FILE="$tmp/$1.ready" exec_on_cpu 0 "$faultline_bin" run --config "$tmp/$1.toml" >"$tmp/$1.log" 2>&1 &
  proxy_pid=$!
  [ -z "$api" ] || toxiproxy_create "$1" "$2" "$api"
}

start_proxy() { # start_proxy ROW PORT (for start_row)
  case "$1" in
    haproxy) start_haproxy "$2" ;;
    nginx) start_nginx "$2" ;;
    h2o) start_h2o "$2" "$(listen_mode)" ;;
    faultline*)
      [ -z "$faultline_problem" ] || { row_problem=$faultline_problem; return 1; }
      start_faultline "$1" "$2" ;;
    *) row_problem="unknown row"; return 1 ;;
  esac
}

scheme() { [ "$(listen_mode)" = tls ] && echo https || echo http; }
probe_proxy() { curl -fsS -k -m 5 -o /dev/null "$(scheme)://127.0.0.1:$1/small"; }

scenario_path() { case "$1" in 1mib) echo /1m.bin ;; *) echo /small ;; esac; }
# wrk's extra arguments for a scenario, one per line. "Connection: close" needs its space: wrk
# takes a header's value from two characters after the colon, so "Connection:close" went out
# as "Connection: lose" and the connections were kept alive.
scenario_args() { case "$1" in close | tls-close) printf '%s\n' -H "Connection: close" ;; esac; }
scenario_url() { echo "$(scheme)://127.0.0.1:$3$(scenario_path "$1")"; } # scenario_url SCENARIO ROW PORT

wrk_once() { # wrk_once SECONDS URL OUTPUT [wrk args...]
  local d=$1 url=$2 output=$3
  shift 3
  fg_run exec_on_cpu 1 timeout $((d + 30)) wrk -t"$threads" -c"$conns" -d"${d}s" "$@" "$url" >"$output" 2>&1 || true
}

# tls-handshake: tls_handshakes.c instead of wrk, which resumes sessions when it reconnects.
handshakes_once() { # handshakes_once SECONDS URL OUTPUT
  local port_path=${2#https://127.0.0.1:}
  fg_run exec_on_cpu 1 timeout $(($1 + 30)) "$tmp/tls_handshakes" "${port_path%%/*}" "/${port_path#*/}" "$1" \
    "$tls_clients" >"$3" 2>&1 || true
}

load_run() { # load_run warmup|measure SECONDS URL OUTPUT [wrk args...] (for run_scenario)
  local kind=$1
  shift
  if [ "${current_scenario:-}" = tls-handshake ]; then
    handshakes_once "$1" "$2" "$3"
    return
  fi
  if [ "$kind" = measure ]; then
    local d=$1 url=$2 output=$3
    shift 3
    wrk_once "$d" "$url" "$output" --latency -s "$here/wrk_report.lua" "$@"
  else
    wrk_once "$@"
  fi
}

peer_versions() {
  echo "$(haproxy -v | head -1 | cut -d' ' -f1-3), $(nginx -v 2>&1 | cut -d' ' -f3)$(command -v h2o >/dev/null && echo ", h2o $(h2o --version | head -1 | awk '{ print $3 }')")"
}

# --- callgrind mode ---------------------------------------------------------------------------
# Instructions per request: two runs of the proxy under callgrind with N and 3N requests, so
# that start-up and shutdown cancel out: (Ir(3N) - Ir(N)) / 2N.
callgrind_ir() { # callgrind_ir ROW COUNT [close]: prints total instructions of one proxy lifetime
  local row=$1 count=$2 mode=${3:-} port cg cmd=()
  port=$(free_port)
  cg="$tmp/callgrind.$row.$count${mode:+.$mode}"
  local vg=(valgrind --tool=callgrind --callgrind-out-file="$cg" --dump-instr=no)
  case "$row" in
    haproxy) write_haproxy_cfg "$port"
      cmd=(haproxy -db -f "$tmp/haproxy.cfg") ;;
    nginx) write_nginx_cfg "$port" "master_process off;" # one process, so callgrind sees it all
      cmd=(nginx -p "$tmp/nginx-proxy" -c "$tmp/nginx-proxy/nginx.conf" -e "$tmp/nginx-proxy/error.log") ;;
    faultline*)
      local admin; admin=$(free_port)
      faultline_config "$row" "$port" "$admin" >"$tmp/$row.toml"
      cmd=("$faultline_bin" run --config "$tmp/$row.toml") ;;
  esac
  "${vg[@]}" "${cmd[@]}" >"$tmp/cg-$row.log" 2>&1 &
  proxy_pid=$!
  pids+=("$proxy_pid")
  local i ok=0
  for i in $(seq 1 300); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && { ok=1; break; }; kill -0 "$proxy_pid" 2>/dev/null || break; sleep 0.1; done
  [ "$ok" = 1 ] || { log "callgrind $row: did not start"; tail -3 "$tmp/cg-$row.log" >&2; stop_proxy; return 1; }
  if ! fg_run timeout 600 "$tmp/fixed_requests" "$port" /small "$count" $mode; then
    log "callgrind $row: fixed_requests failed"; stop_proxy; return 1
  fi
  kill -TERM "$proxy_pid" 2>/dev/null || true
  for i in $(seq 1 200); do kill -0 "$proxy_pid" 2>/dev/null || break; sleep 0.1; done
  stop_proxy
  [ -s "$cg" ] || { log "callgrind $row: no profile written (did the proxy exit cleanly on SIGTERM?)"; return 1; }
  # BENCH_CALLGRIND_KEEP=DIR keeps the profiles for callgrind_annotate.
  [ -z "${BENCH_CALLGRIND_KEEP:-}" ] || { mkdir -p "$BENCH_CALLGRIND_KEEP"; cp "$cg" "$BENCH_CALLGRIND_KEEP/"; }
  awk '/^(summary|totals):/ { print $2; exit }' "$cg"
}

# Names from the report's table (lib.sh), for the callgrind and strace tables.
row_label() {
  report_labels | awk -F'|' -v r="$1" '$1 == "row" && $2 == "*" && $3 == r { l = $4 } END { print (l != "") ? l : r }'
}

run_callgrind() {
  cc -O2 -o "$tmp/fixed_requests" "$here/fixed_requests.c" || die "cannot compile fixed_requests.c"
  local n=$callgrind_requests row a b
  echo "Instructions per request under callgrind (valgrind $(valgrind --version | sed 's/valgrind-//')), small responses, sequential"
  echo "requests: on one keep-alive connection, and each on a new connection (\`Connection: close\`; the proxies keep"
  echo "their upstream connections alive); (Ir($((3 * n)) requests) - Ir($n requests)) / $((2 * n)), so start-up cancels out."
  echo "Targets (issue 14): 9,000 keep-alive, 12,000 new connection."
  echo
  [ -z "$engine_note" ] || { echo "Warning: in this build $engine_note"; echo; }
  echo "| proxy | keep-alive | new connection per request |"
  echo "|---|---:|---:|"
  local keep close
  for row in $rows $engine_rows; do
    [ "$row" = direct ] && continue
    case "$row" in faultline*) [ -z "$faultline_problem" ] || { echo "| $(row_label "$row") | $faultline_problem | |"; continue; } ;; esac
    keep=failed close=failed
    a=$(callgrind_ir "$row" "$n") && b=$(callgrind_ir "$row" $((3 * n))) && keep=$(( (b - a) / (2 * n) ))
    case "$row" in faultline-*) close="—" ;; *) # the engine rows: keep-alive only
      a=$(callgrind_ir "$row" "$n" close) && b=$(callgrind_ir "$row" $((3 * n)) close) && close=$(( (b - a) / (2 * n) )) ;;
    esac
    echo "| $(row_label "$row") | $keep | $close |"
  done
}

# --- strace mode ------------------------------------------------------------------------------
# System calls per request: each proxy under `strace -f -c` (every thread, every call) for one
# wrk run of the scenario, minus a run with no requests (start-up, one probe connection,
# shutdown), divided by the requests wrk completed. strace slows the proxy, so read the counts,
# not the times; epoll_wait's share depends on how many connections are ready per wake-up.
strace_calls() { # strace_calls ROW SCENARIO SECONDS: prints "CALLS REQUESTS"
  local row=$1 scenario=$2 secs=$3 port out traced="" i requests=0 cmd=()
  port=$(free_port)
  out="$tmp/strace.$row.$scenario.$secs"
  case "$row" in
    haproxy) write_haproxy_cfg "$port"
      cmd=(haproxy -db -f "$tmp/haproxy.cfg") ;;
    nginx) write_nginx_cfg "$port" "master_process off;"
      cmd=(nginx -p "$tmp/nginx-proxy" -c "$tmp/nginx-proxy/nginx.conf" -e "$tmp/nginx-proxy/error.log") ;;
    faultline*)
      local admin; admin=$(free_port)
      faultline_config "$row" "$port" "$admin" >"$tmp/$row.toml"
      cmd=("$faultline_bin" run --config "$tmp/$row.toml") ;;
  esac
  strace -f -c -o "$out" "${cmd[@]}" >"$tmp/st-$row.log" 2>&1 &
  proxy_pid=$!
  pids+=("$proxy_pid")
  wait_port "$port" "$proxy_pid" || { log "strace $row: did not start"; stop_proxy; return 1; }
  if [ "$secs" -gt 0 ]; then
    local -a extra
    mapfile -t extra < <(scenario_args "$scenario")
    wrk_once "$secs" "$(scenario_url "$scenario" "$row" "$port")" "$tmp/st-wrk" "${extra[@]}"
    requests=$(awk '/requests in/ { print $1; exit }' "$tmp/st-wrk")
  fi
  # Stop the proxy itself (signalling strace would detach and leave it running); strace writes
  # its summary when the proxy exits.
  traced=$(pgrep -P "$proxy_pid" | head -1)
  [ -n "$traced" ] && kill -TERM "$traced" 2>/dev/null
  for i in $(seq 1 100); do kill -0 "$proxy_pid" 2>/dev/null || break; sleep 0.1; done
  stop_proxy
  [ -s "$out" ] || { log "strace $row: no summary written"; return 1; }
  echo "$(awk '$NF == "total" { print $4; exit }' "$out") ${requests:-0}"
}

scenario_label() {
  report_labels | awk -F'|' -v s="$1" '$1 == "scenario" && $2 == s { l = $3 } END { print (l != "") ? l : s }'
}

run_strace() {
  echo "System calls per request under strace -f -c (strace $(strace -V | head -1 | awk '{print $NF}')), wrk -c$conns for ${secs} s per row,"
  echo "minus a run without requests; every thread and every call of the proxy counted."
  echo
  echo "| scenario | proxy | requests | system calls per request |"
  echo "|---|---|---:|---:|"
  local scenario row base run
  for scenario in $scenarios; do
    # 1 MiB: a few large writes; tls-handshake: its client is not wrk (see load_run)
    case "$scenario" in 1mib | tls-handshake) continue ;; esac
    current_scenario=$scenario # how the proxies listen: HTTP, TCP relay or TLS
    for row in $rows; do
      [ "$row" = direct ] && continue
      case "$row" in faultline*) [ -z "$faultline_problem" ] || continue ;; esac
      base=$(strace_calls "$row" "$scenario" 0) && run=$(strace_calls "$row" "$scenario" "$secs") ||
        { echo "| $(scenario_label "$scenario") | $(row_label "$row") | failed | |"; continue; }
      set -- $base $run
      [ "$4" -gt 0 ] || { echo "| $(scenario_label "$scenario") | $(row_label "$row") | 0 | |"; continue; }
      echo "| $(scenario_label "$scenario") | $(row_label "$row") | $4 | $(awk -v a="$1" -v b="$3" -v n="$4" 'BEGIN { printf "%.2f", (b - a) / n }') |"
    done
  done
}

# --- latency mode -----------------------------------------------------------------------------
# How exact a latency fault is: paced_latency.c sends small keep-alive requests at a fixed rate
# (open loop: a request's latency runs from when it was due), then one burst of concurrent
# requests, through each row; the rows without a fault show what the path costs.
latency_rows() { # the rows of a scenario in latency mode
  case "$1" in
    small) echo "direct haproxy nginx faultline faultline-hlat10" ;;
    tcp) echo "direct haproxy nginx faultline faultline-lat10 faultline-toxi-lat10" ;;
  esac
}

latency_target() { # the targets for a row's results (issues 12 and 14), or nothing
  case "$1:$2" in
    faultline-*lat10:rate) echo "p50 <= 10.8, p99 <= 12" ;;
    faultline-*lat10:burst) echo "p99 <= 15 (delay + 5)" ;;
  esac
}

run_latency() {
  cc -O2 -o "$tmp/paced_latency" "$here/paced_latency.c" || die "cannot compile paced_latency.c"
  local rate_secs=$((secs * rounds)) scenario row port result load
  echo "Latency of small keep-alive requests under a fixed load (tests/bench/paced_latency.c), milliseconds:"
  echo "rate: $latency_rate requests/s for ${rate_secs} s over 50 connections, open loop (a late send counts from when it was due);"
  echo "burst: $latency_burst connections opened first, then one request on each at once. Every proxy single-threaded."
  echo
  echo "| scenario | proxy | load | requests | p50 | p90 | p99 | p99.9 | max | target |"
  echo "|---|---|---|---:|---:|---:|---:|---:|---:|---|"
  for scenario in $scenarios; do
    case "$scenario" in small | tcp) ;; *) continue ;; esac
    current_scenario=$scenario
    for row in $(latency_rows "$scenario"); do
      case "$row" in faultline*) [ -z "$faultline_problem" ] || continue ;; esac
      port=$(free_port)
      if ! start_row "$row" "$port"; then
        echo "| $(scenario_label "$scenario") | $(row_label "$row") | | $row_problem | | | | | | |"
        stop_proxy
        continue
      fi
      [ "$row" = direct ] && port=$upstream_port
      for load in rate burst; do
        local args=(rate "$latency_rate" "$rate_secs" 50)
        [ "$load" = burst ] && args=(burst "$latency_burst")
        if result=$(fg_run exec_on_cpu 1 timeout $((rate_secs + 60)) "$tmp/paced_latency" "$port" /small "${args[@]}" 2>&1); then
          echo "$result" | awk -v s="$(scenario_label "$scenario")" -v r="$(row_label "$row")" -v l="$load" -v t="$(latency_target "$row" "$load")" '{
            for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
            printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", s, r, l, v["requests"], v["p50"], v["p90"], v["p99"], v["p999"], v["max"], t }'
        else
          echo "| $(scenario_label "$scenario") | $(row_label "$row") | $load | failed: $(echo "$result" | tail -1 | head -c 100) | | | | | | |"
        fi
      done
      stop_proxy
    done
  done
  # The machine's own floor under the latency rows: how late a sleeping thread wakes.
  if cc -O2 -o "$tmp/timer_wakeup" "$here/timer_wakeup.c" && result=$(timeout 60 "$tmp/timer_wakeup" 500 10000); then
    echo
    echo "This machine wakes a thread asleep in epoll_wait on a timerfd (tests/bench/timer_wakeup.c, 500 waits of"
    echo "10 ms, nothing else on its loop) this late, in microseconds: $result. A latency fault's wait that"
    echo "finds its loop asleep ends at least that late: the machine's floor under the delayed rows' tail."
  fi
}

# --- main -------------------------------------------------------------------------------------
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
case " $rows $engine_rows " in *" faultline"*) find_faultline ;; esac
[ -n "$faultline_problem" ] && log "faultline rows skipped: $faultline_problem"
start_upstream
case " $scenarios " in *" tls"*) make_tls_cert ;; esac
case " $scenarios " in
  *" tls-handshake "*)
    cc -O2 -o "$tmp/tls_handshakes" "$here/tls_handshakes.c" -lssl -lcrypto -lpthread ||
      die "cannot compile tls_handshakes.c (needs libssl-dev)" ;;
esac
case " $engine_rows " in *" faultline-"*) [ -n "$faultline_problem" ] || check_engine_acts ;; esac

if [ "$callgrind" = 1 ]; then
  report=$(run_callgrind)
elif [ "$strace_mode" = 1 ]; then
  report=$(run_strace)
elif [ "$latency_mode" = 1 ]; then
  report=$(run_latency)
else
  for scenario in $scenarios; do
    case "$scenario" in
      small) run_scenario "$scenario" $rows $engine_rows ;;
      tcp) run_scenario "$scenario" $rows $tcp_rows ;;
      # No direct row: the upstream speaks plain HTTP only.
      tls | tls-close | tls-handshake) run_scenario "$scenario" $(printf '%s\n' $rows | grep -vx direct) $tls_rows ;;
      *) run_scenario "$scenario" $rows ;;
    esac
  done
  report=$(render)
fi
echo "$report"
[ -z "$out" ] || printf '%s\n' "$report" >"$out"
