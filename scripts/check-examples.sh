#!/usr/bin/env bash
# Checks everything under examples/ with the real binary:
#   1. `faultline check --config` accepts every example config (and rejects a broken one,
#      so the check is known to bite), and every experiment in examples/experiments/ applies
#      on top of examples/game-day.toml and the game-day overlay's config (`check --experiment`),
#      without reusing one of their experiment names;
#   2. the Grafana dashboard and Prometheus rules use only SPEC section 5 metric names
#      (and promtool accepts the Prometheus files when promtool is installed);
#   3. against a `faultline demo` this script starts and stops: the curl walkthrough, every
#      experiment in examples/experiments/ applied and removed with `faultline ctl`, the
#      GoogleTest example suite, and every metric the dashboard uses is exported.
# As root, step 3 runs in a private network namespace, so the demo's fixed ports
# (15001, 9901) cannot clash with anything else on the machine.
#
# Usage: scripts/check-examples.sh [--no-live] [FAULTLINE_BINARY]
#   FAULTLINE_BINARY defaults to build/proxy/faultline; --no-live stops before step 3.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

live_only=0 no_live=0
while [ $# -gt 0 ]; do
  case "$1" in
    --live-in-netns) live_only=1; shift ;;  # internal: step 3 inside the network namespace
    --no-live) no_live=1; shift ;;
    -*) echo "check-examples: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
binary=$(readlink -f "${1:-build/proxy/faultline}")
[ -x "$binary" ] || { echo "check-examples: no faultline binary at ${1:-build/proxy/faultline}" >&2; exit 1; }

passed=0 failed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
bad() { echo "FAIL $*" >&2; failed=$((failed + 1)); }
work=$(mktemp -d)
demo_pid=""
cleanup() {
  if [ -n "$demo_pid" ] && kill -0 "$demo_pid" 2>/dev/null; then kill -TERM "$demo_pid"; wait "$demo_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# The metric names SPEC section 5 defines; dashboards and rules may use nothing else.
spec_metrics=(faultline_requests_total faultline_request_duration_seconds faultline_connections_active
  faultline_upstream_errors_total faultline_faults_injected_total faultline_experiment_matched_total
  faultline_experiment_active faultline_header_triggers_rejected_total faultline_halted
  faultline_cpu_stress_workers faultline_config_reloads_total)
used_metrics() {  # metric families referenced by the dashboard and the rules
  # (a name, not a part of one: __meta_..._faultline_io_sidecar is a Kubernetes label)
  grep -hoP '(?<![A-Za-z0-9_])faultline_[a-z_]+' examples/grafana/*.json examples/prometheus/*.yml \
    | sed -E 's/_(bucket|sum|count)$//' | sort -u
}

experiment_name() {  # file -> the experiment's name
  if [[ $1 == *.json ]]; then jq -r .name "$1"; else sed -n 's/^name = "\(.*\)"/\1/p' "$1" | head -1; fi
}

# ---- 3. live checks against `faultline demo` (runs in the netns when root) ----------------
live() {
  ip link set lo up 2>/dev/null || true
  "$binary" demo > "$work/demo.log" 2>&1 &
  demo_pid=$!
  for _ in $(seq 100); do
    curl -s -o /dev/null --max-time 1 http://127.0.0.1:9901/readyz && break
    kill -0 "$demo_pid" 2>/dev/null || break
    sleep 0.1
  done
  if ! curl -s -o /dev/null --max-time 1 http://127.0.0.1:9901/readyz; then
    sed 's/^/  demo| /' "$work/demo.log" >&2
    bad "faultline demo did not become ready on 127.0.0.1:9901"
    return
  fi
  ok "faultline demo is up (proxy 127.0.0.1:15001, admin 127.0.0.1:9901)"

  # The guide's bandwidth hint, as printed, must show what it promises ("about N s").
  rate=$(grep -oE "x-chaos-bandwidth: [0-9]+KiB/s" "$work/demo.log" | head -1 | grep -oE '[0-9]+')
  url=$(grep -A1 "x-chaos-bandwidth" "$work/demo.log" | grep -oE 'http://[^ ]+/api/bytes/[0-9]+' | head -1)
  promised=$(grep -oE "KiB/s: about [0-9]+ s" "$work/demo.log" | grep -oE '[0-9]+' | head -1)
  if [ -n "$rate" ] && [ -n "$url" ] && [ -n "$promised" ] \
     && got=$(curl -s -o /dev/null --max-time 60 -w '%{size_download} %{time_total}' -H "x-chaos-bandwidth: ${rate}KiB/s" "$url") \
     && [ "${got% *}" = $(( ${url##*/} * 1024 )) ] \
     && awk -v t="${got#* }" -v p="$promised" 'BEGIN { exit !(t >= 0.8 * p) }'; then
    ok "demo guide's bandwidth hint: ${got% *} bytes in ${got#* }s (promised about ${promised} s)"
  else bad "demo guide's bandwidth hint (rate '${rate}', url '${url}', promised '${promised}' s) got: ${got:-nothing}"; fi

  if examples/curl-walkthrough.sh > "$work/walk.log" 2>&1; then ok "curl walkthrough: $(tail -1 "$work/walk.log")"
  else cat "$work/walk.log"; bad "curl walkthrough: $(tail -1 "$work/walk.log")"; fi

  for example in examples/experiments/*.toml examples/experiments/*.json; do
    name=$(experiment_name "$example")
    # The examples target the game-day listener "inbound" (checked offline in step 1); the
    # demo's listener is "demo", so the copy sent here names that one.
    f="$work/$(basename "$example")"
    sed 's/"inbound"/"demo"/g' "$example" > "$f"
    if "$binary" ctl apply "$f" > "$work/ctl.log" 2>&1 \
       && "$binary" ctl --json get "$name" > "$work/get.json" 2>> "$work/ctl.log" \
       && jq -e --arg n "$name" '.name == $n and .source == "api"' "$work/get.json" > /dev/null \
       && "$binary" ctl rm "$name" >> "$work/ctl.log" 2>&1 \
       && ! "$binary" ctl get "$name" > /dev/null 2>&1; then
      ok "ctl apply / get / rm $example"
    else cat "$work/ctl.log" "$work/get.json" 2>/dev/null || true; bad "ctl apply / get / rm $example"; fi
  done

  if FAULTLINE_REQUIRE=1 FAULTLINE_PROXY=127.0.0.1:15001 \
     ctest --test-dir "$gtest_build" --output-on-failure > "$work/gtest.log" 2>&1; then
    ok "GoogleTest example: $(grep -E 'tests passed' "$work/gtest.log")"
  else cat "$work/gtest.log"; bad "GoogleTest example suite against the demo"; fi

  curl -s --max-time 5 http://127.0.0.1:9901/metrics > "$work/metrics"
  for m in $(used_metrics); do
    if grep -qE "^(# TYPE $m |$m(_bucket|_sum|_count)?([{ ]))" "$work/metrics"; then ok "demo exports $m"
    else bad "the dashboard/rules use $m but the demo's /metrics does not export it"; fi
  done

  kill -TERM "$demo_pid"
  rc=0; wait "$demo_pid" || rc=$?
  demo_pid=""
  if [ "$rc" = 0 ]; then ok "faultline demo drained and exited 0 on SIGTERM"; else bad "faultline demo exit status $rc after SIGTERM"; fi
}

gtest_build="$root/build-examples/gtest-service"
if [ "$live_only" = 1 ]; then
  live
  echo "live: $passed passed, $failed failed"
  [ "$failed" = 0 ]; exit
fi

# ---- tools ----------------------------------------------------------------------------------
scripts/install-deps.sh build test   # cmake, g++, GoogleTest, curl
need=()
command -v jq >/dev/null || need+=(jq)
command -v ip >/dev/null || need+=(iproute2)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# ---- 1. faultline check on every example config ---------------------------------------------
# A config may name a token_file at the path a Kubernetes Secret is mounted at; as in the
# pod check, a generated token is bind-mounted there in a private mount namespace and the
# config itself is left as written.
check_config() {  # file [more check args] -> runs `faultline check`, output in $work/check.log
  local file=$1 token_file
  shift
  token_file=$(sed -n 's/^token_file *= *"\(.*\)"/\1/p' "$file" | head -1)
  if [ -z "$token_file" ] || [[ "$token_file" != /* ]]; then
    "$binary" check --config "$file" "$@" > "$work/check.log" 2>&1; return
  fi
  [ "$(id -u)" = 0 ] || { echo "needs root to provide $token_file" > "$work/check.log"; return 1; }
  head -c 24 /dev/urandom | base64 > "$work/token"
  unshare --mount --propagation private bash -c '
    set -e; target=$1 created=""
    top=$target; while [ ! -e "$(dirname "$top")" ]; do top=$(dirname "$top"); done
    if [ ! -e "$target" ]; then [ -e "$top" ] || created=$top; mkdir -p "$(dirname "$target")"; : > "$target"; fi
    mount --bind "$2" "$target"
    rc=0; "$3" check --config "$4" "${@:5}" || rc=$?
    umount "$target"
    if [ -n "$created" ]; then rm -f "$target"; find "$created" -depth -type d -empty -delete 2>/dev/null || rm -f "$created"; fi
    exit $rc' _ "$token_file" "$work/token" "$binary" "$file" "$@" > "$work/check.log" 2>&1
}
for f in examples/*.toml; do
  if check_config "$f"; then ok "faultline check --config $f"
  else sed 's/^/  | /' "$work/check.log" >&2; bad "faultline check --config $f"; fi
done
# Game-day material works together: every example experiment applies on top of the game-day
# configs (checked offline as `ctl apply` would send it) and none reuses the name of one of
# their config experiments (the API would answer 409).
for config in examples/game-day.toml k8s/overlays/game-day/faultline.toml; do
  [ -f "$config" ] || continue
  config_names=$(sed -n 's/^name = "\(.*\)"/\1/p' "$config")
  for f in examples/experiments/*.toml examples/experiments/*.json; do
    name=$(experiment_name "$f")
    if printf '%s\n' "$config_names" | grep -qx "$name"; then
      bad "$f: experiment $name is already defined by $config (ctl apply would get 409)"
    elif check_config "$config" --experiment "$f"; then ok "$f applies on top of $config"
    else sed 's/^/  | /' "$work/check.log" >&2; bad "$f does not apply on top of $config"; fi
  done
done
# The check must bite: a misspelt key in a copy of a valid example is an error naming it.
sed 's/^drain_timeout = /drain_timeot = /' examples/http-sidecar.toml > "$work/typo.toml"
if "$binary" check --config "$work/typo.toml" > "$work/check.log" 2>&1; then bad "faultline check accepted an unknown key (drain_timeot)"
elif grep -q 'drain_timeot' "$work/check.log" && grep -q "typo.toml:[0-9]*:[0-9]*:" "$work/check.log"; then
  ok "faultline check rejects a misspelt key with FILE:LINE:COL"
else cat "$work/check.log" >&2; bad "faultline check rejected the typo without naming it at FILE:LINE:COL"; fi

# ---- 2. dashboard and rules ---------------------------------------------------------------
if jq -e '.panels | length > 0' examples/grafana/faultline-dashboard.json > /dev/null; then ok "Grafana dashboard is valid JSON with panels"
else bad "examples/grafana/faultline-dashboard.json"; fi
unknown=0
for m in $(used_metrics); do
  printf '%s\n' "${spec_metrics[@]}" | grep -qx "$m" \
    || { bad "metric $m in examples/grafana or examples/prometheus is not in SPEC section 5"; unknown=1; }
done
[ "$unknown" = 0 ] && ok "dashboard and rules use only SPEC metric names ($(used_metrics | wc -l) of ${#spec_metrics[@]})"
if command -v promtool > /dev/null; then
  # Debian's promtool lacks Kubernetes service discovery, so prometheus-kubernetes.yml is
  # not checked here (see the note in that file).
  if (cd examples/prometheus && promtool check config prometheus.yml && promtool test rules faultline-rules.test.yml) > "$work/promtool.log" 2>&1; then
    ok "promtool: prometheus.yml and faultline-rules.yml valid, rule unit tests pass"
  else cat "$work/promtool.log" >&2; bad "promtool check config / test rules in examples/prometheus"; fi
else
  echo "note: promtool not installed (Debian package prometheus): Prometheus files checked for metric names only"
fi

# ---- the GoogleTest example builds on its own -------------------------------------------
if cmake -S examples/gtest-service -B "$gtest_build" -G Ninja > "$work/gtest-build.log" 2>&1 \
   && cmake --build "$gtest_build" >> "$work/gtest-build.log" 2>&1; then ok "GoogleTest example builds (examples/gtest-service)"
else cat "$work/gtest-build.log" >&2; bad "GoogleTest example build"; fi

# ---- 3. live --------------------------------------------------------------------------------
if [ "$no_live" = 1 ]; then
  echo "check-examples: --no-live: the demo, walkthrough, experiments and GoogleTest suite were not run"
elif [ "$(id -u)" = 0 ] && unshare --net true 2>/dev/null; then
  # The inner run prints its own ok/FAIL lines; its counts are added to this run's.
  unshare --net "$0" --live-in-netns "$binary" | tee "$work/live.log" || true
  counts=$(sed -n 's/^live: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$work/live.log")
  if [ -z "$counts" ]; then bad "live checks did not complete"
  else passed=$((passed + ${counts% *})); failed=$((failed + ${counts#* })); fi
else
  echo "note: not root: running the demo on the host's loopback (ports 15001 and 9901 must be free)"
  live
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
