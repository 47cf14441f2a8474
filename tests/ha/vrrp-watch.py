#!/usr/bin/env python3
"""Watches the VRRP adverts on a link (stdlib only): who spoke as master, and when.

  vrrp-watch.py IFACE     runs until SIGTERM or SIGINT, then prints ONE JSON object on
                          stdout: for each source address, its adverts' count, the
                          priorities they carried, and the epoch times of the first and
                          the last

Only a master sends adverts (VRRPv2 and v3: IP protocol 112), so a router that is not heard
here never acted as master on this link. A packet socket sees every frame the link gets.
"""
import json
import signal
import socket
import struct
import sys
import time

ETH_P_IP = 0x0800


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(64)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP))
    s.bind((sys.argv[1], 0))
    s.settimeout(0.2)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    seen = {}
    while not stop:
        try:
            frame = s.recv(2048)
        except socket.timeout:
            continue
        except InterruptedError:
            continue
        ip = frame[14:]
        if len(ip) < 20 or ip[9] != 112:
            continue
        ihl = (ip[0] & 0x0F) * 4
        src = socket.inet_ntoa(ip[12:16])
        prio = ip[ihl + 2] if len(ip) > ihl + 2 else None
        t = time.time()
        e = seen.setdefault(src, {"count": 0, "priorities": [], "first": t, "last": t})
        e["count"] += 1
        e["last"] = t
        if prio is not None and prio not in e["priorities"]:
            e["priorities"].append(prio)
    print(json.dumps(seen))


main()
