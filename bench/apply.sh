#!/bin/bash
# Benchmark of a full apply (issue 3): an intent of 4 interfaces x 50 addresses and 2,000 routes
# (bench/gen-apply.py), applied through vrouterd's kernel backend to a fresh router namespace
# whose 4 veth NICs carry the intent's MACs, against `ip -batch` of the same links, addresses
# and routes on a fresh namespace of the same kind, in the same run. Also a no-op re-apply, twice
# over: the same document again (the agent answers from its store) and the same content as the
# next generation (a whole observe + plan that finds nothing to do).
#
# Usage: bench/apply.sh [BUILD_DIR]   (default: build; RUNS=11 fresh namespaces per side,
#                                      NOOPS=5 re-applies of each kind per run)
# Prints medians (min, max) of the end-to-end `vrouterctl apply` wall time, of the agent's own
# duration_ms, and of `ip -batch`. Needs root. Everything happens in namespaces this script
# makes and removes (vrb-<pid>-*); vrouterd also gets its own UTS namespace (an intent may set
# the hostname). Nothing is configured in the root namespace.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps build bench
build=${1:-build}
ctl=$build/agent/cli/vrouterctl
agentd=$build/agent/daemon/vrouterd
runs=${RUNS:-11}
noops=${NOOPS:-5}
. scripts/lib/build.sh
vr_build "$build"
[ "$(id -u)" -eq 0 ] || { echo "bench/apply.sh: needs root (network namespaces)" >&2; exit 77; }

tmp=$(mktemp -d)
prefix=vrb-$$
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

python3 bench/gen-apply.py >"$tmp/intent.json"
for g in $(seq 2 $((noops + 1))); do
	python3 bench/gen-apply.py --generation "$g" >"$tmp/intent-$g.json"
done
python3 bench/gen-apply.py --ip-batch >"$tmp/batch"
mapfile -t nics < <(python3 bench/gen-apply.py --nics)
want_addrs=$(grep -c '^address add' "$tmp/batch")
want_routes=$(grep -c '^route add' "$tmp/batch")

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
echo "machine: $(nproc) CPUs, $cpu," \
	"$(free -g | awk '/^Mem:/ {print $2}') GiB, kernel $(uname -r), $(ip -V)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "intent: ${#nics[@]} interfaces, $want_addrs addresses, $want_routes routes," \
	"$(stat -c %s "$tmp/intent.json") bytes; $runs fresh namespaces per side," \
	"$noops no-ops of each kind"

# A router namespace with the intent's NICs (veth pairs whose peers wait, up, in a second
# namespace), both made here: nothing is created in the root namespace.
make_router() { # RUN
	local r=$prefix-r$1 p=$prefix-p$1 line
	ip netns add "$r"
	ip netns add "$p"
	ip -n "$r" link set lo up
	for line in "${nics[@]}"; do
		set -- $line
		ip -n "$r" link add "$1" address "$2" type veth peer name "p-$1" netns "$p"
		ip -n "$p" link set "p-$1" up
	done
}

remove_router() { # RUN
	ip netns del "$prefix-r$1"
	ip netns del "$prefix-p$1"
}

# Fails unless the namespace holds every address and route of the intent.
verify() { # RUN WHAT
	local ns=$prefix-r$1 a r
	a=$(ip -n "$ns" -o addr show scope global | wc -l)
	r=$(($(ip -n "$ns" -4 route show | grep -c ' via ') +
		$(ip -n "$ns" -6 route show | grep -c ' via ')))
	if [ "$a" -ne "$want_addrs" ] || [ "$r" -ne "$want_routes" ]; then
		echo "bench/apply.sh: after $2: $a addresses, $r routes (want $want_addrs, $want_routes)" >&2
		exit 1
	fi
	for a in $(awk '$3 == "dev" && $5 == "name" {print $6 "/" $8}' "$tmp/batch"); do
		ip -n "$ns" -o link show dev "${a%/*}" | grep -q " mtu ${a#*/} .*state UP" || {
			echo "bench/apply.sh: after $2: link ${a%/*} is not up with MTU ${a#*/}" >&2
			exit 1
		}
	done
}

ms_since() { # T0 (an $EPOCHREALTIME)
	python3 -c "import sys; print('%.3f' % ((float(sys.argv[2]) - float(sys.argv[1])) * 1000))" \
		"$1" "$EPOCHREALTIME"
}

# Times one `vrouterctl apply`; appends "wall duration_ms changes" to the file.
apply_timed() { # INTENT OUT-FILE
	local t0 t1 ans
	t0=$EPOCHREALTIME
	ans=$("$ctl" --socket "$tmp/agent.sock" apply "$1")
	t1=$EPOCHREALTIME
	python3 - "$t0" "$t1" "$ans" >>"$2" <<'PY'
import json, sys
a = json.loads(sys.argv[3])
if a.get("exit", 0) != 0 or not a.get("applied"):
    sys.exit("apply failed: %s" % sys.argv[3])
print("%.3f %s %d" % ((float(sys.argv[2]) - float(sys.argv[1])) * 1000,
                     a.get("duration_ms", "nan"), a.get("changes", 0)))
PY
}

for i in $(seq "$runs"); do
	# (a) full apply through the agent, then (b) the no-ops, in a fresh namespace.
	make_router "$i"
	rm -rf "$tmp/state" "$tmp/etc" "$tmp/agent.sock"
	mkdir -p "$tmp/state" "$tmp/etc"
	ip netns exec "$prefix-r$i" unshare --uts "$agentd" --backend kernel \
		--socket "$tmp/agent.sock" --serial none --state-dir "$tmp/state" \
		--confdir "$tmp/etc" --payload "$tmp/no-payload.json" >>"$tmp/vrouterd.log" 2>&1 &
	agent_pid=$!
	for _ in $(seq 100); do
		[ -S "$tmp/agent.sock" ] && break
		sleep 0.05
	done
	apply_timed "$tmp/intent.json" "$tmp/full"
	verify "$i" "the agent's apply"
	for g in $(seq 2 $((noops + 1))); do
		apply_timed "$tmp/intent-$g.json" "$tmp/next"
		apply_timed "$tmp/intent-$g.json" "$tmp/same"
	done
	kill "$agent_pid"
	wait "$agent_pid" 2>/dev/null || true
	agent_pid=
	remove_router "$i"

	# (c) the baseline: ip -batch on a fresh namespace of the same kind.
	make_router "b$i"
	t0=$EPOCHREALTIME
	ip -n "$prefix-rb$i" -batch "$tmp/batch"
	ms_since "$t0" >>"$tmp/batch-ms"
	verify "b$i" "ip -batch"
	remove_router "b$i"

	# For reference: reading and validating the intent alone, without an agent.
	t0=$EPOCHREALTIME
	"$ctl" check "$tmp/intent.json" >/dev/null
	ms_since "$t0" >>"$tmp/check-ms"
done

python3 - "$tmp" <<'PY'
import statistics, sys
d = sys.argv[1]

def col(name, i):
    return [float(l.split()[i]) for l in open("%s/%s" % (d, name))]

def fmt(v):
    return "median %.1f ms (min %.1f, max %.1f)" % (statistics.median(v), min(v), max(v))

full, batch = col("full", 0), col("batch-ms", 0)
changes = sorted(set(col("full", 2)))
print("full apply, vrouterctl wall:     %s; %s changes" %
      (fmt(full), "/".join("%d" % c for c in changes)))
print("full apply, agent duration_ms:   %s" % fmt(col("full", 1)))
print("baseline ip -batch:              %s" % fmt(batch))
print("no-op, same document, wall:      %s (answered from the store)" % fmt(col("same", 0)))
print("no-op, next generation, wall:    %s; %d changes" %
      (fmt(col("next", 0)), max(col("next", 2))))
print("no-op, next generation, agent:   %s" % fmt(col("next", 1)))
print("reference: vrouterctl check:      %s (reading and validating the intent)" %
      fmt(col("check-ms", 0)))
print("full apply / ip -batch (medians): %.2f" %
      (statistics.median(full) / statistics.median(batch)))
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
