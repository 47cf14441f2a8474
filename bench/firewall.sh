#!/bin/bash
# Benchmark of the firewall and NAT (issue 4): an intent of 10,000 forward ACL entries, 1,000
# port forwards and 500 one-to-one NATs (bench/gen-firewall.py), in the same run as the same
# policy loaded by the usual tools.
#
#   1. Apply, end to end (`vrouterctl apply`: reading and sending the JSON, the agent's parsing,
#      planning and nftables transaction), on a router whose links and addresses are already in
#      place (the apply adds the firewall and NAT), and from scratch on a fresh router; against
#      `nft -f` of the policy as linear rules, `nft -f` with maps and sets (one interval map per
#      ACL map, and the agent's layout: single-port entries in hash maps beside it),
#      iptables-nft-restore and iptables-legacy-restore, and one `nft add rule` per rule (a
#      sample, extrapolated).
#   2. One port forward changed (the next generation), end to end; against `nft -f` of the
#      element changes over the set-based ruleset. Then the intent in effect sent again.
#   3. TCP throughput (iperf3, one stream) from a client namespace through the router to a server
#      namespace, by the port forward, with the intent applied, with no ruleset at all (to the
#      server's own address), and with the linear ruleset.
#
# Usage: bench/firewall.sh [BUILD_DIR]  (default: build; RUNS=7 fresh namespaces per measurement,
#        CHANGES=6 one-forward changes per run, SAMPLE=500 `nft add rule` commands, ROUNDS=15
#        throughput rounds (0: none), SECONDS_PER_TEST=3 per iperf3 run, SETTLE=1 s of pause before each)
# Needs root. Everything happens in namespaces this script makes and removes (vrb-<pid>-*), the
# agent also in its own UTS namespace; traffic stays between those namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps build bench
build=${1:-build}
ctl=$build/agent/cli/vrouterctl
agentd=$build/agent/daemon/vrouterd
runs=${RUNS:-7}
changes=${CHANGES:-6}
sample=${SAMPLE:-500}
rounds=${ROUNDS:-15}
secs=${SECONDS_PER_TEST:-3}
settle=${SETTLE:-1}
. scripts/lib/build.sh
vr_build "$build"
[ "$(id -u)" -eq 0 ] || { echo "bench/firewall.sh: needs root (network namespaces)" >&2; exit 77; }
for t in nft iptables-nft-restore iptables-legacy-restore iperf3; do
	command -v $t >/dev/null || {
		echo "bench/firewall.sh: $t is missing (scripts/deps bench)" >&2
		exit 1
	}
done

tmp=$(mktemp -d)
prefix=vrb-$$
pids=()
agent_pid=
cleanup() {
	local p
	for p in "${pids[@]}" $agent_pid; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	for ns in $(ip netns list | awk -v p="$prefix-" 'index($1, p) == 1 {print $1}'); do
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

gen() { python3 bench/gen-firewall.py "$@"; }
. bench/lib.sh
gen >"$tmp/full.json"
gen --base >"$tmp/base.json"
gen --generation 2 >"$tmp/full-2.json"
# Changes: generation 3, 5, ... move forward 998 (tcp and udp) to port 8081, 4, 6, ... back.
for k in $(seq "$changes"); do
	if [ $((k % 2)) -eq 1 ]; then
		gen --generation $((k + 2)) --change 998 >"$tmp/change-$k.json"
	else
		gen --generation $((k + 2)) >"$tmp/change-$k.json"
	fi
done
gen --nft-linear >"$tmp/linear.nft"
gen --nft-sets >"$tmp/sets.nft"
gen --nft-sets-split >"$tmp/sets-split.nft"
gen --nft-change 998 >"$tmp/sets-change.nft"
gen --iptables >"$tmp/rules.ipt"
gen --nft-commands >"$tmp/commands"
mapfile -t nics < <(gen --nics)
read -r pf_addr pf_port server server_port < <(gen --flow)
n_linear=$(grep -c '^add rule' "$tmp/commands")

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
echo "machine: $(nproc) CPUs, $cpu," \
	"$(free -g | awk '/^Mem:/ {print $2}') GiB, kernel $(uname -r); $(nft --version);" \
	"$(iptables --version | cut -d' ' -f1-2); $(iperf3 --version | head -1 | cut -d' ' -f1-2)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "intent: $(stat -c %s "$tmp/full.json") bytes; linear policy: $n_linear rules" \
	"($(grep -c . "$tmp/rules.ipt") iptables-restore lines); $runs fresh namespaces per figure"

ms() { # T0 T1 ($EPOCHREALTIME values)
	python3 -c "import sys; print('%.3f' % ((float(sys.argv[2]) - float(sys.argv[1])) * 1000))" "$@"
}

# Runs a command in a namespace and appends its wall time (ms) to a file: the clock is read in
# the namespace, so `ip netns exec` itself is not counted (nor is it for vrouterctl).
ns_timed() { # NS OUT-FILE CMD...
	local ns=$1 out=$2
	shift 2
	ip netns exec "$ns" bash -c 't0=$EPOCHREALTIME; "$@" >/dev/null; t1=$EPOCHREALTIME
		echo "$t0 $t1"' _ "$@" | { read -r t0 t1; ms "$t0" "$t1" >>"$out"; }
}

# One `vrouterctl apply`; appends "wall duration_ms changes" to OUT-FILE (none: /dev/null).
apply() { # INTENT OUT-FILE
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

# ---- 1 and 2: apply times ----

for i in $(seq "$runs"); do
	make_router "a$i"
	start_agent "a$i" "$agentd"
	apply "$tmp/base.json" /dev/null
	apply "$tmp/full-2.json" "$tmp/fw"
	if [ "$i" -eq 1 ]; then
		ip netns exec "$prefix-a$i" nft list ruleset >"$tmp/agent.nft"
		echo "agent's ruleset: $(grep -c . "$tmp/agent.nft") lines listed;" \
			"$(ip netns exec "$prefix-a$i" nft -a list chain inet vrouter forward 2>/dev/null |
				grep -c 'handle' || true) objects in its forward chain"
	fi
	for k in $(seq "$changes"); do
		apply "$tmp/change-$k.json" "$tmp/change"
	done
	# The intent in effect sent again (an orchestrator's retry): recognised by its text.
	for k in 1 2 3; do
		apply "$tmp/change-$changes.json" "$tmp/resend"
	done
	stop_agent
	remove_router "a$i"

	make_router "s$i"
	start_agent "s$i" "$agentd"
	apply "$tmp/full.json" "$tmp/scratch"
	stop_agent
	remove_router "s$i"

	for b in linear sets sets-split ipt-nft ipt-legacy; do
		ip netns add "$prefix-$b$i"
		case $b in
		linear) ns_timed "$prefix-$b$i" "$tmp/$b" nft -f "$tmp/linear.nft" ;;
		sets)
			ns_timed "$prefix-$b$i" "$tmp/$b" nft -f "$tmp/sets.nft"
			ns_timed "$prefix-$b$i" "$tmp/sets-change" nft -f "$tmp/sets-change.nft"
			;;
		sets-split) ns_timed "$prefix-$b$i" "$tmp/$b" nft -f "$tmp/sets-split.nft" ;;
		ipt-nft) ns_timed "$prefix-$b$i" "$tmp/$b" iptables-nft-restore "$tmp/rules.ipt" ;;
		ipt-legacy) ns_timed "$prefix-$b$i" "$tmp/$b" iptables-legacy-restore "$tmp/rules.ipt" ;;
		esac
		ip netns del "$prefix-$b$i"
	done

	# For reference: reading and validating the intent alone, without an agent.
	t0=$EPOCHREALTIME
	"$ctl" check "$tmp/full.json" >/dev/null
	ms "$t0" "$EPOCHREALTIME" >>"$tmp/check"
done

# One `nft add rule` per rule: a sample of ACL rules in the middle of the chain, extrapolated.
ns=$prefix-per-rule
ip netns add "$ns"
# The first half of the rules in one `nft -f` (the sample is added to a chain already that long).
# (awk, not `grep | head`: a closed pipe would stop the script under pipefail)
awk -v n=$((n_linear / 2)) '!/^add rule/ || ++i <= n' "$tmp/commands" >"$tmp/first-half.nft"
awk -v a=$((n_linear / 2)) -v b=$((n_linear / 2 + sample)) \
	'/^add rule/ && ++i > a && i <= b {print "nft " $0}' "$tmp/commands" >"$tmp/sample.sh"
ip netns exec "$ns" nft -f "$tmp/first-half.nft"
ns_timed "$ns" "$tmp/per-rule" bash "$tmp/sample.sh"
ip netns del "$ns"

python3 - "$tmp" "$n_linear" "$sample" <<'PY'
import statistics, sys
d, n_linear, sample = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

def col(name, i=0):
    return [float(l.split()[i]) for l in open("%s/%s" % (d, name))]

def fmt(v):
    return "median %.1f ms (min %.1f, max %.1f)" % (statistics.median(v), min(v), max(v))

fw, sets = col("fw"), col("sets")
print("1. apply of the firewall and NAT, vrouterctl wall: %s; %d changes" %
      (fmt(fw), max(col("fw", 2))))
print("   the same, agent duration_ms:                    %s" % fmt(col("fw", 1)))
print("   whole intent on a fresh router, wall:           %s; %d changes" %
      (fmt(col("scratch")), max(col("scratch", 2))))
print("   the same, agent duration_ms:                    %s" % fmt(col("scratch", 1)))
print("   baseline nft -f, linear rules:                  %s" % fmt(col("linear")))
print("   baseline nft -f, sets and maps:                 %s" % fmt(sets))
print("   baseline nft -f, sets, the agent's ACL layout:  %s" % fmt(col("sets-split")))
print("   baseline iptables-nft-restore:                  %s" % fmt(col("ipt-nft")))
print("   baseline iptables-legacy-restore:               %s" % fmt(col("ipt-legacy")))
per = col("per-rule")[0] / sample
print("   baseline nft add rule, one per rule:            %.1f ms each over a sample of %d "
      "(added after %d rules), x %d rules = %.1f s (extrapolated)" %
      (per, sample, n_linear // 2, n_linear, per * n_linear / 1000))
print("   apply / nft -f with sets (medians):             %.2f" %
      (statistics.median(fw) / statistics.median(sets)))
print("   apply / nft -f, the agent's ACL layout:         %.2f" %
      (statistics.median(fw) / statistics.median(col("sets-split"))))
print("2. one port forward changed, vrouterctl wall:      %s; %s changes" %
      (fmt(col("change")), "/".join("%d" % c for c in sorted(set(col("change", 2))))))
print("   the same, agent duration_ms:                    %s" % fmt(col("change", 1)))
print("   baseline nft -f of the element changes:         %s" % fmt(col("sets-change")))
print("2b. the intent in effect sent again, wall:         %s; %d changes" %
      (fmt(col("resend")), max(col("resend", 2))))
print("   reference: vrouterctl check of the intent:      %s (reading and validating it)" %
      fmt(col("check")))
PY

# ---- 3: throughput ----

if [ "$rounds" -eq 0 ]; then
	echo "3. TCP throughput: not measured (ROUNDS=0)"
	echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
	exit 0
fi

# client (203.0.113.1) -- public [router] web -- server; db's peer waits in the peer namespace.
r=$prefix-tp
make_router tp
c=$prefix-tp-client s=$prefix-tp-server
ip netns add "$c"
ip netns add "$s"
ip -n "$prefix-tp-peer" link set p-nic0 netns "$c"
ip -n "$prefix-tp-peer" link set p-nic1 netns "$s"
ip -n "$c" link set lo up
ip -n "$c" link set p-nic0 up
ip -n "$c" addr add 203.0.113.1/24 dev p-nic0
ip -n "$c" route add 10.0.0.0/8 via 203.0.113.10
ip -n "$s" link set lo up
ip -n "$s" link set p-nic1 up
ip -n "$s" addr add "$server/16" dev p-nic1
ip -n "$s" route add default via 10.1.0.1
ip netns exec "$r" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "$s" iperf3 -s -p "$server_port" >"$tmp/iperf3-server.log" 2>&1 &
pids+=("$!")
start_agent tp "$agentd"
gen=0

# One iperf3 run; appends Gbit/s to OUT-FILE. It starts after a pause: the kernel frees a
# replaced or flushed ruleset after the transaction (deferred work, RCU), on the same CPUs.
throughput() { # TARGET PORT OUT-FILE
	sleep "$settle"
	ip netns exec "$c" iperf3 -c "$1" -p "$2" -t "$secs" -O 1 -J >"$tmp/iperf3.json" || {
		cat "$tmp/iperf3.json" >&2
		exit 1
	}
	python3 -c 'import json, sys
print("%.3f" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e9))' \
		"$tmp/iperf3.json" >>"$3"
}

sleep 0.5
for round in $(seq "$rounds"); do
	# The agent's ruleset (re-created by the next generation after the flush of the last round).
	gen=$((gen + 1))
	python3 bench/gen-firewall.py --generation "$gen" >"$tmp/tp.json"
	apply "$tmp/tp.json" /dev/null
	throughput "$pf_addr" "$pf_port" "$tmp/tp-intent"
	ip netns exec "$r" nft flush ruleset
	throughput "$server" "$server_port" "$tmp/tp-none"
	ip netns exec "$r" nft -f "$tmp/linear.nft"
	throughput "$pf_addr" "$pf_port" "$tmp/tp-linear"
	ip netns exec "$r" nft flush ruleset
done

python3 - "$tmp" "$secs" <<'PY'
import statistics, sys
d, secs = sys.argv[1], sys.argv[2]

def col(name):
    return [float(l) for l in open("%s/%s" % (d, name))]

none = statistics.median(col("tp-none"))
for name, what in (("tp-none", "no ruleset (to the server's address)"),
                   ("tp-intent", "the intent applied (by the port forward)"),
                   ("tp-linear", "linear nft ruleset (by the port forward)")):
    v = col(name)
    print("3. TCP throughput, %-42s median %.2f Gbit/s (min %.2f, max %.2f), %.0f %% of no "
          "ruleset" % (what + ":", statistics.median(v), min(v), max(v),
                       100 * statistics.median(v) / none))
print("   (iperf3, one stream, %s s per run after 1 s left out, runs interleaved)" % secs)
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
