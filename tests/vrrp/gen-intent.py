#!/usr/bin/env python3
"""The intent of router N (1 or 2) of the VRRP tests: a LAN and a WAN virtual address, source
NAT of the LAN to the WAN one, connection sync over a link of their own.
Usage: gen-intent.py N PRIORITY ADVERT_MS PREEMPT(0|1) [GENERATION]"""
import json
import sys

n, prio, advert, preempt = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
gen = int(sys.argv[5]) if len(sys.argv) > 5 else 1
intent = {
    "version": 1,
    "generation": gen,
    "hostname": f"r{n}",
    "interfaces": {
        "lan": {"mac": f"52:54:00:00:0{n}:01", "addresses": [f"10.1.1.{1 + n}/24"]},
        "wan": {"mac": f"52:54:00:00:0{n}:02", "addresses": [f"203.0.113.{1 + n}/24"]},
        "sync": {"mac": f"52:54:00:00:0{n}:03", "addresses": [f"169.254.0.{n}/30"]},
    },
    "firewall": {
        "forward": {"policy": "drop", "rules": [
            {"action": "accept", "in": "lan", "out": "wan"}]},
    },
    "nat": {"source": [{"out": "wan", "source": ["10.1.1.0/24"], "to": "203.0.113.10"}]},
    "dhcp": {"lan": {"ranges": [{"start": "10.1.1.150", "end": "10.1.1.199"}],
                     "lease_seconds": 600}},
    "vrrp": {
        "priority": prio, "advert_interval_ms": advert, "preempt": preempt,
        "groups": {
            "lan": {"interface": "lan", "vrid": 11, "virtual_addresses": ["10.1.1.1/24"]},
            "wan": {"interface": "wan", "vrid": 12, "virtual_addresses": ["203.0.113.10/24"]},
        },
        "sync": {"interface": "sync", "peer": f"169.254.0.{3 - n}"},
    },
}
json.dump(intent, sys.stdout, indent=1)
