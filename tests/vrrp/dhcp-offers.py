#!/usr/bin/env python3
"""Sends one DHCPDISCOVER (broadcast flag set) on IFACE from MAC and prints the server
identifier of every DHCPOFFER that arrives within SECONDS, one per line, sorted: which DHCP
servers answer on the link.  Usage: dhcp-offers.py IFACE MAC [SECONDS]"""
import os
import random
import socket
import struct
import sys
import time

iface, mac = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", ""))
wait = float(sys.argv[3]) if len(sys.argv) > 3 else 6.0
xid = random.getrandbits(32)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
s.bind(("0.0.0.0", 68))
packet = struct.pack("!BBBBIHH4s4s4s4s16s64s128s4s", 1, 1, 6, 0, xid, 0, 0x8000,
                     bytes(4), bytes(4), bytes(4), bytes(4), mac + bytes(10), bytes(64),
                     bytes(128), b"\x63\x82\x53\x63")
packet += bytes([53, 1, 1, 255])
s.sendto(packet, ("255.255.255.255", 67))
servers = set()
end = time.monotonic() + wait
while (left := end - time.monotonic()) > 0:
    s.settimeout(left)
    try:
        data = s.recv(4096)
    except socket.timeout:
        break
    if len(data) < 240 or struct.unpack("!I", data[4:8])[0] != xid:
        continue
    opts, i, kind, server = data[240:], 0, None, None
    while i < len(opts) and opts[i] != 255:
        if opts[i] == 0:
            i += 1
            continue
        code, n = opts[i], opts[i + 1]
        if code == 53:
            kind = opts[i + 2]
        elif code == 54:
            server = socket.inet_ntoa(opts[i + 2:i + 6])
        i += 2 + n
    if kind == 2 and server:
        servers.add(server)
for srv in sorted(servers):
    print(srv)
