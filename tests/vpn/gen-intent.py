#!/usr/bin/env python3
"""The router's intent for tests/vpn/wireguard.sh: gen-intent.py GENERATION KEYFILE [OPTION...]

KEYFILE holds "NAME KEY" lines (r1-private, b-public, b-psk, c-public). Options:
  site-c            a second peer (its endpoint answers nothing), with b-psk as its preshared key
  site-c-moved      site-c with another allowed prefix and no preshared key
  site-c-bare       site-c-moved without its endpoint and keepalive
  wg1-port=N        a second tunnel listening on port N
  bad-key           site-b's public key not a key
"""
import json
import sys

gen, keyfile, opts = int(sys.argv[1]), sys.argv[2], set(sys.argv[3:])
keys = dict(line.split() for line in open(keyfile))
peers = {
    "site-b": {
        "public_key": "not-a-key" if "bad-key" in opts else keys["b-public"],
        "preshared_key": keys["b-psk"],
        "endpoint": "203.0.113.2:51821",
        "allowed_ips": ["10.2.2.0/24", "10.99.0.2/32"],
    }
}
if opts & {"site-c", "site-c-moved", "site-c-bare"}:
    peers["site-c"] = {
        "public_key": keys["c-public"],
        "allowed_ips": ["10.3.3.0/24" if "site-c" in opts else "10.3.4.0/24"],
    }
    if "site-c-bare" not in opts:
        peers["site-c"].update(endpoint="203.0.113.3:51822", keepalive_seconds=25)
    if "site-c" in opts:
        peers["site-c"]["preshared_key"] = keys["b-psk"]
tunnels = {
    "wg0": {
        "private_key": keys["r1-private"],
        "listen_port": 51820,
        "addresses": ["10.99.0.1/24"],
        "peers": peers,
    }
}
for o in opts:
    if o.startswith("wg1-port="):
        tunnels["wg1"] = {"private_key": keys["r1-private"], "listen_port": int(o[9:]),
                          "addresses": ["10.98.0.1/30"]}
intent = {
    "version": 1,
    "generation": gen,
    "hostname": "r1",
    "interfaces": {
        "lan": {"mac": "52:54:00:00:01:01", "addresses": ["10.1.1.1/24"]},
        "wan": {"mac": "52:54:00:00:01:02", "addresses": ["203.0.113.1/24"]},
    },
    "firewall": {"input": {"policy": "accept"}, "forward": {"policy": "accept"}},
    "vpn": {"wireguard": tunnels},
}
json.dump(intent, sys.stdout, indent=1)
