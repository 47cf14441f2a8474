#!/usr/bin/env python3
"""Writes a large valid intent to stdout: --rules firewall rules, --forwards port forwards,
--hosts DHCP reservations, --one-to-one static NATs (defaults: the issue's sizes)."""
import argparse
import json

ap = argparse.ArgumentParser()
ap.add_argument("--rules", type=int, default=10000)
ap.add_argument("--forwards", type=int, default=1000)
ap.add_argument("--hosts", type=int, default=5000)
ap.add_argument("--one-to-one", type=int, default=0)
ap.add_argument("--generation", type=int, default=1)
a = ap.parse_args()

publics = ["203.0.113.%d/24" % i for i in range(10, 12)]
publics += ["198.18.%d.%d/15" % (i // 250, i % 250 + 1) for i in range(a.one_to_one)]
intent = {
    "version": 1,
    "generation": a.generation,
    "hostname": "r-bench",
    "interfaces": {
        "mgmt": {"mac": "52:54:00:00:00:01", "addresses": ["169.254.3.10/16"], "management": True},
        "public": {"mac": "52:54:00:00:00:02", "addresses": publics},
        "web": {"mac": "52:54:00:00:00:03", "addresses": ["10.1.0.1/16"]},
        "db": {"mac": "52:54:00:00:00:04", "addresses": ["10.2.0.1/16"]},
    },
    "routes": [{"to": "0.0.0.0/0", "via": "203.0.113.1"}],
    "firewall": {
        "sets": {"admins": {"type": "ipv4", "elements": ["198.51.100.0/24"]}},
        "forward": {
            "policy": "drop",
            "rules": [
                {
                    "action": ["accept", "drop", "reject"][i % 3],
                    "in": "web",
                    "out": ["public", "db"][i % 2],
                    "source": ["10.1.%d.%d" % (i // 250 % 256, i % 250 + 1)],
                    "protocol": "tcp",
                    "ports": [1 + i % 65000],
                    "comment": "rule %d" % i,
                }
                for i in range(a.rules)
            ],
        },
    },
    "nat": {
        "source": [{"out": "public", "source": ["10.1.0.0/16"], "to": "203.0.113.10"}],
        "destination": [
            {
                "in": "public",
                "destination": "203.0.113.11",
                "protocol": ["tcp", "udp", "tcp_udp"][i % 3],
                "ports": 10000 + i,
                "to": "10.1.%d.%d" % (i // 250, i % 250 + 1),
                "to_ports": 8080,
            }
            for i in range(a.forwards)
        ],
        "one_to_one": [
            {"interface": "public", "public": publics[2 + i].split("/")[0],
             "private": "10.2.%d.%d" % (i // 250 + 1, i % 250 + 1)}
            for i in range(a.one_to_one)
        ],
    },
    "dhcp": {
        "web": {
            "ranges": [{"start": "10.1.200.1", "end": "10.1.250.250"}],
            "domain": "web.internal",
            "hosts": {
                "h%d" % i: {
                    "mac": "52:54:01:%02x:%02x:%02x" % (i >> 16 & 255, i >> 8 & 255, i & 255),
                    "address": "10.1.%d.%d" % (100 + i // 250, i % 250 + 1),
                }
                for i in range(a.hosts)
            },
        }
    },
}
json.dump(intent, __import__("sys").stdout, indent=1)
