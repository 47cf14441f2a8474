#!/bin/bash
# Atomic apply against the real kernel: a failure at each step of a plan (the N-th operation
# fails, for every N) exits 2 and leaves `ip -j link`, `ip -j addr`, `ip -j route` (v4 and v6)
# and the hostname exactly as before; then the whole plan applies, a second apply is zero
# operations, and foreign addresses and routes survive.
#
# Usage: fault-inject.sh ENGINE-DRIVER INTENT
# Runs in network and UTS namespaces it makes for itself (unshare); its veth pairs live there.
set -u
driver=$(realpath "${1:?usage: fault-inject.sh ENGINE-DRIVER INTENT}")
intent=$(realpath "$2")

. "$(dirname "$0")/../lib/netns.sh"
vr_own_namespaces VRTEST_ENGINE_NS "$0" "$driver" "$intent"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { # NAME CMD...
	local name=$1
	shift
	if "$@" >"$tmp/out" 2>&1; then
		pass=$((pass + 1))
		echo "ok $name"
	else
		fail=$((fail + 1))
		echo "FAIL $name"
		sed 's/^/    /' "$tmp/out"
	fi
}

# The router's state as the agent must restore it. Left out, because the kernel changes them
# on its own and no apply can take them back: the default qdisc a link gets the first time it
# is up, the IPv6 link-local address (and its route) the kernel makes for a link that is up,
# and IPv4 address labels, which the kernel rewrites ("eth0:2") whenever a link is renamed and
# does not change on a replace.
state() {
	local kernel_made='walk(if type == "object" then del(.qdisc, .label) else . end)
		| map(if .addr_info then .addr_info |= map(select(.local | startswith("fe80:") | not))
		      else . end)'
	ip -j link show | jq -S "$kernel_made"
	ip -j addr show | jq -S "$kernel_made"
	ip -j route show table main | jq -S .
	ip -j -6 route show table main | jq -S 'map(select(.dst | startswith("fe80:") | not))'
	hostname
}

# A router as a hypervisor hands it over: four NICs (veth ends eth0..eth3; their peers, up so
# that the NICs have a carrier, on the other side of the wire in a namespace of their own), the
# management address already set by the boot, one foreign address and one foreign route that
# the agent must leave alone.
hostname boot
unshare --net sleep 600 &
wire=$!
trap 'kill $wire; rm -rf "$tmp"' EXIT
sleep 0.2
for i in 1 2 3 4; do
	ip link add eth$((i - 1)) address 52:54:00:00:0e:0$i type veth peer name peer$i
	ip link set peer$i netns $wire
	nsenter --net=/proc/$wire/ns/net ip link set peer$i up
done
ip link set eth0 up
ip addr add 169.254.3.10/16 dev eth0
ip addr add 192.0.2.7/24 dev eth0
ip route add 192.0.2.128/25 via 192.0.2.1 proto static

echo '{}' >"$tmp/record.json"
state >"$tmp/before"
n=1
while :; do
	"$driver" "$intent" "$tmp/record.json" --fail-at $n >"$tmp/result" 2>&1
	rc=$?
	[ $rc -eq 0 ] && break
	if [ $rc -ne 2 ] || ! grep -q "injected fault" "$tmp/result"; then
		echo "FAIL step $n: exit $rc"
		sed 's/^/    /' "$tmp/result"
		fail=$((fail + 1))
		break
	fi
	state >"$tmp/now"
	if diff -u "$tmp/before" "$tmp/now" >"$tmp/diff" && grep -q "undo_failed=0" "$tmp/result"; then
		pass=$((pass + 1))
	else
		echo "FAIL failure at step $n did not restore the router:"
		sed 's/^/    /' "$tmp/result" "$tmp/diff"
		fail=$((fail + 1))
	fi
	n=$((n + 1))
	[ $n -le 200 ] || { echo "FAIL the plan never completes"; fail=$((fail + 1)); break; }
done
steps=$(sed -n 's/.*changes=\([0-9]*\).*/\1/p' "$tmp/result")
echo "ok a failure at each of the $((n - 1)) steps exited 2 and left the router as before"
check "the plan has more than 20 steps (a long plan)" test "${steps:-0}" -gt 20
check "the full apply went through ($steps operations)" grep -q "status=applied" "$tmp/result"
check "links renamed by MAC" ip link show web
check "the second apply is zero operations" \
	bash -c "'$driver' '$intent' '$tmp/record.json' | grep -q 'status=applied changes=0 '"
check "the hostname is the intent's" test "$(hostname)" = r-fault
check "the web MTU is 1450" bash -c "ip -j link show web | grep -q '\"mtu\":1450'"
check "routes carry the vrouter protocol" bash -c "ip route show 10.9.0.0/16 | grep -q 'proto 86'"
check "the foreign address survives" bash -c "ip addr show mgmt | grep -q 192.0.2.7/24"
check "the foreign route survives" bash -c "ip route show 192.0.2.128/25 | grep -q 'proto static'"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
