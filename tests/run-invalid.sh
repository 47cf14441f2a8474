#!/bin/bash
# Every invalid intent in DIR must exit 1 with exactly the errors in its .err file.
# VROUTER_REGEN=1 rewrites the .err files from the current output (review the diff!).
set -u
ctl=$1 dir=$2
pass=0 fail=0
for json in "$dir"/*.json; do
	name=${json%.json}
	out=$("$ctl" check "$json" 2>&1 >/dev/null)
	rc=$?
	if [ "${VROUTER_REGEN:-}" = 1 ]; then
		printf '%s\n' "$out" >"$name.err"
	fi
	if [ $rc -ne 1 ]; then
		echo "FAIL $(basename "$json"): exit $rc, expected 1"
		fail=$((fail + 1))
	elif [ ! -f "$name.err" ]; then
		echo "FAIL $(basename "$json"): no $(basename "$name").err"
		fail=$((fail + 1))
	elif ! diff -u "$name.err" <(printf '%s\n' "$out") >/dev/null; then
		echo "FAIL $(basename "$json"): errors differ"
		diff -u "$name.err" <(printf '%s\n' "$out") | sed 's/^/    /'
		fail=$((fail + 1))
	else
		pass=$((pass + 1))
	fi
done
[ $pass -ge 1 ] || { echo "no test case in $dir"; exit 1; }
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
