#!/bin/bash
# The HA baseline: two routers (tests/ha/topo.sh) configured BY HAND the usual way, with real
# traffic (tests/ha/traffic.py) across four events, measured one traffic run per event.
#
#   r1, r2: addresses, ip_forward, one nftables SNAT rule (LAN -> the WAN VIP, but not to the
#   far end's tunnelled subnets: the usual exemption, or a ping that left in clear while the
#   tunnels came up would keep its NAT inside them); keepalived
#   (VRRPv3, groups lan (vrid 11) and wan (vrid 12) in one vrrp_sync_group, r1 priority 200,
#   r2 100, both `state BACKUP` + `nopreempt`: a router that comes back stays backup, so each
#   event moves the master once and no preemption adds a second move); conntrackd (FTFW, UDP
#   over the sync link, the default external cache as shipped) and the notify logic of
#   conntrackd's primary-backup.sh: primary -c -f -R -B; backup -t -n; fault -t. The shipped
#   script's restart of a conntrackd that does not answer is left out: this script starts and
#   ends conntrackd itself, by PID.
#   The services (tests/ha/services.sh's far end and probes), the usual way: a second notify
#   script of the sync group (keepalived's generic `notify`, run beside the first) that on
#   MASTER starts dnsmasq (DHCP on lan, authoritative, a lease file per router), makes wg0
#   (the kernel's WireGuard, else wireguard-go, as wg-quick does; wg setconf, its address and
#   the route to the far end's side) and initiates the IPsec tunnel (`swanctl --initiate`
#   against the router's own charon, kernel-libipsec, the tunnel loaded at start with the WAN
#   VIP as its local address), and on BACKUP, FAULT or STOP (keepalived stopping) stops
#   dnsmasq, deletes wg0 and terminates the tunnel. The routers' default route: the server.
#
# Every file (configurations, logs, pid files, lock file, control sockets, the notify script
# and its record of transitions) is in the test's temporary directory, per router. keepalived
# and conntrackd also run in each router's own mount namespace with a private /run (topo.sh),
# so nothing they might put under /run can collide between r1 and r2.
#
# Events, each with its own traffic run (traffic started 2 s before the event, stopped 3 s after
# the new master holds the VIPs; TCP errors are printed in ms after the event):
#   handover       planned: keepalived stopped (SIGTERM) on the master, which sends priority 0;
#                  restarted after (it joins as backup).
#   late-handover  planned, back again, more than 65 s after the backup joined, on connections
#                  opened before it joined (older than 65 s): what conntrackd -t (run by the
#                  backup notify, purge after 60 s) does to them.
#   hard-failure   the master's keepalived and conntrackd SIGSTOPped, its links down, then both
#                  killed; brought back after (links up, daemons started: it joins as backup).
#   link-down      the wan link of the master down (its group faults, the sync group follows);
#                  up again after.
#   flush-after-join  no VRRP event: traffic through r1, which became master (link-down) less
#                  than 60 s after it joined as backup, across the flush of its kernel conntrack
#                  table that the backup notify's `conntrackd -t` armed for 60 s after the join.
#                  Times in its line are relative to that flush.
#
# Usage: baseline.sh [ADVERT_MS (default 100)] [OUTDIR]
# With HA_DISABLE_EXTERNAL_CACHE=1 in the environment, conntrackd runs with
# `DisableExternalCache on` (synced states go straight into the backup's kernel table): the
# variant that platform.md measured, for comparison; the baseline is without it.
# Prints one line per event; with OUTDIR, also each traffic run's JSON (EVENT.json) and the
# routers' logs. Exit 0 when every event ran (whatever it measured), 1 when the setup did not
# work (no master, no traffic before an event, no takeover), 77 when a program is missing or
# namespaces cannot be made.
set -u
advert_ms=${1:-100}
external_cache=Off
[ "${HA_DISABLE_EXTERNAL_CACHE:-}" = 1 ] && external_cache=On
outdir=${2:-}
[ -n "$outdir" ] && outdir=$(realpath -m "$outdir")
here=$(dirname "$(realpath "$0")")

for prog in keepalived conntrackd dnsmasq /usr/lib/ipsec/charon swanctl wg wireguard-go busybox \
	nft python3 nsenter unshare; do
	command -v $prog >/dev/null || { echo "skip: $prog is not installed"; exit 77; }
done

. "$here/../lib/netns.sh"
vr_own_namespaces VRTEST_HA_BASELINE "$0" "$@"
. "$here/topo.sh"

tmp=$(mktemp -d)
chmod 755 "$tmp" # (dnsmasq reads its configuration as user dnsmasq)
declare -A kpid cpid spid # each router's keepalived, conntrackd and charon (PIDs this script started)
# What the notify scripts started in router N: its dnsmasq (its pid file names it) and the
# wireguard-go in its network namespace.
notified_pids() { # r1|r2
	local p net
	cat "$tmp/$1/dnsmasq.pid" 2>/dev/null
	net=$(eval "readlink /proc/\$ha_ns_$1/ns/net")
	for p in /proc/[0-9]*; do
		[ "$(cat "$p/comm" 2>/dev/null)" = wireguard-go ] && [ "$(readlink "$p/ns/net")" = "$net" ] &&
			echo "${p#/proc/}"
	done
}
cleanup() {
	local r p
	for r in r1 r2; do
		[ -n "${kpid[$r]:-}" ] && kill -CONT "${kpid[$r]}" 2>/dev/null && kill "${kpid[$r]}" 2>/dev/null
		[ -n "${cpid[$r]:-}" ] && kill -CONT "${cpid[$r]}" 2>/dev/null && kill "${cpid[$r]}" 2>/dev/null
		[ -n "${spid[$r]:-}" ] && kill -CONT "${spid[$r]}" 2>/dev/null && kill "${spid[$r]}" 2>/dev/null
	done
	sleep 0.2 # (keepalived's last notify, if any, done)
	for r in r1 r2; do
		for p in $(notified_pids $r); do kill -CONT "$p" 2>/dev/null; kill "$p" 2>/dev/null; done
	done
	svc_far_cleanup
	ha_cleanup
	if [ -n "$outdir" ]; then
		mkdir -p "$outdir"
		for r in r1 r2; do
			cp "$tmp/$r/keepalived.log" "$outdir/$r-keepalived.log" 2>/dev/null
			cp "$tmp/$r/conntrackd.log" "$outdir/$r-conntrackd.log" 2>/dev/null
			cp "$tmp/$r/transitions" "$outdir/$r-transitions" 2>/dev/null
			cp "$tmp/$r/svc-transitions" "$outdir/$r-svc-transitions" 2>/dev/null
			cp "$tmp/$r/dnsmasq.log" "$outdir/$r-dnsmasq.log" 2>/dev/null
			cp "$tmp/$r/charon/out" "$outdir/$r-charon.log" 2>/dev/null
		done
		cp "$tmp/server.log" "$outdir/server.log" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

ha_diag() {
	for r in r1 r2; do
		echo "--- $r transitions"
		cat "$tmp/$r/transitions" 2>/dev/null
		echo "--- $r keepalived (tail)"
		tail -15 "$tmp/$r/keepalived.log" 2>/dev/null
	done
}
. "$here/events.sh"
. "$here/../lib/charon.sh"
. "$here/services.sh"

ha_topology || die "topology"
svc_far

advert_s=$(awk -v ms="$advert_ms" 'BEGIN { printf "%g", ms / 1000 }')

# The routers, by hand.
configure() { # 1|2
	local n=$1 r=r$1 d="$tmp/r$1" peer_sync prio
	mkdir -p "$d"
	[ "$n" = 1 ] && prio=200 || prio=100
	[ "$n" = 1 ] && peer_sync=169.254.0.2 || peer_sync=169.254.0.1
	ha_in $r ip addr add "10.1.1.$((n + 1))/24" dev lan
	ha_in $r ip addr add "203.0.113.$((n + 1))/24" dev wan
	ha_in $r ip addr add "169.254.0.$n/30" dev sync
	ha_in $r sysctl -qw net.ipv4.ip_forward=1
	ha_in $r ip route add default via 203.0.113.100
	ha_in $r nft -f - <<NFT
table ip ha {
	chain postrouting {
		type nat hook postrouting priority srcnat;
		oifname "wan" ip saddr 10.1.1.0/24 ip daddr != { 10.9.0.0/24, 10.7.0.0/24 } snat to 203.0.113.10;
	}
}
NFT

	cat >"$d/conntrackd.conf" <<EOF
Sync {
	Mode FTFW {
		DisableExternalCache $external_cache
	}
	UDP {
		IPv4_address 169.254.0.$n
		IPv4_Destination_Address $peer_sync
		Port 3780
		Interface sync
		SndSocketBuffer 1249280
		RcvSocketBuffer 1249280
		Checksum on
	}
}
General {
	HashSize 32768
	HashLimit 131072
	LogFile $d/conntrackd.log
	Syslog off
	LockFile $d/conntrackd.lock
	UNIX {
		Path $d/conntrackd.ctl
	}
	NetlinkBufferSize 2097152
	NetlinkBufferSizeMaxGrowth 8388608
	Filter From Userspace {
		Protocol Accept {
			TCP
			UDP
		}
		Address Ignore {
			IPv4_address 127.0.0.1
			IPv4_address 10.1.1.1
			IPv4_address 203.0.113.10
			IPv4_address 10.1.1.$((n + 1))
			IPv4_address 203.0.113.$((n + 1))
			IPv4_address 169.254.0.$n
		}
	}
}
EOF

	# primary-backup.sh's logic, with this router's configuration; each transition recorded
	# (time, state) for the script's waits and the report.
	cat >"$d/notify.sh" <<EOF
#!/bin/sh
c() { conntrackd -C $d/conntrackd.conf "\$@" || echo "\$(date +%s.%N) conntrackd \$* failed" >>$d/transitions; }
echo "\$(date +%s.%N) \$1" >>$d/transitions
case "\$1" in
primary) c -c; c -f; c -R; c -B ;;
backup) c -t; c -n ;;
fault) c -t ;;
esac
echo "\$(date +%s.%N) \$1 done" >>$d/transitions
EOF
	chmod 755 "$d/notify.sh"

	# The services, by hand (see the header).
	cat >"$d/dnsmasq.conf" <<EOF
port=0
interface=lan
bind-interfaces
dhcp-range=10.1.1.150,10.1.1.199,255.255.255.0,10m
dhcp-option=option:router,10.1.1.1
dhcp-authoritative
dhcp-leasefile=$d/dnsmasq.leases
pid-file=$d/dnsmasq.pid
log-facility=$d/dnsmasq.log
EOF
	(
		umask 077
		cat >"$d/wg0.conf" <<EOF
[Interface]
PrivateKey = $svc_wg_key
ListenPort = 51820

[Peer]
PublicKey = $svc_far_pub
Endpoint = 203.0.113.100:51821
AllowedIPs = 10.7.0.0/24, 10.8.0.2/32
PersistentKeepalive = 1
EOF
	)
	mkdir -p "$d/charon"
	cat >"$d/charon/swanctl.conf" <<EOF
connections {
	far {
		local_addrs = 203.0.113.10
		remote_addrs = 203.0.113.100
		local { auth = psk }
		remote { auth = psk }
		children {
			far {
				local_ts = 10.1.1.0/24
				remote_ts = 10.9.0.0/24
			}
		}
	}
}
secrets {
	ike-far {
		secret = "$svc_psk"
	}
}
EOF
	cat >"$d/svc-notify.sh" <<EOF
#!/bin/sh
# keepalived's generic notify: GROUP NAME STATE PRIORITY
sw() { swanctl "\$@" --uri unix://$d/charon/vici; }
echo "\$(date +%s.%N) services \$3" >>$d/svc-transitions
case "\$3" in
MASTER)
	dnsmasq --conf-file=$d/dnsmasq.conf
	if ! ip link add wg0 type wireguard 2>/dev/null; then
		wireguard-go wg0
	fi
	wg setconf wg0 $d/wg0.conf
	ip addr add 10.8.0.1/24 dev wg0
	ip link set dev wg0 up
	ip route add 10.7.0.0/24 dev wg0
	sw --initiate --child far --timeout 10 >/dev/null
	;;
*) # BACKUP, FAULT, and STOP (keepalived stopped)
	[ -s $d/dnsmasq.pid ] && kill "\$(cat $d/dnsmasq.pid)" && rm -f $d/dnsmasq.pid
	ip link del wg0 2>/dev/null
	sw --terminate --ike far --force >/dev/null 2>&1
	;;
esac
echo "\$(date +%s.%N) services \$3 done" >>$d/svc-transitions
EOF
	chmod 755 "$d/svc-notify.sh"

	cat >"$d/keepalived.conf" <<EOF
global_defs {
	router_id $r
	vrrp_version 3
	script_user root
}
vrrp_sync_group ha {
	group {
		lan
		wan
	}
	notify_master "$d/notify.sh primary"
	notify_backup "$d/notify.sh backup"
	notify_fault "$d/notify.sh fault"
	notify "$d/svc-notify.sh"
}
vrrp_instance lan {
	state BACKUP
	nopreempt
	interface lan
	virtual_router_id 11
	priority $prio
	advert_int $advert_s
	virtual_ipaddress {
		10.1.1.1/24 dev lan
	}
}
vrrp_instance wan {
	state BACKUP
	nopreempt
	interface wan
	virtual_router_id 12
	priority $prio
	advert_int $advert_s
	virtual_ipaddress {
		203.0.113.10/24 dev wan
	}
}
EOF
}

start_conntrackd() { # r1|r2
	local d="$tmp/$1" _
	rm -f "$d/conntrackd.lock" "$d/conntrackd.ctl"
	ha_bg "$1" conntrackd -C "$d/conntrackd.conf" >>"$d/conntrackd.out" 2>&1
	cpid[$1]=$ha_bg_pid
	for _ in $(seq 50); do
		ha_in "$1" conntrackd -C "$d/conntrackd.conf" -s >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	die "conntrackd of $1 does not answer"
}
start_charon() { # r1|r2: its charon, the tunnel loaded (not initiated: the notify's job)
	local d="$tmp/$1/charon"
	rm -f "$d/vici" # (a killed charon's: the new one's is waited for)
	# shellcheck disable=SC2046 # several arguments, no spaces within one
	vr_hand_charon "$d" nsenter $(ha_nsargs "$1") || die "charon of $1 does not start"
	spid[$1]=$vr_hand_charon_pid
	ha_pids+=("$vr_hand_charon_pid")
	vr_hand_swanctl "$d" --load-all --noprompt --file "$d/swanctl.conf" >"$d/load.out" 2>&1 ||
		die "charon of $1 refuses its configuration: $(cat "$d/load.out")"
}
start_keepalived() { # r1|r2
	local d="$tmp/$1"
	ha_bg "$1" keepalived --dont-fork --log-console --log-detail --vrrp \
		--use-file "$d/keepalived.conf" --pid "$d/keepalived.pid" \
		--vrrp_pid "$d/vrrp.pid" --checkers_pid "$d/checkers.pid" >>"$d/keepalived.log" 2>&1
	kpid[$1]=$ha_bg_pid
}
stop_keepalived() { # r1|r2: SIGTERM (the master sends priority 0); reaped by reap_keepalived
	kill "${kpid[$1]}"
}
reap_keepalived() { # r1|r2
	{ wait "${kpid[$1]}"; } 2>/dev/null
	ha_forget "${kpid[$1]}"
	kpid[$1]=
}
last_state() { # r1|r2: the last transition the notify script recorded
	awk '$2 != "conntrackd" && NF == 2 { s = $2 } END { print s }' "$tmp/$1/transitions" 2>/dev/null
}
state_is() { [ "$(last_state "$1")" = "$2" ]; }

configure 1
configure 2
start_charon r1
start_charon r2
start_conntrackd r1
start_conntrackd r2
start_keepalived r1
wait_for 10 "r1 master" both_vips_on r1 r2
wait_for 10 "r1's notify primary done" grep -q 'primary done' "$tmp/r1/transitions"
start_keepalived r2
wait_for 10 "r2 backup" state_is r2 backup
wait_for 10 "r2's notify backup done" grep -q 'backup done' "$tmp/r2/transitions"
svc_dhcpc
svc_ready

ha_bg server python3 "$here/traffic.py" server --bind 203.0.113.100 >"$tmp/server.log" 2>&1
sleep 0.5

ext_cache() { # r1|r2: entries in conntrackd's external cache (what -c would commit) and in
	# the kernel's table (where synced states go with DisableExternalCache on)
	echo "external cache $(ha_in "$1" conntrackd -C "$tmp/$1/conntrackd.conf" -s 2>/dev/null |
		awk '/cache external/ { f = 1 } f && /current active/ { print $NF; exit }'), kernel table" \
		"$(ha_in "$1" cat /proc/sys/net/netfilter/nf_conntrack_count)"
}
notify_at() { # r1|r2 T0-NS: when its last `primary` notify started and ended, in ms after T0
	awk -v t0="$2" '$2 == "primary" && NF == 2 { s = $1 } $2 == "primary" && $3 == "done" { e = $1 }
		END { printf "notify primary +%d..+%d ms", (s - t0 / 1e9) * 1000, (e - t0 / 1e9) * 1000 }' \
		"$tmp/$1/transitions"
}
note() { # NEW-MASTER EXT-CACHE T-EVENT-NS: what the new master had before the event
	echo "               ($1 before: $2 entries; $(notify_at "$1" "$3"))"
}

# (The takeover time printed: from the event to the new master holding both VIPs, as this
# script polls it every 50 ms; the traffic's own gaps are the measure.)
echo "advert interval ${advert_ms} ms; conntrackd DisableExternalCache $external_cache; r1 master, r2 backup"

# 1. Planned handover r1 -> r2.
traffic_start handover
n=$(ext_cache r2)
t=$(date +%s%N)
svc_dhcp handover "$t" 10.1.1.3
stop_keepalived r1
wait_for 10 "r2 master after the handover" both_vips_on r2 r1
took=$(ms_since "$t")
reap_keepalived r1
traffic_stop handover "$t" "$took"
note r2 "$n" "$t"

# 2. Late handover r2 -> r1: connections opened, then r1 joins as backup, 66 s, handover.
traffic_start late-handover
start_keepalived r1
wait_for 10 "r1 backup" state_is r1 backup
sleep 66
n=$(ext_cache r1)
t=$(date +%s%N)
svc_dhcp late-handover "$t" 10.1.1.2
stop_keepalived r2
wait_for 10 "r1 master after the late handover" both_vips_on r1 r2
took=$(ms_since "$t")
reap_keepalived r2
traffic_stop late-handover "$t" "$took"
note r1 "$n" "$t"
start_keepalived r2
wait_for 10 "r2 backup" state_is r2 backup
sleep 1

# 3. Hard failure of r1: its processes stopped, its links down, then killed.
traffic_start hard-failure
n=$(ext_cache r2)
vrrp_child=$(cat "$tmp/r1/vrrp.pid") # keepalived's VRRP process, forked by kpid[r1]
notified=$(notified_pids r1)
t=$(date +%s%N)
svc_dhcp hard-failure "$t" 10.1.1.3
# shellcheck disable=SC2086 # a list of PIDs
kill -STOP "${kpid[r1]}" "${cpid[r1]}" "${spid[r1]}" "$vrrp_child" $notified
for l in lan wan sync; do ha_in r1 ip link set dev $l down; done
wait_for 10 "r2 master after the hard failure" holds_vips r2
took=$(ms_since "$t")
# (stderr off: bash's notice of its killed jobs)
{
	# shellcheck disable=SC2086
	kill -KILL "${kpid[r1]}" "${cpid[r1]}" "${spid[r1]}" "$vrrp_child" $notified
	wait "${kpid[r1]}" "${cpid[r1]}" "${spid[r1]}"
} 2>/dev/null
for p in "${kpid[r1]}" "${cpid[r1]}" "${spid[r1]}"; do ha_forget "$p"; done
kpid[r1]=
cpid[r1]=
spid[r1]=
rm -f "$tmp/r1/dnsmasq.pid"
traffic_stop hard-failure "$t" "$took"
note r2 "$n" "$t"
# r1 back: its VIPs went with its keepalived (killed: nobody removed them).
ha_in r1 ip addr del 10.1.1.1/24 dev lan 2>/dev/null
ha_in r1 ip addr del 203.0.113.10/24 dev wan 2>/dev/null
for l in lan wan sync; do ha_in r1 ip link set dev $l up; done
ha_in r1 ip route add default via 203.0.113.100
start_charon r1
start_conntrackd r1
start_keepalived r1
wait_for 10 "r1 backup after its restart" state_is r1 backup
sleep 1

# 4. The wan link of the master (r2) down.
traffic_start link-down
n=$(ext_cache r1)
t=$(date +%s%N)
svc_dhcp link-down "$t" 10.1.1.2
ha_in r2 ip link set dev wan down
wait_for 10 "r1 master after r2's wan went down" holds_vips r1
took=$(ms_since "$t")
traffic_stop link-down "$t" "$took"
note r1 "$n" "$t"
ha_in r2 ip link set dev wan up
wait_for 10 "r2 backup after its wan came back" state_is r2 backup

# 5. conntrackd -t on a master: r1 joined as backup after the hard failure (its notify ran -t,
# which arms a flush of the kernel's conntrack table PurgeTimeout = 60 s later) and became
# master within those 60 s (link-down): traffic through r1 across the moment of that flush.
traffic_start flush-after-join
j=$(awk '$2 == "backup" && NF == 2 { s = $1 } END { print s }' "$tmp/r1/transitions")
tf=$(awk -v j="$j" 'BEGIN { printf "%.0f", (j + 60) * 1e9 }') # (mawk's %d stops at 2^31)
left=$(((tf - $(date +%s%N)) / 1000000000))
[ "$left" -gt 0 ] || die "r1 joined more than 60 s ago"
echo "flush-after-join: r1 joined as backup $((60 - left)) s ago; traffic until 5 s after the flush"
traffic_stop flush-after-join "$tf" - $((left + 5))

echo "transitions: r1 $(awk 'NF==2 && $2 !~ /done/ {printf "%s ", $2}' "$tmp/r1/transitions")| r2 $(awk 'NF==2 {printf "%s ", $2}' "$tmp/r2/transitions")"
grep -h 'failed' "$tmp"/r?/transitions | sed 's/^/notify: /'
exit 0
