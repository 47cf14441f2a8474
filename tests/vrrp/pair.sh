# Sourced by the tests of two routers with VRRP (after tests/lib/netns.sh's
# vr_own_namespaces, with $tmp, $vrouterd and $ctl set): the routers' namespaces r1 and r2
# (newns), a LAN and a WAN bridge that each router has a link on, a sync link between them,
# hosts on the bridges, and the routers' agents.
#
#   pair_links          the bridges and the routers' links (after newns r1 r2)
#   host NS BRIDGE ADDRESS [GATEWAY]
#   start_agent N       vrouterd of router N (its PID in agent_pid[N])
#   restart_agent N     after kill -9, into the mount namespace of N's daemons
#   rctl N ARGS...      vrouterctl of router N
#   vrrp_state N        its VRRP state as status says ("none": no vrrp)
#   wait_state N STATE [TENTHS]
#   vrrp_ready N        "ready", or why status says router N is not ready for a handover
#   wait_ready N EXPECTED [TENTHS]
#   pair_stop DAEMON... the agents, and those daemons of this test (for the cleanup)
#   pair_cleanup DAEMON...  pair_stop, then the test's holders, waited for
#   pair_far            the far end of the tunnel tests and the hosts at both ends
#   event_start NAME, event_lost NAME, both_ways: pings between the client and host b

declare -A agent_pid

pair_links() {
	ip link set lo up
	ip link add br-lan type bridge
	ip link add br-wan type bridge
	ip link set br-lan up
	ip link set br-wan up
	# A router's link: MAC in the router's namespace (vrouterd names it from the intent),
	# the other end on a bridge.
	local n m peer
	for n in 1 2; do
		for m in 1:br-lan 2:br-wan; do
			peer="p$RANDOM"
			ip link add "$peer" type veth peer name "x$peer" address 52:54:00:00:0$n:0${m%%:*}
			eval "ip link set x$peer netns \$ns_r$n"
			ip link set "$peer" master "${m#*:}" up
		done
		in_ns r$n ip link set lo up
	done
	ip link add s1 address 52:54:00:00:01:03 type veth peer name s2 address 52:54:00:00:02:03
	ip link set s1 netns "$ns_r1"
	ip link set s2 netns "$ns_r2"
}

host() { # NS BRIDGE ADDRESS [GATEWAY]
	ip link add "h$1" type veth peer name "hp$1"
	eval "ip link set hp$1 netns \$ns_$1"
	ip link set "h$1" master "$2" up
	in_ns "$1" ip link set lo up
	in_ns "$1" ip link set "hp$1" name eth0
	in_ns "$1" ip addr add "$3" dev eth0
	in_ns "$1" ip link set eth0 up
	[ -n "${4:-}" ] && in_ns "$1" ip route add default via "$4"
}

# vrouterd of router N, in its namespace with a /run of its own (keepalived's FIFO and hold
# file, conntrackd's socket and lock, charon's VICI socket live in /run/vrouter on a router).
start_agent() { # N
	local d="$tmp/r$1" rc=0
	mkdir -p "$d"
	chmod 755 "$tmp" "$d"
	vr_start_agent_ns r$1 "$d" || rc=1
	agent_pid[$1]=$vr_agent_pid
	return $rc
}
# The agent's /run is private; the agent is restarted into the same one.
restart_agent() { # N: after kill -9, a new agent in the mount namespace of the daemons
	local n=$1 d="$tmp/r$1" kpid
	kpid=$(cat "$d/state/services/keepalived.pid")
	nsenter --net=/proc/$kpid/ns/net --mount=/proc/$kpid/ns/mnt --uts=/proc/$kpid/ns/uts \
		--root=/proc/$kpid/root --wd="$PWD" \
		sh -c 'umask 0077; exec "$@"' sh \
		"$vrouterd" --backend kernel --socket "$d/agent.sock" --state-dir "$d/state" \
		--confdir "$d/etc" --payload "$d/payload.json" --serial none 2>>"$d/log" &
	agent_pid[$n]=$!
	for _ in $(seq 100); do
		rctl $n status >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
rctl() { # N ARGS...
	local n=$1
	shift
	"$ctl" --socket "$tmp/r$n/agent.sock" "$@"
}
vrrp_state() { # N: the router's VRRP state as status says
	rctl $1 status --json | python3 -c 'import json,sys; v=json.load(sys.stdin).get("vrrp"); print(v["state"] if v else "none")'
}
wait_state() { # N STATE [TENTHS]
	for _ in $(seq "${3:-100}"); do
		[ "$(vrrp_state $1)" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

vrrp_ready() { # N: "ready" or the reason status gives why the router is not ready for a handover
	rctl $1 status --json | python3 -c 'import json,sys; v=json.load(sys.stdin).get("vrrp") or {}; print("ready" if v.get("ready") else v.get("not_ready"))'
}
wait_ready() { # N EXPECTED [TENTHS]: status looked at every 0.1 s until it says EXPECTED
	for _ in $(seq "${3:-60}"); do
		[ "$(vrrp_ready $1)" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

pair_stop() { # DAEMON...
	local n p d
	for n in 1 2; do
		p=${agent_pid[$n]:-}
		[ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
		# The daemons outlive the agent: only those of this test (their command lines name
		# this test's files).
		for d in "$@"; do
			p=$(cat "$tmp/r$n/state/services/$d.pid" 2>/dev/null)
			if [ -n "$p" ] && grep -qa "$tmp/r$n/etc" "/proc/$p/cmdline" 2>/dev/null; then
				kill "$p"
			fi
		done
	done
}

# The test's end: the agents and their daemons (pair_stop), then the test's own processes
# (the PIDs in its array holders), all waited for.
pair_cleanup() { # DAEMON...
	local p
	pair_stop "$@"
	for p in "${holders[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
}

# The far end of the tunnel tests, on the WAN bridge: namespace far (eth0 203.0.113.50/24, its
# LAN "lan" 10.50.0.1/24 to host b, 10.50.0.100, forwarding); and the client on the LAN bridge
# (10.1.1.100, the LAN virtual address as its gateway). After newns r1 r2 client far b and
# pair_links.
pair_far() {
	host client br-lan 10.1.1.100/24 10.1.1.1
	host far br-wan 203.0.113.50/24
	ip link add fb type veth peer name bf
	ip link set fb netns "$ns_far"
	ip link set bf netns "$ns_b"
	in_ns far sh -e -c '
ip link set fb name lan
ip addr add 10.50.0.1/24 dev lan
ip link set lan up
sysctl -qw net.ipv4.ip_forward=1'
	in_ns b sh -e -c '
ip link set lo up
ip link set bf name eth0
ip addr add 10.50.0.100/24 dev eth0
ip link set eth0 up
ip route add default via 10.50.0.1'
}

# Pings from the client to host b, 100 per second, through an event (vr_ping_run).
event_start() { # NAME
	vr_ping_run client "$tmp/ping-$1" 10.50.0.100 0.01
}
event_lost() { # NAME: "LOST of SENT"
	local sent
	lost=$(vr_ping_lost "$tmp/ping-$1")
	sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$tmp/ping-$1")
	echo "$lost of $sent"
}
both_ways() { # a ping each way between the client and host b
	in_ns client ping -c 2 -i 0.2 -W 2 -q 10.50.0.100 >/dev/null &&
		in_ns b ping -c 2 -i 0.2 -W 2 -q 10.1.1.100 >/dev/null
}
