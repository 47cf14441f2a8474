#!/bin/bash
# vrouterd and NICs that appear after it started (a driver loaded late, a hot-plug), on the real
# kernel in namespaces the script makes: the intent applied at start (boot payload, then the
# persisted one) names links that are not there yet; the daemon keeps answering requests,
# and applies that intent by itself once the links appear, with no new request. Also: links
# that appear one at a time, the deadline (--link-wait), and a request that applies another
# intent during the wait ending it.
#
# Usage: daemon-linkwait.sh VROUTERD VROUTERCTL
# Exit 77 only when namespaces cannot be made (not root).
set -u
vrouterd=$(realpath "${1:?usage: daemon-linkwait.sh VROUTERD VROUTERCTL}")
ctl=$(realpath "${2:?usage: daemon-linkwait.sh VROUTERD VROUTERCTL}")

. "$(dirname "$0")/../lib/netns.sh"
vr_own_namespaces VRTEST_LINKWAIT_NS "$0" "$vrouterd" "$ctl"

tmp=$(mktemp -d)
. "$(dirname "$0")/../lib/agent.sh"
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid"
	rm -rf "$tmp"
}
trap cleanup EXIT
# Each start has a log of its own.
start_logged() { # EXTRA-ARGS...
	: >"$tmp/log"
	start "$@"
}
# Waits up to $2 seconds for the log to match $1.
log_has() {
	local end=$((SECONDS + $2))
	while [ $SECONDS -le $end ]; do
		grep -qE "$1" "$tmp/log" && return 0
		sleep 0.1
	done
	return 1
}
# status --json's applied generation, whether it is in effect, and the last apply's origin and
# result: "1 true payload applied".
state() {
	ctl status --json | python3 -c 'import json, sys
s = json.load(sys.stdin)
a = s.get("applied") or {}
l = s.get("last_apply") or {}
print(a.get("generation"), str(a.get("in_effect", False)).lower(), l.get("origin"), l.get("result"))'
}
intent() { # GENERATION MAC [MAC2]
	local second=
	[ -n "${3:-}" ] && second=", \"web\": {\"mac\": \"$3\", \"addresses\": [\"10.1.1.1/24\"]}"
	cat <<EOF
{"version": 1, "generation": $1, "hostname": "r-linkwait",
 "interfaces": {"mgmt": {"mac": "$2", "addresses": ["192.168.100.10/24"], "management": true}$second}}
EOF
}
mac1=52:54:00:bb:00:01 mac2=52:54:00:bb:00:02

# 1. The boot payload names a NIC that appears 2 s after the start.
intent 1 $mac1 >"$tmp/payload.json"
if ! start_logged; then
	fail "vrouterd starts"
	cat "$tmp/log"
	exit 1
fi
log_has "generation 1 waits for links with MAC $mac1: it is applied once they appear" 5 &&
	pass "payload: the daemon says it waits for $mac1" || fail "no waiting line: $(cat "$tmp/log")"
out=$(state)
[ "$out" = "None false payload failed" ] && pass "payload: requests are answered during the wait" ||
	fail "status during the wait: $out"
sleep 2
ip link add eth0 address $mac1 type veth peer name peer0
log_has "generation 1 applied" 10 && pass "payload: applied once the link appeared, no request" ||
	fail "payload not applied: $(cat "$tmp/log")"
ip -br addr show mgmt 2>/dev/null | grep -q '192.168.100.10/24' &&
	pass "payload: link renamed by MAC, address in place" || fail "links: $(ip -br addr)"
out=$(state)
[ "$out" = "1 true payload applied" ] && pass "payload: status shows generation 1 in effect" ||
	fail "status after the wait: $out"
stop || fail "stop"

# 2. After a restart without the NIC: the persisted intent waits for it, then is applied.
ip link del eth0 2>/dev/null || ip link del mgmt
start_logged || fail "restart"
log_has "generation 1 waits for links with MAC $mac1:" 5 &&
	pass "persisted: the daemon waits for $mac1" || fail "persisted: $(cat "$tmp/log")"
sleep 2
ip link add eth0 address $mac1 type veth peer name peer0
log_has "generation 1 applied" 10 && ip -br addr show mgmt 2>/dev/null | grep -q 192.168.100.10 &&
	[ "$(state)" = "1 true boot applied" ] && pass "persisted: applied once the link appeared" ||
	fail "persisted not applied: $(state); $(cat "$tmp/log")"
stop || fail "stop"

# 3. Two missing NICs, appearing one after the other: still waiting after the first; a link
# with another MAC changes nothing.
intent 2 $mac1 $mac2 >"$tmp/payload.json"
ip link del mgmt
start_logged || fail "restart"
log_has "generation 2 waits for links with MAC $mac1 $mac2:" 5 &&
	pass "two links: the daemon waits for both" || fail "two links: $(cat "$tmp/log")"
ip link add other0 address 52:54:00:bb:00:99 type veth peer name otherpeer0
ip link add eth0 address $mac1 type veth peer name peer0
log_has "generation 2 still waits for links with MAC $mac2\$" 10 &&
	pass "two links: still waiting for the second after the first" ||
	fail "two links, first: $(cat "$tmp/log")"
ip link add eth1 address $mac2 type veth peer name peer1
log_has "generation 2 applied" 10 && ip -br link show web >/dev/null 2>&1 &&
	pass "two links: applied once the second appeared" || fail "two links: $(cat "$tmp/log")"
stop || fail "stop"

# 4. The deadline: the daemon gives up, says so, and goes on answering.
intent 3 $mac1 52:54:00:bb:00:03 >"$tmp/payload.json"
start_logged --link-wait 2 || fail "restart"
log_has "gave up waiting for links with MAC 52:54:00:bb:00:03 after 2 s: generation 3 is not applied" 8 &&
	pass "deadline: gave up after 2 s" || fail "deadline: $(cat "$tmp/log")"
out=$(state)
[ "$out" = "2 true boot applied" ] && pass "deadline: still answering, generation 2 (persisted) in effect" ||
	fail "deadline: $out"
stop || fail "stop"

# 5. A request that applies an intent during the wait ends it.
start_logged || fail "restart"
log_has "generation 3 waits for links with MAC 52:54:00:bb:00:03:" 5 || fail "5: $(cat "$tmp/log")"
intent 4 $mac1 >"$tmp/g4.json"
out=$(ctl apply "$tmp/g4.json" 2>&1) && [[ $out == *'"applied": true'* ]] ||
	fail "apply during the wait: $out"
ip link add eth3 address 52:54:00:bb:00:03 type veth peer name peer3
log_has "no longer waiting for links with MAC 52:54:00:bb:00:03: an intent applied since is in effect" 10 &&
	[ "$(state)" = "4 true socket applied" ] && pass "a request's apply ends the wait" ||
	fail "request during the wait: $(state); $(cat "$tmp/log")"
stop || fail "stop"

# 6. --link-wait 0: no wait.
intent 5 52:54:00:bb:00:05 >"$tmp/payload.json"
start_logged --link-wait 0 || fail "restart"
sleep 1
grep -q "waits for links" "$tmp/log" && fail "--link-wait 0 still waits" ||
	pass "--link-wait 0: no wait"
stop || fail "stop"
out=$("$vrouterd" --link-wait 5s 2>&1)
[ $? -eq 64 ] && [[ $out == *"--link-wait 5s: not a number of seconds"* ]] &&
	pass "--link-wait 5s refused" || fail "--link-wait 5s: $out"

if [ "$failed" -ne 0 ]; then
	echo "--- vrouterd's last log"
	cat "$tmp/log"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
