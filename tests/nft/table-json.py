#!/usr/bin/env python3
# `nft -j list table ...` on stdin, normalized for golden files on stdout: handles and the
# metainfo object dropped, counters zeroed, keys sorted, one value per line.
import json, sys

def norm(v):
    if isinstance(v, dict):
        v.pop("handle", None)
        if isinstance(v.get("counter"), dict):
            v["counter"] = {"packets": 0, "bytes": 0}
        return {k: norm(x) for k, x in v.items()}
    if isinstance(v, list):
        return [norm(x) for x in v if not (isinstance(x, dict) and "metainfo" in x)]
    return v

print(json.dumps(norm(json.load(sys.stdin)), indent=1, sort_keys=True))
