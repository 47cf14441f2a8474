# shellcheck shell=bash
# Sourced by baseline.sh and agent.sh after topo.sh and events.sh: the services across the
# events (issue 18: "the time until a DHCP renew and an IPsec tunnel work on the new master"),
# the same far end and probes for both. The routers' side is the caller's (agent.sh: the
# intents; baseline.sh: dnsmasq, charon and wireguard-go driven by keepalived's notify).
#
#   svc_far        the far end, in server (by hand): 10.9.0.1 and 10.7.0.1 on lo; a charon
#                  (tests/lib/charon.sh, kernel-libipsec) with the tunnel "far" (local
#                  203.0.113.100 10.9.0.0/24, remote the WAN virtual address 10.1.1.0/24, psk
#                  $svc_psk, responder); a wireguard-go wgb (listen 51821, its peer the routers'
#                  shared key $svc_wg_pub, endpoint the WAN virtual address, allowed 10.1.1.0/24
#                  and 10.8.0.1; address 10.8.0.2/24). The routers' private key: $svc_wg_key,
#                  the far end's public key: $svc_far_pub.
#   svc_dhcpc      a namespace dhcpc on swlan (MAC 02:00:00:aa:00:66) and a lease from the
#                  master (udhcpc), its address put on eth0 as a bound client does: $svc_lease
#   svc_ready      the tunnels carry the client's pings (10 s at most), or die
#   svc_start EVENT          (from traffic_start) pings from client through each tunnel, 50/s,
#                            and dhcpc rebinding its lease, 50/s (tests/ha/dhcp-rebind.py;
#                            one such probe at a time: an event nested in another has none)
#   svc_dhcp EVENT T-NS NEW-MASTER-LAN-ADDRESS
#                            at the event: the server that must answer the lease after it
#   svc_stop EVENT T-NS      (from traffic_stop) the probes ended, once both tunnels answer
#                            again (20 s at most); their figures merged into $tmp/EVENT.json as
#                            "services" and printed on a line of their own: for dhcp, ipsec and
#                            wg the longest gap between two answers (ACKs; replies through the
#                            tunnel), ms, and when answers came again after it, ms after the
#                            event; for dhcp also whether the new master served it last and
#                            the address stayed the same

svc_psk=vrouter-ha-bench-5c1d07
svc_wg_key=$(wg genkey)
svc_wg_pub=$(wg pubkey <<<"$svc_wg_key")
svc_far_key=$(wg genkey)
svc_far_pub=$(wg pubkey <<<"$svc_far_key")
svc_on=

svc_far() {
	local d="$tmp/far"
	mkdir -p "$d"
	ha_in server ip addr add 10.9.0.1/32 dev lo
	ha_in server ip addr add 10.7.0.1/32 dev lo
	# charon's table 220 routes all of 10.1.1.0/24 into the IPsec tunnel: WireGuard's replies
	# (from 10.7.0.1) take the main table, where 10.1.1.0/24 is wgb.
	ha_in server ip rule add from 10.7.0.1 lookup main pref 100
	# shellcheck disable=SC2046 # several arguments, no spaces within one
	vr_hand_charon "$d" nsenter $(ha_nsargs server) || die "the far end's charon does not start"
	ha_pids+=("$vr_hand_charon_pid")
	cat >"$d/swanctl.conf" <<EOS
connections {
	far {
		local_addrs = 203.0.113.100
		remote_addrs = 203.0.113.10
		local { auth = psk }
		remote { auth = psk }
		children {
			far {
				local_ts = 10.9.0.0/24
				remote_ts = 10.1.1.0/24
			}
		}
	}
}
secrets {
	ike-all {
		secret = "$svc_psk"
	}
}
EOS
	vr_hand_swanctl "$d" --load-all --noprompt --file "$d/swanctl.conf" >"$d/load.out" 2>&1 ||
		die "the far end's charon refuses its configuration: $(cat "$d/load.out")"

	(
		umask 077
		cat >"$d/wgb.conf" <<EOC
[Interface]
PrivateKey = $svc_far_key
ListenPort = 51821

[Peer]
PublicKey = $svc_wg_pub
Endpoint = 203.0.113.10:51820
AllowedIPs = 10.1.1.0/24, 10.8.0.1/32
EOC
	)
	# wireguard-go's UAPI socket is under /run: a /run of its own. It ends with its link.
	ha_bg server unshare --mount -- sh -c '
		mount -t tmpfs -o mode=755 tmpfs /run &&
		wireguard-go wgb >/dev/null 2>&1 &&
		wg setconf wgb "$1" &&
		ip addr add 10.8.0.2/24 dev wgb && ip link set dev wgb up &&
		ip route add 10.1.1.0/24 dev wgb && exec sleep 100000' sh "$d/wgb.conf"
	wait_for 10 "the far end's wgb" ha_in server ip link show dev wgb >/dev/null 2>&1
	wait_for 10 "the far end's route through wgb" sh -c \
		"nsenter $(ha_nsargs server) ip route show 10.1.1.0/24 | grep -q wgb"
	svc_on=1
}

svc_far_cleanup() { # wireguard-go ends with its link (and would otherwise hold the namespace)
	[ -n "$svc_on" ] && ha_in server ip link del wgb 2>/dev/null
	return 0
}

svc_dhcpc() {
	local got
	ha_newns dhcpc
	ha_wait_ns dhcpc || die "namespace dhcpc"
	ha_in dhcpc ip link set dev lo up
	ip link add dhcpc type veth peer name hdhcpc address 02:00:00:aa:00:66
	ip link set dev dhcpc master swlan up
	ip link set dev hdhcpc netns "$ha_ns_dhcpc"
	ha_in dhcpc ip link set dev hdhcpc name eth0
	ha_in dhcpc ip link set dev eth0 up
	got=$(ha_in dhcpc busybox udhcpc -i eth0 -n -q -f -t 6 -T 2 -s /bin/true 2>&1 |
		sed -n 's/.*lease of \([0-9.]*\) obtained from \([0-9.]*\).*/\1/p')
	[ -n "$got" ] || die "no DHCP lease for the client dhcpc"
	svc_lease=$got
	ha_in dhcpc ip addr add "$svc_lease/24" dev eth0
}

svc_ready() {
	wait_for 15 "the IPsec tunnel carries the client's pings" \
		ha_in client ping -c1 -W1 -q 10.9.0.1 >/dev/null
	wait_for 15 "the WireGuard tunnel carries the client's pings" \
		ha_in client ping -c1 -W1 -q 10.7.0.1 >/dev/null
}

declare -A svc_pids svc_expect # EVENT -> its probes' PIDs; the new master's LAN address
svc_dhcp_owner= # the event whose DHCP probe runs (one at a time: the server answers a port)
svc_start() { # EVENT
	[ -n "$svc_on" ] || return 0
	svc_ready
	ha_bg client ping -D -O -n -i 0.02 10.9.0.1 >"$tmp/$1.ipsec" 2>&1
	svc_pids[$1]=$ha_bg_pid
	ha_bg client ping -D -O -n -i 0.02 10.7.0.1 >"$tmp/$1.wg" 2>&1
	svc_pids[$1]+=" $ha_bg_pid"
	if [ -z "$svc_dhcp_owner" ]; then
		ha_bg dhcpc python3 "$here/dhcp-rebind.py" eth0 02:00:00:aa:00:66 "$svc_lease" \
			>"$tmp/$1.dhcp" 2>"$tmp/$1.dhcp-err"
		svc_pids[$1]+=" $ha_bg_pid"
		svc_dhcp_owner=$1
		wait_for 5 "$1: the DHCP client's lease acknowledged before the event" \
			grep -q acknowledged "$tmp/$1.dhcp-err"
	fi
	# (the probes answered before the event: a gap is measured from the last answer before it)
	wait_for 5 "$1: pings through the IPsec tunnel before the event" svc_answers "$tmp/$1.ipsec"
	wait_for 5 "$1: pings through the WireGuard tunnel before the event" svc_answers "$tmp/$1.wg"
}

svc_dhcp() { # EVENT T-NS NEW-MASTER-LAN-ADDRESS (T-NS: traffic_stop's)
	svc_expect[$1]=$3
}

# The last line of a ping's output with a time is a reply: the tunnel answers.
svc_answers() { # FILE
	grep '^\[' "$1" | tail -1 | grep -q ' bytes from '
}

svc_stop() { # EVENT T-NS
	local p
	[ -n "$svc_on" ] || return 0
	# A tunnel that has not come back yet: its gap is measured to its end (20 s at most).
	for _ in $(seq 200); do
		svc_answers "$tmp/$1.ipsec" && svc_answers "$tmp/$1.wg" && break
		sleep 0.1
	done
	for p in ${svc_pids[$1]}; do
		kill -INT "$p" 2>/dev/null
		wait "$p" 2>/dev/null
		ha_forget "$p"
	done
	[ "$svc_dhcp_owner" = "$1" ] && svc_dhcp_owner=
	python3 - "$tmp/$1" "$2" "${svc_expect[$1]:-}" "$svc_lease" <<'PY'
import json, os, re, sys
base, t_ev, expect, lease = sys.argv[1], int(sys.argv[2]) / 1e9, sys.argv[3], sys.argv[4]
def gaps(times, last):
    # The longest gap between two answers (times), counting the open one up to the last
    # request (last) when no answer came after it; back: when answers came again after it,
    # in ms after the event (None: never, or no answer after the event at all).
    if not times:
        return {"gap_ms": None, "back_ms": None}
    g, back = 0.0, None
    if times[0] > t_ev:  # (none before the event: the gap from the event)
        g, back = times[0] - t_ev, times[0]
    for a, b in zip(times, times[1:]):
        if b - a > g:
            g, back = b - a, b
    if last - times[-1] > g:
        g, back = last - times[-1], None
    if times[-1] < t_ev:
        back = None
    return {"gap_ms": round(g * 1000), "back_ms": None if back is None else round((back - t_ev) * 1000)}
def ping(f):
    got, last = [], 0.0
    for line in open(f):
        m = re.match(r"\[(\d+\.\d+)\] (\d+ bytes from)?", line)
        if m:
            last = float(m.group(1))
            if m.group(2):
                got.append(last)
    return gaps(got, last)
s = {"ipsec": ping(base + ".ipsec"), "wg": ping(base + ".wg")}
if expect and os.path.exists(base + ".dhcp") and os.path.getsize(base + ".dhcp"):
    h = json.load(open(base + ".dhcp"))
    acks = h["acks"]
    d = gaps([a[0] for a in acks], h["end"])
    d["kept"] = all(a[2] == lease for a in acks)
    d["served_by"] = acks[-1][1] if acks else None
    d["new_master"] = bool(acks) and acks[-1][1] == expect
    d["naks"] = h["naks"]
    s["dhcp"] = d
d = json.load(open(base + ".json"))
d["services"] = s
json.dump(d, open(base + ".json", "w"))
def gap(k):
    t = s[k]
    if t["gap_ms"] is None:
        return "%s NO ANSWER" % k
    return "%s gap %d ms%s" % (k, t["gap_ms"], " (never back)" if t["back_ms"] is None
                               else "" if t["back_ms"] < 0 else " (back at +%d ms)" % t["back_ms"])
line = "               (services: "
if "dhcp" in s:
    h = s["dhcp"]
    line += gap("dhcp") + ("" if h["new_master"] else " NOT SERVED BY THE NEW MASTER") + \
        ("" if h["kept"] else " ADDRESS CHANGED") + ", "
print(line + gap("ipsec") + ", " + gap("wg") + ")")
PY
}
