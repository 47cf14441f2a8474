#!/bin/bash
# The HA test in meson (suite ha): tests/ha/agent.sh once, and only what must hold whatever the
# machine's load: a planned handover (early, late, and 10 back and forth) keeps every TCP stream
# and loses at most 20 probes (a few ms at 1 kHz); kill -9 of the master's agent moves nothing
# and loses at most 5; a hard failure keeps the TCP chat, with a gap under 2 s; after every
# event that moves mastership the new master serves the DHCP client its lease (the same address)
# and both tunnels carry traffic again, each within 10 s (services.sh's probes).
# The measured figures (gaps, losses against the hand-made baseline) are bench/ha.sh's.
#
# Usage: ci.sh VROUTERD VROUTERCTL
# Exit 77 when agent.sh skips (not root, a program missing).
set -u
export VROUTERD=${1:?usage: ci.sh VROUTERD VROUTERCTL} VROUTERCTL=${2:?usage: ci.sh VROUTERD VROUTERCTL}
here=$(dirname "$(realpath "$0")")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

"$here/agent.sh" 100 "$out" | tee "$out/lines"
rc=${PIPESTATUS[0]}
[ "$rc" = 77 ] && exit 77
if [ "$rc" != 0 ]; then
	echo "FAIL agent.sh exited $rc"
	exit 1
fi
python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
failed = 0
def check(what, ok):
    global failed
    print("%s %s" % ("ok  " if ok else "FAIL", what))
    failed += not ok
def run(ev):
    return json.load(open(os.path.join(out, ev + ".json")))
for ev in ["handover", "late-handover", "back-and-forth"]:
    d = run(ev)
    check("%s: the chat intact" % ev, d["chat"]["intact"])
    check("%s: the download intact" % ev, d["download"]["intact"])
    check("%s: at most 20 probes lost (%d)" % (ev, d["udp"]["lost"]), d["udp"]["lost"] <= 20)
d = run("agent-kill")
lines = open(os.path.join(out, "lines")).read()
check("agent-kill: no transition, keepalived not restarted",
      "no transition, keepalived not restarted" in lines)
check("agent-kill: at most 5 probes lost (%d)" % d["udp"]["lost"], d["udp"]["lost"] <= 5)
d = run("hard-failure")
check("hard-failure: the chat intact", d["chat"]["intact"])
check("hard-failure: the longest gap under 2 s (%s ms)" % d["udp"]["longest_gap_ms"],
      d["udp"]["longest_gap_ms"] < 2000)
for ev in ["handover", "late-handover", "hard-failure", "link-down"]:
    s = run(ev)["services"]
    h = s["dhcp"]
    check("%s: the new master acknowledges the DHCP client's lease, the same address, within 10 s "
          "(gap %s ms)" % (ev, h["gap_ms"]),
          h["new_master"] and h["kept"] and h["back_ms"] is not None and h["gap_ms"] < 10000)
    for k in ["ipsec", "wg"]:
        t = s[k]
        check("%s: %s carries traffic again within 10 s (gap %s ms)" % (ev, k, t["gap_ms"]),
              t["gap_ms"] is not None and t["back_ms"] is not None and t["gap_ms"] < 10000)
sys.exit(1 if failed else 0)
PY
