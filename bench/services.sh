#!/bin/bash
# Benchmark of the services backend with dnsmasq (issue 16): an intent with one DHCP pool of
# HOSTS reservations (5,000) and as many DNS records, through vrouterd's kernel backends in a
# network and UTS namespace of its own:
#   - the full apply (end to end, and the agent's duration_ms), against the same dnsmasq files
#     written by hand (copied into place from a render) and dnsmasq started on them;
#   - one reservation added (end to end; dnsmasq's pid unchanged; the time until the new host's
#     name is served);
#   - dnsmasq's and the agent's resident memory with the reservations.
#
# Usage: bench/services.sh [BUILD_DIR]   (default: build; RUNS=5, HOSTS=5000)
# Prints medians (min, max) over the runs. Needs root and dnsmasq, dig. Nothing is configured in
# the root namespace; every dnsmasq it starts it stops.
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(realpath "${1:-build}")
runs=${RUNS:-5}
hosts=${HOSTS:-5000}
if [ -z "${VRBENCH_SERVICES_NS:-}" ]; then
	scripts/deps build bench test
	. scripts/lib/build.sh
	vr_build "$build"
	[ "$(id -u)" -eq 0 ] || { echo "bench/services.sh: needs root (namespaces)" >&2; exit 77; }
	exec unshare --net --uts -- env VRBENCH_SERVICES_NS=1 bash "$0" "$build"
fi
ctl=$build/agent/cli/vrouterctl
agentd=$build/agent/daemon/vrouterd
tmp=$(mktemp -d)
chmod 755 "$tmp"
agent_pid=
stop_dnsmasq() { # PIDFILE: only a dnsmasq of this benchmark (its command line names $tmp)
	local p
	p=$(cat "$1" 2>/dev/null) || return 0
	if grep -qa "$tmp" "/proc/$p/cmdline" 2>/dev/null; then
		kill "$p"
		while [ -e "/proc/$p" ] && ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null; do sleep 0.01; done
	fi
}
cleanup() {
	[ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null
	stop_dnsmasq "$tmp/state/services/dnsmasq.pid" || true
	stop_dnsmasq "$tmp/hand.pid" || true
	[ -n "${client:-}" ] && kill "$client"
	rm -rf "$tmp"
}
trap cleanup EXIT

ip link set lo up
# A client namespace behind the LAN (dnsmasq answers on the pool's interface only).
unshare --net sleep 3600 &
client=$!
sleep 0.2
ip link add eth0 address 52:54:00:5b:00:01 type veth peer name peer0
ip link set peer0 netns $client
nsenter --net=/proc/$client/ns/net ip link set peer0 up
nsenter --net=/proc/$client/ns/net ip addr add 10.60.255.2/16 dev peer0
gen() { # GENERATION EXTRA: the intent, HOSTS reservations and records (+ EXTRA more hosts)
	python3 - "$1" "$hosts" "$2" <<'PY'
import json, sys
gen, n, extra = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
hosts = {}
for i in range(n + extra):
    hosts["h%d" % i] = {"mac": "02:00:%02x:%02x:%02x:%02x" % (i >> 24 & 255, i >> 16 & 255, i >> 8 & 255, i & 255),
                        "address": "10.60.%d.%d" % (i // 250 + 1, i % 250 + 2)}
records = {"r%d.bench.test" % i: ["10.61.%d.%d" % (i // 250, i % 250 + 1)] for i in range(n)}
print(json.dumps({"version": 1, "generation": gen,
    "interfaces": {"lan": {"mac": "52:54:00:5b:00:01", "addresses": ["10.60.0.1/16"]}},
    "dhcp": {"lan": {"ranges": [{"start": "10.60.200.1", "end": "10.60.200.250"}],
                     "domain": "lan.bench", "hosts": hosts}},
    "dns": {"records": records}}))
PY
}
gen 1 0 >"$tmp/full.json"
gen 2 1 >"$tmp/plus1.json"
"$ctl" render "$tmp/full.json" "$tmp/render" --confdir "$tmp/hand" >/dev/null

ms() { echo $((($(date +%s%N) - $1) / 1000000)); }
rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
served() { nsenter --net=/proc/$client/ns/net dig +short +time=1 +tries=1 @10.60.0.1 "$1" A 2>/dev/null; }
stats() { sort -n | awk '{v[NR] = $1} END {printf "median %s (min %s, max %s)\n", v[int((NR + 1) / 2)], v[1], v[NR]}'; }
: >"$tmp/full" >"$tmp/full_agent" >"$tmp/hand_ms" >"$tmp/one" >"$tmp/one_agent" >"$tmp/one_served" >"$tmp/rss_dnsmasq" >"$tmp/rss_agent"
for run in $(seq "$runs"); do
	rm -rf "$tmp/state" "$tmp/etc" "$tmp/agent.sock"
	"$agentd" --backend kernel --socket "$tmp/agent.sock" --state-dir "$tmp/state" \
		--confdir "$tmp/etc" --payload "$tmp/payload.json" --serial none 2>>"$tmp/log" &
	agent_pid=$!
	for _ in $(seq 100); do [ -S "$tmp/agent.sock" ] && break; sleep 0.05; done
	t=$(date +%s%N)
	"$ctl" --socket "$tmp/agent.sock" apply "$tmp/full.json" >"$tmp/out" || { cat "$tmp/out"; exit 1; }
	ms "$t" >>"$tmp/full"
	"$ctl" --socket "$tmp/agent.sock" status --json | jq '.last_apply.duration_ms' >>"$tmp/full_agent"
	pid=$(cat "$tmp/state/services/dnsmasq.pid")
	for _ in 1 2 3; do [ "$(served h17.lan.bench)" = 10.60.1.19 ] && break; done
	[ "$(served h17.lan.bench)" = 10.60.1.19 ] || { echo "reservation not served: $(served h17.lan.bench)"; cat "$tmp/out"; tail "$tmp/log"; ls "$tmp/etc/dnsmasq"; exit 1; }
	rss "$pid" >>"$tmp/rss_dnsmasq"
	rss "$agent_pid" >>"$tmp/rss_agent"
	t=$(date +%s%N)
	"$ctl" --socket "$tmp/agent.sock" apply "$tmp/plus1.json" >"$tmp/out" || { cat "$tmp/out"; exit 1; }
	ms "$t" >>"$tmp/one"
	jq '.duration_ms' "$tmp/out" >>"$tmp/one_agent"
	until [ "$(served "h$hosts.lan.bench")" = "10.60.$((hosts / 250 + 1)).$((hosts % 250 + 2))" ]; do
		[ "$(ms "$t")" -lt 5000 ] || { echo "the new reservation is not served"; exit 1; }
		sleep 0.002
	done
	ms "$t" >>"$tmp/one_served"
	[ "$(cat "$tmp/state/services/dnsmasq.pid")" = "$pid" ] || { echo "dnsmasq restarted"; exit 1; }
	kill "$agent_pid"
	wait "$agent_pid" || true
	agent_pid=
	stop_dnsmasq "$tmp/state/services/dnsmasq.pid"
	# By hand: the same files copied into place, dnsmasq started on them (ready when its first
	# process exits).
	rm -rf "$tmp/hand" "$tmp/hand.leases"
	t=$(date +%s%N)
	cp -r "$tmp/render" "$tmp/hand"
	mkdir -p "$tmp/hand/dnsmasq/records" "$tmp/hand/dnsmasq/dns" "$tmp/hand/dnsmasq/hosts"
	dnsmasq --conf-file="$tmp/hand/dnsmasq/vrouter.conf" --pid-file="$tmp/hand.pid" \
		--dhcp-leasefile="$tmp/hand.leases"
	ms "$t" >>"$tmp/hand_ms"
	stop_dnsmasq "$tmp/hand.pid"
done
echo "hosts and records:               $hosts + $hosts, $runs runs"
echo "full apply, end to end (ms):     $(stats <"$tmp/full")"
echo "full apply, agent's duration:    $(stats <"$tmp/full_agent")"
echo "by hand: cp + dnsmasq start (ms): $(stats <"$tmp/hand_ms")"
echo "one reservation added (ms):      $(stats <"$tmp/one")"
echo "one added, agent's duration:    $(stats <"$tmp/one_agent")"
echo "... until its name is served:    $(stats <"$tmp/one_served")"
echo "dnsmasq resident (kB):           $(stats <"$tmp/rss_dnsmasq")"
echo "vrouterd resident (kB):          $(stats <"$tmp/rss_agent")"
