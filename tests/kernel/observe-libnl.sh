#!/bin/bash
# Observe with the hand-written parsers against observe with libnl-route-3's (the two
# kernel-driver builds), interleaved, in a network namespace made here with the apply
# benchmark's router: 4 veth NICs, 200 addresses, 2,000 routes (bench/gen-apply.py).
#
# Usage: observe-libnl.sh KERNEL-DRIVER KERNEL-DRIVER-LIBNL [ROUNDS]
# Each round runs both drivers (ABBA order), 5 observes each; prints every round's medians
# and the median of the rounds. Needs root; the namespace disappears with the script.
set -eu
a=$(realpath "$1")
b=$(realpath "$2")
rounds=${3:-10}
here=$(cd "$(dirname "$0")" && pwd)

. "$here/../lib/netns.sh"
vr_own_namespaces VRTEST_OBSERVE_NS "$0" "$@"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$here/../../bench/gen-apply.py" --ip-batch >"$tmp/batch"
ip link set lo up
python3 "$here/../../bench/gen-apply.py" --nics | while read -r nic mac; do
	ip link add "$nic" address "$mac" type veth peer name "p-$nic"
	ip link set "p-$nic" up
done
ip -batch "$tmp/batch"
echo "namespace: $(ip -o addr show scope global | wc -l) addresses," \
	"$(ip route show | wc -l) IPv4 and $(ip -6 route show | wc -l) IPv6 routes in main"
"$a" observe >"$tmp/a.json"
"$b" observe >"$tmp/b.json"
cmp -s "$tmp/a.json" "$tmp/b.json" || { echo "the two observe differently" >&2; exit 1; }
for i in $(seq "$rounds"); do
	if [ $((i % 2)) = 1 ]; then
		x=$("$a" observe --time 5); y=$("$b" observe --time 5)
	else
		y=$("$b" observe --time 5); x=$("$a" observe --time 5)
	fi
	echo "$x $y" | tee -a "$tmp/ms"
done
python3 - "$tmp/ms" <<'PY'
import statistics, sys
rows = [tuple(map(float, l.split())) for l in open(sys.argv[1])]
a = statistics.median(r[0] for r in rows)
b = statistics.median(r[1] for r in rows)
print("median of %d rounds: hand-written %.2f ms, libnl %.2f ms (%.2f x)" % (len(rows), a, b, b / a))
PY
