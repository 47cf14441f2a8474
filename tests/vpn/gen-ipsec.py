#!/usr/bin/env python3
"""The router's intent for tests/vpn/ipsec.sh: GENERATION and the tunnels to include.

Tunnels (the peer's hand-written swanctl.conf has their other ends):
  t1  IKEv2, AEAD (aes128gcm16), to 192.0.2.2, 10.1.1.0/24 <-> 10.2.1.0/24, initiates
  t2  IKEv1, non-AEAD (aes128-sha256), to 192.0.2.3, <-> 10.2.2.0/24, initiates
  t2b t2 changed (dead peer detection every 10 s instead of 30)
  t3  IKEv2 responder for %any, identities r1.example/p3.example, <-> 10.2.3.0/24
  t4  IKEv2, default proposals, to 192.0.2.5, <-> 10.2.4.0/24, initiates
  bad t5 with a key exchange this strongSwan does not know (charon refuses it)
"""
import json
import sys

PSK = "vrouter-test-psk-6f1c2e9a"


def tunnels(names):
    t = {}
    if "t1" in names:
        t["t1"] = {"remote_address": "192.0.2.2", "remote_subnets": ["10.2.1.0/24"],
                   "ike_proposals": ["aes128gcm16-prfsha256-ecp256"],
                   "esp_proposals": ["aes128gcm16"]}
    if "t2" in names or "t2b" in names:
        t["t2"] = {"remote_address": "192.0.2.3", "remote_subnets": ["10.2.2.0/24"],
                   "ike_version": 1, "ike_proposals": ["aes128-sha256-modp2048"],
                   "esp_proposals": ["aes128-sha256"]}
        if "t2b" in names:
            t["t2"]["dpd_seconds"] = 10
    if "t3" in names:
        t["t3"] = {"remote_address": "%any", "remote_subnets": ["10.2.3.0/24"],
                   "local_id": "r1.example", "remote_id": "p3.example"}
    if "t4" in names:
        t["t4"] = {"remote_address": "192.0.2.5", "remote_subnets": ["10.2.4.0/24"]}
    if "bad" in names:
        t["t5"] = {"remote_address": "192.0.2.6", "remote_subnets": ["10.2.5.0/24"],
                   "ike_proposals": ["aes256gcm16-prfsha384-ecp384-ke1_mlkem768"]}
    for v in t.values():
        v.update({"local_address": "192.0.2.1", "psk": PSK, "local_subnets": ["10.1.1.0/24"]})
    return t


def main():
    generation = int(sys.argv[1])
    names = sys.argv[2:]
    t = tunnels(names)
    # The forward chain names the tunnels: what arrives through one goes to the LAN, what the
    # LAN sends goes out through one; nothing else between the subnets passes.
    forward = [{"action": "accept", "in": "lan", "out": sorted(t)},
               {"action": "accept", "in": sorted(t), "out": "lan"}] if t else []
    intent = {
        "version": 1,
        "generation": generation,
        "hostname": "vpn-r1",
        "interfaces": {
            "lan": {"mac": "52:54:00:00:01:01", "addresses": ["10.1.1.1/24"]},
            "wan": {"mac": "52:54:00:00:01:02", "addresses": ["192.0.2.1/24"]},
        },
        # The peer is the way out, as the Internet would be.
        "routes": [{"to": "0.0.0.0/0", "via": "192.0.2.2"}],
        # Source NAT to the WAN, which traffic between a tunnel's subnets is exempt from.
        "nat": {"source": [{"out": "wan", "source": ["10.1.1.0/24"], "masquerade": True}]},
        "firewall": {"forward": {"policy": "drop", "rules": forward}},
        "vpn": {"ipsec": t},
    }
    json.dump(intent, sys.stdout, indent=1)


main()
