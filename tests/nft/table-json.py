#!/usr/bin/env python3
# `nft -j list table ...` on stdin, normalized for golden files on stdout: handles and the
# metainfo object dropped, counters zeroed, keys sorted, one value per line. What differs between
# nft versions (Debian 12's 1.0.6, 13's 1.1.3) and says nothing of the ruleset is evened out:
# objects in the order table, sets and maps, chains, rules (each kind in listing order), and the
# table's and chains' comments dropped (1.0.6 does not print them), a set's or map's
# concatenated key or data type as a list (1.0.6 prints a map's as one "a . b" string), and ICMP codes by name (1.1
# prints the number of those its parser would not take back).
import json, sys

KIND_ORDER = {"table": 0, "set": 1, "map": 1, "chain": 2, "rule": 3}
ICMP_CODE_NAMES = {4: "frag-needed"}

def icmp_code(match):
    left = match.get("left")
    field = left.get("payload", {}).get("field") if isinstance(left, dict) else None
    if field == "code" and match.get("right") in ICMP_CODE_NAMES:
        match["right"] = ICMP_CODE_NAMES[match["right"]]

def norm(v):
    if isinstance(v, dict):
        v.pop("handle", None)
        if isinstance(v.get("counter"), dict):
            v["counter"] = {"packets": 0, "bytes": 0}
        if isinstance(v.get("match"), dict):
            icmp_code(v["match"])
        if ("set" in v or "map" in v) and "table" in v:
            for k in ("type", "map"):
                if isinstance(v.get(k), str) and " . " in v[k]:
                    v[k] = v[k].split(" . ")
        return {k: norm(x) for k, x in v.items()}
    if isinstance(v, list):
        return [norm(x) for x in v if not (isinstance(x, dict) and "metainfo" in x)]
    return v

doc = json.load(sys.stdin)
objs = doc.get("nftables", [])
for o in objs:
    for kind in ("table", "chain"):
        if isinstance(o.get(kind), dict):
            o[kind].pop("comment", None)
objs.sort(key=lambda o: KIND_ORDER.get(next(iter(o), ""), 9))
print(json.dumps(norm(doc), indent=1, sort_keys=True))
