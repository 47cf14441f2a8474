#!/bin/bash
# Load (issue 19): is the agent still answering while it works, and while clients misbehave?
#
#   a. `status` latency throughout applies of 10,000 ACL entries: one client asks `status` on
#      its connection 5 ms after each answer (bench/client.py statuses) for 3 s with the
#      intent in effect, then while another applies bench/gen-firewall.py's intent and its
#      --variant alternately (APPLIES of them, each a real change of the router), then for 3 s
#      more. Prints the status latencies (median, p99, max) idle and during the applies, how
#      many took over 50 ms (the issue's goal: none), the applies' wall and duration_ms, and
#      `vrouterctl check` of the same intent (reading and validating it, a process of its own).
#   b. Connections: for CONNS_SECONDS, a `status` every 0.5 s and an apply (RULES_B ACL entries,
#      alternating with its variant) every 2 s, each on a new connection as vrouterctl does,
#      first with no other client, then with IDLE connections made before (never sending a
#      byte) and SLOW writers sending an unfinished request line one byte a second. Prints the
#      latencies of both runs, how many idle connections the agent closed (at its limit of 64
#      it closes the one idle the longest for each new one) and when the slow writers were
#      closed (their line is not whole within 20 s). bench/client.py conns.
#
# Usage: bench/load.sh [BUILD_DIR]   (default: build; APPLIES=10, RULES=10000 (a.), RULES_B=1000,
#        IDLE=200, SLOW=10, CONNS_SECONDS=30 (b.))
# Needs root. Everything happens in namespaces this script makes and removes (vrb-<pid>-*), the
# agent also in its own UTS namespace.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps build bench
build=${1:-build}
ctl=$build/agent/cli/vrouterctl
agentd=$build/agent/daemon/vrouterd
applies=${APPLIES:-10}
rules=${RULES:-10000}
rules_b=${RULES_B:-1000}
idle=${IDLE:-200}
slow=${SLOW:-10}
secs=${CONNS_SECONDS:-30}
. scripts/lib/build.sh
vr_build "$build"
[ "$(id -u)" -eq 0 ] || { echo "bench/load.sh: needs root (network namespaces)" >&2; exit 77; }

tmp=$(mktemp -d)
prefix=vrb-$$
pids=()
agent_pid=
cleanup() {
	local p
	touch "$tmp/stop-status-base" "$tmp/stop-status"
	for p in "${pids[@]}" $agent_pid; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	for ns in $(ip netns list | awk -v p="$prefix-" 'index($1, p) == 1 {print $1}'); do
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

. bench/lib.sh
python3 bench/gen-firewall.py --rules "$rules" >"$tmp/a.json"
python3 bench/gen-firewall.py --rules "$rules" --variant >"$tmp/b.json"
python3 bench/gen-firewall.py --rules "$rules_b" --forwards 100 --one-to-one 50 >"$tmp/small-a.json"
python3 bench/gen-firewall.py --rules "$rules_b" --forwards 100 --one-to-one 50 --variant \
	>"$tmp/small-b.json"
mapfile -t nics < <(python3 bench/gen-firewall.py --nics)
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
echo "machine: $(nproc) CPUs, kernel $(uname -r); load average before: $(loadavg)"

# ---- a. status during applies ----

echo "a. $applies applies of $rules ACL entries, 1,000 forwards, 500 one-to-one" \
	"($(stat -c %s "$tmp/a.json") bytes), alternating with its variant"
make_router a
start_agent a "$agentd"
statuses() { # OUT SECONDS: statuses for SECONDS, or until the next `touch "$tmp/stop-OUT"`
	python3 bench/client.py statuses "$tmp/agent.sock" "$tmp/$1" "$tmp/stop-$1" &
	pids+=("$!")
	sleep "$2"
}
statuses_stop() { # OUT
	touch "$tmp/stop-$1"
	wait "${pids[-1]}"
	unset 'pids[-1]'
}
# The router's links, addresses and route alone (no firewall), then the whole intent (neither
# apply timed).
python3 bench/gen-firewall.py --base >"$tmp/base.json"
python3 bench/client.py applies "$tmp/agent.sock" /dev/null "$tmp/base.json" "$tmp/base.json" \
	--count 1 --first-gen 1
statuses status-base 2
statuses_stop status-base
python3 bench/client.py applies "$tmp/agent.sock" /dev/null "$tmp/a.json" "$tmp/b.json" \
	--count 1 --first-gen 2
statuses status 3
python3 bench/client.py applies "$tmp/agent.sock" "$tmp/applies" "$tmp/a.json" "$tmp/b.json" \
	--count "$applies" --first-gen 3
sleep 3
statuses_stop status
load_a=$(loadavg)
stop_agent
remove_router a
for _ in 1 2 3 4 5; do
	t0=$EPOCHREALTIME
	"$ctl" check "$tmp/a.json" >/dev/null
	python3 -c "import sys; print('%.1f' % ((float(sys.argv[2]) - float(sys.argv[1])) * 1000))" \
		"$t0" "$EPOCHREALTIME" >>"$tmp/check"
done

python3 - "$tmp" <<'PY'
import statistics, sys
d = sys.argv[1]
st = [tuple(map(float, l.split())) for l in open(d + "/status")]
ap = [tuple(map(float, l.split())) for l in open(d + "/applies")]
check = [float(l) for l in open(d + "/check")]
base = [tuple(map(float, l.split())) for l in open(d + "/status-base")]


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def fmt(v):
    v = [x * 1000 for x in v]
    if not v:
        return "none"
    return "median %.1f ms, p99 %.1f, max %.1f (%d statuses, %d over 50 ms)" % (
        statistics.median(v), pct(v, 99), max(v), len(v), sum(1 for x in v if x > 50))


first, last = ap[0][0], ap[-1][1]
idle = [s[1] - s[0] for s in st if s[1] < first or s[0] > last]
during = [s[1] - s[0] for s in st if s[1] >= first and s[0] <= last]
# the statuses asked while an apply was under way (answered after it)
waited = [s[1] - s[0] for s in st if any(a[0] < s[0] < a[1] for a in ap)]
wall = [(a[1] - a[0]) * 1000 for a in ap]
dur = [a[2] for a in ap]
print("   status idle, no firewall:            %s; answer %d bytes" %
      (fmt([s[1] - s[0] for s in base]), statistics.median(s[2] for s in base)))
print("   status idle (the intent in effect):  %s; answer %d bytes" %
      (fmt(idle), statistics.median(s[2] for s in st)))
print("   status during the applies:           %s" % fmt(during))
print("   of them asked during an apply:       %s" % fmt(waited))
print("   apply, wall on its connection:       median %.1f ms (min %.1f, max %.1f); "
      "duration_ms median %.1f (min %.1f, max %.1f); %d changes (median)" %
      (statistics.median(wall), min(wall), max(wall), statistics.median(dur), min(dur),
       max(dur), statistics.median(a[3] for a in ap)))
print("   vrouterctl check of the intent:      median %.1f ms (reading and validating it)" %
      statistics.median(check))
PY
echo "   load average: $load_a"

# ---- b. idle connections and slow writers ----

echo "b. for $secs s: status every 0.5 s, apply of $rules_b ACL entries every 2 s," \
	"each on a new connection"
make_router b
start_agent b "$agentd"
python3 bench/client.py applies "$tmp/agent.sock" /dev/null "$tmp/small-a.json" \
	"$tmp/small-b.json" --count 1 --first-gen 1
echo "   without other clients:"
python3 bench/client.py conns "$tmp/agent.sock" "$tmp/small-a.json" "$tmp/small-b.json" \
	--idle 0 --slow 0 --seconds "$secs" --first-gen 2 | tee "$tmp/conns-0" | sed 's/^/   /'
echo "   load average: $(loadavg)"
next=$(awk '/^next generation:/ {print $3}' "$tmp/conns-0")
echo "   with $idle idle connections and $slow slow writers:"
python3 bench/client.py conns "$tmp/agent.sock" "$tmp/small-a.json" "$tmp/small-b.json" \
	--idle "$idle" --slow "$slow" --seconds "$secs" --first-gen "$next" | sed 's/^/   /'
echo "   load average: $(loadavg)"
echo "   vrouterd's fds after: $(find "/proc/$agent_pid/fd" -mindepth 1 | wc -l)"
stop_agent
remove_router b
