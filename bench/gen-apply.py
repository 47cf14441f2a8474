#!/usr/bin/env python3
"""The intent of bench/apply.sh: 4 interfaces x 50 addresses (40 IPv4, 10 IPv6 each) and
2,000 routes (1,800 IPv4, 200 IPv6) through gateways on those interfaces, every interface
renamed and given an MTU.

  gen-apply.py [--generation N]   the intent (JSON) on stdout
  gen-apply.py --nics             "NIC MAC" lines: the links to create in the router's
                                  namespace before an apply (nic0..nic3, the intent's MACs)
  gen-apply.py --ip-batch         the same state as an `ip -batch` file for a namespace holding
                                  those NICs: renames, MTUs, links up, addresses, routes
"""
import argparse
import json
import sys

ap = argparse.ArgumentParser()
ap.add_argument("--generation", type=int, default=1)
ap.add_argument("--addresses", type=int, default=50, help="addresses per interface")
ap.add_argument("--routes", type=int, default=2000)
mode = ap.add_mutually_exclusive_group()
mode.add_argument("--nics", action="store_true")
mode.add_argument("--ip-batch", action="store_true")
a = ap.parse_args()

IFACES = [("public", 1500), ("web", 1450), ("db", 9000), ("app", 1400)]
n4 = a.addresses * 4 // 5
n6 = a.addresses - n4


def mac(n):
    return "52:54:00:00:b0:%02x" % (n + 1)


def addrs(n):
    """Addresses of interface n (0-based): 10.N.K.1/24 and fd00:N:K::1/64."""
    return (["10.%d.%d.1/24" % (n + 1, k) for k in range(n4)] +
            ["fd00:%x:%x::1/64" % (n + 1, k) for k in range(n6)])


def routes():
    """(prefix, gateway, interface index): 90 % IPv4, 10 % IPv6, spread over interfaces."""
    n_v6 = a.routes // 10
    for i in range(a.routes - n_v6):
        n = i % 4
        yield ("172.%d.%d.0/24" % (16 + i // 256, i % 256),
               "10.%d.%d.2" % (n + 1, i // 4 % n4), n)
    for i in range(n_v6):
        n = i % 4
        yield ("fd10:%x::/48" % i, "fd00:%x:%x::2" % (n + 1, i // 4 % n6), n)


if a.nics:
    for n in range(len(IFACES)):
        print("nic%d %s" % (n, mac(n)))
elif a.ip_batch:
    for n, (name, mtu) in enumerate(IFACES):
        print("link set dev nic%d name %s mtu %d up" % (n, name, mtu))
    for n, (name, _) in enumerate(IFACES):
        for p in addrs(n):
            print("address add %s dev %s" % (p, name))
    for to, via, n in routes():
        print("route add %s via %s dev %s" % (to, via, IFACES[n][0]))
else:
    intent = {
        "version": 1,
        "generation": a.generation,
        "hostname": "r-apply",
        "interfaces": {
            name: {"mac": mac(n), "addresses": addrs(n), "mtu": mtu}
            for n, (name, mtu) in enumerate(IFACES)
        },
        "routes": [{"to": to, "via": via, "interface": IFACES[n][0]}
                   for to, via, n in routes()],
    }
    json.dump(intent, sys.stdout, indent=1)
    sys.stdout.write("\n")
