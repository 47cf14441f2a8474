#!/bin/bash
# The kernel backend against the real kernel: observe, every kind of operation, foreign
# objects, kernel errors, exact undo through op_inverse, renames of up links, a whole plan and
# its second apply, and the cost of observing 2,000 routes.
#
# Usage: kernel-backend.sh KERNEL-DRIVER
#
# Everything runs in a network and UTS namespace that the script makes for itself (unshare)
# and that disappears with it; the veth pairs are made inside it and nothing is sent anywhere.
# Exit 77 only when namespaces cannot be made (not root). The WireGuard cases are skipped, and
# say so, when the kernel has no WireGuard. VALGRIND=1 runs the driver under valgrind too.
set -u
driver=$(realpath "${1:?usage: kernel-backend.sh KERNEL-DRIVER}")

. "$(dirname "$0")/../lib/netns.sh"
vr_own_namespaces VRTEST_KERNEL_NS "$0" "$driver"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

pass() {
	passed=$((passed + 1))
	echo "ok: $1"
}

fail() {
	failed=$((failed + 1))
	echo "FAIL: $1"
	[ -s "$tmp/err" ] && sed 's/^/  | /' "$tmp/err"
}

# check NAME COMMAND...: passes when the command succeeds.
check() {
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

drv() {
	"$driver" "$@" 2>"$tmp/err"
}

# One route per line, sorted: routes to one destination through several links come in the
# kernel's order, which changes when a link comes back up (fe80::/64 ones).
routes() {
	ip -j "$@" | sed 's/^\[//; s/\]$//; s/},{/}\n{/g' | sort
}

# The router as ip and the backend see it; lifetimes (which tick) and link statistics left out.
state() {
	{
		ip -j link show
		ip -j addr show
		routes route show table main
		routes -6 route show table main
		routes route show table local
		hostname
		"$driver" observe
	} | sed -E 's/"(valid|preferred)_life_time":[0-9]+/"\1_life_time":T/g'
}

same_state() { # FILE: the state now is the one in FILE
	state >"$tmp/now"
	if diff -u "$1" "$tmp/now" >"$tmp/diff"; then
		return 0
	fi
	cat "$tmp/diff" >>"$tmp/err"
	return 1
}

observed() { # TEXT...: the observed state holds each text
	local t
	"$driver" observe >"$tmp/obs" 2>>"$tmp/err" || return 1
	for t in "$@"; do
		if ! grep -qF -- "$t" "$tmp/obs"; then
			echo "not observed: $t" >>"$tmp/err"
			return 1
		fi
	done
}

not_observed() {
	local t
	"$driver" observe >"$tmp/obs" 2>>"$tmp/err" || return 1
	for t in "$@"; do
		if grep -qF -- "$t" "$tmp/obs"; then
			echo "observed: $t" >>"$tmp/err"
			return 1
		fi
	done
}

# A fresh router: veth pairs a0/b0 and c0/d0 with known MACs, a foreign IPv4 and IPv6
# address on a0, a foreign static route of each family, DAD off (no tentative addresses).
reset() {
	local l
	for l in $(ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
		[ "$l" = lo ] || ip link del "$l" 2>/dev/null
	done
	ip route flush table main
	ip -6 route flush table main 2>/dev/null
	sysctl -qw net.ipv6.conf.default.accept_dad=0
	ip link set lo up
	ip link add a0 address 02:00:00:00:00:0a type veth peer name b0 address 02:00:00:00:00:0b
	ip link add c0 address 02:00:00:00:00:0c type veth peer name d0 address 02:00:00:00:00:0d
	ip link set a0 up
	ip link set b0 up
	ip link set c0 up
	ip link set d0 up
	ip addr add 10.1.1.1/24 dev a0
	ip addr add 2001:db8:1::1/64 dev a0
	ip route add 10.9.0.0/16 via 10.1.1.254 proto static
	ip -6 route add 2001:db8:9::/48 via 2001:db8:1::fe proto static
	hostname r-test
	: >"$tmp/err"
}

# ---- observe ----

reset
ip route add 10.7.0.0/16 proto static nexthop via 10.1.1.253 nexthop via 10.1.1.252
ip route add 10.77.0.0/16 proto 86 nexthop via 10.1.1.253 nexthop via 10.1.1.252
ip route add blackhole 10.66.0.0/16
ip route add 10.55.0.0/16 dev lo
ip link set c0 down
ip link set c0 mtu 1400
check "observe: links with MAC, MTU and state; no loopback" observed \
	'{"name": "a0", "mac": "02:00:00:00:00:0a", "mtu": 1500, "up": true}' \
	'{"name": "c0", "mac": "02:00:00:00:00:0c", "mtu": 1400, "up": false}' \
	'"hostname": "r-test"'
check "observe: foreign addresses and routes with their owners" observed \
	'{"interface": "a0", "address": "10.1.1.1/24", "owner": "unspec"}' \
	'{"interface": "a0", "address": "2001:db8:1::1/64", "owner": "unspec"}' \
	'{"to": "10.1.1.0/24", "interface": "a0", "metric": 0, "owner": "kernel"}' \
	'{"to": "10.9.0.0/16", "via": "10.1.1.254", "interface": "a0", "metric": 0, "owner": "static"}' \
	'{"to": "2001:db8:1::/64", "interface": "a0", "metric": 256, "owner": "kernel"}' \
	'{"to": "2001:db8:9::/48", "via": "2001:db8:1::fe", "interface": "a0", "metric": 1024, "owner": "static"}'
check "observe: multipath routes are foreign (86 too), blackholes have no link" observed \
	'{"to": "10.7.0.0/16", "via": "10.1.1.253", "interface": "a0", "metric": 0, "owner": "static"}' \
	'{"to": "10.77.0.0/16", "via": "10.1.1.253", "interface": "a0", "metric": 0, "owner": "86"}' \
	'{"to": "10.66.0.0/16", "metric": 0, "owner": "boot"}'
check "observe: no loopback, no kernel link-local addresses or routes, no local table" \
	not_observed '"lo"' 'fe80' '10.55.0.0' '127.0.0.1' '"type"'

# ---- addresses ----

reset
state >"$tmp/before"
check "address: create IPv4 and IPv6" drv apply 'create address a0 10.1.1.5/24' \
	'create address a0 2001:db8:1::5/64' 'create address c0 10.3.3.3/32'
check "address: created ones are the agent's" observed \
	'{"interface": "a0", "address": "10.1.1.5/24", "owner": "vrouter"}' \
	'{"interface": "a0", "address": "2001:db8:1::5/64", "owner": "vrouter"}' \
	'{"interface": "c0", "address": "10.3.3.3/32", "owner": "vrouter"}'
check "address: delete" drv apply 'delete address a0 10.1.1.5/24' \
	'delete address a0 2001:db8:1::5/64' 'delete address c0 10.3.3.3/32'
check "address: create and delete leave the router as it was" same_state "$tmp/before"
check "address: undo of creates" drv apply --undo 'create address a0 10.1.1.6/24' \
	'create address a0 2001:db8:1::6/64'
check "address: undo of creates restores the dumps" same_state "$tmp/before"

reset
ip addr add 10.1.1.9/24 dev a0 valid_lft 3000 preferred_lft 2000
ip addr add 192.0.2.9/24 dev a0 label a0:x broadcast 192.0.2.255
state >"$tmp/before"
check "address: take over foreign IPv4 and IPv6 addresses" drv apply \
	'replace address a0 10.1.1.9/24' 'replace address a0 2001:db8:1::1/64' \
	'replace address a0 192.0.2.9/24'
check "address: taken over ones are the agent's and permanent" observed \
	'{"interface": "a0", "address": "10.1.1.9/24", "owner": "vrouter"}' \
	'{"interface": "a0", "address": "2001:db8:1::1/64", "owner": "vrouter"}'
check "address: taken over IPv4 address lost its lifetime" \
	bash -c "ip -j addr show dev a0 | grep -q '\"local\":\"10.1.1.9\",\"prefixlen\":24,[^}]*\"valid_life_time\":4294967295'"
reset
ip addr add 10.1.1.9/24 dev a0 valid_lft 3000 preferred_lft 2000
ip addr add 192.0.2.9/24 dev a0 label a0:x broadcast 192.0.2.255
state >"$tmp/before"
check "address: undo of take-overs" drv apply --undo 'replace address a0 10.1.1.9/24' \
	'replace address a0 2001:db8:1::1/64' 'replace address a0 192.0.2.9/24'
check "address: undo gives back owner, lifetime, label and broadcast" same_state "$tmp/before"
check "address: the given back lifetime is finite again" \
	bash -c "ip -j addr show dev a0 | grep -q '\"local\":\"10.1.1.9\",\"prefixlen\":24,[^}]*\"valid_life_time\":[0-9]\{1,4\},'"

reset
ip addr add 2001:db8:5::1/48 dev a0
state >"$tmp/before"
check "address: create over a foreign IPv6 address of another length" drv apply \
	'create address a0 2001:db8:5::1/64'
check "address: ours replaced it" observed \
	'{"interface": "a0", "address": "2001:db8:5::1/64", "owner": "vrouter"}'
check "address: not the other" not_observed '2001:db8:5::1/48'
ip addr del 2001:db8:5::1/64 dev a0
ip addr add 2001:db8:5::1/48 dev a0
check "address: undo of a create that displaced an address" drv apply --undo \
	'create address a0 2001:db8:5::1/64'
check "address: the displaced address is back as it was" same_state "$tmp/before"

# promote_secondaries: deleting a primary keeps the agent's secondaries of its network.
reset
check "address: secondary of the agent's" drv apply 'create address a0 10.1.1.7/24' \
	'create address a0 10.1.1.8/24'
ip addr del 10.1.1.1/24 dev a0
check "address: someone else's primary deleted, the agent's secondaries stay" observed \
	'{"interface": "a0", "address": "10.1.1.7/24", "owner": "vrouter"}' \
	'{"interface": "a0", "address": "10.1.1.8/24", "owner": "vrouter"}'
check "address: the agent deletes its own primary" drv apply 'delete address a0 10.1.1.7/24'
check "address: its secondary stays" observed \
	'{"interface": "a0", "address": "10.1.1.8/24", "owner": "vrouter"}'
check "address: promote_secondaries is on" \
	test "$(cat /proc/sys/net/ipv4/conf/a0/promote_secondaries)" = 1

# ---- routes ----

reset
state >"$tmp/before"
check "route: create IPv4 and IPv6, with gateway, link, metric" drv apply \
	'create route 10.20.0.0/16 metric=100 via=10.1.1.254 dev=a0' \
	'create route 10.21.0.0/16 metric=0 dev=a0' \
	'create route 10.22.0.0/16 metric=0 via=10.1.1.254' \
	'create route 2001:db8:20::/48 metric=1024 via=2001:db8:1::fe dev=a0' \
	'create route ::/0 metric=1024 via=fe80::1 dev=a0' \
	'create route 0.0.0.0/0 metric=0 via=10.1.1.254'
check "route: created ones are the agent's" observed \
	'{"to": "10.20.0.0/16", "via": "10.1.1.254", "interface": "a0", "metric": 100, "owner": "vrouter"}' \
	'{"to": "10.21.0.0/16", "interface": "a0", "metric": 0, "owner": "vrouter"}' \
	'{"to": "10.22.0.0/16", "via": "10.1.1.254", "interface": "a0", "metric": 0, "owner": "vrouter"}' \
	'{"to": "2001:db8:20::/48", "via": "2001:db8:1::fe", "interface": "a0", "metric": 1024, "owner": "vrouter"}' \
	'{"to": "::/0", "via": "fe80::1", "interface": "a0", "metric": 1024, "owner": "vrouter"}' \
	'{"to": "0.0.0.0/0", "via": "10.1.1.254", "interface": "a0", "metric": 0, "owner": "vrouter"}'
check "route: ip shows them with protocol 86 and link scope without a gateway" \
	bash -c "ip route | grep -qx '10.21.0.0/16 dev a0 proto 86 scope link ' &&
		 ip route | grep -qx '10.20.0.0/16 via 10.1.1.254 dev a0 proto 86 metric 100 '"
check "route: replace the gateway" drv apply \
	'replace route 10.20.0.0/16 metric=100 via=10.1.1.253 dev=a0' \
	'replace route 2001:db8:20::/48 metric=1024 via=2001:db8:1::fd dev=a0'
check "route: replaced" observed \
	'{"to": "10.20.0.0/16", "via": "10.1.1.253", "interface": "a0", "metric": 100, "owner": "vrouter"}' \
	'{"to": "2001:db8:20::/48", "via": "2001:db8:1::fd", "interface": "a0", "metric": 1024, "owner": "vrouter"}'
check "route: delete" drv apply 'delete route 10.20.0.0/16 metric=100' \
	'delete route 10.21.0.0/16 metric=0' 'delete route 10.22.0.0/16 metric=0' \
	'delete route 2001:db8:20::/48 metric=1024' 'delete route ::/0 metric=1024' \
	'delete route 0.0.0.0/0 metric=0'
check "route: create, replace and delete leave the router as it was" same_state "$tmp/before"

check "route: undo of creates and replaces" drv apply --undo \
	'create route 10.20.0.0/16 metric=100 via=10.1.1.254 dev=a0' \
	'replace route 10.20.0.0/16 metric=100 via=10.1.1.253' \
	'create route 2001:db8:20::/48 metric=1024 via=2001:db8:1::fe dev=a0'
check "route: undo restores the dumps" same_state "$tmp/before"

reset
ip route add 10.7.0.0/16 proto static nexthop via 10.1.1.253 dev a0 nexthop via 10.1.1.252 dev a0 onlink
ip route add 10.6.0.0/16 via 10.1.1.254 proto dhcp src 10.1.1.1 mtu 1300
ip route add 10.50.0.0/16 dev lo proto static
state >"$tmp/before"
check "route: take over foreign routes (static, IPv6, multipath, with src and mtu)" drv apply \
	'replace route 10.9.0.0/16 metric=0 via=10.1.1.254 dev=a0' \
	'replace route 2001:db8:9::/48 metric=1024 via=2001:db8:1::fe dev=a0' \
	'replace route 10.7.0.0/16 metric=0 via=10.1.1.250 dev=a0' \
	'replace route 10.6.0.0/16 metric=0 via=10.1.1.254 dev=a0'
check "route: taken over ones are the agent's" observed \
	'{"to": "10.9.0.0/16", "via": "10.1.1.254", "interface": "a0", "metric": 0, "owner": "vrouter"}' \
	'{"to": "2001:db8:9::/48", "via": "2001:db8:1::fe", "interface": "a0", "metric": 1024, "owner": "vrouter"}' \
	'{"to": "10.7.0.0/16", "via": "10.1.1.250", "interface": "a0", "metric": 0, "owner": "vrouter"}'
reset
ip route add 10.7.0.0/16 proto static nexthop via 10.1.1.253 dev a0 nexthop via 10.1.1.252 dev a0 onlink
ip route add 10.6.0.0/16 via 10.1.1.254 proto dhcp src 10.1.1.1 mtu 1300
ip route add 10.50.0.0/16 dev lo proto static
state >"$tmp/before"
check "route: undo of take-overs" drv apply --undo \
	'replace route 10.9.0.0/16 metric=0 via=10.1.1.254 dev=a0' \
	'replace route 2001:db8:9::/48 metric=1024 via=2001:db8:1::fe dev=a0' \
	'replace route 10.7.0.0/16 metric=0 via=10.1.1.250 dev=a0' \
	'replace route 10.6.0.0/16 metric=0 via=10.1.1.254 dev=a0'
check "route: undo gives back protocol, nexthops, src and mtu exactly" same_state "$tmp/before"
check "route: create over routes the plan did not see (loopback, the kernel's)" drv apply \
	'create route 10.50.0.0/16 metric=0 via=10.1.1.254 dev=a0' \
	'create route 10.1.1.0/24 metric=0 dev=a0'
check "route: ours replaced them" observed \
	'{"to": "10.50.0.0/16", "via": "10.1.1.254", "interface": "a0", "metric": 0, "owner": "vrouter"}' \
	'{"to": "10.1.1.0/24", "interface": "a0", "metric": 0, "owner": "vrouter"}'
ip route del 10.50.0.0/16
ip route add 10.50.0.0/16 dev lo proto static
ip route del 10.1.1.0/24
ip route add 10.1.1.0/24 dev a0 proto kernel scope link src 10.1.1.1
check "route: undo of creates that displaced routes" drv apply --undo \
	'create route 10.50.0.0/16 metric=0 via=10.1.1.254 dev=a0' \
	'create route 10.1.1.0/24 metric=0 dev=a0'
check "route: the displaced routes are back as they were" same_state "$tmp/before"

# ---- errors ----

reset
state >"$tmp/before"
if drv apply 'create route 10.8.0.0/16 metric=0 via=10.5.5.5'; then
	fail "route: a gateway not on a link fails"
else
	check "route: a gateway not on a link fails with the kernel's message" \
		grep -qx 'error: create route 10.8.0.0/16 metric=0: Nexthop has invalid gateway' \
		"$tmp/err"
fi
if drv apply 'create address a0 10.1.1.40/24' 'create route 2001:db8:40::/48 metric=1024 via=2001:db8:1::fe dev=a0' \
	'replace link 02:00:00:00:00:0a name=web up=true' \
	'create route 10.8.0.0/16 metric=0 via=10.5.5.5 dev=web'; then
	fail "rollback: a failing operation fails the apply"
else
	check "rollback: the applied operations are undone in reverse order" same_state "$tmp/before"
fi
if drv apply 'replace link 02:00:00:00:00:0a name=b0 mtu=1400 up=true'; then
	fail "link: a rename to a taken name fails"
else
	check "link: a rename to a taken name fails and changes nothing" same_state "$tmp/before"
fi
if drv apply 'replace link 02:00:00:00:00:0a name=web mtu=99999 up=false'; then
	fail "link: an MTU above the maximum fails"
else
	check "link: a failed MTU takes the rename back" same_state "$tmp/before"
	check "link: the kernel's message names the MTU" grep -q \
		'^error: replace link 02:00:00:00:00:0a: cannot set the MTU of a0 to 99999: ' "$tmp/err"
fi
if drv apply 'delete link 02:00:00:00:00:0a'; then
	fail "link: a NIC cannot be deleted"
else
	check "link: a NIC cannot be deleted" grep -qx \
		'error: delete link 02:00:00:00:00:0a: a NIC is found by its MAC, never created or deleted' \
		"$tmp/err"
fi
if drv apply 'delete hostname'; then
	fail "hostname: cannot be removed"
else
	check "hostname: cannot be removed" grep -qx \
		'error: delete hostname: the hostname cannot be removed' "$tmp/err"
fi
if drv apply 'create address nosuch 10.1.1.40/24'; then
	fail "address: on a link that is not there fails"
else
	check "address: on a link that is not there fails with its name" grep -qx \
		'error: create address nosuch 10.1.1.40/24: no link named nosuch' "$tmp/err"
fi

# ---- links ----

reset
ip route add 10.10.0.0/16 via 10.1.1.254 proto 86
drv apply 'create address a0 2001:db8:1::7/64' 'create route 2001:db8:10::/48 metric=1024 via=2001:db8:1::fe dev=a0'
state >"$tmp/before"
check "link: rename an up link" drv apply 'replace link 02:00:00:00:00:0a name=web up=true'
check "link: the renamed link kept its addresses and routes, and is up" observed \
	'{"name": "web", "mac": "02:00:00:00:00:0a", "mtu": 1500, "up": true}' \
	'{"interface": "web", "address": "10.1.1.1/24", "owner": "unspec"}' \
	'{"interface": "web", "address": "2001:db8:1::7/64", "owner": "vrouter"}' \
	'{"to": "10.10.0.0/16", "via": "10.1.1.254", "interface": "web", "metric": 0, "owner": "vrouter"}' \
	'{"to": "2001:db8:10::/48", "via": "2001:db8:1::fe", "interface": "web", "metric": 1024, "owner": "vrouter"}'
check "link: MTU, down" drv apply 'replace link 02:00:00:00:00:0a name=web mtu=1400 up=false'
check "link: changed" observed '{"name": "web", "mac": "02:00:00:00:00:0a", "mtu": 1400, "up": false}'
check "link: back" drv apply 'replace link 02:00:00:00:00:0a name=a0 mtu=1500 up=true'
# The kernel dropped the routes through the link when it went down, in another apply.
ip route add 10.9.0.0/16 via 10.1.1.254 proto static
ip -6 route add 2001:db8:9::/48 via 2001:db8:1::fe proto static
ip route add 10.10.0.0/16 via 10.1.1.254 proto 86
ip -6 route add 2001:db8:10::/48 via 2001:db8:1::fe proto 86
check "link: renamed back, the router is as it was (IPv6 addresses kept)" same_state "$tmp/before"
check "link: undo of rename, MTU, down" drv apply --undo \
	'replace link 02:00:00:00:00:0a name=web mtu=1400 up=true' \
	'replace link 02:00:00:00:00:0c name=a0 up=false'
check "link: undo restores the dumps" same_state "$tmp/before"
check "link: a swap of names through a temporary name" drv apply --undo \
	'replace link 02:00:00:00:00:0a name=vrtmp0 up=true' \
	'replace link 02:00:00:00:00:0c name=a0 up=true' \
	'replace link 02:00:00:00:00:0a name=c0 up=true'
check "link: undo of the swap restores the dumps" same_state "$tmp/before"

# ---- hostname ----

reset
state >"$tmp/before"
check "hostname: replace" drv apply 'replace hostname name=r-kernel'
check "hostname: set" test "$(hostname)" = r-kernel
check "hostname: undo" drv apply --undo 'replace hostname name=r-other'
check "hostname: undo restores it" test "$(hostname)" = r-kernel

# ---- a whole plan ----

reset
cat >"$tmp/intent.json" <<'EOF'
{
  "version": 1,
  "generation": 1,
  "hostname": "r-kernel",
  "interfaces": {
    "web": {"mac": "02:00:00:00:00:0a", "addresses": ["10.1.1.1/24", "fd00:1::1/64"], "mtu": 1400},
    "up": {"mac": "02:00:00:00:00:0c", "addresses": ["203.0.113.10/24"], "management": true}
  },
  "routes": [
    {"to": "0.0.0.0/0", "via": "203.0.113.1"},
    {"to": "10.9.0.0/16", "via": "10.1.1.254", "metric": 100},
    {"to": "fd00:9::/48", "via": "fd00:1::fe"},
    {"to": "10.8.0.0/16", "interface": "web"}
  ]
}
EOF
state >"$tmp/before"
check "plan: apply an intent" drv plan --apply "$tmp/intent.json"
check "plan: the router has the intent" observed \
	'"hostname": "r-kernel"' \
	'{"name": "web", "mac": "02:00:00:00:00:0a", "mtu": 1400, "up": true}' \
	'{"name": "up", "mac": "02:00:00:00:00:0c", "mtu": 1500, "up": true}' \
	'{"interface": "web", "address": "10.1.1.1/24", "owner": "vrouter"}' \
	'{"interface": "web", "address": "fd00:1::1/64", "owner": "vrouter"}' \
	'{"interface": "up", "address": "203.0.113.10/24", "owner": "vrouter"}' \
	'{"to": "0.0.0.0/0", "via": "203.0.113.1", "interface": "up", "metric": 0, "owner": "vrouter"}' \
	'{"to": "10.9.0.0/16", "via": "10.1.1.254", "interface": "web", "metric": 100, "owner": "vrouter"}' \
	'{"to": "fd00:9::/48", "via": "fd00:1::fe", "interface": "web", "metric": 1024, "owner": "vrouter"}' \
	'{"to": "10.8.0.0/16", "interface": "web", "metric": 0, "owner": "vrouter"}'
check "plan: a second apply is zero operations" \
	bash -c "'$driver' plan --apply '$tmp/intent.json' 2>'$tmp/err' | grep -qx '0 operations'"
sed -i 's/"mtu": 1400/"mtu": 1300/; s/"metric": 100/"metric": 50/' "$tmp/intent.json"
check "plan: a changed intent applies" drv plan --apply "$tmp/intent.json"
check "plan: then zero operations again" \
	bash -c "'$driver' plan --apply '$tmp/intent.json' 2>'$tmp/err' | grep -qx '0 operations'"

# ---- WireGuard tunnels ----

reset
if ip link add wgx type wireguard 2>/dev/null; then
	check "tunnel: a foreign WireGuard link is observed as foreign" observed \
		'{"name": "wgx", "type": "wireguard", "mtu": 1420, "up": false, "owner": "foreign"}'
	state >"$tmp/before"
	check "tunnel: create" drv apply 'create link wg:wg0 mtu=1380 up=true'
	check "tunnel: created one is the agent's" observed \
		'{"name": "wg0", "type": "wireguard", "mtu": 1380, "up": true, "owner": "vrouter"}'
	check "tunnel: delete" drv apply 'delete link wg:wg0'
	check "tunnel: take over and undo" drv apply --undo 'replace link wg:wgx mtu=1400 up=true'
	check "tunnel: the router is as it was" same_state "$tmp/before"
	ip link del wgx
else
	echo "skip: tunnel cases: the kernel has no WireGuard (CONFIG_WIREGUARD)"
fi

# ---- cost ----

reset
for i in $(seq 0 1999); do
	echo "route add 10.$((100 + i / 250)).$((i % 250)).0/24 via 10.1.1.254 proto 86"
done >"$tmp/routes"
ip -batch "$tmp/routes"
ms=$("$driver" observe --time 21 2>"$tmp/err")
echo "observe with 2,000 routes: $ms ms (median of 21)"
check "cost: observe with 2,000 routes takes under 50 ms" \
	awk -v ms="$ms" 'BEGIN { exit !(ms != "" && ms < 50) }'

# ---- valgrind ----

if [ -n "${VALGRIND:-}" ] && command -v valgrind >/dev/null; then
	reset
	vg="valgrind -q --leak-check=full --errors-for-leak-kinds=all --error-exitcode=42"
	$vg "$driver" observe >/dev/null 2>"$tmp/err"
	check "valgrind: observe" test $? = 0
	state >"$tmp/before"
	$vg "$driver" apply --undo 'create address a0 10.1.1.5/24' \
		'replace address a0 10.1.1.1/24' 'create route 10.20.0.0/16 metric=0 via=10.1.1.254' \
		'create route 10.1.1.0/24 metric=0 dev=a0' \
		'replace route 10.9.0.0/16 metric=0 via=10.1.1.254 dev=a0' \
		'create address a0 2001:db8:1::1/48' \
		'replace link 02:00:00:00:00:0a name=web up=false' 'replace hostname name=x' \
		>/dev/null 2>"$tmp/err"
	check "valgrind: apply and undo" test $? = 0
	check "valgrind: undo restores the dumps" same_state "$tmp/before"
	$vg "$driver" apply 'create address a0 10.1.1.5/24' \
		'create route 10.8.0.0/16 metric=0 via=10.5.5.5' >/dev/null 2>"$tmp/err"
	check "valgrind: a failed apply" test $? = 1
	$vg "$driver" plan --apply "$tmp/intent.json" >/dev/null 2>"$tmp/err"
	check "valgrind: a plan" test $? = 0
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
