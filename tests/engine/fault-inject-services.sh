#!/bin/bash
# Atomic apply across the kernel, nftables and the services: a plan that changes addresses,
# routes, the firewall and dnsmasq (a restart and a reservation) fails at each of its steps in
# turn (each operation, each backend's check, each backend's commit: engine-driver --services
# --fail-at N), exits 2 and leaves the router exactly as before: `ip -j` links, addresses and
# routes, the nftables ruleset, dnsmasq's files and the same dnsmasq process. Then the plan
# applies, and a second apply is zero operations.
#
# Usage: fault-inject-services.sh ENGINE-DRIVER
# Runs in network and UTS namespaces it makes for itself (unshare).
set -u
driver=$(realpath "${1:?usage: fault-inject-services.sh ENGINE-DRIVER}")
command -v dnsmasq >/dev/null || { echo "skip: dnsmasq is not installed"; exit 77; }

. "$(dirname "$0")/../lib/netns.sh"
vr_own_namespaces VRTEST_ENGINE_SVC_NS "$0" "$driver"

tmp=$(mktemp -d)
chmod 755 "$tmp" # dnsmasq reads its directories after dropping its privileges
wire=
dnsmasq_pid() { cat "$tmp/state/services/dnsmasq.pid" 2>/dev/null; }
cleanup() {
	local p
	p=$(dnsmasq_pid)
	# Only this test's dnsmasq: its command line names this test's files.
	[ -n "$p" ] && grep -qa "$tmp/etc" "/proc/$p/cmdline" 2>/dev/null && kill "$p"
	[ -n "$wire" ] && kill "$wire"
	rm -rf "$tmp"
}
trap cleanup EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok $1"; }
ko() { fail=$((fail + 1)); echo "FAIL $1"; }

hostname boot
unshare --net sleep 600 &
wire=$!
sleep 0.2
for i in 1 2 3; do
	ip link add eth$((i - 1)) address 52:54:00:00:0f:0$i type veth peer name peer$i
	ip link set peer$i netns $wire
	nsenter --net=/proc/$wire/ns/net ip link set peer$i up
done

intent() { # GENERATION LEASE EXTRA-ADDRESS EXTRA-ROUTE RULE-PORT EXTRA-HOST
	cat <<JSON
{"version": 1, "generation": $1, "hostname": "r-fault-svc",
 "interfaces": {
   "mgmt": {"mac": "52:54:00:00:0f:01", "addresses": ["169.254.4.10/16"], "management": true},
   "lan": {"mac": "52:54:00:00:0f:02", "addresses": ["10.50.0.1/24"$3]},
   "up": {"mac": "52:54:00:00:0f:03", "addresses": ["203.0.113.50/24"]}},
 "routes": [{"to": "0.0.0.0/0", "via": "203.0.113.1"}$4],
 "firewall": {"input": {"policy": "drop", "rules": [
   {"action": "accept", "in": "lan", "protocol": "tcp", "ports": [$5]}]}},
 "dhcp": {"lan": {"ranges": [{"start": "10.50.0.100", "end": "10.50.0.199"}],
   "lease_seconds": $2, "domain": "lan.test",
   "hosts": {"a": {"mac": "02:00:00:00:0f:0a", "address": "10.50.0.10"}$6}}},
 "dns": {"records": {"www.lan.test": ["10.50.0.80"]}}}
JSON
}
intent 1 3600 "" "" 22 "" >"$tmp/base.json"
intent 2 600 ', "10.51.0.1/24"' ', {"to": "10.9.0.0/16", "via": "10.50.0.254"}' 443 \
	', "b": {"mac": "02:00:00:00:0f:0b", "address": "10.50.0.11"}' >"$tmp/next.json"

# ENGINE_DRIVER_WRAPPER: a command to run the driver under (valgrind).
run() { ${ENGINE_DRIVER_WRAPPER:-} "$driver" "$1" --services "$tmp/etc" "$tmp/state" "${@:2}"; }
state() {
	local kernel_made='walk(if type == "object" then del(.qdisc, .label) else . end)
		| map(if .addr_info then .addr_info |= map(select(.local | startswith("fe80:") | not))
		      else . end)'
	ip -j link show | jq -S "$kernel_made"
	ip -j addr show | jq -S "$kernel_made"
	ip -j route show table main | jq -S .
	ip -j -6 route show table main | jq -S 'map(select(.dst | startswith("fe80:") | not))'
	hostname
	nft -s list ruleset
	(cd "$tmp/etc" && find . -type f -exec sha1sum {} + | sort)
	echo "dnsmasq $(dnsmasq_pid) $(tr '\0' ' ' <"/proc/$(dnsmasq_pid)/cmdline" 2>/dev/null)"
}

run "$tmp/base.json" >"$tmp/result" 2>&1 && ok "the first intent applies" ||
	{ ko "the first intent: $(cat "$tmp/result")"; exit 1; }
pid0=$(dnsmasq_pid)
[ -n "$pid0" ] && [ -d "/proc/$pid0" ] && ok "dnsmasq runs ($pid0)" || ko "no dnsmasq"
state >"$tmp/before"
n=1
while :; do
	run "$tmp/next.json" --after "$tmp/base.json" --fail-at $n >"$tmp/result" 2>&1
	rc=$?
	[ $rc -eq 0 ] && break
	if [ $rc -ne 2 ] || ! grep -q "injected fault" "$tmp/result"; then
		ko "step $n: exit $rc"
		sed 's/^/    /' "$tmp/result"
		break
	fi
	state >"$tmp/now"
	if diff -u "$tmp/before" "$tmp/now" >"$tmp/diff" && grep -q "undo_failed=0" "$tmp/result"; then
		pass=$((pass + 1))
	else
		ko "a failure at step $n did not restore the router:"
		sed 's/^/    /' "$tmp/result" "$tmp/diff"
	fi
	n=$((n + 1))
	[ $n -le 200 ] || { ko "the plan never completes"; break; }
done
echo "ok a failure at each of the $((n - 1)) steps exited 2 and left the router as before"
grep -q "status=applied" "$tmp/result" && ok "the whole plan applies" || ko "$(cat "$tmp/result")"
[ "$n" -gt 12 ] && ok "the plan has operations, checks and commits ($((n - 1)) steps)" || ko "only $n steps"
pid1=$(dnsmasq_pid)
[ -n "$pid1" ] && [ "$pid1" != "$pid0" ] && grep -q 'dhcp-range=.*,600$' "$tmp/etc/dnsmasq/vrouter.conf" &&
	ok "dnsmasq restarted with the new lease time ($pid1)" || ko "dnsmasq: $pid0 -> $pid1"
grep -q "^02:00:00:00:0f:0b,10.50.0.11,b$" "$tmp/etc/dnsmasq/hosts/lan" && ok "the new reservation in its pool's file" || ko "no reservation b in hosts/lan"
nft list chain inet vrouter input | grep -q 'tcp dport 443' && ok "the new rule" || ko "no new rule"
run "$tmp/next.json" | grep -q 'status=applied changes=0 ' && ok "the second apply is zero operations" ||
	ko "second apply: $(run "$tmp/next.json")"
[ "$(dnsmasq_pid)" = "$pid1" ] && ok "and leaves dnsmasq alone" || ko "dnsmasq changed"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
