#!/usr/bin/env python3
"""Drives a VM's serial console through QEMU's UNIX socket (scripts/run-vm --console unix:P).

Subcommands (exit status 0 on success):
  console.py SOCKET login PASSWORD [--expect-refused]
      press Enter, wait for the login prompt, log in as root; with --expect-refused succeed
      only if the console answers "Login incorrect"
  console.py SOCKET no-prompt SECONDS
      press Enter and succeed if no login prompt appears within SECONDS
  console.py SOCKET run COMMAND
      run COMMAND in the shell logged in on the console; print its output, exit with its
      status
  console.py hash PASSWORD
      print a SHA-512 crypt(3) hash of PASSWORD

A shell session lives on the guest's tty, not in the socket connection: `login` once, then
`run` as often as needed.
"""
import os
import re
import socket
import sys
import time

TIMEOUT = float(os.environ.get("CONSOLE_TIMEOUT", "120"))
PROMPT = re.compile(rb"[#$] $")


class Console:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buf = b""

    def send(self, text):
        self.sock.sendall(text.encode())

    def expect(self, *patterns, timeout=TIMEOUT):
        """Waits for the first of PATTERNS (regexes); returns (index, text before the match).
        The match itself is in self.match."""
        end = time.monotonic() + timeout
        regexes = [re.compile(p) if isinstance(p, bytes) else p for p in patterns]
        while True:
            for i, r in enumerate(regexes):
                m = r.search(self.buf)
                if m:
                    self.match = m
                    before = self.buf[: m.start()]
                    self.buf = self.buf[m.end():]
                    return i, before
            left = end - time.monotonic()
            if left <= 0:
                return -1, self.buf
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            if not data:
                return -1, self.buf
            self.buf += data


def login(c, password, expect_refused):
    # A prompt is whatever the console printed last. After a failed login, login(1) itself
    # asks again and takes an empty name as a name: answer a stray password prompt with an
    # empty password and wait for the next login prompt.
    c.send("\r")
    for _ in range(3):
        i, _ = c.expect(rb"login: $", rb"Password: $")
        if i != 1:
            break
        c.send("\r")
    if i != 0:
        print("console: no login prompt", file=sys.stderr)
        return 1
    c.send("root\r")
    if c.expect(rb"Password: $")[0] != 0:
        print("console: no password prompt", file=sys.stderr)
        return 1
    c.send(password + "\r")
    i, _ = c.expect(PROMPT, rb"Login incorrect", timeout=60)
    if expect_refused:
        return 0 if i == 1 else 1
    if i != 0:
        print("console: login failed", file=sys.stderr)
        return 1
    # No echo, no line wrapping, no bracketed paste: a command's output is what it prints.
    c.send("stty -echo cols 1000; bind 'set enable-bracketed-paste off'\r")
    return 0 if c.expect(PROMPT)[0] == 0 else 1


def run(c, command):
    c.send("\r")
    if c.expect(PROMPT, timeout=30)[0] != 0:
        print("console: no shell prompt (not logged in?)", file=sys.stderr)
        return 1
    c.buf = b""
    c.send(command + '; echo "@@END:$?"\r')
    i, out = c.expect(rb"@@END:(\d+)")
    if i != 0:
        print("console: command did not finish", file=sys.stderr)
        return 1
    status = int(c.match.group(1))
    out = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", out).replace(b"\r\n", b"\n").lstrip(b"\n")
    sys.stdout.write(out.decode(errors="replace"))
    return status


def main(argv):
    if len(argv) == 3 and argv[1] == "hash":
        import warnings

        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt

        print(crypt.crypt(argv[2], crypt.mksalt(crypt.METHOD_SHA512)))
        return 0
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 64
    c = Console(argv[1])
    if argv[2] == "login" and len(argv) >= 4:
        return login(c, argv[3], "--expect-refused" in argv[4:])
    if argv[2] == "no-prompt" and len(argv) == 4:
        c.send("\r")
        return 0 if c.expect(rb"login: ", timeout=float(argv[3]))[0] == -1 else 1
    if argv[2] == "run" and len(argv) == 4:
        return run(c, argv[3])
    print(__doc__, file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv))
