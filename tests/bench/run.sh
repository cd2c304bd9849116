#!/usr/bin/env bash
# Benchmark: wrk straight at an nginx upstream, then through faultline, HAProxy and nginx as
# reverse proxies, each proxy single-threaded, taking turns in the same run, all on
# 127.0.0.1. Prints a Markdown table (also written to $BENCH_OUT). See tests/bench/README.md.
#
#   tests/bench/run.sh                      # full run, about 3.5 minutes with the defaults
#   BENCH_ROUNDS=1 BENCH_ROWS="direct haproxy" BENCH_ENGINE_ROWS="" tests/bench/run.sh
#   BENCH_CALLGRIND=1 tests/bench/run.sh    # instructions per request under callgrind instead
#   (BENCH_CALLGRIND_KEEP=DIR also keeps the profiles there, for callgrind_annotate)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

secs=${BENCH_SECONDS:-4}             # measured seconds per row and round
rounds=${BENCH_ROUNDS:-3}            # rounds per scenario; rows take turns within a round
warmup=${BENCH_WARMUP:-1}            # unmeasured seconds per row (fills connection pools)
conns=${BENCH_CONNECTIONS:-50}       # wrk connections
threads=${BENCH_THREADS:-2}          # wrk threads
scenarios=${BENCH_SCENARIOS-"small 1mib close"}
rows=${BENCH_ROWS-"direct haproxy nginx faultline"}
engine_rows=${BENCH_ENGINE_ROWS-"faultline-exp1 faultline-exp100 faultline-hdr"}  # small only
upstream_workers=${BENCH_UPSTREAM_WORKERS:-2}
pin=${BENCH_PIN:-0}                  # 1: proxy on CPU 0, wrk and upstream on CPU 1
callgrind=${BENCH_CALLGRIND:-0}
callgrind_requests=${BENCH_CALLGRIND_REQUESTS:-2000}
out=${BENCH_OUT:-}

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

[ "${BENCH_NO_INSTALL:-0}" = 1 ] || "$root/scripts/install-deps.sh" bench
[ "$callgrind" = 1 ] && { command -v valgrind >/dev/null || die "BENCH_CALLGRIND=1 needs valgrind (apt-get install valgrind)"; }

tmp=$(mktemp -d /tmp/faultline-bench.XXXXXX)
chmod 755 "$tmp" # nginx workers may run as an unprivileged user and must read the files
pids=()
child=""

# Stops every process this script started: TERM, a short grace period, then KILL.
cleanup() {
  local status=$? pid
  [ -z "$child" ] || kill -TERM "$child" 2>/dev/null || true
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  [ "${BENCH_KEEP_TMP:-0}" = 1 ] && log "kept $tmp" || rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# Runs a command in the background and waits for it: bash runs traps only between commands,
# and `wait` is interruptible, so Ctrl-C or SIGTERM stops the benchmark at once.
fg_run() {
  local rc=0
  "$@" &
  child=$!
  wait "$child" || rc=$?
  child=""
  return "$rc"
}

# For background launches (`exec_on_cpu CPU CMD... &`): the subshell becomes CMD, so $! is
# the process's own PID and signals reach it. BENCH_PIN=1 pins it to CPU with taskset.
exec_on_cpu() {
  local cpu=$1; shift
  if [ "$pin" = 1 ]; then exec taskset -c "$cpu" "$@"; else exec "$@"; fi
}

# A TCP port nobody listens on, below the ephemeral range so wrk's sockets cannot take it.
used_ports=" "
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 12000))
    case "$used_ports" in *" $p "*) continue ;; esac
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      used_ports+="$p "
      echo "$p"
      return
    fi
  done
}

wait_port() { # wait_port PORT PID: until something accepts on PORT (5 s), or PID died
  local i
  for i in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# --- /proc accounting -------------------------------------------------------------------------
clk_tck=$(getconf CLK_TCK)

# The PID and all its descendants (HAProxy/nginx master and workers).
tree_pids() {
  cat /proc/[0-9]*/stat 2>/dev/null | awk -v root="$1" '
    { line = $0; pid = $1; sub(/^.*\) /, "", line); split(line, f, " "); parent[pid] = f[2] }
    END {
      want[root] = 1; changed = 1
      while (changed) { changed = 0; for (p in parent) if (!(p in want) && (parent[p] in want)) { want[p] = 1; changed = 1 } }
      for (p in want) if (p in parent) print p
    }'
}

# utime+stime of the tree, in clock ticks; threads are included in their process's counters.
cpu_ticks() {
  local p total=0 line
  for p in $(tree_pids "$1"); do
    line=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    line=${line##*) }
    set -- $line
    total=$((total + ${12} + ${13}))
  done
  echo "$total"
}

rss_kib() { # rss_kib ROOT FIELD: sum of VmRSS or VmHWM (KiB) over the tree
  local p total=0 v
  for p in $(tree_pids "$1"); do
    v=$(awk -v k="$2:" '$1 == k { print $2 }' "/proc/$p/status" 2>/dev/null) || continue
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

# --- upstream ---------------------------------------------------------------------------------
small_body=$(printf 'faultline benchmark small response %.0s' 1 2 3 | head -c 100)
mkdir -p "$tmp/www" "$tmp/upstream" "$tmp/nginx-proxy"
head -c 1048576 /dev/zero >"$tmp/www/1m.bin"
chmod -R a+rX "$tmp/www"

nginx_common() { # directives both nginx instances share; $1 = prefix dir
  cat <<EOF
daemon off;
pid $1/nginx.pid;
error_log $1/error.log warn;
worker_rlimit_nofile 16384;
events { worker_connections 4096; }
EOF
}
nginx_temp_paths() {
  local d
  for d in client_body proxy fastcgi uwsgi scgi; do echo "  ${d}_temp_path $1/${d}_temp;"; done
}

upstream_port=$(free_port)
{
  nginx_common "$tmp/upstream"
  cat <<EOF
worker_processes $upstream_workers;
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  open_file_cache max=16;
$(nginx_temp_paths "$tmp/upstream")
  server {
    listen 127.0.0.1:$upstream_port backlog=4096;
    root $tmp/www;
    location = /small { default_type text/plain; return 200 "$small_body"; }
  }
}
EOF
} >"$tmp/upstream/nginx.conf"

start_upstream() {
  exec_on_cpu 1 nginx -p "$tmp/upstream" -c "$tmp/upstream/nginx.conf" -e "$tmp/upstream/error.log" &
  upstream_pid=$!
  pids+=("$upstream_pid")
  wait_port "$upstream_port" "$upstream_pid" || die "upstream nginx did not start: $(cat "$tmp/upstream/error.log")"
  curl -fsS -o /dev/null "http://127.0.0.1:$upstream_port/small" || die "upstream does not answer /small"
}

# --- proxies ----------------------------------------------------------------------------------
# Each start_* launches one proxy on $1 in the background and sets proxy_pid.
write_haproxy_cfg() { # write_haproxy_cfg PORT
  cat >"$tmp/haproxy.cfg" <<EOF
global
  nbthread 1
  maxconn 4096
defaults
  mode http
  option http-keep-alive
  option forwardfor
  http-reuse always
  timeout connect 2s
  timeout client 30s
  timeout server 30s
frontend bench
  bind 127.0.0.1:$1
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

write_nginx_cfg() { # write_nginx_cfg PORT [EXTRA-MAIN-DIRECTIVE]
  local d="$tmp/nginx-proxy"
  {
    nginx_common "$d"
    cat <<EOF
worker_processes 1;
${2:-}
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
$(nginx_temp_paths "$d")
  upstream backend {
    server 127.0.0.1:$upstream_port;
    keepalive 64;
    keepalive_requests 100000000;
  }
  server {
    listen 127.0.0.1:$1 backlog=4096;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    }
  }
}
EOF
  } >"$d/nginx.conf"
}

start_nginx() {
  local d="$tmp/nginx-proxy"
  write_nginx_cfg "$1"
  exec_on_cpu 0 nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" >"$tmp/nginx-proxy.log" 2>&1 &
  proxy_pid=$!
}

# faultline config per row: plain, 1 or 100 non-matching experiments, or header triggers on.
faultline_config() { # faultline_config ROW PORT ADMIN_PORT
  cat <<EOF
[admin]
listen = "127.0.0.1:$3"

[log]
level = "warn"
access_log = false

[runtime]
workers = 1

[[listeners]]
name = "bench"
listen = "127.0.0.1:$2"
upstream = "127.0.0.1:$upstream_port"
protocol = "http"
EOF
  local n=0 i
  case "$1" in
    faultline-exp1) n=1 ;;
    faultline-exp100) n=100 ;;
    faultline-hdr) printf '\n[triggers.headers]\nenabled = true\n' ;;
    faultline-canary) printf '\n[triggers.headers]\nenabled = true\n'
      printf '\n[[experiments]]\nname = "canary"\n[experiments.match]\npaths = ["/canary"]\n'
      printf '[[experiments.faults]]\ntype = "latency"\ndelay = "200ms"\n' ;;
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

faultline_bin=${FAULTLINE_BIN:-}
faultline_problem=""
find_faultline() {
  [ -n "$faultline_bin" ] && { [ -x "$faultline_bin" ] || faultline_problem="FAULTLINE_BIN=$faultline_bin is not executable"; return; }
  local b="$root/build-bench"
  log "building faultline (Release, no -march=native) in $b"
  if cmake -S "$root" -B "$b" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFAULTLINE_TESTS=OFF \
        $(command -v ccache >/dev/null && echo -DCMAKE_CXX_COMPILER_LAUNCHER=ccache) >"$tmp/build.log" 2>&1 &&
     fg_run cmake --build "$b" -j2 --target faultline >>"$tmp/build.log" 2>&1; then
    faultline_bin="$b/faultline"
    [ -x "$faultline_bin" ] || faultline_bin="$b/proxy/faultline"
    [ -x "$faultline_bin" ] || faultline_bin=$(find "$b" -maxdepth 3 -type f -name faultline -perm -u+x | head -1)
  fi
  [ -n "$faultline_bin" ] && [ -x "$faultline_bin" ] || { faultline_problem="faultline build failed (see build log)"; tail -5 "$tmp/build.log" >&2; }
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

start_faultline() { # start_faultline ROW PORT
  local admin
  admin=$(free_port)
  faultline_config "$1" "$2" "$admin" >"$tmp/$1.toml"
  if ! "$faultline_bin" check --config "$tmp/$1.toml" >"$tmp/$1.check" 2>&1; then
    row_problem="config rejected: $(head -1 "$tmp/$1.check" | sed "s|$tmp/||")"
    return 1
  fi
  FAULTLINE_READY_FILE="$tmp/$1.ready" exec_on_cpu 0 "$faultline_bin" run --config "$tmp/$1.toml" >"$tmp/$1.log" 2>&1 &
  proxy_pid=$!
}

start_row() { # start_row ROW PORT: sets proxy_pid (empty for direct) or row_problem
  proxy_pid=""
  row_problem=""
  case "$1" in
    direct) return 0 ;;
    haproxy) start_haproxy "$2" ;;
    nginx) start_nginx "$2" ;;
    faultline*)
      [ -z "$faultline_problem" ] || { row_problem=$faultline_problem; return 1; }
      start_faultline "$1" "$2" || return 1 ;;
  esac
  pids+=("$proxy_pid")
  if ! wait_port "$2" "$proxy_pid"; then
    row_problem="did not start listening"
    return 1
  fi
  if ! curl -fsS -m 5 -o /dev/null "http://127.0.0.1:$2/small" 2>"$tmp/curl.err"; then
    row_problem="does not proxy: $(head -c 120 "$tmp/curl.err")"
    return 1
  fi
}

stop_proxy() {
  [ -n "$proxy_pid" ] || return 0
  kill -TERM "$proxy_pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$proxy_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$proxy_pid" 2>/dev/null || true
  wait "$proxy_pid" 2>/dev/null || true
  # Forget it, so that cleanup can never signal a later process that reuses the PID.
  local p
  local -a keep=()
  for p in "${pids[@]}"; do [ "$p" = "$proxy_pid" ] || keep+=("$p"); done
  pids=("${keep[@]}")
}

scenario_path() { case "$1" in 1mib) echo /1m.bin ;; *) echo /small ;; esac; }
scenario_args() { case "$1" in close) echo "-H Connection:close" ;; esac; }

# --- one scenario -----------------------------------------------------------------------------
# Every row of a scenario is started up front, then measured in rounds, round-robin, so that
# interference from other work on the machine spreads evenly over the rows instead of hitting
# whichever row happened to run at a bad moment.
rounds_file="$tmp/rounds.tsv"
results="$tmp/results.tsv"
: >"$rounds_file"
: >"$results"

declare -A row_pid row_port row_idle row_peak row_error

wrk_once() { # wrk_once SECONDS URL OUTPUT [wrk args...]
  local d=$1 url=$2 output=$3
  shift 3
  fg_run exec_on_cpu 1 timeout $((d + 30)) wrk -t"$threads" -c"$conns" -d"${d}s" "$@" "$url" >"$output" 2>&1 || true
}

run_scenario() { # run_scenario SCENARIO ROW...
  local scenario=$1 row port url round cpu0 cpu1 up0 up1 line
  shift
  local -a live=() extra
  read -r -a extra <<<"$(scenario_args "$scenario")"
  for row in "$@"; do
    port=$upstream_port
    [ "$row" = direct ] || port=$(free_port)
    row_error[$row]=""
    row_idle[$row]=0
    row_peak[$row]=0
    row_pid[$row]=""
    if start_row "$row" "$port"; then
      row_pid[$row]=$proxy_pid
      row_port[$row]=$port
      live+=("$row")
    else
      log "$scenario/$row: $row_problem"
      if [ -n "$proxy_pid" ]; then tail -3 "$tmp/$row.log" >&2 2>/dev/null || true; fi
      stop_proxy
      row_error[$row]=$row_problem
    fi
  done
  sleep 0.2
  for row in "${live[@]}"; do
    [ -z "${row_pid[$row]}" ] || row_idle[$row]=$(rss_kib "${row_pid[$row]}" VmRSS)
    # Unmeasured warm-up: fills the proxies' upstream pools and wrk's connections.
    wrk_once "$warmup" "http://127.0.0.1:${row_port[$row]}$(scenario_path "$scenario")" /dev/null "${extra[@]}"
  done
  for ((round = 1; round <= rounds; round++)); do
    for row in "${live[@]}"; do
      [ -z "${row_error[$row]}" ] || continue
      url="http://127.0.0.1:${row_port[$row]}$(scenario_path "$scenario")"
      cpu0=0 cpu1=0
      [ -z "${row_pid[$row]}" ] || cpu0=$(cpu_ticks "${row_pid[$row]}")
      up0=$(cpu_ticks "$upstream_pid")
      wrk_once "$secs" "$url" "$tmp/wrk.out" --latency -s "$here/wrk_report.lua" "${extra[@]}"
      up1=$(cpu_ticks "$upstream_pid")
      [ -z "${row_pid[$row]}" ] || cpu1=$(cpu_ticks "${row_pid[$row]}")
      line=$(grep '^BENCH ' "$tmp/wrk.out" || true)
      if [ -n "${row_pid[$row]}" ] && ! kill -0 "${row_pid[$row]}" 2>/dev/null; then
        row_error[$row]="proxy died during the run"
      elif [ -z "$line" ]; then
        row_error[$row]="wrk failed: $(tail -1 "$tmp/wrk.out")"
      fi
      if [ -n "${row_error[$row]}" ]; then log "$scenario/$row: ${row_error[$row]}"; continue; fi
      # scenario row round requests bytes duration_us p50_us p99_us errors proxy_ticks upstream_ticks
      echo "$line" | awk -v s="$scenario" -v r="$row" -v n="$round" -v c="$((cpu1 - cpu0))" -v up="$((up1 - up0))" '{
        for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        printf "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%.0f\t%d\t%d\n", s, r, n, v["requests"], v["bytes"], v["duration_us"],
          v["p50_us"], v["p99_us"], v["socket_errors"] + v["status_errors"], c, up
      }' >>"$rounds_file"
      tail -1 "$rounds_file" | awk -F'\t' -v hz="$clk_tck" '{ printf "bench: %-6s %-17s round %d %9.0f req/s  p99 %7.2f ms  proxy cpu %5.2f s  upstream cpu %5.2f s  errors %d\n",
        $1, $2, $3, $4 / ($6 / 1e6), $8 / 1000, $10 / hz, $11 / hz, $9 }' >&2
    done
  done
  for row in "$@"; do
    if [ -n "${row_pid[$row]:-}" ]; then
      row_peak[$row]=$(rss_kib "${row_pid[$row]}" VmHWM)
      proxy_pid=${row_pid[$row]}
      stop_proxy
    fi
    if [ -n "${row_error[$row]}" ]; then
      printf '%s\t%s\tFAIL\t%s\n' "$scenario" "$row" "${row_error[$row]}" >>"$results"
      continue
    fi
    # Totals over the rounds; latency percentiles are the median round's.
    # scenario row OK requests bytes duration_us p50_us p99_us errors cpu_ticks clk rss_idle rss_peak upstream_ticks
    awk -F'\t' -v s="$scenario" -v r="$row" -v hz="$clk_tck" -v ri="${row_idle[$row]}" -v rp="${row_peak[$row]:-0}" '
      function median(a, n,   i, j, t) {
        for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
        return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
      }
      $1 == s && $2 == r { n++; req += $4; bytes += $5; dur += $6; p50[n] = $7; p99[n] = $8; err += $9; cpu += $10; up += $11 }
      END { if (n) printf "%s\t%s\tOK\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%d\t%d\t%d\t%.0f\n", s, r, req, bytes, dur,
        median(p50, n), median(p99, n), err, cpu, hz, ri, rp, up }' "$rounds_file" >>"$results"
  done
  proxy_pid=""
}

# --- report -----------------------------------------------------------------------------------
render() {
  local cpu_model load
  cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  echo "Benchmark run $(date -u '+%Y-%m-%d %H:%M UTC'): $(nproc) CPUs (${cpu_model:-unknown}), load average at start $load_start, at end $load."
  echo "wrk -t$threads -c$conns; per row ${warmup}s warm-up, then $rounds rounds of ${secs}s taken in turn with the other rows (totals over rounds, median round's percentiles); every proxy single-threaded; upstream nginx with $upstream_workers workers; pinning $([ "$pin" = 1 ] && echo 'on (proxy CPU 0, wrk+upstream CPU 1)' || echo off)."
  echo "$(haproxy -v | head -1 | cut -d' ' -f1-3), $(nginx -v 2>&1 | cut -d' ' -f3), faultline $([ -n "$faultline_bin" ] && [ -z "$faultline_problem" ] && "$faultline_bin" version 2>/dev/null | head -1 || echo "(not available)")."
  [ -z "$engine_note" ] || echo "Warning: in this build $engine_note"
  echo
  awk -F'\t' '
    function label(r) {
      if (r == "direct") return "direct (no proxy)"
      if (r == "haproxy") return "HAProxy"
      if (r == "nginx") return "nginx"
      if (r == "faultline") return "faultline"
      if (r == "faultline-exp1") return "faultline, 1 non-matching experiment"
      if (r == "faultline-exp100") return "faultline, 100 non-matching experiments"
      if (r == "faultline-hdr") return "faultline, header triggers on, no x-chaos headers"
      return r
    }
    function sname(s) {
      if (s == "small") return "small keep-alive"
      if (s == "1mib") return "1 MiB keep-alive"
      if (s == "close") return "new connection per request"
      return s
    }
    function mib(k) { return sprintf("%.1f", k / 1024) }
    {
      n++; S[n] = $1; R[n] = $2; ok[n] = ($3 == "OK"); note[n] = $4
      if (!ok[n]) next
      dur = $6 / 1e6
      rps[n] = $4 / dur; mibs[n] = $5 / 1048576 / dur
      p50[n] = $7 / 1000; p99[n] = $8 / 1000; err[n] = $9
      cpu[n] = $10 / $11; ri[n] = $12; rp[n] = $13
      # efficiency: MiB per proxy CPU-second for 1 MiB responses, requests per CPU-second otherwise
      work = ($1 == "1mib") ? $5 / 1048576 : $4
      eff[n] = (cpu[n] > 0) ? work / cpu[n] : 0
      if ($2 == "faultline") feff[$1] = eff[n]
      if ($2 == "haproxy" || $2 == "nginx") {
        s = $1
        if (eff[n] > beff[s]) beff[s] = eff[n]
        if (rps[n] > brps[s]) brps[s] = rps[n]
        if (!(s in bp99) || p99[n] < bp99[s]) bp99[s] = p99[n]
        if (!(s in brss) || rp[n] < brss[s]) brss[s] = rp[n]
        if (!(s in bidle) || ri[n] < bidle[s]) bidle[s] = ri[n]
      }
    }
    END {
      print "| scenario | proxy | req/s | MiB/s | p50 ms | p99 ms | errors | proxy CPU s | work per proxy CPU-s | RSS idle / peak MiB | efficiency vs best peer |"
      print "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
      for (i = 1; i <= n; i++) {
        if (!ok[i]) { printf "| %s | %s | — | — | — | — | — | — | — | — | %s |\n", sname(S[i]), label(R[i]), note[i]; continue }
        unit = (S[i] == "1mib") ? " MiB" : " req"
        direct = (R[i] == "direct")
        printf "| %s | %s | %.0f | %.1f | %.2f | %.2f | %d | %s | %s | %s | %s |\n", sname(S[i]), label(R[i]),
          rps[i], mibs[i], p50[i], p99[i], err[i],
          direct ? "—" : sprintf("%.2f", cpu[i]),
          direct ? "—" : sprintf("%.0f%s", eff[i], unit),
          direct ? "—" : mib(ri[i]) " / " mib(rp[i]),
          (direct || !(S[i] in beff) || beff[S[i]] == 0) ? "—" : sprintf("%.2f×", eff[i] / beff[S[i]])
      }
      header = 0
      for (i = 1; i <= n; i++) {
        if (R[i] !~ /^faultline/ || !ok[i] || !(S[i] in beff)) continue
        if (!header++) {
          print ""
          print "faultline against the best of HAProxy and nginx in the same scenario (targets: efficiency ≥ 1×, p99 ≤ 1×, idle RSS < 8 MiB):"
          print ""
          print "| scenario | faultline row | efficiency | req/s | p99 | peak RSS | idle RSS < 8 MiB |"
          print "|---|---|---:|---:|---:|---:|---|"
        }
        s = S[i]
        printf "| %s | %s | %s | %s | %s | %s | %s |\n", sname(s), label(R[i]),
          (beff[s] > 0) ? sprintf("%.2f×", eff[i] / beff[s]) : "—",
          (brps[s] > 0) ? sprintf("%.2f×", rps[i] / brps[s]) : "—",
          (bp99[s] > 0) ? sprintf("%.2f×", p99[i] / bp99[s]) : "—",
          (brss[s] > 0) ? sprintf("%.2f×", rp[i] / brss[s]) : "—",
          (ri[i] < 8192) ? "yes (" mib(ri[i]) " MiB)" : "no (" mib(ri[i]) " MiB)"
      }
      header = 0
      for (i = 1; i <= n; i++) {
        if (R[i] !~ /^faultline-/ || !ok[i] || !(S[i] in feff) || feff[S[i]] == 0) continue
        if (!header++) {
          print ""
          print "Fault engine cost: proxy CPU per request against plain faultline (no experiment) in the same scenario:"
          print ""
          print "| scenario | faultline row | CPU µs per request | plain faultline | difference |"
          print "|---|---|---:|---:|---:|"
        }
        printf "| %s | %s | %.2f | %.2f | %+.2f (%+.0f %%) |\n", sname(S[i]), label(R[i]), 1e6 / eff[i], 1e6 / feff[S[i]],
          1e6 / eff[i] - 1e6 / feff[S[i]], 100 * (feff[S[i]] / eff[i] - 1)
      }
    }' "$results"
}

# --- callgrind mode ---------------------------------------------------------------------------
# Instructions per request: two runs of the proxy under callgrind with N and 3N requests, so
# that start-up and shutdown cancel out: (Ir(3N) - Ir(N)) / 2N.
callgrind_ir() { # callgrind_ir ROW COUNT: prints total instructions of one proxy lifetime
  local row=$1 count=$2 port cg cmd=()
  port=$(free_port)
  cg="$tmp/callgrind.$row.$count"
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
  if ! fg_run timeout 600 "$tmp/fixed_requests" "$port" /small "$count"; then
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

row_label() {
  case "$1" in
    haproxy) echo HAProxy ;;
    faultline-exp1) echo "faultline, 1 non-matching experiment" ;;
    faultline-exp100) echo "faultline, 100 non-matching experiments" ;;
    faultline-hdr) echo "faultline, header triggers on, no x-chaos headers" ;;
    *) echo "$1" ;;
  esac
}

run_callgrind() {
  cc -O2 -o "$tmp/fixed_requests" "$here/fixed_requests.c" || die "cannot compile fixed_requests.c"
  local n=$callgrind_requests row a b
  echo "Instructions per request under callgrind (valgrind $(valgrind --version | sed 's/valgrind-//')), small keep-alive responses,"
  echo "one connection, sequential requests; (Ir($((3 * n)) requests) - Ir($n requests)) / $((2 * n)), so start-up cancels out."
  echo
  [ -z "$engine_note" ] || { echo "Warning: in this build $engine_note"; echo; }
  echo "| proxy | instructions per request |"
  echo "|---|---:|"
  for row in $rows $engine_rows; do
    [ "$row" = direct ] && continue
    case "$row" in faultline*) [ -z "$faultline_problem" ] || { echo "| $(row_label "$row") | $faultline_problem |"; continue; } ;; esac
    a=$(callgrind_ir "$row" "$n") && b=$(callgrind_ir "$row" $((3 * n))) || { echo "| $(row_label "$row") | failed |"; continue; }
    echo "| $(row_label "$row") | $(( (b - a) / (2 * n) )) |"
  done
}

# --- main -------------------------------------------------------------------------------------
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
case " $rows $engine_rows " in *" faultline"*) find_faultline ;; esac
[ -n "$faultline_problem" ] && log "faultline rows skipped: $faultline_problem"
start_upstream
case " $engine_rows " in *" faultline-"*) [ -n "$faultline_problem" ] || check_engine_acts ;; esac

if [ "$callgrind" = 1 ]; then
  report=$(run_callgrind)
else
  for scenario in $scenarios; do
    if [ "$scenario" = small ]; then
      run_scenario "$scenario" $rows $engine_rows
    else
      run_scenario "$scenario" $rows
    fi
  done
  report=$(render)
fi
echo "$report"
[ -z "$out" ] || printf '%s\n' "$report" >"$out"
