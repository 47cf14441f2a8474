#!/bin/bash
# DHCP and DNS through dnsmasq on a live router, with real clients: vrouterd on the kernel
# backends in network and UTS namespaces the script makes; a LAN client namespace (udhcpc,
# udhcpc6, rdisc6, dig), a namespace on an interface where the resolver does not listen, and
# an upstream namespace with two dnsmasq instances started by hand (a forwarder and a zone's
# own server). Then the failures: dnsmasq killed, the agent killed, both killed, the DHCP port
# taken by another process at apply.
#
# Usage: services.sh VROUTERD VROUTERCTL
# Exit 77 only when namespaces cannot be made (not root) or a client program is missing.
set -u
vrouterd=$(realpath "${1:?usage: services.sh VROUTERD VROUTERCTL}")
ctl=$(realpath "${2:?usage: services.sh VROUTERD VROUTERCTL}")

for prog in dnsmasq busybox dhclient rdisc6 dig python3; do
	command -v $prog >/dev/null || { echo "skip: $prog is not installed (scripts/deps test)"; exit 77; }
done

. "$(dirname "$0")/../lib/netns.sh"
vr_own_namespaces VRTEST_SERVICES_NS "$0" "$vrouterd" "$ctl"

tmp=$(mktemp -d)
# dnsmasq reads its watched directories after dropping its privileges.
chmod 755 "$tmp"
. "$(dirname "$0")/../lib/agent.sh"
holders=() # namespaces' sleepers, upstream dnsmasqs, port holders: PIDs this script started
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid"
	dnsmasq_pid=$(cat "$tmp/state/services/dnsmasq.pid" 2>/dev/null)
	# Only a dnsmasq of this test: its command line names this test's files.
	if [ -n "$dnsmasq_pid" ] && grep -qa "$tmp/etc" "/proc/$dnsmasq_pid/cmdline" 2>/dev/null; then
		kill "$dnsmasq_pid"
	fi
	for h in "${holders[@]}"; do kill "$h" 2>/dev/null; done
	wait 2>/dev/null
	if [ $failed -ne 0 ]; then
		echo "--- the agent's log"
		tail -40 "$tmp/log"
		echo "--- dnsmasq's output"
		tail -20 "$tmp/state/services/dnsmasq.out"
		echo "--- the clients' log"
		tail -20 "$tmp/clients.log"
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# Namespaces: lan (a client, and a second one for the reservation), other (on the interface
# without a resolver), up (upstream DNS servers).
newns lan
newns lan2
newns other
newns up
sleep 0.2
wire() { # NIC MAC NS PEER-MAC
	ip link add "$1" address "$2" type veth peer name "p$1" address "$4"
	eval "ip link set p$1 netns \$ns_$3"
	in_ns "$3" ip link set lo up
	in_ns "$3" ip link set "p$1" name eth0
	in_ns "$3" ip link set eth0 up
}
wire eth0 52:54:00:5e:00:01 lan 02:00:00:00:00:11
wire eth1 52:54:00:5e:00:02 up 02:00:00:00:00:12
wire eth2 52:54:00:5e:00:03 other 02:00:00:00:00:13
# The reserved host: a second client on the LAN, through a bridge in the lan namespace.
ip link add eth3 address 52:54:00:5e:00:04 type veth peer name peth3
ip link set peth3 netns "$ns_lan2"
in_ns lan2 ip link set peth3 name eth0
in_ns lan2 ip link set eth0 address 02:00:00:00:00:42 up
in_ns lan2 ip link set lo up

in_ns up ip addr add 10.20.0.2/24 dev eth0
in_ns up ip addr add 10.20.0.3/24 dev eth0
in_ns other ip addr add 10.30.0.9/24 dev eth0
# Upstream: a forwarder (10.20.0.2) that also claims the zone with a wrong answer, and the
# zone's own server (10.20.0.3).
upstream() { # ADDRESS ARGS...
	local a=$1
	shift
	# nsenter itself in the background (it execs dnsmasq), not the function in_ns: the PID of a
	# backgrounded function is its subshell's, and killing that would leave dnsmasq running.
	nsenter --net="/proc/$ns_up/ns/net" --uts="/proc/$ns_up/ns/uts" \
		dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces \
		--listen-address="$a" --pid-file= --user=root --group=root "$@" 2>>"$tmp/upstream.log" &
	holders+=($!)
}
upstream 10.20.0.2 --address=/fwd.test/10.77.0.1 --address=/db.corp.example/10.66.6.6
upstream 10.20.0.3 --address=/db.corp.example/10.88.0.1

intent() { # GENERATION MODE [EXTRA-HOSTS-JSON] [EXTRA-TOP-LEVEL-JSON]
	cat <<JSON
{"version": 1, "generation": $1, "hostname": "r-svc",
 "interfaces": {
   "lan": {"mac": "52:54:00:5e:00:01", "addresses": ["10.10.0.1/24", "fd10::1/64"]},
   "up": {"mac": "52:54:00:5e:00:02", "addresses": ["10.20.0.1/24"]},
   "other": {"mac": "52:54:00:5e:00:03", "addresses": ["10.30.0.1/24"]},
   "lan2": {"mac": "52:54:00:5e:00:04", "addresses": ["10.40.0.1/24"]}},
 "dhcp": {
   "lan": {"ranges": [{"start": "10.10.0.100", "end": "10.10.0.150"}], "lease_seconds": 600,
     "domain": "lan.example", "ntp_servers": ["10.20.0.2"], "mtu": 1400,
     "static_routes": [{"to": "10.99.0.0/16", "via": "10.10.0.254"}],
     "ipv6": {"mode": "$2"$([ "$2" = stateful ] && echo ', "ranges": [{"start": "fd10::100", "end": "fd10::1ff"}]')}},
   "lan2": {"hosts": {"printer": {"mac": "02:00:00:00:00:42", "address": "10.40.0.42"}${3:-}},
     "domain": "lan.example"}},
 "dns": {"listen": ["lan", "lan2"], "forwarders": ["10.20.0.2"],
   "zones": {"corp.example": ["10.20.0.3"]},
   "records": {"nas.lan.example": ["10.10.0.9"]}, "cache_size": 100},
 "firewall": {"input": {"policy": "drop"}}${4:-}}
JSON
}
apply() { # FILE: exit status of vrouterctl apply, output in $tmp/out
	ctl apply "$1" >"$tmp/out" 2>&1
}
dnsmasq_pid() { cat "$tmp/state/services/dnsmasq.pid" 2>/dev/null; }
ask() { # NS NAME [TYPE]: the router's answer (addresses), empty when none
	in_ns "$1" dig +short +time=1 +tries=2 @"$([ "$1" = lan2 ] && echo 10.40.0.1 || echo 10.10.0.1)" "$2" "${3:-A}" 2>/dev/null
}
expect() { # DESCRIPTION WANT GOT
	[ "$2" = "$3" ] && pass "$1" || fail "$1: want '$2', got '$3'"
}

# A udhcpc script that records what it got.
cat >"$tmp/udhcpc.sh" <<'SH'
#!/bin/sh
[ "$1" = bound ] || [ "$1" = renew ] || exit 0
env | grep -E '^(ip|subnet|router|dns|domain|ntpsrv|mtu|staticroutes|lease|ipv6|serverid)=' | sort >"$OUT"
[ -n "$ip" ] && ip addr add "$ip/24" dev "$interface" 2>/dev/null
exit 0
SH
chmod +x "$tmp/udhcpc.sh"
dhcp4() { # NS HOSTNAME: udhcpc once; its variables in $tmp/NS.lease
	rm -f "$tmp/$1.lease"
	in_ns "$1" env OUT="$tmp/$1.lease" busybox udhcpc -i eth0 -n -q -f -t 4 -T 1 \
		-s "$tmp/udhcpc.sh" -x "hostname:$2" -O staticroutes -O ntpsrv -O mtu \
		>>"$tmp/clients.log" 2>&1
}
var() { sed -n "s/^$2=//p" "$tmp/$1.lease" 2>/dev/null; }

if ! start; then
	fail "vrouterd starts"
	cat "$tmp/log"
	exit 1
fi
intent 1 stateful >"$tmp/i1.json"
apply "$tmp/i1.json" && pass "apply with dhcp and dns" || { fail "apply: $(cat "$tmp/out")"; cat "$tmp/log"; }
pid1=$(dnsmasq_pid)
[ -n "$pid1" ] && [ -d "/proc/$pid1" ] && pass "dnsmasq runs (pid $pid1)" || fail "no dnsmasq"
[ "$(readlink /proc/$pid1/ns/net)" = "$(readlink /proc/self/ns/net)" ] &&
	pass "dnsmasq runs in the router's namespace" || fail "dnsmasq in another namespace"
[ "$(ps -o sid= -p "$pid1" | tr -d ' ')" != "$(ps -o sid= -p "$pid" | tr -d ' ')" ] &&
	pass "dnsmasq is in a session of its own" || fail "dnsmasq shares the agent's session"
[ "$(ps -o user= -p "$pid1")" = dnsmasq ] && pass "dnsmasq runs as user dnsmasq" ||
	fail "dnsmasq runs as user '$(ps -o user= -p "$pid1")'"
# The agent runs under umask 0077 (its unit's, tests/lib/agent.sh): what dnsmasq reads as user
# dnsmasq must be readable all the same (dnsmasq 2.91 dies at an unreadable hosts directory).
bad=$(find "$tmp/etc" \( -type d ! -perm 0755 \) -o \( -type f ! -perm 0644 \))
[ -z "$bad" ] && pass "the confdir's directories 0755 and files 0644 under umask 0077" ||
	fail "modes: $(ls -ld $bad)"
st=$(ctl status --json)
echo "$st" | jq -e --arg p "$pid1" '.services.dnsmasq.state == "running" and (.services.dnsmasq.pid | tostring) == $p' >/dev/null &&
	pass "status --json: services.dnsmasq running with its pid" || fail "status: $st"
ctl status | grep -q "dnsmasq *running *pid $pid1" && pass "status (text) shows dnsmasq" ||
	fail "status text: $(ctl status | tail -5)"
nft list chain inet vrouter input | grep -q 'udp dport 67' && pass "the firewall admits DHCP" ||
	fail "no DHCP rule: $(nft list chain inet vrouter input)"
nft list chain inet vrouter input | grep -q '"other".*dport 53' && fail "DNS admitted on other" ||
	pass "DNS is not admitted where the resolver does not listen"

# A lease, every option checked on the client.
dhcp4 lan alice
ip4=$(var lan ip)
case $ip4 in 10.10.0.1[0-4][0-9] | 10.10.0.150) pass "lease in range: $ip4" ;; *) fail "lease: '$ip4' ($(cat "$tmp/clients.log" | tail -3))" ;; esac
expect "subnet mask" 255.255.255.0 "$(var lan subnet)"
expect "router option" 10.10.0.1 "$(var lan router)"
expect "DNS server option (the router)" 10.10.0.1 "$(var lan dns | tr -d ' ')"
expect "domain option" lan.example "$(var lan domain)"
expect "NTP server option" 10.20.0.2 "$(var lan ntpsrv | tr -d ' ')"
expect "MTU option" 1400 "$(var lan mtu)"
expect "lease time" 600 "$(var lan lease)"
expect "option 121 with the default route kept" "10.99.0.0/16 10.10.0.254 0.0.0.0/0 10.10.0.1" "$(var lan staticroutes)"

# The reservation.
dhcp4 lan2 printer-self
expect "the reservation's address" 10.40.0.42 "$(var lan2 ip)"

# DNS.
expect "DNS: a reservation by name" 10.40.0.42 "$(ask lan printer)"
expect "DNS: a reservation as name.domain" 10.40.0.42 "$(ask lan printer.lan.example)"
expect "DNS: a DHCP client's own name" "$ip4" "$(ask lan alice)"
expect "DNS: a DHCP client's name.domain" "$ip4" "$(ask lan alice.lan.example)"
expect "DNS: a record" 10.10.0.9 "$(ask lan nas.lan.example)"
expect "DNS: through the forwarder" 10.77.0.1 "$(ask lan fwd.test)"
expect "DNS: a zone sent to its own server" 10.88.0.1 "$(ask lan db.corp.example)"
expect "DNS: over TCP" 10.10.0.9 "$(in_ns lan dig +tcp +short +time=1 +tries=1 @10.10.0.1 nas.lan.example)"
got=$(in_ns other dig +short +time=1 +tries=1 @10.30.0.1 nas.lan.example 2>&1)
[[ $got == *"timed out"* || $got == *"no servers could be reached"* ]] &&
	pass "no answer on an interface where the resolver does not listen" || fail "other: $got"

# IPv6: RA and DHCPv6 in each mode.
ra() { in_ns lan rdisc6 -1 -r 3 -w 1000 eth0 2>/dev/null; }
# dhclient -6 once (ARGS: -S for an information request); what it got in $tmp/lan6.env. It
# stays as a daemon once bound: stopped by its pid file.
# (dhclient runs its script with an environment of its own: the path is written in.)
cat >"$tmp/dh6.sh" <<SH
#!/bin/sh
case \$reason in BOUND6|INFORM6|RENEW6|REBIND6) env | grep '^new_' | sort >"$tmp/lan6.env" ;; esac
exit 0
SH
chmod +x "$tmp/dh6.sh"
dhcp6() {
	rm -f "$tmp/lan6.env" "$tmp/dh6.leases"
	in_ns lan timeout 15 dhclient -6 "$@" -1 -sf "$tmp/dh6.sh" \
		-lf "$tmp/dh6.leases" -pf "$tmp/dh6.pid" eth0 >>"$tmp/clients.log" 2>&1
	[ -s "$tmp/dh6.pid" ] && kill "$(cat "$tmp/dh6.pid")" 2>/dev/null
	rm -f "$tmp/dh6.pid"
	[ -s "$tmp/lan6.env" ]
}
gen=10
for mode in stateful stateless slaac; do
	gen=$((gen + 1))
	intent $gen $mode >"$tmp/i6.json"
	apply "$tmp/i6.json" || fail "apply ipv6 $mode: $(cat "$tmp/out")"
	sleep 0.5
	out=$(ra)
	m=$(echo "$out" | sed -n 's/.*Stateful address conf.*: *//p')
	o=$(echo "$out" | sed -n 's/.*Stateful other conf.*: *//p')
	case $mode in
	stateful) [ "$m" = Yes ] ;;
	stateless) [ "$m" = No ] && [ "$o" = Yes ] ;;
	slaac) [ "$m" = No ] && [ "$o" = No ] ;;
	esac && echo "$out" | grep -q 'fd10::/64' && pass "RA in mode $mode (M=$m O=$o, prefix fd10::/64)" ||
		fail "RA in mode $mode: $out"
	case $mode in
	stateful)
		dhcp6 && a6=$(sed -n 's/^new_ip6_address=//p' "$tmp/lan6.env")
		case ${a6:-} in fd10::1[0-9a-f][0-9a-f]) pass "DHCPv6 address in range: $a6" ;; *) fail "DHCPv6: '${a6:-}'" ;; esac ;;
	stateless)
		dhcp6 -S && grep -q '^new_dhcp6_name_servers=.*fd10::1' "$tmp/lan6.env" &&
			pass "DHCPv6 information request: the DNS server" ||
			fail "DHCPv6 stateless: $(cat "$tmp/lan6.env" 2>/dev/null)" ;;
	esac
done

# Reservations added, changed, removed: dnsmasq is never restarted.
intent 20 stateful >"$tmp/i20.json"
apply "$tmp/i20.json"
pid1=$(dnsmasq_pid)
intent 21 stateful ', "scanner": {"mac": "02:00:00:00:00:43", "address": "10.40.0.43"}' >"$tmp/i21.json"
apply "$tmp/i21.json" && expect "a reservation added: dnsmasq keeps its pid" "$pid1" "$(dnsmasq_pid)" ||
	fail "apply: $(cat "$tmp/out")"
expect "DNS: the new reservation" 10.40.0.43 "$(ask lan scanner.lan.example)"
in_ns lan2 ip link set eth0 address 02:00:00:00:00:43
in_ns lan2 ip addr flush dev eth0
dhcp4 lan2 x
expect "DHCP: the new reservation's address" 10.40.0.43 "$(var lan2 ip)"
# (A host without a lease: a lease keeps its name in DNS until it expires.)
intent 22 stateful ', "scanner": {"mac": "02:00:00:00:00:43", "address": "10.40.0.43"}, "camera": {"mac": "02:00:00:00:00:44", "address": "10.40.0.44"}' >"$tmp/i22.json"
apply "$tmp/i22.json" && expect "DNS: one more reservation" 10.40.0.44 "$(ask lan camera.lan.example)"
intent 23 stateful ', "scanner": {"mac": "02:00:00:00:00:43", "address": "10.40.0.43"}, "camera": {"mac": "02:00:00:00:00:44", "address": "10.40.0.45"}' >"$tmp/i23.json"
apply "$tmp/i23.json" && expect "a reservation changed: same pid" "$pid1" "$(dnsmasq_pid)"
expect "DNS: the changed reservation" 10.40.0.45 "$(ask lan camera.lan.example)"
intent 24 stateful ', "scanner": {"mac": "02:00:00:00:00:43", "address": "10.40.0.43"}' >"$tmp/i24.json"
apply "$tmp/i24.json" && expect "a reservation removed: same pid" "$pid1" "$(dnsmasq_pid)"
expect "DNS: the removed reservation is gone" "" "$(ask lan camera.lan.example)"
in_ns lan2 ip link set eth0 address 02:00:00:00:00:42
in_ns lan2 ip addr flush dev eth0

# kill -9 of dnsmasq: started again, serving within 2 s.
pid1=$(dnsmasq_pid)
restarts0=$(ctl status --json | jq '.services.dnsmasq.restarts')
kill -9 "$pid1"
t0=$(date +%s%N)
ok=
for _ in $(seq 40); do
	[ "$(ask lan nas.lan.example)" = 10.10.0.9 ] && { ok=1; break; }
	sleep 0.05
done
ms=$((($(date +%s%N) - t0) / 1000000))
pid2=$(dnsmasq_pid)
[ -n "$ok" ] && [ "$pid2" != "$pid1" ] && [ $ms -le 2000 ] &&
	pass "kill -9 of dnsmasq: serving again after $ms ms (pid $pid2)" || fail "dnsmasq not back ($ms ms, pid '$pid2')"
ctl status --json | jq -e --argjson r "$restarts0" '.services.dnsmasq.restarts == $r + 1' >/dev/null &&
	pass "status counts the restart" || fail "restarts: $(ctl status --json | jq -c .services)"
grep -q "dnsmasq (pid $pid1) exited" "$tmp/log" && pass "the death is logged" || fail "not logged"

# kill -9 of the agent: dnsmasq serves throughout, with the same pid; the new agent adopts it.
kill -9 "$pid"
wait "$pid" 2>/dev/null
pid=
served=0
for _ in 1 2 3; do [ "$(ask lan nas.lan.example)" = 10.10.0.9 ] && served=$((served + 1)); sleep 0.2; done
expect "kill -9 of the agent: dnsmasq answers without it" 3 "$served"
expect "kill -9 of the agent: same dnsmasq pid" "$pid2" "$(dnsmasq_pid)"
# The hash of dnsmasq's configuration as an older agent wrote it (no checksum line): read.
hash_file=$tmp/state/services/dnsmasq.conf-hash
head -c 16 "$hash_file" | grep -qx '# vrouter-state ' && pass "conf-hash has its checksum line" ||
	fail "conf-hash: $(cat "$hash_file")"
tail -n +2 "$hash_file" >"$tmp/hash" && cat "$tmp/hash" >"$hash_file"
start || fail "vrouterd starts again"
expect "the restarted agent keeps dnsmasq (same pid)" "$pid2" "$(dnsmasq_pid)"
ctl status --json | jq -e --arg p "$pid2" '.services.dnsmasq.state == "running" and (.services.dnsmasq.pid|tostring) == $p' >/dev/null &&
	pass "the restarted agent adopted dnsmasq (status)" || fail "status: $(ctl status --json | jq -c .services)"
grep -q "dnsmasq.conf-hash has no checksum line" "$tmp/log" &&
	head -c 16 "$hash_file" | grep -qx '# vrouter-state ' &&
	[ "$(tail -n +2 "$hash_file")" = "$(cat "$tmp/hash")" ] &&
	pass "an older agent's conf-hash: read, said so, written again with its checksum line" ||
	fail "older conf-hash: $(cat "$hash_file")"

# A damaged conf-hash: set aside (logged, in status), the configuration dnsmasq runs with
# unknown, so the start's apply starts it again.
kill -9 "$pid"
wait "$pid" 2>/dev/null
pid=
python3 - "$hash_file" <<'PY'
import sys
raw = bytearray(open(sys.argv[1], "rb").read())
raw[-3] ^= 0x01  # a digit of the hash
open(sys.argv[1], "wb").write(raw)
PY
cp "$hash_file" "$tmp/hash-damaged"
start || fail "vrouterd starts again"
aside=$(ls "$hash_file".checksum-* 2>/dev/null)
[ -n "$aside" ] && cmp -s "$aside" "$tmp/hash-damaged" &&
	grep -q "set aside as $aside" "$tmp/log" &&
	ctl status --json | jq -e --arg a "$aside" \
		'[.set_aside[] | select(.moved_to == $a and .problem == "checksum")] | length == 1' \
		>/dev/null &&
	pass "a damaged conf-hash: set aside, logged, in status" ||
	fail "damaged conf-hash: '$aside' $(ctl status --json | jq -c .set_aside)"
pid2b=$(dnsmasq_pid)
[ -n "$pid2b" ] && [ "$pid2b" != "$pid2" ] && [ "$(ask lan nas.lan.example)" = 10.10.0.9 ] &&
	head -c 16 "$hash_file" | grep -qx '# vrouter-state ' &&
	pass "dnsmasq started again by the start's apply (pid $pid2b), its hash written again" ||
	fail "dnsmasq after a damaged conf-hash: pid '$pid2b' (was $pid2)"
pid2=$pid2b

# kill -9 of both: the agent starts dnsmasq again; leases and client names are still there.
kill -9 "$pid" "$pid2"
wait "$pid" 2>/dev/null
pid=
start || fail "vrouterd starts again"
pid3=$(dnsmasq_pid)
[ -n "$pid3" ] && [ "$pid3" != "$pid2" ] && pass "after kill -9 of both, the agent started dnsmasq ($pid3)" || fail "no dnsmasq ($pid3)"
expect "the client's name survives in DNS (leases kept)" "$ip4" "$(ask lan alice.lan.example)"
in_ns lan ip addr flush dev eth0
dhcp4 lan alice
expect "the client keeps its address" "$ip4" "$(var lan ip)"

# The DHCP port taken by another process: exit 2 with dnsmasq's reason, everything as before.
intent 30 stateful >"$tmp/i30.json"
python3 - "$tmp/i30.json" >"$tmp/i30-off.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
del d["dhcp"], d["dns"]
d["generation"] = 30
print(json.dumps(d))
PY
apply "$tmp/i30-off.json" && pass "dhcp and dns removed" || fail "apply: $(cat "$tmp/out")"
# (A process of init's that init has not reaped yet is a zombie: gone all the same.)
[ -z "$(dnsmasq_pid)" ] && ! ps -o stat= -p "${pid3:-0}" | grep -qv Z && pass "dnsmasq stopped with its sections" || fail "dnsmasq still runs"
[ -z "$(find "$tmp/etc/dnsmasq" -type f 2>/dev/null)" ] && pass "its files are gone" || fail "files left: $(find "$tmp/etc")"
python3 -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 67))
time.sleep(3600)' &
holders+=($!)
sleep 0.3
state() {
	ip -j addr show | jq -S 'map(.addr_info |= map(select(.local | startswith("fe80:") | not)))'
	ip -j route show table main | jq -S .
	nft list ruleset
	(cd "$tmp/etc" && find . -type f -exec sha1sum {} + | sort)
	ls "$tmp/state/services" | grep -v leases
	ps -eo args | grep -F "$tmp/etc" | grep -v grep
}
state >"$tmp/before"
# With the services: an address and a route more, and the firewall changed.
python3 - "$tmp/i30.json" >"$tmp/i31.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["generation"] = 31
d["interfaces"]["lan"]["addresses"].append("10.11.0.1/24")
d["routes"] = [{"to": "10.98.0.0/16", "via": "10.10.0.254"}]
print(json.dumps(d))
PY
apply "$tmp/i31.json"
rc=$?
expect "DHCP port taken: exit 2" 2 "$rc"
grep -qi 'address already in use' "$tmp/out" && pass "with dnsmasq's reason" || fail "reason: $(cat "$tmp/out")"
state >"$tmp/after"
diff -u "$tmp/before" "$tmp/after" >"$tmp/diff" && pass "the router is exactly as before (addresses, routes, nftables, files, daemons)" ||
	{ fail "the router changed:"; cat "$tmp/diff"; }
ctl status --json | jq -e '.services.dnsmasq.state == "stopped"' >/dev/null &&
	pass "status: dnsmasq stopped" || fail "status: $(ctl status --json | jq -c .services)"

# Bad input: a clear error, nothing changed.
sed 's/"mtu": 1400/"mtu": 10/' "$tmp/i31.json" >"$tmp/bad.json"
apply "$tmp/bad.json"
rc=$?
expect "bad input: exit 1" 1 "$rc"
grep -q '/dhcp/lan/mtu' "$tmp/out" && pass "bad input: the error's pointer" || fail "bad: $(cat "$tmp/out")"

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
