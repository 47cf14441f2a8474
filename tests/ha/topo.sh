# shellcheck shell=bash
# Sourced by the HA tests (baseline.sh; agent.sh next to it): the two-router topology, in
# namespaces made here. The caller has already re-executed itself in fresh network and UTS
# namespaces (vr_own_namespaces, tests/lib/netns.sh): that namespace is the switch, holding the
# bridges `swlan` and `swwan`. Nothing here touches the root namespace.
#
#            client 10.1.1.100/24 (default via 10.1.1.1)
#                 |
#   ------------ swlan (bridge, 10.1.1.0/24) -------------
#        | lan 10.1.1.2                    | lan 10.1.1.3
#        r1 ------- sync 169.254.0.1/30 --- r2 (sync .2; a direct veth pair)
#        | wan 203.0.113.2                 | wan 203.0.113.3
#   ------------ swwan (bridge, 203.0.113.0/24) ----------
#                 |
#            server 203.0.113.100/24 (no route back: the routers SNAT the LAN to the VIP)
#
# Virtual addresses (not set here; VRRP's): 10.1.1.1/24 on lan (vrid 11) and 203.0.113.10/24
# on wan (vrid 12).
#
# The routers' links have FIXED MACs so that an intent can match them (`mac`):
#   r1: lan 52:54:00:aa:01:01, wan 52:54:00:aa:01:02, sync 52:54:00:aa:01:03
#   r2: lan 52:54:00:aa:02:01, wan 52:54:00:aa:02:02, sync 52:54:00:aa:02:03
#   client eth0 02:00:00:aa:00:64, server eth0 02:00:00:aa:00:65
# Their names in the routers' namespaces are $HA_LINK_NAMES ("lan wan sync" by default, what
# the hand-made baseline uses); the agent variant sets other names (e.g. "eth0 eth1 eth2") and
# lets vrouterd rename them by MAC.
#
# The routers' namespaces are network, UTS AND mount namespaces with a private tmpfs on /run:
# keepalived and conntrackd of r1 and r2 then cannot collide on a path under /run that they
# insist on, whatever their configuration says. Client and server: network and UTS only.
#
# Use:
#   . tests/ha/topo.sh
#   ha_topology            # namespaces, links, addresses of client and server, routers' links up
#   ha_in r1 CMD...        # CMD in r1's namespaces (r1 r2 client server)
#   ha_bg r1 CMD...        # the same in the background; its PID in $ha_bg_pid (CMD itself:
#                          # nsenter execs it, so killing that PID ends CMD)
#   ha_forget PID          # PID (of ha_bg) was reaped by the caller: ha_cleanup must not kill it
#   ha_cleanup             # kills the PIDs ha_bg and ha_topology started, in reverse order
#
# ha_pids lists every PID started here (sleepers holding the namespaces, ha_bg's processes).

HA_LINK_NAMES=${HA_LINK_NAMES:-lan wan sync}
ha_pids=()

ha_mac() { # ROUTER(1|2) LINK-INDEX(1 lan, 2 wan, 3 sync)
	printf '52:54:00:aa:%02x:%02x\n' "$1" "$2"
}

ha_nsargs() { # NAME: nsenter's arguments for namespace NAME
	local p
	eval "p=\$ha_ns_$1"
	case $1 in
	# --root, --wd: setns into a mount namespace alone would leave a chroot (tests/fresh's).
	r1 | r2) echo "--net=/proc/$p/ns/net --uts=/proc/$p/ns/uts --mount=/proc/$p/ns/mnt --root=/proc/$p/root --wd=/proc/$p/cwd" ;;
	*) echo "--net=/proc/$p/ns/net --uts=/proc/$p/ns/uts" ;;
	esac
}

ha_in() { # NAME CMD...
	local a
	a=$(ha_nsargs "$1")
	shift
	# shellcheck disable=SC2086 # $a: several arguments, no spaces within one
	nsenter $a "$@"
}

ha_bg() { # NAME CMD...: CMD in the background; PID in $ha_bg_pid, also kept in ha_pids
	local a
	a=$(ha_nsargs "$1")
	shift
	# shellcheck disable=SC2086
	nsenter $a "$@" &
	ha_bg_pid=$!
	ha_pids+=("$ha_bg_pid")
}

ha_newns() { # NAME [router]: a namespace held by a sleeper; its PID in ha_ns_NAME
	if [ "${2:-}" = router ]; then
		# A private /run for this router's daemons (see the header).
		unshare --net --uts --mount sh -c 'mount -t tmpfs -o mode=0755 ha-run /run && exec sleep 100000' &
	else
		unshare --net --uts sleep 100000 &
	fi
	ha_pids+=($!)
	eval "ha_ns_$1=$!"
	# (ha_ns_r1, ha_ns_r2, ha_ns_client, ha_ns_server: read through eval and ha_nsargs.)
}

ha_wait_ns() { # NAME: until the sleeper has made its namespaces (and mounted /run)
	local p i
	eval "p=\$ha_ns_$1"
	for i in $(seq 100); do
		if [ "$(readlink "/proc/$p/ns/net")" != "$(readlink /proc/self/ns/net)" ] &&
			[ "$(cat "/proc/$p/comm" 2>/dev/null)" = sleep ]; then
			return 0
		fi
		sleep 0.02
	done
	echo "error: namespace $1 not made" >&2
	return 1
}

ha_topology() {
	local n r i name bridge
	for n in r1 r2; do ha_newns $n router; done
	for n in client server; do ha_newns $n; done
	for n in r1 r2 client server; do ha_wait_ns $n || return 1; done
	for n in r1 r2 client server; do
		ha_in $n ip link set dev lo up
		ha_in $n hostname "ha-$n"
	done

	ip link add swlan type bridge stp_state 0 forward_delay 0
	ip link add swwan type bridge stp_state 0 forward_delay 0
	ip link set dev swlan up
	ip link set dev swwan up

	# The routers' lan and wan: a veth each, the router's end named and addressed by MAC.
	for r in 1 2; do
		i=1
		for bridge in swlan swwan; do
			name=$(echo "$HA_LINK_NAMES" | cut -d' ' -f$i)
			ip link add "r$r-$i" type veth peer name "h$r-$i" address "$(ha_mac $r $i)"
			ip link set dev "r$r-$i" master $bridge up
			eval "ip link set dev h$r-$i netns \$ha_ns_r$r"
			ha_in r$r ip link set dev "h$r-$i" name "$name"
			ha_in r$r ip link set dev "$name" up
			i=$((i + 1))
		done
	done
	# sync: one veth pair, an end in each router.
	name=$(echo "$HA_LINK_NAMES" | cut -d' ' -f3)
	ip link add hs1 address "$(ha_mac 1 3)" type veth peer name hs2 address "$(ha_mac 2 3)"
	ip link set dev hs1 netns "$ha_ns_r1"
	ip link set dev hs2 netns "$ha_ns_r2"
	for r in 1 2; do
		ha_in r$r ip link set dev hs$r name "$name"
		ha_in r$r ip link set dev "$name" up
	done

	for n in client server; do
		[ $n = client ] && bridge=swlan || bridge=swwan
		ip link add "$n" type veth peer name "h$n" \
			address "$([ $n = client ] && echo 02:00:00:aa:00:64 || echo 02:00:00:aa:00:65)"
		ip link set dev "$n" master $bridge up
		eval "ip link set dev h$n netns \$ha_ns_$n"
		ha_in $n ip link set dev "h$n" name eth0
		ha_in $n ip link set dev eth0 up
	done
	ha_in client ip addr add 10.1.1.100/24 dev eth0
	ha_in client ip route add default via 10.1.1.1
	ha_in server ip addr add 203.0.113.100/24 dev eth0
}

ha_forget() { # PID
	local i
	for i in "${!ha_pids[@]}"; do
		[ "${ha_pids[$i]}" = "$1" ] && unset "ha_pids[$i]"
	done
	ha_pids=("${ha_pids[@]}")
}

ha_cleanup() {
	local i
	for ((i = ${#ha_pids[@]} - 1; i >= 0; i--)); do
		kill "${ha_pids[$i]}" 2>/dev/null
	done
	wait 2>/dev/null
}
