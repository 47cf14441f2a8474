#!/bin/bash
# The ruleset the agent writes is one an operator can save and load again (issue 21): for each
# intent behind a golden file (examples/router.json, pair-a.json, pair-b.json and
# tests/nft/intent-base.json) and for bench/gen-firewall.py's intent (10,000 ACL entries, 1,000
# port forwards, 500 one-to-one NATs):
#   1. applied through the kernel and nftables backends (nft-driver), in a network namespace of
#      its own with veths of the intent's MACs;
#   2. `nft list ruleset` saved, loaded with `nft -f` into a fresh empty namespace, listed
#      again: the two listings are the same, counters aside (`nft -c -f` accepts it first);
#   3. the same for `nft -j list ruleset` and `nft -j -f`, handles aside too (they number
#      what each namespace made, in its order); loaded in parts (json_parts, below). nft 1.0.6 (Debian 12) cannot load back its own
#      JSON of a map whose data is a concatenation (it prints "ipv4_addr . inet_service", its
#      parser refuses that and makes a set of the list form): when a probe finds this nft so,
#      such maps (the port forwards' _pf*) and the rules that use them are left out of the JSON
#      round trip, and the test says which;
#   4. no set element carries a comment the intent did not write: each is the label of an
#      intent rule ("fw-rule CHAIN/N /firewall/CHAIN/rules/N" and the rule's own comment, if
#      it has one) or the tag of an intent's port forward or one-to-one entry ("nat-rule KEY");
#      no set holds the agent's records.
#
# Usage: nft-reload.sh NFT-DRIVER TESTDIR EXAMPLESDIR BENCHDIR
#
# Exit 77 only when namespaces cannot be made (not root) or nft/python3 are missing.
# VALGRIND=1 runs the driver under valgrind.
set -u
driver=$(realpath "${1:?usage: nft-reload.sh NFT-DRIVER TESTDIR EXAMPLESDIR BENCHDIR}")
dir=$(realpath "${2:?usage: nft-reload.sh NFT-DRIVER TESTDIR EXAMPLESDIR BENCHDIR}")
examples=$(realpath "${3:?usage: nft-reload.sh NFT-DRIVER TESTDIR EXAMPLESDIR BENCHDIR}")
bench=$(realpath "${4:?usage: nft-reload.sh NFT-DRIVER TESTDIR EXAMPLESDIR BENCHDIR}")

command -v nft >/dev/null && command -v python3 >/dev/null || { echo "skip: needs nft, python3"; exit 77; }
P=vrnftr-$$
. "$(dirname "$0")/../lib/netns.sh"
vr_require_netns $P

tmp=$(mktemp -d)
cleanup() {
	local ns
	for ns in $(ip netns list | awk -v p="$P-" 'index($1, p) == 1 {print $1}'); do
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

vg=()
[ "${VALGRIND:-}" = 1 ] && vg=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99)

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok: $1"; }
fail() {
	failed=$((failed + 1))
	echo "FAIL: $1"
	[ -s "$tmp/err" ] && head -40 "$tmp/err" | sed 's/^/  | /'
}

# Counters zeroed: the only thing a listing of the same ruleset may differ in.
zero_text() { sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter packets 0 bytes 0/g'; }
# JSON: counters zeroed, handles dropped.
zero_json() {
	python3 -c 'import json, sys
def z(v):
    if isinstance(v, dict):
        v.pop("handle", None)
        if isinstance(v.get("counter"), dict):
            v["counter"] = {"packets": 0, "bytes": 0}
        return {k: z(x) for k, x in v.items()}
    if isinstance(v, list):
        return [z(x) for x in v]
    return v
print(json.dumps(z(json.load(sys.stdin)), indent=1, sort_keys=True))'
}

# without_concat_maps < JSON > JSON: the maps whose data is a concatenation, and the rules
# that use them, left out; their names on stderr.
without_concat_maps() {
	python3 -c 'import json, sys
doc = json.load(sys.stdin)
objs = doc["nftables"]
gone = {o["map"]["name"] for o in objs
        if "map" in o and (isinstance(o["map"].get("map"), list) or " . " in str(o["map"].get("map")))}
def uses(o):
    return "rule" in o and any(json.dumps("@" + n) in json.dumps(o) for n in gone)
doc["nftables"] = [o for o in objs if not ("map" in o and o["map"]["name"] in gone) and not uses(o)]
sys.stderr.write(" ".join(sorted(gone)))
print(json.dumps(doc))'
}

# json_parts DIR < JSON: the listing as files DIR/0.json, DIR/1.json, ... to load in turn with
# `nft -j -f`: the table, chains and empty sets; their elements, 1,000 per file; the rules.
# nft 1.0.6 loads no more than about 2,000 elements with counters in one JSON transaction
# (ENOBUFS), while it loads the same listing as text whole.
json_parts() {
	python3 -c 'import json, os, sys
doc = json.load(sys.stdin)
head, elems, rules = [], [], []
for o in doc["nftables"]:
    k = next(iter(o))
    if k in ("set", "map") and "elem" in o[k]:
        s = dict(o[k])
        e = s.pop("elem")
        for i in range(0, len(e), 1000):
            elems.append({"add": {"element": {"family": s["family"], "table": s["table"],
                                               "name": s["name"], "elem": e[i:i + 1000]}}})
        o = {k: s}
    (rules if k == "rule" else head).append(o)
for i, part in enumerate([head] + [[e] for e in elems] + [rules]):
    json.dump({"nftables": part}, open(os.path.join(sys.argv[1], "%d.json" % i), "w"))' "$1"
}

# fresh NAME: an empty namespace
fresh() { ip netns add "$1" && ip -n "$1" link set lo up; }

# Whether this nft loads back its own JSON of a map with concatenated data.
json_concat_maps=yes
fresh $P-probe || exit 1
fresh $P-probe2 || exit 1
echo 'table inet p { map m { type ipv4_addr : ipv4_addr . inet_service; elements = { 192.0.2.1 : 10.0.0.1 . 80 }; }; }' |
	ip netns exec $P-probe nft -f - || exit 1
ip netns exec $P-probe nft -j list ruleset >"$tmp/probe.json"
if ! ip netns exec $P-probe2 nft -j -f "$tmp/probe.json" 2>/dev/null ||
	[ "$(ip netns exec $P-probe nft list ruleset)" != "$(ip netns exec $P-probe2 nft list ruleset)" ]; then
	json_concat_maps=no
	echo "note: $(nft --version) does not load back its own JSON of a map with concatenated data"
fi
ip netns del $P-probe
ip netns del $P-probe2

check() {
	local name=$1 intent=$2 ns=$P-$1 n=0 mac
	fresh $ns || exit 1
	ip netns exec $ns sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
	for mac in $(python3 -c 'import json, sys
for i in json.load(open(sys.argv[1]))["interfaces"].values(): print(i["mac"])' "$intent"); do
		ip -n $ns link add x$n address $mac type veth peer name y$n || exit 1
		ip -n $ns link set y$n up
		n=$((n + 1))
	done
	echo '{}' >"$tmp/record.json"
	if ip netns exec $ns "${vg[@]}" "$driver" apply "$intent" --record "$tmp/record.json" \
		--nft-records "$tmp/nft-records" >"$tmp/out" 2>"$tmp/err"; then
		pass "$name: applied ($(cat "$tmp/out"))"
	else
		fail "$name: applied"
		ip netns del $ns
		return
	fi

	# text: save, check, load into an empty namespace, list again
	ip netns exec $ns nft list ruleset >"$tmp/saved.nft"
	fresh $ns-text || exit 1
	if ip netns exec $ns-text nft -c -f "$tmp/saved.nft" 2>"$tmp/err"; then
		pass "$name: nft -c -f accepts nft list ruleset"
	else
		fail "$name: nft -c -f accepts nft list ruleset"
	fi
	if ip netns exec $ns-text nft -f "$tmp/saved.nft" 2>"$tmp/err" &&
		ip netns exec $ns-text nft list ruleset >"$tmp/again.nft" &&
		diff -u <(zero_text <"$tmp/saved.nft") <(zero_text <"$tmp/again.nft") >"$tmp/err"; then
		pass "$name: nft list ruleset loaded again lists the same ($(wc -l <"$tmp/saved.nft") lines)"
	else
		fail "$name: nft list ruleset loaded again lists the same"
	fi
	ip netns del $ns-text

	# JSON: the same round trip
	ip netns exec $ns nft -j list ruleset >"$tmp/saved.json"
	local left=
	if [ $json_concat_maps = no ]; then
		without_concat_maps <"$tmp/saved.json" >"$tmp/load.json" 2>"$tmp/left" || exit 1
		[ -s "$tmp/left" ] && left=" (nft $(nft --version | awk '{print $2}'): maps $(cat "$tmp/left") and their rules left out)"
	else
		cp "$tmp/saved.json" "$tmp/load.json"
	fi
	fresh $ns-json || exit 1
	rm -rf "$tmp/parts" && mkdir "$tmp/parts" && json_parts "$tmp/parts" <"$tmp/load.json" || exit 1
	local i=0 loaded=yes
	while [ -f "$tmp/parts/$i.json" ] && [ $loaded = yes ]; do
		ip netns exec $ns-json nft -j -f "$tmp/parts/$i.json" 2>"$tmp/err" || loaded=no
		i=$((i + 1))
	done
	if [ $loaded = yes ] && ip netns exec $ns-json nft -j list ruleset >"$tmp/again.json" &&
		diff -u <(zero_json <"$tmp/load.json") <(zero_json <"$tmp/again.json") >"$tmp/err"; then
		pass "$name: nft -j list ruleset loaded again lists the same$left"
	else
		fail "$name: nft -j list ruleset loaded again lists the same$left"
	fi
	ip netns del $ns-json

	# the comments of set elements: the intent's, nothing of the agent's own
	if python3 - "$intent" "$tmp/saved.json" >"$tmp/err" 2>&1 <<'PY'; then
import json, re, sys

intent = json.load(open(sys.argv[1]))
ruleset = json.load(open(sys.argv[2]))["nftables"]
fw = intent.get("firewall", {})
nat = intent.get("nat", {})
# the public addresses of the intent's port forwards and one-to-one entries
public = {d.get("destination") for d in nat.get("destination", [])}
public |= {o.get("public") for o in nat.get("one_to_one", [])}
label = re.compile(r"fw-rule (input|forward|output)/(\d+) /firewall/\1/rules/\2(?: (.*))?$", re.S)
tag = re.compile(r"nat-rule (dnat/[^/ ]+/([^/ ]+)/[a-z_]+/\d+|one-to-one/([^/ ]+))$")
bad = []
n = 0
for o in ruleset:
    s = o.get("set") or o.get("map")
    if not s:
        continue
    if s["name"].startswith("_objects"):
        bad.append("set %s: the agent's records" % s["name"])
    for e in s.get("elem", []):
        if isinstance(e, list):  # a map's: [key, value]
            e = e[0]
        c = e.get("elem", {}).get("comment") if isinstance(e, dict) else None
        if c is None:
            continue
        n += 1
        m = label.match(c)
        if m:
            rules = fw.get(m.group(1), {}).get("rules", [])
            i = int(m.group(2))
            if i >= len(rules) or m.group(3) != rules[i].get("comment"):
                bad.append("%s: %r is no label of the intent's rules" % (s["name"], c))
            continue
        m = tag.match(c)
        if not m or (m.group(2) or m.group(3)) not in public:
            bad.append("%s: %r is no comment of the intent" % (s["name"], c))
for b in bad[:20]:
    print(b)
print("%d element comments, %d not the intent's" % (n, len(bad)))
sys.exit(1 if bad else 0)
PY
		pass "$name: set elements carry only the intent's comments ($(tail -1 "$tmp/err"))"
	else
		fail "$name: set elements carry only the intent's comments"
	fi
	ip netns del $ns
}

for example in router pair-a pair-b; do
	check $example "$examples/$example.json"
done
check base "$dir/intent-base.json"
python3 "$bench/gen-firewall.py" >"$tmp/firewall.json" || exit 1
check firewall-10000 "$tmp/firewall.json"

echo "passed: $passed, failed: $failed"
[ $failed = 0 ]
