#!/bin/bash
# Two routers running vrouterd with VRRP (keepalived) and connection sync (conntrackd), real
# daemons on the real kernel, in namespaces the script makes: a LAN client and a WAN server
# behind the routers' virtual addresses, the LAN source-NATed to the WAN virtual address.
# Mastership, status, the agent killed with -9 (no transition), planned handovers both ways
# with traffic, a refused handover, the hold and its end, a group changed (no move).
#
# Usage: vrrp.sh VROUTERD VROUTERCTL
# Exit 77 only when namespaces cannot be made (not root) or a program is missing.
set -u
vrouterd=$(realpath "${1:?usage: vrrp.sh VROUTERD VROUTERCTL}")
ctl=$(realpath "${2:?usage: vrrp.sh VROUTERD VROUTERCTL}")
here=$(dirname "$(realpath "$0")")

for prog in keepalived conntrackd dnsmasq busybox python3 ping; do
	command -v $prog >/dev/null || { echo "skip: $prog is not installed (scripts/deps test)"; exit 77; }
done

. "$here/../lib/netns.sh"
vr_own_namespaces VRTEST_VRRP_NS "$0" "$vrouterd" "$ctl"
. "$here/pair.sh"

tmp=$(mktemp -d)
passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }
check() { # NAME CMD...
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

holders=() # the namespaces' sleepers and the traffic: PIDs this script started
cleanup() {
	local n
	pair_cleanup keepalived conntrackd dnsmasq
	if [ $failed -ne 0 ]; then
		for n in 1 2; do
			echo "--- the log of r$n's agent"
			tail -40 "$tmp/r$n/log"
		done
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

for n in r1 r2 client server dhcpc; do newns $n; done
sleep 0.2
pair_links
host client br-lan 10.1.1.100/24 10.1.1.1
# A DHCP client on the LAN, without an address.
ip link add hdhcpc type veth peer name hpdhcpc
ip link set hpdhcpc netns "$ns_dhcpc"
ip link set hdhcpc master br-lan up
in_ns dhcpc ip link set hpdhcpc name eth0
in_ns dhcpc ip link set eth0 address 02:00:00:00:00:77 up
# udhcpc once; "ADDRESS SERVER" of the lease it got (nothing when none). REQUEST: the address
# it asks for.
dhcp() { # [REQUEST]
	in_ns dhcpc busybox udhcpc -i eth0 -n -q -f -t 6 -T 2 -s /bin/true ${1:+-r "$1"} 2>&1 |
		sed -n 's/.*lease of \([0-9.]*\) obtained from \([0-9.]*\).*/\1 \2/p'
}
host server br-wan 203.0.113.100/24

advert=100
apply() { # N PRIORITY PREEMPT [GENERATION]
	python3 "$here/gen-intent.py" $1 $2 $advert $3 ${4:-1} >"$tmp/r$1/intent.json"
	rctl $1 apply "$tmp/r$1/intent.json" >/dev/null
}

check "r1 starts" start_agent 1
check "r1 applies its intent with vrrp" apply 1 200 0
check "r1 alone becomes master" wait_state 1 master 50
check "r2 starts" start_agent 2
check "r2 applies its intent" apply 2 100 0
check "r2 is backup beside the master" wait_state 2 backup 50
sleep 1
check "r1 is still master" test "$(vrrp_state 1)" = master
st=$(rctl 1 status --json)
check "status: the master's groups are master with their addresses present" python3 -c '
import json, sys
v = json.loads(sys.argv[1])["vrrp"]
g = v["groups"]
assert v["priority"] == 200 and not v["held"], v
assert set(g) == {"lan", "wan"}, g
assert all(x["state"] == "master" and x["addresses_present"] for x in g.values()), g
s = v["sync"]
assert s["peer"] == "169.254.0.2" and s["packets_received"] > 0, s
' "$st"
check "status: the backup's addresses are absent" python3 -c '
import json, sys
g = json.loads(sys.argv[1])["vrrp"]["groups"]
assert all(x["state"] == "backup" and not x["addresses_present"] for x in g.values()), g
' "$(rctl 2 status --json)"
check "the client reaches the server through the virtual addresses" \
	in_ns client ping -c 3 -i 0.2 -W 1 -q 203.0.113.100

# DHCP follows mastership: the master answers, the backup ignores (but reserved clients).
offers=$(in_ns dhcpc python3 "$here/dhcp-offers.py" eth0 02:00:00:00:00:78 | paste -sd' ')
check "DHCP: only the master (10.1.1.2) offers an address (offers from: $offers)" \
	test "$offers" = 10.1.1.2
lease1=$(dhcp)
check "DHCP: the master (r1, 10.1.1.2) answers the client ($lease1)" \
	grep -qE '^10\.1\.1\.1[5-9][0-9] 10\.1\.1\.2$' <<<"$lease1"
addr1=${lease1% *}

# Traffic for the rest: pings at 100 per second; each event's loss counted.

# The master's agent killed with -9: the daemons stay, nothing moves.
kpid=$(cat "$tmp/r1/state/services/keepalived.pid")
vr_ping_run client "$tmp/ping-kill" 203.0.113.100 0.01
kill -9 "${agent_pid[1]}"
wait "${agent_pid[1]}" 2>/dev/null
sleep 1
check "kill -9 of the master's agent: keepalived still runs" kill -0 "$kpid"
check "kill -9 of the master's agent: r2 stays backup" test "$(vrrp_state 2)" = backup
check "r1's agent starts again" restart_agent 1
check "the new agent adopts keepalived and sees master" test "$(vrrp_state 1)" = master
check "keepalived was not restarted" test "$(cat "$tmp/r1/state/services/keepalived.pid")" = "$kpid"
lost=$(vr_ping_lost "$tmp/ping-kill")
check "kill -9 of the master's agent: no ping lost ($lost)" test "$lost" = 0

# Ready for a handover: status says so on both after looks a second apart (the looks of the
# restarted agent start again).
check "status: r1 (master) is ready for a handover" wait_ready 1 ready
check "status: r2 (backup) is ready for a handover" wait_ready 2 ready
check "status: the peer's last message is dated" python3 -c '
import json, sys
assert json.loads(sys.argv[1])["vrrp"]["sync"]["last_heard"].endswith("Z")' "$(rctl 2 status --json)"

# The planned handover.
vr_ping_run client "$tmp/ping-handover" 203.0.113.100 0.01
out=$(rctl 1 handover 2>&1)
rc=$?
echo "     handover: $out"
check "handover on the master exits 0" test $rc = 0
check "r2 is master after the handover" wait_state 2 master 20
check "r1 is backup after the handover" test "$(vrrp_state 1)" = backup
check "r1 is held" python3 -c 'import json,sys; v=json.loads(sys.argv[1])["vrrp"]; assert v["held"] and v["priority"] == 1, v' "$(rctl 1 status --json)"
# The client renews at once: the time until the new master's DHCP answers.
t0=$(date +%s%N)
lease2=$(dhcp "$addr1")
echo "     DHCP after the handover: the client's renew answered by $lease2 in $((($(date +%s%N) - t0) / 1000000)) ms"
check "DHCP after the handover: the new master (r2) gives the client its address again ($lease2)" \
	test "$lease2" = "$addr1 10.1.1.3"
sleep 1
lost=$(vr_ping_lost "$tmp/ping-handover")
check "planned handover: no ping lost ($lost)" test "$lost" = 0
check "the client still reaches the server" in_ns client ping -c 2 -i 0.2 -W 1 -q 203.0.113.100
offers=$(in_ns dhcpc python3 "$here/dhcp-offers.py" eth0 02:00:00:00:00:79 | paste -sd' ')
check "DHCP after the handover: only the new master (10.1.1.3) offers (offers from: $offers)" \
	test "$offers" = 10.1.1.3

out=$(rctl 1 handover 2>&1)
rc=$?
check "handover on a backup is refused (exit 2)" test $rc = 2
check "the refusal says why ($out)" grep -q "not master" <<<"$out"
check "r2 is still master" test "$(vrrp_state 2)" = master

# A group changed on the master (r2): keepalived reloads, mastership does not move.
check "r2: its priority changed (generation 2)" apply 2 110 0 2
sleep 1
check "r2 is still master after its configuration changed" test "$(vrrp_state 2)" = master
check "r1 is still backup" test "$(vrrp_state 1)" = backup

# Back: r2 hands over to r1 (held at priority 1: a priority-0 advert makes it master anyway).
vr_ping_run client "$tmp/ping-back" 203.0.113.100 0.01
check "handover back from r2 exits 0" rctl 2 handover
check "r1 is master again" wait_state 1 master 20
sleep 1
lost=$(vr_ping_lost "$tmp/ping-back")
check "handover back: no ping lost ($lost)" test "$lost" = 0
check "handover --cancel ends r2's hold" rctl 2 handover --cancel
check "r2's status: not held" python3 -c 'import json,sys; v=json.loads(sys.argv[1])["vrrp"]; assert not v["held"], v' "$(rctl 2 status --json)"
sleep 1
check "without preempt, r2 stays backup after its hold ended" test "$(vrrp_state 2)" = backup

# VRRP removed from r2's intent: keepalived and conntrackd stop, status has no vrrp.
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d.pop("vrrp"); d["generation"]=3; json.dump(d,sys.stdout)' \
	"$tmp/r2/intent.json" >"$tmp/r2/novrrp.json"
kpid=$(cat "$tmp/r2/state/services/keepalived.pid")
check "r2: vrrp removed (generation 3)" rctl 2 apply "$tmp/r2/novrrp.json"
check "r2: status has no vrrp" test "$(vrrp_state 2)" = none
check "r2: keepalived stopped ($(grep -s State: /proc/$kpid/status))" \
	sh -c "! grep -qs '^State:.*[RSD]' /proc/$kpid/status"
check "r2: the services say keepalived and conntrackd are stopped" python3 -c '
import json, sys
s = json.loads(sys.argv[1])["services"]
assert s["keepalived"]["state"] == "stopped" and s["conntrackd"]["state"] == "stopped", s' \
	"$(rctl 2 status --json)"
check "r1 (master) is no longer ready: its peer is silent" \
	wait_ready 1 "the peer is not heard on the sync link" 80

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
