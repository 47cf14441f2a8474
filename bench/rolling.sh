#!/bin/bash
# Rolling replacement of router VMs under QEMU (issue 20): ROUNDS rounds, each two runs in turn
# with the same lab, traffic and images (tests/image/lab.sh):
#   planned  a master from the older image is replaced by a VM from the newer one with
#            scripts/rolling-replace (join, ready, handover, the old one destroyed);
#   hard     the same without the planned handover: the new VM joins and is ready, then the
#            old master is destroyed and the new one takes over when it stops hearing it
#            (keepalived's master-down interval: what an orchestrator gets by deleting the old
#            VM).
# Prints one line per run (the new VM ready after, the UDP probe's longest gap, probes lost,
# the TCP chat and download intact) and the planned runs' goals: TCP intact, longest gap under
# 1 s, under 1 % of the probes lost, in every round.
#
# Usage: bench/rolling.sh [-n ROUNDS (default 5)] [--accel tcg|kvm] OLD_IMAGE NEW_IMAGE
# Needs root; the lab's namespaces are its own. KVM only where it boots Linux guests.
set -uo pipefail
cd "$(dirname "$0")/.."
top=$PWD
rounds=5
export VMLAB_ACCEL=tcg
while [ $# -gt 2 ]; do
	case $1 in
	-n) rounds=${2:?}; shift 2 ;;
	--accel) VMLAB_ACCEL=${2:?}; shift 2 ;;
	*) break ;;
	esac
done
[ $# -eq 2 ] || { sed -n '14,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 64; }
img_old=$(realpath "$1") img_new=$(realpath "$2")
[ "$(id -u)" -eq 0 ] || { echo "bench/rolling.sh: needs root (namespaces)" >&2; exit 77; }
export VROUTERCTL=${VROUTERCTL:-$top/build/agent/cli/vrouterctl}
tmp=$(mktemp -d)
chmod 755 "$tmp"
. tests/image/lab.sh
trap 'lab_cleanup; rm -rf "$tmp"' EXIT
lab_setup || exit 1

echo "machine: $(nproc) CPUs, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1); load $(cut -d' ' -f1-3 /proc/loadavg); accel $VMLAB_ACCEL"
echo "images: $(basename "$img_old") -> $(basename "$img_new"); adverts 100 ms; traffic: UDP 1 kHz echoed, TCP chat every 10 ms, download, through SNAT"
printf '%-8s %5s %9s %12s %12s %8s %8s\n' run round ready_s gap_ms lost chat download
vm=16
result() { # KIND ROUND READY_S
	python3 - "$tmp/run.json" "$@" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
u = d["udp"]
ok = lambda s: "intact" if d[s]["intact"] else "BROKEN"
pct = 100.0 * u["lost"] / max(1, u["sent"])
print(f"{sys.argv[2]:<8} {sys.argv[3]:>5} {sys.argv[4]:>9} {u['longest_gap_ms']:>12} "
      f"{u['lost']:>5} ({pct:.2f} %) {ok('chat'):>8} {ok('download'):>8}")
good = d["chat"]["intact"] and d["download"]["intact"] and u["longest_gap_ms"] < 1000 and pct < 1
open(sys.argv[1] + ".ok", "w").write("1" if good else "0")
PY
}
met=0
for round in $(seq "$rounds"); do
	for kind in planned hard; do
		old=o$vm new=n$vm
		lab_intent "$tmp/$old.json" "$vm"
		lab_slot "$tmp/slot.json" $((vm + 1)) 2 100
		lab_derive "$tmp/$old.json" "$tmp/slot.json" "$tmp/$new.json"
		vmlab_boot "$old" "$img_old" "$tmp/$old.json"
		if ! wait_vrrp "$old" '^master .* True ' 240; then
			echo "$kind $round: the old VM did not become master" >&2
			lab_cleanup
			exit 1
		fi
		traffic_start
		t0=$(date +%s.%N)
		if [ "$kind" = planned ]; then
			"$top/scripts/rolling-replace" "$VMLAB" "$old" "$new" "$img_new" "$tmp/$new.json" \
				>"$tmp/rr.out" 2>&1 || { echo "$kind $round: rolling-replace failed:"; cat "$tmp/rr.out"; }
			ready=$(awk '/ready: / && match($0, /[0-9]+\.[0-9]+/) { print substr($0, RSTART, RLENGTH); exit }' "$tmp/rr.out")
		else
			vmlab_boot "$new" "$img_new" "$tmp/$new.json"
			wait_vrrp "$new" '^backup ready ' 240 && wait_vrrp "$old" '^master ready ' 10 ||
				echo "$kind $round: the new VM was not ready"
			ready=$(python3 -c "import time; print(f'{time.time() - $t0:.1f}')")
			vmlab_destroy "$old"
			wait_vrrp "$new" '^master .* True ' 20 || echo "$kind $round: the new VM did not take over"
		fi
		sleep 2
		traffic_stop run >/dev/null
		result "$kind" "$round" "${ready:-?}"
		[ "$kind" = planned ] && [ "$(cat "$tmp/run.json.ok")" = 1 ] && met=$((met + 1))
		vmlab_destroy "$old"
		vmlab_destroy "$new"
		vm=$((vm + 2))
	done
done
echo "planned replacement: TCP intact, longest gap under 1 s and under 1 % lost in $met of $rounds rounds"
