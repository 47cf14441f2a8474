#!/bin/bash
# Commit-confirm on the real kernel, in network and UTS namespaces that the script makes: an
# apply --confirm confirmed in time stays; one not confirmed is rolled back in place at its
# deadline to the exact previous state (ip addr, ip route, nft list ruleset compared); kill -9
# while a confirmation is pending, and the rollback still happens at the deadline after the
# restart (and at once when the deadline passed while the agent was down); a second
# apply --confirm, or a plain apply, while one is pending is refused. And the case this is for:
# an orchestrator in another namespace pushes over TCP (socat in front of the agent's socket)
# a change that removes the address it pushes to; the rollback restores its path.
#
# Usage: daemon-confirm.sh VROUTERD VROUTERCTL
# Exit 77 only when namespaces cannot be made (not root).
set -u
vrouterd=$(realpath "${1:?usage: daemon-confirm.sh VROUTERD VROUTERCTL}")
ctl=$(realpath "${2:?usage: daemon-confirm.sh VROUTERD VROUTERCTL}")

. "$(dirname "$0")/../lib/netns.sh"
vr_own_namespaces VRTEST_CONFIRM_NS "$0" "$vrouterd" "$ctl"

tmp=$(mktemp -d)
. "$(dirname "$0")/../lib/agent.sh"
holders=()
forwarder=
remote=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid"
	for p in $forwarder $remote "${holders[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

# The router's link eth0; its peer in the namespace of the orchestrator ("client").
newns client
ip link add eth0 address 52:54:00:cc:00:01 type veth peer name peer0
ip link set peer0 netns "$ns_client"
in_ns client ip link set lo up
in_ns client ip link set peer0 up
in_ns client ip addr add 192.168.60.2/24 dev peer0

# gen GENERATION with|without: the intent, with or without the address 192.168.60.1 (the
# orchestrator's path), the route and the firewall changed with it.
gen() {
	python3 - "$@" <<'PY'
import json, sys
g, variant = int(sys.argv[1]), sys.argv[2]
addrs = ["192.168.50.1/24"] + (["192.168.60.1/24"] if variant == "with" else [])
rules = [{"action": "accept", "in": "lan", "protocol": "tcp", "ports": [7000]},
         {"action": "accept", "in": "lan", "protocol": "icmp", "icmp_types": ["echo-request"]}]
if variant == "without":
    rules.append({"action": "accept", "in": "lan", "protocol": "tcp", "ports": [7001]})
doc = {"version": 1, "generation": g, "hostname": "r-confirm",
       "interfaces": {"lan": {"mac": "52:54:00:cc:00:01", "addresses": addrs}},
       "routes": [{"to": "10.9.0.0/16",
                   "via": "192.168.50.254" if variant == "with" else "192.168.50.253"}],
       "firewall": {"input": {"policy": "drop", "rules": rules}}}
json.dump(doc, sys.stdout)
PY
}
# The router's state, as the comparison sees it: addresses, routes, the ruleset without its
# counters (traffic changes them).
snapshot() {
	ip -o addr show | sed 's/^[0-9]*: //' | sort
	ip route show table all | sort
	nft list ruleset | sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter/'
}
json_field() { # PYTHON-EXPRESSION on the JSON `d` of stdin
	python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"
}
generation() { ctl status --json | json_field 'd["applied"]["generation"]'; }
# Waits up to $2 seconds for the generation in effect to be $1.
wait_generation() {
	local i
	for i in $(seq $(($2 * 10))); do
		[ "$(generation 2>/dev/null)" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

if ! start; then
	fail "vrouterd starts"
	cat "$tmp/log"
	exit 1
fi
gen 1 with >"$tmp/g1.json"
out=$(ctl apply "$tmp/g1.json" 2>&1) && pass "generation 1 applied" || fail "apply 1: $out"

# ---- confirmed ----
out=$(ctl apply --confirm 3 "$tmp/g1.json" 2>&1)
[[ $out == *'"unchanged": true'* && $out != *confirm_deadline* ]] &&
	pass "apply --confirm of the intent in effect: unchanged, nothing to confirm" ||
	fail "--confirm unchanged: $out"
gen 2 without >"$tmp/g2.json"
out=$(ctl apply --confirm 3 "$tmp/g2.json" 2>&1) && [[ $out == *'"confirm_deadline": "'* ]] &&
	pass "apply --confirm 3: applied, with its deadline" || fail "apply --confirm: $out"
st=$(ctl status --json)
[ "$(json_field 'd["confirm"]["generation"], d["confirm"]["previous"], d["confirm"]["deadline"][-1]' <<<"$st")" = "2 1 Z" ] &&
	pass "status --json: the pending confirmation and its deadline" || fail "status: $st"
ctl status | grep -q '^confirm     generation 2 awaits `vrouterctl confirm` until ' &&
	pass "status: the pending confirmation" || fail "status text: $(ctl status | head -5)"
gen 3 with >"$tmp/g3.json"
out=$(ctl apply --confirm 3 "$tmp/g3.json" 2>&1)
rc=$?
[ $rc = 2 ] && [[ $out == *'generation 2 awaits its confirmation'*'vrouterctl confirm'* ]] &&
	pass "a second apply --confirm while one is pending: refused (exit 2)" ||
	fail "second --confirm: exit $rc: $out"
out=$(ctl apply "$tmp/g3.json" 2>&1)
rc=$?
[ $rc = 2 ] && [[ $out == *'vrouterctl confirm'* ]] &&
	pass "a plain apply while one is pending: refused, naming vrouterctl confirm" ||
	fail "plain apply while pending: exit $rc: $out"
out=$(ctl confirm 2>&1) && [[ $out == *'"confirmed": 2'* ]] && pass "confirm" ||
	fail "confirm: $out"
out=$(ctl confirm 2>&1)
[ $? = 2 ] && [[ $out == *'no confirmation is pending'* ]] &&
	pass "confirm with none pending: exit 2" || fail "confirm again: $out"
[ ! -e "$tmp/state/confirm.json" ] && pass "confirm.json removed" || fail "confirm.json left"
sleep 3.5
[ "$(generation)" = 2 ] && ! ctl history | grep -q confirm-timeout &&
	pass "confirmed: generation 2 stays after its deadline" ||
	fail "confirmed but: generation $(generation); $(ctl history)"

# ---- not confirmed: the exact previous state ----
before=$(snapshot)
out=$(ctl apply --confirm 2 "$tmp/g3.json" 2>&1) && pass "apply --confirm 2 of generation 3" ||
	fail "apply 3: $out"
[ "$(snapshot)" != "$before" ] && pass "generation 3 changed the router" ||
	fail "generation 3 changed nothing"
if wait_generation 4 6; then
	pass "not confirmed: generation 2's content applied again as generation 4"
else
	fail "no rollback: generation $(generation)"
fi
diff <(echo "$before") <(snapshot) >"$tmp/d" && pass "the exact previous state" ||
	fail "state after the rollback: $(cat "$tmp/d")"
ctl history | tail -1 | grep -Eq '^ +4  [0-9T:.Z-]+  confirm-timeout +applied' &&
	pass "history: generation 4, origin confirm-timeout" || fail "history: $(ctl history)"
[ "$(ctl diff 2 4)" = $'--- generation 2\n+++ generation 4\n~ /generation: 2 -> 4' ] &&
	pass "diff 2 4: only the generation" || fail "diff 2 4: $(ctl diff 2 4)"
grep -q 'generation 3 was not confirmed in time' "$tmp/log" && pass "logged" ||
	fail "log: $(tail -5 "$tmp/log")"

# ---- kill -9 while pending: the rollback after the restart, at the deadline ----
before=$(snapshot)
gen 5 with >"$tmp/g5.json"
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); d["routes"][0]["via"] = "192.168.50.252"; json.dump(d, open(sys.argv[1], "w"))' "$tmp/g5.json"
out=$(ctl apply --confirm 3 "$tmp/g5.json" 2>&1) || fail "apply 5: $out"
kill -9 "$pid"
wait "$pid" 2>/dev/null
pid=
start || fail "restart after kill -9"
[ "$(ctl status --json | json_field 'd["confirm"]["generation"]')" = 5 ] &&
	pass "after kill -9 and a restart: the confirmation still pending" ||
	fail "pending after restart: $(ctl status --json | head -c 300)"
if wait_generation 6 6; then
	pass "after the restart: rolled back at the deadline (generation 6)"
else
	fail "no rollback after the restart: generation $(generation)"
fi
diff <(echo "$before") <(snapshot) >"$tmp/d" && pass "the exact previous state, after kill -9" ||
	fail "state: $(cat "$tmp/d")"

# A deadline that passed while the agent was down: rolled back at once after the start.
gen 7 without >"$tmp/g7.json"
out=$(ctl apply --confirm 2 "$tmp/g7.json" 2>&1) || fail "apply 7: $out"
kill -9 "$pid"
wait "$pid" 2>/dev/null
pid=
sleep 2.5
start || fail "restart after the deadline"
if wait_generation 8 2; then
	pass "a deadline passed while down: rolled back at once after the start (generation 8)"
else
	fail "no rollback at start: generation $(generation)"
fi
diff <(echo "$before") <(snapshot) >"$tmp/d" && pass "the exact previous state again" ||
	fail "state: $(cat "$tmp/d")"

# ---- the orchestrator's path: a push over TCP to the address the new intent removes ----
socat TCP-LISTEN:7000,reuseaddr,fork "UNIX-CONNECT:$tmp/agent.sock" 2>/dev/null &
forwarder=$!
nsenter --net=/proc/$ns_client/ns/net socat "UNIX-LISTEN:$tmp/remote.sock,fork" \
	TCP:192.168.60.1:7000,connect-timeout=1 2>/dev/null &
remote=$!
# Its client gives up after 2 s: the push and the confirm below take at most 4 s together,
# well within the change's 6 s (a sanitizer build is slower).
rctl() { "$ctl" --socket "$tmp/remote.sock" --timeout 2 "$@"; }
for _ in $(seq 50); do [ -S "$tmp/remote.sock" ] && break; sleep 0.1; done
gen 9 with >"$tmp/g9.json"
out=$(ctl apply "$tmp/g9.json" 2>&1) || fail "apply 9 (192.168.60.1 back): $out"
out=$(rctl status --json 2>&1) && [[ $out == *'"generation": 9'* ]] &&
	pass "the orchestrator reaches the agent over TCP to 192.168.60.1" ||
	fail "over TCP: $out"
before=$(snapshot)
gen 10 without >"$tmp/g10.json"
out=$(rctl apply --confirm 6 "$tmp/g10.json" 2>&1)
rc=$?
ip -o addr show | grep -q '192.168.60.1/' && fail "192.168.60.1 still there" ||
	pass "generation 10 removed 192.168.60.1 (the push's answer: exit $rc)"
out=$(rctl confirm 2>&1)
rc=$?
[ $rc = 4 ] && pass "the orchestrator cannot confirm: the path is gone (exit 4)" ||
	fail "confirm over the cut path: exit $rc: $out"
if wait_generation 11 10; then
	pass "not confirmed: rolled back to generation 9's content (generation 11)"
else
	fail "no rollback: generation $(generation)"
fi
out=$(rctl status --json 2>&1) && [[ $out == *'"generation": 11'* ]] &&
	pass "the orchestrator reaches the agent again after the rollback" ||
	fail "over TCP after the rollback: $out"
diff <(echo "$before") <(snapshot) >"$tmp/d" && pass "the exact previous state, over TCP" ||
	fail "state: $(cat "$tmp/d")"

stop || fail "vrouterd stops cleanly"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
