#!/bin/sh
# Runs in the image booted by Packer: checks that it came up clean and that every program it
# ships runs, then writes the package manifest (Packer downloads it).
set -eu

state=$(systemctl is-system-running --wait || true)
echo "system state: $state"
if [ "$state" != running ]; then
	systemctl --failed --no-pager
	exit 1
fi

for cmd in "nft --version" "ip -V" "dnsmasq --version" "keepalived --version" \
	"conntrackd --version" "swanctl --version" "wg --version" "sshd -V"; do
	echo "$ $cmd"
	$cmd 2>&1 | head -n 1
done
for f in /usr/bin/vrouter* /usr/sbin/vrouter*; do
	[ -e "$f" ] || continue
	if ldd "$f" | grep 'not found'; then
		echo "$f: missing libraries" >&2
		exit 1
	fi
	echo "agent: $f"
done

systemd-analyze time || true
systemd-analyze blame --no-pager | head -n 15 || true

dpkg-query -W -f '${Package}\t${Version}\t${Architecture}\n' | sort >/tmp/manifest.tsv
