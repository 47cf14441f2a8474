#!/bin/bash
# Benchmark of IPsec through the agent (issue 17): IPSEC_TUNNELS (100) tunnels from the router
# to one peer (a charon configured here, in a namespace of its own, kernel-libipsec where the
# kernel has no ESP), each with its own identities and remote subnet, initiated by the router.
#   - the full apply: end to end, the agent's duration_ms, and until every tunnel's CHILD SA
#     is installed; against charon and `swanctl --load-all` of the same rendered files by hand;
#   - one tunnel changed among them (its dead peer detection): the apply end to end, the other
#     tunnels' SAs checked untouched (IKE unique ids and SPIs); against `swanctl --load-all`
#     by hand of the same change.
#
# Usage: bench/ipsec.sh [BUILD_DIR]   (default: build; RUNS=3, IPSEC_TUNNELS=100)
# Prints medians (min-max) over the runs. Needs root; nothing is configured in the root
# namespace, and every charon it starts is ended by its PID.
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(realpath "${1:-build}")
runs=${RUNS:-3}
n=${IPSEC_TUNNELS:-100}
if [ -z "${VRBENCH_IPSEC_NS:-}" ]; then
	scripts/deps build bench test
	. scripts/lib/build.sh
	vr_build "$build"
	[ "$(id -u)" -eq 0 ] || { echo "bench/ipsec.sh: needs root (namespaces)" >&2; exit 77; }
	exec unshare --net --uts --mount -- env VRBENCH_IPSEC_NS=1 bash "$0" "$build"
fi
mount -t tmpfs -o mode=755 tmpfs /run
ctl=$build/agent/cli/vrouterctl
agentd=$build/agent/daemon/vrouterd
charon=/usr/lib/ipsec/charon
tmp=$(mktemp -d)
chmod 755 "$tmp"
agent_pid= peer_ns= peer_charon= hand_charon=
cleanup() {
	local p
	[ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null
	p=$(cat "$tmp/state/services/strongswan.pid" 2>/dev/null || true)
	[ -n "$p" ] && grep -qa "$tmp/etc" /proc/$p/cmdline 2>/dev/null && kill "$p"
	for p in $hand_charon $peer_charon $peer_ns; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ -n "${VRBENCH_KEEP:-}" ] && echo "kept: $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT

ip link set lo up
unshare --net --mount sleep 3600 &
peer_ns=$!
sleep 0.1
ip link add eth0 address 52:54:00:00:0d:01 type veth peer name pw
ip link set pw netns /proc/$peer_ns/ns/net
# The tunnels' subnets have an address at each end (charon's routes take their source there).
ip link add eth1 address 52:54:00:00:0d:02 type veth peer name lan1
ip link set lan1 up
nsenter --net=/proc/$peer_ns/ns/net sh -e -c '
ip link set lo up
ip addr add 192.0.2.2/24 dev pw
ip link set pw up
for i in $(seq "$1"); do ip addr add 10.100.$i.1/24 dev lo; done' sh "$n"
psk=bench-ipsec-psk-0123456789

# The peer: a responder for every tunnel.
mkdir -p "$tmp/peer"
cat >"$tmp/peer/strongswan.conf" <<EOS
charon {
	load = random nonce openssl aes sha1 sha2 hmac gcm kdf gmp pem pkcs1 x509 pubkey kernel-libipsec kernel-netlink socket-default vici
	plugins {
		vici {
			socket = unix://$tmp/peer/vici
		}
	}
}
EOS
{
	echo "connections {"
	for i in $(seq "$n"); do
		cat <<EOS
	t$i {
		local_addrs = 192.0.2.2
		remote_addrs = 192.0.2.1
		local { auth = psk
			id = p-$i }
		remote { auth = psk
			id = r-$i }
		children { t$i { local_ts = 10.100.$i.0/24
			remote_ts = 10.1.1.0/24 } }
	}
EOS
	done
	echo "}"
	echo "secrets { ike-all { secret = \"$psk\" } }"
} >"$tmp/peer/swanctl.conf"
nsenter --net=/proc/$peer_ns/ns/net --mount=/proc/$peer_ns/ns/mnt sh -c \
	'mount -t tmpfs -o mode=755 tmpfs /run && exec env STRONGSWAN_CONF="$1" "$2"' sh \
	"$tmp/peer/strongswan.conf" $charon >"$tmp/peer/out" 2>&1 &
peer_charon=$!
for _ in $(seq 100); do [ -S "$tmp/peer/vici" ] && break; sleep 0.1; done
swanctl --load-all --noprompt --file "$tmp/peer/swanctl.conf" --uri "unix://$tmp/peer/vici" >/dev/null 2>&1

intent() { # GENERATION CHANGED-TUNNEL (0: none)
	python3 - "$1" "$2" "$n" "$psk" <<'PY'
import json, sys
gen, changed, n, psk = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
t = {f"t{i}": {"local_address": "192.0.2.1", "remote_address": "192.0.2.2", "psk": psk,
               "local_id": f"r-{i}", "remote_id": f"p-{i}",
               "local_subnets": ["10.1.1.0/24"], "remote_subnets": [f"10.100.{i}.0/24"],
               "dpd_seconds": 10 if i == changed else 30}
     for i in range(1, n + 1)}
print(json.dumps({"version": 1, "generation": gen,
                  "interfaces": {"wan": {"mac": "52:54:00:00:0d:01",
                                         "addresses": ["192.0.2.1/24"]},
                                 "lan": {"mac": "52:54:00:00:0d:02",
                                         "addresses": ["10.1.1.1/24"]}},
                  "vpn": {"ipsec": t}}))
PY
}
now_ms() { date +%s%3N; }
median() { sort -n | awk '{ a[NR] = $1 } END { printf "%s ms (%s-%s)", a[int((NR + 1) / 2)], a[1], a[NR] }'; }
agent_ms() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])["duration_ms"])' "$1"; }
# "NAME UNIQUEID SPI-IN SPI-OUT" per installed CHILD SA of the charon at URI, sorted.
sas() { # URI: the installed CHILD SAs' identities (tests/vpn/sas.py)
	swanctl --list-sas --raw --uri "$1" 2>/dev/null | python3 tests/vpn/sas.py
}
wait_all() { # URI: until every tunnel has its CHILD SA (60 s at most)
	for _ in $(seq 600); do
		[ "$(sas "$1" | wc -l)" = "$n" ] && return 0
		sleep 0.1
	done
	echo "bench/ipsec.sh: the tunnels did not all come up" >&2
	exit 1
}
peer_clear() { # the peer's SAs gone before the next round
	local id
	for _ in $(seq 100); do
		id=$(swanctl --list-sas --raw --uri "unix://$tmp/peer/vici" 2>/dev/null |
			grep -o 'uniqueid=[0-9]*' | head -1 | cut -d= -f2 || true)
		[ -z "$id" ] && return 0
		swanctl --terminate --ike-id "$id" --force --uri "unix://$tmp/peer/vici" >/dev/null 2>&1 || true
	done
}

intent 1 0 >"$tmp/g1.json"
intent 2 $((n / 2)) >"$tmp/g2.json"
"$ctl" render "$tmp/g1.json" "$tmp/r1" --confdir "$tmp/byhand" >/dev/null
"$ctl" render "$tmp/g2.json" "$tmp/r2" --confdir "$tmp/byhand" >/dev/null
hand_uri=unix:///run/vrouter/charon.vici
mkdir -p /run/vrouter
: >/run/vrouter/charon-plugins.conf
# Where the kernel has no ESP the agent uses kernel-libipsec: so does charon by hand.
probe=$(ip xfrm state add src 127.0.0.1 dst 127.0.0.1 proto esp spi 0x100 mode transport \
	enc 'cbc(aes)' 0x00 2>&1 || true)
case $probe in
*'type not found'* | *'not supported'*)
	path=libipsec
	printf 'kernel-libipsec {\n\tload = yes\n}\n' >/run/vrouter/charon-plugins.conf
	;;
*) path=kernel ;;
esac
for f in hand agentms full up change changems handchange handup; do : >"$tmp/t-$f"; done
for _ in $(seq "$runs"); do
	# By hand: charon with the rendered strongswan.conf, swanctl --load-all of the files.
	rm -rf "$tmp/byhand"
	mkdir -p "$tmp/byhand"
	cp -r "$tmp/r1/strongswan" "$tmp/byhand/"
	ip addr add 192.0.2.1/24 dev eth0
	ip addr add 10.1.1.1/24 dev eth1
	ip link set eth0 up
	ip link set eth1 up
	t0=$(now_ms)
	STRONGSWAN_CONF=$tmp/byhand/strongswan/strongswan.conf setsid $charon >"$tmp/hand.out" 2>&1 &
	hand_charon=$!
	until swanctl --stats --uri $hand_uri >/dev/null 2>&1; do
		kill -0 $hand_charon 2>/dev/null || { cat "$tmp/hand.out" >&2; exit 1; }
		sleep 0.01
	done
	STRONGSWAN_CONF=$tmp/byhand/strongswan/strongswan.conf swanctl --load-all --noprompt \
		--file "$tmp/byhand/strongswan/swanctl.conf" --uri $hand_uri >/dev/null 2>&1
	echo $(($(now_ms) - t0)) >>"$tmp/t-hand"
	wait_all $hand_uri
	echo $(($(now_ms) - t0)) >>"$tmp/t-handup"
	before=$(sas $hand_uri | grep -v "^t$((n / 2)) ")
	cp "$tmp/r2/strongswan/conns/t$((n / 2)).conf" "$tmp/byhand/strongswan/conns/"
	t0=$(now_ms)
	STRONGSWAN_CONF=$tmp/byhand/strongswan/strongswan.conf swanctl --load-all --noprompt \
		--file "$tmp/byhand/strongswan/swanctl.conf" --uri $hand_uri >/dev/null 2>&1
	echo $(($(now_ms) - t0)) >>"$tmp/t-handchange"
	[ "$(sas $hand_uri | grep -v "^t$((n / 2)) ")" = "$before" ] ||
		echo "bench/ipsec.sh: by hand, other SAs changed" >&2
	kill $hand_charon
	wait $hand_charon 2>/dev/null || true
	hand_charon=
	ip -4 addr flush dev eth0
	ip -4 addr flush dev eth1
	peer_clear
	# The agent.
	rm -rf "$tmp/state" "$tmp/etc" "$tmp/agent.sock"
	(umask 0077 && exec "$agentd" --backend kernel --socket "$tmp/agent.sock" \
		--state-dir "$tmp/state" --confdir "$tmp/etc" --payload "$tmp/none.json" \
		--serial none 2>>"$tmp/log") &
	agent_pid=$!
	until "$ctl" --socket "$tmp/agent.sock" status >/dev/null 2>&1; do sleep 0.05; done
	t0=$(now_ms)
	out=$("$ctl" --socket "$tmp/agent.sock" apply "$tmp/g1.json")
	echo $(($(now_ms) - t0)) >>"$tmp/t-full"
	agent_ms "$out" >>"$tmp/t-agentms"
	wait_all $hand_uri
	echo $(($(now_ms) - t0)) >>"$tmp/t-up"
	before=$(sas $hand_uri | grep -v "^t$((n / 2)) ")
	t0=$(now_ms)
	out=$("$ctl" --socket "$tmp/agent.sock" apply "$tmp/g2.json")
	echo $(($(now_ms) - t0)) >>"$tmp/t-change"
	agent_ms "$out" >>"$tmp/t-changems"
	after=$(sas $hand_uri | grep -v "^t$((n / 2)) ")
	[ "$after" = "$before" ] || { echo "bench/ipsec.sh: the other tunnels' SAs changed" >&2; exit 1; }
	"$ctl" --socket "$tmp/agent.sock" apply <(intent 3 0 | python3 -c 'import json,sys; d=json.load(sys.stdin); d.pop("vpn"); print(json.dumps(d))') >/dev/null
	kill "$agent_pid" && wait "$agent_pid" || true
	agent_pid=
	ip link set dev wan name eth0 2>/dev/null || true
	ip link set dev lan name eth1 2>/dev/null || true
	ip -4 addr flush dev eth0
	ip -4 addr flush dev eth1
	peer_clear
done
echo "machine: $(nproc) CPUs, $(uname -r), ESP: $path, $($charon --version 2>&1)"
echo "$n IPsec tunnels to one peer, $runs runs:"
echo "  full apply, end to end:                 $(median <"$tmp/t-full")"
echo "  full apply, the agent's duration:       $(median <"$tmp/t-agentms")"
echo "  by hand (charon, swanctl --load-all):   $(median <"$tmp/t-hand")"
echo "  until every CHILD SA is installed:      $(median <"$tmp/t-up") (by hand: $(median <"$tmp/t-handup"))"
echo "  one tunnel changed, end to end:         $(median <"$tmp/t-change") (the other $((n - 1)) tunnels' SAs untouched)"
echo "  one tunnel changed, the agent's:        $(median <"$tmp/t-changems")"
echo "  one tunnel by hand (swanctl --load-all): $(median <"$tmp/t-handchange")"
