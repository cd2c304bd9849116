#!/usr/bin/env bash
# Checks the Dockerfile statically. The image is not built in CI: CI has no container engine,
# and Debian's builders (buildah, podman) would still need the debian:12-slim base image from
# a registry CI cannot reach. So this script checks what a build would trip over, offline:
#   - no ADD (no remote URLs or archives fetched at build time; COPY only);
#   - every base image has an explicit tag (not latest) or a digest, and all stages use the
#     same one (the runtime stage installs the build stage's library packages by name);
#   - every COPY source from the build context exists and is not excluded by .dockerignore;
#     `COPY . .` goes with a .dockerignore that keeps .git, build dirs and node_modules out;
#   - every COPY --from source is produced in that stage: a file a RUN writes, or the
#     binary CMake builds (WORKDIR + build dir + the directory whose CMakeLists.txt declares
#     the target, built with --target);
#   - the final stage runs as a numeric non-root USER, the uid its useradd creates, and the
#     same uid as the Kubernetes sidecar's runAsUser;
#   - ENTRYPOINT (exec form) is the path the binary is copied to, and the Kubernetes
#     sidecar's command; EXPOSE lists exactly the sidecar's containerPorts;
#   - every RUN parses as /bin/sh (sh -n), and the scripts it calls exist and are executable.
# With a faultline binary (Debian 12 host only, the image's base), it also runs the build
# stage's package detection (ldd + dpkg -S) on it, so a library no Debian package owns is
# found here rather than in `docker build`.
#
# Usage: scripts/check-dockerfile.sh [FAULTLINE_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
dockerfile=${DOCKERFILE:-Dockerfile}
patch=k8s/components/sidecar/deployment-patch.yaml
binary=${1:-}

passed=0 failed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
bad() { echo "FAIL $*" >&2; failed=$((failed + 1)); }

# ---- parse: one instruction per line, continuations joined, comments dropped --------------
instructions=()
line=""
while IFS= read -r raw || [ -n "$raw" ]; do
  [[ -z $line && $raw =~ ^[[:space:]]*# ]] && continue
  [[ -n $line && $raw =~ ^[[:space:]]*# ]] && continue  # comment inside a continuation
  if [[ $raw =~ \\[[:space:]]*$ ]]; then line+="${raw%\\*} "; continue; fi
  line+=$raw
  [[ $line =~ ^[[:space:]]*$ ]] || instructions+=("$(sed 's/^[[:space:]]*//' <<< "$line")")
  line=""
done < "$dockerfile"
[ ${#instructions[@]} -gt 0 ] || { echo "check-dockerfile: no instructions in $dockerfile" >&2; exit 1; }

# Per stage: name, base, workdir, RUN texts, COPY lines. Stage index = order of FROM.
stage=-1
declare -a stage_name stage_base stage_workdir stage_runs
declare -a copies       # "stage|flags|src...|dest"
final_user="" entrypoint="" exposed=()
for ins in "${instructions[@]}"; do
  keyword=${ins%%[[:space:]]*}; keyword=${keyword^^}
  args=${ins#*[[:space:]]}
  case "$keyword" in
    FROM)
      stage=$((stage + 1))
      read -r -a f <<< "$args"
      [[ ${f[0]} == --platform=* ]] && f=("${f[@]:1}")
      stage_base[$stage]=${f[0]}
      stage_name[$stage]=""
      [ "${f[1]:-}" != "" ] && [ "${f[1]^^}" = AS ] && stage_name[$stage]=${f[2]}
      stage_workdir[$stage]=/
      stage_runs[$stage]=""
      final_user="" entrypoint="" exposed=()
      ;;
    WORKDIR) stage_workdir[$stage]=$args ;;
    RUN) stage_runs[$stage]+="$args"$'\n' ;;
    COPY) copies+=("$stage|$args") ;;
    ADD) bad "ADD $args: use COPY (ADD fetches URLs and unpacks archives at build time)" ;;
    USER) final_user=$args ;;
    ENTRYPOINT) entrypoint=$args ;;
    EXPOSE) read -r -a exposed <<< "$args" ;;
  esac
done
last=$stage

# ---- base images --------------------------------------------------------------------------
bases=()
for ((i = 0; i <= last; i++)); do
  b=${stage_base[$i]}
  is_stage=0
  for ((j = 0; j < i; j++)); do [ "${stage_name[$j]}" = "$b" ] && is_stage=1; done
  [ "$is_stage" = 1 ] && continue
  bases+=("$b")
  if [[ $b == *@sha256:* ]]; then ok "stage $i: base image $b is pinned by digest"
  elif [[ $b == *:* && ${b##*:} != latest ]]; then ok "stage $i: base image $b has an explicit tag"
  else bad "stage $i: base image $b has no tag or uses latest"; fi
done
if [ "$(printf '%s\n' "${bases[@]}" | sort -u | wc -l)" = 1 ]; then ok "every stage uses the same base image (${bases[0]})"
else bad "stages use different base images (${bases[*]}): the runtime stage installs the build stage's packages by name"; fi

# ---- COPY sources -------------------------------------------------------------------------
ignored() {  # path relative to the context -> 0 if a .dockerignore pattern excludes it
  local p=$1 pat
  [ -f .dockerignore ] || return 1
  while IFS= read -r pat; do
    [[ -z $pat || $pat == \#* ]] && continue
    pat=${pat%/}; pat=${pat#/}; pat=${pat#\*\*/}
    # shellcheck disable=SC2053  # glob match on purpose
    [[ $p == $pat || $p == $pat/* || $p == */$pat || $p == */$pat/* ]] && return 0
  done < .dockerignore
  return 1
}
stage_index() { local i; for ((i = 0; i <= last; i++)); do [ "${stage_name[$i]}" = "$1" ] && { echo "$i"; return; }; done; echo ""; }
copy_dests=()
for c in "${copies[@]}"; do
  s=${c%%|*} rest=${c#*|}
  read -r -a words <<< "$rest"
  from=""
  while [[ ${words[0]} == --* ]]; do
    [[ ${words[0]} == --from=* ]] && from=${words[0]#--from=}
    words=("${words[@]:1}")
  done
  dest=${words[-1]}; srcs=("${words[@]:0:${#words[@]}-1}")
  [ "$s" = "$last" ] && copy_dests+=("$dest")
  for src in "${srcs[@]}"; do
    if [ -z "$from" ]; then
      if [ "$src" = . ]; then
        missing=()
        for must in .git build node_modules; do
          probe=$must; [ "$must" = node_modules ] && probe=tests/k8s-validate/node_modules
          ignored "$probe" || missing+=("$must")
        done
        if [ ${#missing[@]} -eq 0 ]; then ok "COPY . $dest: .dockerignore keeps .git, build dirs and node_modules out of the context"
        else bad "COPY . $dest: .dockerignore does not exclude ${missing[*]}"; fi
      elif [ ! -e "$src" ]; then bad "COPY $src: no such file in the build context"
      elif ignored "$src"; then bad "COPY $src: excluded by .dockerignore"
      else ok "COPY $src: exists in the build context"; fi
      continue
    fi
    fi_=$(stage_index "$from")
    if [ -z "$fi_" ] || [ "$fi_" -ge "$s" ]; then bad "COPY --from=$from: no earlier stage named $from"; continue; fi
    runs=${stage_runs[$fi_]} wd=${stage_workdir[$fi_]%/}
    if grep -qE ">>? *$src( |$)" <<< "$runs"; then ok "COPY --from=$from $src: written by a RUN in stage $from"; continue; fi
    # The CMake binary: WORKDIR/BUILD_DIR/OUT/TARGET, where OUT is the folder of the
    # CMakeLists.txt that declares TARGET, or the ${PROJECT_BINARY_DIR}/OUT it sets as the
    # target's RUNTIME_OUTPUT_DIRECTORY.
    rel=${src#"$wd"/}
    build_dir=$(grep -oE -- '-B +[^ ]+' <<< "$runs" | head -n1 | awk '{print $2}')
    target=$(basename "$src")
    dir=$(dirname "${rel#"$build_dir"/}")
    declared=$(grep -rlE --include=CMakeLists.txt "add_executable\\($target[ )]" . 2>/dev/null | head -n1)
    out_dir=""
    if [ -n "$declared" ]; then
      out_dir=$(dirname "${declared#./}")
      set_out=$(grep -oE "set_target_properties\\($target PROPERTIES RUNTIME_OUTPUT_DIRECTORY [^)]*\\)" "$declared" | head -n1)
      if [ -n "$set_out" ]; then
        out_dir=$(sed -nE 's/.*RUNTIME_OUTPUT_DIRECTORY \$\{PROJECT_BINARY_DIR\}\/?([^ )]*)\)/\1/p' <<< "$set_out")
        [ -n "$out_dir" ] || out_dir="."
      fi
    fi
    if [ "$rel" != "$src" ] && [ -n "$build_dir" ] && [[ $rel == "$build_dir"/* ]] \
      && [ -n "$declared" ] && [ "$dir" = "$out_dir" ] \
      && grep -qE -- "--target +$target( |$)" <<< "$runs" \
      && ! grep -qs 'RUNTIME_OUTPUT_DIRECTORY' CMakeLists.txt; then
      ok "COPY --from=$from $src: the $target binary CMake builds (cmake -B $build_dir, ${declared#./}, --target $target)"
    else
      bad "COPY --from=$from $src: stage $from neither writes it in a RUN nor builds it with CMake there"
    fi
  done
done

# ---- user, entrypoint, ports against the Kubernetes sidecar -------------------------------
k8s_uid=$(grep -m1 -oE 'runAsUser: *[0-9]+' "$patch" | grep -oE '[0-9]+$')
uid=${final_user%%:*}
if ! [[ $uid =~ ^[0-9]+$ ]]; then bad "USER '$final_user' in the final stage: want a numeric uid (runAsNonRoot can only verify numbers)"
elif [ "$uid" = 0 ]; then bad "USER $final_user: the image runs as root"
else
  ok "final stage runs as uid $uid (non-root)"
  if grep -qE -- "useradd .*--uid $uid( |$)" <<< "${stage_runs[$last]}"; then ok "uid $uid is created by useradd in the final stage"
  else bad "uid $uid is not created by a useradd --uid $uid in the final stage"; fi
  if [ "$uid" = "$k8s_uid" ]; then ok "uid $uid = runAsUser of $patch"
  else bad "USER $uid differs from runAsUser $k8s_uid in $patch"; fi
fi

entry_bin=$(sed -nE 's/^\[ *"([^"]+)".*/\1/p' <<< "$entrypoint")
k8s_command=$(sed -nE 's/^ *command: *\[ *"([^"]+)".*/\1/p' "$patch" | head -n1)
if [ -z "$entry_bin" ]; then bad "ENTRYPOINT $entrypoint: want the exec form [\"/path\", ...] (SIGTERM must reach faultline, not a shell)"
else
  if printf '%s\n' "${copy_dests[@]}" | grep -qxF "$entry_bin"; then ok "ENTRYPOINT $entry_bin is where the final stage copies the binary"
  else bad "ENTRYPOINT $entry_bin is not a COPY destination of the final stage"; fi
  if [ "$entry_bin" = "$k8s_command" ]; then ok "ENTRYPOINT = the sidecar's command in $patch"
  else bad "ENTRYPOINT $entry_bin differs from the sidecar's command $k8s_command in $patch"; fi
fi

k8s_ports=$(grep -oE 'containerPort: *[0-9]+' "$patch" | grep -oE '[0-9]+$' | sort -n | tr '\n' ' ')
docker_ports=$(printf '%s\n' "${exposed[@]%/tcp}" | sort -n | tr '\n' ' ')
if [ "$k8s_ports" = "$docker_ports" ]; then ok "EXPOSE $docker_ports= the sidecar's containerPorts"
else bad "EXPOSE $docker_ports differs from the sidecar's containerPorts $k8s_ports"; fi

# ---- RUN commands -------------------------------------------------------------------------
for ((i = 0; i <= last; i++)); do
  while IFS= read -r run; do
    [ -n "$run" ] || continue
    if err=$(sh -n -c "$run" 2>&1); then :; else bad "stage $i: RUN does not parse as /bin/sh: $err"; continue; fi
    for script in $(grep -oE '(^| )scripts/[A-Za-z0-9_.-]+' <<< "$run"); do
      if [ -x "$script" ]; then ok "stage $i: RUN calls $script, which exists and is executable"
      else bad "stage $i: RUN calls $script, which is missing or not executable"; fi
    done
  done <<< "${stage_runs[$i]}"
done
ok "every RUN parses as /bin/sh"

# ---- package detection on a real binary (optional) ----------------------------------------
if [ -n "$binary" ]; then
  if ! grep -q 'VERSION_ID="12"' /etc/os-release 2>/dev/null || ! grep -q '^ID=debian' /etc/os-release; then
    echo "check-dockerfile: not a Debian 12 host: package detection not run" >&2
  else
    detect=$(grep -m1 'linked-packages' <<< "${stage_runs[0]}" || true)
    tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
    mkdir -p "$tmp/build/proxy" && cp "$binary" "$tmp/build/proxy/faultline"
    detect=${detect//\/tmp\/linked-packages.txt/$tmp/linked.txt}
    detect=${detect//\/runtime-packages.txt/$tmp/runtime.txt}
    if [ -z "$detect" ]; then bad "no package-detection RUN (linked-packages) in the build stage"
    elif (cd "$tmp" && sh -c "$detect") > "$tmp/out" 2>&1; then
      pkgs=$(tr '\n' ' ' < "$tmp/runtime.txt")
      if [ -n "$pkgs" ]; then ok "package detection on $binary: runtime packages $pkgs"
      else bad "package detection on $binary found no runtime package"; fi
      # libssl is loaded on demand (not in ldd's list): the detection must still find it.
      if grep -qaE 'libssl[.]so[.][0-9]+' "$binary"; then
        if grep -qx 'libssl3' "$tmp/runtime.txt"; then ok "package detection finds libssl3, loaded on demand"
        else bad "package detection misses libssl3, which $binary loads on demand"; fi
      fi
    else cat "$tmp/out" >&2; bad "package detection on $binary failed"; fi
  fi
fi

# ---- the checks can fail: tampered copies of the Dockerfile must be rejected ---------------
if [ -z "${CHECK_DOCKERFILE_NESTED:-}" ]; then
  tampered=$(mktemp)
  expect_rejected() {  # description, sed script, expected message
    sed "$2" "$dockerfile" > "$tampered"
    if CHECK_DOCKERFILE_NESTED=1 DOCKERFILE=$tampered "$0" > "$tampered.out" 2>&1; then bad "accepted a Dockerfile with $1"
    elif ! grep -qF -- "$3" "$tampered.out"; then cat "$tampered.out" >&2; bad "rejected a Dockerfile with $1, but not with: $3"
    else ok "rejects a Dockerfile with $1"; fi
  }
  expect_rejected "an untagged base image" '0,/^FROM debian:12-slim AS build/s//FROM debian AS build/' "has no tag or uses latest"
  expect_rejected "ADD from a URL" '/^USER /i ADD https://example.com/x.tar.gz /opt/' "ADD https://example.com"
  expect_rejected "a missing COPY source" 's/^COPY \. \./COPY faultline.toml \/src\//' "COPY faultline.toml: no such file"
  expect_rejected "the wrong binary path" 's|/src/build/proxy/faultline|/src/build/faultline|' "neither writes it in a RUN nor builds it"
  expect_rejected "USER root" 's/^USER .*/USER 0:0/' "the image runs as root"
  expect_rejected "a shell-form ENTRYPOINT" 's|^ENTRYPOINT .*|ENTRYPOINT /usr/local/bin/faultline|' "want the exec form"
  expect_rejected "a port Kubernetes does not declare" 's/^EXPOSE 15001 9901/EXPOSE 15001 9902/' "differs from the sidecar's containerPorts"
  expect_rejected "a RUN that does not parse" 's/^ && strip build\/proxy\/faultline$/ \&\& strip build\/proxy\/faultline; fi/' "does not parse as /bin/sh"
  rm -f "$tampered" "$tampered.out"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
