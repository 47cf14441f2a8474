#!/bin/bash
# The README's main command as a test: scripts/lab up (vrouterd applies examples/lab.json to a
# router in namespaces; guests reach each other and the upstream host), then scripts/lab down,
# which must leave no namespace behind. Usage: run.sh BUILD_DIR SOURCE_DIR
set -u
build=$(realpath "$1")
cd "$2"
if ! ip netns add vrlab-probe-$$ 2>/dev/null; then
	echo "skip: cannot make network namespaces (needs root)"
	exit 77
fi
ip netns del vrlab-probe-$$
VROUTER_BUILD=$build scripts/lab up
rc=$?
[ $rc -eq 0 ] || cat out/lab/vrouterd.log 2>/dev/null
pids="$(cat out/lab/vrouterd.pid out/lab/http.pid 2>/dev/null)"
if ! ps -o comm= -p "$(head -n1 out/lab/vrouterd.pid)" | grep -q vrouterd; then
	echo "FAIL the recorded PID is not vrouterd's"
	rc=1
fi
scripts/lab down
for pid in $pids; do
	if kill -0 "$pid" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$pid/status"; then
		echo "FAIL scripts/lab down left process $pid running"
		rc=1
	fi
done
if ip netns list | grep -q '^vrlab-'; then
	echo "FAIL scripts/lab down left namespaces: $(ip netns list | grep '^vrlab-')"
	exit 1
fi
exit $rc
