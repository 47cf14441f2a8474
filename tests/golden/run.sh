#!/bin/bash
# Golden plan tests: run.sh VROUTERCTL DIR
#
# Each case is a directory DIR/<case>/ with
#   intent.json    the intent
#   observed.json  the observed state, in the recording backend's format
#   base.json      (optional) an intent planned first against observed.json; the case then
#                  plans intent.json against the state that plan leaves (one-field changes
#                  stay one operation whatever the service renderers write)
#   expected.ops   the operations `vrouterctl plan` prints (exit 0), or
#   expected.err   its errors (exit 2: no plan against this state)
#
# Every case that plans is also checked for idempotence: planning intent.json again against
# the state its plan leaves (--write-state) gives no operation. A case named change-* (one
# field changed from base.json) must plan exactly one operation.
#
# VROUTER_REGEN=1 rewrites expected.ops / expected.err from the current output.
set -u
ctl=$(realpath "$1")
dir=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

failed() {
	echo "FAIL $1: $2"
	fail=$((fail + 1))
}

for case in "$dir"/*/; do
	case=${case%/}
	name=${case##*/}
	[ -f "$case/intent.json" ] || continue
	# Plans run in the case's directory: messages name its files relatively.
	observed=observed.json
	if [ -f "$case/base.json" ]; then
		if ! (cd "$case" && "$ctl" plan base.json --observed observed.json \
			--write-state "$tmp/base-state.json") >/dev/null 2>"$tmp/err"; then
			failed "$name" "base.json does not plan: $(cat "$tmp/err")"
			continue
		fi
		observed=$tmp/base-state.json
	fi
	(cd "$case" && "$ctl" plan intent.json --observed "$observed" \
		--write-state "$tmp/state.json") >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ -f "$case/expected.err" ]; then
		want=2 expected=$case/expected.err actual=$tmp/err
	else
		want=0 expected=$case/expected.ops actual=$tmp/out
	fi
	if [ "${VROUTER_REGEN:-}" = 1 ] && [ $rc -eq $want ]; then
		cp "$actual" "$expected"
	fi
	if [ $rc -ne $want ]; then
		failed "$name" "exit $rc, expected $want"
		sed 's/^/    /' "$tmp/err"
		continue
	fi
	if ! diff -u "$expected" "$actual" >"$tmp/diff"; then
		failed "$name" "output differs"
		sed 's/^/    /' "$tmp/diff"
		continue
	fi
	if [ $want -eq 0 ] && [ "${name#change-}" != "$name" ] && [ "$(wc -l <"$actual")" -ne 1 ]; then
		failed "$name" "a one-field change must plan exactly one operation"
		continue
	fi
	if [ $want -eq 0 ]; then
		(cd "$case" && "$ctl" plan intent.json --observed "$tmp/state.json") \
			>"$tmp/again" 2>"$tmp/err"
		rc=$?
		if [ $rc -ne 0 ] || [ -s "$tmp/again" ]; then
			failed "$name" "not idempotent: a second plan (exit $rc) does"
			sed 's/^/    /' "$tmp/again" "$tmp/err"
			continue
		fi
	fi
	pass=$((pass + 1))
done
[ $pass -ge 1 ] || { echo "no test case in $dir"; exit 1; }
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
