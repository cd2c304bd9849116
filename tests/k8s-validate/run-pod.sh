#!/usr/bin/env bash
# Runs one extracted faultline sidecar (see pod-spec.mjs) the way the kubelet would, and
# checks every probe and declared port. Meant to run inside its own network and mount
# namespaces (scripts/check-k8s.sh starts it with `unshare --net --mount`), so the pod's
# loopback ports and mount paths are used as written, with no rewriting and no clash with
# the host:
#   - each volume's files are bind-mounted at the container's mountPath;
#   - the binary under test is bind-mounted at the container's command path;
#   - the command runs with exactly the container's args and env, as the container's
#     runAsUser/runAsGroup, with no new privileges and (readOnlyRootFilesystem) a read-only /.
# Usage: run-pod.sh POD_DIR FAULTLINE_BINARY
set -euo pipefail
pod_dir=$1 binary=$2
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=/dev/null
source "$pod_dir/pod.sh"
log() { echo "pod-check [$WORKLOAD]: $*"; }
fail() { echo "pod-check [$WORKLOAD]: FAIL: $*" >&2; [ -s "$scratch/faultline.log" ] && sed 's/^/  faultline| /' "$scratch/faultline.log" >&2; exit 1; }

scratch=$(mktemp -d)
created=()   # host paths this script created as mount points; removed on exit
pids=()
cleanup() {
  mount -o remount,bind,rw / 2>/dev/null || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  # Mounts vanish with the namespace; unmount now so the mount points can be removed.
  for m in "${MOUNTS[@]}"; do umount "${m#*|}" 2>/dev/null || true; done
  umount "${COMMAND[0]}" 2>/dev/null || true
  umount "$scratch" 2>/dev/null || true
  for ((i = ${#created[@]} - 1; i >= 0; i--)); do
    if [ -d "${created[$i]}" ]; then find "${created[$i]}" -depth -type d -empty -delete 2>/dev/null || true
    else rm -f "${created[$i]}"; fi
  done
  rm -rf "$scratch"
}
trap cleanup EXIT

# Creates a missing mount point, remembering the top-most directory it had to create.
make_mount_point() {  # path dir|file
  local target=$1 top=$1
  while [ ! -e "$(dirname "$top")" ]; do top=$(dirname "$top"); done
  [ -e "$target" ] && return 0
  if [ ! -e "$top" ]; then created+=("$top"); fi
  if [ "$2" = dir ]; then mkdir -p "$target"
  else mkdir -p "$(dirname "$target")"; : > "$target"; created+=("$target"); fi
}

# The pod IP. The kubelet probes podIP:port and Services send to podIP:port, so the checks
# below use this address, not 127.0.0.1: a sidecar bound to loopback only must fail them.
# 192.0.2.0/24 is reserved for documentation (RFC 5737); it lives on this namespace's own
# loopback device and never leaves it.
POD_IP=192.0.2.10
ip link set lo up
ip addr add "$POD_IP/32" dev lo
mount -t tmpfs -o size=16m tmpfs "$scratch"  # stays writable when / turns read-only

for m in "${MOUNTS[@]}"; do
  src=${m%%|*} dst=${m#*|}
  make_mount_point "$dst" dir
  mount --bind -o ro "$src" "$dst"
done
[ "${#COMMAND[@]}" -ge 1 ] || fail "the container has no command; the pod check needs the image's entrypoint spelled out"
make_mount_point "${COMMAND[0]}" file
mount --bind -o ro "$binary" "${COMMAND[0]}"

for u in "${UPSTREAMS[@]}"; do
  node "$here/upstream-stub.mjs" "${u%%|*}" "${u#*|}" > "$scratch/upstream-${#pids[@]}.log" 2>&1 &
  pids+=($!)
done
for u in "${UPSTREAMS[@]}"; do  # every stand-in app listens before the sidecar starts
  addr=${u%%|*} up=0
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/${addr%:*}/${addr##*:}") 2>/dev/null; then up=1; break; fi
    sleep 0.05
  done
  [ "$up" = 1 ] || fail "the stand-in upstream on $addr did not start"
done

if [ "$READ_ONLY_ROOT" = 1 ]; then
  mount -o remount,bind,ro /
  for d in /tmp /var/tmp /dev/shm /run; do
    if mountpoint -q "$d"; then mount -o remount,bind,ro "$d"; fi
  done
fi

as_container() {  # runs a command as the container's user with only the container's env
  env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "${ENV[@]}" \
    setpriv --reuid "$RUN_UID" --regid "$RUN_GID" --clear-groups --no-new-privs "$@"
}

# The config the pod mounts must pass `faultline check` where the pod sees it.
config=""
for ((i = 0; i < ${#ARGS[@]}; i++)); do [ "${ARGS[$i]}" = --config ] && config=${ARGS[$((i + 1))]}; done
if [ -n "$config" ]; then
  as_container "${COMMAND[0]}" check --config "$config" > "$scratch/check.log" 2>&1 \
    || { cat "$scratch/check.log" >&2; fail "faultline check --config $config"; }
  log "faultline check --config $config: ok"
fi

# exec, so that $! is faultline itself and receives the SIGTERM below.
(exec env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "${ENV[@]}" \
  setpriv --reuid "$RUN_UID" --regid "$RUN_GID" --clear-groups --no-new-privs \
  "${COMMAND[@]}" "${ARGS[@]}") > "$scratch/faultline.log" 2>&1 &
fl_pid=$!
pids+=("$fl_pid")
log "started: ${COMMAND[*]} ${ARGS[*]} (uid $RUN_UID, read-only root: $READ_ONLY_ROOT)"

status() { curl -s -o "$scratch/body" -w '%{http_code}' --max-time 5 "$@" || true; }

# Wait for the readiness probe (or the first probe) like the kubelet would.
wait_probe=${PROBES[0]:-}
for p in "${PROBES[@]}"; do [[ $p == readinessProbe* ]] && wait_probe=$p; done
[ -n "$wait_probe" ] || fail "the sidecar declares no probe"
IFS='|' read -r _ wport wpath <<< "$wait_probe"
for _ in $(seq 100); do
  kill -0 "$fl_pid" 2>/dev/null || fail "faultline exited before becoming ready"
  [ "$(status "http://$POD_IP:$wport$wpath")" = 200 ] && break
  sleep 0.1
done

checks=0
for p in "${PROBES[@]}"; do
  IFS='|' read -r kind port path <<< "$p"
  code=$(status "http://$POD_IP:$port$path")
  [ "$code" = 200 ] || fail "$kind GET $path on podIP:$port answered $code, want 200"
  log "$kind GET podIP:$port$path -> 200"; checks=$((checks + 1))
done

stub_body="faultline pod check upstream"
for p in "${PORTS[@]}"; do
  IFS='|' read -r name port proto <<< "$p"
  [ "$proto" = TCP ] || fail "port $name/$port: protocol $proto, faultline only serves TCP"
  if [ "$port" = "$ADMIN_PORT" ]; then
    code=$(status "http://$POD_IP:$port/metrics")
    [ "$code" = 200 ] || fail "admin port $name/$port: GET /metrics answered $code"
    grep -q '^faultline_requests_total' "$scratch/body" || grep -q '^# TYPE faultline_' "$scratch/body" \
      || fail "admin port $name/$port: /metrics has no faultline_* metric"
    log "port $name ($port): admin API, /metrics serves faultline_* metrics"; checks=$((checks + 1))
    if [ "$ADMIN_AUTH" = 1 ]; then
      # The control API is not open to whoever reaches the pod IP ...
      code=$(status "http://$POD_IP:$port/v1/status")
      [ "$code" = 401 ] || fail "admin port $name/$port: GET /v1/status without a token answered $code, want 401"
      log "port $name ($port): /v1/status without a token -> 401"; checks=$((checks + 1))
      # With the token the container gets from the Secret, both ways of sending it work
      # (x-faultline-token is what survives the API server's pod proxy).
      token=""
      for e in "${ENV[@]}"; do [[ $e == FAULTLINE_TOKEN=* ]] && token=${e#FAULTLINE_TOKEN=}; done
      if [ -n "$token" ]; then
        for h in "Authorization: Bearer $token" "x-faultline-token: $token"; do
          code=$(status -H "$h" "http://$POD_IP:$port/v1/status")
          [ "$code" = 200 ] || fail "admin port $name/$port: GET /v1/status with ${h%%:*} answered $code, want 200"
        done
        log "port $name ($port): /v1/status with the Secret's token (Authorization, x-faultline-token) -> 200"
        checks=$((checks + 1))
      fi
    fi
    # ... and `kubectl exec POD -c faultline -- faultline ctl status` works with the
    # container's env alone (FAULTLINE_ADMIN, and FAULTLINE_TOKEN from the Secret).
    as_container "${COMMAND[0]}" ctl status > "$scratch/ctl.log" 2>&1 \
      || { cat "$scratch/ctl.log" >&2; fail "faultline ctl status with the container's env failed"; }
    log "faultline ctl status with the container's env: ok"; checks=$((checks + 1))
    continue
  fi
  listener=""
  for l in "${LISTENERS[@]}"; do IFS='|' read -r lname lport lproto <<< "$l"; [ "$lport" = "$port" ] && listener=$l; done
  [ -n "$listener" ] || fail "port $name ($port) is declared but the config has no listener or admin API on it"
  IFS='|' read -r lname lport lproto <<< "$listener"
  if [ "$lproto" = http ]; then
    code=$(status "http://$POD_IP:$port/pod-check")
    [ "$code" = 200 ] && grep -qx "$stub_body" "$scratch/body" \
      || fail "port $name ($port): listener $lname did not relay GET /pod-check to its upstream (got $code)"
    log "port $name ($port): listener $lname relays HTTP to its upstream"
  else
    reply=$(printf 'pod-check\n' | timeout 5 node -e '
      const s = require("net").connect(Number(process.argv[1]), process.argv[2]);
      process.stdin.pipe(s); let got = "";
      s.on("data", (d) => { got += d; if (got.includes("\n")) { process.stdout.write(got); s.destroy(); } });
      s.on("error", (e) => { console.error(e.message); process.exit(1); });' "$port" "$POD_IP" || true)
    [ "$reply" = pod-check ] || fail "port $name ($port): TCP listener $lname did not relay to its upstream"
    log "port $name ($port): listener $lname relays TCP to its upstream"
  fi
  checks=$((checks + 1))
done

# Shutdown as in a rolling update: after preStop, SIGTERM; faultline must drain and exit 0
# within the grace period that is left.
budget=$((GRACE_SECONDS - PRESTOP_SECONDS))
start=$(date +%s)
kill -TERM "$fl_pid"
rc=0
for _ in $(seq $((budget * 10))); do kill -0 "$fl_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$fl_pid" 2>/dev/null; then fail "still running ${budget}s after SIGTERM (grace ${GRACE_SECONDS}s - preStop ${PRESTOP_SECONDS}s): the kubelet would SIGKILL it"; fi
wait "$fl_pid" || rc=$?
[ "$rc" = 0 ] || fail "exit status $rc after SIGTERM, want 0 (clean drain)"
log "SIGTERM: drained and exited 0 in $(( $(date +%s) - start ))s (budget ${budget}s)"; checks=$((checks + 1))
log "$checks checks passed"
