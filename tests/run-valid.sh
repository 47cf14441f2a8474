#!/bin/bash
# Every intent in the given directories must be accepted (exit 0). A directory that does not
# exist is an error.
set -u
ctl=$1
shift
pass=0 fail=0
for dir in "$@"; do
	if [ ! -d "$dir" ]; then
		echo "FAIL: no directory $dir"
		fail=$((fail + 1))
		continue
	fi
	for json in "$dir"/*.json; do
		if out=$("$ctl" check "$json" 2>&1 >/dev/null); then
			pass=$((pass + 1))
		else
			echo "FAIL $json:"
			printf '%s\n' "$out" | sed 's/^/    /'
			fail=$((fail + 1))
		fi
	done
done
[ $pass -ge 1 ] || { echo "no test case"; exit 1; }
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
