#!/usr/bin/env python3
"""status while the agent is busy (issue 19: status answered throughout a large apply), on the
recording backend:
  - a status on another connection, a new one or an open one, and over the serial line, during
    an apply of a large intent is answered before the apply ends, with "busy" (since, origin)
    and what the agent knew when the work began: the generation in effect then, no observed
    state, services, VRRP or VPN;
  - another request sent meanwhile (show, then a status behind it) waits for the apply and is
    answered in order after it; the status behind it is the full one;
  - after the apply: the full answer, no "busy";
  - clients that send a request and hang up meanwhile cost the stand-in no busy loop;
  - the same while the agent applies its boot payload at start;
  - "counters": true only for status, and a boolean.
Usage: test-busy.py VROUTERD VROUTERCTL SOURCE_ROOT"""
import json
import os
import select
import socket
import tempfile
import threading
import time

from daemonlib import (Daemon, PtyRelay, Results, check, connect, large_intent, large_router,
                       read_line)

res = Results()
tmp = tempfile.mkdtemp(prefix="vrouterd-busy-")
relay = PtyRelay(tmp)
# A large intent: its apply (reading 4 MB of JSON, validating, planning 50,000 rules) holds
# the agent far longer than the stand-in's grace of a few milliseconds.
docs = {g: large_intent(g, rules=50000, hosts=20000, forwards=4000) for g in (1, 2, 3, 5)}
for g in (2, 3, 5):  # other content than the generation before
    docs[g]["hostname"] = "r-busy-%d" % g
os.mkdir(os.path.join(tmp, "d"))
d = Daemon(os.path.join(tmp, "d"), router=large_router(docs[1]), serial=relay.daemon_path)
d.start()


def line(req, **members):
    return (json.dumps(dict(req, **members)) + "\n").encode()


def answered(s):
    """Whether an answer is waiting on s (without reading it)."""
    return bool(select.select([s], [], [], 0)[0])


def apply_started(gen):
    """A connection that sent an apply of generation gen (all of it: the agent is reading or
    applying it once this returns)."""
    a = connect(d.sock)
    a.sendall(line({"request": "apply", "intent": docs[gen], "id": "apply-%d" % gen}))
    return a


def check_busy(st, in_effect, origin="socket"):
    check(st["exit"] == 0, "status exit 0", st)
    check("busy" in st, "busy status while the apply runs", st)
    check(st["busy"]["origin"] == origin, "busy with work from the %s" % origin, st["busy"])
    check(st["busy"]["since"].endswith("Z"), "busy since an ISO 8601 time", st["busy"])
    check(st["applied"]["generation"] == in_effect, "the generation in effect when it began",
          st["applied"])
    for k in ("observed", "services", "vrrp", "vpn"):
        check(st[k] is None, "no %s while busy" % k, st[k])
    check(st["agent"]["pid"] == d.proc.pid, "the agent's own answer", st["agent"])


def test_first():
    rc, out, err = d.ctl("apply", write(docs[1], "g1.json"))
    check(rc == 0, "apply of generation 1", out, err)


def write(doc, name):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        json.dump(doc, f)
    return path


def test_status_during_apply():
    """A new connection's status, an open connection's status, and the serial line's status
    while an apply runs: answered before it ends, busy."""
    b = connect(d.sock)  # open before the apply
    a = apply_started(2)
    try:
        time.sleep(0.02)
        check(not answered(a), "the apply takes longer than this test's steps (too fast a "
              "machine: make the intent larger)")
        t0 = time.monotonic()
        c = connect(d.sock)  # accepted while busy
        c.sendall(line({"request": "status", "id": "new"}))
        st = json.loads(read_line(c, 30))
        new_s = time.monotonic() - t0
        check(st.get("id") == "new", "its id", st)
        check_busy(st, 1)
        b.sendall(line({"request": "status", "id": "open"}))
        st = json.loads(read_line(b, 30))
        check(st.get("id") == "open", "its id", st)
        check_busy(st, 1)
        # O_NOCTTY: the tty must not become this test's controlling terminal (its close
        # would hang the test up).
        tty = os.open(relay.client_tty, os.O_RDWR | os.O_NOCTTY)
        try:
            os.write(tty, b"\n" + line({"request": "status", "id": "serial"}))
            buf = b""
            deadline = time.monotonic() + 30
            while not buf.endswith(b"\n") and time.monotonic() < deadline:
                if select.select([tty], [], [], 1)[0]:
                    buf += os.read(tty, 1 << 20)
        finally:
            os.close(tty)
        st = json.loads(buf)
        check(st.get("id") == "serial", "the serial line's id", st)
        check_busy(st, 1)
        check(not answered(a), "the three statuses answered before the apply ended "
              "(the first after %.1f ms)" % (new_s * 1000))
        ans = json.loads(read_line(a, 120))
        check(ans["exit"] == 0 and ans.get("id") == "apply-2", "the apply", ans)
        b.sendall(line({"request": "status"}))
        st = json.loads(read_line(b, 30))
        check("busy" not in st and st["applied"]["generation"] == 2 and
              isinstance(st["observed"], dict), "after it: the full status", st)
        check(st["last_apply"]["generation"] == 2, "the apply recorded", st["last_apply"])
    finally:
        for s in (a, b):
            s.close()


def test_others_wait():
    """show sent during the apply waits for it; the status behind show is the full one;
    the answers on one connection come in order."""
    a = apply_started(3)
    b = connect(d.sock)
    try:
        time.sleep(0.02)
        b.sendall(line({"request": "status", "id": 1}) + line({"request": "show", "id": 2}) +
                  line({"request": "status", "id": 3}))
        f = b.makefile("rb")
        b.settimeout(120)
        first = json.loads(f.readline())
        check(first.get("id") == 1, "status first", first)
        check_busy(first, 2)
        check(not answered(a), "the apply still runs")
        second = json.loads(f.readline())
        check(second.get("id") == 2 and second["generation"] == 3, "show after the apply, of "
              "its generation", {k: second.get(k) for k in ("id", "exit", "generation")})
        check(answered(a), "the apply answered before the show")
        third = json.loads(f.readline())
        check(third.get("id") == 3 and "busy" not in third and
              third["applied"]["generation"] == 3, "the status behind show: the full one",
              {k: third.get(k) for k in ("id", "busy", "applied")})
        ans = json.loads(read_line(a, 120))
        check(ans["exit"] == 0, "the apply", ans)
    finally:
        a.close()
        b.close()


def thread_cpu_s():
    """CPU seconds of the agent's threads but the main one, by thread id."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % d.proc.pid):
        if int(tid) == d.proc.pid:
            continue
        with open("/proc/%d/task/%s/stat" % (d.proc.pid, tid)) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        out[tid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


def test_gone_clients_no_spin():
    """Clients that send a request and hang up during an apply: the stand-in leaves them to the
    loop without polling them (a closed socket reports POLLHUP on every poll): its thread's CPU
    stays a fraction of the apply's time; the loop then answers or drops them."""
    before = thread_cpu_s()
    a = apply_started(5)
    try:
        time.sleep(0.05)
        check(not answered(a), "the apply takes longer than this test's steps")
        for req in ({"request": "show"}, {"request": "status"}):
            s = connect(d.sock)
            s.sendall(line(req))
            s.close()
        t0 = time.monotonic()
        ans = json.loads(read_line(a, 120))
        rest = time.monotonic() - t0
        check(ans["exit"] == 0, "the apply", ans)
    finally:
        a.close()
    after = thread_cpu_s()
    used = sum(after.get(t, 0) - before.get(t, 0) for t in after)
    check(used < 0.5 * rest + 0.05, "the stand-in used %.2f s of CPU in the last %.2f s of the "
          "apply" % (used, rest), before, after)
    st = d.request(line({"request": "status"}))
    check(st["exit"] == 0 and "busy" not in st, "the agent goes on", st)


def test_status_during_boot():
    """The agent started with a boot payload of a large intent: a status while it applies the
    payload (the socket is there before the boot's apply) is answered, busy with work from
    the payload."""
    d.stop()
    docs[6] = large_intent(6, rules=50000, hosts=20000, forwards=4000)
    docs[6]["hostname"] = "r-busy-6"
    with open(d.payload, "w") as f:
        json.dump(docs[6], f)
    started = {}
    t = threading.Thread(target=lambda: started.setdefault("ready", d.start()))
    t.start()
    try:
        st, deadline = None, time.monotonic() + 30
        while st is None and time.monotonic() < deadline:
            try:
                s = connect(d.sock)
            except OSError:
                time.sleep(0.002)
                continue
            with s:
                s.sendall(line({"request": "status", "id": "boot"}))
                st = json.loads(read_line(s, 30))
        check(st is not None, "the socket appeared")
        check_busy(st, 5, origin="payload")
    finally:
        t.join()
    check(started.get("ready"), "the agent started", d.log_text()[-2000:])
    st = d.request(line({"request": "status"}))
    check("busy" not in st and st["applied"]["generation"] == 6 and
          st["last_apply"]["origin"] == "payload", "the payload applied", st.get("last_apply"))


def test_counters_member():
    st = d.request(line({"request": "status", "counters": True}))
    check(st["exit"] == 0 and "busy" not in st, "status with counters", st)
    bad = d.request(line({"request": "status", "counters": 1}))
    check(bad["exit"] == 64 and "counters" in bad["error"], "counters must be a boolean", bad)
    bad = d.request(line({"request": "show", "counters": True}))
    check(bad["exit"] == 64 and "takes no" in bad["error"], "only status takes counters", bad)


res.run("apply of a large intent", test_first)
res.run("status during an apply: answered before its end, busy (new, open, serial)",
        test_status_during_apply)
res.run("other requests during an apply wait for it, in order", test_others_wait)
res.run("clients gone during an apply: no busy loop", test_gone_clients_no_spin)
res.run("status during the boot payload's apply: busy", test_status_during_boot)
res.run("status's counters member", test_counters_member)
d.stop()
relay.close()
res.finish(tmp)
