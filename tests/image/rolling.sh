#!/bin/bash
# Rolling replacement of router VMs under QEMU (TCG), driven only over the VMs' serial ports
# (issue 20; docs/operators.md, "Replacing a router"). Two images built from this tree with
# different versions; VMs on bridges in a namespace (scripts/lib/vmlab.sh), a client behind
# the LAN virtual address and a server behind the WAN one, source NAT to the WAN virtual
# address. During each scenario: a UDP probe at 1 kHz echoed, a TCP chat both ends write
# every 10 ms, a TCP download (tests/ha/traffic.py); each reports its probes lost, its longest
# gap and whether each TCP stream stayed intact.
#
#   a (old image) boots alone: master.
#   abort: x (new image) whose sync peer is wrong never gets ready: scripts/rolling-replace
#          destroys it and exits 1; a stays master, nothing lost.
#   master: a is replaced by b (new image) with scripts/rolling-replace: b joins (nothing lost
#          at the join), both versions in status, handover, a destroyed. Goals: TCP intact,
#          longest gap under 1 s, under 1 % of the probes lost.
#   backup: c (new image) joins b as backup (nothing lost); then c, the backup, is replaced by
#          d: nothing lost.
#
# Usage: tests/image/rolling.sh OLD_IMAGE NEW_IMAGE
# Exit 77 (skip, with the reason) without root, /dev/net/tun or tools.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
[ $# -eq 2 ] || { echo "usage: tests/image/rolling.sh OLD_IMAGE NEW_IMAGE" >&2; exit 64; }
img_old=$(realpath "$1") img_new=$(realpath "$2")
for i in "$img_old" "$img_new"; do
	[ -f "$i" ] || { echo "skip: no image $i (scripts/build-image builds it)"; exit 77; }
done
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root (network namespaces)"; exit 77; }
[ -c /dev/net/tun ] || { echo "skip: no /dev/net/tun (the VM's NICs are taps)"; exit 77; }
for t in qemu-system-x86_64 qemu-img xorriso python3; do
	command -v "$t" >/dev/null || { echo "skip: $t missing"; exit 77; }
done
export VROUTERCTL=${VROUTERCTL:-$top/build/agent/cli/vrouterctl}
[ -x "$VROUTERCTL" ] || { echo "skip: no $VROUTERCTL (meson setup build && ninja -C build)"; exit 77; }

tmp=$(mktemp -d)
chmod 755 "$tmp"
. "$here/lab.sh"
trap 'lab_cleanup; rm -rf "$tmp"' EXIT

passed=0 failed=0
check() { # NAME COMMAND...
	local name=$1
	shift
	if "$@" >"$tmp/check.out" 2>&1; then
		echo "ok   $name"
		passed=$((passed + 1))
	else
		echo "FAIL $name"
		sed 's/^/     /' "$tmp/check.out"
		failed=$((failed + 1))
	fi
}
equal() { [ "$1" = "$2" ]; }
gone() { [ ! -e "$VMLAB/$1/pid" ]; }

lab_setup || { echo "FAIL the lab's namespaces"; exit 1; }
# a: slot 1; x and b: slot 2 (x's sync peer wrong); c and d: slot 1 again, joining b.
lab_intent "$tmp/a.json" a && lab_slot "$tmp/slot-x.json" 9 2 100 &&
	lab_slot "$tmp/slot-b.json" b 2 100 && lab_slot "$tmp/slot-c.json" c 1 50 &&
	lab_slot "$tmp/slot-d.json" d 1 50 &&
	lab_derive "$tmp/a.json" "$tmp/slot-x.json" "$tmp/x.json" &&
	lab_derive "$tmp/a.json" "$tmp/slot-b.json" "$tmp/b.json" &&
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["vrrp"]["sync"]["peer"]="169.254.0.9"; json.dump(d,open(sys.argv[1],"w"))' "$tmp/x.json" ||
	{ echo "FAIL the intents could not be made"; exit 1; }
v_old=$(basename "$img_old" .qcow2) v_new=$(basename "$img_new" .qcow2)
v_old=${v_old#vrouter-} v_new=${v_new#vrouter-}

echo "== a ($v_old) boots alone"
vmlab_boot a "$img_old" "$tmp/a.json"
check "a becomes master with its virtual addresses" wait_vrrp a '^master .* True ' 240
check "a's status names its image ($v_old)" vrrp_is a " $v_old\$"

echo "== abort: x ($v_new) with a wrong sync peer never gets ready"
traffic_start
rr --ready-timeout 90 "$VMLAB" a x "$img_new" "$tmp/x.json"
rc=$?
traffic_stop abort
check "rolling-replace gives up (exit 1)" test "$rc" = 1
check "it says x was not ready, and why" grep -q "x was not ready within 90 s.*not_heard" "$tmp/rr.out"
check "x is destroyed" gone x
check "a is still master with its virtual addresses" vrrp_is a '^master .* True '
check "abort: nothing lost, TCP intact" traffic_ok abort 0 200
check "x sent no advert: it never acted as master" adverts_from abort 10.1.1.3 never

echo "== master: a ($v_old) replaced by b ($v_new)"
traffic_start
t_rr=$(date +%s.%N)
rr "$VMLAB" a b "$img_new" "$tmp/b.json"
rc=$?
traffic_stop master
check "rolling-replace replaces the master (exit 0)" test "$rc" = 0
check "both versions in status during the replacement (b $v_new, a $v_old)" \
	grep -q "ready: b backup, image $v_new; a master, image $v_old" "$tmp/rr.out"
t3=$(step_epoch "$tmp/rr.out" "$t_rr" 3)
check "rolling-replace printed the handover's time ($t3)" test -n "$t3"
check "nothing lost while b joined (before the handover)" equal "$(lost_before master "${t3:-0}")" 0
check "b sent no advert before the handover: it never acted as master while joining" \
	adverts_from master 10.1.1.3 "${t3:-0}"
check "b is master with its virtual addresses, image $v_new" vrrp_is b "^master .* True $v_new\$"
check "a is destroyed" gone a
check "master replacement: TCP intact, longest gap under 1 s, under 1 % lost" \
	traffic_ok master 1 1000

echo "== backup: c joins b, then c is replaced by d"
lab_derive "$tmp/b.json" "$tmp/slot-c.json" "$tmp/c.json" &&
	lab_derive "$tmp/b.json" "$tmp/slot-d.json" "$tmp/d.json"
traffic_start
vmlab_boot c "$img_new" "$tmp/c.json"
check "c joins as backup, ready" wait_vrrp c '^backup ready ' 240
check "b is still master" vrrp_is b '^master .* True '
rr "$VMLAB" c d "$img_new" "$tmp/d.json"
rc=$?
traffic_stop backup
check "rolling-replace replaces the backup (exit 0)" test "$rc" = 0
check "it waited for d and the master b to be ready" \
	grep -q "ready: d backup, image $v_new; b master, image $v_new" "$tmp/rr.out"
check "d is backup, ready" vrrp_is d '^backup ready '
check "c is destroyed" gone c
check "b is still master" vrrp_is b '^master .* True '
check "join and backup replacement: nothing lost, TCP intact" traffic_ok backup 0 200
check "c and d sent no advert: neither acted as master" adverts_from backup 10.1.1.2 never
check "b, the master, sent adverts throughout" adverts_from backup 10.1.1.3 0

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
