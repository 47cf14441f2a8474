#!/bin/bash
# The fuzzers see the code they test: each harness of a fuzzing build (-Dfuzzing=true, clang)
# runs once over its corpus (-runs=0), and the coverage libFuzzer reports ("cov:", edges
# reached) must reach the floor below. A build whose libraries lack the fuzzer's
# instrumentation reaches only the harness itself (an intent fuzzer at 78 edges instead of
# about 8,000) and fails here.
#
# Usage: fuzz/coverage.sh BUILD_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: fuzz/coverage.sh BUILD_DIR}
# Floors: about half of what the corpora reach today, so that compilers may differ.
declare -A floor=([intent]=4000 [observed]=800 [netlink]=120 [request]=500 [storemigrate]=70 [seal]=150 [vrrp]=100 [wgshow]=60 [wgdelta]=250 [vicimsg]=200)
failed=0
for name in intent observed netlink request storemigrate seal vrrp wgshow wgdelta vicimsg; do
	out=$("$build/fuzz/fuzz-$name" -runs=0 "$here/corpus/$name" 2>&1) || {
		echo "FAIL fuzz-$name did not run:"
		echo "$out" | tail -20
		failed=1
		continue
	}
	cov=$(echo "$out" | grep -E '(INITED|DONE) ' | tail -n 1 | sed -n 's/.* cov: \([0-9]*\) .*/\1/p')
	if [ -n "$cov" ] && [ "$cov" -ge "${floor[$name]}" ]; then
		echo "ok   fuzz-$name: coverage $cov edges over its corpus (floor ${floor[$name]})"
	else
		echo "FAIL fuzz-$name: coverage '${cov}' edges over its corpus, below ${floor[$name]}"
		echo "$out" | tail -5
		failed=1
	fi
done
exit $failed
