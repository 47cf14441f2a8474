#!/usr/bin/env python3
"""History, diff and rollback against vrouterd on the recording backend: the history's entries
(applied and failed; not unchanged, invalid or stale) and their files, `vrouterctl history`,
`diff` and `rollback` against golden outputs (golden-history/; VROUTER_REGEN=1 rewrites them),
secrets in no output, rollback after a restart, the limit of 100 entries and of 64 MiB of
intents, a damaged entry set
aside (the others kept), and a history directory that cannot be written (applies go on).
Usage: test-history.py VROUTERD VROUTERCTL SOURCE_ROOT"""
import json
import os
import re
import tempfile

from daemonlib import (SECRETS, Daemon, PtyRelay, Results, check, check_set_aside, intent,
                       large_intent, large_router, unseal, write_json)

res = Results()
tmp = tempfile.mkdtemp(prefix="vrouterd-history-")
GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden-history")


def new_dir(name):
    path = os.path.join(tmp, name)
    os.mkdir(path)
    return path


def intent_file(d, doc, name):
    path = os.path.join(d.dir, name)
    write_json(path, doc)
    return path


def apply(d, doc, name, want=0):
    rc, out, err = d.ctl("apply", intent_file(d, doc, name))
    check(rc == want, "apply %s: exit %d, not %d" % (name, rc, want), out, err)
    return json.loads(out)


def normalized_history(text):
    """The text of `vrouterctl history` without what changes from run to run (times,
    durations)."""
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", "TIME", text)
    return re.sub(r" +\d+\.\d ms", " D ms", text)


def golden(name, text):
    path = os.path.join(GOLDEN, name)
    if os.environ.get("VROUTER_REGEN"):
        with open(path, "w") as f:
            f.write(text)
        return
    with open(path) as f:
        want = f.read()
    check(text == want, "%s differs from its golden output" % name, text, want)


def no_secret(*texts):
    for t in texts:
        for s in SECRETS:
            check(s not in t, "a secret in the output", t)


def history(d):
    rc, out, err = d.ctl("history", "--json")
    check(rc == 0, "history --json: exit %d" % rc, out, err)
    return json.loads(out)["history"]


def a_history(d):
    """Generations 1-3 applied, 4 failed (a MAC the router lacks), 3 again (unchanged), 2
    (stale), an invalid intent: four entries."""
    for g in (1, 2, 3):
        apply(d, intent(g), "g%d.json" % g)
    bad = intent(4)
    bad["interfaces"]["web"]["mac"] = "52:54:00:00:09:09"
    apply(d, bad, "bad4.json", want=2)
    apply(d, intent(3), "g3.json")
    apply(d, intent(2), "g2.json", want=3)
    invalid = intent(5)
    invalid["hostname"] = 7
    apply(d, invalid, "invalid.json", want=1)


def test_history_and_diff():
    """The entries and their files; history, diff (two generations, a generation and a file,
    a generation and the intent in effect) against their golden outputs; no secret shown; a
    changed secret shown as changed."""
    d = Daemon(new_dir("hd"))
    d.start()
    try:
        a_history(d)
        h = history(d)
        check([(e["seq"], e["generation"], e["origin"], e["result"]) for e in h] ==
              [(1, 1, "socket", "applied"), (2, 2, "socket", "applied"),
               (3, 3, "socket", "applied"), (4, 4, "socket", "failed")], "entries", h)
        check(h[3]["error"].startswith("/interfaces/web/mac: no link with MAC"), "the error", h)
        check(all(e["error"] is None for e in h[:3]), "no error for the applied ones", h)
        # The files: one state file per entry, 0600, the intent as applied (secrets in clear).
        hdir = os.path.join(d.state, "history")
        check(sorted(os.listdir(hdir)) == ["%06d.json" % i for i in (1, 2, 3, 4)],
              "the files", os.listdir(hdir))
        for i in (1, 2, 3, 4):
            path = os.path.join(hdir, "%06d.json" % i)
            check(os.stat(path).st_mode & 0o777 == 0o600, "mode 0600", path)
            with open(path, "rb") as f:
                entry = json.loads(unseal(f.read()))
            check(entry["seq"] == i and entry["generation"] == i and
                  list(entry) == ["seq", "generation", "time", "origin", "result", "error",
                                  "duration_ms", "intent"], "the entry's members", entry)
        with open(os.path.join(hdir, "000002.json"), "rb") as f:
            check(json.loads(unseal(f.read()))["intent"] == intent(2), "the intent kept")
        rc, out, err = d.ctl("history")
        check(rc == 0, "history", out, err)
        golden("history.txt", normalized_history(out))
        # diff: two generations; a generation and a file; a generation and the one in effect.
        rc, out, err = d.ctl("diff", "1", "3")
        check(rc == 0, "diff 1 3", out, err)
        golden("diff-1-3.txt", out)
        changed = intent(9, 3)
        changed["vpn"]["ipsec"]["to-dc"]["psk"] = "a-brand-new-secret-value"
        changed["vpn"]["wireguard"]["wg0"]["listen_port"] = 51999
        rc, out, err = d.ctl("diff", "3", intent_file(d, changed, "changed.json"))
        check(rc == 0, "diff 3 FILE", out, err)
        golden("diff-3-file.txt", out.replace(d.dir, "DIR"))
        no_secret(out)
        check("a-brand-new-secret-value" not in out, "the new secret shown", out)
        rc, out, err = d.ctl("diff", "2")
        check(rc == 0, "diff 2", out, err)
        golden("diff-2.txt", out)
        rc, out, err = d.ctl("diff", "4", "--json")
        check(rc == 0, "diff 4 (failed only: that one)", out, err)
        a = json.loads(out)
        check(a["from"] == 4 and a["to"] == 3 and
              {"op": "changed", "pointer": "/interfaces/web/mac", "old": "52:54:00:00:09:09",
               "new": intent(3)["interfaces"]["web"]["mac"]} in a["changes"], "diff 4", out)
        rc, out, err = d.ctl("diff", "77")
        check(rc == 2 and "no generation 77" in err, "diff of an unknown generation", out, err)
        rc, out, err = d.ctl("diff", "x")
        check(rc == 64, "diff x: usage", out, err)
        no_secret(d.ctl("history", "--json")[1], d.ctl("history")[1], d.log_text())
    finally:
        d.stop()


def test_rollback_after_restart():
    """rollback (default: the generation before the one in effect) and rollback GEN, after a
    restart: the history is read from disk; each is a new generation, origin rollback, in the
    history; a rollback to a generation that only failed is refused."""
    d = Daemon(new_dir("rb"))
    d.start()
    try:
        a_history(d)
    finally:
        d.stop()
    d.start()
    try:
        rc, out, err = d.ctl("rollback")
        check(rc == 0, "rollback", out, err)
        a = json.loads(out)
        check(a["applied"] and a["generation"] == 4, "rollback: generation 4", out)
        want = intent(2)
        want["generation"] = 4
        check(d.persisted() == want, "generation 2's content as generation 4", d.persisted())
        rc, out, err = d.ctl("rollback", "1")
        check(rc == 0 and json.loads(out)["generation"] == 5, "rollback 1", out, err)
        want = intent(1)
        want["generation"] = 5
        check(d.persisted() == want, "generation 1's content as generation 5")
        rc, out, err = d.ctl("diff", "1", "5")
        check(rc == 0 and out == "--- generation 1\n+++ generation 5\n~ /generation: 1 -> 5\n",
              "diff 1 5: the generation only", out, err)
        h = history(d)
        # The start's re-apply of 3 (boot) is an apply that reached the router too.
        check([(e["generation"], e["origin"], e["result"]) for e in h[4:]] ==
              [(3, "boot", "applied"), (4, "rollback", "applied"), (5, "rollback", "applied")],
              "history after the rollbacks", h)
        rc, out, err = d.ctl("history")
        golden("history-rollback.txt", normalized_history(out))
        rc, out, err = d.ctl("rollback", "99")
        check(rc == 2 and "no generation 99" in err, "rollback to an unknown generation", out, err)
        check(d.persisted()["generation"] == 5, "nothing changed")
        rc, out, err = d.ctl("status", "--json")
        st = json.loads(out)
        check(st["last_apply"]["origin"] == "rollback", "status: origin rollback", out)
    finally:
        d.stop()


def test_limit_and_damage():
    """At most 100 entries, the oldest files removed; a damaged entry is set aside at start, the
    others stay; a rollback to it is refused."""
    d = Daemon(new_dir("limit"))
    d.journal = True
    d.start()
    try:
        for g in range(1, 106):
            apply(d, intent(g), "l.json")
        h = history(d)
        check(len(h) == 100 and h[0]["generation"] == 6 and h[-1]["generation"] == 105,
              "the last 100", [e["generation"] for e in h][:3])
        rc, out, err = d.ctl("status")  # a request: the last entry written
        files = sorted(os.listdir(os.path.join(d.state, "history")))
        check(len(files) == 100 and files[0] == "000006.json" and files[-1] == "000105.json",
              "100 files", files[:3], files[-3:])
    finally:
        d.stop()
    path = os.path.join(d.state, "history", "000050.json")
    with open(path, "rb") as f:
        raw = f.read()
    damaged = raw.replace(b'"r-50"', b'"r-5O"')
    with open(path, "wb") as f:
        f.write(damaged)
    d.start()
    try:
        check_set_aside(d, "history/000050.json", "checksum", damaged)
        h = history(d)
        # 99 read, and the start's re-apply of 105.
        check(len(h) == 100 and 50 not in [e["generation"] for e in h] and
              h[-1]["origin"] == "boot", "99 entries and the boot's", len(h), h[-1])
        rc, out, err = d.ctl("rollback", "50")
        check(rc == 2 and "no generation 50" in err, "rollback 50 refused", out, err)
        rc, out, err = d.ctl("rollback", "51")
        check(rc == 0 and json.loads(out)["generation"] == 106, "rollback 51", out, err)
    finally:
        d.stop()


def test_bytes_limit():
    """Large intents: the entries kept hold at most 64 MiB of intents (HISTORY_BYTES_MAX), the
    oldest forgotten and their files removed, the newest kept; the same after a restart."""
    big = large_intent(1, rules=20000, hosts=5000, forwards=2000)
    d = Daemon(new_dir("bytes"), router=large_router(big))
    d.start()
    cap = 64 << 20
    try:
        for g in range(1, 31):  # 3 MB each (compact): 22 fit
            big["generation"] = g
            apply(d, big, "big.json")
        h = history(d)
        d.ctl("status")  # a request: the last entry written
        hdir = os.path.join(d.state, "history")
        files = sorted(os.listdir(hdir))
        size = sum(os.path.getsize(os.path.join(hdir, f)) for f in files)
        gens = [e["generation"] for e in h]
        check(15 <= len(h) < 30 and gens == list(range(31 - len(h), 31)),
              "the newest entries within 64 MiB", gens)
        check(len(files) == len(h) and size <= cap + len(files) * 4096,
              "as many files, within 64 MiB", files, size)
    finally:
        d.stop()
    d.start()
    try:
        check([e["generation"] for e in history(d)][:-1] == gens[1:] or
              [e["generation"] for e in history(d)][:-1] == gens,
              "the same entries after a restart (and the start's)", history(d))
    finally:
        d.stop()


def test_unwritable():
    """history/ is a file: applies succeed, the history is kept in memory without intents,
    status and history say it is not persisted."""
    d = Daemon(new_dir("ro"))
    os.makedirs(d.state, exist_ok=True)
    with open(os.path.join(d.state, "history"), "w") as f:
        f.write("not a directory\n")
    d.start()
    try:
        apply(d, intent(1), "u1.json")
        apply(d, intent(2), "u2.json")
        rc, out, err = d.ctl("history", "--json")
        a = json.loads(out)
        check(rc == 0 and [e["generation"] for e in a["history"]] == [1, 2] and
              all(e["kept"] is False for e in a["history"]) and "history_error" in a,
              "history in memory", out)
        rc, out, err = d.ctl("status", "--json")
        check("history_error" in json.loads(out), "status --json", out)
        rc, out, err = d.ctl("status")
        check("history     NOT persisted" in out, "status", out)
        rc, out, err = d.ctl("rollback")
        check(rc == 2 and "no applied generation before 2" in err, "rollback refused", out, err)
        check(d.persisted()["generation"] == 2, "applies persisted")
    finally:
        d.stop()


def test_confirm_over_serial():
    """Commit-confirm on the recording backend, over the serial port: an apply (with or without
    --confirm) is refused while one is pending, confirm over the serial port ends it; a rollback
    ends a pending confirmation too. (The kernel's case: daemon-confirm.sh.)"""
    relay = PtyRelay(new_dir("serial"))
    d = Daemon(new_dir(os.path.join("serial", "d")), serial=relay.daemon_path)
    serial = ["--serial", relay.sock_path]
    d.start()
    try:
        rc, out, err = d.ctl("apply", "--confirm", "30", intent_file(d, intent(1), "s1.json"))
        check(rc == 2 and "needs an intent in effect" in err, "nothing to go back to", out, err)
        apply(d, intent(1), "s1.json")
        rc, out, err = d.ctl("apply", "--confirm", "30", intent_file(d, intent(2), "s2.json"),
                             transport=serial)
        check(rc == 0 and "confirm_deadline" in json.loads(out), "apply --confirm over serial",
              out, err)
        for args in (["apply", "--confirm", "30"], ["apply"]):
            rc, out, err = d.ctl(*args, intent_file(d, intent(3), "s3.json"), transport=serial)
            check(rc == 2 and "vrouterctl confirm" in err and
                  json.loads(out)["applied"] is False, "%s refused over serial" % args, out, err)
        rc, out, err = d.ctl("confirm", transport=serial)
        check(rc == 0 and json.loads(out)["confirmed"] == 2, "confirm over serial", out, err)
        apply(d, intent(3), "s3.json")
        rc, out, err = d.ctl("apply", "--confirm", "30", intent_file(d, intent(4), "s4.json"))
        check(rc == 0, "apply --confirm 4", out, err)
        rc, out, err = d.ctl("rollback")
        check(rc == 0 and json.loads(out)["generation"] == 5, "rollback while pending", out, err)
        rc, out, err = d.ctl("status", "--json")
        check("confirm" not in json.loads(out), "the rollback ended the confirmation", out)
        check(not os.path.exists(os.path.join(d.state, "confirm.json")), "confirm.json removed")
        rc, out, err = d.ctl("apply", "--confirm", "0", "x.json")
        check(rc == 64, "--confirm 0: usage", out, err)
    finally:
        d.stop()
        relay.close()


res.run("history entries, files, history and diff (golden)", test_history_and_diff)
res.run("commit-confirm over the serial port; rollback ends it", test_confirm_over_serial)
res.run("rollback after a restart (golden)", test_rollback_after_restart)
res.run("100 entries; a damaged entry set aside", test_limit_and_damage)
res.run("64 MiB of intents at most", test_bytes_limit)
res.run("a history that cannot be written", test_unwritable)
res.finish(tmp)
