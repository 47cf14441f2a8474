#!/usr/bin/env python3
"""The identity of charon's SAs, from `swanctl --list-sas --raw` on stdin: one line
"IKE-NAME IKE-UNIQUEID SPI-IN SPI-OUT" per installed CHILD SA, sorted. Used by
tests/vpn/ipsec.sh and bench/ipsec.sh to tell whether a tunnel's SAs changed."""
import re
import sys

raw = sys.stdin.read()
lines = []
for ike in re.finditer(r"([\w.-]+) \{uniqueid=(\d+) .*?child-sas \{(.*?)\}\}", raw):
    for c in re.finditer(r"state=INSTALLED .*?spi-in=(\w+) spi-out=(\w+)", ike.group(3)):
        lines.append(f"{ike.group(1)} {ike.group(2)} {c.group(1)} {c.group(2)}")
print("\n".join(sorted(lines)))
