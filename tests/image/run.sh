#!/bin/bash
# VM tests of the built image (the acceptance of docs/image.md): boots it under QEMU (TCG) in
# network namespaces made by scripts/run-vm, and drives it over the serial console
# (console.py), the agent's virtio-serial port (vrouterctl --serial) and SSH.
#
#   boot 1: payload with keys only, intent on the kernel command line, no password hash:
#           the console says login is disabled and offers no prompt; the intent arrives; it
#           is invalid at two places, which the console shows with their pointers, and
#           status over the serial port keeps them.
#   boot 2: from the disk's own boot loader, three NICs (management, lan1, lan2 on bridges
#           vrbr0..2), payload with intent, keys and a password hash:
#           - console login refuses a wrong password and takes the right one;
#           - over the agent's serial port, status shows the payload's generation in effect;
#           - SSH with the payload's key works, with a password it is refused;
#           - status names the image's version, as its release file has it;
#           - generation 2 pushed over the serial port: lan1's and lan2's addresses appear and
#             host A (a namespace on vrbr1) pings host B (a namespace on vrbr2) through the
#             VM, which it could not before;
#           - generation 3 pushed over SSH: a third subnet's address appears on lan2 and host A
#             pings host B's address there, which it could not before;
#           - the units of the services' Debian packages are masked and inactive, and cannot
#             be started: the agent alone runs their daemons;
#           - generation 4 (over the serial port) adds a DHCP pool on lan1 with a reservation
#             for host A's MAC, and DNS on lan1: status shows dnsmasq running (as user
#             dnsmasq); host A (busybox udhcpc) gets the reserved address with the router
#             option, and dig at the router answers the reservation's names;
#           - generation 5 (over SSH) adds a DNS record: dnsmasq re-reads its files as user
#             dnsmasq (same pid) and answers it;
#           - 1,000 back-to-back requests over the serial port (status, plan, the same intent
#             again), each from a new vrouterctl: every one answered, none exits 4;
#           - after a reboot of the VM (same disk), generation 5 is in force again: applied by
#             the agent at start, addresses in place, the pings go through; dnsmasq runs
#             again with the lease it had (kept in the state directory), host A gets its
#             address again and the names resolve.
#           - generation 6: VRRP with connection sync (alone: master; a handover refused);
#           - generation 7: IPsec (the kernel's ESP) and WireGuard (the module) to host B, whose
#             ends (charon with kernel-libipsec, wireguard-go) are configured here by hand:
#             host A and host B ping each other through both tunnels; generations 8 and 9
#             add a second WireGuard peer and change it, sent alone: the first keeps its
#             session.
#
# Usage: tests/image/run.sh [IMAGE]   (default: out/vrouter-<meson.build's version>.qcow2)
# Exit 77 (skip, with the reason) when IMAGE does not exist, without root, or without tools.
# Uses the host's vrouterctl ($VROUTERCTL, else build/agent/cli/vrouterctl, else the PATH's).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/../lib/charon.sh"

[ $# -le 1 ] || { echo "usage: tests/image/run.sh [IMAGE]" >&2; exit 64; }
image=${1:-$top/out/vrouter-$(sed -n "s/^ *version: *'\([^']*\)'.*/\1/p" "$top/meson.build" | head -n 1).qcow2}
[ -f "$image" ] || { echo "skip: no image $image (scripts/build-image builds it)"; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root (network namespaces)"; exit 77; }
[ -c /dev/net/tun ] || { echo "skip: no /dev/net/tun (the VM's NICs are taps)"; exit 77; }
for t in qemu-system-x86_64 qemu-img mcopy xorriso ssh python3 ping wg wireguard-go swanctl; do
	command -v "$t" >/dev/null || { echo "skip: $t missing"; exit 77; }
done
vrouterctl=${VROUTERCTL:-$top/build/agent/cli/vrouterctl}
[ -x "$vrouterctl" ] || vrouterctl=$(command -v vrouterctl) ||
	{ echo "skip: no vrouterctl on this host (meson setup build && ninja -C build)"; exit 77; }

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
hosts=("$ns-a" "$ns-b")
stop_vm() {
	if [ -n "$vm_pid" ]; then
		kill "$vm_pid" 2>/dev/null
		wait "$vm_pid" 2>/dev/null
		vm_pid=
	fi
	# run-vm removes its namespace; make sure even if it was killed harder.
	local n
	for n in "$ns" "${hosts[@]}"; do
		[ -e "/run/netns/$n" ] && ip netns del "$n"
	done
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
ssh_root() { ssh_vm -i "$tmp/key" -o BatchMode=yes "root@$mgmt_addr" "$@"; }
agent() { "$vrouterctl" --serial "$tmp/agent.sock" --timeout 60 "$@"; }
# The agent's state over the serial port, as "GENERATION IN_EFFECT ORIGIN RESULT" (e.g.
# "2 true serial applied"), then the observed addresses ("lan1=10.1.0.1/24 ...").
agent_state() {
	agent status --json 2>/dev/null | python3 -c 'import json, sys
try:
    s = json.load(sys.stdin)
except ValueError:
    sys.exit(1)
a, l = s.get("applied") or {}, s.get("last_apply") or {}
print(a.get("generation"), str(a.get("in_effect", False)).lower(), l.get("origin"),
      l.get("result"),
      " ".join(x["interface"] + "=" + x["address"] for x in s["observed"].get("addresses", [])))'
}
# Waits up to $2 seconds for agent_state to match the regex $1.
agent_until() {
	local end=$((SECONDS + $2))
	while [ $SECONDS -lt $end ]; do
		agent_state >"$tmp/state" && grep -qE "$1" "$tmp/state" && return 0
		sleep 1
	done
	echo "# agent state: $(cat "$tmp/state" 2>/dev/null)"
	return 1
}
# host A pings an address through the VM (for up to 15 s: neighbours, the first packet). On
# failure, what the hosts and the VM know, for the log.
ping_from_a() {
	local end=$((SECONDS + 15))
	# One packet at a time: a failed neighbour entry left by the checks before ends a ping
	# at once ("Destination Host Unreachable"), then host A resolves the router again.
	while [ $SECONDS -lt $end ]; do
		ip netns exec "${hosts[0]}" ping -c 1 -W 2 "$1" >/dev/null 2>&1 && return 0
		sleep 1
	done
	echo "# host A: $(ip -n "${hosts[0]}" -br addr show eth0) / $(ip -n "${hosts[0]}" neigh | paste -sd';')"
	echo "# host B: $(ip -n "${hosts[1]}" -br addr show eth0) / $(ip -n "${hosts[1]}" neigh | paste -sd';')"
	ssh_root 'ip -br addr; ip neigh; ip route; sysctl net.ipv4.ip_forward' 2>&1 | sed 's/^/# vm: /'
	return 1
}
no_ping_from_a() { ! ip netns exec "${hosts[0]}" ping -c 2 -W 1 "$1" >/dev/null 2>&1; }

# The payload's contents: a key, a password, an intent naming the management NIC.
ssh-keygen -q -t ed25519 -N '' -C vrouter-test -f "$tmp/key"
password=vrouter-test-$$
hash=$(python3 "$console" hash "$password")
mgmt_mac=52:54:00:00:00:01 mgmt_addr=169.254.3.10 host_addr=169.254.0.1
intent() { # GENERATION [LAN1-ADDR LAN2-ADDRS-JSON [SERVICES-JSON]]
	local lans= fw= services=${4:+,
$4}
	if [ $# -gt 1 ]; then
		lans=",
    \"lan1\": { \"mac\": \"52:54:00:00:00:02\", \"addresses\": [\"$2\"] },
    \"lan2\": { \"mac\": \"52:54:00:00:00:03\", \"addresses\": $3 }"
		fw=',
  "firewall": { "forward": { "rules": [
    { "action": "accept", "in": "lan1", "out": "lan2", "comment": "host A to B" } ] } }'
	fi
	cat <<EOF
{
  "version": 1,
  "generation": $1,
  "hostname": "r-test",
  "interfaces": {
    "mgmt": { "mac": "$mgmt_mac", "addresses": ["$mgmt_addr/16"], "management": true }$lans
  }$fw$services
}
EOF
}
intent 1 >"$tmp/intent.json"
intent 2 10.1.0.1/24 '["10.2.0.1/24"]' >"$tmp/g2.json"
intent 3 10.1.0.1/24 '["10.2.0.1/24", "10.3.0.1/24"]' >"$tmp/g3.json"
# DHCP on lan1 with a reservation for host A, the router's resolver on lan1 (docs/intent.md).
host_a_mac=52:54:00:0a:00:02 host_a_reserved=10.1.0.50
services='  "dhcp": { "lan1": {
    "ranges": [ { "start": "10.1.0.100", "end": "10.1.0.199" } ],
    "domain": "lan.test",
    "hosts": { "host-a": { "mac": "'$host_a_mac'", "address": "'$host_a_reserved'" } } } },
  "dns": { "listen": ["lan1"]'
intent 4 10.1.0.1/24 '["10.2.0.1/24", "10.3.0.1/24"]' "$services }" >"$tmp/g4.json"
intent 5 10.1.0.1/24 '["10.2.0.1/24", "10.3.0.1/24"]' \
	"$services, \"records\": { \"nas.lan.test\": [\"10.1.0.9\"] } }" >"$tmp/g5.json"
# VRRP on lan1 (a virtual address for host A) with connection sync over lan2 to a peer that
# is not there: this router alone becomes master; a handover is refused.
intent 6 10.1.0.1/24 '["10.2.0.1/24", "10.3.0.1/24"]' \
	"$services, \"records\": { \"nas.lan.test\": [\"10.1.0.9\"] } },
  \"vrrp\": { \"priority\": 150, \"advert_interval_ms\": 100,
    \"groups\": { \"lan1\": { \"interface\": \"lan1\", \"vrid\": 51,
      \"virtual_addresses\": [\"10.1.0.254/24\"] } },
    \"sync\": { \"interface\": \"lan2\", \"peer\": \"10.2.0.3\" } }" >"$tmp/g6.json"
# VPN over lan2 to host B, which plays the far end set up by hand (not by the agent): an IPsec
# tunnel to its charon (kernel-libipsec there: the host's kernel may lack ESP) and a WireGuard
# tunnel to its wireguard-go. Host B's addresses behind them: 10.9.0.1 (IPsec), 10.7.0.1
# (WireGuard), on its loopback.
wg_vm_key=$(wg genkey) wg_b_key=$(wg genkey)
wg_vm_pub=$(wg pubkey <<<"$wg_vm_key") wg_b_pub=$(wg pubkey <<<"$wg_b_key")
ipsec_psk=vm-test-psk-$$-0123456789
python3 - "$tmp/g6.json" "$ipsec_psk" "$wg_vm_key" "$wg_b_pub" >"$tmp/g7.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["generation"] = 7
# First, before "host A to B" (which the outer packets of the tunnels would match): the rules
# that name the tunnels.
d["firewall"]["forward"]["rules"][:0] = [
    {"action": "accept", "in": "lan1", "out": ["to-b", "wg0"], "comment": "to the tunnels"},
    {"action": "accept", "in": ["to-b", "wg0"], "out": "lan1", "comment": "from the tunnels"}]
d["vpn"] = {
    "ipsec": {"to-b": {"local_address": "10.2.0.1", "remote_address": "10.2.0.2",
                       "psk": sys.argv[2], "local_subnets": ["10.1.0.0/24"],
                       "remote_subnets": ["10.9.0.0/24"]}},
    "wireguard": {"wg0": {"private_key": sys.argv[3], "listen_port": 51820,
                          "addresses": ["10.8.0.1/24"],
                          "peers": {"b": {"public_key": sys.argv[4],
                                          "endpoint": "10.2.0.2:51821",
                                          "allowed_ips": ["10.8.0.2/32", "10.7.0.0/24"]}}}}}
json.dump(d, sys.stdout, indent=1)
PY
# Boot 1's intent on the kernel command line is invalid at two places: the agent logs both
# with their pointers on the console and keeps them in status.
python3 - "$tmp/intent.json" >"$tmp/bad.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["interfaces"]["mgmt"]["mtu"] = 1
d["routes"] = [{"to": "10.9.0.0/16"}]
json.dump(d, sys.stdout, indent=1)
PY
intent_sum=$(sha256sum "$tmp/intent.json" | cut -d' ' -f1)
bad_sum=$(sha256sum "$tmp/bad.json" | cut -d' ' -f1)
bad_b64=$(basenc --base64url -w0 "$tmp/bad.json" | tr -d '=')
"$top/scripts/mkpayload" --authorized-keys "$tmp/key.pub" -o "$tmp/keys.iso" >/dev/null 2>&1
"$top/scripts/mkpayload" --intent "$tmp/intent.json" --authorized-keys "$tmp/key.pub" \
	--console-password-hash "$hash" -o "$tmp/full.iso" >/dev/null 2>&1

# --- boot 1: no password hash; intent on the kernel command line (direct kernel boot)
echo "# boot 1: no console password, intent on the kernel command line"
boot "$tmp/console1.log" --payload "$tmp/keys.iso" --append "vrouter.intent=$bad_b64"
wait_for "$tmp/console1.log" 'console login is disabled' 300
check "console says login is disabled without a password hash" \
	grep -qa 'vrouter: console login is disabled' "$tmp/console1.log"
check "no login prompt on the console without a password hash" con no-prompt 10
check "intent from the kernel command line (sha256 matches)" \
	grep -qa "intent from cmdline: /run/vrouter/payload-intent.json sha256 $bad_sum" \
	"$tmp/console1.log"
wait_for "$tmp/console1.log" 'the boot payload: /routes/0' 120
check "the invalid payload's errors on the console, with their pointers" \
	eval "grep -qaE 'vrouterd\\[[0-9]+\\]: the boot payload is invalid \\(2 errors' '$tmp/console1.log' &&
	grep -qaE 'the boot payload: /interfaces/mgmt/mtu: 1 is out of range' '$tmp/console1.log' &&
	grep -qaE 'the boot payload: /routes/0: ' '$tmp/console1.log'"
agent status --json >"$tmp/status-bad.json" 2>&1
check "status (serial port) keeps the payload's errors: $(python3 -c 'import json, sys
l = json.load(open(sys.argv[1])).get("last_apply") or {}
print(l.get("result"), " ".join(e["pointer"] for e in l.get("error_list", [])))' "$tmp/status-bad.json" 2>&1)" \
	python3 -c 'import json, sys
l = json.load(open(sys.argv[1])).get("last_apply") or {}
sys.exit([e["pointer"] for e in l.get("error_list", [])] != ["/interfaces/mgmt/mtu", "/routes/0"])' \
	"$tmp/status-bad.json"
stop_vm

# --- boot 2: the disk's boot loader; intent, keys and password hash on the payload volume;
# three NICs, and a host namespace on the bridges of lan1 and lan2
echo "# boot 2: console password, intent and keys on the payload volume, three NICs"
boot "$tmp/console2.log" --payload "$tmp/full.iso" --host-addr "$host_addr/16" --nics 3
for _ in $(seq 100); do
	ip -n "$ns" link show vrbr2 >/dev/null 2>&1 && break
	sleep 0.1
done
for i in 0 1; do
	h=${hosts[$i]}
	ip netns add "$h"
	ip -n "$h" link set lo up
	ip -n "$ns" link add "vrh$i" type veth peer name eth0 netns "$h"
	ip -n "$ns" link set "vrh$i" master "vrbr$((i + 1))" up
	ip -n "$h" link set eth0 up
done
# Host A's MAC is the one generation 4 reserves an address for.
ip -n "${hosts[0]}" link set dev eth0 address "$host_a_mac"
ip -n "${hosts[0]}" addr add 10.1.0.2/24 dev eth0
ip -n "${hosts[0]}" route add default via 10.1.0.1
ip -n "${hosts[1]}" addr add 10.2.0.2/24 dev eth0
ip -n "${hosts[1]}" addr add 10.3.0.2/24 dev eth0
ip -n "${hosts[1]}" route add default via 10.2.0.1

if wait_for "$tmp/console2.log" 'vrouterd\[[0-9]+\]: generation 1 applied' 300; then
	echo "# boot to applied: $((SECONDS - boot_start)) s (TCG)"
fi
wait_for "$tmp/console2.log" 'login: ' 120
check "console refuses a wrong password" con login wrong-password --expect-refused
check "console login with the payload's password" con login "$password"
check "agent messages on the console (generation 1 applied)" \
	grep -qaE 'vrouterd\[[0-9]+\]: generation 1 applied' "$tmp/console2.log"
check "over the serial port, status shows the payload's generation 1 in effect" \
	agent_until "^1 true payload applied .*mgmt=$mgmt_addr/16" 120
check "payload intent in /run/vrouter (same content, mode 600)" \
	con run "[ \"\$(stat -c %a /run/vrouter/payload-intent.json)\" = 600 ] && sha256sum /run/vrouter/payload-intent.json | grep -q $intent_sum"

check "ssh with the payload's key" ssh_root true
# The image's version (its release file) in status, passed by the unit.
image_version_shown() {
	local want got
	want=$(ssh_root '. /usr/lib/vrouter/release && echo "$VROUTER_VERSION"') || return 1
	got=$(agent status --json 2>/dev/null |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["agent"]["image_version"])')
	echo "# image version: release file $want, status $got"
	[ -n "$want" ] && [ "$want" = "$got" ]
}
check "status names the image's version (its release file's)" image_version_shown
ssh_vm -o PreferredAuthentications=password -o PubkeyAuthentication=no -o BatchMode=yes \
	"root@$mgmt_addr" true >"$tmp/ssh-password.out" 2>&1
check "ssh with a password is refused (server offers publickey only)" \
	grep -q 'Permission denied (publickey)' "$tmp/ssh-password.out"
ssh_root 'sshd -T' >"$tmp/sshd-T.out" 2>&1
check "sshd: no password authentication" grep -qx 'passwordauthentication no' "$tmp/sshd-T.out"
check "sshd: no keyboard-interactive authentication" \
	grep -qx 'kbdinteractiveauthentication no' "$tmp/sshd-T.out"
check "sshd: root by key only" grep -qx 'permitrootlogin without-password' "$tmp/sshd-T.out"
check "ssh host keys generated at this boot, not shipped" \
	ssh_root 'systemctl is-active -q sshd-keygen.service && ls /etc/ssh/ssh_host_ed25519_key >/dev/null'
check "authorized_keys from the payload, mode 600" \
	ssh_root "[ \"\$(stat -c %a /root/.ssh/authorized_keys)\" = 600 ] && grep -q vrouter-test /root/.ssh/authorized_keys"
ssh_root 'systemd-analyze time; systemd-analyze blame | head -n 8' 2>/dev/null | sed 's/^/# /'

# Generation 2 over the serial port: lan1 and lan2 get their addresses, A reaches B.
check "before generation 2, host A cannot reach host B" no_ping_from_a 10.2.0.2
agent apply "$tmp/g2.json" >"$tmp/apply2.out" 2>&1
check "generation 2 applied over the serial port" grep -q '"applied": true' "$tmp/apply2.out"
check "generation 2: lan1 and lan2 addresses appear (status over the serial port)" \
	agent_until "^2 true serial applied .*lan1=10.1.0.1/24.*lan2=10.2.0.1/24" 10
check "generation 2: host A pings host B through the VM" ping_from_a 10.2.0.2

# Generation 3 over SSH with the payload's key: a third subnet on lan2.
check "before generation 3, host A cannot reach 10.3.0.2" no_ping_from_a 10.3.0.2
ssh_root 'vrouterctl apply -' <"$tmp/g3.json" >"$tmp/apply3.out" 2>&1
check "generation 3 applied over SSH" grep -q '"applied": true' "$tmp/apply3.out"
check "generation 3: the address 10.3.0.1/24 appears on lan2 (ip over SSH)" \
	ssh_root "ip -br addr show lan2 | grep -q ' 10.3.0.1/24'"
check "generation 3: host A pings 10.3.0.2 through the VM" ping_from_a 10.3.0.2
# The console shows the agent's errors, warnings and milestones, not what answers a request:
# the applies pushed over the serial port and SSH are in the journal only.
check "the applies of generations 2 and 3 are in the journal" \
	[ "$(ssh_root "journalctl -u vrouterd.service -o cat | grep -cE '^generation [23] applied'")" = 2 ]
check "and not on the console" \
	bash -c "! grep -qaE 'vrouterd\[[0-9]+\]: generation [23] applied' '$tmp/console2.log'"
check "the agent's lines on the console carry no escape sequence" \
	bash -c "! grep -aE 'vrouterd\[[0-9]+\]:' '$tmp/console2.log' | grep -q \$'\\e'"

# The services' daemons are the agent's alone: their packages' units are masked and inactive,
# and a start of one is refused. The names are those of trixie's packages (dnsmasq-base ships
# none); any other unit these packages ship must be masked as well.
ssh_root 're="^/(usr/)?lib/systemd/system/[^/]+\.(service|socket|timer|path|target)\$"
for p in dnsmasq-base keepalived conntrackd strongswan-charon strongswan-starter strongswan-swanctl \
		wireguard-tools; do
	dpkg-query -L $p | grep -E "$re" |
	while read -r f; do
		for u in ${f##*/} $(sed -n "s/^Alias=//p" $f); do
			# a template is asked about through an instance of it
			case $u in *@.service) u=${u%@.service}@vrtest.service ;; esac
			echo "$u $(systemctl is-enabled $u 2>&1) $(systemctl is-active $u 2>&1)"
		done
	done
done' >"$tmp/units.out" 2>&1
sed 's/^/# unit /' "$tmp/units.out"
for u in keepalived.service conntrackd.service strongswan-starter.service \
	wg-quick@vrtest.service wg-quick.target; do
	check "$u is masked and inactive" grep -qxE "$u masked (inactive|failed)" "$tmp/units.out"
done
check "every unit of the services' packages is masked" \
	awk '$2 != "masked" { bad = 1 } END { exit bad || NR == 0 }' "$tmp/units.out"
ssh_root 'for t in ping traceroute tcpdump conntrack ethtool less; do command -v $t || echo "no $t"; done' \
	>"$tmp/tools.out" 2>&1
check "the operator's tools are there (ping traceroute tcpdump conntrack ethtool less)" \
	[ "$(grep -c '^/' "$tmp/tools.out")" = 6 ]
check "nftables.service (its nftables.conf flushes the ruleset) is masked" \
	[ "$(ssh_root 'systemctl is-enabled nftables.service' 2>&1)" = masked ]
daemons_running() { # the services' daemons that run in the VM, by name
	ssh_root 'cat /proc/[0-9]*/comm 2>/dev/null' |
		grep -xE 'dnsmasq|keepalived|conntrackd|charon'
}
check "a start of a masked unit is refused (keepalived.service)" \
	ssh_root '! systemctl start keepalived.service 2>/dev/null'
check "no daemon of the services runs before an intent asks for one" \
	[ -z "$(daemons_running)" ]

# Generation 4 over the serial port: DHCP and DNS on lan1 (dnsmasq, started by the agent).
agent apply "$tmp/g4.json" >"$tmp/apply4.out" 2>&1
grep -q '"applied": true' "$tmp/apply4.out" || sed 's/^/# /' "$tmp/apply4.out"
check "generation 4 (DHCP and DNS on lan1) applied over the serial port" \
	grep -q '"applied": true' "$tmp/apply4.out"
# dnsmasq's state in status over the serial port: "STATE PID".
dnsmasq_state() {
	agent status --json 2>/dev/null | python3 -c 'import json, sys
d = (json.load(sys.stdin).get("services") or {}).get("dnsmasq") or {}
print(d.get("state"), d.get("pid"), d.get("last_error"))'
}
dnsmasq_state >"$tmp/dnsmasq1" 2>&1
read -r dnsmasq_run dnsmasq_pid _ <"$tmp/dnsmasq1"
check "status (serial port) shows dnsmasq running: $(cat "$tmp/dnsmasq1")" \
	[ "$dnsmasq_run" = running ]
check "dnsmasq (pid $dnsmasq_pid) runs as user dnsmasq in the agent's cgroup" \
	ssh_root "p=$dnsmasq_pid;"' [ "$(awk "/^Uid:/ { print \$2 }" /proc/$p/status)" = \
		"$(id -u dnsmasq)" ] && grep -q "/vrouterd.service$" /proc/$p/cgroup'
check "vrouterctl status over SSH shows dnsmasq running" \
	ssh_root "vrouterctl status | grep -qE '^ +dnsmasq +running +pid $dnsmasq_pid '"
ssh_root 'vrouterctl status | grep -A3 "^services"; journalctl -q -o cat -t dnsmasq | tail -n 8' \
	2>&1 | sed 's/^/# /'

# Host A asks for an address by DHCP (busybox udhcpc); its script records what it got and
# configures the address and the default route from the router option.
cat >"$tmp/udhcpc.sh" <<'SH'
#!/bin/sh
[ "$1" = bound ] || [ "$1" = renew ] || exit 0
env | grep -E '^(ip|subnet|router|dns|domain|lease|serverid)=' | sort >"$OUT"
ip -4 addr flush dev "$interface"
ip addr add "$ip/24" dev "$interface"
ip route replace default via "$router"
SH
chmod +x "$tmp/udhcpc.sh"
dhcp_a() { # udhcpc once on host A; what it got in $tmp/lease.a
	rm -f "$tmp/lease.a"
	ip netns exec "${hosts[0]}" env OUT="$tmp/lease.a" busybox udhcpc -i eth0 -n -q -f -t 5 \
		-T 2 -s "$tmp/udhcpc.sh" -x hostname:host-a >>"$tmp/udhcpc.log" 2>&1
}
lease_var() { sed -n "s/^$1=//p" "$tmp/lease.a" 2>/dev/null; }
ip -n "${hosts[0]}" -4 addr flush dev eth0
dhcp_a
check "DHCP: host A gets its reserved address $host_a_reserved (got '$(lease_var ip)')" \
	[ "$(lease_var ip)" = "$host_a_reserved" ]
check "DHCP: the router option is lan1's address (got '$(lease_var router)')" \
	[ "$(lease_var router)" = 10.1.0.1 ]
check "DHCP: the DNS server option is the router (got '$(lease_var dns)')" \
	[ "$(lease_var dns)" = 10.1.0.1 ]
check "DHCP: host A's address and default route are in place" \
	ip -n "${hosts[0]}" -4 route get 10.2.0.2 from "$host_a_reserved" >/dev/null
# dig +short prints its timeout message on stdout: only the address lines count.
ask() { # NAME: the router's DNS answers to host A, addresses only
	ip netns exec "${hosts[0]}" dig +short +time=2 +tries=3 @10.1.0.1 "$1" A 2>/dev/null |
		grep -E '^[0-9.]+$'
}
check "DNS: dig @10.1.0.1 host-a answers $host_a_reserved" \
	[ "$(ask host-a)" = "$host_a_reserved" ]
check "DNS: dig @10.1.0.1 host-a.lan.test answers $host_a_reserved" \
	[ "$(ask host-a.lan.test)" = "$host_a_reserved" ]
check "DHCP: host A pings host B through the VM from its leased address" ping_from_a 10.3.0.2

# Generation 5 over SSH: a DNS record more, a reload of dnsmasq (its files re-read as user
# dnsmasq), not a restart.
check "DNS: no record nas.lan.test before generation 5" [ -z "$(ask nas.lan.test)" ]
ssh_root 'vrouterctl apply -' <"$tmp/g5.json" >"$tmp/apply5.out" 2>&1
check "generation 5 (a DNS record more) applied over SSH" \
	grep -q '"applied": true' "$tmp/apply5.out"
dnsmasq_state >"$tmp/dnsmasq2" 2>&1
check "dnsmasq reloaded, not restarted: $(cat "$tmp/dnsmasq1") then $(cat "$tmp/dnsmasq2")" \
	grep -qx "running $dnsmasq_pid None" "$tmp/dnsmasq2"
check "DNS: dig @10.1.0.1 nas.lan.test answers 10.1.0.9 after the reload" \
	[ "$(ask nas.lan.test)" = 10.1.0.9 ]
check "DNS: the reservation still answers after the reload" [ "$(ask host-a)" = "$host_a_reserved" ]
ssh_root 'cat /var/lib/vrouter/services/dnsmasq.leases' >"$tmp/leases1" 2>&1
check "dnsmasq's lease for host A in the state directory" \
	grep -q " $host_a_mac $host_a_reserved " "$tmp/leases1"

# Back-to-back requests over the serial port, each from a new vrouterctl (a new connection to
# the chardev, right after the last one closed): status, plan, and the intent in effect again.
# Every one is answered (exit 0); a lost answer would be exit 4 after the timeout.
serial_requests() { # N
	local i rc lost=0 start=$SECONDS ops=(status "plan $tmp/g5.json" "apply $tmp/g5.json")
	for ((i = 0; i < $1; i++)); do
		# shellcheck disable=SC2086 # the operation and its file are two words
		"$vrouterctl" --serial "$tmp/agent.sock" --timeout 20 ${ops[i % 3]} \
			>/dev/null 2>"$tmp/serial-err"
		rc=$?
		if [ "$rc" -ne 0 ]; then
			lost=$((lost + 1))
			echo "# request $((i + 1)) (${ops[i % 3]%% *}): exit $rc: $(head -c 300 "$tmp/serial-err")"
		fi
	done
	echo "# $1 requests over the serial port in $((SECONDS - start)) s, $lost not answered with exit 0"
	[ "$lost" -eq 0 ]
}
check "1,000 back-to-back requests over the serial port (status, plan, apply), all answered" \
	serial_requests 1000

# A reboot: the same disk, the payload (generation 1) still attached. Generation 5 is in force.
boots=$(grep -ac 'SYSLINUX' "$tmp/console2.log")
check "the operator's guide on the router (the unit's Documentation=)" \
	ssh_root 'systemctl show -P Documentation vrouterd.service | grep -q file:/usr/share/doc/vrouter/operators.md && test -s /usr/share/doc/vrouter/operators.md'
ssh_root 'systemctl reboot' >"$tmp/reboot.out" 2>&1
check "systemctl reboot over SSH says nothing of a missing bus" \
	bash -c "! grep -i 'bus' '$tmp/reboot.out'"
for _ in $(seq 120); do
	[ "$(grep -ac 'SYSLINUX' "$tmp/console2.log")" -gt "$boots" ] && break
	sleep 1
done
check "after a reboot, generation 5 is in force (applied at start; status over the serial port)" \
	agent_until "^5 true boot applied .*lan2=10.2.0.1/24.*lan2=10.3.0.1/24" 300
check "after a reboot, the payload's older generation 1 was left alone" \
	grep -qa 'boot payload ignored: generation 1 is older than the applied 5' "$tmp/console2.log"
check "after a reboot, host A pings host B through the VM" ping_from_a 10.3.0.2
dnsmasq_state >"$tmp/dnsmasq3" 2>&1
check "after a reboot, status shows dnsmasq running: $(cat "$tmp/dnsmasq3")" \
	grep -qE '^running [0-9]+ None$' "$tmp/dnsmasq3"
# SSH starts after the agent's first apply (and the host keys of this boot).
for _ in $(seq 60); do
	ssh_root true 2>/dev/null && break
	sleep 2
done
ssh_root 'cat /var/lib/vrouter/services/dnsmasq.leases' >"$tmp/leases2" 2>&1
check "after a reboot, dnsmasq has host A's lease of before the reboot (state directory)" \
	grep -qxF "$(grep " $host_a_mac " "$tmp/leases1")" "$tmp/leases2"
check "after a reboot, DNS: dig @10.1.0.1 host-a answers $host_a_reserved" \
	[ "$(ask host-a)" = "$host_a_reserved" ]
check "after a reboot, DNS: dig @10.1.0.1 nas.lan.test answers 10.1.0.9" \
	[ "$(ask nas.lan.test)" = 10.1.0.9 ]
ip -n "${hosts[0]}" -4 addr flush dev eth0
dhcp_a
check "after a reboot, DHCP: host A gets $host_a_reserved again (got '$(lease_var ip)')" \
	[ "$(lease_var ip)" = "$host_a_reserved" ]
check "after a reboot, DHCP: the router option is lan1's address (got '$(lease_var router)')" \
	[ "$(lease_var router)" = 10.1.0.1 ]
ssh_root 'systemctl is-enabled keepalived.service conntrackd.service strongswan-starter.service' \
	>"$tmp/units2.out" 2>&1
check "after a reboot, the packages' units are still masked" \
	[ "$(grep -c '^masked$' "$tmp/units2.out")" = 3 ]

# Generation 6 over SSH: VRRP (keepalived) and connection sync (conntrackd), started by the
# agent under its unit's sandbox.
ssh_root 'vrouterctl apply -' <"$tmp/g6.json" >"$tmp/apply6.out" 2>&1
grep -q '"applied": true' "$tmp/apply6.out" || sed 's/^/# /' "$tmp/apply6.out"
check "generation 6 (VRRP with connection sync) applied over SSH" \
	grep -q '"applied": true' "$tmp/apply6.out"
vrrp_state() {
	agent status --json 2>/dev/null | python3 -c 'import json, sys
d = json.load(sys.stdin)
v, s = d.get("vrrp") or {}, d.get("services") or {}
print(v.get("state"), (s.get("keepalived") or {}).get("state"), (s.get("conntrackd") or {}).get("state"))'
}
for _ in $(seq 30); do
	vrrp_state >"$tmp/vrrp1" 2>&1
	grep -qx 'master running running' "$tmp/vrrp1" && break
	sleep 1
done
check "status (serial port): master, keepalived and conntrackd running ($(cat "$tmp/vrrp1"))" \
	grep -qx 'master running running' "$tmp/vrrp1"
check "keepalived and conntrackd run in the agent's cgroup" \
	ssh_root 'for p in $(pidof keepalived conntrackd); do grep -q "/vrouterd.service$" /proc/$p/cgroup || exit 1; done; [ -n "$(pidof keepalived)" ] && [ -n "$(pidof conntrackd)" ]'
# The virtual address as host A's gateway (the router's input policy drops pings to itself).
ip -n "${hosts[0]}" route replace default via 10.1.0.254
check "host A pings host B through the virtual address 10.1.0.254 as its gateway" \
	ping_from_a 10.3.0.2
ip -n "${hosts[0]}" route replace default via 10.1.0.1
ssh_root 'vrouterctl handover' >"$tmp/handover.out" 2>&1
check "a handover without a peer on the sync link is refused ($(tail -1 "$tmp/handover.out"))" \
	grep -q 'not heard on the sync link' "$tmp/handover.out"
ssh_root 'vrouterctl status | sed -n "/^vrrp/,\$p"; journalctl -q -o cat -t Keepalived_vrrp -t conntrackd | tail -n 6' \
	2>&1 | sed 's/^/# /'

# Generation 7 over SSH: IPsec and WireGuard on the image's kernel (its ESP and its WireGuard
# module) to host B, whose ends this script configures by hand.
b=${hosts[1]}
ip -n "$b" addr add 10.9.0.1/32 dev lo
ip -n "$b" addr add 10.7.0.1/32 dev lo
# charon's routes (table 220) take all of 10.1.0.0/24 to its tunnel: WireGuard's replies,
# from 10.7.0.1, use the main table.
ip -n "$b" rule add from 10.7.0.1 lookup main pref 100
vr_hand_charon "$tmp/peer" ip netns exec "$b"
peer_charon=$vr_hand_charon_pid
cat >"$tmp/peer/swanctl.conf" <<EOS
connections {
	to-vm {
		local_addrs = 10.2.0.2
		remote_addrs = 10.2.0.1
		local { auth = psk }
		remote { auth = psk }
		children {
			to-vm {
				local_ts = 10.9.0.0/24
				remote_ts = 10.1.0.0/24
			}
		}
	}
}
secrets { ike-vm { secret = "$ipsec_psk" } }
EOS
vr_hand_swanctl "$tmp/peer" --load-all --noprompt --file "$tmp/peer/swanctl.conf" >/dev/null 2>&1
printf '[Interface]\nPrivateKey = %s\nListenPort = 51821\n\n[Peer]\nPublicKey = %s\nEndpoint = 10.2.0.1:51820\nAllowedIPs = 10.8.0.1/32, 10.1.0.0/24\n' \
	"$wg_b_key" "$wg_vm_pub" >"$tmp/peer/wg.conf"
ip netns exec "$b" unshare --mount -- sh -e -c '
mount -t tmpfs -o mode=755 tmpfs /run
wireguard-go wgb >/dev/null 2>&1
wg setconf wgb "$1"
ip addr add 10.8.0.2/24 dev wgb
ip link set wgb up
ip route add 10.1.0.0/24 dev wgb
sleep 3600' sh "$tmp/peer/wg.conf" &
peer_wg=$!
ssh_root 'vrouterctl apply -' <"$tmp/g7.json" >"$tmp/apply7.out" 2>&1
grep -q '"applied": true' "$tmp/apply7.out" || sed 's/^/# /' "$tmp/apply7.out"
check "generation 7 (IPsec and WireGuard) applied over SSH" grep -q '"applied": true' "$tmp/apply7.out"
vpn_state() {
	agent status --json 2>/dev/null | python3 -c 'import json, sys
v = json.load(sys.stdin).get("vpn") or {}
t = (v.get("ipsec") or {}).get("to-b") or {}
w = ((v.get("wireguard") or {}).get("wg0") or {})
print(v.get("ipsec_data_path"), t.get("ike_state"), t.get("child_sas"), w.get("implementation"))'
}
for _ in $(seq 30); do
	vpn_state >"$tmp/vpn1" 2>&1
	grep -qx 'kernel ESTABLISHED 1 kernel' "$tmp/vpn1" && break
	sleep 1
done
check "status: IPsec on the kernel's ESP, established, WireGuard on the module ($(cat "$tmp/vpn1"))" \
	grep -qx 'kernel ESTABLISHED 1 kernel' "$tmp/vpn1"
check "host A pings host B's 10.9.0.1 through the IPsec tunnel" ping_from_a 10.9.0.1
check "host B pings host A ($host_a_reserved) from 10.9.0.1 through the IPsec tunnel" \
	ip netns exec "$b" ping -q -c 2 -W 2 -I 10.9.0.1 "$host_a_reserved"
check "the VM's kernel holds the tunnel's ESP states (XFRM)" \
	ssh_root '[ "$(ip xfrm state | grep -c "proto esp")" -ge 2 ]'
# The rules naming to-b took those pings in their kernel forms (docs/intent.md): outbound a
# route through a transform, inbound a packet the kernel decrypted.
ssh_root 'nft list chain inet vrouter forward' >"$tmp/forward.nft" 2>&1
tunnel_rule() { # RULE-INDEX: its kernel rule of "ipsec exists" counted packets
	grep -qE "ipsec exists .*counter packets [1-9][0-9]* .*comment \"fw-rule forward/$1 " "$tmp/forward.nft"
}
check "the rule with out: to-b counted the outbound pings (rt ipsec exists)" tunnel_rule 0
check "the rule with in: to-b counted the inbound pings (meta ipsec exists)" tunnel_rule 1
tunnel_rule 0 && tunnel_rule 1 || sed 's/^/# /' "$tmp/forward.nft"
check "host A pings host B's 10.7.0.1 through the WireGuard tunnel" ping_from_a 10.7.0.1
check "host B pings host A ($host_a_reserved) from 10.7.0.1 through the WireGuard tunnel" \
	ip netns exec "$b" ping -q -c 2 -W 2 -I 10.7.0.1 "$host_a_reserved"
check "wg0 is the module's link (kind wireguard)" \
	ssh_root 'ip -d link show wg0 | grep -qw wireguard'
# Generations 8 and 9 over SSH: a second WireGuard peer added, then its allowed IPs changed, on
# the module: only that peer is sent (wg set, wg addconf), b keeps its session.
wg_hs_b() { ssh_root 'wg show wg0 latest-handshakes' | awk -v k="$wg_b_pub" '$1==k {print $2}'; }
hs_b=$(wg_hs_b)
wg_c_pub=$(wg genkey | wg pubkey)
for g in 8 9; do
	python3 - "$tmp/g7.json" $g "$wg_c_pub" >"$tmp/g$g.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["generation"] = int(sys.argv[2])
d["vpn"]["wireguard"]["wg0"]["peers"]["c"] = {
    "public_key": sys.argv[3], "allowed_ips": ["10.6.%s.0/24" % sys.argv[2]]}
json.dump(d, sys.stdout, indent=1)
PY
	ssh_root 'vrouterctl apply -' <"$tmp/g$g.json" >"$tmp/apply$g.out" 2>&1
	check "generation $g (peer c, 10.6.$g.0/24) applied: $(grep -o '"duration_ms": [0-9.]*' "$tmp/apply$g.out")" \
		grep -q '"applied": true' "$tmp/apply$g.out"
done
check "wg0: peer c has its allowed IPs of generation 9" \
	ssh_root "wg show wg0 allowed-ips | grep -qx '$wg_c_pub	10.6.9.0/24'"
check "... and the route to them" ssh_root 'ip route show 10.6.9.0/24 | grep -qw wg0'
check "b kept its session through both (latest handshake $hs_b)" \
	test -n "$hs_b" -a "$(wg_hs_b)" = "$hs_b"
check "host A still pings 10.7.0.1 through the WireGuard tunnel" ping_from_a 10.7.0.1
ssh_root 'vrouterctl status | sed -n "/^ipsec/,\$p"' 2>&1 | sed 's/^/# /'
# Host B's namespace is this script's: its processes (charon, wireguard-go) are its own.
ip netns pids "$b" | xargs -r kill 2>/dev/null
wait "$peer_charon" "$peer_wg" 2>/dev/null
stop_vm

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
