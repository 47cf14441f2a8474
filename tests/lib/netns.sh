# Sourced by the tests that change network and UTS state. vr_own_namespaces re-executes the
# calling script in network and UTS namespaces of its own (unshare), so that nothing it does
# reaches this machine, and refuses to go on in init's namespaces.
#
#   . "$(dirname "$0")/../lib/netns.sh"
#   vr_own_namespaces VRTEST_MARKER "$0" ARGS...
#
# Exits 77 (skip) when namespaces cannot be made (not root), 99 when it finds itself in init's
# or in a network namespace that is not fresh (links besides lo: not one it made).
#
# vr_require_netns PREFIX: for the tests that make named namespaces (ip netns add PREFIX-*)
# instead; exits 77 (skip) when one cannot be made.
vr_own_namespaces() {
	local marker=$1 ns
	shift
	if [ -z "${!marker:-}" ]; then
		if ! unshare --net --uts true 2>/dev/null; then
			echo "skip: cannot make network namespaces (needs root)"
			exit 77
		fi
		exec unshare --net --uts -- env "$marker=1" bash "$@"
	fi
	for ns in net uts; do
		if [ "$(readlink /proc/self/ns/$ns)" = "$(readlink /proc/1/ns/$ns)" ]; then
			echo "error: in the $ns namespace of init; refusing to change it" >&2
			exit 99
		fi
	done
	if [ "$(ip -o link show | wc -l)" != 1 ]; then
		echo "error: not in a fresh network namespace; refusing to touch links" >&2
		exit 99
	fi
}

vr_require_netns() {
	if ! ip netns add "$1-probe" 2>/dev/null; then
		echo "skip: cannot make network namespaces (needs root)"
		exit 77
	fi
	ip netns del "$1-probe"
}

# Namespaces held by a sleeper, for the tests that need several (after vr_own_namespaces):
#   newns NAME          a network and UTS namespace; its sleeper's PID in ns_NAME, and in the
#                       caller's array holders (for its cleanup)
#   in_ns NAME CMD...   CMD in it
#   ns_of NAME          nsenter's arguments for it, for a command started in the background
#                       whose PID is wanted ($! of a function would be a subshell's):
#                       nsenter $(ns_of NAME) CMD... &
newns() {
	unshare --net --uts sleep 3600 &
	holders+=($!)
	eval "ns_$1=$!"
}
in_ns() {
	local p
	eval "p=\$ns_$1"
	shift
	nsenter --net=/proc/$p/ns/net --uts=/proc/$p/ns/uts "$@"
}
ns_of() {
	local p
	eval "p=\$ns_$1"
	echo "--net=/proc/$p/ns/net --uts=/proc/$p/ns/uts"
}

# vrouterd in the namespace NAME (newns), in mount and UTS namespaces of its own with a tmpfs
# on /run (the daemons' runtime files are under /run/vrouter on a router), under the umask of
# its unit, its files under DIR (agent.sock, state/, etc/, payload.json, log). Its PID in
# vr_agent_pid. Returns once it answers status (1: it did not). Needs $vrouterd and $ctl.
vr_start_agent_ns() { # NAME DIR
	local dir=$2
	nsenter $(ns_of "$1") unshare --mount --uts -- sh -c 'mount -t tmpfs -o mode=755 tmpfs /run 2>/dev/null || true; umask 0077; exec "$@"' sh \
		"$vrouterd" --backend kernel --socket "$dir/agent.sock" --state-dir "$dir/state" \
		--confdir "$dir/etc" --payload "$dir/payload.json" --serial none 2>>"$dir/log" &
	vr_agent_pid=$!
	for _ in $(seq 100); do
		[ -S "$dir/agent.sock" ] && "$ctl" --socket "$dir/agent.sock" status >/dev/null 2>&1 &&
			return 0
		sleep 0.1
	done
	return 1
}

# Pings from the namespace NAME until vr_ping_lost (its PID in vr_ping_pid and in the caller's
# holders), every INTERVAL seconds, into FILE.
vr_ping_run() { # NAME FILE TARGET INTERVAL
	nsenter $(ns_of "$1") ping -i "$4" -W 1 "$3" >"$2" 2>&1 &
	vr_ping_pid=$!
	holders+=($vr_ping_pid)
	sleep 0.5
}
# Stops the pings of vr_ping_run; prints how many were lost (9999: no summary). The last two
# pings sent may still be on their way when ping is stopped: unanswered, they are not counted
# (an earlier one unanswered is).
vr_ping_lost() { # FILE
	kill -INT $vr_ping_pid
	wait $vr_ping_pid 2>/dev/null
	python3 -c '
import re, sys
t = open(sys.argv[1]).read()
m = re.search(r"(\d+) packets transmitted, (\d+) received", t)
if not m:
    print(9999)
    sys.exit()
sent, got = int(m.group(1)), int(m.group(2))
answered = {int(s) for s in re.findall(r"bytes from .*icmp_seq=(\d+) ", t)}
tail = 0
for seq in (sent, sent - 1):
    if seq < 1 or seq in answered:
        break
    tail += 1
print(sent - got - tail)' "$1"
}
