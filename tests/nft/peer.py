#!/usr/bin/env python3
# Traffic helper for nft-traffic.sh (runs inside the test's namespaces). IPv4 and IPv6: the
# servers listen on both (peers printed as plain IPv4 or IPv6 addresses), HOST is either.
#   peer.py serve PORT...           accept TCP on each port; answer "port=P peer=ADDR"
#   peer.py ask HOST PORT           connect, print the answer; exit 2 refused, 3 timeout,
#                                   4 unreachable
#   peer.py udp HOST PORT           send a datagram; exit 4 on an ICMP unreachable, 0 otherwise
#   peer.py echo PORT               echo lines back (one connection at a time, forever)
#   peer.py stream HOST PORT SECS   send a line every 50 ms for SECS, check each echo
import errno, socket, sys, threading, time

def listener(port, backlog):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", int(port)))
    s.listen(backlog)
    return s

def plain(addr):
    return addr[7:] if addr.startswith("::ffff:") and "." in addr else addr

def serve(ports):
    def loop(s):
        while True:
            c, a = s.accept()
            c.sendall(f"port={c.getsockname()[1]} peer={plain(a[0])}\n".encode())
            c.close()
    for p in ports:
        s = listener(p, 16)
        threading.Thread(target=loop, args=(s,), daemon=True).start()
    while True:
        time.sleep(3600)

def ask(host, port):
    try:
        c = socket.create_connection((host, int(port)), timeout=2)
        print(c.makefile().readline().strip())
        return 0
    except ConnectionRefusedError:
        print("refused"); return 2
    except socket.timeout:
        print("timeout"); return 3
    except OSError as e:
        print(f"error {e.strerror}")
        return 4 if e.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH) else 1

def udp(host, port):
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1)
    s.connect((host, int(port)))
    try:
        s.send(b"x")
        s.recv(100)
    except socket.timeout:
        print("timeout"); return 0
    except OSError as e:
        print(f"error {e.strerror}")
        return 4 if e.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ECONNREFUSED) else 1
    return 0

def echo(port):
    s = listener(port, 4)
    while True:
        c, _ = s.accept()
        f = c.makefile("rb")
        for line in f:
            c.sendall(line)
        c.close()

def stream(host, port, secs):
    c = socket.create_connection((host, int(port)), timeout=2)
    f = c.makefile("rb")
    end, n = time.time() + float(secs), 0
    while time.time() < end:
        msg = f"line {n}\n".encode()
        c.sendall(msg)
        if f.readline() != msg:
            print(f"broken at line {n}"); return 1
        n += 1
        time.sleep(0.05)
    print(f"lines={n}")
    return 0

cmd, args = sys.argv[1], sys.argv[2:]
sys.exit({"serve": lambda: serve(args), "ask": lambda: ask(*args), "udp": lambda: udp(*args),
          "echo": lambda: echo(*args), "stream": lambda: stream(*args)}[cmd]())
