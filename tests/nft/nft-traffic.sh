#!/bin/bash
# The nftables backend against the real kernel with real traffic: one transaction per apply,
# the table read back (a second apply changes nothing), accept/drop/reject as clients see
# them, port forwards, SNAT, one-to-one NAT, hairpin, counters, SSH to the management
# interface, a TCP stream across 20 applies, a failed apply leaving the ruleset as it was,
# element-only batches, and kernel errors mapped to JSON Pointers.
#
# Usage: nft-traffic.sh NFT-DRIVER TESTDIR
#
# Every namespace is made by the script (ip netns add vrnft-PID-*) and removed on exit;
# traffic runs only between them. Exit 77 only when namespaces cannot be made (not root) or
# nft/python3 are missing. VALGRIND=1 runs the driver under valgrind (leaks are errors).
# UPDATE_GOLDEN=1 rewrites golden-base.json.
set -u
driver=$(realpath "${1:?usage: nft-traffic.sh NFT-DRIVER TESTDIR}")
dir=$(realpath "${2:?usage: nft-traffic.sh NFT-DRIVER TESTDIR}")
peer="python3 $dir/peer.py"

command -v nft >/dev/null && command -v python3 >/dev/null || { echo "skip: needs nft, python3"; exit 77; }
P=vrnft-$$
if ! ip netns add $P-probe 2>/dev/null; then
	echo "skip: cannot make network namespaces (needs root)"
	exit 77
fi
ip netns del $P-probe

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

# router (R): public -- PUB (the Internet), lan -- a bridge in SW with SRV and G, mgmt -- M
for ns in $NSLIST; do ip netns add $ns && ip -n $ns link set lo up || exit 1; done
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
ip netns exec $R sysctl -qw net.ipv4.ip_forward=1
host() { # NS ADDRESS GATEWAY
	ip -n $1 link set eth0 up && ip -n $1 addr add $2 dev eth0 && ip -n $1 route add default via $3
}
host $PUB 203.0.113.100/24 203.0.113.1
host $SRV 10.1.1.5/24 10.1.1.1
host $G 10.1.1.6/24 10.1.1.1
host $M 192.168.100.2/24 192.168.100.1
ip -n $PUB route add 10.1.1.0/24 via 203.0.113.1 # to see what the forward chain does

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
drv() { in_ns $R "${vg[@]}" "$driver" "$@"; }

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
table_json() {
	in_ns $R nft -j list table inet vrouter | python3 -c '
import json, sys
def norm(v):
    if isinstance(v, dict):
        v.pop("handle", None)
        if "counter" in v and isinstance(v["counter"], dict):
            v["counter"] = {"packets": 0, "bytes": 0}
        return {k: norm(x) for k, x in v.items()}
    if isinstance(v, list):
        return [norm(x) for x in v if not (isinstance(x, dict) and "metainfo" in x)]
    return v
print(json.dumps(norm(json.load(sys.stdin)), indent=1, sort_keys=True))'
}

# ---- the first apply: one transaction, read back, golden ----
expect "first apply: one batch replacing the table" "applied 26 nft=1/64/13/1" \
	drv apply "$dir/intent-base.json"
expect "second plan: nothing to do" "" drv plan "$dir/intent-base.json"
expect "second apply: no batch" "applied 0 nft=0/0/0/0" drv apply "$dir/intent-base.json"
table_json >"$tmp/table.json"
if [ "${UPDATE_GOLDEN:-}" = 1 ]; then cp "$tmp/table.json" "$dir/golden-base.json"; fi
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
counter() { # the packets of the (last) kernel rule tagged $1
	in_ns $R nft -j list chain inet vrouter "$2" | python3 -c '
import json, sys
n = 0
for x in json.load(sys.stdin)["nftables"]:
    r = x.get("rule")
    if r and r.get("comment") == sys.argv[1]:
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
expect "apply: input drops everything, ssh on mgmt too" "applied 5 nft=1/66/13/1" drv apply "$tmp/nossh.json"
expect "ssh to the management interface still accepted" "port=22 peer=192.168.100.2" \
	in_ns $M $peer ask 192.168.100.1 22
expect "ping now dropped" no check_ping
expect "back to the base intent" "applied 5 nft=1/64/13/1" drv apply "$dir/intent-base.json"

# ---- a TCP stream across 20 applies that change unrelated rules ----
in_ns $SRV $peer stream 203.0.113.100 7100 6 >"$tmp/stream" 2>&1 &
spid=$!
sleep 0.5
ok=1
for n in $(seq 1 20); do
	variant v$n "i['firewall']['input']['rules'].append({'action': 'accept', 'protocol': 'udp', 'ports': [$((10000 + n))], 'comment': 'n$n'})"
	drv apply "$tmp/v$n.json" >"$tmp/out" 2>"$tmp/err" || ok=0
	grep -q "nft=1/.*/1$" "$tmp/out" || ok=0
done
if [ $ok = 1 ]; then pass "20 applies, each replacing the table"; else fail "20 applies"; fi
wait $spid
if grep -q '^lines=' "$tmp/stream"; then pass "tcp stream survived: $(cat "$tmp/stream")"; else
	cp "$tmp/stream" "$tmp/err"; fail "tcp stream survived"; fi

# ---- a failed apply leaves the ruleset and the addresses unchanged ----
drv apply "$dir/intent-base.json" >/dev/null 2>&1
table_json >"$tmp/before.json"
in_ns $R ip -br addr >"$tmp/addr-before"
variant failing 'i["firewall"]["input"]["rules"].pop(0); i["interfaces"]["lan"]["addresses"].append("10.1.2.1/24"); i["firewall"]["sets"]["blocked"]["elements"].append("192.0.2.99")'
drv apply --fail "$tmp/failing.json" >"$tmp/out" 2>"$tmp/err"
rc=$?
table_json >"$tmp/after.json"
in_ns $R ip -br addr >"$tmp/addr-after"
if [ $rc = 2 ] && grep -q "injected failure" "$tmp/err" && cmp -s "$tmp/before.json" "$tmp/after.json" &&
	cmp -s "$tmp/addr-before" "$tmp/addr-after"; then
	pass "failed apply (exit 2): ruleset and addresses unchanged"
else
	diff -u "$tmp/before.json" "$tmp/after.json" >>"$tmp/err"; fail "failed apply leaves everything unchanged (rc=$rc)"
fi

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

echo "passed: $passed, failed: $failed"
[ $failed = 0 ]
