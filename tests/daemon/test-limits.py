#!/usr/bin/env python3
"""vrouterd's connection limits: silent connections and unfinished lines beyond the limit of
64 never keep status and apply from being served, a line must arrive whole within its
deadline however its bytes trickle, and the bytes buffered across connections are capped.
Usage: test-limits.py VROUTERD VROUTERCTL SOURCE_ROOT"""
import json
import os
import socket
import tempfile
import threading
import time

from daemonlib import (SLOW, WRAPPER, Daemon, Results, check, connect, intent, read_line,
                       write_json)

res = Results()
tmp = tempfile.mkdtemp(prefix="vrouterd-limits-")
os.mkdir(os.path.join(tmp, "d"))
d = Daemon(os.path.join(tmp, "d"))
d.start()
LINE_S = 20  # server.c's LINE_MS
MAX_CONNS = 64
BUFFER_MAX = 2 * (17 + 1) << 20  # server.c: two lines of the largest size


def served(what, *args):
    """vrouterctl answers at once (its own timeout would be 120 s)."""
    start = time.monotonic()
    rc, out, err = d.ctl(*args, timeout=10 * SLOW)
    check(rc == 0, "%s: exit %d" % (what, rc), out, err)
    return time.monotonic() - start


def closed_by_daemon(s, timeout):
    s.settimeout(timeout)
    try:
        return s.recv(4096) == b""
    except (socket.timeout, ConnectionResetError):
        return False


def rss_kib():
    with open("/proc/%d/status" % d.proc.pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def sanitized():
    with open("/proc/%d/maps" % d.proc.pid) as f:
        return WRAPPER or "libasan" in f.read()


def test_silent_connections():
    """100 connections that send nothing, then 64 that each start a line and stop: status
    and apply are answered at once (the longest idle, then the oldest unfinished, make
    room)."""
    silent = [connect(d.sock) for _ in range(100)]
    try:
        time.sleep(0.2)
        t = served("status behind 100 silent connections", "status")
        check(t < 5, "status took %.1f s" % t)
        path = os.path.join(tmp, "i1.json")
        write_json(path, intent(1))
        served("apply behind silent connections", "apply", path)
        unfinished = []
        for _ in range(MAX_CONNS):
            s = connect(d.sock)
            s.sendall(b'{"request": "sta')
            unfinished.append(s)
        time.sleep(0.2)
        t = served("status behind 64 unfinished lines", "status")
        check(t < 5, "status took %.1f s" % t)
        for s in unfinished:
            s.close()
    finally:
        for s in silent:
            s.close()


def test_trickle_and_memory():
    """A client that sends a byte every 2 s loses its connection once its line is due; 20
    clients that each send 8 MiB of one line keep the daemon's buffers under the cap (the
    ones past it are refused), and status is served meanwhile."""
    trickler = connect(d.sock)
    start = time.monotonic()
    stop = threading.Event()

    def trickle():
        while not stop.is_set():
            try:
                trickler.send(b"{")
            except OSError:
                return
            stop.wait(2)

    t = threading.Thread(target=trickle, daemon=True)
    t.start()
    answers = []
    lock = threading.Lock()

    def big():
        s = connect(d.sock)
        try:
            s.sendall(b'{"request": "check", "intent": "' + b"x" * (8 << 20))
            s.settimeout(2 * SLOW)
            try:
                a = json.loads(read_line(s, 2 * SLOW))
            except (socket.timeout, AssertionError):
                a = None
            with lock:
                answers.append((s, a))
        except OSError as e:
            with lock:
                answers.append((s, {"error": str(e)}))

    senders = [threading.Thread(target=big) for _ in range(20)]
    for th in senders:
        th.start()
    for th in senders:
        th.join(60 * SLOW)
    try:
        refused = [a for _, a in answers if a and "too many unfinished" in a.get("error", "")]
        waiting = [a for _, a in answers if a is None]
        check(len(answers) == 20, "senders done: %d" % len(answers))
        check(refused and len(waiting) * (8 << 20) <= BUFFER_MAX,
              "%d refused, %d buffered" % (len(refused), len(waiting)), answers[:3])
        if not sanitized():
            check(rss_kib() < (BUFFER_MAX >> 10) + 40 * 1024, "resident size %d kB" % rss_kib())
        t0 = served("status while lines are unfinished", "status")
        check(t0 < 5, "status took %.1f s" % t0)
    finally:
        for s, _ in answers:
            s.close()
    # The trickler: closed once LINE_S passed since its first byte.
    left = LINE_S + 5 - (time.monotonic() - start)
    gone = closed_by_daemon(trickler, max(left, 1) * SLOW)
    stop.set()
    trickler.close()
    check(gone, "a connection trickling a byte every 2 s was still open after %d s" %
          (LINE_S + 5))
    check(time.monotonic() - start >= LINE_S - 1, "closed before its deadline")


res.run("silent connections and unfinished lines beyond the limit", test_silent_connections)
res.run("a trickling client; the bytes buffered across connections", test_trickle_and_memory)
res.run("clean stop", d.stop)
res.finish(tmp)
