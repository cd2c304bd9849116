#!/usr/bin/env bash
# Checks the Kubernetes packaging offline (no cluster needed):
#   1. renders every kustomization under k8s/ with `kubectl kustomize` and compares it with
#      the committed render in tests/k8s-validate/rendered/ (review aid and fallback);
#   1b. proves the sidecar component touches only the objects that opt in (label
#      faultline.io/inject: "true") and only as documented: each kustomization that lists it
#      is rendered again without it and compared (tests/k8s-validate/component-footprint.mjs,
#      also on the fixture tests/k8s-validate/footprint/ with an unlabelled redis);
#   2. proves the validator can fail (known-bad manifests must be rejected, with the reason);
#   3. validates every render against the Kubernetes schemas (npm kubernetes-models), strict
#      about unknown fields, plus cross-object references (tests/k8s-validate/validate.mjs);
#   4. "pod on the host": starts the real faultline binary exactly as each rendered sidecar
#      container says (command, args, env, mounted ConfigMap/Secret files, user, read-only
#      root) in its own network and mount namespaces, and checks every probe and declared
#      port, then a SIGTERM drain within the grace period (tests/k8s-validate/run-pod.sh).
#
# Usage: scripts/check-k8s.sh [--static] [--update-renders] [FAULTLINE_BINARY]
#   FAULTLINE_BINARY defaults to build/proxy/faultline. --static stops after step 3 (no
#   binary needed). --update-renders rewrites tests/k8s-validate/rendered/ from kubectl.
# Needs root for step 4 (unshare, mount). Installs what is missing (Debian packages, npm ci).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

static=0 update=0 binary=build/proxy/faultline
for a in "$@"; do
  case "$a" in
    --static) static=1 ;;
    --update-renders) update=1 ;;
    -*) echo "check-k8s: unknown option $a" >&2; exit 2 ;;
    *) binary=$a ;;
  esac
done

passed=0 failed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
bad() { echo "FAIL $*" >&2; failed=$((failed + 1)); }

# ---- tools, installed only when missing ---------------------------------------------------
need=()
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
command -v curl >/dev/null || need+=(curl)
command -v ip >/dev/null || need+=(iproute2)
command -v setpriv >/dev/null || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
  echo "check-k8s: installing ${need[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
validate_dir=tests/k8s-validate
# npm ci only when node_modules was not installed from this exact lock file.
stamp="$validate_dir/node_modules/.installed-from-package-lock.json"
if ! cmp -s "$validate_dir/package-lock.json" "$stamp" 2>/dev/null; then
  (cd "$validate_dir" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$validate_dir/package-lock.json" "$stamp"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# ---- 1. render ----------------------------------------------------------------------------
# Every kustomization except components (those only render as part of a kustomization).
mapfile -t kustomizations < <(find k8s -name kustomization.yaml -print0 | xargs -0 grep -L '^kind: Component' \
  | xargs -n1 dirname | sort)
renderer=""
if command -v kubectl >/dev/null; then
  kv=$(kubectl version --client -o json 2>/dev/null | sed -n 's/.*"kustomizeVersion": *"\([^"]*\)".*/\1/p' || true)
  # Components need kustomize >= v3.7; kubectl >= 1.21 embeds v4+.
  case "$kv" in v[4-9]*|v[1-9][0-9]*) renderer=kubectl ;; esac
fi
if [ -z "$renderer" ] && command -v kustomize >/dev/null; then renderer=kustomize; fi

renders=()
for k in "${kustomizations[@]}"; do
  name=${k#k8s/}; name=${name//\//-}
  committed="$validate_dir/rendered/$name.yaml"
  out="$work/$name.yaml"
  if [ -n "$renderer" ]; then
    if [ "$renderer" = kubectl ]; then kubectl kustomize "$k" > "$out" 2> "$work/err" || { cat "$work/err" >&2; bad "render $k"; continue; }
    else kustomize build "$k" > "$out" 2> "$work/err" || { cat "$work/err" >&2; bad "render $k"; continue; }; fi
    if [ "$update" = 1 ]; then mkdir -p "$(dirname "$committed")"; cp "$out" "$committed"; fi
    if cmp -s "$out" "$committed"; then ok "render $k ($renderer) matches $committed"
    else diff -u "$committed" "$out" | head -40 >&2 || true
      bad "render $k differs from $committed: run scripts/check-k8s.sh --update-renders and review the diff"; fi
  else
    [ -f "$committed" ] || { bad "no renderer and no committed render for $k"; continue; }
    cp "$committed" "$out"
    echo "warn: neither kubectl (with kustomize v4+) nor kustomize is installed: validating the committed render $committed instead of a fresh one" >&2
  fi
  renders+=("$out")
done
[ "$update" = 1 ] && echo "check-k8s: renders updated in $validate_dir/rendered/"

# ---- 1b. the component's footprint: only opted-in objects, only documented changes ---------
render() {  # kustomization dir -> stdout
  if [ "$renderer" = kubectl ]; then kubectl kustomize "$1"; else kustomize build "$1"; fi
}
footprint() { node "$validate_dir/component-footprint.mjs" "$@"; }
if [ -n "$renderer" ]; then
  fixture="$validate_dir/footprint"
  mapfile -t users < <(grep -l 'components/sidecar$' "${kustomizations[@]/%//kustomization.yaml}" "$fixture/kustomization.yaml" \
    | xargs -n1 dirname)
  for k in "${users[@]}"; do
    name=${k//\//-}
    # BEFORE: the same kustomization without the component. Once the component is gone it
    # refers only to its own files, so a copy renders anywhere.
    copy="$work/$name.without-component"
    cp -r "$k" "$copy"
    footprint --strip "$copy/kustomization.yaml"
    render "$copy" > "$work/$name.before.yaml" 2> "$work/err" || { cat "$work/err" >&2; bad "render $k without the component"; }
    render "$k" > "$work/$name.after.yaml" 2> "$work/err" || { cat "$work/err" >&2; bad "render $k"; }
    if footprint "$work/$name.before.yaml" "$work/$name.after.yaml" > "$work/out" 2>&1; then ok "component footprint: $k ($(sed 's/.*changed only //' "$work/out"))"
    else cat "$work/out" >&2; bad "component footprint: $k"; fi
  done
  # And the footprint check can fail: the fixture's render with an unlabelled Service rerouted
  # (the redis of issue 8), and with an app's Prometheus annotation replaced.
  fx="$work/${fixture//\//-}"
  expect_footprint_failure() {  # description, sed script, expected message
    sed "$2" "$fx.after.yaml" > "$work/tampered.yaml"
    if footprint "$fx.before.yaml" "$work/tampered.yaml" > "$work/out" 2>&1; then bad "footprint check accepted $1"
    elif ! grep -qF -- "$3" "$work/out"; then cat "$work/out" >&2; bad "footprint check rejected $1, but not with: $3"
    else ok "footprint check rejects $1"; fi
  }
  expect_footprint_failure "an unlabelled redis Service pointed at the sidecar" \
    's/targetPort: redis/targetPort: faultline/' 'Service/footprint/redis: .spec.ports[name=redis].targetPort changed'
  expect_footprint_failure "an app's prometheus.io/port replaced" \
    's/prometheus.io\/port: "9090"/prometheus.io\/port: "9901"/' 'prometheus.io/port changed by the component'
  renders+=("$fx.after.yaml")  # validated below with the others (not run as a pod)
else
  echo "warn: no kustomize renderer: the component footprint check is skipped" >&2
fi

# ---- 2. the validator must reject known-bad manifests -------------------------------------
if node "$validate_dir/validate.mjs" "$validate_dir/good.yaml" > /dev/null; then ok "validator accepts good.yaml"
else bad "validator rejects the known-good good.yaml"; fi
for f in "$validate_dir"/bad/*.yaml; do
  want=$(sed -n '1s/^# expect: //p' "$f")
  if node "$validate_dir/validate.mjs" "$f" > "$work/out" 2>&1; then bad "validator accepted $f"
  elif ! grep -qF -- "$want" "$work/out"; then cat "$work/out" >&2; bad "validator rejected $f but without: $want"
  else ok "validator rejects $(basename "$f"): $want"; fi
done

# ---- 3. schemas, strict fields, references ------------------------------------------------
# The admin token Secret is created by the operator (k8s/README.md), never committed.
for r in "${renders[@]}"; do
  if node "$validate_dir/validate.mjs" --external Secret/faultline-admin-token "$r"; then ok "valid: $(basename "$r")"
  else bad "invalid: $(basename "$r")"; fi
done

if [ "$static" = 1 ]; then
  echo "check-k8s: --static: pod-on-host checks not run"
  echo "$passed passed, $failed failed"
  [ "$failed" = 0 ]; exit
fi

# ---- 4. pod on the host -------------------------------------------------------------------
[ "$(id -u)" = 0 ] || { echo "check-k8s: the pod-on-host check needs root (unshare, mount)" >&2; exit 1; }
[ -x "$binary" ] || { echo "check-k8s: no faultline binary at $binary (build it, or pass its path)" >&2; exit 1; }
binary=$(readlink -f "$binary")
run_pod() { unshare --net --mount --propagation private "$root/$validate_dir/run-pod.sh" "$@"; }
for r in "${renders[@]}"; do
  [[ $r == *.after.yaml ]] && continue  # the footprint fixture is not a deployable sample
  mapfile -t pods < <(node "$validate_dir/pod-spec.mjs" "$r" "$work/pods/$(basename "$r" .yaml)")
  for p in "${pods[@]}"; do
    if run_pod "$p" "$binary"; then ok "pod on host: $(basename "$r") $(basename "$p")"
    else bad "pod on host: $(basename "$r") $(basename "$p")"; fi
  done
done
# And it can fail: a probe aimed at a port nothing serves, and an admin API bound to
# loopback only (the kubelet probes the pod IP), must both be caught.
first=${renders[0]}
expect_pod_failure() {  # name, description, sed script applied to the first render, expected failure
  sed "$3" "$first" > "$work/$1.yaml"
  mapfile -t pods < <(node "$validate_dir/pod-spec.mjs" "$work/$1.yaml" "$work/pods/$1")
  if run_pod "${pods[0]}" "$binary" > "$work/out" 2>&1; then cat "$work/out"; bad "pod on host accepted $2"
  elif ! grep -qF -- "$4" "$work/out"; then cat "$work/out"; bad "pod on host rejected $2, but not with: $4"
  else ok "pod on host rejects $2"; fi
}
expect_pod_failure wrong-probe-port "a probe on a port faultline does not serve" \
  '0,/port: faultline-admin$/s//port: 9999/' "livenessProbe GET /healthz on podIP:9999 answered 000"
expect_pod_failure loopback-admin "an admin API bound to 127.0.0.1 only" \
  's/listen = "0.0.0.0:9901"/listen = "127.0.0.1:9901"/' "readinessProbe GET /readyz on podIP:9901 answered 000"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
