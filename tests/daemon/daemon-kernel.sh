#!/bin/bash
# vrouterd on the real system's backends (rtnetlink, nftables), in a network and UTS namespace
# that the script makes for itself and that disappears with it: apply through the socket, the
# links renamed, addresses, routes and the nftables table in place, a rule's counter in
# `status` growing with pings, the always-on rules' and a forward's counters there, a restart
# converging with no change, a stale generation refused, a dropped management address kept
# and shown so.
#
# Usage: daemon-kernel.sh VROUTERD VROUTERCTL
# Exit 77 only when namespaces cannot be made (not root).
set -u
vrouterd=$(realpath "${1:?usage: daemon-kernel.sh VROUTERD VROUTERCTL}")
ctl=$(realpath "${2:?usage: daemon-kernel.sh VROUTERD VROUTERCTL}")

. "$(dirname "$0")/../lib/netns.sh"
vr_own_namespaces VRTEST_DAEMON_NS "$0" "$vrouterd" "$ctl"

tmp=$(mktemp -d)
. "$(dirname "$0")/../lib/agent.sh"
pinger=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid"
	[ -n "$pinger" ] && kill "$pinger" 2>/dev/null && wait "$pinger"
	rm -rf "$tmp"
}
trap cleanup EXIT

ip link add eth0 address 52:54:00:aa:00:01 type veth peer name peer0
ip link add eth1 address 52:54:00:aa:00:02 type veth peer name peer1
cat >"$tmp/intent.json" <<'EOF'
{"version": 1, "generation": 1, "hostname": "r-daemon",
 "interfaces": {
   "mgmt": {"mac": "52:54:00:aa:00:01", "addresses": ["192.168.100.10/24"], "management": true},
   "web": {"mac": "52:54:00:aa:00:02", "addresses": ["10.1.1.1/24", "fd00:1::1/64"], "mtu": 1450}},
 "routes": [{"to": "10.9.0.0/16", "via": "10.1.1.254"}],
 "firewall": {"input": {"policy": "drop", "rules": [
   {"action": "accept", "in": "web", "protocol": "udp", "ports": [53]},
   {"action": "accept", "in": "web", "protocol": "icmp", "icmp_types": ["echo-request"],
    "comment": "ping from web"}]}}}
EOF

if ! start; then
	fail "vrouterd starts"
	cat "$tmp/log"
	echo "$passed passed, $((failed)) failed"
	exit 1
fi
pass "vrouterd starts on the kernel backend"
rss() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
# The agent's resident size once started: a few MiB (no heap kept ready; a sanitizer's shadow
# memory is not the agent's, so that build does not check it).
check_rss() { # WHEN
	if [ "${VROUTER_SANITIZE:-none}" != none ]; then
		echo "skip: resident size $1 (sanitizer build: $VROUTER_SANITIZE)"
	elif [ "$(rss)" -lt $((8 * 1024)) ]; then
		pass "resident size $1: $(rss) kB, under 8 MiB"
	else
		fail "resident size $1: $(rss) kB"
	fi
}
check_rss "after start"

out=$(ctl apply "$tmp/intent.json" 2>&1) && [[ $out == *'"applied": true'* ]] &&
	pass "apply" || fail "apply: $out"
[ "$(hostname)" = r-daemon ] && pass "hostname" || fail "hostname is $(hostname)"
ip -br link show web | grep -q '^web@peer1' && ip link show web | grep -q 'mtu 1450' &&
	pass "links renamed by MAC, MTU" || fail "links: $(ip -br link)"
ip -br addr show web | grep -q '10.1.1.1/24 fd00:1::1/64' && pass "addresses" ||
	fail "addresses: $(ip -br addr)"
ip route show 10.9.0.0/16 | grep -q 'via 10.1.1.254 dev web proto 86' && pass "route" ||
	fail "routes: $(ip route)"
nft list table inet vrouter >/dev/null 2>&1 && pass "nftables table" || fail "no nftables table"

# Counters: a host on web (peer1, lent to a namespace of its own) pings the router twice, two
# ping processes: two new ICMP flows (the second echo of one ping is already established).
counter() { # packets of the rule at pointer $1, and its comment, from `status --counters --json`
	ctl status --counters --json | python3 -c 'import json, sys
for c in json.load(sys.stdin)["observed"].get("rules", []):
    if c["pointer"] == sys.argv[1]: print(c["packets"], c.get("comment", ""))' "$1"
}
unshare --net sleep 120 &
pinger=$!
sleep 0.2
ip link set peer1 netns $pinger
nsenter -t $pinger -n ip link set peer1 up
nsenter -t $pinger -n ip addr add 10.1.1.2/24 dev peer1
before=$(counter /firewall/input/rules/1)
nsenter -t $pinger -n ping -c1 -W1 10.1.1.1 >/dev/null 2>&1
nsenter -t $pinger -n ping -c1 -W1 10.1.1.1 >/dev/null 2>&1
after=$(counter /firewall/input/rules/1)
if [ "${after#* }" = "ping from web" ] && [ "${after%% *}" -ge $((${before%% *} + 2)) ]; then
	pass "status --json: rule /firewall/input/rules/1 counted ${before%% *} -> ${after%% *} packets"
else
	fail "counters: before '$before', after '$after'"
fi
ctl status --counters | grep -Eq '^  /firewall/input/rules/1 +[0-9]+ packets +[0-9]+ bytes  ping from web$' &&
	pass "status --counters shows the counters" ||
	fail "status: $(ctl status --counters | sed -n '/^rules/,$p')"
# Without --counters: the links' traffic, no rule's
out=$(ctl status --json | python3 -c 'import json, sys
o = json.load(sys.stdin)["observed"]
print("rules" in o, all("counters" in l for l in o["links"]))')
[ "$out" = "False True" ] && ! ctl status | grep -q '^rules' &&
	pass "status without --counters: the links' counters, not the rules'" ||
	fail "status without --counters: $out"
# peer1 back into this script's namespace (the end of web), then the pinger goes
nsenter -t $pinger -n ip link set peer1 netns $$
kill $pinger && wait $pinger
pinger=

# Generations that change one section only: the agent reads the unchanged one against the
# applied intent and keeps its part of the table (nft-compile.c); the kernel must hold each
# generation exactly, which the restart below checks again (it reads the table back).
gen() { # GENERATION FORWARD-TO EXTRA-RULE(0/1) > file
	python3 - "$tmp/intent.json" "$@" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
doc["generation"] = int(sys.argv[2])
doc["nat"] = {"destination": [{"in": "mgmt", "destination": "192.168.100.10", "protocol": "tcp",
                               "ports": 8080, "to": sys.argv[3], "to_ports": 80}]}
if sys.argv[4] == "1":
    doc["firewall"]["input"]["rules"].append(
        {"action": "accept", "in": "web", "protocol": "tcp", "ports": [25], "comment": "added"})
json.dump(doc, sys.stdout, indent=1)
PY
}
table_has() { # WORD... : the table lists each
	local t w
	t=$(nft list table inet vrouter)
	for w in "$@"; do [[ $t == *"$w"* ]] || return 1; done
}
table_lacks() { ! nft list table inet vrouter | grep -qF "$1"; }
gen 2 10.1.1.5 0 >"$tmp/s2.json"
gen 3 10.1.1.5 1 >"$tmp/s3.json"
gen 4 10.1.1.6 1 >"$tmp/s4.json"
out=$(ctl apply "$tmp/s2.json" 2>&1) && table_has 10.1.1.5 "ping from web" &&
	pass "a port forward added, the firewall as it was" || fail "nat only: $out"
out=$(ctl apply "$tmp/s3.json" 2>&1) && table_has 10.1.1.5 "ping from web" 'rules/2 added"' &&
	pass "a firewall rule added, the forward as it was" || fail "firewall only: $out"
out=$(ctl apply "$tmp/s4.json" 2>&1) && table_has 10.1.1.6 "ping from web" 'rules/2 added"' &&
	table_lacks 10.1.1.5 && pass "the forward changed, the firewall as it was" ||
	fail "nat again: $out"
# status: the always-on rules and the drop policies by name, the port forward (named by
# content in the kernel) by the intent's pointer, after the source NAT
out=$(ctl status --counters --json | python3 -c 'import json, sys
print(" ".join(r["pointer"] or r["name"] for r in json.load(sys.stdin)["observed"]["rules"]))')
want="builtin:input/established builtin:input/invalid builtin:input/ssh"
want+=" /firewall/input/rules/0 /firewall/input/rules/1 /firewall/input/rules/2"
want+=" builtin:input/policy-drop builtin:forward/established builtin:forward/invalid"
want+=" builtin:forward/nat-open builtin:forward/policy-drop builtin:output/established"
want+=" builtin:output/invalid builtin:srcnat/hairpin /nat/destination/0"
[ "$out" = "$want" ] && pass "status --json: built-in counters by name, the forward by pointer" ||
	fail "status rules: $out"
ctl status --counters | grep -Eq '^  builtin:input/policy-drop +[0-9]+ packets +[0-9]+ bytes$' &&
	ctl status --counters | grep -Eq '^  /nat/destination/0 +[0-9]+ packets +[0-9]+ bytes$' &&
	pass "status --counters shows them" ||
	fail "status: $(ctl status --counters | sed -n '/^rules/,$p')"

stop && pass "stops on SIGTERM" || fail "exit code on SIGTERM"
start || fail "restart"
check_rss "after a start that re-applied the intent"
out=$(ctl status --json)
[[ $out == *'"origin": "boot", "result": "applied"'*'"changes": 0'* ]] &&
	pass "restart: re-applied, nothing to change" || fail "restart: $out"
out=$(ctl plan "$tmp/s4.json" 2>&1) && [ "$out" = "0 operations" ] &&
	pass "plan of the applied intent: nothing" || fail "plan: $out"
sed 's/"generation": 4/"generation": 5/; s/r-daemon/r-daemon-2/' "$tmp/s4.json" >"$tmp/g5.json"
out=$(ctl apply "$tmp/g5.json" 2>&1) && [[ $out == *'"changes": 1,'* ]] &&
	[ "$(hostname)" = r-daemon-2 ] && pass "generation 5: one change" || fail "generation 5: $out"
out=$(ctl apply "$tmp/intent.json" 2>&1)
[ $? -eq 3 ] && [ "$(hostname)" = r-daemon-2 ] && pass "stale generation refused" ||
	fail "stale: $out"
# A management address that a later intent drops is kept on the link; status marks it kept,
# from the last generation that listed it (known to the agent that applied both; after a
# restart of the agent, not known).
python3 - "$tmp/g5.json" "$tmp/g6.json" "$tmp/g7.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
doc["generation"] = 6
doc["interfaces"]["mgmt"]["addresses"].append("192.168.100.11/24")
json.dump(doc, open(sys.argv[2], "w"))
doc["generation"] = 7
doc["interfaces"]["mgmt"]["addresses"].remove("192.168.100.11/24")
json.dump(doc, open(sys.argv[3], "w"))
PY
kept() { # the addresses of mgmt as status --json shows them
	ctl status --json | python3 -c 'import json, sys
for a in json.load(sys.stdin)["observed"]["addresses"]:
    if a["interface"] == "mgmt":
        print(a["address"], a.get("kept", False), a.get("kept_generation", "-"))'
}
out=$(ctl apply "$tmp/g6.json" 2>&1) && out=$(ctl apply "$tmp/g7.json" 2>&1) &&
	ip -br addr show mgmt | grep -q '192.168.100.11/24' &&
	[ "$(kept)" = "192.168.100.10/24 False -
192.168.100.11/24 True 6" ] && pass "a dropped management address kept, from generation 6" ||
	fail "kept address: $out $(kept)"
ctl status | grep -Eq '^  mgmt +192.168.100.11/24 \(management, kept from generation 6\)$' &&
	pass "status shows it kept" || fail "status: $(ctl status | sed -n '/^addresses/,/^routes/p')"
stop && start || fail "restart"
[ "$(kept)" = "192.168.100.10/24 False -
192.168.100.11/24 True None" ] &&
	ctl status | grep -Eq '^  mgmt +192.168.100.11/24 \(management, kept from an earlier intent\)$' &&
	pass "after a restart: kept, from a generation not known" || fail "after a restart: $(kept)"
# A link whose name is not UTF-8 (the kernel takes any bytes but '/', ':' and blanks): status
# answers with the name's stray bytes escaped, and with the request's id.
ip link add "$(printf 'd\xff\xc3')" type veth peer name nu-peer
out=$(ctl status --json 2>&1) && [[ $out == *'"name": "d\\xff\\xc3"'* ]] &&
	pass "status with a link whose name is not UTF-8" || fail "status, non-UTF-8 name: $out"
out=$(printf '{"request": "status", "id": "nu-1"}\n' | python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.stdin.buffer.read())
b = b""
while not b.endswith(b"\n"):
    c = s.recv(65536)
    if not c: break
    b += c
sys.stdout.write(b.decode())' "$tmp/agent.sock")
[[ $out == *'"exit": 0'*'"id": "nu-1"'* ]] && pass "the answer keeps the id" ||
	fail "raw status: ${out:0:300}"
ip link del "$(printf 'd\xff\xc3')"
stop && pass "clean stop" || fail "exit code on SIGTERM"
out=$("$vrouterd" --link-wait 86401 2>&1)
[ $? -eq 64 ] && [[ $out == *"--link-wait 86401: not a number of seconds from 0 to 86400"* ]] &&
	pass "--link-wait 86401 refused" || fail "--link-wait 86401: $out"
if [ "$failed" -ne 0 ]; then
	echo "--- vrouterd's log"
	cat "$tmp/log"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
