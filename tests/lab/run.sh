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
scripts/lab down
if ip netns list | grep -q '^vrlab-'; then
	echo "FAIL scripts/lab down left namespaces: $(ip netns list | grep '^vrlab-')"
	exit 1
fi
exit $rc
