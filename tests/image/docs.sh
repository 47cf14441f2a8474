#!/bin/bash
# The command blocks of the operator docs (docs/operators.md, image.md, protocol.md), run as
# the docs show them (tests/docs/lib.sh's doc_block), against the built image under QEMU (TCG):
#
#   - vrouterctl-static: scripts/build-vrouterctl gives a static out/vrouterctl, which the
#     blocks below use as the host's vrouterctl;
#   - check, plan, render: offline, on router.json (examples/router.json);
#   - run-vm: a payload (the SSH key of ~/.ssh, a console password from openssl's prompt) and
#     the VM in namespace r1 in the background, its console and agent port as sockets in /tmp;
#   - console: attaching with socat shows the login prompt, Ctrl-] detaches;
#   - run-vm-ssh: SSH from the namespace with the payload's key runs vrouterctl status;
#   - push-on-router (over SSH, in root's home with router.json, now generation 2),
#     push-remote (ssh root@router, and vrouterctl --serial), protocol-on-router,
#     protocol-host (the request by hand over the serial socket with socat);
#   - kernel-extract: vmlinuz and initrd.img out of the qcow2;
#   - qemu-direct: the overlay and the QEMU command line boot the router on the payload, and
#     its agent answers on /run/r1.agent.
#
# Everything runs in a mount namespace of its own: /root (the operator's home: ~/.ssh), /run
# (the network namespaces' names, QEMU's sockets) and /tmp are private there, so the blocks'
# paths touch nothing of this machine; /dev/kvm is hidden (KVM does not boot Linux guests on
# the CI machines: QEMU falls back to TCG). scripts/build-vrouterctl writes build-ctl/ and
# out/vrouterctl in the tree, as the docs say.
#
# Usage: tests/image/docs.sh [IMAGE]   (default: out/vrouter-<meson.build's version>.qcow2)
# Exit 77 (skip) when IMAGE does not exist, without root, or without tools.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

[ $# -le 1 ] || { echo "usage: tests/image/docs.sh [IMAGE]" >&2; exit 64; }
version=$(sed -n "s/^ *version: *'\([^']*\)'.*/\1/p" "$top/meson.build" | head -n 1)
image=${1:-$top/out/vrouter-$version.qcow2}
[ -f "$image" ] || { echo "skip: no image $image (scripts/build-image builds it)"; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root (namespaces)"; exit 77; }
[ -c /dev/net/tun ] || { echo "skip: no /dev/net/tun (the VM's NICs are taps)"; exit 77; }
for t in qemu-system-x86_64 qemu-img mcopy xorriso ssh socat openssl script unshare python3; do
	command -v "$t" >/dev/null || { echo "skip: $t missing"; exit 77; }
done

# Into a mount namespace of our own, once.
if [ -z "${VROUTER_DOCS_NS:-}" ]; then
	VROUTER_DOCS_NS=1 exec unshare --mount --propagation private "$0" "$image"
fi
. "$top/tests/docs/lib.sh"

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

tmp=$(mktemp -d /var/tmp/vrouter-docs-test.XXXXXX)
mkdir -p "$tmp/home" "$tmp/top/out"
# The tree and the image stay where they are, also when they live under /tmp, /run or /root
# (a CI clone in /tmp, a checkout in root's home): bound aside first, then back in place.
# The places they are bound aside to are outside $tmp, which is removed at the end: a bind
# mount is removed like a directory, with the tree inside. They are unmounted first.
keep=$(mktemp -d /var/tmp/vrouter-docs-keep.XXXXXX)
kept=()
for d in "$top" "$(dirname "$image")"; do
	case $d in /tmp | /tmp/* | /run | /run/* | /root | /root/*) ;; *) continue ;; esac
	mkdir -p "$keep/${#kept[@]}"
	mount --bind "$d" "$keep/${#kept[@]}"
	kept+=("$d")
done
mount -t tmpfs -o mode=0755 vrouter-docs-run /run
mount -t tmpfs -o mode=1777 vrouter-docs-tmp /tmp
mount --bind "$tmp/home" /root
for i in "${!kept[@]}"; do
	mkdir -p "${kept[$i]}"
	mount --bind "$keep/$i" "${kept[$i]}"
done
[ -e /dev/kvm ] && mount --bind /dev/null /dev/kvm
export HOME=/root
vm_pid='' qemu_shell=''
stop() {
	if [ -n "$vm_pid" ]; then
		kill "$vm_pid" 2>/dev/null
		wait "$vm_pid" 2>/dev/null
		vm_pid=
	fi
	if [ -n "$qemu_shell" ]; then
		# The block's shell, or QEMU itself (bash runs a last command in its own place).
		pkill -TERM -P "$qemu_shell" 2>/dev/null
		kill "$qemu_shell" 2>/dev/null
		wait "$qemu_shell" 2>/dev/null
		qemu_shell=
	fi
	local n
	for n in r1 vrdocs-q; do
		[ -e "/run/netns/$n" ] && ip netns del "$n"
	done
	return 0
}
unkeep() {
	local i
	# Newest first: the image's directory may be bound inside the tree, whose mount is busy
	# while it is there; and out of the tree, whose mount a working directory keeps busy.
	cd /
	for ((i = ${#kept[@]} - 1; i >= 0; i--)); do
		umount "${kept[$i]}" && umount "$keep/$i" && rmdir "$keep/$i"
	done
	rmdir "$keep"
}
trap 'stop; unkeep; [ -n "${KEEP:-}" ] && echo "# kept $tmp" || rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# The operator: an SSH key and the name "router" for the management address of
# examples/router.json; the tree's top directory as the image docs see it (scripts, examples,
# the image in out/); router.json beside it.
mkdir -m 0700 /root/.ssh
ssh-keygen -q -t ed25519 -N '' -C vrouter-docs -f /root/.ssh/id_ed25519
cat >/root/.ssh/config <<'EOF'
Host router
	HostName 169.254.3.10
	User root
Host *
	StrictHostKeyChecking accept-new
	BatchMode yes
	ConnectTimeout 20
	LogLevel ERROR
EOF
work=$tmp/top
ln -s "$top/scripts" "$top/examples" "$work/"
ln -s "$image" "$work/out/vrouter-$version.qcow2"
cp "$top/examples/router.json" "$work/router.json"
cp "$top/tests/golden/example-router/observed.json" "$work/state.json"
cd "$work" || exit 1

# Prints what a block printed when it failed or lacks what is looked for.
show() { sed 's/^/# /' "$tmp/$1.out" | tail -n 20; }
# Runs block NAME with bash (-e, pipefail) behind WRAP... (e.g. ip netns exec r1) in the current
# directory, stdin from /dev/null; its output in $tmp/NAME.out.
block() { # NAME [WRAP...]
	local name=$1 rc=0
	shift
	"$@" bash -euo pipefail -c "$(doc_block "$name")" >"$tmp/$name.out" 2>&1 </dev/null || rc=$?
	[ "$rc" -eq 0 ] || { echo "# $name: exit $rc"; show "$name"; }
	return "$rc"
}
# The same on the router, over SSH from the namespace, in root's home.
block_on_router() { # NAME
	local name=$1 rc=0
	doc_block "$name" | ip netns exec r1 ssh root@router 'bash -euo pipefail -s' \
		>"$tmp/$name.out" 2>&1 || rc=$?
	[ "$rc" -eq 0 ] || { echo "# $name: exit $rc"; show "$name"; }
	return "$rc"
}
# Whether block NAME printed something matching REGEX.
has() { # NAME REGEX
	grep -qaE "$2" "$tmp/$1.out" || { echo "# $1 printed nothing like /$2/:"; show "$1"; return 1; }
}
ran() { [ "$1" -eq 0 ]; } # whether the block just run exited 0 (its status is given)
# Waits up to 300 s, while PID lives, for the agent behind the serial socket to have an intent
# in effect.
in_effect() { # SOCKET PID
	local end=$((SECONDS + 300))
	while [ $SECONDS -lt $end ] && kill -0 "$2" 2>/dev/null; do
		vrouterctl --serial "$1" --timeout 10 status --json 2>/dev/null |
			grep -q '"in_effect": true' && return 0
		sleep 1
	done
	return 1
}

# --- vrouterctl on the host, and the offline commands
echo "# docs/operators.md: vrouterctl on your host, check, plan, render"
(cd "$top" && block vrouterctl-static)
check "vrouterctl-static: scripts/build-vrouterctl" ran $?
check "vrouterctl-static: out/vrouterctl is statically linked" \
	bash -c "ldd '$top/out/vrouterctl' 2>&1 | grep -q 'not a dynamic executable'"
export PATH=$top/out:$PATH
check "check: router.json is valid" block check
block plan
check "plan: operations against state.json, after.json written" \
	eval "has plan '^replace link 52:54:00:00:00:01 name=mgmt' && [ -s after.json ]"
block render
check "render: the services' files under etc/" has render '^dnsmasq/vrouter.conf 0644 dnsmasq'

# --- the VM of image.md: payload, run-vm in the background, its console, SSH
echo "# docs/image.md: scripts/run-vm"
password=vrouter-docs-$$
printf '%s\n%s\n' "$password" "$password" >"$tmp/password"
eval "$(doc_block run-vm)" <"$tmp/password" >"$tmp/run-vm.out" 2>&1
vm_pid=${!:-}
check "run-vm: the payload is made (key, intent, password hash)" [ -s payload.iso ]
in_effect /tmp/r1.agent "$vm_pid"
rc=$?
check "run-vm: the VM applies examples/router.json (vrouterctl --serial /tmp/r1.agent)" ran $rc
ran $rc || show run-vm
# The router is up when SSH answers (sshd starts after its host keys are made, a little after
# the agent's apply): the docs' SSH and console blocks are meant for then.
end=$((SECONDS + 120))
while [ $SECONDS -lt $end ]; do
	ip netns exec r1 ssh root@router true 2>/dev/null && break
	sleep 1
done
# The console: socat on a terminal (script's), a return for the prompt, then Ctrl-] detaches.
(sleep 3; printf '\r'; sleep 5; printf '\035') |
	timeout 60 script -qfec "$(doc_block console)" /dev/null >"$tmp/console.out" 2>&1
check "console: attached, a login prompt, detached by Ctrl-] (exit $?)" ran $?
check "console: the login prompt" has console 'login:'
block run-vm-ssh
check "run-vm-ssh: SSH from the namespace with the payload's key runs vrouterctl status" \
	has run-vm-ssh '^applied +generation 1,'

# --- pushing (operators.md, protocol.md): router.json as generation 2
echo "# docs/operators.md and docs/protocol.md: pushing an intent"
python3 - router.json <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["generation"] = 2
json.dump(d, open(sys.argv[1], "w"), indent=2)
EOF
ip netns exec r1 ssh root@router 'cat > router.json' <router.json
block_on_router push-on-router
check "push-on-router: generation 2 applied on the router" \
	has push-on-router '"applied": true, "generation": 2'
block push-remote ip netns exec r1
check "push-remote: over SSH and the serial port, generation 2 unchanged (twice)" \
	[ "$(grep -c '"unchanged": true' "$tmp/push-remote.out")" -eq 2 ]
block_on_router protocol-on-router
check "protocol-on-router: apply and show on the router" \
	has protocol-on-router '"generation": 2'
block protocol-host ip netns exec r1
check "protocol-host: SSH, vrouterctl --serial and a request by hand over the serial socket" \
	has protocol-host '"id": ?"by-hand-1"'

# --- the kernel out of the image
echo "# docs/image.md: the kernel and initrd for a direct boot"
mkdir "$tmp/kx" && cd "$tmp/kx" || exit 1
ln -s "$image" "vrouter-$version.qcow2"
block kernel-extract
check "kernel-extract: vmlinuz and initrd.img" eval '[ -s vmlinuz ] && [ -s initrd.img ]'
cd "$work" || exit 1
stop

# --- QEMU directly (image.md), in a namespace of its own, with the payload of run-vm
echo "# docs/image.md: QEMU directly"
mkdir "$tmp/q" && cd "$tmp/q" || exit 1
ln -s "$image" "vrouter-$version.qcow2"
cp "$work/payload.iso" .
ip netns add vrdocs-q
ip netns exec vrdocs-q bash -c "$(doc_block qemu-direct)" >"$tmp/qemu-direct.out" 2>&1 </dev/null &
qemu_shell=$!
in_effect /run/r1.agent "$qemu_shell"
rc=$?
check "qemu-direct: the router boots on the payload, its agent answers on /run/r1.agent" ran $rc
ran $rc || show qemu-direct
cd "$work" || exit 1
stop

echo "docs: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
