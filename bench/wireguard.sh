#!/bin/bash
# Benchmark of WireGuard through the agent (issue 17): one tunnel of WG_PEERS (1,000) peers,
# each with its own /24 of allowed IPs (so as many routes), applied through vrouterd's kernel
# and services backends in network, UTS and mount namespaces of its own (a private /run for
# wireguard-go's UAPI socket; on a kernel with the WireGuard module the link is the module's):
#   - the full apply (end to end, and the agent's duration_ms), against the same done by hand:
#     the link made (wireguard-go, or `ip link add type wireguard`), `wg syncconf` of the same
#     rendered file, its address, up and the routes in one `ip -batch`;
#   - one peer changed (its allowed IPs, so its route too): the apply, against `wg syncconf`
#     of the changed file and `ip -batch` of the route change by hand.
#
# Usage: bench/wireguard.sh [BUILD_DIR]   (default: build; RUNS=5, WG_PEERS=1000)
# Prints medians (min-max) over the runs. Needs root and wireguard-tools (wireguard-go without
# the module). Nothing is configured in the root namespace; each wireguard-go it starts ends
# with its link.
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(realpath "${1:-build}")
runs=${RUNS:-5}
peers=${WG_PEERS:-1000}
if [ -z "${VRBENCH_WG_NS:-}" ]; then
	scripts/deps build bench test
	. scripts/lib/build.sh
	vr_build "$build"
	[ "$(id -u)" -eq 0 ] || { echo "bench/wireguard.sh: needs root (namespaces)" >&2; exit 77; }
	exec unshare --net --uts --mount -- env VRBENCH_WG_NS=1 bash "$0" "$build"
fi
mount -t tmpfs -o mode=755 tmpfs /run
ctl=$build/agent/cli/vrouterctl
agentd=$build/agent/daemon/vrouterd
tmp=$(mktemp -d)
chmod 755 "$tmp"
agent_pid=
cleanup() {
	[ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null
	ip link del wg0 2>/dev/null || true
	ip link del wgh 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

ip link set lo up
ip link add eth0 address 52:54:00:00:0c:01 type veth peer name peer0
ip link set peer0 up
(umask 077 && wg genkey >"$tmp/private")
intent() { # GENERATION CHANGED-PEER (0: none)
	python3 - "$1" "$2" "$peers" "$(cat "$tmp/private")" <<'PY'
import base64, hashlib, json, sys
gen, changed, n, private = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
def key(i):  # a fixed public key per peer (any 32 bytes are a Curve25519 public key)
    return base64.b64encode(hashlib.sha256(b"peer%d" % i).digest()).decode()
peers = {f"p{i}": {"public_key": key(i), "endpoint": f"192.0.2.{i % 250 + 1}:{51820 + i}",
                   "allowed_ips": [f"10.{100 + i // 250}.{i % 250}.0/24" if i != changed
                                   else f"10.{200 + i // 250}.{i % 250}.0/24"]}
         for i in range(1, n + 1)}
print(json.dumps({"version": 1, "generation": gen,
                  "interfaces": {"wan": {"mac": "52:54:00:00:0c:01",
                                         "addresses": ["192.0.2.254/24"]}},
                  "vpn": {"wireguard": {"wg0": {"private_key": private, "listen_port": 51820,
                                                "addresses": ["10.99.0.1/24"],
                                                "peers": peers}}}}))
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
	ip link del wg0 2>/dev/null || true
	ip link set dev wan name eth0 2>/dev/null || true
	ip -4 addr flush dev eth0
}
median() { sort -n | awk '{ a[NR] = $1 } END { printf "%s ms (%s-%s)", a[int((NR + 1) / 2)], a[1], a[NR] }'; }
agent_ms() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])["duration_ms"])' "$1"; }
# By hand: the link, as the agent would make it here.
hand_link() {
	ip link add wgh type wireguard 2>/dev/null || wireguard-go wgh >/dev/null 2>&1
}
routes() { # FILE-OF-INTENT VERB: ip -batch lines for its peers' routes on wgh
	python3 - "$1" "$2" <<'PY'
import json, sys
i = json.load(open(sys.argv[1]))
for p in i["vpn"]["wireguard"]["wg0"]["peers"].values():
    for a in p["allowed_ips"]:
        print(f"route {sys.argv[2]} {a} dev wgh")
PY
}

intent 1 0 >"$tmp/g1.json"
intent 2 500 >"$tmp/g2.json"
"$ctl" render "$tmp/g1.json" "$tmp/r1" --confdir "$tmp/etc" >/dev/null
"$ctl" render "$tmp/g2.json" "$tmp/r2" --confdir "$tmp/etc" >/dev/null
{ echo "address add 10.99.0.1/24 dev wgh"; echo "link set dev wgh up"; routes "$tmp/g1.json" add; } >"$tmp/hand-full.batch"
python3 - "$tmp/g1.json" "$tmp/g2.json" >"$tmp/hand-change.batch" <<'PY'
import json, sys
a, b = (json.load(open(f))["vpn"]["wireguard"]["wg0"]["peers"] for f in sys.argv[1:])
for n in a:
    if a[n] != b[n]:
        for x in a[n]["allowed_ips"]: print(f"route del {x} dev wgh")
        for x in b[n]["allowed_ips"]: print(f"route add {x} dev wgh")
PY
for f in full agentms hand change changems handchange; do : >"$tmp/$f"; done
for _ in $(seq "$runs"); do
	# By hand.
	t0=$(now_ms)
	hand_link
	wg syncconf wgh "$tmp/r1/wireguard/wg0.conf"
	ip -batch "$tmp/hand-full.batch"
	echo $(($(now_ms) - t0)) >>"$tmp/hand"
	t0=$(now_ms)
	wg syncconf wgh "$tmp/r2/wireguard/wg0.conf"
	ip -batch "$tmp/hand-change.batch"
	echo $(($(now_ms) - t0)) >>"$tmp/handchange"
	ip link del wgh
	# The agent.
	start_agent
	t0=$(now_ms)
	out=$("$ctl" --socket "$tmp/agent.sock" apply "$tmp/g1.json")
	echo $(($(now_ms) - t0)) >>"$tmp/full"
	agent_ms "$out" >>"$tmp/agentms"
	t0=$(now_ms)
	out=$("$ctl" --socket "$tmp/agent.sock" apply "$tmp/g2.json")
	echo $(($(now_ms) - t0)) >>"$tmp/change"
	agent_ms "$out" >>"$tmp/changems"
	[ "$(wg show wg0 peers | wc -l)" = "$peers" ] || { echo "wg0 lacks peers" >&2; exit 1; }
	# The changed peer (500) has its new allowed IPs, and its route (files, not pipes into
	# grep -q: pipefail).
	wg show wg0 allowed-ips >"$tmp/aips"
	ip route show 10.202.0.0/24 >"$tmp/route"
	grep -q '	10\.202\.0\.0/24$' "$tmp/aips" && grep -qw wg0 "$tmp/route" ||
		{ echo "wg0: the changed peer's allowed IPs are not in effect" >&2; exit 1; }
	stop_agent
done
impl=kernel
ip link add wgt type wireguard 2>/dev/null && ip link del wgt || impl="wireguard-go $(dpkg-query -W -f '${Version}' wireguard-go 2>/dev/null)"
echo "machine: $(nproc) CPUs, $(uname -r), $impl, $(wg --version | cut -d' ' -f1-2)"
echo "one tunnel of $peers peers ($peers routes), $runs runs:"
echo "  full apply, end to end:              $(median <"$tmp/full")"
echo "  full apply, the agent's duration:    $(median <"$tmp/agentms")"
echo "  by hand (link, wg syncconf, ip -batch): $(median <"$tmp/hand")"
echo "  one peer changed, end to end:        $(median <"$tmp/change")"
echo "  one peer changed, the agent's:       $(median <"$tmp/changems")"
echo "  one peer by hand (wg syncconf, ip -batch): $(median <"$tmp/handchange")"
