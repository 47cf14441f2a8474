#!/usr/bin/env python3
"""Clients of vrouterd's socket for bench/soak.sh and bench/load.sh, speaking the protocol of
docs/protocol.md directly (one JSON request per line, one answer line each) so that the
figures are the agent's and not a client process's start.

  client.py soak SOCKET PID A.json B.json [--count N] [--every E] [--tolerance-kib T]
        N applies on one connection, alternating A and B (generations 1, 2, ...); every
        answer must be applied with changes (not "unchanged"). VmRSS, VmHWM and the open fds
        of PID sampled after the start and every E applies (every N/4 when fewer than 4 E);
        the table; exit 1 when, after warm-up (the first sample after E applies on), the fds
        grew, or the median VmRSS of the last 3 samples passes that of the first 3 by more
        than T KiB.
  client.py applies SOCKET OUT A.json B.json --count N [--first-gen G]
        N applies on one connection, alternating; appends "sent answered duration_ms changes"
        per apply to OUT (CLOCK_MONOTONIC seconds).
  client.py statuses SOCKET OUT STOP-FILE [--interval-ms I]
        `status` on one connection, the next one I ms after each answer, until STOP-FILE
        exists; appends "sent answered bytes" per status to OUT.
  client.py conns SOCKET A.json B.json [--idle N] [--slow K] [--seconds S] [--first-gen G]
        N idle connections and K slow writers (one byte of an unfinished line each second),
        then for S seconds a `status` every 0.5 s and an apply every 2 s (alternating A and B),
        each on a new connection as `vrouterctl` does; prints their latencies, how many idle
        connections the agent closed and when the slow writers were closed.
"""
import argparse
import json
import os
import selectors
import socket
import statistics
import sys
import time


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


class Conn:
    """One connection: a request out, its answer line back."""

    def __init__(self, path):
        self.sock = connect(path)
        self.buf = b""

    def ask(self, line):
        self.sock.sendall(line)
        while b"\n" not in self.buf:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise SystemExit("client.py: the agent closed the connection")
            self.buf += chunk
        answer, self.buf = self.buf.split(b"\n", 1)
        return answer

    def close(self):
        self.sock.close()


class Intents:
    """Apply requests alternating between two intents, each with its own generation."""

    def __init__(self, paths):
        self.rest = []
        for p in paths:
            d = json.load(open(p))
            d.pop("generation", None)
            # the intent without its opening brace: the generation is put in front of it
            self.rest.append(json.dumps(d, separators=(",", ":"))[1:])

    def request(self, gen):
        return ('{"request":"apply","id":"g%d","intent":{"generation":%d,%s}\n' %
                (gen, gen, self.rest[gen % 2])).encode()


def check_applied(answer, gen):
    a = json.loads(answer)
    if a.get("exit") != 0 or not a.get("applied") or a.get("unchanged") or \
            not a.get("changes") or a.get("id") != "g%d" % gen:
        raise SystemExit("client.py: apply of generation %d: %s" % (gen, answer[:400]))
    return a


def proc_sample(pid):
    v = {}
    for line in open("/proc/%d/status" % pid):
        k, _, rest = line.partition(":")
        if k in ("VmRSS", "VmHWM"):
            v[k] = int(rest.split()[0])
    return v["VmRSS"], v["VmHWM"], len(os.listdir("/proc/%d/fd" % pid))


def soak(a):
    intents = Intents([a.a, a.b])
    c = Conn(a.socket)
    every = min(a.every, max(1, a.count // 4))
    rows = [(0,) + proc_sample(a.pid) + (0.0,)]
    print("%8s %10s %10s %5s %12s" % ("applies", "VmRSS KiB", "VmHWM KiB", "fds", "apply ms"))
    print("%8d %10d %10d %5d %12s" % (rows[0][:4] + ("-",)))
    walls, changes, t_all = [], [], time.monotonic()
    for gen in range(1, a.count + 1):
        t0 = time.monotonic()
        changes.append(check_applied(c.ask(intents.request(gen)), gen)["changes"])
        walls.append(time.monotonic() - t0)
        if gen % every == 0 or gen == a.count:
            med = statistics.median(walls[-every:]) * 1000
            rows.append((gen,) + proc_sample(a.pid) + (med,))
            print("%8d %10d %10d %5d %12.1f" % rows[-1], flush=True)
    c.close()
    total = time.monotonic() - t_all
    # After warm-up (the first sample after the start's), VmRSS moves by about 2 MiB from one
    # sample to the next with the allocator's free lists: the first and the last few samples
    # are compared by their medians.
    after = rows[1:] if len(rows) > 2 else rows
    k = max(1, min(3, len(after) // 2))
    first = statistics.median(r[1] for r in after[:k])
    last = statistics.median(r[1] for r in after[-k:])
    n = [r[0] for r in after]
    rss = [r[1] for r in after]
    slope = 0.0
    if len(after) > 1:
        mn, mr = statistics.mean(n), statistics.mean(rss)
        slope = sum((x - mn) * (y - mr) for x, y in zip(n, rss)) / \
            sum((x - mn) ** 2 for x in n)
    print("applies: %d in %.0f s (median %.1f ms each, end to end on one connection; "
          "%d-%d changes each after the first)" %
          (a.count, total, statistics.median(walls) * 1000, min(changes[1:] or changes),
           max(changes[1:] or changes)))
    print("after warm-up (%d applies) to %d: VmRSS %d-%d KiB, median of the first %d samples "
          "%.0f, of the last %d %.0f (%+.0f KiB; fit %+.1f KiB per 1,000 applies); VmHWM "
          "%+d KiB; fds %d -> %d" %
          (after[0][0], after[-1][0], min(rss), max(rss), k, first, k, last, last - first,
           slope * 1000, after[-1][2] - after[0][2], after[0][3], after[-1][3]))
    print("tolerance: VmRSS +%d KiB, fds +0" % a.tolerance_kib)
    fail = []
    if max(r[3] for r in after) > after[0][3]:
        fail.append("open fds grew %d -> %d" % (after[0][3], max(r[3] for r in after)))
    if last - first > a.tolerance_kib:
        fail.append("VmRSS grew %.0f KiB > %d" % (last - first, a.tolerance_kib))
    print("soak: %s" % ("; ".join(fail) if fail else "flat"))
    return 1 if fail else 0


def applies(a):
    intents = Intents([a.a, a.b])
    c = Conn(a.socket)
    with open(a.out, "a") as out:
        for gen in range(a.first_gen, a.first_gen + a.count):
            t0 = time.monotonic()
            ans = check_applied(c.ask(intents.request(gen)), gen)
            t1 = time.monotonic()
            out.write("%.6f %.6f %s %d\n" % (t0, t1, ans.get("duration_ms"), ans["changes"]))
            out.flush()
    c.close()
    return 0


def statuses(a):
    c = Conn(a.socket)
    with open(a.out, "a") as out:
        while not os.path.exists(a.stop_file):
            t0 = time.monotonic()
            ans = c.ask(b'{"request":"status"}\n')
            t1 = time.monotonic()
            if not ans.startswith(b'{"exit": 0'):
                raise SystemExit("client.py: status: %s" % ans[:400])
            out.write("%.6f %.6f %d\n" % (t0, t1, len(ans)))
            time.sleep(a.interval_ms / 1000)
    c.close()
    return 0


def one_shot(path, line):
    """A request on a new connection; (seconds from connect to the answer, the answer)."""
    t0 = time.monotonic()
    c = Conn(path)
    ans = c.ask(line)
    c.close()
    return time.monotonic() - t0, ans


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def fmt(v):
    v = [x * 1000 for x in v]
    if not v:
        return "none"
    return "median %.1f ms, p99 %.1f, max %.1f (%d)" % (statistics.median(v), pct(v, 99),
                                                        max(v), len(v))


def conns(a):
    intents = Intents([a.a, a.b])
    sel = selectors.DefaultSelector()
    idle = []
    for _ in range(a.idle):
        s = connect(a.socket)
        s.setblocking(False)
        idle.append(s)
        sel.register(s, selectors.EVENT_READ, ("idle", len(idle) - 1))
    # The slow writers: a status request one byte a second, never finished in time.
    line = b'{"request": "status", "id": "slow"}' + b" " * 100
    slow = []
    for k in range(a.slow):
        s = connect(a.socket)
        s.setblocking(False)
        slow.append({"sock": s, "sent": 0, "first": None, "closed": None})
        sel.register(s, selectors.EVENT_READ, ("slow", k))
    evicted = {}
    stat, appl, gen = [], [], a.first_gen
    t_start = time.monotonic()
    next_byte = next_status = t_start
    next_apply = t_start + 1
    while time.monotonic() - t_start < a.seconds:
        now = time.monotonic()
        if now >= next_byte:
            for w in slow:
                if w["closed"] is None and w["sent"] < len(line):
                    try:
                        w["sock"].send(line[w["sent"]:w["sent"] + 1])
                        w["first"] = w["first"] or now
                        w["sent"] += 1
                    except OSError:
                        w["closed"] = now
            next_byte += 1
        if now >= next_status:
            t, ans = one_shot(a.socket, b'{"request":"status"}\n')
            if not ans.startswith(b'{"exit": 0'):
                raise SystemExit("client.py: status: %s" % ans[:400])
            stat.append(t)
            next_status += 0.5
        if now >= next_apply:
            t, ans = one_shot(a.socket, intents.request(gen))
            check_applied(ans, gen)
            appl.append(t)
            gen += 1
            next_apply += 2
        for key, _ in sel.select(timeout=0.02):
            kind, i = key.data
            try:
                data = key.fileobj.recv(4096)
            except OSError:
                data = b""
            if data:
                continue  # an answer on an idle or slow connection: none is expected
            sel.unregister(key.fileobj)
            if kind == "idle":
                evicted[i] = time.monotonic() - t_start
            elif slow[i]["closed"] is None:
                slow[i]["closed"] = time.monotonic()
    print("status, a new connection each (every 0.5 s): %s" % fmt(stat))
    print("apply, a new connection each (every 2 s):    %s" % fmt(appl))
    if a.idle:
        print("idle connections closed by the agent: %d of %d (%d in the first second)" %
              (len(evicted), a.idle, sum(1 for t in evicted.values() if t < 1)))
    if a.slow:
        lived = ["%.1f" % (w["closed"] - w["first"]) for w in slow
                 if w["closed"] is not None and w["first"] is not None]
        print("slow writers closed by the agent: %d of %d, after %s s from their first byte "
              "(bytes sent each: %s)" % (len(lived), a.slow, "/".join(sorted(set(lived))) or "-",
                                         "/".join(sorted({str(w["sent"]) for w in slow}))))
    print("next generation: %d" % gen)
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("soak")
    p.add_argument("socket")
    p.add_argument("pid", type=int)
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--count", type=int, default=10000)
    p.add_argument("--every", type=int, default=500)
    p.add_argument("--tolerance-kib", type=int, default=2048)
    p = sub.add_parser("applies")
    p.add_argument("socket")
    p.add_argument("out")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--first-gen", type=int, default=1)
    p = sub.add_parser("statuses")
    p.add_argument("socket")
    p.add_argument("out")
    p.add_argument("stop_file")
    p.add_argument("--interval-ms", type=float, default=5)
    p = sub.add_parser("conns")
    p.add_argument("socket")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--idle", type=int, default=200)
    p.add_argument("--slow", type=int, default=10)
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--first-gen", type=int, default=1)
    a = ap.parse_args()
    return {"soak": soak, "applies": applies, "statuses": statuses, "conns": conns}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
