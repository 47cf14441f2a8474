#!/bin/bash
# The small changes of bench/firewall.sh's intent (10,000 forward ACL entries, 1,000 port
# forwards, 500 one-to-one NATs: bench/gen-firewall.py), end to end (`vrouterctl apply`), for one
# or more builds interleaved: each run makes, for each build in turn, a router namespace and an
# agent, applies the router's base and the whole intent (generation 2), then times
#
#   CHANGES  one port forward moved to another port or back (the next generation each time);
#   NOOPS    the next generation of the same content (nothing to change);
#   RULES    one ACL entry's action changed or back (an element of an access-list map);
#   RESEND   the last intent's text sent again (recognised as the one in effect);
#
# and reads the agent's CPU time (utime + stime, in ticks of 10 ms) over the changes and the
# re-sends. Builds compared in one run share its load, which on a shared machine matters more
# than anything else.
#
# Usage: bench/change.sh BUILD_DIR...   (RUNS=8 runs; CHANGES=8, NOOPS=4, RULES=4, RESEND=4)
# Needs root. Everything happens in namespaces this script makes and removes (vrc-<pid>-*), the
# agent also in its own UTS namespace.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: bench/change.sh BUILD_DIR..." >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "bench/change.sh: needs root (network namespaces)" >&2; exit 77; }
builds=("$@")
runs=${RUNS:-8} changes=${CHANGES:-8} noops=${NOOPS:-4} rules=${RULES:-4} resend=${RESEND:-4}
tmp=$(mktemp -d)
prefix=vrc-$$
agent_pid=
cleanup() {
	if [ -n "$agent_pid" ]; then
		kill "$agent_pid" 2>/dev/null || true
		wait "$agent_pid" 2>/dev/null || true
	fi
	for ns in $(ip netns list | awk -v p="$prefix-" 'index($1, p) == 1 {print $1}'); do
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

gen() { python3 bench/gen-firewall.py "$@"; }
. bench/lib.sh
gen --base >"$tmp/base.json"
gen --generation 2 >"$tmp/full.json"
for k in $(seq "$changes"); do
	if [ $((k % 2)) -eq 1 ]; then
		gen --generation $((k + 2)) --change 998 >"$tmp/change-$k.json"
	else
		gen --generation $((k + 2)) >"$tmp/change-$k.json"
	fi
done
# The next generations after the last change: the same content, then ACL entry 5000's action.
python3 - "$tmp" "$changes" "$noops" "$rules" <<'PY'
import json, sys
d, changes, noops, rules = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
last = json.load(open("%s/change-%d.json" % (d, changes)) if changes else open("%s/full.json" % d))
g = last["generation"]
for k in range(1, noops + 1):
    g += 1
    last["generation"] = g
    json.dump(last, open("%s/noop-%d.json" % (d, k), "w"))
rule = last["firewall"]["forward"]["rules"][5000]
action = rule["action"]
for k in range(1, rules + 1):
    g += 1
    last["generation"] = g
    rule["action"] = "drop" if k % 2 and action != "drop" else "accept" if k % 2 else action
    json.dump(last, open("%s/rule-%d.json" % (d, k), "w"))
json.dump(last, open("%s/last.json" % d, "w"))
PY
mapfile -t nics < <(gen --nics)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$agent_pid/stat"; }

# One `vrouterctl apply`; appends "wall duration_ms changes" to OUT-FILE.
apply() { # CTL INTENT OUT-FILE
	local t0 t1 ans
	t0=$EPOCHREALTIME
	ans=$("$1" --socket "$tmp/agent.sock" apply "$2")
	t1=$EPOCHREALTIME
	python3 - "$t0" "$t1" "$ans" >>"$3" <<'PY'
import json, sys
a = json.loads(sys.argv[3])
if a.get("exit", 0) != 0:
    sys.exit("apply failed: %s" % sys.argv[3])
print("%.3f %s %d" % ((float(sys.argv[2]) - float(sys.argv[1])) * 1000,
                     a.get("duration_ms", "nan"), a.get("changes", 0)))
PY
}

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')," \
	"kernel $(uname -r); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq "$runs"); do
	for b in "${!builds[@]}"; do
		ctl=${builds[$b]}/agent/cli/vrouterctl
		make_router "r$b"
		start_agent "r$b" "${builds[$b]}/agent/daemon/vrouterd"
		apply "$ctl" "$tmp/base.json" /dev/null
		apply "$ctl" "$tmp/full.json" "$tmp/full.$b"
		c0=$(cpu_ticks)
		for k in $(seq "$changes"); do apply "$ctl" "$tmp/change-$k.json" "$tmp/change.$b"; done
		c1=$(cpu_ticks)
		for k in $(seq "$noops"); do apply "$ctl" "$tmp/noop-$k.json" "$tmp/noop.$b"; done
		for k in $(seq "$rules"); do apply "$ctl" "$tmp/rule-$k.json" "$tmp/rule.$b"; done
		c2=$(cpu_ticks)
		for k in $(seq "$resend"); do apply "$ctl" "$tmp/last.json" "$tmp/same.$b"; done
		c3=$(cpu_ticks)
		[ "$changes" -eq 0 ] || echo "$(((c1 - c0) * 10 / changes))" >>"$tmp/cpu-change.$b"
		[ "$resend" -eq 0 ] || echo "$(((c3 - c2) * 10 / resend))" >>"$tmp/cpu-same.$b"
		awk '/VmHWM/ {print $2 / 1024}' "/proc/$agent_pid/status" >>"$tmp/hwm.$b"
		stop_agent
		remove_router "r$b"
	done
done

python3 - "$tmp" "${builds[@]}" <<'PY'
import statistics, sys
d, builds = sys.argv[1], sys.argv[2:]

def col(name, i=0):
    try:
        return [float(l.split()[i]) for l in open("%s/%s" % (d, name)) if l.strip()]
    except FileNotFoundError:
        return []

def fmt(v):
    if not v:
        return "-"
    return "%.1f (min %.1f, max %.1f, n %d)" % (statistics.median(v), min(v), max(v), len(v))

for b, name in enumerate(builds):
    print(name)
    for f, what in (("full", "whole firewall and NAT, wall"), ("change", "one forward changed, wall"),
                    ("noop", "next generation, same, wall"), ("rule", "one ACL entry changed, wall"),
                    ("same", "the same text re-sent, wall")):
        v = col("%s.%d" % (f, b))
        if v:
            print("  %-30s %s ms; agent duration_ms %s" % (what + ":", fmt(v),
                                                           fmt(col("%s.%d" % (f, b), 1))))
    print("  %-30s %s ms per change; %s per re-send" %
          ("agent CPU:", fmt(col("cpu-change.%d" % b)), fmt(col("cpu-same.%d" % b))))
    print("  %-30s %s MiB" % ("agent VmHWM:", fmt(col("hwm.%d" % b))))
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
