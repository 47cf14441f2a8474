#!/bin/bash
# WireGuard through vrouterd, in namespaces the script makes: the router r1 (the agent, and
# wireguard-go where the kernel has no WireGuard module) and a peer set up by hand (its own
# wireguard-go and `wg setconf` of a file written here, not the agent's renderer), each with
# a host behind it (h1 behind r1, h2 behind the peer).
#
# Checked: ping and TCP between the hosts both ways through the tunnel; status (peer,
# endpoint, handshake, bytes, implementation); the route to the peer's allowed IPs; a second
# peer added, changed (allowed IPs; its preshared key, then its endpoint and keepalive taken
# away) and removed while the first carries traffic (its latest handshake unchanged on both
# ends); bad input and a run-time failure (a listen port taken) change nothing; no key
# in any file the agent wrote but the 0600 tunnel files, in its log, in status or in `ps`; the
# agent killed with -9 (the tunnel carries on, wireguard-go not restarted, a new agent adopts
# it); the tunnel removed (its link and wireguard-go gone).
#
# Usage: wireguard.sh VROUTERD VROUTERCTL
# Exit 77 only when namespaces cannot be made (not root) or a program is missing.
set -u
vrouterd=$(realpath "${1:?usage: wireguard.sh VROUTERD VROUTERCTL}")
ctl=$(realpath "${2:?usage: wireguard.sh VROUTERD VROUTERCTL}")
here=$(dirname "$(realpath "$0")")

for prog in wg wireguard-go python3 ping; do
	command -v $prog >/dev/null || { echo "skip: $prog is not installed (scripts/deps test)"; exit 77; }
done
[ -c /dev/net/tun ] || { echo "skip: no /dev/net/tun"; exit 77; }

. "$here/../lib/netns.sh"
. "$here/../lib/wireguard-go.sh"
vr_own_namespaces VRTEST_WG_NS "$0" "$vrouterd" "$ctl"

tmp=$(mktemp -d)
d="$tmp/r1"
mkdir -p "$d"
chmod 755 "$tmp" "$d"
passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }
check() { # NAME CMD...
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

holders=() # the namespaces' sleepers, the peer's shell: PIDs this script started
agent=
cleanup() {
	local p
	[ -n "$agent" ] && kill "$agent" 2>/dev/null && wait "$agent" 2>/dev/null
	# wireguard-go (ours and the peer's) ends with its link, which ends with the namespace;
	# delete the links first so that it goes now.
	in_r1 ip link del wg0 2>/dev/null
	in_r1 ip link del wg1 2>/dev/null
	in_ns peer ip link del wgp 2>/dev/null
	for p in "${holders[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	if [ $failed -ne 0 ]; then
		echo "--- the agent's log"
		tail -40 "$d/log"
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

for n in r1 peer h1 h2; do newns $n; done
sleep 0.2
veth() { # NS1 NAME1 NS2 NAME2 [MAC1]
	ip link add "t$RANDOM" type veth peer name "u$RANDOM" 2>/dev/null
	local a b
	a=$(ip -o link show type veth | awk -F': ' 'NR==1 {print $2}' | cut -d@ -f1)
	b=$(ip -o link show type veth | awk -F': ' 'NR==2 {print $2}' | cut -d@ -f1)
	eval "ip link set $a netns \$ns_$1"
	eval "ip link set $b netns \$ns_$3"
	in_ns "$1" ip link set dev "$a" name "$2"
	in_ns "$3" ip link set dev "$b" name "$4"
	[ -n "${5:-}" ] && in_ns "$1" ip link set dev "$2" address "$5"
	in_ns "$3" ip link set dev "$4" up
}
veth r1 x-lan h1 eth0 52:54:00:00:01:01
veth r1 x-wan peer wan 52:54:00:00:01:02
veth peer lan h2 eth0
for n in r1 peer h1 h2; do in_ns $n ip link set lo up; done
in_ns h1 ip addr add 10.1.1.100/24 dev eth0
in_ns h1 ip route add default via 10.1.1.1
in_ns h2 ip addr add 10.2.2.100/24 dev eth0
in_ns h2 ip route add default via 10.2.2.1
in_ns peer ip addr add 203.0.113.2/24 dev wan
in_ns peer ip addr add 10.2.2.1/24 dev lan
in_ns peer ip link set dev lan up
in_ns peer sysctl -qw net.ipv4.ip_forward=1

# Keys: made here; the router's private key and the preshared key must appear nowhere but in
# the agent's 0600 file.
r1priv=$(wg genkey)
bpriv=$(wg genkey)
psk=$(wg genpsk)
{
	echo "r1-private $r1priv"
	echo "b-public $(wg pubkey <<<"$bpriv")"
	echo "b-psk $psk"
	echo "c-public $(wg genkey | wg pubkey)"
} >"$tmp/keys"
r1pub=$(wg pubkey <<<"$r1priv")

# The peer, by hand (tests/lib/wireguard-go.sh): its own wireguard-go, configured with wg
# setconf of this file.
umask 077
cat >"$tmp/peer.conf" <<EOC
[Interface]
PrivateKey = $bpriv
ListenPort = 51821

[Peer]
PublicKey = $r1pub
PresharedKey = $psk
Endpoint = 203.0.113.1:51820
AllowedIPs = 10.1.1.0/24, 10.99.0.1/32
EOC
umask 022
vr_hand_wg peer wgp "$tmp/peer.conf" 10.99.0.2/24 10.1.1.0/24
in_peer() { vr_in_hand_wg "$@"; }

# vrouterd in r1, with a /run of its own (wireguard-go's UAPI socket).
start_agent() {
	local r=0
	vr_start_agent_ns r1 "$d" || r=1
	agent=$vr_agent_pid
	return $r
}
# In r1's namespaces as the agent (or wireguard-go) sees them.
in_r1() {
	local p=${agent:-}
	[ -n "$p" ] && [ -d /proc/$p ] || p=$(wgo_pid)
	nsenter --net=/proc/$p/ns/net --mount=/proc/$p/ns/mnt --root=/proc/$p/root --wd="$PWD" "$@"
}
# wireguard-go of wg0 in r1's network namespace (another test's may run on the machine).
wgo_pid() { # [LINK]: r1's wireguard-go for LINK (wg0)
	local p
	for p in $(pgrep -f "^/usr/bin/wireguard-go ${1:-wg0}\$"); do
		[ "$(readlink /proc/$p/ns/net)" = "$(readlink /proc/$ns_r1/ns/net)" ] && echo $p && return
	done
}
rctl() { "$ctl" --socket "$d/agent.sock" "$@"; }
gen=0
apply_next() { gen=$((gen + 1)); python3 "$here/gen-intent.py" $gen "$tmp/keys" "$@" >"$tmp/intent.json"; rctl apply "$tmp/intent.json" >"$tmp/apply.out" 2>&1; }
ping_ok() { # NS ADDRESS
	in_ns "$1" ping -c 3 -i 0.2 -W 2 -q "$2" >/dev/null
}
tcp_ok() { # FROM-NS TO-NS TO-ADDRESS: a line sent over TCP comes back
	nsenter $(ns_of "$2") python3 -c '
import socket
s = socket.create_server(("0.0.0.0", 7000)); s.settimeout(10)
c, _ = s.accept(); c.sendall(c.recv(100))' &
	local srv=$! out
	sleep 0.3
	out=$(in_ns "$1" python3 -c '
import socket, sys
c = socket.create_connection((sys.argv[1], 7000), timeout=5)
c.sendall(b"through the tunnel"); print(c.recv(100).decode())' "$3" 2>&1)
	wait $srv
	[ "$out" = "through the tunnel" ]
}
status_py() { # PYTHON: run with st = status --json
	rctl status --json >"$tmp/status.json" && python3 -c "
import json
st = json.load(open('$tmp/status.json'))
wg = (st.get('vpn') or {}).get('wireguard') or {}
$1"
}
handshake() { # the router's latest handshake with site-b, as wg shows it
	in_r1 wg show wg0 latest-handshakes | awk -v k="$(awk '$1=="b-public"{print $2}' "$tmp/keys")" '$1==k {print $2}'
}
state() { # what must not change on a failed apply
	# (wireguard-go lists its peers in no particular order)
	in_r1 sh -c 'ip -j link show; ip -j addr show; ip -j route show; ls /run/wireguard
		for i in $(wg show interfaces); do
			echo "$i"; wg show $i listen-port; wg show $i allowed-ips | sort
			wg show $i endpoints | sort; wg show $i preshared-keys | sort | sha256sum
		done'
	find "$d/etc" -type f -exec sha256sum {} + | sort
}

check "the agent starts" start_agent
check "the router applies a WireGuard tunnel" apply_next
cat "$tmp/apply.out"
check "wg0 is wireguard-go's TUN, in the agent's group (86)" python3 -c '
import json, sys
l = json.loads(sys.argv[1])[0]
assert l["linkinfo"]["info_kind"] == "tun" and l["group"] in ("86", 86), l' \
	"$(in_r1 ip -d -j link show dev wg0)"
check "wireguard-go runs for wg0" test -n "$(wgo_pid)"
check "status: wg0 runs on wireguard-go" status_py '
t = wg["wg0"]
assert t["implementation"] == "wireguard-go" and t["error"] is None, t
assert set(t["peers"]) == {"site-b"}, t'
routes() { in_r1 ip route show "$@"; }
check "the route to site-b's allowed IPs goes through wg0 (the agent's)" \
	grep -qE 'dev wg0 proto (vrouter|86) ' <(routes 10.2.2.0/24)
check "the tunnel file is 0600" test "$(stat -c %a "$d/etc/wireguard/wg0.conf")" = 600
check "h1 pings h2 through the tunnel" ping_ok h1 10.2.2.100
check "h2 pings h1 through the tunnel" ping_ok h2 10.1.1.100
check "TCP from h1 to h2" tcp_ok h1 h2 10.2.2.100
check "TCP from h2 to h1" tcp_ok h2 h1 10.1.1.100
check "status: site-b's endpoint, handshake and bytes both ways" status_py '
p = wg["wg0"]["peers"]["site-b"]
assert p["endpoint"] == "203.0.113.2:51821", p
assert p["latest_handshake"], p
assert p["rx_bytes"] > 0 and p["tx_bytes"] > 0, p'
rctl status >"$tmp/status.txt"
check "status (text): the tunnel and its peer" grep -q "wireguard   wg0 (wireguard-go)" "$tmp/status.txt"

# A second peer added, then changed, while site-b carries traffic: site-b's session kept.
hs_r=$(handshake)
hs_p=$(in_peer wg show wgp latest-handshakes | awk '{print $2}')
nsenter $(ns_of h1) ping -i 0.05 -W 1 10.2.2.100 >"$tmp/ping" 2>&1 &
pinger=$!
sleep 0.5
check "site-c added" apply_next site-c
check "site-c changed" apply_next site-c-moved
check "the route to site-c's new prefix, its old one gone" \
	test "$(routes 10.3.4.0/24 | grep -c 'dev wg0')$(routes 10.3.3.0/24 | wc -l)" = 10
sleep 0.5
kill -INT $pinger
wait $pinger
check "site-b: no packet lost while site-c came and changed ($(grep -o '[0-9]*% packet loss' "$tmp/ping"))" \
	grep -q ' 0% packet loss' "$tmp/ping"
check "site-b: no new handshake on the router ($hs_r)" test "$(handshake)" = "$hs_r"
check "site-b: no new handshake on the peer ($hs_p)" \
	test "$(in_peer wg show wgp latest-handshakes | awk '{print $2}')" = "$hs_p"
check "a second apply of the same intent changes nothing" apply_next site-c-moved
check "... no operation" grep -q '"changes": 0,' "$tmp/apply.out"
# Only the changed peer is sent (wg set / wg addconf): the settings a peer loses go too.
c_pub=$(awk '$1=="c-public"{print $2}' "$tmp/keys")
c_shows() { # WHAT: site-c's field in wg show wg0 WHAT
	in_r1 wg show wg0 "$1" | awk -v k="$c_pub" '$1==k {print $2}'
}
check "site-c lost its preshared key with the move" test "$(c_shows preshared-keys)" = "(none)"
check "site-c without its endpoint and keepalive" apply_next site-c-bare
check "... site-c has neither now, and its allowed IPs" \
	test "$(c_shows endpoints) $(c_shows persistent-keepalive) $(c_shows allowed-ips)" = \
	"(none) off 10.3.4.0/24"
check "site-c removed" apply_next
check "... wg0's peers: site-b alone" test "$(in_r1 wg show wg0 peers | grep -c .)$(c_shows endpoints)" = 1
# A changed [Interface] section (the listen port) is applied whole (wg syncconf).
check "a second tunnel, wg1, on port 51831" apply_next wg1-port=51831
check "wg1 moved to port 51832" apply_next wg1-port=51832
check "... in effect" test "$(in_r1 wg show wg1 listen-port)" = 51832
check "wg1 removed" apply_next
wg1_gone() {
	for _ in $(seq 20); do
		[ -z "$(wgo_pid wg1)" ] && return 0
		sleep 0.1
	done
	return 1
}
check "... its wireguard-go gone" wg1_gone
check "site-b: no new handshake through these changes ($hs_r)" test "$(handshake)" = "$hs_r"
check "site-b still carries traffic" ping_ok h1 10.2.2.100

# Bad input: refused, nothing changed.
state >"$tmp/before"
apply_next site-c-moved bad-key
check "a bad key is refused" test $? -ne 0
check "the bad key's error names its place" grep -q '/vpn/wireguard/wg0/peers/site-b/public_key' "$tmp/apply.out"
state >"$tmp/after"
check "a refused intent changes nothing" diff -u "$tmp/before" "$tmp/after"
gen=$((gen - 1))

# A run-time failure: wg1's listen port is taken; exit 2 and the state before.
nsenter $(ns_of r1) python3 -c '
import socket, time
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(("::", 51830)); time.sleep(60)' &
holders+=($!)
for _ in $(seq 100); do
	[ -n "$(in_ns r1 ss -Hnul 'sport = :51830')" ] && break
	sleep 0.05
done
state >"$tmp/before"
apply_next site-c-moved wg1-port=51830
rc=$?
gen=$((gen - 1))
check "a listen port taken: exit 2 (got $rc)" test $rc -eq 2
check "site-b kept its session through the failed apply" test "$(handshake)" = "$hs_r"
cat "$tmp/apply.out"
check "the failure names the tunnel, its port and why" \
	grep -q 'wg1: listen port 51830: Address already in use' "$tmp/apply.out"
state >"$tmp/after"
check "the failed apply left the state as it was" diff -u "$tmp/before" "$tmp/after"
check "no wireguard-go left for wg1" test -z "$(wgo_pid wg1)"
check "site-b still carries traffic" ping_ok h1 10.2.2.100

# No secret anywhere but in root's 0600 files (the tunnel's file, the persisted intent).
secret_files() {
	grep -rlF -e "$r1priv" -e "$psk" "$tmp/r1" | while read -r f; do
		echo "$(stat -c '%a %U' "$f") ${f#$d/}"
	done
}
check "the keys are in root's 0600 files only: $(secret_files | paste -sd,)" \
	test -z "$(secret_files | grep -v '^600 root ')"
check "... the tunnel's file among them" grep -q '^600 root etc/wireguard/wg0.conf$' <(secret_files)
ps -eo args >"$tmp/ps"
for f in "$d/log" "$tmp/status.json" "$tmp/status.txt" "$tmp/ps"; do
	check "no key in ${f##*/}" test "$(grep -cF -e "$r1priv" -e "$psk" "$f")" = 0
done

# kill -9 of the agent: the tunnel carries on, wireguard-go is the same process; a new agent
# adopts it.
wgo=$(wgo_pid)
kill -9 $agent
wait $agent 2>/dev/null
agent=
check "after kill -9 of the agent, h1 still pings h2" ping_ok h1 10.2.2.100
check "wireguard-go outlived the agent" test "$(wgo_pid)" = "$wgo"
nsenter --net=/proc/$wgo/ns/net --mount=/proc/$wgo/ns/mnt --uts=/proc/$wgo/ns/uts \
	--root=/proc/$wgo/root --wd="$PWD" sh -c 'umask 0077; exec "$@"' sh \
	"$vrouterd" --backend kernel --socket "$d/agent.sock" --state-dir "$d/state" \
	--confdir "$d/etc" --payload "$d/payload.json" --serial none 2>>"$d/log" &
agent=$!
for _ in $(seq 100); do rctl status >/dev/null 2>&1 && break; sleep 0.1; done
check "a new agent applies the same intent again" apply_next site-c-moved
check "wireguard-go not restarted ($wgo)" test "$(wgo_pid)" = "$wgo"
check "the tunnel still works" ping_ok h2 10.1.1.100

# The tunnel removed: its link, its route and its wireguard-go go.
gen=$((gen + 1))
python3 - "$tmp/intent.json" $gen >"$tmp/none.json" <<'EOP'
import json, sys
i = json.load(open(sys.argv[1])); i["generation"] = int(sys.argv[2]); del i["vpn"]
json.dump(i, sys.stdout)
EOP
check "the tunnel removed" rctl apply "$tmp/none.json"
check "wg0 gone" sh -c "! nsenter --net=/proc/$agent/ns/net ip link show wg0 >/dev/null 2>&1"
wgo_gone() { for _ in $(seq 20); do [ -z "$(wgo_pid)" ] && return 0; sleep 0.1; done; return 1; }
check "its wireguard-go gone" wgo_gone

echo "passed $passed, failed $failed"
[ $failed -eq 0 ]
