#!/bin/bash
# scripts/mkpayload validates the intent it puts in a boot payload, as `vrouterctl check` does:
# an invalid intent is refused with its errors at their pointers and no ISO is written;
# a valid one, or an invalid one with --no-check, gives the ISO.
#
# Usage: tests/payload/mkpayload.sh VROUTERCTL
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
export VROUTERCTL=$1
command -v xorriso >/dev/null || command -v genisoimage >/dev/null ||
	{ echo "skip: neither xorriso nor genisoimage"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
ko() { echo "FAIL $1"; failed=$((failed + 1)); }

mk() { "$top/scripts/mkpayload" "$@" 2>"$tmp/err"; }
mk --intent "$top/tests/invalid/iface-mtu-small.json" -o "$tmp/bad.iso"
rc=$?
[ $rc -eq 1 ] && ok "an invalid intent: exit 1" || ko "an invalid intent: exit $rc"
grep -q '^/interfaces/web/mtu: 67 is out of range (68-65535)$' "$tmp/err" &&
	ok "its error at its pointer" || ko "errors: $(cat "$tmp/err")"
[ ! -e "$tmp/bad.iso" ] && ok "no ISO written" || ko "an ISO was written"
mk --intent "$top/examples/lab.json" -o "$tmp/good.iso"
rc=$?
[ $rc -eq 0 ] && [ -s "$tmp/good.iso" ] && ok "a valid intent: the ISO" ||
	ko "a valid intent: exit $rc, $(cat "$tmp/err")"
mk --intent "$top/tests/invalid/iface-mtu-small.json" --no-check -o "$tmp/forced.iso"
rc=$?
[ $rc -eq 0 ] && [ -s "$tmp/forced.iso" ] && ok "--no-check: the ISO with the invalid intent" ||
	ko "--no-check: exit $rc, $(cat "$tmp/err")"
printf '{"version": 1,' >"$tmp/cut.json"
mk --intent "$tmp/cut.json" -o "$tmp/cut.iso"
rc=$?
[ $rc -eq 1 ] && [ ! -e "$tmp/cut.iso" ] && ok "a cut JSON document refused" || ko "cut JSON: exit $rc"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
