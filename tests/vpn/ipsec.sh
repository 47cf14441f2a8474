#!/bin/bash
# IPsec through the agent against a peer it did not configure: the router's vrouterd drives
# charon (strongSwan) on the real kernel, in namespaces the script makes; the far end is a
# second charon whose swanctl.conf this script writes by hand. Hosts behind both ends exchange
# ping and TCP through each tunnel, both ways. IKEv2 and IKEv1, an AEAD and a non-AEAD
# proposal, a responder for %any; a tunnel added and one changed while another carries
# traffic (whose SAs must not change); a tunnel removed (its SAs gone on both ends, nothing
# between its subnets sent in clear); a refused tunnel (exit 2, the SAs as they were); the
# agent killed with -9 (charon and its SAs stay); the pre-shared key nowhere but in 0600 files.
#
# On a kernel without ESP (this project's CI machines) the agent runs charon with
# kernel-libipsec, and the peer uses it too; on a kernel with ESP the agent uses the kernel's.
#
# Usage: ipsec.sh VROUTERD VROUTERCTL
# Exit 77 only when namespaces cannot be made (not root) or a program is missing.
set -u
vrouterd=$(realpath "${1:?usage: ipsec.sh VROUTERD VROUTERCTL}")
ctl=$(realpath "${2:?usage: ipsec.sh VROUTERD VROUTERCTL}")
here=$(dirname "$(realpath "$0")")
charon=/usr/lib/ipsec/charon

for prog in $charon swanctl tshark python3 ping; do
	command -v $prog >/dev/null || { echo "skip: $prog is not installed (scripts/deps test)"; exit 77; }
done

. "$here/../lib/netns.sh"
. "$here/../lib/charon.sh"
vr_own_namespaces VRTEST_IPSEC_NS "$0" "$vrouterd" "$ctl"

tmp=$(mktemp -d)
chmod 755 "$tmp"
passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }
check() { # NAME CMD...
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

holders=() # the namespaces' sleepers, the peer's charon, captures: PIDs this script started
agent=
cleanup() {
	local p
	[ -n "$agent" ] && kill "$agent" 2>/dev/null && wait "$agent" 2>/dev/null
	# charon outlives the agent: only the one of this test (its command line names its file).
	p=$(cat "$tmp/r/state/services/strongswan.pid" 2>/dev/null)
	if [ -n "$p" ] && grep -qa "$tmp/r/etc" "/proc/$p/cmdline" 2>/dev/null; then
		kill "$p"
	fi
	for p in "${holders[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	if [ $failed -ne 0 ]; then
		echo "--- the agent's log"
		tail -40 "$tmp/r/log"
		echo "--- the agent's charon"
		tail -40 "$tmp/r/state/services/strongswan.out"
		echo "--- the peer's charon"
		tail -40 "$tmp/peer/out"
	fi
	[ -n "${VRTEST_KEEP:-}" ] && echo "kept: $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT

for n in r p a b; do newns $n; done
sleep 0.2
# router: lan (to a) and wan (to the peer), named by the agent from their MACs
ip link add ra address 52:54:00:00:01:01 type veth peer name ar
ip link add rp address 52:54:00:00:01:02 type veth peer name pr
ip link set ra netns "$ns_r"
ip link set rp netns "$ns_r"
ip link set ar netns "$ns_a"
ip link set pr netns "$ns_p"
in_ns r ip link set lo up
# the peer: its WAN addresses (one per tunnel) and its LAN to b
ip link add pb type veth peer name bp
ip link set pb netns "$ns_p"
ip link set bp netns "$ns_b"
in_ns p sh -e -c '
ip link set lo up
ip link set pr name wan
for a in 2 3 4 5; do ip addr add 192.0.2.$a/24 dev wan; done
ip link set wan up
ip link set pb name lan
for s in 1 2 3 4; do ip addr add 10.2.$s.1/24 dev lan; done
ip link set lan up
sysctl -qw net.ipv4.ip_forward=1'
in_ns a sh -e -c '
ip link set lo up
ip link set ar name eth0
ip addr add 10.1.1.10/24 dev eth0
ip link set eth0 up
ip route add default via 10.1.1.1'
in_ns b sh -e -c '
ip link set lo up
ip link set bp name eth0
for s in 1 2 3 4; do ip addr add 10.2.$s.10/24 dev eth0; done
ip link set eth0 up
ip route add default via 10.2.1.1'

# ---- the peer, configured by hand (tests/lib/charon.sh)
vr_hand_charon "$tmp/peer" nsenter $(ns_of p)
holders+=($vr_hand_charon_pid)
psk=$(python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import importlib; print(importlib.import_module("gen-ipsec").PSK)' "$here" 2>/dev/null ||
	sed -n 's/^PSK = "\(.*\)"$/\1/p' "$here/gen-ipsec.py")
cat >"$tmp/peer/swanctl.conf" <<EOS
connections {
	t1 {
		local_addrs = 192.0.2.2
		remote_addrs = 192.0.2.1
		proposals = aes128gcm16-prfsha256-ecp256
		local { auth = psk }
		remote { auth = psk }
		children {
			t1 {
				local_ts = 10.2.1.0/24
				remote_ts = 10.1.1.0/24
				esp_proposals = aes128gcm16
			}
		}
	}
	t2 {
		version = 1
		local_addrs = 192.0.2.3
		remote_addrs = 192.0.2.1
		proposals = aes128-sha256-modp2048
		local { auth = psk }
		remote { auth = psk }
		children {
			t2 {
				local_ts = 10.2.2.0/24
				remote_ts = 10.1.1.0/24
				esp_proposals = aes128-sha256
			}
		}
	}
	t3 {
		local_addrs = 192.0.2.4
		remote_addrs = 192.0.2.1
		local { auth = psk
			id = p3.example }
		remote { auth = psk
			id = r1.example }
		children {
			t3 {
				local_ts = 10.2.3.0/24
				remote_ts = 10.1.1.0/24
				start_action = start
			}
		}
	}
	t4 {
		local_addrs = 192.0.2.5
		remote_addrs = 192.0.2.1
		local { auth = psk }
		remote { auth = psk }
		children {
			t4 {
				local_ts = 10.2.4.0/24
				remote_ts = 10.1.1.0/24
			}
		}
	}
}
secrets {
	ike-all {
		secret = "$psk"
	}
}
EOS
pswan() { vr_hand_swanctl "$tmp/peer" "$@"; }
check "the peer's charon loads its hand-written configuration" pswan --load-all --noprompt --file "$tmp/peer/swanctl.conf" >/dev/null

# ---- the router
mkdir -p "$tmp/r"
chmod 755 "$tmp/r"
start_agent() {
	local r=0
	vr_start_agent_ns r "$tmp/r" || r=1
	agent=$vr_agent_pid
	return $r
}
# After kill -9: a new agent in the mount namespace of charon (/run/vrouter is there).
restart_agent() {
	local cpid
	cpid=$(cat "$tmp/r/state/services/strongswan.pid")
	nsenter --net=/proc/$cpid/ns/net --mount=/proc/$cpid/ns/mnt --uts=/proc/$cpid/ns/uts \
		--root=/proc/$cpid/root --wd="$PWD" sh -c 'umask 0077; exec "$@"' sh \
		"$vrouterd" --backend kernel --socket "$tmp/r/agent.sock" --state-dir "$tmp/r/state" \
		--confdir "$tmp/r/etc" --payload "$tmp/r/payload.json" --serial none 2>>"$tmp/r/log" &
	agent=$!
	for _ in $(seq 100); do
		rctl status >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
rctl() { "$ctl" --socket "$tmp/r/agent.sock" "$@"; }
# swanctl against the router's charon, in its mount namespace.
rswan() {
	local cpid
	cpid=$(cat "$tmp/r/state/services/strongswan.pid")
	nsenter --mount=/proc/$cpid/ns/mnt --root=/proc/$cpid/root --wd="$PWD" \
		swanctl "$@" --uri unix:///run/vrouter/charon.vici
}
apply() { # GENERATION TUNNEL...: the agent's exit code
	python3 "$here/gen-ipsec.py" "$@" >"$tmp/intent-$1.json"
	rctl apply "$tmp/intent-$1.json" >"$tmp/apply-$1.out" 2>&1
}
# "IKE-NAME IKE-UNIQUEID SPI-IN SPI-OUT" per installed CHILD SA, sorted: the SAs' identity.
sas() { # r|p: the installed CHILD SAs' identities (tests/vpn/sas.py)
	if [ "$1" = r ]; then rswan --list-sas --raw; else pswan --list-sas --raw; fi 2>/dev/null |
		python3 "$here/sas.py"
}
wait_sas() { # r|p TUNNEL... : all with a CHILD SA installed within 20 s
	local side=$1 t ok
	shift
	for _ in $(seq 100); do
		ok=1
		for t in "$@"; do sas "$side" | grep -q "^$t " || ok=0; done
		[ $ok = 1 ] && return 0
		sleep 0.2
	done
	return 1
}
ping_ab() { # SUBNET-NUMBER: a -> b and b -> a through that tunnel
	in_ns a ping -c 2 -i 0.2 -W 2 -q 10.2.$1.10 >/dev/null &&
		in_ns b ping -c 2 -i 0.2 -W 2 -q -I 10.2.$1.10 10.1.1.10 >/dev/null
}
tcp_ab() { # SUBNET-NUMBER: a TCP exchange each way; the servers saw the hosts' own addresses
	local rc
	nsenter $(ns_of b) python3 "$here/tcp-echo.py" serve 10.2.$1.10 5001 >"$tmp/tcp-b" &
	local s1=$!
	nsenter $(ns_of a) python3 "$here/tcp-echo.py" serve 10.1.1.10 5002 >"$tmp/tcp-a" &
	local s2=$!
	sleep 0.3
	in_ns a python3 "$here/tcp-echo.py" connect 10.2.$1.10 5001 &&
		in_ns b python3 "$here/tcp-echo.py" connect 10.1.1.10 5002 10.2.$1.10
	rc=$?
	wait $s1 $s2 2>/dev/null
	[ $rc = 0 ] && [ "$(cat "$tmp/tcp-b")" = 10.1.1.10 ] && [ "$(cat "$tmp/tcp-a")" = 10.2.$1.10 ]
}

# Everything on the peer's WAN link, for the whole test: the router's LAN addresses must never
# be seen there in clear (only inside ESP).
nsenter $(ns_of p) tshark -q -n -i wan -w "$tmp/wan.pcap" >"$tmp/tshark.out" 2>&1 &
tshark_pid=$!
holders+=($tshark_pid)
for _ in $(seq 50); do grep -q Capturing "$tmp/tshark.out" && break; sleep 0.2; done

check "the agent starts" start_agent
check "apply: t1 (IKEv2, AEAD), t2 (IKEv1, non-AEAD), t3 (responder for %any)" apply 1 t1 t2 t3
check "charon runs (status)" python3 -c '
import json, sys
d = json.loads(sys.argv[1])["services"]
assert d["strongswan"]["state"] == "running", d' "$(rctl status --json)"
data_path=$(cat /proc/$(cat "$tmp/r/state/services/strongswan.pid")/root/run/vrouter/charon-plugins.conf 2>/dev/null)
case $data_path in *kernel-libipsec*) data_path=libipsec ;; *) data_path=kernel ;; esac
echo "     charon's data path: $data_path"
# The remote end of the responder-only tunnel initiates (its first try was before the router).
pswan --initiate --child t3 --timeout 10 >/dev/null 2>&1
check "the SAs of t1, t2 and t3 are installed on the router" wait_sas r t1 t2 t3
check "... and on the peer" wait_sas p t1 t2 t3
for s in 1 2 3; do
	check "t$s: ping both ways between 10.1.1.10 and 10.2.$s.10" ping_ab $s
done
for s in 1 2 3; do
	check "t$s: TCP both ways, addresses kept (no source NAT between the subnets)" tcp_ab $s
done

# The forward chain accepts what goes through a tunnel by naming it (gen-ipsec.py): the pings
# and connections above passed that way. Traffic between t1's subnets in clear, as if from the
# far end (a source of its subnet on the peer, routed past the peer's tunnel), is not t1's:
# the rule that names t1 does not take it, and the policy drops it.
clear_dropped() {
	in_ns p sh -e -c '
ip addr add 10.2.1.99/32 dev lan
ip route add 10.1.1.0/24 via 192.0.2.1 dev wan table 100
ip rule add pref 100 from 10.2.1.99 lookup 100'
	! in_ns p ping -c 3 -i 0.2 -W 1 -q -I 10.2.1.99 10.1.1.10 >/dev/null
}
check "a packet between t1's subnets that arrives in clear is dropped" clear_dropped

# Status: each tunnel as charon shows it over VICI, and the data path charon uses.
status_ipsec() { # JSON TUNNEL...: IKE SA established, CHILD SAs installed, counters, last rekey
	python3 -c '
import datetime, json, sys
vpn = json.loads(sys.argv[1])["vpn"]
assert vpn["ipsec_data_path"] == sys.argv[2], vpn
now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
for t in sys.argv[3:]:
    s = vpn["ipsec"][t]
    assert s["error"] is None and s["ike_state"] == "ESTABLISHED" and s["child_sas"] >= 1, (t, s)
    assert min(s["bytes_in"], s["bytes_out"], s["packets_in"], s["packets_out"]) > 0, (t, s)
    rekey = datetime.datetime.strptime(s["last_rekey"], "%Y-%m-%dT%H:%M:%SZ")
    assert abs((now - rekey).total_seconds()) < 300, (t, s)' "$@"
}
grows() { # BEFORE AFTER TUNNEL: its four counters grew
	python3 -c '
import json, sys
a, b = (json.loads(x)["vpn"]["ipsec"][sys.argv[3]] for x in sys.argv[1:3])
for k in ("bytes_in", "bytes_out", "packets_in", "packets_out"):
    assert b[k] > a[k], (k, a, b)' "$@"
}
st1=$(rctl status --json)
check "status: t1, t2, t3 established with CHILD SAs and traffic counted; data path $data_path" \
	status_ipsec "$st1" $data_path t1 t2 t3
ping_ab 1
st2=$(rctl status --json)
check "status: t1's bytes and packets grow after traffic, both ways" grows "$st1" "$st2" t1
text_status() {
	local out
	out=$(rctl status)
	echo "$out" | grep -E '^(ipsec|  t[0-9] )' | sed 's/^/     /'
	echo "$out" | grep -qx "ipsec       ($data_path)" &&
		echo "$out" | grep -qE '^  t1 +ESTABLISHED, [1-9][0-9]* CHILD SAs?, received [1-9][0-9]* B [1-9][0-9]* packets, sent [1-9][0-9]* B [1-9][0-9]* packets, last rekey 20[0-9-]+T[0-9:]+Z$'
}
check "status (text): the data path and t1's line" text_status
# The data path asked of the kernel here, apart from the agent: an ESP state in b's namespace.
if in_ns b ip xfrm state add src 192.0.2.200 dst 192.0.2.201 proto esp spi 0x100 mode tunnel \
	enc 'cbc(aes)' 0x00112233445566778899aabbccddeeff \
	auth-trunc 'hmac(sha256)' 0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff 128 \
	2>/dev/null; then
	in_ns b ip xfrm state flush
	kernel_path=kernel
else
	kernel_path=libipsec
fi
check "status: the data path is $kernel_path, as the kernel's ESP is $([ $kernel_path = kernel ] && echo there || echo missing)" \
	python3 -c 'import json, sys; assert json.loads(sys.argv[1])["vpn"]["ipsec_data_path"] == sys.argv[2]' "$st2" $kernel_path

# The key: only in root's 0600 files (the tunnels' and the kept intent); not in the agent's
# log, its status or ps.
psk_places() {
	PSK="$psk" python3 -c '
import os, stat, subprocess, sys
psk, root, status = os.environ["PSK"], sys.argv[1], sys.argv[2]
bad, ok = [], []
for d, _, files in os.walk(root):
    for f in files:
        p = os.path.join(d, f)
        st = os.lstat(p)
        if stat.S_ISREG(st.st_mode) and psk.encode() in open(p, "rb").read():
            (ok if stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == 0 else bad).append(p)
if psk in subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout:
    bad.append("ps")
if psk in status:
    bad.append("status")
print("     in 0600 files:", " ".join(sorted(p[len(root) + 1:] for p in ok)))
assert not bad, bad
' "$tmp/r" "$(rctl status --json; rctl status)"
}
check "the pre-shared key is only in root's 0600 files: not in the others, the log, status or ps" psk_places
check "the tunnel files are 0600" test "$(stat -c %a "$tmp"/r/etc/strongswan/conns/*.conf | sort -u)" = 600

# t4 added and t2 changed while t1 carries traffic: t1's and t3's SAs do not change.
before=$(sas r | grep -E '^t(1|3) ')
vr_ping_run a "$tmp/ping-t1" 10.2.1.10 0.05
check "apply: t4 added, t2 changed" apply 2 t1 t2b t3 t4
check "t4's SA is installed" wait_sas r t4
check "t2's SA is installed again" wait_sas r t2
sleep 1
lost=$(vr_ping_lost "$tmp/ping-t1")
check "t1 carried traffic through the change: no ping lost ($lost)" test "$lost" = 0
after=$(sas r | grep -E '^t(1|3) ')
echo "     t1, t3 before: $(echo $before)"
echo "     t1, t3 after:  $(echo $after)"
check "t1's and t3's SAs are the same (IKE unique ids, SPIs)" test -n "$before" -a "$before" = "$after"
check "t4: ping both ways" ping_ab 4
check "t2 (changed): ping both ways" ping_ab 2

# A tunnel charon refuses: a key exchange that the intent's contract has (ML-KEM) but that
# strongSwan before 6.0 does not know. Exit 2, nothing moved. (strongSwan 6 knows every
# proposal the intent accepts: there the case does not arise.)
if $charon --version 2>&1 | grep -qE 'strongSwan [1-5]\.'; then
	before=$(sas r)
	apply 3 t1 t2b t3 t4 bad
	rc=$?
	check "apply of a tunnel charon refuses: exit 2 ($(head -c 300 "$tmp/apply-3.out" | tr '\n' ' '))" test $rc = 2
	check "the refusal names the tunnel" grep -q '/vpn/ipsec/t5' "$tmp/apply-3.out"
	sleep 1
	check "after the refusal the SAs are as they were" test "$(sas r)" = "$before"
	not_loaded() { ! rswan --list-conns | grep -q "^$1:"; }
	check "the refused tunnel is not loaded" not_loaded t5
else
	echo "     (no refusal case: $($charon --version 2>&1) knows ML-KEM)"
fi

# The agent killed with -9: charon and its SAs stay; a new agent adopts it.
cpid=$(cat "$tmp/r/state/services/strongswan.pid")
before=$(sas r)
kill -9 "$agent"
wait "$agent" 2>/dev/null
agent=
check "kill -9 of the agent: t1 still carries traffic" ping_ab 1
check "the agent starts again" restart_agent
check "charon was not restarted" test "$(cat "$tmp/r/state/services/strongswan.pid")" = "$cpid" -a -d /proc/$cpid
check "the new agent reports charon running" python3 -c '
import json, sys
d = json.loads(sys.argv[1])["services"]
assert d["strongswan"]["state"] == "running" and d["strongswan"]["pid"] == int(sys.argv[2]), d' "$(rctl status --json)" "$cpid"
check "the SAs are the same" test "$(sas r)" = "$before"

# t4 removed: its SAs gone on both ends, the others untouched.
before=$(sas r | grep -v '^t4 ')
check "apply: t4 removed" apply 4 t1 t2b t3
gone() { for _ in $(seq 50); do sas $1 | grep -q '^t4 ' || return 0; sleep 0.2; done; return 1; }
check "t4's SAs are gone on the router" gone r
check "t4's SAs are gone on the peer" gone p
check "the other SAs are the same" test "$(sas r)" = "$before"
in_ns a ping -c 3 -i 0.2 -W 1 -q 10.2.4.10 >/dev/null 2>&1
check "t1 still carries traffic" ping_ab 1

# A stuck charon: status answers within its deadline and says why for each tunnel.
stuck() {
	local t0 t1 out
	kill -STOP "$cpid"
	t0=$(date +%s%N)
	out=$(rctl status --json)
	t1=$(date +%s%N)
	kill -CONT "$cpid"
	echo "     status took $(((t1 - t0) / 1000000)) ms"
	[ $(((t1 - t0) / 1000000)) -lt 3000 ] && python3 -c '
import json, sys
s = json.loads(sys.argv[1])["vpn"]["ipsec"]
assert all(t["ike_state"] is None and "no answer" in t["error"] for t in s.values()), s' "$out"
}
check "status with charon stopped (SIGSTOP): answers within its deadline, each tunnel with an error" stuck
check "status after SIGCONT: t1 established again" status_ipsec "$(rctl status --json)" $data_path t1

# IPsec removed from the intent: charon stops.
check "apply: no tunnels" apply 5
stopped() { # PID: gone, or a zombie its reaper has not collected yet
	for _ in $(seq 30); do
		[ -d /proc/$1 ] || return 0
		grep -q '^State:.*Z' /proc/$1/status 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
check "charon stopped" stopped $cpid

kill -INT $tshark_pid
wait $tshark_pid 2>/dev/null
# (After t4 went, pings to its remote subnet are dropped: no rule names their way out. The
# clear packets from 10.2.1.99 are the peer's own, above.)
clear=$(tshark -n -r "$tmp/wan.pcap" -Y 'ip.addr == 10.1.1.0/24 && !(ip.src == 10.2.1.99)' 2>/dev/null | wc -l)
esp=$(tshark -n -r "$tmp/wan.pcap" -Y 'esp' 2>/dev/null | wc -l)
check "the WAN link carried ESP ($esp packets)" test "$esp" -gt 0
check "the LAN's addresses were never on the WAN link in clear ($clear packets)" test "$clear" = 0

echo "$passed passed, $failed failed"
[ $failed = 0 ]
