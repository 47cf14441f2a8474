#!/bin/bash
# Benchmark of VRRP through the agent (issue 18): an intent with VRRP_GROUPS (100) VRRP groups on one
# link, applied through vrouterd's kernel backends in network, UTS and mount namespaces of its
# own (a private /run: keepalived's FIFO and hold file):
#   - the full apply of the groups (end to end, and the agent's duration_ms: keepalived's
#     configuration checked and keepalived started), against keepalived started by hand on the
#     same rendered file (its configuration test, then its start until its pid file is there);
#   - one group changed (a virtual address): the apply, and whether any group moved (every
#     group's state and its "since" in status, before and after).
#
# Usage: bench/vrrp.sh [BUILD_DIR]   (default: build; RUNS=5, VRRP_GROUPS=100)
# Prints medians (min, max) over the runs. Needs root and keepalived. Nothing is configured in
# the root namespace; every keepalived it starts it stops.
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(realpath "${1:-build}")
runs=${RUNS:-5}
groups=${VRRP_GROUPS:-100}
if [ -z "${VRBENCH_VRRP_NS:-}" ]; then
	scripts/deps build bench test
	. scripts/lib/build.sh
	vr_build "$build"
	[ "$(id -u)" -eq 0 ] || { echo "bench/vrrp.sh: needs root (namespaces)" >&2; exit 77; }
	exec unshare --net --uts --mount -- env VRBENCH_VRRP_NS=1 bash "$0" "$build"
fi
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p /run/vrouter
ctl=$build/agent/cli/vrouterctl
agentd=$build/agent/daemon/vrouterd
tmp=$(mktemp -d)
chmod 755 "$tmp"
agent_pid=
stop_pidfile() { # PIDFILE: only a daemon of this benchmark (its command line names $tmp)
	local p
	p=$(cat "$1" 2>/dev/null) || return 0
	if grep -qa "$tmp" "/proc/$p/cmdline" 2>/dev/null; then
		kill "$p"
		while [ -e "/proc/$p" ] && ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null; do sleep 0.01; done
	fi
	rm -f "$1"
}
cleanup() {
	[ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null
	stop_pidfile "$tmp/state/services/keepalived.pid" || true
	stop_pidfile "$tmp/state/services/conntrackd.pid" || true
	stop_pidfile "$tmp/hand.pid" || true
	rm -rf "$tmp"
}
trap cleanup EXIT

ip link set lo up
ip link add eth0 address 52:54:00:00:0b:01 type veth peer name peer0
ip link set peer0 up
intent() { # GENERATION CHANGED-GROUP
	python3 - "$1" "$2" "$groups" <<'PY'
import json, sys
gen, changed, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
groups = {f"g{i}": {"interface": "lan", "vrid": i,
                    "virtual_addresses": [f"10.{i // 250}.{i % 250}.{1 if i != changed else 2}/24"]}
          for i in range(1, n + 1)}
addrs = [f"10.{i // 250}.{i % 250}.254/24" for i in range(1, n + 1)]
print(json.dumps({"version": 1, "generation": gen,
                  "interfaces": {"lan": {"mac": "52:54:00:00:0b:01", "addresses": addrs}},
                  "vrrp": {"priority": 150, "advert_interval_ms": 100, "groups": groups}}))
PY
}
now_ms() { date +%s%3N; }
start_agent() {
	rm -rf "$tmp/state" "$tmp/etc" "$tmp/agent.sock"
	(umask 0077 && exec "$agentd" --backend kernel --socket "$tmp/agent.sock" \
		--state-dir "$tmp/state" --confdir "$tmp/etc" --payload "$tmp/none.json" \
		--serial none 2>>"$tmp/log") &
	agent_pid=$!
	for _ in $(seq 100); do
		[ -S "$tmp/agent.sock" ] && "$ctl" --socket "$tmp/agent.sock" status >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "vrouterd did not start" >&2
	exit 1
}
stop_agent() {
	kill "$agent_pid" && wait "$agent_pid" || true
	agent_pid=
	stop_pidfile "$tmp/state/services/keepalived.pid"
	stop_pidfile "$tmp/state/services/conntrackd.pid"
	ip link set dev lan name eth0 2>/dev/null || true
	ip -4 addr flush dev eth0
}
# Every group's "STATE SINCE", and the router's, from status.
states() {
	"$ctl" --socket "$tmp/agent.sock" status --json | python3 -c '
import json, sys
v = json.load(sys.stdin)["vrrp"] or {}
print(v.get("state"), v.get("since"))
for n, g in sorted((v.get("groups") or {}).items()):
    print(n, g["state"], g["since"])'
}
median() { sort -n | awk '{ a[NR] = $1 } END { printf "%s ms (%s-%s)", a[int((NR + 1) / 2)], a[1], a[NR] }'; }

intent 1 0 >"$tmp/g1.json"
intent 2 50 >"$tmp/g2.json"
"$ctl" render "$tmp/g1.json" "$tmp/render" --confdir "$tmp/etc" >/dev/null
: >"$tmp/full" ; : >"$tmp/agentms"; : >"$tmp/hand"; : >"$tmp/change"; moved=0
for _ in $(seq "$runs"); do
	# keepalived by hand on the same file: its test, then its start until its pid file.
	t0=$(now_ms)
	keepalived --config-test --use-file="$tmp/render/keepalived/keepalived.conf" >/dev/null 2>&1 || true
	keepalived --vrrp --use-file="$tmp/render/keepalived/keepalived.conf" --pid="$tmp/hand.pid" \
		--vrrp_pid="$tmp/hand-vrrp.pid"
	while [ ! -s "$tmp/hand.pid" ]; do sleep 0.005; done
	echo $(($(now_ms) - t0)) >>"$tmp/hand"
	stop_pidfile "$tmp/hand.pid"
	# The agent.
	start_agent
	t0=$(now_ms)
	out=$("$ctl" --socket "$tmp/agent.sock" apply "$tmp/g1.json")
	echo $(($(now_ms) - t0)) >>"$tmp/full"
	python3 -c 'import json,sys; print(json.loads(sys.argv[1])["duration_ms"])' "$out" >>"$tmp/agentms"
	for _ in $(seq 100); do
		st=$(states)
		[ "${st%% *}" = master ] && break
		sleep 0.1
	done
	sleep 0.5
	states >"$tmp/before"
	t0=$(now_ms)
	"$ctl" --socket "$tmp/agent.sock" apply "$tmp/g2.json" >/dev/null
	echo $(($(now_ms) - t0)) >>"$tmp/change"
	sleep 1
	states >"$tmp/after"
	cmp -s "$tmp/before" "$tmp/after" || moved=$((moved + 1))
	stop_agent
done
echo "machine: $(nproc) CPUs, $(uname -r), $(keepalived --version 2>&1 | head -1)"
echo "$groups VRRP groups, $runs runs:"
echo "  full apply, end to end:            $(median <"$tmp/full")"
echo "  full apply, the agent's duration:  $(median <"$tmp/agentms")"
echo "  keepalived by hand (test + start): $(median <"$tmp/hand")"
echo "  one group changed, end to end:     $(median <"$tmp/change")"
echo "  runs where a group or the router changed state on that change: $moved of $runs"
