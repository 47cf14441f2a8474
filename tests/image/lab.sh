# shellcheck shell=bash
# The rolling replacement's lab under QEMU, shared by tests/image/rolling.sh and
# bench/rolling.sh: a namespace with bridges vrbr0 (lan), vrbr1 (wan), vrbr2 (sync) for the
# router VMs (scripts/lib/vmlab.sh), a client on lan (10.1.1.100, through the LAN virtual
# address 10.1.1.1) and a server on wan (203.0.113.100, reached from the WAN virtual address
# 203.0.113.10 by source NAT), tests/ha/traffic.py's server running there.
#
# Source it with top (the tree) and tmp (a directory of the caller's, removed by it) set; then
# lab_setup, and lab_cleanup at the end (a trap). The intents: lab_intent writes a router's
# first intent; lab_slot a slot (scripts/derive-intent); lab_derive the rest.
VMLAB=$tmp/lab
mkdir -p "$VMLAB"
. "$top/scripts/lib/vmlab.sh"
lab_ns=vrlab-$$ lab_client=vrlc-$$ lab_server=vrls-$$
lab_server_pid= traffic_pid= watch_pid=

lab_cleanup() {
	local d n
	set +e
	[ -n "$traffic_pid" ] && kill "$traffic_pid" 2>/dev/null
	[ -n "$watch_pid" ] && kill "$watch_pid" 2>/dev/null
	for d in "$VMLAB"/*/pid; do
		[ -f "$d" ] && vmlab_destroy "$(basename "$(dirname "$d")")"
	done
	[ -n "$lab_server_pid" ] && kill "$lab_server_pid" 2>/dev/null
	wait 2>/dev/null
	for n in "$lab_client" "$lab_server" "$lab_ns"; do
		[ -e "/run/netns/$n" ] && ip netns del "$n"
	done
}

lab_host() { # NS BRIDGE ADDRESS [GATEWAY]
	local v=h${2#vrbr}-$$
	ip netns add "$1" &&
		ip -n "$1" link set lo up &&
		ip -n "$lab_ns" link add "$v" type veth peer name eth0 netns "$1" &&
		ip -n "$lab_ns" link set "$v" master "$2" up &&
		ip -n "$1" addr add "$3" dev eth0 &&
		ip -n "$1" link set eth0 up &&
		{ [ -z "${4:-}" ] || ip -n "$1" route add default via "$4"; }
}

lab_setup() {
	local i
	echo "$lab_ns" >"$VMLAB/netns"
	echo "lan wan sync" >"$VMLAB/bridges"
	ip netns add "$lab_ns" || return 1
	ip -n "$lab_ns" link set lo up
	for i in 0 1 2; do
		ip -n "$lab_ns" link add "vrbr$i" type bridge || return 1
		ip -n "$lab_ns" link set "vrbr$i" up
	done
	lab_host "$lab_client" vrbr0 10.1.1.100/24 10.1.1.1 || return 1
	lab_host "$lab_server" vrbr1 203.0.113.100/24 || return 1
	ip netns exec "$lab_server" python3 "$top/tests/ha/traffic.py" server 2>"$tmp/server.log" &
	lab_server_pid=$!
}

# A slot of the pair (1 or 2: its addresses) with VM's MACs (52:54:00:aa:VM:0i) and PRIORITY.
lab_slot() { # FILE VM SLOT PRIORITY
	python3 - "$@" <<'PY'
import json, sys
path, vm, n, prio = sys.argv[1], int(sys.argv[2], 16), int(sys.argv[3]), int(sys.argv[4])
mac = lambda i: f"52:54:00:aa:{vm:02x}:{i:02x}"
json.dump({"hostname": f"r{vm:x}",
           "interfaces": {"lan": {"mac": mac(1), "addresses": [f"10.1.1.{1 + n}/24"]},
                          "wan": {"mac": mac(2), "addresses": [f"203.0.113.{1 + n}/24"]},
                          "sync": {"mac": mac(3), "addresses": [f"169.254.0.{n}/24"]}},
           "priority": prio}, open(path, "w"))
PY
}

# The first router's intent: slot 1, priority 200, 100 ms adverts, the two groups, the LAN
# source-NATed to the WAN virtual address.
lab_intent() { # FILE VM
	lab_slot "$tmp/slot.tmp" "$2" 1 200 &&
		python3 - "$1" "$tmp/slot.tmp" <<'PY'
import json, sys
slot = json.load(open(sys.argv[2]))
json.dump({"version": 1, "generation": 1, "hostname": slot["hostname"],
           "interfaces": slot["interfaces"],
           "firewall": {"forward": {"policy": "drop",
                                    "rules": [{"action": "accept", "in": "lan", "out": "wan"}]}},
           "nat": {"source": [{"out": "wan", "source": ["10.1.1.0/24"], "to": "203.0.113.10"}]},
           "vrrp": {"priority": 200, "advert_interval_ms": 100, "preempt": False,
                    "groups": {"lan": {"interface": "lan", "vrid": 11,
                                       "virtual_addresses": ["10.1.1.1/24"]},
                               "wan": {"interface": "wan", "vrid": 12,
                                       "virtual_addresses": ["203.0.113.10/24"]}},
                    "sync": {"interface": "sync", "peer": "169.254.0.2"}}},
          open(sys.argv[1], "w"), indent=1)
PY
}

# NEW's intent from OLD's and NEW's slot (scripts/derive-intent).
lab_derive() { # OLD_INTENT SLOT NEW_INTENT
	"$top/scripts/derive-intent" "$1" "$2" >"$3"
}

# Traffic for one scenario: start, then stop and summarise. The LAN's VRRP adverts are watched
# meanwhile (tests/ha/vrrp-watch.py: only a master sends them).
traffic_start() {
	ip netns exec "$lab_client" python3 "$top/tests/ha/vrrp-watch.py" eth0 >"$tmp/adverts.json" &
	watch_pid=$!
	ip netns exec "$lab_client" python3 "$top/tests/ha/traffic.py" client \
		--server 203.0.113.100 >"$tmp/traffic.json" 2>"$tmp/traffic.err" &
	traffic_pid=$!
	sleep 2
}
traffic_stop() { # NAME: the summary in $tmp/NAME.json, the adverts in $tmp/NAME-adverts.json
	kill -TERM "$traffic_pid" "$watch_pid"
	wait "$traffic_pid" "$watch_pid"
	traffic_pid= watch_pid=
	cp "$tmp/adverts.json" "$tmp/$1-adverts.json"
	cp "$tmp/traffic.json" "$tmp/$1.json"
	python3 - "$tmp/$1.json" "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
u = d["udp"]
print(f"     {sys.argv[2]}: {u['sent']} probes, {u['lost']} lost, longest gap {u['longest_gap_ms']} ms; "
      + "; ".join(f"{n} {'intact' if d[n]['intact'] else 'BROKEN: ' + str(d[n]['error'])}"
                  for n in ("chat", "download")))
PY
}
traffic_ok() { # NAME MAX_LOST_PERCENT MAX_GAP_MS
	python3 - "$tmp/$1.json" "$2" "$3" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
u = d["udp"]
assert d["chat"]["intact"] and d["download"]["intact"], (d["chat"], d["download"])
assert u["sent"] > 1000, u
assert u["lost"] <= u["sent"] * float(sys.argv[2]) / 100, u
assert u["longest_gap_ms"] < float(sys.argv[3]), u
PY
}
# Whether ADDRESS sent VRRP adverts on the LAN during NAME's run: never (EPOCH "never"), or
# only from EPOCH on (it acted as master from then: a handover).
adverts_from() { # NAME ADDRESS never|EPOCH
	python3 - "$tmp/$1-adverts.json" "$2" "$3" <<'PY'
import json, sys
seen = json.load(open(sys.argv[1])).get(sys.argv[2])
if sys.argv[3] == "never":
    assert seen is None, seen
else:
    assert seen and seen["first"] >= float(sys.argv[3]), seen
PY
}
lost_before() { # NAME EPOCH: probes of NAME's run lost that were sent before EPOCH
	python3 - "$tmp/$1.json" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print(sum(n for t, n in d["udp"]["loss_runs"] if d["start_epoch"] + t < float(sys.argv[2])))
PY
}
# The epoch at which scripts/rolling-replace's step N began, from its output.
step_epoch() { # OUTPUT_FILE START_EPOCH N
	awk -v s="$2" -v n="$3. " 'index($0, "] " n) && match($0, /[0-9]+\.[0-9]+/) {
		printf "%.3f\n", s + substr($0, RSTART, RLENGTH); exit }' "$1"
}
rr() { # ARGS...: scripts/rolling-replace, its output in $tmp/rr.out and printed
	local rc
	"$top/scripts/rolling-replace" "$@" >"$tmp/rr.out" 2>&1
	rc=$?
	sed 's/^/     | /' "$tmp/rr.out"
	return $rc
}
wait_vrrp() { # NAME PATTERN SECONDS
	local end=$(($(date +%s) + $3))
	while [ "$(date +%s)" -lt "$end" ]; do
		vmlab_vrrp "$1" | grep -qE "$2" && return 0
		sleep 1
	done
	return 1
}
# Whether NAME's status line matches PATTERN; an agent that did not answer (or answered busy)
# is asked again, three times at most.
vrrp_is() { # NAME PATTERN
	local line
	for _ in 1 2 3; do
		line=$(vmlab_vrrp "$1")
		vmlab_known "$line" && break
	done
	grep -qE "$2" <<<"$line"
}
