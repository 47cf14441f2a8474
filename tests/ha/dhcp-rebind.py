#!/usr/bin/env python3
"""A DHCP client that keeps rebinding its lease (RFC 2131 4.4.5: what a client whose renewal
went unanswered does), for the HA tests: who serves a LAN host's lease, and when, across a
change of master.

  dhcp-rebind.py IFACE MAC ADDRESS

Broadcasts a DHCPREQUEST with ciaddr ADDRESS (the lease it holds; the address must be on IFACE,
as a bound client's is: the server answers to it) every 20 ms, one transaction, until SIGINT or
SIGTERM; "acknowledged" on stderr at the first ACK. Then prints one JSON object: acks (each DHCPACK: [CLOCK_REALTIME s, server
identifier, the address acknowledged]), naks (how many), sent (requests), end (when it
stopped, CLOCK_REALTIME s)."""
import json
import random
import signal
import socket
import struct
import sys
import time

iface, mac, address = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", "")), sys.argv[3]
xid = random.getrandbits(32)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
s.bind(("0.0.0.0", 68))
request = struct.pack("!BBBBIHH4s4s4s4s16s64s128s4s", 1, 1, 6, 0, xid, 0, 0,
                      socket.inet_aton(address), bytes(4), bytes(4), bytes(4), mac + bytes(10),
                      bytes(64), bytes(128), b"\x63\x82\x53\x63")
request += bytes([53, 1, 3, 255])  # DHCPREQUEST; no server identifier, no requested address

stop = False


def on_signal(*_):
    global stop
    stop = True


signal.signal(signal.SIGINT, on_signal)
signal.signal(signal.SIGTERM, on_signal)


def options(data):
    opts, i, got = data[240:], 0, {}
    while i < len(opts) and opts[i] != 255:
        if opts[i] == 0:
            i += 1
            continue
        if i + 1 >= len(opts):
            break
        code, n = opts[i], opts[i + 1]
        got[code] = opts[i + 2:i + 2 + n]
        i += 2 + n
    return got


out = {"acks": [], "naks": 0, "sent": 0}
next_send = 0.0
while not stop:
    now = time.monotonic()
    if now >= next_send:
        s.sendto(request, ("255.255.255.255", 67))
        out["sent"] += 1
        next_send = now + 0.02
    s.settimeout(max(0.001, next_send - now))
    try:
        data = s.recv(4096)
    except (socket.timeout, InterruptedError):
        continue
    if len(data) < 240 or struct.unpack("!I", data[4:8])[0] != xid:
        continue
    o = options(data)
    kind = o.get(53, b"\0")[0]
    if kind == 6:
        out["naks"] += 1
    elif kind == 5:
        sid = socket.inet_ntoa(o[54]) if len(o.get(54, b"")) == 4 else "?"
        out["acks"].append([round(time.time(), 4), sid, socket.inet_ntoa(data[16:20])])
        if len(out["acks"]) == 1:
            print("acknowledged", file=sys.stderr, flush=True)
out["end"] = round(time.time(), 4)
print(json.dumps(out))
