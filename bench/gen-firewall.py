#!/usr/bin/env python3
"""The policy of bench/firewall.sh, as an intent and as the baselines it is measured against:
--rules forward ACL entries (default 10,000), --forwards port forwards (1,000), --one-to-one
static NATs (500), on a router with three NICs (public, web, db).

  gen-firewall.py [--generation N] [--base] [--change K]
        the intent (JSON). --base: the same interfaces, addresses and routes without the
        firewall and NAT; --change K: port forward K forwarded to another port (8081);
        --variant: another policy of the same size (bench/soak.sh alternates the two): every
        fourth ACL entry's action moved on (accept, drop, reject) and every tenth port forward
        to port 8081
  gen-firewall.py --nics          "NIC MAC" lines of the router's links (nic0..nic2)
  gen-firewall.py --nft-linear    the same policy for `nft -f`, one rule per entry, forward
                                  and one-to-one (the way iptables would)
  gen-firewall.py --nft-sets      the same policy for `nft -f` with a verdict map for the ACL
                                  and maps for the NATs, counters on every element
  gen-firewall.py --nft-sets-split  the same with the agent's layout of the ACL: the entries
                                  of one address and one port in a hash verdict map, those
                                  with a port range in an interval map beside it
  gen-firewall.py --nft-change K  for `nft -f` over --nft-sets: forward K to port 8081
  gen-firewall.py --iptables      the same policy for `iptables-restore` (IPv4 only, linear)
  gen-firewall.py --nft-commands  the linear policy as one `nft` command per line (a file
                                  of arguments for the per-rule baseline; the first lines make
                                  the table and chains)
  gen-firewall.py --flow          "PUBLIC PORT SERVER SERVER-PORT" of the port forward the
                                  throughput test goes through (the last TCP forward)
  gen-firewall.py --flows         "NAME PROTOCOL SOURCE PORT OUT" of the new flows bench/flows.sh
                                  sends from the web side: for TCP and UDP, the first, middle and
                                  last accepted ACL entry, the last TCP one of a single port
                                  (tcp-last1), and a flow that matches no entry
  gen-firewall.py --nft-minimal   a minimal stateful ruleset for the same router: conntrack
                                  (established/related accepted, invalid dropped), the web side
                                  forwarded, NAT hooks with its source NAT to the public side

--flow-route adds to the intent a route to 10.3.0.0/16 (FLOW_NET) via 10.2.0.2 on the db side,
where bench/flows.sh sends its db-bound flows (a new destination for each packet).

Every ACL entry has its own source address (10.1.0.0/16 in the web network) so no two entries
overlap: the verdict map is the same policy as the rules in order. Actions cycle through accept,
drop and reject; protocols through tcp and udp; one entry in ten has a port range.
"""
import argparse
import ipaddress
import json
import sys

ap = argparse.ArgumentParser()
ap.add_argument("--rules", type=int, default=10000)
ap.add_argument("--forwards", type=int, default=1000)
ap.add_argument("--one-to-one", type=int, default=500)
ap.add_argument("--generation", type=int, default=1)
ap.add_argument("--base", action="store_true")
ap.add_argument("--change", type=int, default=-1)
ap.add_argument("--flow-route", action="store_true")
ap.add_argument("--variant", action="store_true")
mode = ap.add_mutually_exclusive_group()
for m in ("nics", "nft-linear", "nft-sets", "nft-sets-split", "iptables", "nft-commands",
          "flow", "flows", "nft-minimal"):
    mode.add_argument("--" + m, action="store_true")
mode.add_argument("--nft-change", type=int, default=-1)
a = ap.parse_args()

NICS = [("public", "52:54:00:00:f0:01"), ("web", "52:54:00:00:f0:02"),
        ("db", "52:54:00:00:f0:03")]
SNAT_TO = "203.0.113.10"
PF_ADDR = "203.0.113.11"
GATEWAY = "203.0.113.1"
FLOW_NET, FLOW_VIA = "10.3.0.0/16", "10.2.0.2"


def acl():
    """(action, out, source, protocol, (first, last)) of each entry."""
    for i in range(a.rules):
        first = 1 + i % 60000
        last = first + 9 if i % 10 == 9 else first
        shift = 1 if a.variant and i % 4 == 0 else 0
        yield (["accept", "drop", "reject"][(i + shift) % 3], ["public", "db"][i // 3 % 2],
               "10.1.%d.%d" % (i // 250 % 256, i % 250 + 1), ["tcp", "udp"][i // 6 % 2],
               (first, last))


def forwards():
    """(protocols, public port, private address, private port) of each port forward."""
    for i in range(a.forwards):
        proto = ["tcp", "udp", "tcp_udp"][i % 3]
        to_port = 8081 if i in (a.change, a.nft_change) or (a.variant and i % 10 == 0) else 8080
        yield ((["tcp", "udp"] if proto == "tcp_udp" else [proto]), proto, 10000 + i,
               "10.1.%d.%d" % (200 + i // 250, i % 250 + 1), to_port)


def one_to_one():
    """(public, private) of each static NAT."""
    base = int(ipaddress.ip_address("198.18.0.1"))
    for i in range(a.one_to_one):
        yield (str(ipaddress.ip_address(base + i)), "10.2.%d.%d" % (i // 250 + 1, i % 250 + 1))


def ports(p, sep="-"):
    return "%d" % p[0] if p[0] == p[1] else "%d%s%d" % (p[0], sep, p[1])


def intent():
    publics = ["%s/24" % SNAT_TO, "%s/24" % PF_ADDR] + ["%s/15" % p for p, _ in one_to_one()]
    doc = {
        "version": 1,
        "generation": a.generation,
        "interfaces": {
            "public": {"mac": NICS[0][1], "addresses": publics},
            "web": {"mac": NICS[1][1], "addresses": ["10.1.0.1/16"]},
            "db": {"mac": NICS[2][1], "addresses": ["10.2.0.1/16"]},
        },
        "routes": [{"to": "0.0.0.0/0", "via": GATEWAY}],
    }
    if a.flow_route:
        doc["routes"].append({"to": FLOW_NET, "via": FLOW_VIA})
    if a.base:
        return doc
    rules = []
    for i, (action, out, src, proto, p) in enumerate(acl()):
        rules.append({"action": action, "in": "web", "out": out, "source": [src],
                      "protocol": proto, "ports": [p[0] if p[0] == p[1] else ports(p)],
                      "comment": "acl %d" % i})
    doc["firewall"] = {"forward": {"policy": "drop", "rules": rules}}
    doc["nat"] = {
        "source": [{"out": "public", "source": ["10.1.0.0/16"], "to": SNAT_TO}],
        "destination": [{"in": "public", "destination": PF_ADDR, "protocol": proto,
                         "ports": port, "to": to, "to_ports": to_port}
                        for _, proto, port, to, to_port in forwards()],
        "one_to_one": [{"interface": "public", "public": pub, "private": priv}
                       for pub, priv in one_to_one()],
    }
    return doc


# The always-on part of the agent's policy, the same in every baseline: established/related
# accepted, invalid dropped, loopback accepted, the ICMP errors path MTU discovery needs.
NFT_HEAD = """\
table inet bench {
\tchain input {
\t\ttype filter hook input priority filter; policy drop;
\t\tct state established,related accept
\t\tct state invalid drop
\t\tiifname "lo" accept
\t\ticmp type { destination-unreachable, time-exceeded, parameter-problem } accept
\t\ticmpv6 type { destination-unreachable, packet-too-big, time-exceeded, parameter-problem, \
nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert } accept
\t}
\tchain output {
\t\ttype filter hook output priority filter; policy accept;
\t}
\tchain rej {
\t\treject
\t}
"""
FWD_HEAD = [
    "ct state established,related accept",
    "ct state invalid drop",
    "icmp type { destination-unreachable, time-exceeded, parameter-problem } accept",
    "icmpv6 type { destination-unreachable, packet-too-big, time-exceeded, "
    "parameter-problem } accept",
]


def verdict(action, linear=True):
    if action == "reject" and not linear:
        return "jump rej"
    return action


def linear_rules():
    """(chain, rule) of the linear policy, in order, after the heads."""
    for action, out, src, proto, p in acl():
        yield ("forward", 'iifname "web" oifname "%s" ip saddr %s %s dport %s counter %s' %
               (out, src, proto, ports(p), verdict(action)))
    for protos, _, port, to, to_port in forwards():
        for proto in protos:
            yield ("forward", 'iifname "public" ip daddr %s %s dport %d ct status dnat '
                   'counter accept' % (to, proto, to_port))
    for pub, priv in one_to_one():
        yield ("forward", 'iifname "public" ip daddr %s ct status dnat counter accept' % priv)
    for protos, _, port, to, to_port in forwards():
        for proto in protos:
            yield ("dstnat", "ip daddr %s %s dport %d dnat ip to %s:%d" %
                   (PF_ADDR, proto, port, to, to_port))
    for pub, priv in one_to_one():
        yield ("dstnat", "ip daddr %s dnat ip to %s" % (pub, priv))
    for pub, priv in one_to_one():
        yield ("srcnat", 'oifname "public" ip saddr %s snat ip to %s' % (priv, pub))
    yield ("srcnat", 'oifname "public" ip saddr 10.1.0.0/16 snat ip to %s' % SNAT_TO)
    # Hairpin: what was forwarded back into the network it came from.
    yield ("srcnat", 'oifname "web" ip saddr 10.1.0.0/16 ct status dnat masquerade')


def nft_linear():
    out = [NFT_HEAD]
    chains = {"forward": "type filter hook forward priority filter; policy drop;",
              "dstnat": "type nat hook prerouting priority dstnat; policy accept;",
              "srcnat": "type nat hook postrouting priority srcnat; policy accept;"}
    body = {c: [] for c in chains}
    body["forward"] += FWD_HEAD
    for chain, rule in linear_rules():
        body[chain].append(rule)
    for c, head in chains.items():
        out.append("\tchain %s {\n\t\t%s\n" % (c, head))
        out.extend("\t\t%s\n" % r for r in body[c])
        out.append("\t}\n")
    out.append("}\n")
    return "".join(out)


def nft_sets(split=False):
    """split: each ACL map as two, `_x` (hash: the entries of a single port) and `_r` (the
    entries with a range; flags interval), as the agent lays them out."""
    groups = {}
    for action, out, src, proto, p in acl():
        kind = ("_x" if p[0] == p[1] else "_r") if split else ""
        groups.setdefault((out, proto + kind), []).append(
            "%s . %s : %s" % (src, ports(p), verdict(action, False)))
    pf = {}
    for protos, _, port, to, to_port in forwards():
        for proto in protos:
            pf.setdefault(proto, []).append("%s . %d : %s . %d" % (PF_ADDR, port, to, to_port))
    o2o = list(one_to_one())
    out = [NFT_HEAD]
    for (o, proto), elems in sorted(groups.items()):
        out.append("\tmap acl_%s_%s {\n\t\ttype ipv4_addr . inet_service : verdict\n"
                   "%s\t\tcounter\n\t\telements = { %s }\n\t}\n" %
                   (o, proto, "" if proto.endswith("_x") else "\t\tflags interval\n",
                    ", ".join(elems)))
    for proto, elems in sorted(pf.items()):
        out.append("\tmap pf_%s {\n\t\ttype ipv4_addr . inet_service : ipv4_addr . inet_service\n"
                   "\t\telements = { %s }\n\t}\n" % (proto, ", ".join(elems)))
    out.append("\tset open {\n\t\ttype ipv4_addr . inet_proto . inet_service\n"
               "\t\tflags interval\n\t\tcounter\n\t\telements = { %s }\n\t}\n" % ", ".join(
                   ["%s . %s . %d" % (to, proto, to_port)
                    for protos, _, _, to, to_port in forwards() for proto in protos] +
                   ["%s . 0-255 . 0-65535" % priv for _, priv in o2o]))
    for name, pairs in (("o2o_in", [(p, q) for p, q in o2o]),
                        ("o2o_out", [(q, p) for p, q in o2o])):
        out.append("\tmap %s {\n\t\ttype ipv4_addr : ipv4_addr\n\t\telements = { %s }\n\t}\n" %
                   (name, ", ".join("%s : %s" % x for x in pairs)))
    fwd = list(FWD_HEAD)
    for (o, proto) in sorted(groups):
        fwd.append('iifname "web" oifname "%s" ip saddr . %s dport vmap @acl_%s_%s' %
                   (o, proto.split("_")[0], o, proto))
    fwd.append('iifname "public" ct status dnat ip daddr . meta l4proto . th dport @open accept')
    out.append("\tchain forward {\n\t\ttype filter hook forward priority filter; policy drop;\n")
    out.extend("\t\t%s\n" % r for r in fwd)
    out.append("\t}\n")
    out.append("\tchain dstnat {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n")
    for proto in sorted(pf):
        out.append("\t\tmeta l4proto %s dnat ip to ip daddr . %s dport map @pf_%s\n" %
                   (proto, proto, proto))
    out.append("\t\tdnat ip to ip daddr map @o2o_in\n\t}\n")
    out.append("\tchain srcnat {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
               '\t\toifname "public" snat ip to ip saddr map @o2o_out\n'
               '\t\toifname "public" ip saddr 10.1.0.0/16 snat ip to %s\n'
               '\t\toifname "web" ip saddr 10.1.0.0/16 ct status dnat masquerade\n\t}\n}\n' %
               SNAT_TO)
    return "".join(out)


def nft_minimal():
    return ("table inet bench {\n"
            "\tchain forward {\n\t\ttype filter hook forward priority filter; policy drop;\n"
            "\t\tct state established,related accept\n\t\tct state invalid drop\n"
            '\t\tiifname "web" accept\n\t}\n'
            "\tchain dstnat {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
            "\t}\n"
            "\tchain srcnat {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
            '\t\toifname "public" ip saddr 10.1.0.0/16 snat ip to %s\n\t}\n}\n' % SNAT_TO)


def flows():
    """(name, protocol, source, port, out) of bench/flows.sh's flows."""
    # (not from 10.1.0.1 or .2: the router's and the sending host's own addresses)
    entries = [(i, e) for i, e in enumerate(acl())
               if e[0] == "accept" and e[2] not in ("10.1.0.1", "10.1.0.2")]
    for proto in ("tcp", "udp"):
        mine = [(i, e) for i, e in entries if e[3] == proto]
        for name, (i, (_, out, src, _, p)) in (("first", mine[0]), ("middle", mine[len(mine) // 2]),
                                               ("last", mine[-1])):
            yield ("%s-%s" % (proto, name), proto, src, p[0], out)
    # The last entry is one of a port range (a map of intervals); the last of one port to the
    # same side (a hash map) beside it.
    i, (_, out, src, _, p) = [(i, e) for i, e in entries
                              if e[3] == "tcp" and e[1] == "db" and e[4][0] == e[4][1]][-1]
    yield ("tcp-last1", "tcp", src, p[0], out)
    last = list(acl())[-1]
    yield ("tcp-none", "tcp", last[2], 20000, "db")  # no entry has a port above 10,009


def nft_change():
    """Over --nft-sets: forward K moves from port 8080 to 8081 (elements only)."""
    k = a.nft_change
    protos, _, port, to, _ = list(forwards())[k]
    out = []
    for proto in protos:
        out.append("delete element inet bench pf_%s { %s . %d }\n" % (proto, PF_ADDR, port))
        out.append("add element inet bench pf_%s { %s . %d : %s . 8081 }\n" %
                   (proto, PF_ADDR, port, to))
        out.append("delete element inet bench open { %s . %s . 8080 }\n" % (to, proto))
        out.append("add element inet bench open { %s . %s . 8081 }\n" % (to, proto))
    return "".join(out)


def iptables():
    f = ["*filter", ":INPUT DROP [0:0]", ":FORWARD DROP [0:0]", ":OUTPUT ACCEPT [0:0]",
         "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
         "-A INPUT -m conntrack --ctstate INVALID -j DROP", "-A INPUT -i lo -j ACCEPT",
         "-A INPUT -p icmp -m icmp --icmp-type 3 -j ACCEPT",
         "-A INPUT -p icmp -m icmp --icmp-type 11 -j ACCEPT",
         "-A INPUT -p icmp -m icmp --icmp-type 12 -j ACCEPT",
         "-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
         "-A FORWARD -m conntrack --ctstate INVALID -j DROP",
         "-A FORWARD -p icmp -m icmp --icmp-type 3 -j ACCEPT",
         "-A FORWARD -p icmp -m icmp --icmp-type 11 -j ACCEPT",
         "-A FORWARD -p icmp -m icmp --icmp-type 12 -j ACCEPT"]
    target = {"accept": "ACCEPT", "drop": "DROP", "reject": "REJECT"}
    for action, out, src, proto, p in acl():
        f.append("-A FORWARD -s %s/32 -i web -o %s -p %s -m %s --dport %s -j %s" %
                 (src, out, proto, proto, ports(p, ":"), target[action]))
    n = ["*nat", ":PREROUTING ACCEPT [0:0]", ":INPUT ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]",
         ":POSTROUTING ACCEPT [0:0]"]
    for protos, _, port, to, to_port in forwards():
        for proto in protos:
            f.append("-A FORWARD -d %s/32 -i public -p %s -m %s --dport %d -m conntrack "
                     "--ctstate DNAT -j ACCEPT" % (to, proto, proto, to_port))
            n.append("-A PREROUTING -d %s/32 -p %s -m %s --dport %d -j DNAT "
                     "--to-destination %s:%d" % (PF_ADDR, proto, proto, port, to, to_port))
    for pub, priv in one_to_one():
        f.append("-A FORWARD -d %s/32 -i public -m conntrack --ctstate DNAT -j ACCEPT" % priv)
        n.append("-A PREROUTING -d %s/32 -j DNAT --to-destination %s" % (pub, priv))
    for pub, priv in one_to_one():
        n.append("-A POSTROUTING -s %s/32 -o public -j SNAT --to-source %s" % (priv, pub))
    n.append("-A POSTROUTING -s 10.1.0.0/16 -o public -j SNAT --to-source %s" % SNAT_TO)
    n.append("-A POSTROUTING -s 10.1.0.0/16 -o web -m conntrack --ctstate DNAT -j MASQUERADE")
    return "\n".join(f + ["COMMIT"] + n + ["COMMIT"]) + "\n"


def nft_commands():
    out = ["add table inet bench",
           "add chain inet bench forward { type filter hook forward priority filter ; "
           "policy drop ; }",
           "add chain inet bench dstnat { type nat hook prerouting priority dstnat ; }",
           "add chain inet bench srcnat { type nat hook postrouting priority srcnat ; }"]
    out += ["add rule inet bench forward %s" % r for r in FWD_HEAD]
    out += ["add rule inet bench %s %s" % cr for cr in linear_rules()]
    return "\n".join(out) + "\n"


if a.nics:
    for n, (_, mac) in enumerate(NICS):
        print("nic%d %s" % (n, mac))
elif a.nft_linear:
    sys.stdout.write(nft_linear())
elif a.nft_sets:
    sys.stdout.write(nft_sets())
elif a.nft_sets_split:
    sys.stdout.write(nft_sets(split=True))
elif a.nft_change >= 0:
    sys.stdout.write(nft_change())
elif a.iptables:
    sys.stdout.write(iptables())
elif a.nft_commands:
    sys.stdout.write(nft_commands())
elif a.nft_minimal:
    sys.stdout.write(nft_minimal())
elif a.flows:
    for f in flows():
        print(*f)
elif a.flow:
    last = [f for f in forwards() if f[1] == "tcp"][-1]
    print(PF_ADDR, last[2], last[3], last[4])
else:
    json.dump(intent(), sys.stdout, indent=1)
    sys.stdout.write("\n")
