#!/bin/bash
# Benchmark of `vrouterctl check` on a large intent (10,000 firewall rules, 1,000 port forwards,
# 5,000 DHCP reservations), against parsing the same document with jq as a baseline.
# Usage: bench/check.sh [BUILD_DIR]   (default: build). Prints median wall time and peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps build bench
build=${1:-build}
ctl=$build/agent/cli/vrouterctl
runs=${RUNS:-21}
. scripts/lib/build.sh
vr_build "$build"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 bench/gen-intent.py >"$tmp/large.json"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "intent: $(stat -c %s "$tmp/large.json") bytes"

# Median wall time (ms) and peak RSS (MiB) of a command over $runs runs.
measure() { # NAME CMD...
	local name=$1
	shift
	python3 - "$runs" "$@" <<'PY' | sed "s/^/$name: /"
import resource, statistics, subprocess, sys, time
runs, cmd = int(sys.argv[1]), sys.argv[2:]
times, rss = [], 0
for _ in range(runs):
    t = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times.append((time.perf_counter() - t) * 1000)
    if r.returncode != 0:
        sys.exit("%s exited %d" % (cmd, r.returncode))
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print("median %.1f ms (min %.1f, max %.1f), peak RSS %.1f MiB" %
      (statistics.median(times), min(times), max(times), rss))
PY
}

measure "vrouterctl check" "$ctl" check "$tmp/large.json"
if command -v jq >/dev/null; then
	measure "baseline jq empty (parse only)" jq empty "$tmp/large.json"
fi
