#!/usr/bin/env python3
"""Traffic across a router pair for the HA tests (stdlib only).

  traffic.py server [--bind ADDR]        runs until killed: UDP echo on 7000, the TCP chat on
                                         7001, the TCP download on 7002
  traffic.py client --server ADDR [--stop-file F]
                                         runs until SIGTERM, SIGINT or F exists, then prints
                                         ONE JSON summary on stdout

The client's three flows, all started at once:
  udp       a probe every 1 ms (sequence number, send time), echoed by the server. sent, lost
            (never echoed, waited for 300 ms after the stop), longest_gap_ms between two
            echoes received (the open gap up to the stop counts), longest_loss_run (probes),
            loss_runs (the first 1,000 runs of lost probes: [send time of the first, in s
            since the start, as the 1 kHz schedule has it; probes]).
  chat      one long TCP connection on which both ends write a 16-byte message every 10 ms and
            read the other's: a reset, an error, an end of stream or a stall is seen.
  download  one TCP connection on which the server sends 4 KiB every 10 ms (400 KiB/s: it lasts
            any run).
For each TCP stream: intact (no error nor end of stream, and data received in the last second
before the stop), error (the first one, with error_at_s: its time since start_epoch, the
client's start in seconds since the Epoch), longest_stall_ms
between two receptions (the open stall up to the stop counts), bytes.
"""
import argparse
import json
import os
import signal
import socket
import struct
import sys
import threading
import time

UDP_PORT, CHAT_PORT, DOWNLOAD_PORT = 7000, 7001, 7002
PROBE = struct.Struct("!QQ")  # sequence number, send time (ns, the client's monotonic clock)
MSG = 16
CHUNK = 4096
TICK = 0.010


def now():
    return time.monotonic()


def serve_udp(addr):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, UDP_PORT))
    while True:
        data, peer = s.recvfrom(2048)
        try:
            s.sendto(data, peer)
        except OSError:
            pass


class Conn:
    """A server's socket and its peer (getpeername fails once the peer has reset it)."""

    def __init__(self, sock, peer):
        self.sock, self.peer = sock, peer

    def __getattr__(self, name):
        return getattr(self.sock, name)


def serve_tcp(addr, port, handler):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(16)
    while True:
        c, peer = ls.accept()
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        c = Conn(c, "%s:%d" % peer)
        threading.Thread(target=handler, args=(c,), daemon=True).start()


def ticker(sock, payload, stop):
    """Writes payload(n) every TICK until stop is set (returns None) or an error (returns it)."""
    n = 0
    nxt = now()
    try:
        while not stop.is_set():
            sock.sendall(payload(n))
            n += 1
            nxt += TICK
            d = nxt - now()
            if d > 0:
                time.sleep(d)
            else:
                nxt = now()
    except OSError as e:
        return os.strerror(e.errno) if e.errno else str(e)
    return None


def log(what, c):
    """The server's side of a stream's end, on stderr: the client cannot see all of them (a
    download's client only reads, so a reset that reaches only the server leaves it waiting)."""
    print("%.6f %s %s" % (time.time(), c.peer, what), file=sys.stderr, flush=True)


def chat_server(c):
    stop = threading.Event()
    threading.Thread(target=ticker, args=(c, lambda n: b"S%015d" % n, stop), daemon=True).start()
    what = "chat: end of stream"
    try:
        while c.recv(65536):
            pass
    except OSError as e:
        what = "chat: " + (os.strerror(e.errno) if e.errno else str(e))
    log(what, c)
    stop.set()
    c.close()


def download_server(c):
    log("download: " + (ticker(c, lambda n: b"d" * CHUNK, threading.Event()) or "stopped"), c)
    c.close()


def server(args):
    threading.Thread(target=serve_udp, args=(args.bind,), daemon=True).start()
    threading.Thread(target=serve_tcp, args=(args.bind, CHAT_PORT, chat_server), daemon=True).start()
    serve_tcp(args.bind, DOWNLOAD_PORT, download_server)


class Stream:
    """One TCP stream of the client: what it received and when."""

    def __init__(self, name):
        self.name = name
        self.bytes = 0
        self.last = None
        self.longest = 0.0
        self.error = None
        self.error_at = None
        self.sock = None

    def got(self, n, t):
        if self.last is not None:
            self.longest = max(self.longest, t - self.last)
        self.last = t
        self.bytes += n

    def fail(self, what, t0):
        if self.error is None:
            self.error = what
            self.error_at = now() - t0

    def read(self, t0, stop):
        try:
            while not stop.is_set():
                data = self.sock.recv(65536)
                if not data:
                    self.fail("end of stream", t0)
                    return
                self.got(len(data), now())
        except OSError as e:
            if not stop.is_set():
                self.fail(os.strerror(e.errno) if e.errno else str(e), t0)

    def summary(self, t_stop):
        longest = self.longest
        if self.last is not None:
            longest = max(longest, t_stop - self.last)
        intact = self.error is None and self.last is not None and t_stop - self.last < 1.0
        return {
            "intact": intact,
            "error": self.error,
            "error_at_s": None if self.error_at is None else round(self.error_at, 3),
            "longest_stall_ms": round(longest * 1000, 1) if self.last is not None else None,
            "bytes": self.bytes,
        }


def connect(addr, port, name, t0):
    st = Stream(name)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(5)
    try:
        s.connect((addr, port))
    except OSError as e:
        st.fail("connect: " + (os.strerror(e.errno) if e.errno else str(e)), t0)
        return st
    s.settimeout(None)
    st.sock = s
    return st


def client(args):
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    t0 = now()
    t0_epoch = time.time()  # error_at_s and the run's times are relative to this

    chat = connect(args.server, CHAT_PORT, "chat", t0)
    dl = connect(args.server, DOWNLOAD_PORT, "download", t0)
    threads = []
    if chat.sock:
        threads.append(threading.Thread(target=chat.read, args=(t0, stop), daemon=True))

        def chat_write():
            err = ticker(chat.sock, lambda n: b"C%015d" % n, stop)
            if err and not stop.is_set():
                chat.fail("write: " + err, t0)

        threads.append(threading.Thread(target=chat_write, daemon=True))
    if dl.sock:
        threads.append(threading.Thread(target=dl.read, args=(t0, stop), daemon=True))

    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.connect((args.server, UDP_PORT))
    echoed = bytearray()  # echoed[seq] = 1 once seq's echo came back
    udp = {"sent": 0, "last": None, "longest": 0.0, "max_rtt": 0.0, "recv_done": False}

    def udp_recv():
        u.settimeout(0.1)
        while not udp["recv_done"]:
            try:
                data = u.recv(64)
            except socket.timeout:
                continue
            except OSError:  # ICMP errors on a connected socket: the probe is lost anyway
                continue
            t = now()
            if len(data) != PROBE.size:
                continue
            seq, sent_ns = PROBE.unpack(data)
            if seq >= len(echoed) or echoed[seq]:
                continue
            echoed[seq] = 1
            if udp["last"] is not None:
                udp["longest"] = max(udp["longest"], t - udp["last"])
            udp["last"] = t
            udp["max_rtt"] = max(udp["max_rtt"], t - sent_ns / 1e9)

    def udp_send():
        seq = 0
        nxt = now()
        while not stop.is_set():
            t = now()
            # A late wake-up sends the probes that were due: the rate stays 1 kHz.
            while nxt <= t and not stop.is_set():
                echoed.append(0)
                try:
                    u.send(PROBE.pack(seq, int(now() * 1e9)))
                except OSError:
                    pass
                seq += 1
                nxt += 0.001
            if args.stop_file and seq % 100 == 0 and os.path.exists(args.stop_file):
                stop.set()
            time.sleep(max(0.0, nxt - now()))
        udp["sent"] = seq

    recv_t = threading.Thread(target=udp_recv, daemon=True)
    recv_t.start()
    for t in threads:
        t.start()
    udp_send()  # until the stop
    t_stop = now()
    time.sleep(0.3)  # echoes in flight
    udp["recv_done"] = True
    recv_t.join()
    for st in (chat, dl):
        if st.sock:
            try:
                st.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
    got = sum(echoed[: udp["sent"]])
    longest = udp["longest"]
    if udp["last"] is not None:
        longest = max(longest, t_stop - udp["last"])
    run = best = 0
    recording = False
    runs = []  # [first lost probe's send time (s since the start), probes lost in a row]
    for i in range(udp["sent"]):
        run = 0 if echoed[i] else run + 1
        best = max(best, run)
        if run == 1:
            recording = len(runs) < 1000
            if recording:
                runs.append([round(i / 1000, 3), 1])
        elif run > 1 and recording:
            runs[-1][1] = run
    print(json.dumps({
        "start_epoch": round(t0_epoch, 6),
        "duration_s": round(t_stop - t0, 3),
        "udp": {
            "sent": udp["sent"],
            "lost": udp["sent"] - got,
            "longest_gap_ms": round(longest * 1000, 1) if udp["last"] is not None else None,
            "longest_loss_run": best,
            "loss_runs": runs,
            "max_rtt_ms": round(udp["max_rtt"] * 1000, 1),
        },
        "chat": chat.summary(t_stop),
        "download": dl.summary(t_stop),
    }))
    sys.stdout.flush()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("server")
    s.add_argument("--bind", default="0.0.0.0")
    c = sub.add_parser("client")
    c.add_argument("--server", required=True)
    c.add_argument("--stop-file")
    args = p.parse_args()
    server(args) if args.mode == "server" else client(args)


if __name__ == "__main__":
    main()
