#!/usr/bin/env bash
# Where faultline's idle RSS is (issue 14: idle <= 5 MiB): starts faultline with the benchmark's
# configuration (one http listener, one worker, no access log), waits BENCH_RSS_SETTLE seconds
# (0.2, as run.sh's "RSS idle"), and prints /proc/PID/smaps_rollup's totals and a table of
# /proc/PID/smaps by mapping: file-backed (the binary and each library) against anonymous (heap,
# thread stacks, arenas). Beside it, the same figures for two programs that do nothing: a C one
# (libc only) and a C++ one (libstdc++, as faultline): what dynamic linking alone costs.
#
#   tests/bench/idle_rss.sh                 # FAULTLINE_BIN, else build/proxy/faultline
#
# Rss counts every resident page mapped, also the shared library pages every other process on
# the machine maps (Shared_Clean); Pss divides those among the processes sharing them.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
bench_name=idle-rss
source "$here/lib.sh"

settle=${BENCH_RSS_SETTLE:-0.2}
faultline_bin=${FAULTLINE_BIN:-}
faultline_problem=""
find_faultline
[ -z "$faultline_problem" ] || die "$faultline_problem"

rollup() { # rollup PID: one line of smaps_rollup's figures, KiB
  awk '/^(Rss|Pss|Pss_Anon|Pss_File|Shared_Clean|Private_Clean|Private_Dirty|Anonymous):/ { v[$1] = $2 }
    END { printf "| %d | %d | %d | %d | %d | %d |\n", v["Rss:"], v["Pss:"], v["Anonymous:"], v["Rss:"] - v["Anonymous:"], v["Shared_Clean:"], v["Private_Dirty:"] }' "/proc/$1/smaps_rollup"
}

by_mapping() { # by_mapping PID: Rss, anonymous and private dirty KiB per mapped file (or kind)
  awk '/^[0-9a-f]+-[0-9a-f]+ / { name = ($6 == "") ? "(anonymous: arenas, thread stacks)" : $6; sub(/.*\//, "", name) }
    /^Rss:/ { rss[name] += $2 } /^Anonymous:/ { anon[name] += $2 } /^Shared_Clean:/ { sc[name] += $2 }
    END { for (n in rss) if (rss[n] > 0) printf "| %s | %d | %d | %d |\n", n, rss[n], anon[n], sc[n] }' "/proc/$1/smaps" |
    sort -t'|' -k3 -rn
}

port=$(free_port)
admin=$(free_port)
upstream=$(free_port) # nothing listens there: an idle proxy never connects
faultline_listener_config "$port" "$admin" "$upstream" http >"$tmp/faultline.toml"
"$faultline_bin" run --config "$tmp/faultline.toml" >"$tmp/faultline.log" 2>&1 &
pid=$!
pids+=("$pid")
wait_port "$port" "$pid" || die "faultline did not start: $(tail -3 "$tmp/faultline.log")"
sleep "$settle"

printf 'int main(void) { pause(); }\n' >"$tmp/idle.c"
printf '#include <iostream>\n#include <unistd.h>\nint main() { std::cout << std::flush; pause(); }\n' >"$tmp/idle.cc"
cc -O2 -include unistd.h -o "$tmp/idle_c" "$tmp/idle.c"
c++ -O2 -o "$tmp/idle_cc" "$tmp/idle.cc"
"$tmp/idle_c" &
cpid=$!
pids+=("$cpid")
"$tmp/idle_cc" &
ccpid=$!
pids+=("$ccpid")
sleep "$settle"

echo "Idle RSS, $(date -u '+%Y-%m-%d %H:%M UTC'), $("$faultline_bin" version 2>/dev/null | head -1), ${settle}s after start, $(ls "/proc/$pid/task" | wc -l) threads; KiB:"
echo
echo "| process | Rss | Pss | anonymous | file-backed | shared clean | private dirty |"
echo "|---|---:|---:|---:|---:|---:|---:|"
echo "| faultline $(rollup "$pid")"
echo "| C program that only waits (libc) $(rollup "$cpid")"
echo "| C++ program that only waits (libstdc++) $(rollup "$ccpid")"
echo
echo "faultline by mapping (KiB):"
echo
echo "| mapping | Rss | anonymous | shared clean |"
echo "|---|---:|---:|---:|"
by_mapping "$pid"
