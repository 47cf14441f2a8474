#!/bin/bash
# Boot time under TCG: for the image, from QEMU's start to the agent's "generation N applied"
# line on the serial console (boot-to-applied) and to the console's login prompt; for a plain
# Debian 13 minbase image with the cloud kernel (same disk layout and boot loader,
# initramfs-tools' initrd, Debian's units, getty from the generator), to its login prompt.
# The images alternate, ROUNDS times each, so that both see the same machine load; the ratio
# boot-to-applied / minbase login is the number docs/image.md records (goal: at most 0.6).
# The baseline is built once into out/cache/minbase.qcow2.
#
# Usage: tests/image/boot-time.sh [--rounds N] IMAGE...      (root; several IMAGEs: A/B runs)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
rounds=3
if [ "${1:-}" = --rounds ]; then
	rounds=${2:?}
	shift 2
fi
[ $# -ge 1 ] || { echo "usage: tests/image/boot-time.sh [--rounds N] IMAGE..." >&2; exit 64; }
images=()
for i in "$@"; do images+=("$(realpath "$i")"); done
base=$top/out/cache/minbase.qcow2
tmp=$(mktemp -d /tmp/vrouter-boot-time.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

if [ ! -f "$base" ]; then
	echo "# building the baseline $base"
	r=$tmp/rootfs d=$tmp/disk
	mkdir -p "$d" "$top/out/cache/apt"
	mmdebstrap --variant=minbase --skip=download/empty \
		--setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
		--setup-hook="sync-in $top/out/cache/apt /var/cache/apt/archives/" \
		--include=linux-image-cloud-amd64,systemd,systemd-sysv,udev,e2fsprogs \
		--essential-hook='echo "LABEL=base-root / ext4 defaults 0 1" >"$1/etc/fstab"' \
		--customize-hook='echo root:pw | chroot "$1" chpasswd' \
		trixie "$r" "deb http://deb.debian.org/debian trixie main" \
		"deb http://deb.debian.org/debian trixie-updates main" \
		"deb http://deb.debian.org/debian-security trixie-security main" >"$tmp/log" 2>&1
	echo base >"$r/etc/hostname"
	mv "$r"/boot/vmlinuz-* "$d/vmlinuz"
	mv "$r"/boot/initrd.img-* "$d/initrd.img"
	printf 'SERIAL 0 115200\nDEFAULT b\nPROMPT 0\nTIMEOUT 0\nLABEL b\n  LINUX /vmlinuz\n  INITRD /initrd.img\n  APPEND console=ttyS0,115200 root=LABEL=base-root ro quiet\n' >"$d/syslinux.cfg"
	mkfs.vfat -F 16 -n BOOT -h 2048 -C "$d/boot.img" 65536 >/dev/null
	mcopy -i "$d/boot.img" "$d/vmlinuz" "$d/initrd.img" "$d/syslinux.cfg" ::/
	syslinux --install "$d/boot.img"
	mkfs.ext4 -q -F -L base-root -d "$r" "$d/root.img" 1983M
	truncate -s 2048M "$d/disk.raw"
	printf 'label: dos\nstart=1MiB, size=64MiB, type=e, bootable\nstart=65MiB, type=83\n' |
		sfdisk -q "$d/disk.raw"
	dd if=/usr/lib/syslinux/mbr/mbr.bin of="$d/disk.raw" bs=440 count=1 conv=notrunc status=none
	dd if="$d/boot.img" of="$d/disk.raw" bs=1M seek=1 conv=notrunc,sparse status=none
	dd if="$d/root.img" of="$d/disk.raw" bs=1M seek=65 conv=notrunc,sparse status=none
	qemu-img convert -f raw -O qcow2 "$d/disk.raw" "$base"
	rm -rf "$r" "$d"
fi

# The image's payload: an intent for its one NIC, a key, a password hash (for a login prompt).
ssh-keygen -q -t ed25519 -N '' -f "$tmp/key"
echo '{"version": 1, "generation": 1, "interfaces": {"mgmt": {"mac": "52:54:00:00:00:01", "addresses": ["169.254.3.10/16"], "management": true}}}' \
	>"$tmp/intent.json"
"$top/scripts/mkpayload" --intent "$tmp/intent.json" --authorized-keys "$tmp/key.pub" \
	--console-password-hash "$(python3 "$top/tests/image/console.py" hash pw)" \
	-o "$tmp/payload.iso" >/dev/null

applied_re='vrouterd\[[0-9]+\]: generation [0-9]+ applied'
# Seconds from QEMU's start to each pattern on the console ("-" if it did not come within 300 s),
# in $result. IMAGE RUN-VM-ARGS... -- PATTERN...
measure() {
	local img=$1 start now i
	shift
	local args=()
	while [ "$1" != -- ]; do
		args+=("$1")
		shift
	done
	shift
	local pats=("$@") found=() left=$#
	rm -f "$tmp/console.log"
	"$top/scripts/run-vm" "$img" --netns "vrbt-$$" --console "file:$tmp/console.log" \
		"${args[@]}" 2>/dev/null &
	pid=$!
	start=$(date +%s%N)
	for ((i = 0; i < $#; i++)); do found[i]=-; done
	while [ "$left" -gt 0 ] && [ $((($(date +%s%N) - start) / 1000000000)) -lt 300 ]; do
		for ((i = 0; i < ${#pats[@]}; i++)); do
			if [ "${found[i]}" = - ] && grep -qaE "${pats[i]}" "$tmp/console.log" 2>/dev/null; then
				now=$(date +%s%N)
				found[i]=$(awk -v ns=$((now - start)) 'BEGIN { printf "%.1f", ns / 1e9 }')
				left=$((left - 1))
			fi
		done
		sleep 0.1
	done
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
	result="${found[*]}"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-") print "-"; else printf "%.2f", a / b }'; }

for ((r = 1; r <= rounds; r++)); do
	measure "$base" -- 'login: '
	b=$result
	line="round $r: load $(cut -d' ' -f1 /proc/loadavg); minbase login $b s"
	for img in "${images[@]}"; do
		measure "$img" --payload "$tmp/payload.iso" -- "$applied_re" 'login: '
		read -r a l <<<"$result"
		line+="; $(basename "$img"): applied $a s ($(ratio "$a" "$b")), login $l s ($(ratio "$l" "$b"))"
	done
	echo "$line"
done
