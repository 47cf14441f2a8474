#!/bin/bash
# Boot time to the console's login prompt under TCG, the image against a plain Debian 13
# minbase image with the cloud kernel (same disk layout and boot loader, initramfs-tools'
# initrd, Debian's units, getty from the generator), alternating, ROUNDS times each.
# The baseline is built once into out/cache/minbase.qcow2. Numbers: docs/image.md.
#
# Usage: tests/image/boot-time.sh IMAGE [ROUNDS]      (root)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
image=$(realpath "$1")
rounds=${2:-3}
base=$top/out/cache/minbase.qcow2
tmp=$(mktemp -d /tmp/vrouter-boot-time.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

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

# A payload with a password hash, so that the image offers a login prompt.
ssh-keygen -q -t ed25519 -N '' -f "$tmp/key"
echo '{"version": 1, "generation": 1, "interfaces": {"mgmt": {"mac": "52:54:00:00:00:01"}}}' \
	>"$tmp/intent.json"
"$top/scripts/mkpayload" --intent "$tmp/intent.json" --authorized-keys "$tmp/key.pub" \
	--console-password-hash "$(python3 "$top/tests/image/console.py" hash pw)" \
	-o "$tmp/payload.iso" >/dev/null

measure() { # IMAGE RUN-VM-ARGS...: seconds from start to "login: " on the console
	local img=$1 pid start
	shift
	rm -f "$tmp/console.log"
	"$top/scripts/run-vm" "$img" --netns "vrbt-$$" --console "file:$tmp/console.log" "$@" \
		2>/dev/null &
	pid=$!
	start=$(date +%s.%N)
	for _ in $(seq 3000); do
		grep -q 'login: ' "$tmp/console.log" 2>/dev/null && break
		sleep 0.1
	done
	python3 -c "print(f'{$(date +%s.%N) - $start:.1f}')"
	kill "$pid"
	wait "$pid" 2>/dev/null || true
}

for ((i = 1; i <= rounds; i++)); do
	b=$(measure "$base")
	v=$(measure "$image" --payload "$tmp/payload.iso")
	echo "round $i: minbase $b s, image $v s, ratio $(python3 -c "print(f'{$v / $b:.2f}')"), load $(cut -d' ' -f1 /proc/loadavg)"
done
