#!/bin/bash
# VM tests of the built image: boots it twice under QEMU (TCG) in network namespaces made by
# scripts/run-vm, drives the serial console (console.py) and SSH inside the namespace.
#
#   boot 1: payload with keys only, intent on the kernel command line, no password hash:
#           the console says login is disabled and offers no prompt; the intent arrives.
#   boot 2: from the disk's own boot loader, payload with intent, keys and a password hash:
#           console login works (and refuses a wrong password); SSH with the payload's key
#           works, with a password it is refused; the payload's files are in place.
#
# Usage: tests/image/run.sh IMAGE      (exit 77 when IMAGE does not exist)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

[ $# -eq 1 ] || { echo "usage: tests/image/run.sh IMAGE" >&2; exit 64; }
image=$1
[ -f "$image" ] || { echo "skip: no image $image (scripts/build-image builds it)"; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root (network namespaces)"; exit 77; }
for t in qemu-system-x86_64 qemu-img mcopy xorriso ssh python3; do
	command -v "$t" >/dev/null || { echo "skip: $t missing"; exit 77; }
done

passed=0 failed=0
check() { # NAME COMMAND...
	local name=$1
	shift
	if "$@"; then
		echo "ok   $name"
		passed=$((passed + 1))
	else
		echo "FAIL $name"
		failed=$((failed + 1))
	fi
}

tmp=$(mktemp -d /tmp/vrouter-image-test.XXXXXX)
vm_pid=
ns=vrimg-$$
stop_vm() {
	if [ -n "$vm_pid" ]; then
		kill "$vm_pid" 2>/dev/null
		wait "$vm_pid" 2>/dev/null
		vm_pid=
	fi
	# run-vm removes its namespace; make sure even if it was killed harder.
	[ -e "/run/netns/$ns" ] && ip netns del "$ns"
	return 0
}
# KEEP=1 keeps the consoles' logs and the payloads.
trap 'stop_vm; [ -n "${KEEP:-}" ] && echo "# kept $tmp" || rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

console="$top/tests/image/console.py"
con() { python3 "$console" "$tmp/console.sock" "$@"; }
boot() { # LOG RUN-VM-ARGS...: starts the VM in the background
	local log=$1
	shift
	rm -f "$tmp/console.sock" "$log"
	"$top/scripts/run-vm" "$image" --netns "$ns" --console "unix:$tmp/console.sock" \
		--console-log "$log" --agent-socket "$tmp/agent.sock" "$@" 2>>"$tmp/run-vm.log" &
	vm_pid=$!
	boot_start=$SECONDS
}
wait_for() { # FILE REGEX SECONDS
	local end=$((SECONDS + $3))
	while [ $SECONDS -lt $end ]; do
		grep -qaE "$2" "$1" 2>/dev/null && return 0
		kill -0 "$vm_pid" 2>/dev/null || return 1
		sleep 0.5
	done
	return 1
}
ssh_vm() { # SSH-ARGS...
	ip netns exec "$ns" ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o ConnectTimeout=20 -o LogLevel=ERROR "$@"
}

# The payload's contents: a key, a password, an intent naming the management NIC.
ssh-keygen -q -t ed25519 -N '' -C vrouter-test -f "$tmp/key"
password=vrouter-test-$$
hash=$(python3 "$console" hash "$password")
mgmt_mac=52:54:00:00:00:01 mgmt_addr=169.254.3.10 host_addr=169.254.0.1
cat >"$tmp/intent.json" <<EOF
{
  "version": 1,
  "generation": 1,
  "hostname": "r-test",
  "interfaces": {
    "mgmt": { "mac": "$mgmt_mac", "addresses": ["$mgmt_addr/16"], "management": true }
  }
}
EOF
intent_sum=$(sha256sum "$tmp/intent.json" | cut -d' ' -f1)
intent_b64=$(basenc --base64url -w0 "$tmp/intent.json" | tr -d '=')
"$top/scripts/mkpayload" --authorized-keys "$tmp/key.pub" -o "$tmp/keys.iso" >/dev/null 2>&1
"$top/scripts/mkpayload" --intent "$tmp/intent.json" --authorized-keys "$tmp/key.pub" \
	--console-password-hash "$hash" -o "$tmp/full.iso" >/dev/null 2>&1

# --- boot 1: no password hash; intent on the kernel command line (direct kernel boot)
echo "# boot 1: no console password, intent on the kernel command line"
boot "$tmp/console1.log" --payload "$tmp/keys.iso" --append "vrouter.intent=$intent_b64"
wait_for "$tmp/console1.log" 'console login is disabled' 300
check "console says login is disabled without a password hash" \
	grep -qa 'vrouter: console login is disabled' "$tmp/console1.log"
check "no login prompt on the console without a password hash" con no-prompt 10
check "intent from the kernel command line (sha256 matches)" \
	grep -qa "intent from cmdline: /run/vrouter/payload-intent.json sha256 $intent_sum" \
	"$tmp/console1.log"
stop_vm

# --- boot 2: the disk's boot loader; intent, keys and password hash on the payload volume
echo "# boot 2: console password, intent and keys on the payload volume"
boot "$tmp/console2.log" --payload "$tmp/full.iso" --host-addr "$host_addr/16"
if wait_for "$tmp/console2.log" 'login: ' 300; then
	echo "# boot to login prompt: $((SECONDS - boot_start)) s (TCG)"
fi
check "console refuses a wrong password" con login wrong-password --expect-refused
check "console login with the payload's password" con login "$password"

# The management address: vrouterd applies the payload's intent. Without the agent in the
# image, or if it failed, the test sets the address over the console (as an orchestrator
# could), so that the SSH checks still test the image.
has_addr="ip -o addr show | grep -q ' $mgmt_addr/'"
if con run 'systemctl is-enabled -q vrouterd.service' >/dev/null 2>&1; then
	check "vrouterd applied the payload's intent (management address up)" \
		env CONSOLE_TIMEOUT=240 python3 "$console" "$tmp/console.sock" run \
		"for i in \$(seq 60); do $has_addr && break; sleep 1; done; $has_addr"
else
	echo "# no vrouterd in the image"
fi
if ! con run "$has_addr" >/dev/null 2>&1; then
	echo "# setting the management address over the console"
	con run "d=\$(grep -l '$mgmt_mac' /sys/class/net/*/address | cut -d/ -f5); ip link set \"\$d\" up && ip addr add $mgmt_addr/16 dev \"\$d\"" >/dev/null
fi
check "payload intent in /run/vrouter (same content, mode 600)" \
	con run "[ \"\$(stat -c %a /run/vrouter/payload-intent.json)\" = 600 ] && sha256sum /run/vrouter/payload-intent.json | grep -q $intent_sum"
check "agent port /dev/virtio-ports/org.vrouter.agent.0 exists" \
	con run 'test -e /dev/virtio-ports/org.vrouter.agent.0'
vrouterctl=$(command -v vrouterctl || echo "$top/build/agent/cli/vrouterctl")
if [ -x "$vrouterctl" ]; then
	"$vrouterctl" --serial "$tmp/agent.sock" --timeout 60 status >"$tmp/status.out" 2>&1
	check "the agent answers on its virtio-serial port (vrouterctl --serial SOCKET status)" \
		test $? -eq 0
else
	echo "# no vrouterctl on the host (meson setup build && ninja -C build): agent port not tried"
fi

check "ssh with the payload's key" ssh_vm -i "$tmp/key" -o BatchMode=yes "root@$mgmt_addr" true
ssh_vm -o PreferredAuthentications=password -o PubkeyAuthentication=no -o BatchMode=yes \
	"root@$mgmt_addr" true >"$tmp/ssh-password.out" 2>&1
check "ssh with a password is refused (server offers publickey only)" \
	grep -q 'Permission denied (publickey)' "$tmp/ssh-password.out"
ssh_vm -i "$tmp/key" -o BatchMode=yes "root@$mgmt_addr" 'sshd -T' >"$tmp/sshd-T.out" 2>&1
check "sshd: no password authentication" grep -qx 'passwordauthentication no' "$tmp/sshd-T.out"
check "sshd: no keyboard-interactive authentication" \
	grep -qx 'kbdinteractiveauthentication no' "$tmp/sshd-T.out"
check "sshd: root by key only" grep -qx 'permitrootlogin without-password' "$tmp/sshd-T.out"
check "ssh host keys generated at this boot, not shipped" \
	ssh_vm -i "$tmp/key" -o BatchMode=yes "root@$mgmt_addr" \
	'systemctl is-active -q sshd-keygen.service && ls /etc/ssh/ssh_host_ed25519_key >/dev/null'
check "authorized_keys from the payload, mode 600" \
	ssh_vm -i "$tmp/key" -o BatchMode=yes "root@$mgmt_addr" \
	"[ \"\$(stat -c %a /root/.ssh/authorized_keys)\" = 600 ] && grep -q vrouter-test /root/.ssh/authorized_keys"
ssh_vm -i "$tmp/key" -o BatchMode=yes "root@$mgmt_addr" \
	'systemd-analyze time; systemd-analyze blame | head -n 8' 2>/dev/null | sed 's/^/# /'
stop_vm

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
