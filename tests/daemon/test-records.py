#!/usr/bin/env python3
"""The nftables backend's records in the state directory (nft-records, nft-records-fw), with
vrouterd on the real kernel in network, UTS and mount namespaces of this test's own: a file
damaged in the middle, cut short or edited by hand with its old checksum is set aside (logged
at warning, shown in status), its records are unknown and the table is made again from the
intent, exactly as it was; a file an older vrouterd wrote (no checksum) is read, said so, and
written again with its checksum at the start.
Usage: test-records.py VROUTERD VROUTERCTL SOURCE_ROOT
Skipped (77) without root: namespaces."""
import json
import os
import subprocess
import sys
import tempfile

MARK = "VRTEST_RECORDS_NS"
if not os.environ.get(MARK):
    if os.geteuid() != 0 or subprocess.run(["unshare", "--net", "--uts", "--mount", "true"],
                                           stderr=subprocess.DEVNULL).returncode != 0:
        print("skip: cannot make network namespaces (needs root)")
        sys.exit(77)
    os.execvpe("unshare", ["unshare", "--net", "--uts", "--mount", "--propagation", "private",
                           "--", sys.executable] + sys.argv, dict(os.environ, **{MARK: "1"}))

from daemonlib import (WRAPPER, VROUTERD, Daemon, Results, check, check_set_aside, unseal,
                       write_json)

# A fresh network namespace (lo alone) and a /run of our own (the agent's runtime files).
links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
if len(links.splitlines()) != 1:
    print("error: not in a fresh network namespace; refusing to touch links")
    sys.exit(99)
subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=755", "tmpfs", "/run"], check=True)

res = Results()
tmp = tempfile.mkdtemp(prefix="vrouterd-records-")
RECORDS = ("nft-records", "nft-records-fw")


class KernelDaemon(Daemon):
    """vrouterd on the kernel backend (rtnetlink, nftables, services)."""

    def argv(self):
        return WRAPPER + [VROUTERD, "--backend", "kernel", "--socket", self.sock,
                          "--state-dir", self.state, "--confdir", os.path.join(self.dir, "etc"),
                          "--payload", self.payload, "--serial", "none"]


INTENT = {
    "version": 1, "generation": 1, "hostname": "r-records",
    "interfaces": {
        "public": {"mac": "52:54:00:aa:00:01", "addresses": ["203.0.113.2/24"],
                   "management": True},
        "web": {"mac": "52:54:00:aa:00:02", "addresses": ["10.1.1.1/24"]}},
    "firewall": {
        "sets": {"admins": {"type": "ipv4", "elements": ["10.1.1.7", "10.1.1.8"]}},
        "input": {"policy": "drop", "rules": [
            {"action": "accept", "in": "web", "protocol": "udp", "ports": [53],
             "comment": "dns from web"},
            {"action": "accept", "in": "web", "source": ["@admins"], "protocol": "tcp",
             "ports": [22]}]},
        "forward": {"policy": "drop", "rules": [
            {"action": "accept", "in": "web", "out": "public", "comment": "web egress"}]}},
    "nat": {
        "source": [{"out": "public", "masquerade": True}],
        "destination": [{"in": "public", "destination": "203.0.113.2", "protocol": "tcp",
                         "ports": 8080, "to": "10.1.1.5", "to_ports": 80}]}}


def table():
    """The agent's table as nft lists it, without counters."""
    p = subprocess.run(["nft", "-s", "list", "table", "inet", "vrouter"], capture_output=True,
                       text=True)
    check(p.returncode == 0, "nft list table", p.stderr)
    return p.stdout


def status(d):
    rc, out, err = d.ctl("status", "--json")
    check(rc == 0, "status: exit %d" % rc, err)
    return json.loads(out)


def read(d, name):
    with open(os.path.join(d.state, name), "rb") as f:
        return f.read()


def write(d, name, data):
    with open(os.path.join(d.state, name), "wb") as f:
        f.write(data)


def flip_middle(raw):
    """One bit changed in the middle of the file's records."""
    i = len(raw) // 2
    return raw[:i] + bytes([raw[i] ^ 0x01]) + raw[i + 1:]


def edit_by_hand(raw):
    """A record's text changed as a hand would, its length kept (so every record still
    reads), the checksum line left as it was: "accept" made "reject"."""
    i = raw.index(b"accept", raw.index(b"\n") + 1)
    return raw[:i] + b"reject" + raw[i + 6:]


for i, mac in enumerate(("52:54:00:aa:00:01", "52:54:00:aa:00:02")):
    subprocess.run(["ip", "link", "add", "eth%d" % i, "address", mac, "type", "veth", "peer",
                    "name", "peer%d" % i], check=True)
os.mkdir(os.path.join(tmp, "agent"))
d = KernelDaemon(os.path.join(tmp, "agent"))
d.journal = True
intent_path = os.path.join(tmp, "intent.json")
write_json(intent_path, INTENT)
want = {}


def test_written_with_checksum():
    """Every records file the agent writes carries its checksum line."""
    d.start()
    rc, out, err = d.ctl("apply", intent_path)
    check(rc == 0, "apply", out, err)
    d.stop()
    want["table"] = table()
    for name in RECORDS:
        raw = read(d, name)
        want[name] = raw.split(b"\n", 1)[1] if raw.startswith(b"# vrouter-state ") else raw
        check(want[name].startswith(b"vrouter-nft-records 1 "), name, want[name][:80])
    for name in RECORDS:
        unseal(read(d, name))


def damaged(name, damage, problem):
    """name damaged while the agent is down: at its start the file is set aside, its records
    unknown; the table is made again as it was, and the records written again."""
    raw = read(d, name)
    bad = damage(raw)
    check(bad != raw, "damaged")
    write(d, name, bad)
    d.start()
    try:
        st = status(d)
        last = st["last_apply"]
        check(st["applied"] == {"generation": 1, "in_effect": True} and
              last["origin"] == "boot" and last["result"] == "applied",
              "the persisted intent applied at start", st)
        moved = check_set_aside(d, name, problem, bad)
        check(table() == want["table"], "the table as the intent makes it", table())
        for n in RECORDS:
            check(unseal(read(d, n)) == want[n], "%s written again" % n)
        rc, out, err = d.ctl("plan", intent_path)
        check(rc == 0 and (out + err).strip() == "0 operations", "nothing left to do", out,
              err)
    finally:
        d.stop()
    os.unlink(moved)


def test_flipped():
    damaged("nft-records-fw", flip_middle, "checksum")


def test_truncated():
    damaged("nft-records", lambda raw: raw[:len(raw) * 2 // 3], "truncated")


def test_edited():
    damaged("nft-records-fw", edit_by_hand, "checksum")


def test_old_format():
    """Both files as an older vrouterd wrote them (no checksum line): read (the start finds
    nothing to change), said so, and written again with their checksums."""
    for name in RECORDS:
        write(d, name, want[name])
    before = d.log_text().count("has no checksum")
    d.start()
    try:
        last = status(d)["last_apply"]
        check(last["origin"] == "boot" and last["changes"] == 0,
              "the records were read: nothing to change", last)
        check(d.log_text().count("has no checksum") == before + 2, "the log says so",
              d.log_text())
        for name in RECORDS:
            check(unseal(read(d, name)) == want[name], "%s written again with its checksum"
                  % name)
        check(table() == want["table"], "the table as it was")
    finally:
        d.stop()


res.run("records written with their checksum", test_written_with_checksum)
res.run("records damaged in the middle: set aside, the table made again", test_flipped)
res.run("records cut short: set aside, the table made again", test_truncated)
res.run("records edited by hand, old checksum: set aside", test_edited)
res.run("records of an older vrouterd (no checksum): read, rewritten", test_old_format)
res.finish(tmp)
