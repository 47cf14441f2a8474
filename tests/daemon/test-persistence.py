#!/usr/bin/env python3
"""vrouterd's persistence: restarts re-apply the persisted intent, kill -9 in the middle of an
apply converges to the last persisted intent, one file rewritten by every apply, an older
vrouterd's change log migrated at start, the boot payload, a corrupt persisted file, two
daemons on one state directory or one socket.
Usage: test-persistence.py VROUTERD VROUTERCTL SOURCE_ROOT"""
import json
import os
import re
import subprocess
import tempfile
import time

from daemonlib import (SLOW, Daemon, Results, aside_files, check, check_set_aside, connect,
                       intent, large_intent, large_router, plan_offline, read_line, seal,
                       unseal, write_json)

res = Results()
tmp = tempfile.mkdtemp(prefix="vrouterd-persistence-")


def new_daemon(name, **kw):
    os.mkdir(os.path.join(tmp, name))
    return Daemon(os.path.join(tmp, name), **kw)


def intent_file(doc, name):
    path = os.path.join(tmp, name)
    write_json(path, doc)
    return path


def status(d):
    rc, out, err = d.ctl("status", "--json")
    check(rc == 0, "status: exit %d" % rc, err)
    return json.loads(out)


def test_restart():
    d = new_daemon("restart")
    d.start()
    rc, out, err = d.ctl("apply", intent_file(intent(3), "r3.json"))
    check(rc == 0, "apply", out, err)
    d.stop()
    d.start()
    st = status(d)
    check(st["applied"] == {"generation": 3, "in_effect": True}, "after restart", st)
    last = st["last_apply"]
    check(last["origin"] == "boot" and last["result"] == "applied" and last["changes"] == 0,
          "the re-apply at start found nothing to do", last)
    d.stop()
    # The router drifted while the agent was down (an address gone, a link renamed back):
    # the re-apply at start repairs it.
    router = d.router_state()
    router["addresses"] = [a for a in router["addresses"] if a["interface"] != "web"]
    write_json(d.router, router)
    d.start()
    last = status(d)["last_apply"]
    check(last["origin"] == "boot" and last["changes"] > 0, "the drift was not repaired", last)
    check(plan_offline(intent(3), d.router) == [], "the router does not match the intent")
    d.stop()


def apply_line(big_path):
    with open(big_path, "rb") as f:
        return b'{"request": "apply", "intent": ' + f.read().replace(b"\n", b" ") + b"}\n"


def small_of(big):
    return large_intent(1, rules=10, hosts=10, forwards=10)


def time_apply(big_path, big):
    """How long the daemon takes to answer the large apply (the kill points scale with it)."""
    d = new_daemon("kill-timing", router=large_router(big))
    d.start()
    rc, out, err = d.ctl("apply", intent_file(small_of(big), "small.json"))
    check(rc == 0, "apply generation 1", out, err)
    with connect(d.sock) as s:
        start = time.monotonic()
        s.sendall(apply_line(big_path))
        answer = json.loads(read_line(s))
        took = time.monotonic() - start
    check(answer["exit"] == 0, "the large apply", answer)
    d.stop()
    return took


def kill_during_apply(big_path, big, delay, index, when_exists=None, after_answer=False):
    """Applies generation 1 (small), sends generation 2 (large), kills the daemon `delay`
    seconds after the request is sent (or as soon as the file when_exists(d) appears, or
    once the answer is there), restarts it. Returns whether the answer came first."""
    small = small_of(big)
    d = new_daemon("kill-%d" % index, router=large_router(big))
    d.start()
    rc, out, err = d.ctl("apply", intent_file(small, "small.json"))
    check(rc == 0, "apply generation 1", out, err)
    line = apply_line(big_path)
    with connect(d.sock) as s:
        start = time.monotonic()
        s.sendall(line)
        if after_answer:
            read_line(s)
        elif when_exists:
            path = when_exists(d)
            while not os.path.exists(path) and time.monotonic() - start < delay:
                time.sleep(0.0005)
        else:
            time.sleep(max(0, delay - (time.monotonic() - start)))
        elapsed = time.monotonic() - start
        s.setblocking(False)
        try:
            answered = after_answer or b"\n" in s.recv(4096)
        except BlockingIOError:
            answered = False
        d.kill9()
    # Where it was: writing the router's state, or persisting the intent.
    phase = ("writing the router's state" if os.path.exists(d.router + ".tmp") else
             "persisting the intent" if os.path.exists(os.path.join(d.state, "intent.json.tmp"))
             else "answered" if answered else "reading, validating or applying")
    check(os.path.exists(d.sock), "the socket file should be left by kill -9")
    d.start()
    st = status(d)
    gen = st["applied"]["generation"]
    check(gen in (1, 2) and st["applied"]["in_effect"], "applied after restart", st)
    if answered:
        check(gen == 2, "generation 2 was answered but is not persisted", st)
    with open(d.router) as f:
        json.load(f)  # the router's state file is whole
    want = big if gen == 2 else small
    check(d.persisted() == want, "the persisted intent is not generation %d's" % gen)
    check(plan_offline(want, d.router) == [],
          "the router did not converge to the persisted generation %d" % gen)
    d.stop()
    print("     killed %.2f s after sending (%s): converged to generation %d" %
          (elapsed, phase, gen))
    return answered


def test_kill9():
    big = large_intent(2, rules=15000, hosts=6000, forwards=1000)
    big_path = intent_file(big, "big.json")
    took = time_apply(big_path, big)
    print("     the large apply takes %.2f s from request to answer" % took)
    # Kill points spread over the apply (read, validate, apply, write the router's state,
    # persist), right in the writes (as soon as their temporary files appear), and after the
    # answer. Where a timed kill lands depends on the machine's load; each must converge.
    fractions = (0.05, 0.5, 0.8, 0.95)
    outcomes = [kill_during_apply(big_path, big, took * f, i)
                for i, f in enumerate(fractions)]
    check(not all(outcomes), "every kill came after the answer")
    n = len(fractions)
    kill_during_apply(big_path, big, took * 3, n, lambda d: d.router + ".tmp")
    kill_during_apply(big_path, big, took * 3, n + 1,
                      lambda d: os.path.join(d.state, "intent.json.tmp"))
    kill_during_apply(big_path, big, 0, n + 2, after_answer=True)


def fnv64(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return h


def old_log_record(prev, text, gen):
    """A record of the change log an older vrouterd kept after its snapshot
    (agent/daemon/store-migrate.h): the bytes text shares with prev at both ends copied, the
    middle inserted."""
    pre = 0
    while pre < min(len(prev), len(text)) and prev[pre] == text[pre]:
        pre += 1
    suf = 0
    while (suf < min(len(prev), len(text)) - pre and
           prev[len(prev) - 1 - suf] == text[len(text) - 1 - suf]):
        suf += 1
    mid = text[pre:len(text) - suf]
    payload = (b"C 0 %d\n" % pre + b"I %d\n" % len(mid) + mid +
               b"C %d %d\n" % (len(prev) - suf, suf))
    return b"R %d %d %016x\n" % (gen, len(payload), fnv64(payload)) + payload


def test_one_file():
    """Every apply rewrites intent.json whole (no other file but the history's entries), and a
    restart and a kill -9 right after an answer come back with the last one."""
    d = new_daemon("file")
    d.start()
    for gen in (1, 2, 3):
        rc, out, err = d.ctl("apply", intent_file(intent(gen, variant=gen), "f%d.json" % gen))
        check(rc == 0, "apply %d" % gen, out, err)
        check(d.persisted() == intent(gen, variant=gen),
              "the persisted intent is not generation %d's" % gen)
        check(sorted(os.listdir(d.state)) == ["history", "intent.json", "lock"],
              "the state directory holds other files", os.listdir(d.state))
        status(d)  # a request: the history's entry of the apply before it is written
        check(sorted(os.listdir(os.path.join(d.state, "history"))) ==
              ["%06d.json" % g for g in range(1, gen + 1)], "one history entry per apply",
              os.listdir(os.path.join(d.state, "history")))
    d.kill9()
    d.start()
    st = status(d)
    check(st["applied"]["generation"] == 3 and st["last_apply"]["changes"] == 0,
          "kill -9 after the answer: generation 3 again, nothing to change", st)
    d.stop()


def test_migration():
    """A state directory that an older vrouterd left (the snapshot intent.json and the change
    log intent.log after it) is migrated once at start: the log replayed, the last intent
    written as the one intent.json, the log removed; a damaged last record is where the log
    ends."""
    docs = {}
    for gen in range(1, 4):
        doc = large_intent(gen, rules=2000, hosts=500, forwards=200)
        doc["nat"]["destination"][7]["to_ports"] = 9000 + gen  # one forward changed
        docs[gen] = doc
    texts = {gen: json.dumps(doc, separators=(",", ":")).encode() + b"\n"
             for gen, doc in docs.items()}
    log = b"vrouter-log 1 %d %016x\n" % (len(texts[1]), fnv64(texts[1]))
    log += old_log_record(texts[1], texts[2], 2) + old_log_record(texts[2], texts[3], 3)
    for case, cut, want in (("migrate", 0, 3), ("migrate-damaged", 1, 2)):
        d = new_daemon(case)
        write_json(d.router, large_router(docs[1]))
        os.makedirs(d.state, mode=0o700)
        with open(os.path.join(d.state, "intent.json"), "wb") as f:
            f.write(texts[1])
        with open(os.path.join(d.state, "intent.log"), "wb") as f:
            f.write(log[:len(log) - cut])
        d.start()
        st = status(d)
        check(st["applied"]["generation"] == want and st["last_apply"]["origin"] == "boot",
              "%s: generation %d applied at start" % (case, want), st)
        check(d.persisted() == docs[want], "%s: intent.json is not generation %d's" % (case, want))
        check(not os.path.exists(os.path.join(d.state, "intent.log")), "%s: the log stays" % case)
        d.stop()
        d.start()
        st = status(d)
        check(st["applied"]["generation"] == want and st["last_apply"]["changes"] == 0,
              "%s: restart: generation %d again, nothing to change" % (case, want), st)
        d.stop()


def test_migration_damaged():
    """A change log whose snapshot was damaged (so that the log no longer follows it), or with
    a record damaged before its end: nothing of them is loaded (the snapshot is an older
    generation than the log's), both are set aside, logged and shown; no older generation is
    applied in silence, and the log is not removed."""
    texts = {gen: json.dumps(intent(gen), separators=(",", ":")).encode() + b"\n"
             for gen in range(1, 5)}
    header = b"vrouter-log 1 %d %016x\n" % (len(texts[1]), fnv64(texts[1]))
    records = [old_log_record(texts[g - 1], texts[g], g) for g in (2, 3, 4)]
    damaged = bytearray(records[1])
    damaged[len(damaged) - 10] ^= 0x01  # in the payload of the middle record
    cases = (("migrate-snapshot", flip_middle(texts[1]), header + b"".join(records),
              "checksum", "orphan"),
             ("migrate-record", texts[1], header + records[0] + bytes(damaged) + records[2],
              "stale", "checksum"))
    for case, snapshot, log, snap_problem, log_problem in cases:
        d = new_daemon(case)
        d.journal = True
        os.makedirs(d.state, mode=0o700)
        with open(os.path.join(d.state, "intent.json"), "wb") as f:
            f.write(snapshot)
        with open(os.path.join(d.state, "intent.log"), "wb") as f:
            f.write(log)
        d.start()
        st = status(d)
        check(st["applied"] is None, "%s: nothing applied" % case, st)
        check_set_aside(d, "intent.json", snap_problem, snapshot)
        check_set_aside(d, "intent.log", log_problem, log)
        check(len(st.get("set_aside", [])) == 2, "%s: two entries" % case, st)
        d.stop()
    # A log with no snapshot: set aside, not removed.
    d = new_daemon("migrate-no-snapshot")
    d.journal = True
    os.makedirs(d.state, mode=0o700)
    with open(os.path.join(d.state, "intent.log"), "wb") as f:
        f.write(header + records[0])
    d.start()
    check(status(d)["applied"] is None, "no snapshot: nothing applied")
    check_set_aside(d, "intent.log", "orphan", header + records[0])
    d.stop()


def test_payload():
    d = new_daemon("payload")
    write_json(d.payload, intent(3))
    d.start()
    st = status(d)
    check(st["applied"]["generation"] == 3 and st["last_apply"]["origin"] == "payload",
          "the payload was not applied at start", st)
    d.stop()
    d.start()
    st = status(d)
    check(st["last_apply"]["origin"] == "boot", "the same payload again", st)
    d.stop()
    write_json(d.payload, intent(2))
    d.start()
    st = status(d)
    check(st["applied"]["generation"] == 3 and st["last_apply"]["origin"] == "boot",
          "an older payload", st)
    check("boot payload ignored: generation 2 is older than the applied 3" in d.log_text(),
          "log of the older payload", d.log_text())
    d.stop()
    bad = intent(4)
    bad["interfaces"]["web"]["mtu"] = 1
    write_json(d.payload, bad)
    d.start()
    st = status(d)
    check(st["applied"]["generation"] == 3 and st["last_apply"]["origin"] == "boot",
          "an invalid payload", st)
    check("the boot payload is invalid (1 errors" in d.log_text(), "log", d.log_text())
    check("the boot payload: /interfaces/web/mtu: " in d.log_text(),
          "the payload's error with its pointer in the log", d.log_text())
    d.stop()
    # A router with nothing applied yet: the payload's errors are its last apply.
    fresh = new_daemon("payload-fresh")
    write_json(fresh.payload, bad)
    fresh.start()
    st = status(fresh)
    last = st["last_apply"]
    check(last and last["origin"] == "payload" and last["result"] == "invalid" and
          last["errors"] == 1 and last["error_list"][0]["pointer"] == "/interfaces/web/mtu",
          "status: the invalid payload's errors in last_apply", st)
    fresh.stop()
    write_json(d.payload, intent(5, variant=3))
    d.start()
    st = status(d)
    check(st["applied"]["generation"] == 5 and st["last_apply"]["origin"] == "payload",
          "a newer payload", st)
    d.stop()


def flip_middle(raw):
    """One bit changed in the middle of the text: the first number after the middle that
    starts with 3, 5, 7 or 9 made smaller by a power of ten (3600: 2600), so that the intent
    stays valid, as damage that only a checksum can find."""
    m = re.compile(rb'":[3579][0-9]*[,}]').search(raw, len(raw) // 2)
    i = m.start() + 2
    return raw[:i] + bytes([raw[i] ^ 0x01]) + raw[i + 1:]


def edit_hostname(raw):
    """The intent edited by hand (a valid intent), its checksum line left as it was."""
    head, body = raw.split(b"\n", 1)
    doc = json.loads(body)
    check(doc["hostname"] == "r-2", "the hostname to edit", doc["hostname"])
    doc["hostname"] = "r-9"
    return head + b"\n" + json.dumps(doc, separators=(",", ":")).encode() + b"\n"


def test_damaged_state():
    """intent.json damaged in the middle (a byte changed), cut short, or edited by hand with
    its old checksum: set aside under a name that says why and when, logged at warning,
    shown in status until removed; nothing of it in effect (no older generation either), and
    any generation applies afterwards."""
    cases = (("flipped", flip_middle, "checksum"),
             ("truncated", lambda raw: raw[:len(raw) * 2 // 3], "truncated"),
             ("edited", edit_hostname, "checksum"),
             ("no-header", lambda raw: raw.split(b"\n", 1)[1][1:], "header"))
    for case, damage, problem in cases:
        d = new_daemon("damaged-" + case)
        d.journal = True
        d.start()
        rc, out, err = d.ctl("apply", intent_file(intent(2), "d2.json"))
        check(rc == 0, "%s: apply 2" % case, out, err)
        d.stop()
        path = os.path.join(d.state, "intent.json")
        with open(path, "rb") as f:
            raw = f.read()
        bad = damage(raw)
        check(bad != raw, "%s: damaged" % case)
        with open(path, "wb") as f:
            f.write(bad)
        d.start()
        st = status(d)
        check(st["applied"] is None and st["last_apply"] is None,
              "%s: nothing of the damaged file in effect" % case, st)
        check(not os.path.exists(path), "%s: intent.json is still there" % case)
        moved = check_set_aside(d, "intent.json", problem, bad)
        rc, out, err = d.ctl("show")
        check(rc == 0 and json.loads(out) is None, "%s: show" % case, out)
        # An older generation than the damaged file's applies: the agent has none in effect.
        rc, out, err = d.ctl("apply", intent_file(intent(1), "d1.json"))
        check(rc == 0, "%s: apply 1 afterwards" % case, out, err)
        check(d.persisted() == intent(1), "%s: 1 persisted" % case)
        check(any(e["moved_to"] == moved for e in status(d).get("set_aside", [])),
              "%s: status shows the set-aside file after a save" % case)
        d.stop()
        d.start()
        check(status(d)["applied"]["generation"] == 1 and
              any(e["moved_to"] == moved for e in status(d).get("set_aside", [])),
              "%s: and after a restart" % case, status(d))
        os.unlink(moved)
        check("set_aside" not in status(d), "%s: until removed" % case, status(d))
        d.stop()


def test_damaged_twice():
    """Two set-asides in the same second keep both files (never one over the other)."""
    d = new_daemon("damaged-twice")
    d.start()
    d.ctl("apply", intent_file(intent(2), "t2.json"))
    d.stop()
    path = os.path.join(d.state, "intent.json")
    with open(path, "rb") as f:
        raw = f.read()
    seen = []
    for k in range(3):
        with open(path, "wb") as f:
            f.write(raw[:100 + k])
        d.start()
        d.stop()
        seen.append(raw[:100 + k])
    names = aside_files(d, "intent.json")
    check(len(names) == 3, "three files set aside", names)
    contents = []
    for n in names:
        with open(os.path.join(d.state, n), "rb") as f:
            contents.append(f.read())
    check(sorted(contents) == sorted(seen), "each kept as it was")


def test_damaged_with_payload():
    """A damaged intent.json and a boot payload: the payload applies (it validates), the
    damaged file stays set aside and shown."""
    d = new_daemon("damaged-payload")
    d.start()
    d.ctl("apply", intent_file(intent(5), "p5.json"))
    d.stop()
    path = os.path.join(d.state, "intent.json")
    with open(path, "rb") as f:
        raw = f.read()
    with open(path, "wb") as f:
        f.write(flip_middle(raw))
    write_json(d.payload, intent(3))
    d.start()
    st = status(d)
    check(st["applied"]["generation"] == 3 and st["last_apply"]["origin"] == "payload",
          "the payload applied", st)
    check([e["problem"] for e in st.get("set_aside", [])] == ["checksum"],
          "the damaged file shown", st)
    d.stop()


def test_invalid_state():
    """An intent.json whose checksum agrees but which this agent does not load (invalid for
    it): set aside as "invalid", nothing applied."""
    d = new_daemon("invalid")
    d.journal = True
    os.makedirs(d.state, mode=0o700)
    bad = intent(2)
    bad["interfaces"]["web"]["mtu"] = 1
    text = seal(json.dumps(bad, separators=(",", ":")).encode() + b"\n")
    with open(os.path.join(d.state, "intent.json"), "wb") as f:
        f.write(text)
    d.start()
    st = status(d)
    check(st["applied"] is None, "an invalid intent.json is not applied", st)
    check_set_aside(d, "intent.json", "invalid", text)
    rc, out, err = d.ctl("apply", intent_file(intent(1), "i1.json"))
    check(rc == 0, "a new intent applies afterwards", out, err)
    d.stop()


def test_old_format():
    """intent.json as an older vrouterd wrote it (no checksum line): loaded and applied, said
    so in the log, and written again with its checksum at the start."""
    d = new_daemon("old-format")
    os.makedirs(d.state, mode=0o700)
    text = json.dumps(intent(4), separators=(",", ":")).encode() + b"\n"
    with open(os.path.join(d.state, "intent.json"), "wb") as f:
        f.write(text)
    d.start()
    st = status(d)
    check(st["applied"] == {"generation": 4, "in_effect": True} and
          st["last_apply"]["origin"] == "boot", "the old file applied at start", st)
    check("has no checksum" in d.log_text(), "the log says so", d.log_text())
    check("set_aside" not in st, "nothing set aside", st)
    with open(os.path.join(d.state, "intent.json"), "rb") as f:
        check(unseal(f.read()) == text, "written again with its checksum, the same text")
    d.stop()
    before = d.log_text().count("has no checksum")
    d.start()
    check(d.log_text().count("has no checksum") == before, "once", d.log_text())
    d.stop()


def test_one_daemon():
    d = new_daemon("one")
    d.start()
    try:
        # The same state directory, another socket: refused (the lock).
        other = Daemon(os.path.join(tmp, "one"))
        other.sock = os.path.join(tmp, "one", "other.sock")
        p = subprocess.run(other.argv(), capture_output=True, timeout=30 * SLOW)
        check(p.returncode == 1 and b"is in use by another vrouterd" in p.stderr,
              "second daemon on the state directory", p.returncode, p.stderr)
        # Another state directory, the same socket: refused, the socket kept.
        os.mkdir(os.path.join(tmp, "two"))
        two = Daemon(os.path.join(tmp, "two"))
        two.sock = d.sock
        p = subprocess.run(two.argv(), capture_output=True, timeout=30 * SLOW)
        check(p.returncode == 1 and b"another vrouterd is listening" in p.stderr,
              "second daemon on the socket", p.returncode, p.stderr)
        check(status(d)["applied"] is None, "the first daemon still answers")
    finally:
        d.stop()
    # The socket's mode.
    d.start()
    mode = os.stat(d.sock).st_mode & 0o777
    check(mode == 0o600, "socket mode %o" % mode)
    mode = os.stat(d.state).st_mode & 0o777
    check(mode == 0o700, "state directory mode %o" % mode)
    d.ctl("apply", intent_file(intent(1), "o1.json"))
    mode = os.stat(os.path.join(d.state, "intent.json")).st_mode & 0o777
    check(mode == 0o600, "intent.json mode %o" % mode)
    d.stop()


def test_broken_state_dir():
    """A state directory that cannot be written: vrouterd starts anyway with the intent it can
    read, applies from memory, says "not persisted" in every answer and in status, and
    persists the intent in effect once the directory works again."""
    d = new_daemon("broken")
    d.start()
    rc, out, err = d.ctl("apply", intent_file(intent(3), "b3.json"))
    check(rc == 0, "apply 3", out, err)
    d.stop()
    # A directory where the lock file should be: nothing can be written.
    lock = os.path.join(d.state, "lock")
    os.unlink(lock)
    os.mkdir(lock)
    try:
        d.start()
        st = status(d)
        check(st["applied"] == {"generation": 3, "in_effect": True}, "the readable intent", st)
        check(st.get("persisted") is False and "lock" in st.get("persist_error", ""),
              "status says not persisted", st)
        rc, out, err = d.ctl("status")
        check(rc == 0 and "persisted   NO" in out, "text status", out, err)
        rc, out, err = d.ctl("apply", intent_file(intent(4), "b4.json"))
        a = json.loads(out)
        check(rc == 0 and a["generation"] == 4 and a.get("persisted") is False,
              "apply 4 from memory", out, err)
        check(d.persisted() == intent(3), "intent.json changed", d.persisted())
        rc, out, err = d.ctl("show")
        check(rc == 0 and json.loads(out)["generation"] == 4, "show", out, err)
        rc, out, err = d.ctl("apply", intent_file(intent(3), "b3.json"))
        check(rc == 3 and json.loads(out).get("persisted") is False, "3 is stale", out, err)
        a = d.request(b'{"request": "nonsense", "id": "x1"}\n')
        check(a.get("persisted") is False and a.get("id") == "x1", "an error answer", a)
        # The directory works again: the next answer is persisted, and intent 4 is on disk.
        os.rmdir(lock)
        st = status(d)
        check("persisted" not in st and "persist_error" not in st, "persisted again", st)
        check(d.persisted() == intent(4), "4 persisted once the directory works",
              d.persisted())
        d.stop()
        d.start()
        check(status(d)["applied"]["generation"] == 4, "4 after a restart")
        d.stop()
    finally:
        if os.path.isdir(lock):
            os.rmdir(lock)
        d.stop()
    # A file where the state directory should be: nothing to read, starts all the same.
    e = new_daemon("state-is-a-file")
    with open(e.state, "w") as f:
        f.write("not a directory\n")
    try:
        e.start()
        st = status(e)
        check(st["applied"] is None and st.get("persisted") is False, "nothing applied", st)
        rc, out, err = e.ctl("apply", intent_file(intent(2), "b2.json"))
        a = json.loads(out)
        check(rc == 0 and a.get("persisted") is False, "apply from memory", out, err)
        check(plan_offline(intent(2), e.router) == [], "the router does not match the intent")
    finally:
        e.stop()


class MountedDaemon(Daemon):
    """vrouterd in a mount namespace of its own, its state directory a tmpfs of 64 KiB that
    starts with the files of `seed` and is read-only when `ro` (root only)."""

    def __init__(self, directory, seed, ro):
        super().__init__(directory)
        self.seed, self.ro = seed, ro

    def argv(self):
        script = ('mount -t tmpfs -o size=64k,mode=0700 tmpfs "$0" && cp -a "$1"/. "$0" && '
                  'if [ "$2" = ro ]; then mount -o remount,ro "$0"; fi && shift 2 && exec "$@"')
        return (["unshare", "-m", "--propagation", "private", "sh", "-c", script, self.state,
                 self.seed, "ro" if self.ro else "rw"] + super().argv())

    def inside(self, path):
        """A path of the daemon's state directory as this test sees it."""
        return "/proc/%d/root%s/%s" % (self.proc.pid, os.path.abspath(self.state), path)

    def mount(self, *opts):
        # -r -w: the daemon's root and directory (setns into a mount namespace alone would
        # leave a chroot, such as tests/fresh's).
        subprocess.run(["nsenter", "-t", str(self.proc.pid), "-m", "-r", "-w", "mount", "-o",
                        ",".join(opts), self.state], check=True)


def test_read_only_and_full():
    """The state directory read-only at the start, then full: started with the intent it
    read, applies from memory, "persisted": false; persisted once it is writable again."""
    if os.geteuid() != 0:
        print("skip: read-only and full file systems need root (mount namespaces)")
        return
    d = new_daemon("ro-full")
    seed = os.path.join(tmp, "ro-full-seed")
    os.mkdir(seed)
    write_json(os.path.join(seed, "intent.json"), intent(3))
    os.mkdir(d.state)
    d = MountedDaemon(d.dir, seed, ro=True)
    d.start()
    try:
        st = status(d)
        check(st["applied"] == {"generation": 3, "in_effect": True} and
              st.get("persisted") is False and "Read-only" in st.get("persist_error", ""),
              "read-only at the start", st)
        rc, out, err = d.ctl("apply", intent_file(intent(4), "ro4.json"))
        check(rc == 0 and json.loads(out).get("persisted") is False, "apply 4", out, err)
        d.mount("remount", "rw")
        check("persisted" not in status(d), "persisted once writable")
        with open(d.inside("intent.json"), "rb") as f:
            check(json.loads(unseal(f.read())) == intent(4), "4 persisted")
        # Full: a file takes what is left of the 64 KiB.
        fd = os.open(d.inside("filler"), os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while os.write(fd, b"x" * 4096):
                pass
        except OSError:
            pass
        finally:
            os.close(fd)
        rc, out, err = d.ctl("apply", intent_file(intent(5), "full5.json"))
        a = json.loads(out)
        check(rc == 0 and a.get("persisted") is False and
              "No space" in a.get("persist_error", ""), "apply 5 on a full disk", out, err)
        rc, out, err = d.ctl("apply", intent_file(intent(4), "ro4.json"))
        check(rc == 3, "4 is stale after 5", out, err)
        os.unlink(d.inside("filler"))
        check("persisted" not in status(d), "persisted once there is room")
        with open(d.inside("intent.json"), "rb") as f:
            check(json.loads(unseal(f.read())) == intent(5), "5 persisted")
    finally:
        d.stop()


def test_damaged_read_only():
    """A damaged intent.json in a read-only state directory: it cannot be set aside, so it stays
    where it is, unused, shown in status without a new name; nothing is written over it, and
    once the directory is writable it is set aside before the intent in effect is saved."""
    if os.geteuid() != 0:
        print("skip: a read-only file system needs root (mount namespaces)")
        return
    d = new_daemon("damaged-ro")
    seed = os.path.join(tmp, "damaged-ro-seed")
    os.mkdir(seed)
    bad = flip_middle(seal(json.dumps(intent(3), separators=(",", ":")).encode() + b"\n"))
    with open(os.path.join(seed, "intent.json"), "wb") as f:
        f.write(bad)
    os.mkdir(d.state)
    d = MountedDaemon(d.dir, seed, ro=True)
    d.journal = True
    d.start()
    try:
        st = status(d)
        path = os.path.join(d.state, "intent.json")
        check(st["applied"] is None, "nothing applied", st)
        entries = st.get("set_aside", [])
        check(len(entries) == 1 and entries[0]["file"] == path and
              entries[0]["problem"] == "checksum" and entries[0]["moved_to"] is None and
              "Read-only" in entries[0].get("error", ""), "status: not set aside yet", st)
        rc, out, err = d.ctl("status")
        check("NOT YET" in out, "text status", out)
        rc, out, err = d.ctl("apply", intent_file(intent(4), "dro4.json"))
        check(rc == 0 and json.loads(out).get("persisted") is False, "apply 4", out, err)
        with open(d.inside("intent.json"), "rb") as f:
            check(f.read() == bad, "the damaged file is still there, as it was")
        d.mount("remount", "rw")
        st = status(d)
        check("persisted" not in st, "persisted once writable", st)
        with open(d.inside("intent.json"), "rb") as f:
            check(json.loads(unseal(f.read())) == intent(4), "4 persisted")
        entries = st.get("set_aside", [])
        check(len(entries) == 1 and entries[0]["problem"] == "checksum" and
              entries[0]["moved_to"], "set aside once writable", st)
        with open(d.inside(os.path.basename(entries[0]["moved_to"])), "rb") as f:
            check(f.read() == bad, "kept as it was")
    finally:
        d.stop()


res.run("restart re-applies the persisted intent", test_restart)
res.run("kill -9 during an apply, restart: converged", test_kill9)
res.run("one file, rewritten by every apply", test_one_file)
res.run("a change log left by an older vrouterd: migrated at start", test_migration)
res.run("a damaged change log or snapshot: set aside, nothing of them applied",
        test_migration_damaged)
res.run("boot payload", test_payload)
res.run("a damaged persisted intent: set aside, shown, nothing of it in effect",
        test_damaged_state)
res.run("set aside twice in a second: both kept", test_damaged_twice)
res.run("a damaged persisted intent and a boot payload", test_damaged_with_payload)
res.run("an invalid persisted intent: set aside", test_invalid_state)
res.run("intent.json of an older vrouterd (no checksum): loaded, rewritten", test_old_format)
res.run("one daemon per state directory and socket; modes", test_one_daemon)
res.run("a state directory that cannot be written", test_broken_state_dir)
res.run("a read-only, then full, state directory", test_read_only_and_full)
res.run("a damaged intent.json in a read-only state directory", test_damaged_read_only)
res.finish(tmp)
