#!/bin/bash
# scripts/derive-intent: the replacement's intent derived from the old router's and its own
# slot is examples/pair-b.json (with preempt false, and valid as vrouterctl check says); an old
# intent without sync and a slot that does not fit are refused with the reason.
# Usage: derive.sh VROUTERCTL
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
ctl=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
check() { # NAME COMMAND...
	local name=$1
	shift
	if "$@" >"$tmp/out" 2>&1; then
		echo "ok   $name"
		passed=$((passed + 1))
	else
		echo "FAIL $name"
		sed 's/^/     /' "$tmp/out"
		failed=$((failed + 1))
	fi
}
derive() { "$top/scripts/derive-intent" "$@"; }

check "pair-a + slots/pair-b derive" sh -c \
	'"$1" "$2/examples/pair-a.json" "$2/examples/slots/pair-b.json" >"$3/b.json"' sh \
	"$top/scripts/derive-intent" "$top" "$tmp"
check "the derived intent is examples/pair-b.json with preempt false" python3 -c '
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert a["vrrp"].pop("preempt") is False, a["vrrp"]
assert a == b, (a, b)' "$tmp/b.json" "$top/examples/pair-b.json"
check "the derived intent is valid" "$ctl" check "$tmp/b.json"

python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); del d["vrrp"]["sync"]; json.dump(d,open(sys.argv[2],"w"))' \
	"$top/examples/pair-a.json" "$tmp/nosync.json"
check "an old intent without sync is refused" sh -c \
	'"$1" "$2" "$3" 2>&1 | grep -q "no /vrrp/sync"' sh \
	"$top/scripts/derive-intent" "$tmp/nosync.json" "$top/examples/slots/pair-b.json"
check "an old intent without sync exits 1" sh -c '"$@"; test $? = 1' sh \
	"$top/scripts/derive-intent" "$tmp/nosync.json" "$top/examples/slots/pair-b.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["priority"]=150; json.dump(d,open(sys.argv[2],"w"))' \
	"$top/examples/slots/pair-b.json" "$tmp/prio.json"
check "a slot whose priority is not below the old router's is refused" sh -c \
	'"$1" "$2" "$3" 2>&1 | grep -q "/priority must be an integer from 1 to 149"' sh \
	"$top/scripts/derive-intent" "$top/examples/pair-a.json" "$tmp/prio.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); del d["interfaces"]["web"]; json.dump(d,open(sys.argv[2],"w"))' \
	"$top/examples/slots/pair-b.json" "$tmp/noweb.json"
check "a slot missing an interface is refused" sh -c \
	'"$1" "$2" "$3" 2>&1 | grep -q "/interfaces must name"' sh \
	"$top/scripts/derive-intent" "$top/examples/pair-a.json" "$tmp/noweb.json"

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
