#!/bin/bash
# New flows per second through the router (issue 24): the cost a ruleset adds to each new
# connection, which one established stream never shows (after its first packet it only meets
# `ct state established`).
#
# Routers in namespaces with bench/gen-firewall.py's NICs (public, web, db) and hosts on each
# side in namespaces of their own. From the web side, hping3 floods one flow at a time: TCP
# SYNs or UDP datagrams from the source and to the port of one ACL entry, each packet to a new
# destination address (hping3 --rand-dest: 10.3.x.x routed to the db host, 198.51.x.x through
# the public gateway) and a new source port, so each packet is a new connection for conntrack.
# The flows (gen-firewall.py --flows): for TCP and UDP the first, middle and last accepted
# entry of the 10,000, the last TCP entry of a single port, and a TCP flow that matches no
# entry. Counted where they arrive (an ingress counter on the receiving host, which drops them
# there: no reply comes back), or for the flow that matches none, at the router (IP
# InReceives: the packets the router took in and dropped).
#
# Rulesets: the agent's for the intent (`vrouterctl apply`); a minimal stateful one (conntrack
# established/related/invalid, the web side forwarded, NAT hooks with the source NAT); the same
# policy as linear rules (`nft -f`). Each is measured against the minimal one flooded at the
# same moment through a second router (see setup below). BREAKDOWN=1 adds variants of the
# agent's ruleset as listed by `nft list ruleset` and loaded with `nft -f`, each with one part
# taken out, to show where a new flow's time goes; PERF=1 samples the measured ruleset's CPU
# (perf record, cpu-clock) while each flow is counted, and prints the share of nftables,
# conntrack and NAT in a packet's time (PERF_OUT=FILE keeps the samples per symbol, PERF_TOP=N
# prints the N first symbols). The conntrack tables are flushed before each measurement.
#
# Usage: bench/flows.sh [BUILD_DIR]  (default: build; ROUNDS=6, SECONDS_PER_TEST=1 counted
#        after WARM=0.3 s of flood, SETTLE=1 s after the conntrack tables' flush,
#        FLOWS="tcp-last tcp-none ..." only those flows, RULESETS="minimal agent ..." only
#        those rulesets, RAW=1 every measurement)
# Needs root and 2 CPUs. Everything happens in namespaces this script makes and removes
# (vrf-<pid>-*), the agents also in their own UTS namespaces; traffic stays between those
# namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps build bench
build=${1:-build}
ctl=$build/agent/cli/vrouterctl
agentd=$build/agent/daemon/vrouterd
rounds=${ROUNDS:-6}
secs=${SECONDS_PER_TEST:-1}
warm=${WARM:-0.3}
settle=${SETTLE:-1}
. scripts/lib/build.sh
vr_build "$build"
[ "$(id -u)" -eq 0 ] || { echo "bench/flows.sh: needs root (network namespaces)" >&2; exit 77; }
for t in nft hping3 conntrack; do
	command -v $t >/dev/null || {
		echo "bench/flows.sh: $t is missing (scripts/deps bench)" >&2
		exit 1
	}
done

tmp=$(mktemp -d)
prefix=vrf-$$
pids=()
cleanup() {
	local p ns
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	for ns in $(ip netns list | awk -v p="$prefix-" 'index($1, p) == 1 {print $1}'); do
		# a flood started in a command substitution is not in pids
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

gen() { python3 bench/gen-firewall.py "$@"; }
. bench/lib.sh
mapfile -t nics < <(gen --nics)
mapfile -t flows < <(gen --flows)
gen --nft-linear >"$tmp/linear.nft"
gen --nft-minimal >"$tmp/minimal.nft"
if [ -n "${FLOWS:-}" ]; then
	mapfile -t flows < <(printf '%s\n' "${flows[@]}" | awk -v want=" $FLOWS " 'index(want, " " $1 " ")')
fi
rulesets=(minimal agent linear)
[ "${BREAKDOWN:-0}" = 1 ] && rulesets+=(no-counters no-open no-always-on no-nat-maps)
[ -n "${RULESETS:-}" ] && read -ra rulesets <<<"$RULESETS"
[ "$(nproc)" -ge 2 ] || { echo "bench/flows.sh: needs 2 CPUs (two floods at once)" >&2; exit 1; }

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
echo "machine: $(nproc) CPUs, $cpu, $(free -g | awk '/^Mem:/ {print $2}') GiB," \
	"kernel $(uname -r); $(nft --version); $(hping3 --version 2>&1 | head -1)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$rounds rounds, ${secs} s counted per flow and ruleset; rulesets: ${rulesets[*]}"

# Two routers, each with its hosts (its NICs' peers moved to a host namespace each) and its
# agent: router 0 holds the ruleset measured, router 1 the minimal one. Each flow goes through
# one, then right away through the other (the order swapped every other round), and the ratio
# is taken per pair: the machine's drift (a guest's CPUs are not steady: rates of one ruleset
# measured seconds apart differ by up to 25 %) mostly cancels.
setup() { # K
	local k=$1 r=$prefix-r$1 ns
	make_router "r$k"
	for ns in pub web db; do
		ip netns add "$prefix-$ns$k"
		ip -n "$prefix-$ns$k" link set lo up
	done
	ip -n "$r-peer" link set p-nic0 netns "$prefix-pub$k"
	ip -n "$r-peer" link set p-nic1 netns "$prefix-web$k"
	ip -n "$r-peer" link set p-nic2 netns "$prefix-db$k"
	ip -n "$prefix-pub$k" addr add 203.0.113.1/24 dev p-nic0
	ip -n "$prefix-web$k" addr add 10.1.0.2/16 dev p-nic1
	ip -n "$prefix-db$k" addr add 10.2.0.2/16 dev p-nic2
	ip -n "$prefix-pub$k" link set p-nic0 up
	ip -n "$prefix-web$k" link set p-nic1 up
	ip -n "$prefix-db$k" link set p-nic2 up
	ip -n "$prefix-web$k" route add default via 10.1.0.1
	# Each host counts and drops what reaches it: nothing goes back through the router.
	for ns in "pub p-nic0" "db p-nic2"; do
		set -- $ns
		printf 'table netdev count {\n\tchain in {\n\t\ttype filter hook ingress device %s priority 0;\n\t\tmeta protocol ip counter drop\n\t}\n}\n' "$2" |
			ip netns exec "$prefix-$1$k" nft -f -
	done
	ip netns exec "$r" sysctl -qw net.ipv4.ip_forward=1
	start_agent "r$k" "$agentd" "$tmp/a$k"
	pids+=("$agent_pid")
}
setup 0
setup 1
gens=(0 0)

agent_apply() { # K
	gens[$1]=$((gens[$1] + 1))
	gen --flow-route --generation "${gens[$1]}" >"$tmp/intent.json"
	"$ctl" --socket "$tmp/a$1/agent.sock" apply "$tmp/intent.json" >"$tmp/apply.out" || {
		cat "$tmp/apply.out" >&2
		exit 1
	}
}

# Both routers configured by their agents (links, addresses, routes); the agent's ruleset as
# listed, for the variants.
agent_apply 0
agent_apply 1
ip netns exec "$prefix-r0" nft list ruleset >"$tmp/agent.nft"
python3 - "$tmp" <<'PY'
import re, sys
d = sys.argv[1]
text = open(d + "/agent.nft").read()
lines = text.split("\n")
def keep(pred):
    return "\n".join(l for l in lines if pred(l.strip())) + "\n"
# Each variant leaves out one part of what a new packet meets.
open(d + "/no-counters.nft", "w").write(
    re.sub(r" counter packets \d+ bytes \d+", "", keep(lambda l: l != "counter")))
open(d + "/no-open.nft", "w").write(keep(lambda l: "@_open" not in l))
open(d + "/no-always-on.nft", "w").write(keep(
    lambda l: not (l.startswith("ct state invalid") or l.startswith("icmp")) ))
open(d + "/no-nat-maps.nft", "w").write(keep(
    lambda l: not re.match(r"(dnat|snat) ip to .* map @_", l)))
PY
echo "agent's ruleset: $(grep -c . "$tmp/agent.nft") lines listed"

load() { # K RULESET
	ip netns exec "$prefix-r$1" nft flush ruleset
	case $2 in
	agent) agent_apply "$1" ;;
	*) ip netns exec "$prefix-r$1" nft -f "$tmp/$2.nft" ;;
	esac
}

count() { # K OUT ("public", "db", or "router")
	case $2 in
	public) ip netns exec "$prefix-pub$1" nft list chain netdev count in ;;
	db) ip netns exec "$prefix-db$1" nft list chain netdev count in ;;
	router) ip netns exec "$prefix-r$1" awk '/^Ip: [0-9]/ {print "packets", $4}' /proc/net/snmp ;;
	esac | grep -o 'packets [0-9]*' | cut -d' ' -f2
}

flood() { # K CPU PROTOCOL SOURCE PORT DESTINATION; prints the flood's PID
	local k=$1 cpu=$2 proto=$3 src=$4 port=$5 dst=$6 opt=-S
	[ "$proto" = udp ] && opt=--udp
	ip netns exec "$prefix-web$k" ip addr add "$src/16" dev p-nic1 2>/dev/null || true
	ip netns exec "$prefix-web$k" taskset -c "$cpu" hping3 $opt --flood -q -p "$port" \
		-a "$src" -I p-nic1 --rand-dest "$dst" >/dev/null 2>&1 &
	echo $!
}

# One flood through router K on CPU cpu for secs after warm; prints the packets per second
# counted where they arrive (WHERE).
window() { # K WHERE PROTOCOL SOURCE PORT DESTINATION PERF-KEY
	local k=$1 where=$2 hp c0 c1 t0 t1
	ip netns exec "$prefix-r$k" conntrack -F >/dev/null 2>&1 || true
	sleep "$settle"
	hp=$(flood "$k" "$cpu" "$3" "$4" "$5" "$6")
	sleep "$warm"
	c0=$(count "$k" "$where")
	t0=$EPOCHREALTIME
	if [ "${PERF:-0}" = 1 ]; then
		perf record -q -e cpu-clock -C "$cpu" -o "$tmp/perf.data" -- sleep "$secs" \
			>/dev/null 2>&1
		perf report -i "$tmp/perf.data" --stdio --sort sym 2>/dev/null |
			awk -v k="$7" '/%/ && $1 ~ /%$/ {print k, $0}' >>"$tmp/perf"
	else
		sleep "$secs"
	fi
	c1=$(count "$k" "$where")
	t1=$EPOCHREALTIME
	kill -INT "$hp" 2>/dev/null || true
	wait "$hp" 2>/dev/null || true
	python3 -c 'import sys; print("%.0f" % ((int(sys.argv[2]) - int(sys.argv[1])) /
		(float(sys.argv[4]) - float(sys.argv[3]))))' "$c0" "$c1" "$t0" "$t1"
}

# One flow through ruleset X (router 0) and the minimal one (router 1), one right after the
# other, X first in odd rounds; appends "X minimal NAME RATE-X RATE-MINIMAL" to $tmp/rates.
measure() { # X ROUND NAME PROTOCOL SOURCE PORT OUT
	local x=$1 round=$2 name=$3 proto=$4 src=$5 port=$6 out=$7 dst where vx vy
	[ "$out" = db ] && dst=10.3.x.x || dst=198.51.x.x
	where=$out
	[ "$name" = tcp-none ] && where=router
	if [ $((round % 2)) -eq 1 ]; then
		vx=$(window 0 "$where" "$proto" "$src" "$port" "$dst" "$x $name")
		vy=$(window 1 "$where" "$proto" "$src" "$port" "$dst" "minimal $name")
	else
		vy=$(window 1 "$where" "$proto" "$src" "$port" "$dst" "minimal $name")
		vx=$(window 0 "$where" "$proto" "$src" "$port" "$dst" "$x $name")
	fi
	echo "$x minimal $name $vx $vy" >>"$tmp/rates"
}

# The floods and the router's work for each packet (veth hands it on in the sender's softirq)
# share one CPU, the last.
cpu=$(($(nproc) - 1))
load 1 minimal
for round in $(seq "$rounds"); do
	for x in "${rulesets[@]}"; do
		[ "$x" = minimal ] && continue
		load 0 "$x"
		for f in "${flows[@]}"; do
			measure "$x" "$round" $f
		done
	done
	echo "round $round done (load $(cut -d' ' -f1 /proc/loadavg))"
done

[ "${RAW:-0}" = 1 ] && cat "$tmp/rates"
python3 - "$tmp/rates" "${rulesets[@]}" <<'PY'
import statistics, sys
rates, ratios, sets = {}, {}, [s for s in sys.argv[2:] if s != "minimal"]
for line in open(sys.argv[1]):
    x, y, name, vx, vy = line.split()
    rates.setdefault(name, {}).setdefault(x, []).append(float(vx))
    rates[name].setdefault(y, []).append(float(vy))
    ratios.setdefault(name, {}).setdefault(x, []).append(float(vx) / float(vy))
print("new flows per second, medians (min-max); each ruleset's ratio to the minimal one "
      "measured beside it, median of the rounds (min-max):")
cols = ["minimal"] + sets
print("%-10s" % "flow" + "".join("%22s" % s for s in cols) +
      "".join("%22s" % (s + "/minimal") for s in sets))
for name, by in rates.items():
    print("%-10s" % name + "".join(
        "%22s" % ("%.0f (%.0f-%.0f)" % (statistics.median(by[s]), min(by[s]), max(by[s])))
        for s in cols) + "".join(
        "%22s" % ("%.3f (%.2f-%.2f)" % (statistics.median(ratios[name][s]),
                                        min(ratios[name][s]), max(ratios[name][s])))
        for s in sets))
PY

if [ "${PERF:-0}" = 1 ]; then
	[ -n "${PERF_OUT:-}" ] && cp "$tmp/perf" "$PERF_OUT"
	# Per ruleset and flow: the share of the flood CPU's time in nftables' evaluation
	# (nft_* and the set back ends), conntrack, NAT, and the rest, summed over the rounds,
	# with the microseconds per packet it makes at the median rate.
	python3 - "$tmp/perf" "$tmp/rates" <<'PY'
import collections, re, statistics, sys
share = collections.defaultdict(lambda: collections.Counter())
syms = collections.defaultdict(lambda: collections.Counter())
for line in open(sys.argv[1]):
    f = line.split()
    key, pct, sym = (f[0], f[1]), float(f[2].rstrip("%")), f[-1]
    cat = ("nftables" if re.match(r"(nft_|__nft_|nf_tables_|pipapo|nft_pipapo|nft_rhash|"
                                  r"nft_hash|jhash|nft_do_chain|nft_bitmap|nft_rbtree)", sym)
           else "conntrack" if re.match(r"(nf_conntrack|__nf_conntrack|nf_ct_|tcp_new|"
                                         r"nf_confirm|__nf_ct|hash_conntrack|ipv4_conntrack)", sym)
           else "nat" if re.match(r"(nf_nat|__nf_nat|nf_xfrm|get_unique_tuple)", sym)
           else "other")
    share[key][cat] += pct
    syms[key][sym] += pct
rates = collections.defaultdict(list)
for line in open(sys.argv[2]):
    x, _, name, v, _ = line.split()
    rates[(x, name)].append(float(v))
print("where the flood CPU's time goes (perf, cpu-clock, all rounds): % of samples and "
      "microseconds per packet")
for key in sorted(share):
    tot = sum(share[key].values())
    us = 1e6 / statistics.median(rates[key])
    print("%-9s %-11s %5.2f us/packet: " % (key[0], key[1], us) + ", ".join(
        "%s %.1f%% (%.2f us)" % (c, 100 * share[key][c] / tot, us * share[key][c] / tot)
        for c in ("nftables", "conntrack", "nat", "other")))
    print("          top nftables symbols: " + ", ".join(
        "%s %.1f%%" % (s, 100 * v / tot) for s, v in syms[key].most_common(40)
        if re.match(r"(nft|__nft|nf_tables|pipapo|jhash)", s))[:300])
    top = int(__import__("os").environ.get("PERF_TOP", "0"))
    if top:
        print("          top symbols: " + ", ".join(
            "%s %.2f us" % (s, us * v / tot) for s, v in syms[key].most_common(top)))
PY
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
