#!/bin/bash
# Garbage in: every document here must be refused with exit 1 and a message on stderr, without
# a crash or a hang, within TIME_LIMIT seconds (1 s for a plain build; sanitizer builds are
# given more).
set -u
ctl=$1 valid=$2
limit=${TIME_LIMIT:-1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

expect_refused() { # NAME FILE
	local start end ms rc err
	start=$(date +%s%N)
	timeout 60 "$ctl" check "$2" >/dev/null 2>"$tmp/err"
	rc=$?
	end=$(date +%s%N)
	ms=$(((end - start) / 1000000))
	err=$(head -c 300 "$tmp/err")
	if [ $rc -ne 1 ]; then
		echo "FAIL $1: exit $rc (expected 1): $err"
		fail=$((fail + 1))
	elif [ ! -s "$tmp/err" ]; then
		echo "FAIL $1: no message"
		fail=$((fail + 1))
	elif [ $ms -gt $((limit * 1000)) ]; then
		echo "FAIL $1: took $ms ms (limit ${limit} s)"
		fail=$((fail + 1))
	else
		echo "ok $1 ($ms ms): $(head -n 1 "$tmp/err" | cut -c1-100)"
		pass=$((pass + 1))
	fi
}

for seed in 1 2 3 4 5; do
	perl -e "srand($seed); print map { chr(int(rand(256))) } 1..65536" >"$tmp/random"
	expect_refused "random bytes (seed $seed)" "$tmp/random"
done
perl -e 'srand(9); print "{", map { chr(32 + int(rand(95))) } 1..4096' >"$tmp/printable"
expect_refused "random printable text" "$tmp/printable"
: >"$tmp/empty"
expect_refused "empty document" "$tmp/empty"

for f in "$valid"/*.json; do
	size=$(stat -c %s "$f")
	for cut in 1 7 $((size / 3)) $((size / 2)) $((size - 2)); do
		head -c "$cut" "$f" >"$tmp/trunc"
		expect_refused "$(basename "$f") truncated at $cut" "$tmp/trunc"
	done
	break
done

perl -e 'print "[" x 100000, "]" x 100000' >"$tmp/deep-array"
expect_refused "arrays nested 100,000 deep" "$tmp/deep-array"
perl -e 'print "{\"a\":" x 100000, "1", "}" x 100000' >"$tmp/deep-object"
expect_refused "objects nested 100,000 deep" "$tmp/deep-object"
perl -e 'print "{\"version\":1,\"generation\":1,\"interfaces\":{},\"x\":\"", "a" x (20 << 20), "\"}"' \
	>"$tmp/big"
expect_refused "20 MB document" "$tmp/big"
perl -e 'print "{\"version\":1,\"generation\":1,\"interfaces\":{},\"r\":[", join(",", ("1") x 5000000), "]}"' \
	>"$tmp/wide"
expect_refused "10 MB array of 5 million numbers" "$tmp/wide"
printf '{"version":1,"version":1,"generation":1,"interfaces":{}}' >"$tmp/dup"
expect_refused "duplicate keys" "$tmp/dup"
printf '{"version":1,"generation":1,"hostname":"a\0b","interfaces":{}}' >"$tmp/nul"
expect_refused "raw NUL byte in a string" "$tmp/nul"
printf '{"version":1,"generation":1,"hostname":"a\\u0000b","interfaces":{}}' >"$tmp/nul-escape"
expect_refused "escaped NUL in a string" "$tmp/nul-escape"
printf '{"version":1,"generation":1,"hostname":"a\xff\xfeb","interfaces":{}}' >"$tmp/utf8"
expect_refused "invalid UTF-8" "$tmp/utf8"
printf '{"version":1,"generation":1,"hostname":"\xed\xa0\x80","interfaces":{}}' >"$tmp/surrogate"
expect_refused "UTF-8 encoded surrogate" "$tmp/surrogate"
printf '{"version":1,"generation":1e400,"interfaces":{}}' >"$tmp/huge-real"
expect_refused "number 1e400" "$tmp/huge-real"
printf '{"version":1,"generation":18446744073709551616,"interfaces":{}}' >"$tmp/2p64"
expect_refused "number 2^64" "$tmp/2p64"
printf '{"version":1,"generation":-1,"interfaces":{}}' >"$tmp/neg"
expect_refused "negative generation" "$tmp/neg"
printf '{"version":1,"generation":1,"interfaces":{}} {}' >"$tmp/trailing"
expect_refused "trailing document" "$tmp/trailing"
printf '[1,2,3]' >"$tmp/array"
expect_refused "an array at the top" "$tmp/array"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
