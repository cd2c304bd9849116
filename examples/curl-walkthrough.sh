#!/usr/bin/env bash
# A guided tour of faultline with curl, and a real check: every step says what it expects
# and the script exits non-zero if any answer differs.
#
#   scripts/demo.sh &                 # or: build/proxy/faultline demo
#   examples/curl-walkthrough.sh
#
# It talks to `faultline demo`: the proxy on 127.0.0.1:15001 in front of the demo's own
# upstream, header triggers enabled, the admin API on 127.0.0.1:9901 without a token.
# Override with FAULTLINE_PROXY / FAULTLINE_ADMIN (and FAULTLINE_TOKEN if the admin API
# needs one). Needs curl and jq.
set -uo pipefail

PROXY=${FAULTLINE_PROXY:-http://127.0.0.1:15001}
ADMIN=${FAULTLINE_ADMIN:-http://127.0.0.1:9901}
auth=()
[ -n "${FAULTLINE_TOKEN:-}" ] && auth=(-H "authorization: Bearer $FAULTLINE_TOKEN")
for tool in curl jq; do
  command -v "$tool" >/dev/null || { echo "curl-walkthrough: needs $tool (apt-get install $tool)" >&2; exit 2; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

# ---- helpers: run one curl, then assert on what came back ---------------------------------
# req [curl args...]: prints the command, stores status in $code, seconds in $secs, the
# curl exit status in $rc, headers in $tmp/h and the body in $tmp/b.
req() {
  local a shown="curl"
  for a in "$@"; do
    if [[ "$a" =~ ^[A-Za-z0-9_./:=@,+%-]+$ ]]; then shown+=" $a"; else shown+=" '${a//\'/\'\\\'\'}'"; fi
  done
  printf '  $ %s\n' "${shown//$tmp\//}"
  local out
  out=$(curl -s -o "$tmp/b" -D "$tmp/h" -w '%{http_code} %{time_total}' --max-time 20 "$@")
  rc=$?
  code=${out%% *} secs=${out##* }
}
section() { printf '\n## %s\n' "$*"; }
pass() { printf '  ok   %s\n' "$*"; passed=$((passed + 1)); }
fail() { printf '  FAIL %s\n' "$*"; failed=$((failed + 1));
         [ -s "$tmp/h" ] && sed 's/^/       | /' "$tmp/h" | head -12; [ -s "$tmp/b" ] && head -c 400 "$tmp/b" | sed 's/^/       | /'; echo; }
expect_code() { if [ "$rc" = 0 ] && [ "$code" = "$1" ]; then pass "status $1${2:+: $2}"; else fail "want status $1${2:+ ($2)}, got $code (curl exit $rc)"; fi; }
expect_2xx() { if [ "$rc" = 0 ] && [[ "$code" == 2?? ]]; then pass "status $code (2xx)${1:+: $1}"; else fail "want a 2xx${1:+ ($1)}, got $code (curl exit $rc)"; fi; }
expect_header() {  # name, substring
  local v
  v=$(grep -i "^$1:" "$tmp/h" | head -1 | cut -d: -f2- | tr -d '\r' | sed 's/^ *//')
  if [[ "$v" == *"$2"* ]]; then pass "$1: $v"; else fail "want header $1 containing '$2', got '${v:-<none>}'"; fi
}
expect_injected_latency_between() {  # low_ms, high_ms: x-chaos-injected names the delay applied
  local v ms
  v=$(grep -i "^x-chaos-injected:" "$tmp/h" | head -1 | cut -d: -f2- | tr -d '\r' | sed 's/^ *//')
  ms=$(sed -n 's/.*latency=\([0-9]*\)ms@header.*/\1/p' <<<"$v")
  if [[ -n "$ms" ]] && (( ms >= $1 && ms <= $2 )); then pass "x-chaos-injected: $v"
  else fail "want x-chaos-injected latency=<$1..$2>ms@header, got '${v:-<none>}'"; fi
}
expect_no_header() {
  if grep -qi "^$1:" "$tmp/h"; then fail "want no $1 header, got: $(grep -i "^$1:" "$tmp/h" | tr -d '\r')"; else pass "no $1 header"; fi
}
expect_at_least() {  # seconds
  if awk -v s="$secs" -v m="$1" 'BEGIN { exit !(s + 0 >= m + 0) }'; then pass "took ${secs}s (>= ${1}s)"
  else fail "want >= ${1}s, took ${secs}s"; fi
}
expect_at_most() {
  if awk -v s="$secs" -v m="$1" 'BEGIN { exit !(s + 0 <= m + 0) }'; then pass "took ${secs}s (<= ${1}s)"
  else fail "want <= ${1}s, took ${secs}s"; fi
}
expect_curl_exit() {  # code, meaning
  if [ "$rc" = "$1" ]; then pass "curl exit $1: $2"; else fail "want curl exit $1 ($2), got $rc (status $code)"; fi
}
expect_body() {  # substring
  if grep -qF -- "$1" "$tmp/b"; then pass "body mentions '$1'"; else fail "want body containing '$1'"; fi
}
expect_json() {  # jq filter that must print true, description
  if jq -e "$1" "$tmp/b" >/dev/null 2>&1; then pass "$2"; else fail "want $2 (jq: $1)"; fi
}
metric() {  # sum of a metric's samples whose line matches a label filter (ERE)
  curl -s --max-time 5 "$ADMIN/metrics" \
    | awk -v name="$1" -v re="${2:-}" '$1 ~ "^"name"([{]|$)" && $0 ~ re { s += $NF } END { print s + 0 }'
}

curl -s -o /dev/null --max-time 3 "$ADMIN/healthz" \
  || { echo "curl-walkthrough: no faultline admin API at $ADMIN; start \`faultline demo\` first" >&2; exit 2; }

# ---- 1. pass-through -------------------------------------------------------------------------
section "1. Without chaos headers the proxy is invisible"
req "$PROXY/api/items"
expect_code 200 "the upstream's own answer"
expect_no_header x-chaos-injected

# ---- 2. header triggers ----------------------------------------------------------------------
section "2. x-chaos-delay: latency before forwarding"
req -H 'x-chaos-delay: 400ms' "$PROXY/api/items"
expect_code 200
expect_at_least 0.4
expect_header x-chaos-injected 'latency=400ms@header'

section "2b. A bare number is milliseconds; x-chaos-jitter spreads it (300ms +-100ms)"
req -H 'x-chaos-delay: 300' -H 'x-chaos-jitter: 100ms' "$PROXY/api/items"
expect_code 200
expect_at_least 0.2
expect_injected_latency_between 200 400

section "3. x-chaos-abort: answer with that status, do not forward"
req -H 'x-chaos-abort: 503' "$PROXY/api/items"
expect_code 503
expect_header x-chaos-injected 'abort=503@header'

section "3b. An out-of-range value is refused with 400 naming the header"
req -H 'x-chaos-abort: 700' "$PROXY/api/items"
expect_code 400
expect_body x-chaos-abort

section "3c. x-chaos-percentage: 0 means the header faults never apply"
req -H 'x-chaos-abort: 503' -H 'x-chaos-percentage: 0' "$PROXY/api/items"
expect_code 200
expect_no_header x-chaos-injected

section "3d. Paths in safety.exclude_paths (here the upstream's /healthz) are never faulted"
req -H 'x-chaos-abort: 503' "$PROXY/healthz"
expect_code 200 "the upstream's /healthz, untouched"
expect_no_header x-chaos-injected

section "4. x-chaos-reset: request -> TCP RST instead of forwarding"
req -H 'x-chaos-reset: request' "$PROXY/api/items"
expect_curl_exit 56 "connection reset by peer, no response"

section "4b. x-chaos-reset: response -> RST right after the response head"
req -H 'x-chaos-reset: response' "$PROXY/api/items"
if grep -q '^HTTP/1.1 200' "$tmp/h"; then pass "the 200 head arrived"; else fail "want the response head before the reset"; fi
expect_curl_exit 56 "then the connection was reset"

section "5. x-chaos-stall: hold the request, then close without answering"
req -H 'x-chaos-stall: 1s' "$PROXY/api/items"
expect_curl_exit 52 "empty reply: closed without a response"
expect_at_least 1.0

section "6. x-chaos-bandwidth: throttle the response body"
req -H 'x-chaos-bandwidth: 16KiB/s' "$PROXY/api/items"
expect_code 200
expect_header x-chaos-injected 'bandwidth=16KiB/s@header'
# 256KiB of body at 64KiB/s needs about 4s (the first burst may be sent at once).
big=$(head -c 262144 /dev/zero | tr '\0' 'x')
printf '%s' "$big" > "$tmp/big"
req -X POST --data-binary @"$tmp/big" -H 'content-type: application/octet-stream' "$PROXY/api/echo"
if [ "$code" = 200 ] && [ "$(stat -c %s "$tmp/b")" -ge 262144 ]; then
  req -X POST --data-binary @"$tmp/big" -H 'content-type: application/octet-stream' \
      -H 'x-chaos-bandwidth: 64KiB/s' "$PROXY/api/echo"
  expect_code 200
  expect_at_least 2.5
else
  fail "the demo upstream did not echo a 256KiB POST to /api/echo (status $code); cannot time the throttle"
fi

# ---- 3. admin API ----------------------------------------------------------------------------
section "7. Health, readiness and metrics (no token needed)"
req "$ADMIN/healthz"; expect_code 200
req "$ADMIN/readyz"; expect_code 200
req "$ADMIN/metrics"; expect_code 200
expect_body 'faultline_requests_total'
n=$(metric faultline_faults_injected_total 'experiment="header".*fault="abort"|fault="abort".*experiment="header"')
if [ "${n%.*}" -ge 1 ]; then pass "faultline_faults_injected_total{experiment=\"header\",fault=\"abort\"} = $n"
else fail "want the header abort above counted in faultline_faults_injected_total, got $n"; fi

section "8. Status"
req "${auth[@]}" "$ADMIN/v1/status"
expect_code 200
expect_json '.halted == false' "halted is false"
expect_json '.version | type == "string"' "version is reported"

section "9. Create an experiment through the API (same fields as TOML)"
teapot='{"name": "walkthrough-teapot", "trigger": "header", "duration": "5m",
  "faults": [{"type": "abort", "status": 418, "body": "short and stout"}]}'
req "${auth[@]}" -X POST -H 'content-type: application/json' --data "$teapot" "$ADMIN/v1/experiments"
expect_code 201
req "${auth[@]}" -X POST -H 'content-type: application/json' --data "$teapot" "$ADMIN/v1/experiments"
expect_code 409 "the name exists"
req "${auth[@]}" "$ADMIN/v1/experiments/walkthrough-teapot"
expect_code 200
expect_json '.state == "active" and .source == "api"' "state active, source api"

section "9b. trigger = header: only requests that opt in with x-chaos-experiment"
req "$PROXY/api/items"
expect_code 200 "not opted in"
req -H 'x-chaos-experiment: walkthrough-teapot' "$PROXY/api/items"
expect_code 418
expect_header x-chaos-injected 'abort=418@walkthrough-teapot'

section "9c. Pause and resume"
req "${auth[@]}" -X POST "$ADMIN/v1/experiments/walkthrough-teapot/pause"
expect_2xx
req -H 'x-chaos-experiment: walkthrough-teapot' "$PROXY/api/items"
expect_code 200 "paused: nothing injected"
req "${auth[@]}" -X POST "$ADMIN/v1/experiments/walkthrough-teapot/resume"
expect_2xx
req -H 'x-chaos-experiment: walkthrough-teapot' "$PROXY/api/items"
expect_code 418 "resumed"

section "9d. A bad experiment is refused with the field that is wrong"
req "${auth[@]}" -X POST -H 'content-type: application/json' \
    --data '{"name": "bad-one", "faults": [{"type": "latency", "delay": "soon"}]}' "$ADMIN/v1/experiments"
expect_code 400
expect_json '.field == "faults[0].delay"' 'field is "faults[0].delay"'

section "10. Kill switch: halt stops every fault and ignores header triggers"
req "${auth[@]}" -X POST "$ADMIN/v1/halt"
expect_2xx
req -H 'x-chaos-abort: 503' "$PROXY/api/items"
expect_code 200 "halted: header ignored"
req -H 'x-chaos-experiment: walkthrough-teapot' "$PROXY/api/items"
expect_code 200 "halted: experiment inert"
req "$ADMIN/metrics"
expect_body 'faultline_halted 1'
req "${auth[@]}" -X DELETE "$ADMIN/v1/halt"
expect_2xx
req -H 'x-chaos-abort: 503' "$PROXY/api/items"
expect_code 503 "unhalted: headers work again"

section "11. Remove, and the audit trail"
req "${auth[@]}" -X DELETE "$ADMIN/v1/experiments/walkthrough-teapot"
expect_code 204
req "${auth[@]}" "$ADMIN/v1/experiments/walkthrough-teapot"
expect_code 404
req "${auth[@]}" "$ADMIN/v1/events"
expect_code 200
expect_body walkthrough-teapot

printf '\n%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" = 0 ]
