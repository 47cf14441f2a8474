#!/bin/sh
# The last step in the image booted by Packer: removes whatever this build left that must not
# ship or must differ per instance, then discards the freed blocks so the qcow2 stays small.
set -eu

# The build's network and its key (the payload installs the orchestrator's keys).
systemctl disable vrouter-build-net.service
rm -f /etc/systemd/system/vrouter-build-net.service
rm -f /root/.ssh/authorized_keys
# Per-instance identity: generated again at first boot.
rm -f /etc/ssh/ssh_host_*
: >/etc/machine-id
rm -f /var/lib/systemd/random-seed /var/lib/systemd/credential.secret
# Logs, caches and package lists.
find /var/log -type f -delete
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/debconf/*-old
rm -rf /tmp/* /var/tmp/* /root/.bash_history /root/.lesshst
sync
fstrim -v / || true
