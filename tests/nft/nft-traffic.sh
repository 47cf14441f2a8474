#!/bin/bash
# The nftables backend against the real kernel with real traffic: one transaction per apply,
# the table read back (a second apply changes nothing), accept/drop/reject as clients see
# them, port forwards, SNAT, one-to-one NAT, hairpin, counters, SSH to the management
# interface (from management_sources only, when given), a TCP stream across 50 applies and a failed one (the ruleset left as it was),
# element-only batches (set elements; port forwards and one-to-one NAT, with a TCP stream
# through another forward alive across them), kernel errors mapped to JSON Pointers, the
# same over IPv6, the IPsec exemption from source NAT (by routes: no IKE involved), and the
# router's own services admitted without a rule (IKE, ESP, VRRP, conntrackd's sync), and
# one engine for many applies (the table kept from the last commit, a foreign change seen,
# a transaction between observe and commit refused).
#
# Usage: nft-traffic.sh NFT-DRIVER TESTDIR
#
# Every namespace is made by the script (ip netns add vrnft-PID-*) and removed on exit;
# traffic runs only between them. Exit 77 only when namespaces cannot be made (not root) or
# nft/python3 are missing. VALGRIND=1 runs the driver under valgrind (leaks are errors).
# VROUTER_REGEN=1 rewrites golden-base.json.
set -u
driver=$(realpath "${1:?usage: nft-traffic.sh NFT-DRIVER TESTDIR}")
dir=$(realpath "${2:?usage: nft-traffic.sh NFT-DRIVER TESTDIR}")
peer="python3 $dir/peer.py"

command -v nft >/dev/null && command -v python3 >/dev/null || { echo "skip: needs nft, python3"; exit 77; }
P=vrnft-$$
. "$(dirname "$0")/../lib/netns.sh"
vr_require_netns $P

R=$P-r PUB=$P-p SW=$P-sw SRV=$P-s G=$P-g M=$P-m
NSLIST="$R $PUB $SW $SRV $G $M"
tmp=$(mktemp -d)
cleanup() {
	local ns pid
	for ns in $NSLIST; do
		for pid in $(ip netns pids $ns 2>/dev/null); do kill $pid 2>/dev/null; done
	done
	for ns in $NSLIST; do ip netns del $ns 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

# router (R): public -- PUB (the Internet), lan -- a bridge in SW with SRV and G, mgmt -- M.
# PUB also holds 10.50.0.0/16 and fd50::/64, the remote subnets of an IPsec tunnel. No
# duplicate address detection: IPv6 addresses are usable at once.
for ns in $NSLIST; do
	ip netns add $ns && ip -n $ns link set lo up || exit 1
	ip netns exec $ns sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
ip -n $R link add x1 address 02:00:00:00:01:01 type veth peer name eth0 netns $PUB
ip -n $R link add x2 address 02:00:00:00:01:02 type veth peer name uplink netns $SW
ip -n $R link add x3 address 02:00:00:00:01:03 type veth peer name eth0 netns $M
ip -n $SW link add br0 type bridge
ip -n $SW link set br0 up
ip -n $SW link set uplink master br0 up
for h in $SRV $G; do
	ip -n $SW link add p-${h##*-} type veth peer name eth0 netns $h
	ip -n $SW link set p-${h##*-} master br0 up
done
ip netns exec $R sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
host() { # NS ADDRESS GATEWAY [ADDRESS6 GATEWAY6]
	ip -n $1 link set eth0 up && ip -n $1 addr add $2 dev eth0 && ip -n $1 route add default via $3
	[ $# = 3 ] || { ip -n $1 addr add $4 dev eth0 nodad && ip -n $1 route add default via $5; }
}
host $PUB 203.0.113.100/24 203.0.113.1 2001:db8:1::100/64 2001:db8:1::1
host $SRV 10.1.1.5/24 10.1.1.1 fd00:1::5/64 fd00:1::1
host $G 10.1.1.6/24 10.1.1.1 fd00:1::6/64 fd00:1::1
host $M 192.168.100.2/24 192.168.100.1
ip -n $PUB route add 10.1.1.0/24 via 203.0.113.1 # to see what the forward chain does
ip -n $PUB route add fd00:1::/64 via 2001:db8:1::1
ip -n $PUB addr add 10.50.0.1/16 dev lo
ip -n $PUB addr add fd50::1/64 dev lo

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok: $1"; }
fail() {
	failed=$((failed + 1))
	echo "FAIL: $1"
	[ -s "$tmp/err" ] && sed 's/^/  | /' "$tmp/err"
	[ -s "$tmp/out" ] && sed 's/^/  > /' "$tmp/out"
}
# expect NAME EXPECTED COMMAND...: passes when the command's output is EXPECTED.
expect() {
	local name=$1 want=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	if [ "$(cat "$tmp/out")" = "$want" ]; then pass "$name"; else echo "  want: $want"; fail "$name"; fi
}
in_ns() { local ns=$1; shift; ip netns exec $ns "$@"; }

vg=()
[ "${VALGRIND:-}" = 1 ] && vg=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99)
# The hostname and the service files (IPsec) go to a recording backend with this state.
echo '{}' >"$tmp/record.json"
drv() { in_ns $R "${vg[@]}" "$driver" "$@" --record "$tmp/record.json" --nft-records "$tmp/nft-records"; }

# variant NAME PYTHON: intent-base.json changed by PYTHON (on the dict `i`), as $tmp/NAME.json
variant() {
	python3 - "$dir/intent-base.json" "$tmp/$1.json" "$2" <<'PY'
import json, sys
i = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(i, open(sys.argv[2], "w"), indent=1)
PY
}

# The table as `nft -j` lists it, without handles and with counters zeroed.
table_json() { in_ns $R nft -j list table inet vrouter | python3 "$dir/table-json.py"; }

# ---- the first apply: one transaction, read back, golden ----
expect "first apply: one batch replacing the table" "applied 26 nft=1/72/16/1" \
	drv apply "$dir/intent-base.json"
expect "second plan: nothing to do" "" drv plan "$dir/intent-base.json"
expect "second apply: no batch" "applied 0 nft=0/0/0/0" drv apply "$dir/intent-base.json"
table_json >"$tmp/table.json"
if [ "${VROUTER_REGEN:-}" = 1 ]; then cp "$tmp/table.json" "$dir/golden-base.json"; fi
if diff -u "$dir/golden-base.json" "$tmp/table.json" >"$tmp/err"; then
	pass "nft -j list table matches golden-base.json"
else
	fail "nft -j list table matches golden-base.json"
fi

# ---- servers ----
in_ns $R $peer serve 22 23 5555 &
in_ns $SRV $peer serve 80 9000 9001 9002 &
in_ns $G $peer serve 7001 &
in_ns $PUB $peer serve 7000 &
in_ns $PUB $peer echo 7100 &
sleep 1

# ---- filter ----
check_ping() { in_ns $PUB ping -c1 -W1 203.0.113.1 >/dev/null && echo yes || echo no; }
expect "input: icmp echo-request accepted" yes check_ping
expect "input: tcp 23 from public rejected with a reset" refused in_ns $PUB $peer ask 203.0.113.1 23
expect "input: tcp 5555 dropped by the policy" timeout in_ns $PUB $peer ask 203.0.113.1 5555
expect "forward: udp public->lan rejected (icmp admin-prohibited)" "error No route to host" \
	in_ns $PUB $peer udp 10.1.1.5 53
expect "forward: tcp public->lan dropped by the policy" timeout in_ns $PUB $peer ask 10.1.1.5 80
expect "input: ssh to the management interface" "port=22 peer=192.168.100.2" \
	in_ns $M $peer ask 192.168.100.1 22

# ---- NAT ----
for p in 0 1 2; do
	expect "port forward 8000-8002 -> 9000-9002: port 800$p" \
		"port=900$p peer=203.0.113.100" in_ns $PUB $peer ask 203.0.113.11 800$p
done
expect "port forward 80 (same port)" "port=80 peer=203.0.113.100" in_ns $PUB $peer ask 203.0.113.11 80
expect "snat: server seen from outside as 203.0.113.1" "port=7000 peer=203.0.113.1" \
	in_ns $SRV $peer ask 203.0.113.100 7000
expect "one-to-one outbound: 10.1.1.6 seen as 203.0.113.12" "port=7000 peer=203.0.113.12" \
	in_ns $G $peer ask 203.0.113.100 7000
expect "one-to-one inbound: 203.0.113.12 reaches 10.1.1.6" "port=7001 peer=203.0.113.100" \
	in_ns $PUB $peer ask 203.0.113.12 7001
expect "hairpin: guest -> forwarded public address" "port=9001 peer=10.1.1.1" \
	in_ns $G $peer ask 203.0.113.11 8001
expect "hairpin: server -> one-to-one public address" "port=7001 peer=10.1.1.1" \
	in_ns $SRV $peer ask 203.0.113.12 7001

# ---- counters ----
counter() { # the packets of the (last) kernel rule tagged $1 (its label: "TAG POINTER ...")
	in_ns $R nft -j list chain inet vrouter "$2" | python3 -c '
import json, sys
n = 0
for x in json.load(sys.stdin)["nftables"]:
    r = x.get("rule")
    if r and r.get("comment", "").startswith(sys.argv[1] + " "):
        for e in r["expr"]:
            if "counter" in e: n = e["counter"]["packets"]
print(n)' "$1"
}
before=$(counter "fw-rule input/0" input)
check_ping >/dev/null; check_ping >/dev/null
after=$(counter "fw-rule input/0" input)
if [ "$after" -ge $((before + 2)) ]; then pass "counters: fw-rule input/0 counted $before -> $after"; else
	echo "  before=$before after=$after" >"$tmp/err"; : >"$tmp/out"; fail "counters increase"; fi

# ---- SSH to a management interface cannot be blocked ----
variant nossh 'i["firewall"]["input"]["rules"].insert(0, {"action": "drop", "in": "mgmt", "protocol": "tcp", "ports": [22]}); i["firewall"]["input"]["rules"].insert(0, {"action": "drop"})'
expect "apply: input drops everything, ssh on mgmt too" "applied 5 nft=1/74/16/1" drv apply "$tmp/nossh.json"
expect "ssh to the management interface still accepted" "port=22 peer=192.168.100.2" \
	in_ns $M $peer ask 192.168.100.1 22
expect "ping now dropped" no check_ping
expect "back to the base intent" "applied 5 nft=1/72/16/1" drv apply "$dir/intent-base.json"

# ---- SSH to a management interface from management_sources only ----
# 192.168.100.2 listed, 192.168.100.3 (another address of the same host) not: the input policy
# drops it, whatever the always-on rule admits.
ip -n $M addr add 192.168.100.3/24 dev eth0
variant mgmtsrc 'i["firewall"]["management_sources"] = ["192.168.100.2", "2001:db8:99::/48"]'
expect "plan: management_sources replace the input chain" \
	"replace fw-chain input policy=drop management_sources=192.168.100.2,2001:db8:99::/48 (was policy=drop)" \
	drv plan "$tmp/mgmtsrc.json"
expect "apply: management_sources, the table replaced" "applied 1 nft=1/73/16/1" \
	drv apply "$tmp/mgmtsrc.json"
expect "ssh from a listed source accepted" "port=22 peer=192.168.100.2" \
	in_ns $M $peer ask 192.168.100.1 22 192.168.100.2
expect "ssh from a source not listed dropped (the input policy)" timeout \
	in_ns $M $peer ask 192.168.100.1 22 192.168.100.3
expect "back to the base intent" "applied 1 nft=1/72/16/1" drv apply "$dir/intent-base.json"
expect "ssh from any source again" "port=22 peer=192.168.100.3" \
	in_ns $M $peer ask 192.168.100.1 22 192.168.100.3
ip -n $M addr del 192.168.100.3/24 dev eth0

# ---- a TCP stream across 50 applies that change unrelated rules, and a failed apply ----
# Each apply adds an input rule (the table replaced whole); after the 25th, an apply that
# changes rules, a set and an address fails at the end (a backend that fails its commit
# after the kernel steps) and is rolled back: the ruleset and the addresses stay those of the
# 25th. The stream (server -> public, through the forward chain and SNAT) runs until every
# apply is done and must not break.
# (not through in_ns: $! must be the stream's own PID, for the SIGTERM that ends it)
ip netns exec $SRV $peer stream 203.0.113.100 7100 0 >"$tmp/stream" 2>&1 &
spid=$!
sleep 0.5
ok=1
rolled_back=no
rules=
for n in $(seq 1 50); do
	rules="$rules
i['firewall']['input']['rules'].append({'action': 'accept', 'protocol': 'udp', 'ports': [$((10000 + n))], 'comment': 'n$n'})"
	variant v$n "$rules"
	drv apply "$tmp/v$n.json" >"$tmp/out" 2>"$tmp/err" || ok=0
	grep -q "nft=1/.*/1$" "$tmp/out" || ok=0
	[ $n = 25 ] || continue
	table_json >"$tmp/before.json"
	in_ns $R ip -br addr >"$tmp/addr-before"
	variant failing "$rules"'
i["firewall"]["input"]["rules"].pop(0); i["interfaces"]["lan"]["addresses"].append("10.1.2.1/24"); i["firewall"]["sets"]["blocked"]["elements"].append("192.0.2.99")'
	drv apply --fail "$tmp/failing.json" >"$tmp/fail-out" 2>"$tmp/fail-err"
	rc=$?
	table_json >"$tmp/after.json"
	in_ns $R ip -br addr >"$tmp/addr-after"
	if [ $rc = 2 ] && grep -q "injected failure" "$tmp/fail-err" &&
		cmp -s "$tmp/before.json" "$tmp/after.json" &&
		cmp -s "$tmp/addr-before" "$tmp/addr-after"; then
		rolled_back=yes
	else
		diff -u "$tmp/before.json" "$tmp/after.json" >>"$tmp/fail-err"
	fi
done
if [ $ok = 1 ]; then pass "50 applies, each replacing the table"; else fail "50 applies"; fi
if [ $rolled_back = yes ]; then
	pass "failed apply (exit 2) amid them: ruleset and addresses unchanged"
else
	cp "$tmp/fail-err" "$tmp/err"; : >"$tmp/out"; fail "failed apply leaves everything unchanged (rc=$rc)"
fi
if kill -0 $spid 2>/dev/null; then alive=1; else alive=0; fi
kill $spid 2>/dev/null
wait $spid
if [ $alive = 1 ] && grep -q '^lines=' "$tmp/stream"; then
	pass "tcp stream open across the 51 applies survived: $(cat "$tmp/stream")"
else
	cp "$tmp/stream" "$tmp/err"; fail "tcp stream survived (open to the end: $alive)"
fi
drv apply "$dir/intent-base.json" >/dev/null 2>&1

# ---- element-only changes send only elements ----
variant elems 'i["firewall"]["sets"]["blocked"]["elements"] = ["198.51.100.0/24", "192.0.2.9", "192.0.2.64/26"]; i["firewall"]["sets"]["webports"]["elements"] = [80, 443, "8000-8010"]'
in_ns $R timeout 5 nft monitor >"$tmp/monitor" 2>&1 &
mpid=$!
sleep 0.5
# + 192.0.2.9 (2), 192.0.2.64/26 (2), 443 (2); - 192.0.2.7 (2): 8 element messages only
expect "element-only change: one batch of element messages only" "applied 4 nft=1/8/8/0" \
	drv apply "$tmp/elems.json"
sleep 0.5
kill $mpid 2>/dev/null
wait $mpid 2>/dev/null
if grep -q 'element inet vrouter blocked' "$tmp/monitor" && ! grep -qE '^(add|delete) (table|chain|rule)' "$tmp/monitor"; then
	pass "nft monitor saw elements only"
else
	cp "$tmp/monitor" "$tmp/err"; fail "nft monitor saw elements only"
fi
expect "elements read back: nothing to do" "" drv plan "$tmp/elems.json"
expect "blocked set in the kernel" "192.0.2.9 192.0.2.64/26 198.51.100.0/24" \
	sh -c "ip netns exec $R nft -j list set inet vrouter blocked | python3 -c '
import json, sys
for x in json.load(sys.stdin)[\"nftables\"]:
    if \"set\" in x:
        print(\" \".join(e if isinstance(e, str) else \"%s/%s\" % (e[\"prefix\"][\"addr\"], e[\"prefix\"][\"len\"]) for e in x[\"set\"][\"elem\"]))'"
expect "element 192.0.2.9 now dropped" timeout sh -c "ip -n $PUB addr add 192.0.2.9/32 dev eth0 && ip netns exec $PUB $peer ask 203.0.113.1 22; ip -n $PUB addr del 192.0.2.9/32 dev eth0" 

# ---- a kernel error maps back to the JSON Pointer ----
expect "kernel error -> JSON Pointer of the rule" "/firewall/input/rules/0: No such file or directory" \
	drv errmap "$dir/intent-base.json"

# ---- the counters as the backend reads them (what `vrouterctl status` shows) ----
counters() { in_ns $R "${vg[@]}" "$driver" counters; }
drv apply "$dir/intent-base.json" >/dev/null 2>&1
counters >"$tmp/c1" 2>"$tmp/err"
check_ping >/dev/null; check_ping >/dev/null
counters >"$tmp/c2" 2>>"$tmp/err"
p1=$(awk '$1 " " $2 == "fw-rule input/0" {print $4}' "$tmp/c1")
p2=$(awk '$1 " " $2 == "fw-rule input/0" {print $4}' "$tmp/c2")
if grep -q '^fw-rule input/0 /firewall/input/rules/0 [0-9]* [0-9]*$' "$tmp/c2" &&
	grep -q '^nat-rule snat/0 /nat/source/0 ' "$tmp/c2" && [ -n "$p1" ] && [ "$p2" -ge $((p1 + 2)) ]; then
	pass "backend counters: fw-rule input/0 at /firewall/input/rules/0 counted $p1 -> $p2 packets"
else
	cp "$tmp/c2" "$tmp/out"; fail "backend counters"
fi
# The always-on rules, the policies' drops, the forwards' and one-to-one entries' connections
# (the table was just made: every counter starts at 0). The entries are named by content here:
# the backend has no pointer of theirs (status takes it from the intent).
in_ns $M $peer ask 192.168.100.1 22 >/dev/null
in_ns $PUB $peer ask 203.0.113.1 5555 >/dev/null        # input policy
in_ns $PUB $peer ask 10.1.1.5 80 >/dev/null             # forward policy
in_ns $PUB $peer ask 203.0.113.11 8001 >/dev/null       # forward 8000-8002
in_ns $PUB $peer ask 203.0.113.11 8002 >/dev/null
in_ns $PUB $peer ask 203.0.113.12 7001 >/dev/null       # one-to-one inbound
in_ns $G $peer ask 203.0.113.100 7000 >/dev/null        # one-to-one outbound
in_ns $G $peer ask 203.0.113.11 8001 >/dev/null         # hairpin (and forward 8000-8002)
counters >"$tmp/c3" 2>>"$tmp/err"
counted() { # NAME...: "NAME PACKETS" of each driver counter line "builtin NAME ..."
	local n
	for n in "$@"; do
		awk -v n="$n" '$1 == "builtin" && $2 == n { p = $4; f = 1 }
			END { print n, (f ? (p > 2 ? "more" : p) : "absent") }' "$tmp/c3"
	done
}
# One SYN each for SSH and the hairpin (the rest of a connection is established); a dropped
# connection's SYN is sent again after 1 s: 2 within the 2 s of `ask`, 3 on a slow run.
expect "built-in counters: ssh, the policies' drops, hairpin" \
	"builtin:input/ssh 1
builtin:srcnat/hairpin 1
builtin:output/policy-drop absent" \
	counted builtin:input/ssh builtin:srcnat/hairpin builtin:output/policy-drop
if [ "$(counted builtin:input/policy-drop builtin:forward/policy-drop | grep -c ' [23]$\| more$')" = 2 ]; then
	pass "built-in counters: the input and forward policies' drops"
else
	cp "$tmp/c3" "$tmp/out"; fail "built-in counters: the policies' drops"
fi
if awk '$2 == "builtin:input/established" && $4 > 0 {f = 1} END {exit !f}' "$tmp/c3" &&
	awk '$2 == "builtin:forward/established" && $4 > 0 {f = 1} END {exit !f}' "$tmp/c3" &&
	awk '$2 == "builtin:forward/nat-open" && $4 >= 4 {f = 1} END {exit !f}' "$tmp/c3"; then
	pass "built-in counters: established (input, forward), what NAT opens"
else
	cp "$tmp/c3" "$tmp/out"; fail "built-in counters: established, nat-open"
fi
# A timeout retries the SYN: at least the connections, each its first packet (and its
# retransmissions, which are new too).
entries=$(awk '$1 == "nat-rule" && $2 !~ /^snat/ { print $2, $3, ($4 >= ($2 ~ /8000/ ? 3 : 2) ? "counted" : $4) }' "$tmp/c3")
expect "port forwards and one-to-one: connections counted, by content" \
	"dnat/public/203.0.113.11/tcp/8000 - counted
dnat/public/203.0.113.11/tcp_udp/80 - 0
one-to-one/203.0.113.12 - counted" echo "$entries"
variant commented 'i["firewall"]["input"]["rules"][0]["comment"] = "ping from anywhere"'
drv apply "$tmp/commented.json" >/dev/null 2>&1
expect "a rule's comment comes with its counter" \
	"fw-rule input/0 /firewall/input/rules/0 ping from anywhere" \
	sh -c "ip netns exec $R '$driver' counters | grep '^fw-rule input/0 ' | cut -d' ' -f1-3,6-"

# ---- port forwards and one-to-one NAT: only map elements change ----
# A forward appended (tcp 7100 -> the server's echo on 7100) carries a TCP stream while the
# other forwards and one-to-one entries change. Each change: one batch of element
# messages only (nft monitor: no table, chain, set or rule; the rules keep their handles),
# read back as applied (the next plan is empty), and the stream through dnat/2 survives all
# of them. (`nft monitor` of elements is not used: nft 1.0.6 crashes on the deletion of an
# element of a concatenated interval set.)
in_ns $SRV $peer echo 7100 &
variant nat-a 'i["nat"]["destination"].append({"in": "public", "destination": "203.0.113.11", "protocol": "tcp", "ports": 7100, "to": "10.1.1.5"})'
# nat-b: + tcp 8100 -> the guest's 7001 (a port map, _pf4)
variant nat-b 'i["nat"]["destination"].append({"in": "public", "destination": "203.0.113.11", "protocol": "tcp", "ports": 7100, "to": "10.1.1.5"}); i["nat"]["destination"].append({"in": "public", "destination": "203.0.113.11", "protocol": "tcp", "ports": 8100, "to": "10.1.1.6", "to_ports": 7001})'
# nat-c: nat-b with the one-to-one entry moved from the guest to the server
variant nat-c 'i["nat"]["destination"].append({"in": "public", "destination": "203.0.113.11", "protocol": "tcp", "ports": 7100, "to": "10.1.1.5"}); i["nat"]["destination"].append({"in": "public", "destination": "203.0.113.11", "protocol": "tcp", "ports": 8100, "to": "10.1.1.6", "to_ports": 7001}); i["nat"]["one_to_one"][0]["private"] = "10.1.1.5"'
# nat-d: nat-c without the forward of 8100
variant nat-d 'i["nat"]["destination"].append({"in": "public", "destination": "203.0.113.11", "protocol": "tcp", "ports": 7100, "to": "10.1.1.5"}); i["nat"]["one_to_one"][0]["private"] = "10.1.1.5"'
# nat-e: nat-d with a forward inserted first (tcp 8200 -> the guest's 7001): keys are the
# forwards' content, not their places, so the others' objects and elements stay as they are.
variant nat-e 'i["nat"]["destination"].insert(0, {"in": "public", "destination": "203.0.113.11", "protocol": "tcp", "ports": 8200, "to": "10.1.1.6", "to_ports": 7001}); i["nat"]["destination"].append({"in": "public", "destination": "203.0.113.11", "protocol": "tcp", "ports": 7100, "to": "10.1.1.5"}); i["nat"]["one_to_one"][0]["private"] = "10.1.1.5"'
drv apply "$dir/intent-base.json" >/dev/null 2>&1
expect "forward appended (base -> nat-a): elements only" "applied 1 nft=1/2/2/0" \
	drv apply "$tmp/nat-a.json"
# the handles of the table's chains, sets and rules, in listing order
handles() { in_ns $R nft -a list table inet vrouter | grep -o '# handle [0-9]*$'; }
handles >"$tmp/handles-before"
secs=8
[ "${VALGRIND:-}" = 1 ] && secs=40
mpids=
for what in tables chains sets rules; do
	in_ns $R timeout $((secs + 60)) nft monitor $what >"$tmp/monitor-$what" 2>&1 &
	mpids="$mpids $!"
done
sleep 0.5
in_ns $PUB $peer stream 203.0.113.11 7100 $secs >"$tmp/stream" 2>&1 &
spid=$!
sleep 0.5
# + _pf4 (its first element with the forward's catalog record), _open4
expect "forward added (nat-b): 2 element messages" "applied 1 nft=1/2/2/0" drv apply "$tmp/nat-b.json"
expect "nat-b read back: nothing to do" "" drv plan "$tmp/nat-b.json"
expect "new forward 8100 -> guest 7001" "port=7001 peer=203.0.113.100" in_ns $PUB $peer ask 203.0.113.11 8100
# _o2od4 (with the entry's record) and _o2os4 replaced (delete + add each)
expect "one-to-one changed (nat-c): 4 element messages" "applied 1 nft=1/4/4/0" \
	drv apply "$tmp/nat-c.json"
expect "nat-c read back: nothing to do" "" drv plan "$tmp/nat-c.json"
expect "one-to-one now reaches the server" "port=80 peer=203.0.113.100" in_ns $PUB $peer ask 203.0.113.12 80
# - _pf4, _open4
expect "forward removed (nat-d): 2 element messages" "applied 1 nft=1/2/2/0" drv apply "$tmp/nat-d.json"
expect "removed forward 8100 no longer forwards" timeout in_ns $PUB $peer ask 203.0.113.11 8100
drv plan "$tmp/nat-e.json" >"$tmp/plan-e"
expect "forward inserted first: one operation, creating it" \
	"create nat-rule dnat/public/203.0.113.11/tcp/8200" cut -d' ' -f1-3 "$tmp/plan-e"
# + 8200: _pf4, _open4
expect "forward inserted first (nat-e): 2 element messages" "applied 1 nft=1/2/2/0" \
	drv apply "$tmp/nat-e.json"
expect "nat-e read back: nothing to do" "" drv plan "$tmp/nat-e.json"
expect "inserted forward 8200 -> guest 7001" "port=7001 peer=203.0.113.100" in_ns $PUB $peer ask 203.0.113.11 8200
expect "renumbered forward 8001 -> 9001" "port=9001 peer=203.0.113.100" in_ns $PUB $peer ask 203.0.113.11 8001
if kill -0 $spid 2>/dev/null; then alive=1; else alive=0; fi
wait $spid
if [ $alive = 1 ] && grep -q '^lines=' "$tmp/stream"; then
	pass "tcp stream through the forward of 7100, open across these changes, survived: $(cat "$tmp/stream")"
else
	cp "$tmp/stream" "$tmp/err"; fail "tcp stream through the forward of 7100 survived (open to the end: $alive)"
fi
# 8200 and 7100 gone (_pf4, _pfr4, _open4 2); the one-to-one entry back (_o2od4 with its
# record, _o2os4: out and in again, 4)
expect "back to the base intent: elements only, 8 messages" "applied 3 nft=1/8/8/0" \
	drv apply "$dir/intent-base.json"
expect "one-to-one back on the guest" "port=7001 peer=203.0.113.100" in_ns $PUB $peer ask 203.0.113.12 7001
kill $mpids 2>/dev/null
wait $mpids 2>/dev/null
cat "$tmp"/monitor-* >"$tmp/err"
if ! grep -v '^# ' "$tmp/err" | grep -q .; then
	pass "nft monitor: no table, chain, set or rule added or deleted across the NAT changes"
else
	fail "nft monitor: no table, chain, set or rule added or deleted across the NAT changes"
fi
handles >"$tmp/handles-after"
if cmp -s "$tmp/handles-before" "$tmp/handles-after"; then
	pass "every chain, set and rule kept its handle ($(grep -c handle "$tmp/handles-after") handles)"
else
	diff -u "$tmp/handles-before" "$tmp/handles-after" >"$tmp/err"; fail "handles kept"
fi

# ---- one engine for many applies (the daemon's case) ----
# After a commit the backend keeps what the table holds; while the ruleset's generation does
# not move, observe takes it from there instead of reading the table back. The same changes
# in one process send the same messages as in a process each, and at the end the kept view
# is what a new backend reads from the kernel.
expect "the NAT changes in one process: same batches, the kept view as read" \
	"applied 0 nft=0/0/0/0
applied 1 nft=1/2/2/0
applied 1 nft=1/2/2/0
applied 1 nft=1/4/4/0
applied 1 nft=1/2/2/0
applied 1 nft=1/2/2/0
applied 3 nft=1/8/8/0
cache: used, 18 objects as read" \
	drv apply --check-cache "$dir/intent-base.json" "$tmp/nat-a.json" "$tmp/nat-b.json" \
	"$tmp/nat-c.json" "$tmp/nat-d.json" "$tmp/nat-e.json" "$dir/intent-base.json"
# Another program changes the table between two applies (an element of the intent's set
# deleted): the generation moved, so the second apply reads the table and puts it back.
coproc DRV { in_ns $R "${vg[@]}" "$driver" apply --pause --check-cache "$dir/intent-base.json" \
	"$dir/intent-base.json" --record "$tmp/record.json" --nft-records "$tmp/nft-records" 2>"$tmp/err"; }
read -r l1 <&"${DRV[0]}"
read -r l2 <&"${DRV[0]}"
in_ns $R nft delete element inet vrouter blocked '{ 192.0.2.7 }'
echo go >&"${DRV[1]}"
read -r l3 <&"${DRV[0]}"
read -r l4 <&"${DRV[0]}"
wait $DRV_PID 2>/dev/null
printf '%s\n' "$l1" "$l2" "$l3" "$l4" >"$tmp/out"
if [ "$l1 / $l2 / $l3" = "applied 0 nft=0/0/0/0 / ready / applied 1 nft=1/2/2/0" ] &&
	[ "${l4%%,*}" = "cache: used" ]; then
	pass "a foreign change between two applies is seen and undone"
else
	fail "a foreign change between two applies is seen and undone"
fi
# Another program's transaction between this apply's observe and its commit: the kernel
# refuses the batch (it was planned against an older generation); nothing changes.
table_json >"$tmp/before.json"
drv apply --foreign "$tmp/nat-a.json" >"$tmp/out" 2>"$tmp/err"
rc=$?
table_json >"$tmp/after.json"
if [ $rc = 2 ] && grep -q "the ruleset changed since it was read" "$tmp/err" &&
	cmp -s "$tmp/before.json" "$tmp/after.json"; then
	pass "a transaction between observe and commit: batch refused (exit 2), table unchanged"
else
	diff -u "$tmp/before.json" "$tmp/after.json" >>"$tmp/err"
	fail "a transaction between observe and commit: batch refused (rc=$rc)"
fi
expect "applied again: elements only" "applied 1 nft=1/2/2/0" drv apply "$tmp/nat-a.json"
drv apply "$dir/intent-base.json" >/dev/null 2>&1

# ---- IPv6: filter, port forward, one-to-one, source NAT, hairpin ----
V6='
i["interfaces"]["public"]["addresses"] += ["2001:db8:1::1/64", "2001:db8:1::11/64", "2001:db8:1::12/64"]
i["interfaces"]["lan"]["addresses"].append("fd00:1::1/64")
i["routes"] = [{"to": "10.50.0.0/16", "via": "203.0.113.100"}, {"to": "fd50::/64", "via": "2001:db8:1::100"}]
i["firewall"]["input"]["rules"].insert(1, {"action": "accept", "protocol": "icmpv6", "icmp_types": ["echo-request"]})
i["nat"]["source"].append({"out": "public", "source": ["fd00:1::/64"], "to": "2001:db8:1::1"})
i["nat"]["destination"].append({"in": "public", "destination": "2001:db8:1::11", "protocol": "tcp", "ports": 8080, "to": "fd00:1::5", "to_ports": 80})
i["nat"]["one_to_one"].append({"interface": "public", "public": "2001:db8:1::12", "private": "fd00:1::6"})
i["vpn"] = {"ipsec": {"to-dc": {"local_address": "203.0.113.1", "remote_address": "203.0.113.100", "psk": "a-long-shared-secret", "local_subnets": ["10.1.1.0/24", "fd00:1::/64"], "remote_subnets": ["10.50.0.0/16", "fd50::/64"]}}}
'
V6FWD='
i["nat"]["destination"].append({"in": "public", "destination": "2001:db8:1::11", "protocol": "tcp", "ports": 8081, "to": "fd00:1::6", "to_ports": 7001})
'
variant v6 "$V6"
variant v6-fwd "$V6$V6FWD"
variant v6-nonat "$V6$V6FWD"'i["vpn"]["ipsec"]["to-dc"]["remote_subnets"] = ["10.51.0.0/16", "fd50::/64"]'
drv apply "$tmp/v6.json" >"$tmp/out" 2>"$tmp/err"
if grep -q '^applied .* nft=1/.*/1$' "$tmp/out"; then pass "IPv6 and IPsec intent applied (table replaced)"; else fail "IPv6 intent applied"; fi
expect "IPv6 intent read back: nothing to do" "" drv plan "$tmp/v6.json"
check_ping6() { in_ns $PUB ping -6 -c1 -W1 2001:db8:1::1 >/dev/null && echo yes || echo no; }
expect "v6 input: icmpv6 echo-request accepted" yes check_ping6
expect "v6 input: tcp 23 rejected with a reset" refused in_ns $PUB $peer ask 2001:db8:1::1 23
expect "v6 input: tcp 5555 dropped by the policy" timeout in_ns $PUB $peer ask 2001:db8:1::1 5555
expect "v6 forward: tcp public->lan dropped by the policy" timeout in_ns $PUB $peer ask fd00:1::5 80
expect "v6 forward: udp public->lan rejected (icmpv6 admin-prohibited)" "error Permission denied" \
	in_ns $PUB $peer udp fd00:1::5 53
expect "v6 port forward [2001:db8:1::11]:8080 -> [fd00:1::5]:80" "port=80 peer=2001:db8:1::100" \
	in_ns $PUB $peer ask 2001:db8:1::11 8080
expect "v6 snat: server seen from outside as 2001:db8:1::1" "port=7000 peer=2001:db8:1::1" \
	in_ns $SRV $peer ask 2001:db8:1::100 7000
expect "v6 one-to-one outbound: fd00:1::6 seen as 2001:db8:1::12" "port=7000 peer=2001:db8:1::12" \
	in_ns $G $peer ask 2001:db8:1::100 7000
expect "v6 one-to-one inbound: 2001:db8:1::12 reaches fd00:1::6" "port=7001 peer=2001:db8:1::100" \
	in_ns $PUB $peer ask 2001:db8:1::12 7001
expect "v6 hairpin: guest -> forwarded public address" "port=80 peer=fd00:1::1" \
	in_ns $G $peer ask 2001:db8:1::11 8080
expect "IPv4 still forwarded beside IPv6" "port=9001 peer=203.0.113.100" in_ns $PUB $peer ask 203.0.113.11 8001
# + _pf6 (with the record), _open6
expect "v6 forward added: 2 element messages" "applied 1 nft=1/2/2/0" drv apply "$tmp/v6-fwd.json"
expect "v6 new forward 8081 -> [fd00:1::6]:7001" "port=7001 peer=2001:db8:1::100" \
	in_ns $PUB $peer ask 2001:db8:1::11 8081

# ---- IPsec: traffic between a tunnel's local and remote subnets is not source-NATed ----
expect "ipsec exemption: server -> 10.50.0.1 keeps its address" "port=7000 peer=10.1.1.5" \
	in_ns $SRV $peer ask 10.50.0.1 7000
expect "ipsec exemption: one-to-one guest -> 10.50.0.1 keeps its address" "port=7000 peer=10.1.1.6" \
	in_ns $G $peer ask 10.50.0.1 7000
expect "ipsec exemption: server -> fd50::1 keeps its address" "port=7000 peer=fd00:1::5" \
	in_ns $SRV $peer ask fd50::1 7000
expect "ipsec exemption: one-to-one guest -> fd50::1 keeps its address" "port=7000 peer=fd00:1::6" \
	in_ns $G $peer ask fd50::1 7000
expect "outside the tunnel's subnets the same server is SNATed" "port=7000 peer=203.0.113.1" \
	in_ns $SRV $peer ask 203.0.113.100 7000
# the tunnel's file changes (one operation); in nftables one _nonat4 element out, one in
expect "tunnel's remote subnet changed: elements only" "applied 1 nft=1/2/2/0" \
	drv apply "$tmp/v6-nonat.json"
expect "10.50.0.0/16 no longer exempt: SNATed" "port=7000 peer=203.0.113.1" \
	in_ns $SRV $peer ask 10.50.0.1 7000
expect "fd50::/64 still exempt" "port=7000 peer=fd00:1::5" in_ns $SRV $peer ask fd50::1 7000

# ---- the router's own services, admitted without a rule ----
# IKE and ESP to the IPsec tunnel's local address, VRRP on the groups' interfaces (multicast
# on lan, v4 and v6; unicast from the peer on public), conntrackd's sync from the peer on
# mgmt, and WireGuard's listen port when the kernel has WireGuard links; input policy drop
# and a first rule that drops all UDP, which they come before. With an output policy of
# drop, the same services leave the router and others do not.
ADMIT='
i["interfaces"]["lan"]["addresses"].append("fd00:1::1/64")
i["firewall"]["input"]["rules"].insert(0, {"action": "drop", "protocol": "udp"})
i["vpn"] = {"ipsec": {"to-dc": {"local_address": "203.0.113.1", "remote_address": "203.0.113.100", "psk": "a-long-shared-secret", "local_subnets": ["10.1.1.0/24"], "remote_subnets": ["10.50.0.0/16"]}}}
i["vrrp"] = {"groups": {
  "lan": {"interface": "lan", "vrid": 1, "virtual_addresses": ["10.1.1.254/24"]},
  "lan6": {"interface": "lan", "vrid": 2, "virtual_addresses": ["fd00:1::fe/64"]},
  "public": {"interface": "public", "vrid": 3, "virtual_addresses": ["203.0.113.20/24"], "unicast_peers": ["203.0.113.100"]}},
  "sync": {"interface": "mgmt", "peer": "192.168.100.2"}}
'
wg=no
if ip -n $R link add wgprobe type wireguard 2>/dev/null; then
	ip -n $R link del wgprobe
	wg=yes
	ADMIT="$ADMIT"'
i["vpn"]["wireguard"] = {"wg0": {"private_key": "oK56DE9Ue9zK76rAc8pBl6opph+1v36lm7cXXsQKrQM=", "listen_port": 51820, "addresses": ["10.99.0.1/24"]}}
'
fi
variant admit "$ADMIT"
variant admit-out "$ADMIT"'i["firewall"]["output"] = {"policy": "drop"}'
drv apply "$tmp/admit.json" >"$tmp/out" 2>"$tmp/err"
if grep -q '^applied .* nft=1/.*/1$' "$tmp/out"; then pass "IPsec, VRRP and sync intent applied"; else fail "IPsec, VRRP and sync intent applied"; fi
expect "read back: nothing to do" "" drv plan "$tmp/admit.json"
in_ns $R $peer udpecho 500 4500 501 3780 3781 51820 51821 &
in_ns $M $peer udpecho 3780 3781 &
in_ns $R $peer rawlisten 50 "$tmp/esp" public &
in_ns $R $peer rawlisten 112 "$tmp/vrrp" lan public &
ip -n $PUB addr add 203.0.113.101/24 dev eth0
ip -n $M addr add 192.168.100.3/24 dev eth0
sleep 1
# seen FILE TOKEN: whether the listener wrote TOKEN within a second
seen() {
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		grep -q "^$2 " "$1" 2>/dev/null && { echo yes; return; }
		sleep 0.1
	done
	echo no
}
# raw DEST PROTO TOKEN SRC|- IFNAME|- FROM-NS FILE: sends, then whether it was seen
raw() {
	local dev=$5
	[ "$dev" = - ] && dev=
	in_ns $6 $peer rawsend $1 $2 $3 $4 $dev >/dev/null
	seen "$7" $3
}
expect "IKE: udp 500 to the tunnel's local address" reply in_ns $PUB $peer udp 203.0.113.1 500
expect "IKE: udp 4500 (NAT traversal) to it" reply in_ns $PUB $peer udp 203.0.113.1 4500
expect "udp 501 to it: dropped" timeout in_ns $PUB $peer udp 203.0.113.1 501
expect "udp 500 to another address of the router: dropped" timeout \
	in_ns $PUB $peer udp 203.0.113.11 500
expect "ESP to the tunnel's local address" yes raw 203.0.113.1 50 esp1 - - $PUB "$tmp/esp"
expect "ESP to another address of the router: dropped" no \
	raw 203.0.113.11 50 esp2 - - $PUB "$tmp/esp"
expect "VRRP to 224.0.0.18 on lan" yes raw 224.0.0.18 112 vrrp1 - eth0 $G "$tmp/vrrp"
expect "VRRP to ff02::12 on lan" yes raw ff02::12 112 vrrp2 - eth0 $G "$tmp/vrrp"
expect "VRRP from the unicast peer on public" yes \
	raw 203.0.113.1 112 vrrp3 203.0.113.100 - $PUB "$tmp/vrrp"
expect "VRRP from another host on public: dropped" no \
	raw 203.0.113.1 112 vrrp4 203.0.113.101 - $PUB "$tmp/vrrp"
expect "VRRP to 224.0.0.18 on public (a unicast group), not from the peer: dropped" no \
	raw 224.0.0.18 112 vrrp5 203.0.113.101 eth0 $PUB "$tmp/vrrp"
expect "sync: udp 3780 from the peer on mgmt" reply in_ns $M $peer udp 192.168.100.1 3780
expect "sync: udp 3781 from the peer: dropped" timeout in_ns $M $peer udp 192.168.100.1 3781
expect "sync: udp 3780 from another address: dropped" timeout \
	in_ns $M $peer udp 192.168.100.1 3780 192.168.100.3
if [ $wg = yes ]; then
	expect "WireGuard: udp 51820 to any address" reply in_ns $PUB $peer udp 203.0.113.11 51820
	expect "udp 51821: dropped" timeout in_ns $PUB $peer udp 203.0.113.11 51821
else
	echo "skip: WireGuard port admission in traffic (the kernel has no wireguard links; the compiler's unit test covers it)"
fi
drv apply "$tmp/admit-out.json" >"$tmp/out" 2>"$tmp/err"
if grep -q '^applied 1 nft=1/.*/1$' "$tmp/out"; then pass "output policy drop applied"; else fail "output policy drop applied"; fi
expect "output: sync to the peer" reply in_ns $R $peer udp 192.168.100.2 3780
expect "output: udp 3781 to the peer: dropped" "error Operation not permitted" \
	in_ns $R $peer udp 192.168.100.2 3781
expect "output: VRRP to 224.0.0.18 on lan" sent in_ns $R $peer rawsend 224.0.0.18 112 x - lan
expect "output: VRRP to 224.0.0.18 on mgmt: dropped" "error Operation not permitted" \
	in_ns $R $peer rawsend 224.0.0.18 112 x - mgmt
expect "output: ESP from the tunnel's local address" sent \
	in_ns $R $peer rawsend 203.0.113.100 50 x 203.0.113.1
expect "output: ESP from another address: dropped" "error Operation not permitted" \
	in_ns $R $peer rawsend 203.0.113.100 50 x 203.0.113.11

# ---- access lists as verdict maps (nft-compile-acl.c) ----
# Input rules 0-3 are disjoint (sources) and of one shape, with the same input interface and
# protocol: one verdict map keyed by source and port. Rule 4 overlaps rule 0 (203.0.113.100 is in
# 203.0.113.0/24): it must stay after the map, a rule of its own, so that rule 0 decides.
acl='i["firewall"]["input"]["rules"][0:0] = [
 {"action": "drop", "in": "public", "source": ["203.0.113.100/32"], "protocol": "tcp", "ports": [5555], "comment": "acl zero"},
 {"action": "accept", "in": "public", "source": ["198.18.0.0/16"], "protocol": "tcp", "ports": [5555]},
 {"action": "accept", "in": "public", "source": ["198.19.0.0/16", "198.20.0.0/16"], "protocol": "tcp", "ports": [22, "5000-5999"]},
 {"action": "reject", "in": "public", "source": ["198.21.0.0/16"], "protocol": "tcp", "ports": ["1-100"]},
 {"action": "accept", "in": "public", "source": ["203.0.113.0/24"], "protocol": "tcp", "ports": [5555]}]'
variant acl "$acl"
variant acl-accept "$acl"'; i["firewall"]["input"]["rules"][0]["action"] = "accept"'
variant acl-reject "$acl"'; i["firewall"]["input"]["rules"][0]["action"] = "reject"'
variant acl-port "$acl"'; i["firewall"]["input"]["rules"][1]["ports"] = [5556]'
variant acl-range "$acl"'; i["firewall"]["input"]["rules"][0]["ports"] = ["5555-5556"]'
drv apply "$tmp/acl.json" >"$tmp/out" 2>"$tmp/err"
if grep -q '^applied .* nft=1/.*/1$' "$tmp/out"; then pass "access list applied"; else fail "access list applied"; fi
# Rule 0's only element is a single key (a /32 and one port): a hash map of its own; rules
# 1-3 have prefixes and ranges: a map of concatenated intervals (the kernel's pipapo).
acl_maps='
import json, sys
out = []
for x in json.load(sys.stdin)["nftables"]:
    m = x.get("map")
    if m and m["name"].startswith("_aclinput_"):
        e = m["elem"]
        kind = "interval" if "interval" in m.get("flags", []) else "hash"
        out.append(" ".join([m["name"], str(len(e)), kind] + sorted(set(list(v[1].keys())[0] for v in e))))
print("; ".join(sorted(out)))'
expect "access list: rules 0-3 are two maps, 1 exact element and 6 intervals" \
	"_aclinput_0 1 hash drop; _aclinput_1 6 interval accept goto" \
	sh -c "ip netns exec $R nft -j list table inet vrouter | python3 -c '$acl_maps'"
expect "access list: the overlapping rule 4 stays a rule" 1 \
	sh -c "ip netns exec $R nft list chain inet vrouter input | grep -c 'fw-rule input/4 '"
expect "access list: tcp 5555 dropped by rule 0 (in the map), not accepted by rule 4" timeout \
	in_ns $PUB $peer ask 203.0.113.1 5555
expect "access list read back: nothing to do" "" drv plan "$tmp/acl.json"
acl_counter() { # the driver's counter line of rule $1, its packets as yes/no
	in_ns $R "${vg[@]}" "$driver" counters |
		awk -v t="$1" '$1 " " $2 == t { print $1, $2, $3, ($4 > 0 ? "yes" : "no"), $6, $7 }'
}
expect "access list: rule 0 counted, with its pointer and comment" \
	"fw-rule input/0 /firewall/input/rules/0 yes acl zero" acl_counter "fw-rule input/0"
# A rule changed: its element out and in (with the rule's catalog record, which it carries).
expect "access list: rule 0 to accept: elements only" "applied 1 nft=1/2/2/0" \
	drv apply "$tmp/acl-accept.json"
expect "access list: tcp 5555 now accepted by rule 0" "port=5555 peer=203.0.113.100" \
	in_ns $PUB $peer ask 203.0.113.1 5555
expect "access list: rule 0 to reject: elements only" "applied 1 nft=1/2/2/0" \
	drv apply "$tmp/acl-reject.json"
expect "access list: tcp 5555 now rejected with a reset" refused \
	in_ns $PUB $peer ask 203.0.113.1 5555
expect "access list: rule 0 back to drop, rule 1's port changed: elements only" \
	"applied 2 nft=1/4/4/0" drv apply "$tmp/acl-port.json"
expect "access list changed read back: nothing to do" "" drv plan "$tmp/acl-port.json"
expect "access list: tcp 5555 dropped by rule 0 again" timeout in_ns $PUB $peer ask 203.0.113.1 5555
# Rule 0 with a port range: no single keys left, the hash map goes and the run is one map of
# intervals (a new table structure: the whole table replaced in the one transaction).
drv apply "$tmp/acl-range.json" >"$tmp/out" 2>"$tmp/err"
if grep -q '^applied .* nft=1/' "$tmp/out"; then pass "access list: rule 0 to a range applied"; else fail "access list: rule 0 to a range applied: $(cat "$tmp/out" "$tmp/err")"; fi
expect "access list: one map of intervals left" "_aclinput_0 7 interval accept drop goto" \
	sh -c "ip netns exec $R nft -j list table inet vrouter | python3 -c '$acl_maps'"
expect "access list: tcp 5555 still dropped by rule 0, now an interval" timeout \
	in_ns $PUB $peer ask 203.0.113.1 5555
expect "access list with a range read back: nothing to do" "" drv plan "$tmp/acl-range.json"

# ---- access lists of the forward chain: a dispatch on the interface pair ----
# Forward rules 0-3 are one run of two interface pairs, each with a tcp and a udp map: one
# `iifname . oifname vmap` jumps to the pair's chain of maps. Rule 4 overlaps rule 0 and stays
# a rule after the run: a packet that no map element of its pair matches comes back from the
# pair's chain and meets it.
fwd='i["firewall"]["forward"]["rules"][0:0] = [
 {"action": "drop", "in": "public", "out": "lan", "source": ["203.0.113.100/32"], "protocol": "tcp", "ports": [9000], "comment": "pair zero"},
 {"action": "accept", "in": "public", "out": "lan", "source": ["198.18.0.0/16"], "protocol": "udp", "ports": [9000]},
 {"action": "accept", "in": "lan", "out": "public", "source": ["10.1.1.5/32"], "protocol": "tcp", "ports": [7000]},
 {"action": "accept", "in": "lan", "out": "public", "source": ["10.1.1.6/32"], "protocol": "udp", "ports": [7000]},
 {"action": "accept", "in": "public", "out": "lan", "source": ["203.0.113.0/24"], "protocol": "tcp", "ports": ["9000-9001"]}]'
variant fwd-pairs "$fwd"
drv apply "$tmp/fwd-pairs.json" >"$tmp/out" 2>"$tmp/err"
if grep -q '^applied .* nft=1/' "$tmp/out"; then pass "forward access list applied"; else fail "forward access list applied"; fi
pairs='
import json, sys
for x in json.load(sys.stdin)["nftables"]:
    m = x.get("map")
    if m and m["name"].startswith("_pairsforward_"):
        print(" ".join(sorted("%s.%s:%s" % (e[0]["concat"][0], e[0]["concat"][1], e[1]["jump"]["target"])
                              for e in m["elem"])))'
expect "forward access list: one dispatch map, a chain per pair" \
	"lan.public:_forward_2 public.lan:_forward_1" \
	sh -c "ip netns exec $R nft -j list table inet vrouter | python3 -c '$pairs'"
expect "forward access list: tcp 9000 dropped by rule 0 (in its pair's map), not accepted by rule 4" \
	timeout in_ns $PUB $peer ask 10.1.1.5 9000
expect "forward access list: tcp 9001 back from the pair's chain, accepted by rule 4" \
	"port=9001 peer=203.0.113.100" in_ns $PUB $peer ask 10.1.1.5 9001
expect "forward access list: server -> public tcp 7000 accepted by rule 2 (the other pair)" \
	"port=7000 peer=203.0.113.1" in_ns $SRV $peer ask 203.0.113.100 7000
expect "forward access list: rule 0 counted, with its pointer and comment" \
	"fw-rule forward/0 /firewall/forward/rules/0 yes pair zero" acl_counter "fw-rule forward/0"
expect "forward access list read back: nothing to do" "" drv plan "$tmp/fwd-pairs.json"

echo "passed: $passed, failed: $failed"
[ $failed = 0 ]
