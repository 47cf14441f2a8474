#!/bin/bash
# A WireGuard tunnel on a VRRP pair follows mastership: two routers running vrouterd with VRRP
# and connection sync (real keepalived and conntrackd; wireguard-go where the kernel has no
# WireGuard module), the same tunnel and key on both, in namespaces the script makes, and a far
# end whose wireguard-go this script configures by hand, with the WAN virtual address as its
# peer's endpoint and a host behind it; the far end is also the routers' way out. The far end
# counts the routers' WireGuard packets by source: only ever from the virtual address (the
# master speaks from it, the backup says nothing), through the backup's start, the tunnel
# added to its running keepalived (the tunnel's peer, with a keepalive, only once keepalived's
# rules are there), a planned handover, a handover back and a hard failure of the master (its
# links down), after each of
# which the tunnel carries pings both ways through the new master. Pings cross the tunnel at
# 100 per second through each event: how many were lost is printed. The master's agent killed
# with -9 leaves the tunnel alone.
#
# Usage: wireguard.sh VROUTERD VROUTERCTL
# Exit 77 only when namespaces cannot be made (not root) or a program is missing.
set -u
vrouterd=$(realpath "${1:?usage: wireguard.sh VROUTERD VROUTERCTL}")
ctl=$(realpath "${2:?usage: wireguard.sh VROUTERD VROUTERCTL}")
here=$(dirname "$(realpath "$0")")
for prog in keepalived conntrackd wg wireguard-go nft python3 ping; do
	command -v $prog >/dev/null || { echo "skip: $prog is not installed (scripts/deps test)"; exit 77; }
done

. "$here/../lib/netns.sh"
vr_own_namespaces VRTEST_VRRP_WG_NS "$0" "$vrouterd" "$ctl"
. "$here/pair.sh"
. "$here/../lib/wireguard-go.sh"

tmp=$(mktemp -d)
chmod 755 "$tmp"
passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }
check() { # NAME CMD...
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

holders=() # the namespaces' sleepers, the far end's wireguard-go, pings: PIDs this script started
cleanup() {
	local n
	# wireguard-go (the routers', which outlives their agents, and the far end's) ends with its
	# link, and would keep the namespace: the links go once the agents (which would make
	# theirs again) have stopped.
	pair_stop keepalived conntrackd
	for n in r1 r2; do in_ns $n ip link del wg0 2>/dev/null; done
	in_ns far ip link del wgf 2>/dev/null
	pair_cleanup keepalived conntrackd
	if [ $failed -ne 0 ]; then
		for n in 1 2; do
			echo "--- the log of r$n's agent"
			tail -30 "$tmp/r$n/log"
			echo "--- r$n's rules and table $wg_table"
			in_ns r$n ip rule
			in_ns r$n ip route show table $wg_table
		done
	fi
	[ -n "${VRTEST_KEEP:-}" ] && echo "kept: $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT
wg_table=86

for n in r1 r2 client far b; do newns $n; done
sleep 0.2
pair_links
pair_far
# The routers' WireGuard packets on the far end's WAN, counted by their source address.
in_ns far sh -e -c '
nft add table ip wg
nft add chain ip wg c "{ type filter hook prerouting priority -300; }"
for a in 203.0.113.10 203.0.113.2 203.0.113.3; do
	nft add rule ip wg c iifname eth0 ip saddr $a udp sport 51820 counter comment "\"$a\""
done'
wg_from() { # ADDRESS: the routers' WireGuard packets from it that reached the far end
	in_ns far nft list chain ip wg c | sed -n "s/.*counter packets \([0-9]*\) .*comment \"$1\".*/\1/p"
}

# ---- the far end, by hand (tests/lib/wireguard-go.sh): wg setconf of this file. Its peer's
# endpoint is the routers' WAN virtual address.
rkey=$(wg genkey) fkey=$(wg genkey)
rpub=$(wg pubkey <<<"$rkey") fpub=$(wg pubkey <<<"$fkey")
umask 077
cat >"$tmp/far.conf" <<EOC
[Interface]
PrivateKey = $fkey
ListenPort = 51821

[Peer]
PublicKey = $rpub
Endpoint = 203.0.113.10:51820
AllowedIPs = 10.1.1.0/24, 10.99.0.1/32
EOC
umask 022
vr_hand_wg far wgf "$tmp/far.conf" 10.99.0.2/24 10.1.1.0/24
in_far() { vr_in_hand_wg "$@"; }
far_up() { for _ in $(seq 50); do in_far wg show wgf >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }
check "the far end's wireguard-go runs its hand-written configuration" far_up

# ---- the routers: the same tunnel and key on both
advert=100
apply() { # N PRIORITY [GENERATION [novpn]]
	python3 "$here/gen-intent.py" $1 $2 $advert 0 ${3:-1} | python3 -c '
import json, sys
d = json.load(sys.stdin)
# The routers greet the far end every second (a handshake as soon as the peer is given).
d["vpn"] = {"wireguard": {"wg0": {
    "private_key": sys.argv[1], "listen_port": 51820, "addresses": ["10.99.0.1/24"],
    "peers": {"far": {"public_key": sys.argv[2], "endpoint": "203.0.113.50:51821",
                      "allowed_ips": ["10.50.0.0/24"], "keepalive_seconds": 1}}}}}
d["firewall"]["forward"]["rules"] += [
    {"action": "accept", "in": "lan", "out": "wg0"},
    {"action": "accept", "in": "wg0", "out": "lan"}]
if sys.argv[3] == "novpn":
    del d["vpn"]
    del d["firewall"]["forward"]["rules"][-2:]
d.pop("dhcp")
# The far end is the way out, as the Internet would be.
d["routes"] = [{"to": "0.0.0.0/0", "via": "203.0.113.50"}]
json.dump(d, sys.stdout, indent=1)' "$rkey" "$fpub" "${4:-}" >"$tmp/r$1/intent.json"
	rctl $1 apply "$tmp/r$1/intent.json" >"$tmp/r$1/apply.out" 2>&1
}
wait_both_ways() { # [TRIES]
	for _ in $(seq "${1:-10}"); do both_ways && return 0; done
	return 1
}
quiet() { # the far end never heard WireGuard from a router's own address
	local a n
	for a in 203.0.113.2 203.0.113.3; do
		n=$(wg_from $a)
		[ "$n" = 0 ] || { echo "     $n packets from $a"; return 1; }
	done
}
far_endpoint() { in_far wg show wgf endpoints | awk '{print $2}'; }

check "r1 starts" start_agent 1
check "r1 applies its intent: vrrp, and wg0 with the far end as its peer" apply 1 200
check "r1 alone becomes master" wait_state 1 master 50
check "r1's tunnel file marks its packets (FwMark)" grep -q "^FwMark = 0x7672$" "$tmp/r1/etc/wireguard/wg0.conf"
check "ping both ways between the client and host b through r1's tunnel" wait_both_ways
check "r2 starts" start_agent 2
check "r2 applies its intent without the tunnel" apply 2 100 1 novpn
check "r2 is backup beside the master" wait_state 2 backup 50
# The tunnel added to a running keepalived (it re-reads its configuration): its rules come
# before the tunnel's peer, which would otherwise be greeted from r2's own address.
check "r2 applies its intent with the tunnel (the same tunnel and key)" apply 2 100 2
sleep 1
echo "     r2 (backup): $(in_ns r2 ip rule | grep 0x7672 | tr '\t' ' ' | tr '\n' ';')"
check "the backup's marked packets are unreachable, without the master's rule" \
	sh -c "nsenter $(ns_of r2) ip rule | grep -q 'fwmark 0x7672 unreachable' &&
		! nsenter $(ns_of r2) ip rule | grep -q '^87:'"
check "the master has the rule to the main table and the routes from the virtual address" \
	sh -c "nsenter $(ns_of r1) ip rule | grep -q '^87:.*fwmark 0x7672 lookup main' &&
		nsenter $(ns_of r1) ip route show table $wg_table | grep -q 'default via 203.0.113.50 dev wan .*src 203.0.113.10'"
check "the far end heard the routers' WireGuard from the virtual address" test "$(wg_from 203.0.113.10)" -gt 0
check "... and never from a router's own address" quiet
check "ping both ways through the master after the backup joined" wait_both_ways
echo "     the far end's peer endpoint: $(far_endpoint)"

# The master's agent killed with -9: the tunnel carries on.
kill -9 "${agent_pid[1]}"
wait "${agent_pid[1]}" 2>/dev/null
check "kill -9 of the master's agent: ping both ways through the tunnel" both_ways
check "r1's agent starts again" restart_agent 1
check "r1 is ready for a handover" wait_ready 1 ready
check "r2 is ready for a handover" wait_ready 2 ready

# Planned handover: r2 speaks for the tunnel from the virtual address, r1 falls silent.
event_start handover
check "handover from r1 exits 0" rctl 1 handover
check "r2 is master" wait_state 2 master 50
check "ping both ways through the new master (r2)" wait_both_ways
lost=$(event_lost handover)
echo "     planned handover: $lost pings through the tunnel lost"
check "the far end's endpoint for the routers is still the virtual address ($(far_endpoint))" \
	test "$(far_endpoint)" = 203.0.113.10:51820
check "the far end never heard WireGuard from a router's own address" quiet
echo "     r1 (now backup): $(in_ns r1 ip rule | grep 0x7672 | tr '\t' ' ' | tr '\n' ';')"

# Back: r1's hold ended, r2 hands over.
check "r1's hold ends" sh -c "'$ctl' --socket '$tmp/r1/agent.sock' handover --cancel >/dev/null"
event_start back
check "handover back from r2 exits 0" rctl 2 handover
check "r1 is master again" wait_state 1 master 50
check "ping both ways through r1" wait_both_ways
lost=$(event_lost back)
echo "     handover back: $lost pings through the tunnel lost"
check "r2's hold ends" sh -c "'$ctl' --socket '$tmp/r2/agent.sock' handover --cancel >/dev/null"

# Hard failure of the master: r1's links down. r2 takes over after the master-down interval.
event_start failure
for l in lan wan sync; do in_ns r1 ip link set "$l" down; done
check "r2 is master after the master's links went down" wait_state 2 master 50
check "ping both ways through r2" wait_both_ways
lost=$(event_lost failure)
echo "     master's links down: $lost pings through the tunnel lost"
for l in lan wan sync; do in_ns r1 ip link set "$l" up; done
check "r1 comes back as backup (no preempt)" wait_state 1 backup 100
sleep 2
check "ping both ways through r2 with r1 back as backup" wait_both_ways
check "through it all, the far end heard the routers' WireGuard only from the virtual address ($(wg_from 203.0.113.10) packets)" quiet

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
