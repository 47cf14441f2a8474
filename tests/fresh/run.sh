#!/bin/bash
# The README's commands on a fresh Debian 13: a trixie minbase root (with git and
# ca-certificates, as a new user has it) gets a fresh `git clone` of this tree, and in it
#   1. `scripts/lab up` must exit 0 with every traffic check passing, then `scripts/lab down`
#      must leave nothing behind (no namespace, no process, no out/lab);
#   2. `scripts/deps build test` (the install step of scripts/test), a build with the tests and
#      the test suite but the VM part (scripts/test's `meson test`) must pass, in the build
#      directory the lab left (so it is reconfigured).
# Before 1, a build directory that meson never finished configuring is left in the clone: the lab
# must configure it again rather than take it as configured.
#
# The root is made with mmdebstrap once and kept in $VR_FRESH_CACHE (default
# /var/cache/vrouter-fresh) for a week; each run works on a copy. It runs in a private mount
# namespace: the root bind-mounted onto itself (`ip netns exec` makes / a slave mount), proc,
# sysfs, /dev (recursive bind), tmpfs on /run and /tmp. The lab's network namespaces are made
# there, by the lab itself; nothing is added to this machine's namespaces. Packages come from the
# Debian mirror ($MIRROR, default deb.debian.org).
#
# Usage: tests/fresh/run.sh [COMMIT]   (default HEAD: what is committed is what is cloned)
# VR_FRESH_SUITES: meson test's suite options for step 2 (default empty: every test)
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$PWD
commit=${1:-HEAD}
suites=${VR_FRESH_SUITES-}
[ "$(id -u)" -eq 0 ] || { echo "fresh: SKIPPED: needs root (chroot, mount namespace)"; exit 77; }
command -v mmdebstrap >/dev/null || { echo "fresh: needs mmdebstrap (scripts/deps test)" >&2; exit 1; }

mirror=${MIRROR:-http://deb.debian.org/debian}
security_mirror=${SECURITY_MIRROR:-http://deb.debian.org/debian-security}
cache=${VR_FRESH_CACHE:-/var/cache/vrouter-fresh}
sources=("deb $mirror trixie main" "deb $mirror trixie-updates main"
	"deb $security_mirror trixie-security main")
# The cached root is made again when the way it is made changes, or after a week.
key=$(printf '%s\n' minbase git,ca-certificates "${sources[@]}" | sha256sum | cut -c1-12)
base=$cache/trixie-minbase-$key.tar

step() { echo "-- $(date +%T) $*"; }

mkdir -p "$cache"
if [ -z "$(find "$base" -mtime -7 2>/dev/null)" ]; then
	step "mmdebstrap: trixie minbase with git and ca-certificates (cached in $base)"
	rm -f "$cache"/trixie-minbase-*.tar
	mmdebstrap --quiet --format=tar --variant=minbase --include=git,ca-certificates trixie "$base.new" \
		"${sources[@]}"
	mv "$base.new" "$base"
fi

work=$(mktemp -d /var/tmp/vrouter-fresh.XXXXXX)
root=$work/root
cleanup() {
	# Whatever the run left: processes whose root is the copy, then the copy.
	local pid
	for pid in $(ls /proc | grep -E '^[0-9]+$'); do
		[ "$(readlink "/proc/$pid/root" 2>/dev/null)" = "$root" ] && kill -9 "$pid" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$root"
tar -C "$root" -xf "$base"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
step "git clone of $(git rev-parse --short "$commit") into the root"
git clone --quiet --no-local "$top" "$root/root/vrouter"
git -C "$root/root/vrouter" checkout --quiet --detach "$(git rev-parse "$commit")"
# A build directory that meson never finished configuring (as a setup stopped half-way leaves).
mkdir -p "$root/root/vrouter/build/meson-private"
echo "not a configured build" >"$root/root/vrouter/build/meson-log.txt"

# Runs SCRIPT (bash) inside the root, in a private mount namespace, in the clone's directory.
in_root() { # SCRIPT
	unshare --mount --propagation private -- bash -ec '
		root=$1
		mount --bind "$root" "$root"
		mount -t proc proc "$root/proc"
		mount -t sysfs sysfs "$root/sys"
		mount --rbind /dev "$root/dev"
		mount -t tmpfs tmpfs "$root/run"
		mount -t tmpfs tmpfs "$root/tmp"
		exec chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			bash -ec "cd /root/vrouter; $2"' - "$root" "$1"
}

failed=0
# Up and down in one mount namespace: the lab's namespace names live in its /run.
step "in the fresh root: scripts/lab up, then scripts/lab down"
in_root 'failed=0
	if scripts/lab up; then
		echo "ok   scripts/lab up exits 0 with its checks passing"
	else
		echo "FAIL scripts/lab up (exit $?)"
		failed=1
	fi
	scripts/lab down
	left=$(ip netns list)
	if [ -n "$left" ] || [ -e out/lab ]; then
		echo "FAIL scripts/lab down left namespaces (${left:-none}) or out/lab"
		failed=1
	fi
	exit $failed' || failed=1
procs=
for pid in $(ls /proc | grep -E '^[0-9]+$'); do
	[ "$(readlink "/proc/$pid/root" 2>/dev/null)" = "$root" ] &&
		procs+=" $pid ($(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null))"
done
if [ -n "$procs" ]; then
	echo "FAIL processes left running in the root after scripts/lab down:$procs"
	failed=1
elif [ $failed -eq 0 ]; then
	echo "ok   scripts/lab down leaves no namespace, no process and no out/lab"
fi

step "in the fresh root: scripts/deps build test, a build with the tests, meson test"
if in_root '. scripts/lib/build.sh
	scripts/deps build test
	vr_build build -Dwerror=true -Dtests=enabled
	meson test -C build --print-errorlogs '"$suites"; then
	echo "ok   the test groups install, build and pass ${suites:-every test}"
else
	echo "FAIL the test groups' install, build or tests (above)"
	if [ -f "$root/root/vrouter/build/meson-logs/testlog.txt" ]; then
		mkdir -p out/log
		cp "$root/root/vrouter/build/meson-logs/testlog.txt" out/log/fresh-testlog.txt
		echo "     the whole test log: out/log/fresh-testlog.txt"
	fi
	failed=1
fi

[ $failed -eq 0 ] && echo "fresh: passed" || echo "fresh: FAILED"
exit $failed
