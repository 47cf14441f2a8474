#!/bin/bash
# The link counters `status` shows (IFLA_STATS64 through the kernel backend) against
# `ip -s link`, after known traffic over a veth whose other end is in a namespace of its own.
# Usage: kernel-counters.sh KERNEL-DRIVER. Runs in a network namespace it makes (unshare).
set -u
driver=$(realpath "${1:?usage: kernel-counters.sh KERNEL-DRIVER}")
if [ -z "${VRTEST_COUNTERS_NS:-}" ]; then
	unshare --net true 2>/dev/null || { echo "skip: cannot make network namespaces"; exit 77; }
	exec unshare --net -- env VRTEST_COUNTERS_NS=1 bash "$0" "$driver"
fi
[ "$(readlink /proc/self/ns/net)" != "$(readlink /proc/1/ns/net)" ] || exit 99
unshare --net sleep 60 &
wire=$!
trap 'kill $wire' EXIT
sleep 0.2
ip link add c0 type veth peer name c1
ip link set c1 netns $wire
sysctl -qw net.ipv6.conf.c0.disable_ipv6=1
nsenter --net=/proc/$wire/ns/net sh -c \
	'sysctl -qw net.ipv6.conf.c1.disable_ipv6=1; ip addr add 10.77.0.2/24 dev c1; ip link set c1 up'
ip addr add 10.77.0.1/24 dev c0
ip link set c0 up
ping -c 5 -i 0.2 -W 2 10.77.0.2 >/dev/null
pass=0 fail=0
ours=$("$driver" counters | awk '$1 == "c0" { print $2, $3, $4, $5 }')
theirs=$(ip -j -s link show dev c0 | python3 -c '
import json, sys
s = json.load(sys.stdin)[0]["stats64"]
print(s["rx"]["packets"], s["rx"]["bytes"], s["tx"]["packets"], s["tx"]["bytes"])')
if [ -n "$ours" ] && [ "$ours" = "$theirs" ]; then
	pass=$((pass + 1)); echo "ok   counters of c0 as ip -s link shows them: $ours"
else
	fail=$((fail + 1)); echo "FAIL counters of c0: ours '$ours', ip -s link '$theirs'"
fi
if [ "$(echo "$ours" | awk '{ print ($3 >= 5) }')" = 1 ]; then
	pass=$((pass + 1)); echo "ok   five echo requests sent are counted"
else
	fail=$((fail + 1)); echo "FAIL fewer than 5 packets sent: $ours"
fi
if ! "$driver" counters | grep -q '^lo '; then
	pass=$((pass + 1)); echo "ok   no loopback"
else
	fail=$((fail + 1)); echo "FAIL the loopback is listed"
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
