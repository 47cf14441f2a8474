#!/bin/bash
# Golden tests of the ruleset generated for the examples (examples/router.json, pair-a.json,
# pair-b.json): each applied in a network namespace of its own with veths of the
# example's MACs, through the kernel and nftables backends (the hostname and the DHCP, DNS,
# VRRP and IPsec files go to a recording backend), then `nft -j list table inet vrouter`,
# normalized by table-json.py (handles dropped, counters zeroed), compared with
# golden-EXAMPLE.json. A second apply must change nothing.
#
# Usage: nft-golden.sh NFT-DRIVER TESTDIR EXAMPLESDIR
#
# Exit 77 only when namespaces cannot be made (not root) or nft/python3 are missing.
# VROUTER_REGEN=1 rewrites the golden files. VALGRIND=1 runs the driver under valgrind.
set -u
driver=$(realpath "${1:?usage: nft-golden.sh NFT-DRIVER TESTDIR EXAMPLESDIR}")
dir=$(realpath "${2:?usage: nft-golden.sh NFT-DRIVER TESTDIR EXAMPLESDIR}")
examples=$(realpath "${3:?usage: nft-golden.sh NFT-DRIVER TESTDIR EXAMPLESDIR}")

command -v nft >/dev/null && command -v python3 >/dev/null || { echo "skip: needs nft, python3"; exit 77; }
P=vrnftg-$$
. "$(dirname "$0")/../lib/netns.sh"
vr_require_netns $P

tmp=$(mktemp -d)
ns=
cleanup() {
	[ -n "$ns" ] && ip netns del $ns 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

vg=()
[ "${VALGRIND:-}" = 1 ] && vg=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99)

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok: $1"; }
fail() {
	failed=$((failed + 1))
	echo "FAIL: $1"
	[ -s "$tmp/err" ] && sed 's/^/  | /' "$tmp/err"
	[ -s "$tmp/out" ] && sed 's/^/  > /' "$tmp/out"
}

for example in router pair-a pair-b; do
	intent="$examples/$example.json"
	golden="$dir/golden-$example.json"
	ns=$P-$example
	ip netns add $ns && ip -n $ns link set lo up || exit 1
	ip netns exec $ns sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
	# one veth per interface of the example, with its MAC; the other end up, for a carrier
	n=0
	for mac in $(python3 -c 'import json, sys
for i in json.load(open(sys.argv[1]))["interfaces"].values(): print(i["mac"])' "$intent"); do
		ip -n $ns link add x$n address $mac type veth peer name y$n || exit 1
		ip -n $ns link set y$n up
		n=$((n + 1))
	done
	echo '{}' >"$tmp/record.json"
	drv() { ip netns exec $ns "${vg[@]}" "$driver" "$@" --record "$tmp/record.json" --nft-records "$tmp/nft-records-$example"; }
	drv apply "$intent" >"$tmp/out" 2>"$tmp/err"
	if grep -q '^applied [0-9]* nft=1/[0-9]*/[0-9]*/1$' "$tmp/out"; then
		pass "$example: applied, the table in one batch ($(cat "$tmp/out"))"
	else
		fail "$example: applied"
	fi
	drv apply "$intent" >"$tmp/out" 2>"$tmp/err"
	if [ "$(cat "$tmp/out")" = "applied 0 nft=0/0/0/0" ]; then
		pass "$example: a second apply changes nothing"
	else
		fail "$example: a second apply changes nothing"
	fi
	ip netns exec $ns nft -j list table inet vrouter | python3 "$dir/table-json.py" >"$tmp/table.json"
	if [ "${VROUTER_REGEN:-}" = 1 ]; then cp "$tmp/table.json" "$golden"; fi
	: >"$tmp/out"
	if diff -u "$golden" "$tmp/table.json" >"$tmp/err"; then
		pass "$example: nft -j list table matches golden-$example.json"
	else
		fail "$example: nft -j list table matches golden-$example.json"
	fi
	ip netns del $ns
	ns=
done

echo "passed: $passed, failed: $failed"
[ $failed = 0 ]
