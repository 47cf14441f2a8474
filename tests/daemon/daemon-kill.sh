#!/bin/bash
# kill -9 of vrouterd in the middle of an apply on the real kernel, then a restart: the router
# converges to the last persisted intent (the agent re-applies it at start), whatever moment
# the kill hit. Each round pushes a new generation of a large intent (4 interfaces x 50
# addresses, 2,000 routes) and kills the agent a different number of milliseconds later.
#
# Usage: daemon-kill.sh VROUTERD VROUTERCTL
# Runs in network and UTS namespaces it makes for itself (unshare). Exit 77 when it cannot.
set -u
vrouterd=$(realpath "${1:?usage: daemon-kill.sh VROUTERD VROUTERCTL}")
ctl=$(realpath "${2:?usage: daemon-kill.sh VROUTERD VROUTERCTL}")

. "$(dirname "$0")/../lib/netns.sh"
vr_own_namespaces VRTEST_KILL_NS "$0" "$vrouterd" "$ctl"

tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; rm -rf "$tmp"' EXIT
passed=0 failed=0

start() {
	"$vrouterd" --backend kernel --socket "$tmp/agent.sock" --state-dir "$tmp/state" \
		--confdir "$tmp/etc" --payload "$tmp/payload.json" --serial none >>"$tmp/log" 2>&1 &
	pid=$!
	for _ in $(seq 200); do
		"$ctl" --socket "$tmp/agent.sock" status >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "vrouterd did not start:"
	tail -5 "$tmp/log"
	return 1
}

# Generation G: the addresses and the route metrics move with G, so that every generation
# changes hundreds of objects.
intent() { # G
	python3 - "$1" <<'PY'
import json, sys
g = int(sys.argv[1])
ifs = {}
for i, name in enumerate(["public", "web", "db", "dmz"]):
    ifs[name] = {"mac": "52:54:00:ab:00:0%d" % (i + 1),
                 "addresses": ["10.%d.%d.%d/16" % (i + 1, g % 2, a + 1) for a in range(50)]}
routes = [{"to": "172.%d.%d.0/24" % (16 + r // 256, r % 256), "via": "10.1.0.254",
           "metric": g} for r in range(2000)]
print(json.dumps({"version": 1, "generation": g, "hostname": "r-kill", "interfaces": ifs,
                  "routes": routes,
                  "firewall": {"forward": {"policy": "accept"}}}))
PY
}

for i in 1 2 3 4; do
	ip link add eth$i address 52:54:00:ab:00:0$i type veth peer name peer$i
done
start || exit 1
intent 1 >"$tmp/g1.json"
"$ctl" --socket "$tmp/agent.sock" apply "$tmp/g1.json" >/dev/null || { echo "FAIL first apply"; exit 1; }

g=1
for delay in 0.005 0.02 0.04 0.06 0.08 0.12 0.2; do
	g=$((g + 1))
	intent $g >"$tmp/g$g.json"
	"$ctl" --socket "$tmp/agent.sock" apply "$tmp/g$g.json" >/dev/null 2>&1 &
	client=$!
	sleep $delay
	kill -9 $pid
	wait $pid 2>/dev/null
	wait $client 2>/dev/null
	pid=
	start || exit 1
	# The agent re-applied what it had persisted: that generation, and nothing left to do.
	persisted=$("$ctl" --socket "$tmp/agent.sock" show | python3 -c \
		'import json,sys; print(json.load(sys.stdin)["generation"])')
	out=$("$ctl" --socket "$tmp/agent.sock" apply "$tmp/g$persisted.json")
	if echo "$out" | grep -q '"changes": 0' && [ "$persisted" -ge $((g - 1)) ]; then
		passed=$((passed + 1))
		echo "ok   killed ${delay}s into generation $g: restarted on generation $persisted, converged"
	else
		failed=$((failed + 1))
		echo "FAIL killed ${delay}s into generation $g: persisted $persisted, re-apply: $out"
	fi
	# The routes in the kernel are those of the persisted generation, all of them.
	n=$(ip route show proto 86 | grep -cE " metric $persisted( |$)")
	if [ "$n" -eq 2000 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL generation $persisted: $n of 2000 routes in the kernel"
	fi
	# Back to a known generation before the next round.
	g=$((g + 1))
	intent $g >"$tmp/g$g.json"
	"$ctl" --socket "$tmp/agent.sock" apply "$tmp/g$g.json" >/dev/null
done
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
