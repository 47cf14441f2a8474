#!/usr/bin/env python3
"""A TCP exchange for the VPN tests.

  tcp-echo.py serve ADDRESS PORT            echoes one connection, then exits; prints the
                                            client's address
  tcp-echo.py connect ADDRESS PORT [SOURCE] sends 64 KiB, exits 0 when all came back
"""
import os
import socket
import sys


def serve(addr, port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(1)
    s.settimeout(20)
    c, peer = s.accept()
    print(peer[0], flush=True)
    c.settimeout(20)
    while True:
        b = c.recv(65536)
        if not b:
            break
        c.sendall(b)
    c.close()


def connect(addr, port, source=None):
    data = os.urandom(65536)
    s = socket.socket()
    s.settimeout(10)
    if source:
        s.bind((source, 0))
    s.connect((addr, port))
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    got = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        got += b
    return got == data


def main():
    if sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]))
        return 0
    try:
        return 0 if connect(sys.argv[2], int(sys.argv[3]), *sys.argv[4:5]) else 1
    except OSError as e:
        print(f"tcp-echo: {e}", file=sys.stderr)
        return 1


sys.exit(main())
