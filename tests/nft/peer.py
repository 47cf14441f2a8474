#!/usr/bin/env python3
# Traffic helper for nft-traffic.sh (runs inside the test's namespaces). IPv4 and IPv6: the
# servers listen on both (peers printed as plain IPv4 or IPv6 addresses), HOST is either.
#   peer.py serve PORT...           accept TCP on each port; answer "port=P peer=ADDR"
#   peer.py ask HOST PORT [SRC]     connect (from SRC), print the answer; exit 2 refused,
#                                   3 timeout, 4 unreachable
#   peer.py udp HOST PORT [SRC]     send a datagram (from SRC), print "reply" when one comes
#                                   back; exit 4 on an ICMP unreachable, 0 otherwise
#   peer.py udpecho PORT...         echo datagrams back on each port, forever
#   peer.py echo PORT               echo lines back (one connection at a time, forever)
#   peer.py stream HOST PORT SECS   send a line every 50 ms for SECS (0: until SIGTERM),
#                                   check each echo
#   peer.py rawlisten PROTO FILE IFNAME...
#                                   receive IP protocol PROTO (IPv4 and IPv6), joined to the
#                                   VRRP groups 224.0.0.18 and ff02::12 on each interface;
#                                   append "PAYLOAD from=SOURCE" to FILE for each packet
#   peer.py rawsend DEST PROTO PAYLOAD [SRC|-] [IFNAME]
#                                   send one packet of IP protocol PROTO (from SRC, out of
#                                   IFNAME); print "sent" or "error MESSAGE"
import errno, select, signal, socket, struct, sys, threading, time

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

def ask(host, port, src=None):
    try:
        c = socket.create_connection((host, int(port)), timeout=2,
                                     source_address=(src, 0) if src else None)
        print(c.makefile().readline().strip())
        return 0
    except ConnectionRefusedError:
        print("refused"); return 2
    except socket.timeout:
        print("timeout"); return 3
    except OSError as e:
        print(f"error {e.strerror}")
        return 4 if e.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH) else 1

def udp(host, port, src=None):
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1)
    if src:
        s.bind((src, 0))
    s.connect((host, int(port)))
    try:
        s.send(b"x")
        s.recv(100)
    except socket.timeout:
        print("timeout"); return 0
    except OSError as e:
        print(f"error {e.strerror}")
        return 4 if e.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ECONNREFUSED) else 1
    print("reply")
    return 0

def udpecho(ports):
    socks = []
    for p in ports:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind(("::", int(p)))
        socks.append(s)
    while True:
        for s in select.select(socks, [], [])[0]:
            data, a = s.recvfrom(2048)
            s.sendto(data, a)

def rawlisten(proto, path, ifnames):
    s4 = socket.socket(socket.AF_INET, socket.SOCK_RAW, int(proto))
    s6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, int(proto))
    for name in ifnames:
        i = socket.if_nametoindex(name)
        s4.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                      struct.pack("4s4si", socket.inet_aton("224.0.0.18"), bytes(4), i))
        s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP,
                      struct.pack("16si", socket.inet_pton(socket.AF_INET6, "ff02::12"), i))
    out = open(path, "a")
    while True:
        for s in select.select([s4, s6], [], [])[0]:
            data, a = s.recvfrom(2048)
            if s is s4:
                data = data[(data[0] & 0xf) * 4:]  # raw IPv4 comes with its header
            out.write(f"{data.decode(errors='replace')} from={a[0]}\n")
            out.flush()

def rawsend(dest, proto, payload, src="-", ifname=None):
    v6 = ":" in dest
    s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_RAW, int(proto))
    if src != "-":
        s.bind((src, 0))
    if ifname:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifname.encode())
    to = (dest, 0, 0, socket.if_nametoindex(ifname) if ifname else 0) if v6 else (dest, 0)
    try:
        s.sendto(payload.encode(), to)
    except OSError as e:
        print(f"error {e.strerror}"); return 1
    print("sent")
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
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    c = socket.create_connection((host, int(port)), timeout=2)
    f = c.makefile("rb")
    end, n = time.time() + float(secs), 0
    while not stop and (float(secs) == 0 or time.time() < end):
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
          "udpecho": lambda: udpecho(args), "echo": lambda: echo(*args),
          "stream": lambda: stream(*args),
          "rawlisten": lambda: rawlisten(args[0], args[1], args[2:]),
          "rawsend": lambda: rawsend(*args)}[cmd]())
