# shellcheck shell=bash
# Sourced by baseline.sh and agent.sh, after topo.sh and before services.sh: one traffic run per
# event and its line (and the services' probes of services.sh, once svc_far has run).
# The caller sets tmp (its scratch directory), outdir (empty: none) and here (tests/ha), and
# defines ha_diag, which prints what helps after a failure (logs, transitions) on stdout.
#
#   traffic_start EVENT       a traffic.py client in client (its JSON: $tmp/EVENT.json), 2 s of
#                             traffic checked before the event; several events may overlap
#   traffic_stop EVENT T-EVENT-NS TAKEOVER-MS [SECONDS]
#                             SECONDS (3) later: the client stopped, its line printed
#   wait_for SECONDS WHAT CMD...  until CMD succeeds, or die
#   holds_vips r1|r2          the router holds both virtual addresses (on lan and wan)
#
# An event's line: the takeover (from the event to the new master holding both virtual
# addresses, polled every 50 ms: a bound, not the measure), the UDP probe's longest gap and
# its losses, and each TCP stream intact or when (ms after the event) it broke.

die() {
	echo "error: $*" >&2
	ha_diag >&2
	exit 1
}

wait_for() { # SECONDS DESCRIPTION CMD...
	local t=$1 what=$2 _
	shift 2
	for _ in $(seq $((t * 20))); do
		"$@" && return 0
		sleep 0.05
	done
	die "not within $t s: $what"
}

holds_vips() { # r1|r2
	ha_in "$1" ip -4 -o addr show dev lan | grep -q ' 10\.1\.1\.1/' &&
		ha_in "$1" ip -4 -o addr show dev wan | grep -q ' 203\.0\.113\.10/'
}
both_vips_on() { holds_vips "$1" && ! holds_vips "$2"; }
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

declare -A ha_client # EVENT -> the PID of its traffic client
traffic_start() { # EVENT
	ha_bg client python3 "$here/traffic.py" client --server 203.0.113.100 >"$tmp/$1.json" 2>"$tmp/$1.err"
	ha_client[$1]=$ha_bg_pid
	sleep 2
	# The flows must run before the event, or the event measures nothing.
	ha_in client ping -c1 -W1 -q 203.0.113.100 >/dev/null || die "$1: no traffic before the event"
	svc_start "$1"
}

traffic_stop() { # EVENT T-EVENT-NS TAKEOVER-MS [SECONDS]
	local p=${ha_client[$1]}
	sleep "${4:-3}"
	kill -TERM "$p"
	wait "$p"
	ha_forget "$p"
	[ -s "$tmp/$1.json" ] || die "$1: no summary ($(cat "$tmp/$1.err"))"
	svc_stop "$1" "$2" >"$tmp/$1.svc"
	[ -n "$outdir" ] && mkdir -p "$outdir" && cp "$tmp/$1".[a-z]* "$outdir/"
	report "$1" "$2" "$3" "$tmp/$1.json"
	cat "$tmp/$1.svc"
}

report() { # EVENT T-EVENT-NS TAKEOVER-MS FILE
	python3 - "$@" <<'PY'
import json, sys
ev, t_ev, takeover, f = sys.argv[1], int(sys.argv[2]) / 1e9, sys.argv[3], sys.argv[4]
d = json.load(open(f))
u = d["udp"]
def tcp(name):
    s = d[name]
    if s["intact"]:
        return "%s intact (stall %s ms)" % (name, s["longest_stall_ms"])
    if s["error"]:
        at = (d["start_epoch"] + s["error_at_s"] - t_ev) * 1000
        return "%s BROKEN (%s at %+.0f ms, stall %s ms)" % (name, s["error"], at, s["longest_stall_ms"])
    return "%s BROKEN (stalled to the end, stall %s ms)" % (name, s["longest_stall_ms"])
print("%-14s takeover %5s ms | udp gap %6s ms, lost %4d/%d | %s | %s" % (
    ev, takeover, u["longest_gap_ms"], u["lost"], u["sent"], tcp("chat"), tcp("download")))
PY
}
