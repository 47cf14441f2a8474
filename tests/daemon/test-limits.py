#!/usr/bin/env python3
"""vrouterd's connection limits: silent connections and unfinished lines beyond the limit of
64 never keep status and apply from being served, connections whose clients hung up make room
before any live one, a line must arrive whole within its deadline however its bytes trickle,
and the bytes buffered across connections are capped.
Usage: test-limits.py VROUTERD VROUTERCTL SOURCE_ROOT"""
import json
import os
import select
import signal
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
    """Whether the daemon closed s within timeout, nothing sent to it. A reset is a closing too:
    the kernel resets a unix socket closed with bytes it had not read (a byte in flight)."""
    s.settimeout(timeout)
    try:
        return s.recv(4096) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def stopped(pid):
    """SIGSTOP, returned once the process is stopped (the signal is asynchronous)."""
    os.kill(pid, signal.SIGSTOP)
    deadline = time.monotonic() + 10 * SLOW
    while time.monotonic() < deadline:
        with open("/proc/%d/stat" % pid) as f:
            if f.read().rsplit(")", 1)[1].split()[0] in ("T", "t"):
                return
        time.sleep(0.01)
    raise AssertionError("vrouterd did not stop")


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


def test_hung_up_make_room():
    """64 unfinished lines whose clients hang up while the agent is not running, then a client
    that starts a line and three more connect: the agent sees the hang-ups and the new
    connections in one poll, and the connections that are gone make room, not the newcomer."""
    unfinished = []
    for _ in range(MAX_CONNS):
        s = connect(d.sock)
        s.sendall(b'{"request": "sta')
        unfinished.append(s)
    time.sleep(0.2)
    served("status behind 64 unfinished lines", "status")
    newcomer, others = None, []
    try:
        stopped(d.proc.pid)
        # The premise: the daemon holds the 64 lines but the oldest, which made room for
        # status (a connection it closed is readable: its end of file).
        held = sum(not select.select([s], [], [], 0)[0] for s in unfinished)
        check(held >= MAX_CONNS - 1, "vrouterd holds %d of the unfinished lines" % held)
        for s in unfinished:
            s.close()
        newcomer = connect(d.sock)
        newcomer.sendall(b'{"request": ')
        others = [connect(d.sock) for _ in range(3)]
    finally:
        os.kill(d.proc.pid, signal.SIGCONT)
    try:
        time.sleep(0.5)
        newcomer.sendall(b'"status"}\n')
        a = json.loads(read_line(newcomer, 10 * SLOW))
    except (ConnectionError, AssertionError) as e:  # read_line: closed before a whole line
        raise AssertionError("the newcomer lost its connection to the hung-up ones: %r" % e)
    finally:
        for s in [newcomer] + others:
            s.close()
    check(a.get("exit") == 0, "the newcomer's status", a)


def test_burst_oldest_first():
    """200 connections made at once, while the agent cannot accept (stopped), then 10 more:
    all of them in one millisecond for the agent, which closes the ones accepted first (the
    idle the longest), so the last ten keep their places and finish their requests."""
    stopped(d.proc.pid)
    try:
        first = [connect(d.sock) for _ in range(200)]
        last = [connect(d.sock) for _ in range(10)]
    finally:
        os.kill(d.proc.pid, signal.SIGCONT)
    try:
        time.sleep(0.3 * SLOW)
        for i, s in enumerate(last):
            s.sendall(b'{"request": "status", "id": %d}\n' % i)
        for i, s in enumerate(last):
            a = json.loads(read_line(s, 10 * SLOW))
            check(a.get("exit") == 0 and a.get("id") == i, "the late connection's status", a)
        kept = sum(not closed_by_daemon(s, 0.05) for s in first)
        check(kept == MAX_CONNS - 10, "the agent kept the %d accepted last of the first 200, "
              "kept %d" % (MAX_CONNS - 10, kept))
    finally:
        for s in first + last:
            s.close()


def test_trickle_and_memory():
    """A client that sends a byte every 2 s loses its connection once its line is due; 20
    clients that each send 8 MiB of one line keep the daemon's buffers under the cap (the
    ones past it are refused), and status is served meanwhile."""
    trickler = connect(d.sock)
    start = time.monotonic()
    stop = threading.Event()
    send_failed = []  # when a send found the connection closed: within 2 s of its closing

    def trickle():
        while not stop.is_set():
            try:
                trickler.send(b"{")
            except OSError:
                send_failed.append(time.monotonic())
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
        # The trickler: closed once LINE_S passed since its first byte, and not before. Its
        # closing is seen by recv or, at most 2 s late, by the thread's next send, so a
        # closing before LINE_S - 3 fails the test whenever recv is reached. The deadline
        # also waits out the time the agent spent answering: the status above (t0 bounds
        # it), nothing else, since the senders' unfinished lines stay open until then (closed,
        # each would be answered; the daemon closes them at their own deadline).
        left = LINE_S + 5 + t0 - (time.monotonic() - start)
        gone = closed_by_daemon(trickler, max(left, 1) * SLOW)
        seen = min([time.monotonic()] + send_failed) - start
        check(gone, "a connection trickling a byte every 2 s was still open after %.1f s" %
              (LINE_S + 5 + t0))
        check(seen >= LINE_S - 1, "closed before its deadline: seen closed after %.1f s" % seen)
    finally:
        stop.set()
        trickler.close()
        for s, _ in answers:
            s.close()


res.run("silent connections and unfinished lines beyond the limit", test_silent_connections)
res.run("connections hung up while the agent was stopped make room first",
        test_hung_up_make_room)
res.run("a burst of connections: the ones accepted first make room",
        test_burst_oldest_first)
res.run("a trickling client; the bytes buffered across connections", test_trickle_and_memory)
res.run("clean stop", d.stop)
res.finish(tmp)
