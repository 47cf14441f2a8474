#!/bin/bash
# An IPsec tunnel on a VRRP virtual address follows mastership: two routers running vrouterd
# with VRRP and connection sync (real keepalived, conntrackd and charon, kernel-libipsec on a
# kernel without ESP), in namespaces the script makes, and a far end whose charon this script
# configures by hand, with a host behind it; the far end is also the routers' way out. The
# tunnel's local address is the WAN virtual address: only the master has its SAs; after a
# planned handover, a handover back and a hard failure of the master (its links down) the new
# master starts the tunnel, the old one has closed its SAs, and the far end holds one IKE SA.
# Pings cross the tunnel at 100 per second through each event: how many were lost is
# printed. The master's agent killed with -9 leaves the SAs alone. The backup's own traffic to
# the far subnet is held (trapped), and nothing between the subnets ever reaches the far end
# in clear.
#
# Usage: ipsec.sh VROUTERD VROUTERCTL
# Exit 77 only when namespaces cannot be made (not root) or a program is missing.
set -u
vrouterd=$(realpath "${1:?usage: ipsec.sh VROUTERD VROUTERCTL}")
ctl=$(realpath "${2:?usage: ipsec.sh VROUTERD VROUTERCTL}")
here=$(dirname "$(realpath "$0")")
for prog in keepalived conntrackd /usr/lib/ipsec/charon swanctl nft python3 ping; do
	command -v $prog >/dev/null || { echo "skip: $prog is not installed (scripts/deps test)"; exit 77; }
done

. "$here/../lib/netns.sh"
vr_own_namespaces VRTEST_VRRP_IPSEC_NS "$0" "$vrouterd" "$ctl"
. "$here/pair.sh"
. "$here/../lib/charon.sh"

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

holders=() # the namespaces' sleepers, the far end's charon: PIDs this script started
cleanup() {
	local n
	pair_cleanup keepalived conntrackd strongswan
	if [ $failed -ne 0 ]; then
		for n in 1 2; do
			echo "--- the log of r$n's agent"
			tail -30 "$tmp/r$n/log"
			echo "--- r$n's charon"
			tail -30 "$tmp/r$n/state/services/strongswan.out"
		done
		echo "--- the far end's charon"
		tail -30 "$tmp/far/out"
	fi
	[ -n "${VRTEST_KEEP:-}" ] && echo "kept: $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT

for n in r1 r2 client far b; do newns $n; done
sleep 0.2
pair_links
pair_far
# What arrives on the far end's WAN from the routers' LAN in clear (not inside ESP): must stay 0.
in_ns far sh -e -c '
nft add table ip leak
nft add chain ip leak c "{ type filter hook prerouting priority -300; }"
nft add rule ip leak c iifname eth0 ip saddr 10.1.1.0/24 counter'

psk=vrouter-vrrp-ipsec-3b7e51
# ---- the far end, configured by hand (tests/lib/charon.sh). Its peer is the routers' WAN
# virtual address, whichever router holds it.
check "the far end's charon starts" vr_hand_charon "$tmp/far" nsenter $(ns_of far)
holders+=($vr_hand_charon_pid)
cat >"$tmp/far/swanctl.conf" <<EOS
connections {
	to-site {
		local_addrs = 203.0.113.50
		remote_addrs = 203.0.113.10
		local { auth = psk }
		remote { auth = psk }
		children {
			to-site {
				local_ts = 10.50.0.0/24
				remote_ts = 10.1.1.0/24
			}
		}
	}
}
secrets {
	ike-all {
		secret = "$psk"
	}
}
EOS
fswan() { vr_hand_swanctl "$tmp/far" "$@"; }
check "the far end's charon loads its hand-written configuration" \
	fswan --load-all --noprompt --file "$tmp/far/swanctl.conf" >"$tmp/far/load.out" 2>&1
leaked() { # packets from the routers' LAN that reached the far end's WAN in clear
	in_ns far nft list chain ip leak c | sed -n 's/.*counter packets \([0-9]*\).*/\1/p'
}

# ---- the routers
advert=100
# The tunnel in router N's status: "IKE-STATE CHILD-SAS" ("None 0": no IKE SA).
tunnel() { # N
	rctl $1 status --json | python3 -c '
import json, sys
t = (json.load(sys.stdin).get("vpn") or {}).get("ipsec", {}).get("to-far") or {}
print(t.get("ike_state"), t.get("child_sas", 0))'
}
wait_tunnel() { # N "IKE-STATE CHILD-SAS" [TENTHS]
	for _ in $(seq "${3:-100}"); do
		[ "$(tunnel $1)" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
# No SA of the tunnel with the far end on router N: no IKE SA, or only an attempt that a
# packet trapped while it was not master began (a client that still sent to it during a move),
# which cannot reach the far end without the virtual address.
wait_closed() { # N [TENTHS]
	local t
	for _ in $(seq "${2:-50}"); do
		t=$(tunnel $1)
		[ "$t" = "None 0" ] || [ "$t" = "CONNECTING 0" ] && return 0
		sleep 0.1
	done
	echo "     r$1's tunnel: $t"
	return 1
}
# The far end's IKE SAs, one line each: "NAME UNIQUE-ID STATE".
far_sas() {
	fswan --list-sas --raw 2>/dev/null | python3 -c '
import re, sys
for m in re.finditer(r"list-sa event \{(\S+) \{uniqueid=(\d+) version=\d+ state=(\w+)", sys.stdin.read()):
    print(*m.groups())'
}
wait_far_one() { # [TENTHS]: the far end holds exactly one IKE SA, established
	for _ in $(seq "${1:-100}"); do
		[ "$(far_sas | grep -c .)" = 1 ] && far_sas | grep -q ESTABLISHED && return 0
		sleep 0.1
	done
	return 1
}
apply() { # N PRIORITY
	python3 "$here/gen-intent.py" $1 $2 $advert 0 | python3 -c '
import json, sys
d = json.load(sys.stdin)
# The tunnel on the WAN virtual address; its traffic both ways, the rules naming it.
d["vpn"] = {"ipsec": {"to-far": {
    "local_address": "203.0.113.10", "remote_address": "203.0.113.50", "psk": sys.argv[1],
    "local_subnets": ["10.1.1.0/24"], "remote_subnets": ["10.50.0.0/24"]}}}
d["firewall"]["forward"]["rules"] += [
    {"action": "accept", "in": "lan", "out": "to-far"},
    {"action": "accept", "in": "to-far", "out": "lan"}]
d.pop("dhcp")
# The far end is the way out, as the Internet would be: without the SAs of the tunnel, traffic to
# its subnet would leave in clear.
d["routes"] = [{"to": "0.0.0.0/0", "via": "203.0.113.50"}]
json.dump(d, sys.stdout, indent=1)' "$psk" >"$tmp/r$1/intent.json"
	rctl $1 apply "$tmp/r$1/intent.json" >/dev/null
}

check "r1 starts" start_agent 1
check "r1 applies its intent: vrrp, and the tunnel on the WAN virtual address" apply 1 200
check "r1 alone becomes master" wait_state 1 master 50
check "r2 starts" start_agent 2
check "r2 applies its intent" apply 2 100
check "r2 is backup beside the master" wait_state 2 backup 50
check "r1's charon traps the tunnel's traffic but does not start it (start_action trap)" \
	grep -q "start_action = trap$" "$tmp/r1/etc/strongswan/conns/to-far.conf"
check "the master (r1) started the tunnel: IKE SA established, 1 CHILD SA" \
	wait_tunnel 1 "ESTABLISHED 1" 150
check "the backup (r2) has no IKE SA for it" test "$(tunnel 2)" = "None 0"
check "the far end holds one IKE SA" wait_far_one
check "ping both ways between the client and host b through the tunnel" both_ways
grep "IPsec tunnel" "$tmp/r1/log" | sed 's/^/     r1: /'

# The master's agent killed with -9: the tunnel's SAs stay as they are.
before=$(far_sas)
kill -9 "${agent_pid[1]}"
wait "${agent_pid[1]}" 2>/dev/null
check "r1's agent starts again" restart_agent 1
sleep 1
check "kill -9 of the master's agent: the far end's IKE SA is the same ($(echo $before))" \
	test "$(far_sas)" = "$before"
check "... and r1 still has its CHILD SA" test "$(tunnel 1)" = "ESTABLISHED 1"

# The backup's own packet to the far subnet (from its LAN address, inside the tunnel's
# subnets) is trapped: held while charon tries the tunnel, which cannot start without the
# virtual address, never sent in clear to the way out.
check "the backup's own ping to the far subnet is held, not sent in clear" \
	sh -c "! nsenter $(ns_of r2) ping -c 2 -i 0.2 -W 1 -q -I 10.1.1.3 10.50.0.100 >/dev/null"
check "r1 is ready for a handover" wait_ready 1 ready
check "r2 is ready for a handover" wait_ready 2 ready

# Planned handover: r2 starts the tunnel (afresh: what the trapped packet began goes), r1
# closes its SAs.
event_start handover
check "handover from r1 exits 0" rctl 1 handover
check "the new master (r2) has the tunnel: IKE SA established, 1 CHILD SA" wait_tunnel 2 "ESTABLISHED 1" 100
sleep 0.5
lost=$(event_lost handover)
echo "     planned handover: $lost pings through the tunnel lost"
check "r2 is master" test "$(vrrp_state 2)" = master
check "the old master (r1) closed its SAs" wait_closed 1
check "the far end holds one IKE SA (the new master's replaced the old)" wait_far_one
check "ping both ways through the new master" both_ways
grep "IPsec tunnel" "$tmp/r2/log" | sed 's/^/     r2: /'

# Back: r1's hold ended, r2 hands over.
check "r1's hold ends" sh -c "'$ctl' --socket '$tmp/r1/agent.sock' handover --cancel >/dev/null"
event_start back
check "handover back from r2 exits 0" rctl 2 handover
check "r1 is master again, with the tunnel" wait_tunnel 1 "ESTABLISHED 1" 100
sleep 0.5
lost=$(event_lost back)
echo "     handover back: $lost pings through the tunnel lost"
check "r2 closed its SAs" wait_closed 2
check "the far end holds one IKE SA" wait_far_one
check "ping both ways through r1" both_ways
check "r2's hold ends" sh -c "'$ctl' --socket '$tmp/r2/agent.sock' handover --cancel >/dev/null"

# Hard failure of the master: r1's links down. r2 takes over after the master-down interval
# and starts the tunnel; r1 (fault) closes its SAs without reaching the far end.
event_start failure
for l in lan wan sync; do in_ns r1 ip link set "$l" down; done
check "r2 is master after the master's links went down, with the tunnel" \
	wait_tunnel 2 "ESTABLISHED 1" 100
sleep 0.5
lost=$(event_lost failure)
echo "     master's links down: $lost pings through the tunnel lost"
check "r1 (fault) closed its SAs" wait_closed 1
check "the far end holds one IKE SA" wait_far_one
for l in lan wan sync; do in_ns r1 ip link set "$l" up; done
check "r1 comes back as backup (no preempt)" wait_state 1 backup 100
sleep 1
check "... without taking the tunnel" wait_closed 1 1
check "ping both ways through r2" both_ways
n=$(leaked)
check "nothing between the subnets reached the far end in clear ($n packets)" test "$n" = 0

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
