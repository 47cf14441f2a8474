#!/bin/bash
# The HA test of the agent: the two routers of tests/ha/topo.sh run vrouterd, which runs
# keepalived and conntrackd from the intents' `vrrp` (tests/ha/r1.json, r2.json: priorities
# 200 and 100, no preemption, SNAT of the LAN to the WAN virtual address), with real traffic
# (tests/ha/traffic.py) across the events of baseline.sh done the agent's way, one traffic run
# per event. The routers' links start under other names ($HA_LINK_NAMES): vrouterd finds them
# by MAC and renames them.
#
# The intents also give both routers the services of tests/ha/services.sh: DHCP on the LAN (the
# master serves it), an IPsec tunnel from the WAN virtual address and a WireGuard tunnel (the
# same key on both) to the far end in server; each event's services line is their probes'.
#
# Each vrouterd runs in its router's namespaces (network, UTS, and mount with a private /run);
# its socket, state and configuration directories are in the test's temporary directory.
#
# Events (traffic started 2 s before the event, stopped 3 s after the new master holds the
# virtual addresses; TCP errors are printed in ms after the event):
#   handover       `vrouterctl handover` on the master (r1), then `handover --cancel` on it:
#                  without preemption it stays backup, and the next event starts with no hold.
#   late-handover  `vrouterctl handover` on r2, more than 65 s after r1 became backup, on
#                  connections opened after that and older than 65 s (the baseline's notify
#                  would have flushed them from the backup's table by then).
#   agent-kill     during the late handover's wait, with its own traffic run: kill -9 of the
#                  master's (r2's) vrouterd, restarted 1 s later into the same namespaces. It
#                  must move nothing: no transition on either router, keepalived not restarted.
#   hard-failure   the master's (r1's) vrouterd, keepalived and conntrackd SIGSTOPped, its links
#                  down, then all killed; brought back after: the virtual addresses that the
#                  killed keepalived left removed, links up, vrouterd started again (it applies
#                  its persisted intent and joins as backup).
#   link-down      the master's (r2's) wan link down; up after (r2 joins as backup).
#   back-and-forth 10 planned handovers alternating between the routers (each followed by
#                  --cancel on the router that handed over), on one traffic run: its line is
#                  the worst of the 10 (the takeover: the slowest `handover`).
#
# Usage: agent.sh [ADVERT_MS (default 100)] [OUTDIR]
# VROUTERD and VROUTERCTL in the environment name the programs (default: build/agent/...).
# Prints one line per event; with OUTDIR, also each traffic run's JSON (EVENT.json), the agents'
# logs, the rendered configurations and server.log. Exit 0 when every event ran (whatever it
# measured), 1 when the setup did not work (no master, no traffic before an event, no
# takeover, a handover refused), 77 when a program is missing or namespaces cannot be made.
set -u
advert_ms=${1:-100}
outdir=${2:-}
[ -n "$outdir" ] && outdir=$(realpath -m "$outdir")
here=$(dirname "$(realpath "$0")")
vrouterd=$(realpath "${VROUTERD:-$here/../../build/agent/daemon/vrouterd}")
ctl=$(realpath "${VROUTERCTL:-$here/../../build/agent/cli/vrouterctl}")

for prog in keepalived conntrackd dnsmasq /usr/lib/ipsec/charon swanctl wg wireguard-go busybox \
	nft python3 nsenter unshare "$vrouterd" "$ctl"; do
	command -v "$prog" >/dev/null || { echo "skip: $prog is not installed"; exit 77; }
done

. "$here/../lib/netns.sh"
vr_own_namespaces VRTEST_HA_AGENT "$0" "$@"
export HA_LINK_NAMES=${HA_LINK_NAMES:-eth0 eth1 eth2}
. "$here/topo.sh"

tmp=$(mktemp -d)
chmod 755 "$tmp"
declare -A agent # each router's vrouterd (a PID this script started)

# The processes of router N: every one whose command line names its directory (its vrouterd,
# keepalived's two processes, conntrackd, dnsmasq, charon), and the wireguard-go in its network
# namespace (which outlives the agent).
router_pids() { # r1|r2
	local p net
	net=$(eval "readlink /proc/\$ha_ns_$1/ns/net")
	for p in /proc/[0-9]*; do
		if grep -qa -- "$tmp/$1/" "$p/cmdline" 2>/dev/null ||
			{ [ "$(cat "$p/comm" 2>/dev/null)" = wireguard-go ] &&
				[ "$(readlink "$p/ns/net")" = "$net" ]; }; then
			echo "${p#/proc/}"
		fi
	done
}

cleanup() {
	local r p
	# The agents first, and gone before their daemons are ended: an agent that sees a daemon
	# die starts it again.
	for r in r1 r2; do
		for p in $(router_pids $r); do
			grep -qa -- "$tmp/$r/agent.sock" "/proc/$p/cmdline" 2>/dev/null || continue
			kill -CONT "$p" 2>/dev/null
			kill "$p" 2>/dev/null
		done
	done
	for _ in $(seq 50); do
		grep -qa -- "$tmp/r[12]/agent.sock" /proc/[0-9]*/cmdline 2>/dev/null || break
		sleep 0.1
	done
	for r in r1 r2; do
		for p in $(router_pids $r); do
			kill -CONT "$p" 2>/dev/null
			kill "$p" 2>/dev/null
		done
		[ -n "${agent[$r]:-}" ] && ha_forget "${agent[$r]}"
	done
	svc_far_cleanup
	ha_cleanup
	if [ -n "$outdir" ]; then
		mkdir -p "$outdir"
		for r in r1 r2; do
			cp "$tmp/$r/log" "$outdir/$r-vrouterd.log" 2>/dev/null
			cp "$tmp/$r/etc/keepalived/keepalived.conf" "$outdir/$r-keepalived.conf" 2>/dev/null
			cp "$tmp/$r/etc/conntrackd/conntrackd.conf" "$outdir/$r-conntrackd.conf" 2>/dev/null
		done
		cp "$tmp/server.log" "$outdir/server.log" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

ha_diag() {
	local r
	for r in r1 r2; do
		echo "--- $r vrouterd (tail)"
		tail -25 "$tmp/$r/log" 2>/dev/null
	done
}
. "$here/events.sh"
. "$here/../lib/charon.sh"
. "$here/services.sh"

ha_topology || die "topology"
svc_far

rctl() { # r1|r2 ARGS...
	local r=$1
	shift
	"$ctl" --socket "$tmp/$r/agent.sock" "$@"
}
# A field of the router's "vrrp" status (a Python expression on v), "-" when it cannot be read.
vrrp_get() { # r1|r2 EXPR
	rctl "$1" status --json 2>/dev/null | python3 -c '
import json, sys
try:
    v = json.load(sys.stdin)["vrrp"]
    print(eval(sys.argv[1]))
except Exception:
    print("-")' "$2"
}
state_is() { [ "$(vrrp_get "$1" 'v["state"]')" = "$2" ]; }
is_master() { state_is "$1" master && holds_vips "$1"; }

start_agent() { # r1|r2: vrouterd in the router's namespaces, its socket answering
	local d="$tmp/$1" _
	mkdir -p "$d"
	chmod 755 "$d"
	rm -f "$d/agent.sock"
	ha_bg "$1" sh -c 'umask 0077; exec "$@"' sh "$vrouterd" --backend kernel \
		--socket "$d/agent.sock" --state-dir "$d/state" --confdir "$d/etc" \
		--payload "$d/payload.json" --serial none 2>>"$d/log"
	agent[$1]=$ha_bg_pid
	wait_for 10 "$1's vrouterd answers" rctl "$1" status >/dev/null 2>&1
}
apply() { # r1|r2: its intent, with the advert interval of this run
	python3 - "$here/$1.json" "$advert_ms" "$svc_psk" "$svc_wg_key" "$svc_far_pub" \
		>"$tmp/$1/intent.json" <<'PY'
import json, sys
i = json.load(open(sys.argv[1]))
i["vrrp"]["advert_interval_ms"] = int(sys.argv[2])
# The services of tests/ha/services.sh: DHCP on the LAN (served by the master only), an IPsec
# tunnel from the WAN virtual address and a WireGuard tunnel (the same key on both routers) to
# the far end in server, their traffic admitted both ways; the server is the way out.
i["dhcp"] = {"lan": {"ranges": [{"start": "10.1.1.150", "end": "10.1.1.199"}],
                     "lease_seconds": 600}}
i["vpn"] = {
    "ipsec": {"far": {"local_address": "203.0.113.10", "remote_address": "203.0.113.100",
                      "psk": sys.argv[3], "local_subnets": ["10.1.1.0/24"],
                      "remote_subnets": ["10.9.0.0/24"]}},
    "wireguard": {"wg0": {"private_key": sys.argv[4], "listen_port": 51820,
                          "addresses": ["10.8.0.1/24"],
                          "peers": {"far": {"public_key": sys.argv[5],
                                            "endpoint": "203.0.113.100:51821",
                                            "allowed_ips": ["10.7.0.0/24", "10.8.0.2/32"],
                                            "keepalive_seconds": 1}}}}}
i["firewall"]["forward"]["rules"][:0] = [
    {"action": "accept", "in": "lan", "out": t} for t in ("far", "wg0")] + [
    {"action": "accept", "in": t, "out": "lan"} for t in ("far", "wg0")]
i["routes"] = [{"to": "0.0.0.0/0", "via": "203.0.113.100"}]
json.dump(i, sys.stdout, indent=1)
PY
	rctl "$1" apply "$tmp/$1/intent.json" >/dev/null || die "$1: apply refused"
}
handover() { # r1|r2: the planned handover from it; $took: how long `handover` took (ms)
	local out t0
	t0=$(date +%s%N)
	out=$(rctl "$1" handover 2>&1) || die "$1: handover: $out"
	took=$(ms_since "$t0")
}
cancel() { # r1|r2: its hold ended
	rctl "$1" handover --cancel >/dev/null || die "$1: handover --cancel"
}
# Until the backup is in sync with the master (what handover requires): the master hears it on
# the sync link and has no unacknowledged message.
in_sync() { # MASTER
	[ "$(vrrp_get "$1" 'v["sync"]["unacknowledged"] == 0 and v["sync"]["packets_received"] > 0')" = True ]
}
# What the new master had before the event: its kernel's connections, its conntrackd's figures.
before() { # r1|r2
	echo "kernel table $(ha_in "$1" cat /proc/sys/net/netfilter/nf_conntrack_count) entries, sync" \
		"$(vrrp_get "$1" '"entries %d injected %d" % (v["sync"]["entries"], v["sync"]["injected"])')"
}
note() { # NEW-MASTER BEFORE
	echo "               ($1 before: $2)"
}

start_agent r1
apply r1
wait_for 10 "r1 master" is_master r1
start_agent r2
apply r2
wait_for 10 "r2 backup" state_is r2 backup
wait_for 10 "r2 in sync" in_sync r1
svc_dhcpc
svc_ready

ha_bg server python3 "$here/traffic.py" server --bind 203.0.113.100 >"$tmp/server.log" 2>&1
sleep 0.5

echo "advert interval ${advert_ms} ms; vrouterd: keepalived and conntrackd (DisableExternalCache on); r1 master, r2 backup"

# 1. Planned handover r1 -> r2.
traffic_start handover
n=$(before r2)
t=$(date +%s%N)
svc_dhcp handover "$t" 10.1.1.3
handover r1
both_vips_on r2 r1 || die "r2 does not hold the addresses after the handover returned"
cancel r1
t_backup=$(date +%s)
traffic_stop handover "$t" "$took"
note r2 "$n"

# 2. The late handover r2 -> r1, and the agent-kill event during its wait.
traffic_start late-handover
t_late=$(date +%s)
wait_for 10 "r1 in sync" in_sync r2
sleep 10
traffic_start agent-kill
since1=$(vrrp_get r1 'v["since"]')
kpid=$(cat "$tmp/r2/state/services/keepalived.pid")
t=$(date +%s%N)
svc_dhcp agent-kill "$t" 10.1.1.3
{
	kill -9 "${agent[r2]}"
	wait "${agent[r2]}"
} 2>/dev/null
ha_forget "${agent[r2]}"
sleep 1
# Restarted in the namespaces of the first (the sleeper's: the same /run as its daemons).
start_agent r2
took=$(ms_since "$t")
traffic_stop agent-kill "$t" -
moved=
state_is r2 master || moved+=" r2 not master;"
state_is r1 backup || moved+=" r1 not backup;"
[ "$(vrrp_get r1 'v["since"]')" = "$since1" ] || moved+=" r1 had a transition;"
holds_vips r1 && moved+=" r1 holds addresses;"
holds_vips r2 || moved+=" r2 lost its addresses;"
[ "$(cat "$tmp/r2/state/services/keepalived.pid")" = "$kpid" ] || moved+=" keepalived restarted;"
echo "               (r2's vrouterd answering again $took ms after its kill;${moved:- no transition, keepalived not restarted})"
left=$((t_late + 66 - $(date +%s)))
[ "$left" -gt 0 ] && sleep "$left"
wait_for 10 "r1 in sync" in_sync r2
n=$(before r1)
echo "               (late-handover: r1 backup for $(($(date +%s) - t_backup)) s, connections $(($(date +%s) - t_late + 2)) s old)"
t=$(date +%s%N)
svc_dhcp late-handover "$t" 10.1.1.2
handover r2
both_vips_on r1 r2 || die "r1 does not hold the addresses after the late handover returned"
cancel r2
traffic_stop late-handover "$t" "$took"
note r1 "$n"
wait_for 10 "r2 in sync" in_sync r1

# 3. Hard failure of r1: its processes stopped, its links down, then killed.
traffic_start hard-failure
n=$(before r2)
pids=$(router_pids r1)
t=$(date +%s%N)
svc_dhcp hard-failure "$t" 10.1.1.3
# shellcheck disable=SC2086 # a list of PIDs
kill -STOP $pids
for l in lan wan sync; do ha_in r1 ip link set dev $l down; done
wait_for 10 "r2 master after the hard failure" holds_vips r2
took=$(ms_since "$t")
# (stderr off: bash's notice of its killed job)
{
	# shellcheck disable=SC2086
	kill -KILL $pids
	wait "${agent[r1]}"
} 2>/dev/null
ha_forget "${agent[r1]}"
traffic_stop hard-failure "$t" "$took"
note r2 "$n"
# r1 back, as after a reboot: the addresses that its killed keepalived left removed.
ha_in r1 ip addr del 10.1.1.1/24 dev lan 2>/dev/null
ha_in r1 ip addr del 203.0.113.10/24 dev wan 2>/dev/null
for l in lan wan sync; do ha_in r1 ip link set dev $l up; done
start_agent r1
wait_for 20 "r1 backup after its restart" state_is r1 backup
wait_for 10 "r1 in sync" in_sync r2

# 4. The wan link of the master (r2) down.
traffic_start link-down
n=$(before r1)
t=$(date +%s%N)
svc_dhcp link-down "$t" 10.1.1.2
ha_in r2 ip link set dev wan down
wait_for 10 "r1 master after r2's wan went down" holds_vips r1
took=$(ms_since "$t")
traffic_stop link-down "$t" "$took"
note r1 "$n"
ha_in r2 ip link set dev wan up
wait_for 10 "r2 backup after its wan came back" state_is r2 backup
wait_for 10 "r2 in sync" in_sync r1

# 5. Back and forth: 10 handovers, r1 -> r2 -> r1 ..., on one traffic run.
traffic_start back-and-forth
t=$(date +%s%N)
worst=0
from=r1
to=r2
for i in $(seq 10); do
	wait_for 10 "$to in sync before handover $i" in_sync $from
	handover $from
	[ "$took" -gt "$worst" ] && worst=$took
	both_vips_on $to $from || die "$to does not hold the addresses after handover $i"
	cancel $from
	to=$from
	from=$(if [ "$to" = r1 ]; then echo r2; else echo r1; fi)
done
traffic_stop back-and-forth "$t" "$worst"

exit 0
