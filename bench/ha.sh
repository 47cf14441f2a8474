#!/bin/bash
# Benchmark of VRRP handover and failover (issue 18): the agent's routers (tests/ha/agent.sh)
# against the same pair set up by hand with keepalived and conntrackd as shipped
# (tests/ha/baseline.sh), alternately in one run (baseline, agent, baseline, agent, ...), with
# the same topology, traffic and events. Prints one table: per event, ours against the
# baseline: the UDP probe's longest gap (median and max over the rounds), probes lost (max),
# TCP streams intact (rounds in which both the chat and the download survived / rounds); and a
# second one for the services (tests/ha/services.sh): how long DHCP (a client rebinding its
# lease), the IPsec tunnel and the WireGuard tunnel (pings through each, 50/s) were not served,
# median / max, ms.
#
# Usage: bench/ha.sh [ROUNDS (default 3)] [ADVERT_MS (default 100)]
# BUILD_DIR (default build) is built first; OUTDIR (default: a temporary directory, removed)
# keeps each run's output and JSON. Needs root; each run takes the test lock
# (/tmp/vrouter-test.lock) and makes its own namespaces, as the tests do.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
advert=${2:-100}
build=$(realpath "${BUILD_DIR:-build}")
[ "$(id -u)" -eq 0 ] || { echo "bench/ha.sh: needs root (namespaces)" >&2; exit 77; }
scripts/deps build test bench
. scripts/lib/build.sh
vr_build "$build"
export VROUTERD=$build/agent/daemon/vrouterd VROUTERCTL=$build/agent/cli/vrouterctl

keep=${OUTDIR:-}
out=${OUTDIR:-$(mktemp -d)}
mkdir -p "$out"
out=$(realpath "$out")
[ -n "$keep" ] || trap 'rm -rf "$out"' EXIT

run() { # baseline|agent ROUND: one run, its lines in $out/NAME-ROUND.txt; a failed run is kept
	local rc=0
	flock /tmp/vrouter-test.lock "tests/ha/$1.sh" "$advert" "$out/$1-$2" >"$out/$1-$2.txt" 2>&1 || rc=$?
	echo "round $2 $1: exit $rc" >&2
	[ $rc -eq 0 ] || { tail -20 "$out/$1-$2.txt" >&2; echo "$rc" >"$out/$1-$2.failed"; }
}
for i in $(seq "$rounds"); do
	run baseline "$i"
	run agent "$i"
done

echo "machine: $(nproc) CPUs, kernel $(uname -r), $(keepalived --version 2>&1 | head -1)," \
	"conntrackd $(conntrackd -v 2>&1 | sed -n 's/.*daemon \(v[0-9.]*\).*/\1/p;q')"
echo "advert interval $advert ms, $rounds rounds each, alternating"
python3 - "$out" "$rounds" <<'PY'
import json, os, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
events = ["handover", "late-handover", "hard-failure", "link-down", "agent-kill", "back-and-forth",
          "flush-after-join"]

def runs(kind, ev):
    got = []
    for i in range(1, rounds + 1):
        f = os.path.join(out, "%s-%d" % (kind, i), ev + ".json")
        if os.path.exists(f):
            got.append(json.load(open(f)))
    return got

def cell(rs):
    if not rs:
        return ["-"] * 4
    gaps = [r["udp"]["longest_gap_ms"] for r in rs]
    intact = sum(1 for r in rs if r["chat"]["intact"] and r["download"]["intact"])
    return ["%.0f" % statistics.median(gaps), "%.0f" % max(gaps),
            "%d" % max(r["udp"]["lost"] for r in rs), "%d/%d" % (intact, len(rs))]

head = ["event", "gap med", "gap max", "lost max", "TCP intact"]
print("| %-16s | %s | %s |" % ("", "ours (vrouterd)".center(38), "baseline (by hand)".center(38)))
print("| %-16s | %8s | %8s | %8s | %10s | %8s | %8s | %8s | %10s |" % tuple(head + head[1:]))
print("|" + "-" * 18 + ("|" + "-" * 10) * 3 + "|" + "-" * 12 + ("|" + "-" * 10) * 3 + "|" + "-" * 12 + "|")
for ev in events:
    a, b = cell(runs("agent", ev)), cell(runs("baseline", ev))
    print("| %-16s | %8s | %8s | %8s | %10s | %8s | %8s | %8s | %10s |" % tuple([ev] + a + b))

def svc(rs, key):
    gaps = []
    for r in rs:
        s = r.get("services", {}).get(key)
        if s is None:
            continue
        g = s.get("gap_ms")
        # (answers that never came back: "never")
        never = g is None or s.get("back_ms") is None
        gaps.append(float("inf") if never else g)
    if not gaps:
        return "-"
    f = lambda v: "never" if v == float("inf") else "%.0f" % v
    return "%s / %s" % (f(statistics.median(gaps)), f(max(gaps)))

print()
keys = [("dhcp", "DHCP"), ("ipsec", "IPsec"), ("wg", "WireGuard")]
print("| %-16s | %s |" % ("services", " | ".join("%-14s | %-14s" % (n + " ours", n + " base")
                                                  for _, n in keys)))
print("|" + "-" * 18 + ("|" + "-" * 16) * 6 + "|")
for ev in events:
    a, b = runs("agent", ev), runs("baseline", ev)
    print("| %-16s | %s |" % (ev, " | ".join("%14s | %14s" % (svc(a, k), svc(b, k)) for k, _ in keys)))
print("services: how long each was not served, median / max over the rounds, ms: the longest gap "
      "between two answers to a DHCP client rebinding its lease at 50/s (ACKs) and to pings through "
      "the IPsec and the WireGuard tunnel at 50/s (replies); the agent-kill's DHCP runs inside the "
      "late handover's.")
failed = sorted(f[:-7] for f in os.listdir(out) if f.endswith(".failed"))
print("gap: the UDP probe's (1 kHz) longest gap, ms; lost: probes; TCP intact: rounds in which both "
      "the chat and the download survived / rounds measured.")
if failed:
    print("runs that stopped early (their events after the failure are missing): " + ", ".join(failed))
PY
