#!/bin/bash
# Soak (issue 19): 10,000 applies alternating between two firewall intents of the same size
# that differ in many places (bench/gen-firewall.py and its --variant: a quarter of the ACL
# entries' actions, a tenth of the port forwards), so that every apply changes the router,
# sent by one persistent client on the agent's socket (bench/client.py soak: spawning
# vrouterctl 10,000 times would add a process start and a read of the intent's file to each).
# vrouterd's VmRSS, VmHWM and open fds are sampled after its start and every 500 applies; the
# table, then the growth from the first sample after warm-up (500 applies) to the last.
#
# Usage: bench/soak.sh [-n APPLIES] [BUILD_DIR]   (default 10,000 applies, build; RULES=3000
#        ACL entries, FORWARDS=300, ONE_TO_ONE=100, EVERY=500 applies per sample,
#        TOLERANCE_KIB=2048 of VmRSS growth after warm-up; with fewer than 4 x EVERY applies,
#        a sample every quarter of them)
# Exits 1 when the open fds grew at all after warm-up, or the median VmRSS of the last 3 samples
# passes that of the first 3 after warm-up by more than TOLERANCE_KIB (samples differ by about
# 2 MiB with the allocator's free lists; a leak of 220 bytes per apply passes it in 10,000),
# or vrouterd logged a warning or an error.
# Runs under nice 10 (the machine is shared). Needs root. Everything happens in namespaces this
# script makes and removes (vrb-<pid>-*), the agent also in its own UTS namespace.
set -euo pipefail
cd "$(dirname "$0")/.."
count=10000
while getopts n: o; do
	case $o in
	n) count=$OPTARG ;;
	*) echo "usage: bench/soak.sh [-n APPLIES] [BUILD_DIR]" >&2; exit 64 ;;
	esac
done
shift $((OPTIND - 1))
scripts/deps build bench
build=${1:-build}
agentd=$build/agent/daemon/vrouterd
rules=${RULES:-3000}
forwards=${FORWARDS:-300}
one_to_one=${ONE_TO_ONE:-100}
every=${EVERY:-500}
tolerance=${TOLERANCE_KIB:-2048}
. scripts/lib/build.sh
vr_build "$build"
[ "$(id -u)" -eq 0 ] || { echo "bench/soak.sh: needs root (network namespaces)" >&2; exit 77; }
renice -n 10 -p $$ >/dev/null

tmp=$(mktemp -d)
prefix=vrb-$$
agent_pid=
# shellcheck disable=SC2317 # run by the trap
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

gen() { python3 bench/gen-firewall.py --rules "$rules" --forwards "$forwards" \
	--one-to-one "$one_to_one" "$@"; }
. bench/lib.sh
gen >"$tmp/a.json"
gen --variant >"$tmp/b.json"
mapfile -t nics < <(gen --nics)

echo "machine: $(nproc) CPUs, kernel $(uname -r);" \
	"load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "intents: $rules ACL entries, $forwards port forwards, $one_to_one one-to-one;" \
	"$(stat -c %s "$tmp/a.json") and $(stat -c %s "$tmp/b.json") bytes; $count applies"
make_router r
# Log lines with their syslog priority (as under systemd): none may be a warning or worse.
JOURNAL_STREAM=bench start_agent r "$agentd"
[ "$(cat "/proc/$agent_pid/comm")" = vrouterd ] || {
	echo "bench/soak.sh: pid $agent_pid is not vrouterd" >&2
	exit 1
}
rc=0
python3 bench/client.py soak "$tmp/agent.sock" "$agent_pid" "$tmp/a.json" "$tmp/b.json" \
	--count "$count" --every "$every" --tolerance-kib "$tolerance" || rc=$?
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
if grep -q '^<[0-4]>' "$tmp/vrouterd.log"; then
	echo "vrouterd logged errors or warnings:" >&2
	grep '^<[0-4]>' "$tmp/vrouterd.log" | head -20 >&2
	rc=1
fi
exit $rc
