#!/usr/bin/env python3
"""vrouterd's protocol: over the socket and over a serial line (pty), apply -> show -> status,
malformed and oversized lines, stdin, an unreachable agent.
Usage: test-protocol.py VROUTERD VROUTERCTL SOURCE_ROOT"""
import json
import os
import signal
import socket
import tempfile
import threading
import time

from daemonlib import (SECRETS, SLOW, Daemon, PtyRelay, Results, check, connect, ctl, intent,
                       normalized, plan_offline, read_line, write_json)

res = Results()
tmp = tempfile.mkdtemp(prefix="vrouterd-protocol-")
relay = PtyRelay(tmp)
os.mkdir(os.path.join(tmp, "d"))
d = Daemon(os.path.join(tmp, "d"), serial=relay.daemon_path)
d.start()
serial_sock = ["--serial", relay.sock_path]
serial_tty = ["--serial", relay.client_tty]


def intent_file(doc, name, indent=None):
    path = os.path.join(tmp, name)
    write_json(path, doc, indent)
    return path


def test_notify():
    check(any("READY=1" in m for m in d.notify), "no READY=1", d.notify)
    check(any("STATUS=" in m for m in d.notify), "no STATUS=", d.notify)


def test_apply_show_status():
    path = intent_file(intent(1), "g1.json", indent=2)
    rc, out, err = d.ctl("apply", path)
    check(rc == 0, "apply: exit %d" % rc, out, err)
    a = json.loads(out)
    check(a["applied"] is True and a["generation"] == 1 and a["changes"] > 0,
          "apply answer", out)
    check(isinstance(a["duration_ms"], (int, float)), "duration_ms", out)
    check(out.count("\n") == 1, "one line on stdout", out)
    # show: the intent as applied, the secrets redacted.
    rc, out, err = d.ctl("show")
    check(rc == 0, "show: exit %d" % rc, err)
    shown = json.loads(out)
    want = intent(1)
    for t in want["vpn"]["ipsec"].values():
        t["psk"] = "<redacted>"
    wg = want["vpn"]["wireguard"]["wg0"]
    wg["private_key"] = "<redacted>"
    wg["peers"]["site-b"]["preshared_key"] = "<redacted>"
    check(shown == want, "show differs from the applied intent (secrets redacted)")
    check(list(shown) == list(want), "show keeps the document's key order", list(shown))
    for s in SECRETS:
        check(s not in out, "a secret in show's output")
    # status: the applied generation, the last apply, the router as observed.
    rc, out, err = d.ctl("status", "--json")
    check(rc == 0, "status: exit %d" % rc, err)
    st = json.loads(out)
    check(st["applied"] == {"generation": 1, "in_effect": True}, "status applied", out)
    last = st["last_apply"]
    check(last["generation"] == 1 and last["result"] == "applied" and
          last["origin"] == "socket" and last["changes"] == a["changes"], "last_apply", last)
    check(last["when"].endswith("Z") and "T" in last["when"], "when is ISO 8601", last)
    names = sorted(l["name"] for l in st["observed"]["links"])
    check(names == ["mgmt", "public", "sync", "web", "wg0"], "observed links", names)
    check({"interface": "web", "address": "10.1.1.2/24"} in st["observed"]["addresses"],
          "observed addresses", st["observed"]["addresses"])
    check(any(r["to"] == "0.0.0.0/0" and r.get("via") == "203.0.113.1" and r["metric"] == 1
              for r in st["observed"]["routes"]), "observed routes", st["observed"]["routes"])
    for s in SECRETS:
        check(s not in out, "a secret in status")
    rc, human, err = d.ctl("status")
    check(rc == 0 and "generation 1, in effect" in human and "10.1.1.2/24" in human,
          "human status", human, err)
    # What the daemon did is what the offline plan of this intent against the router's new
    # state says is left to do: nothing.
    check(plan_offline(intent(1), d.router) == [], "the router does not match the intent")


def test_stdin():
    doc = json.dumps(intent(2), indent=4).encode()
    rc, out, err = d.ctl("apply", "-", stdin=doc)
    check(rc == 0 and json.loads(out)["generation"] == 2, "apply - (stdin)", out, err)


def test_invalid_like_check():
    bad = intent(3)
    bad["interfaces"]["web"]["mtu"] = 20
    bad["routes"][0]["via"] = "not-an-address"
    bad["bogus"] = 1
    path = intent_file(bad, "bad.json", indent=2)
    rc, out, err = d.ctl("apply", path)
    rc2, _, err2 = ctl([], "check", path)
    check(rc == 1 and rc2 == 1, "exit codes %d %d" % (rc, rc2))
    check(err == err2, "apply's errors differ from check's", err, err2)
    check(json.loads(out)["exit"] == 1, "answer", out)
    # Not JSON at all: refused locally, with check's message, the agent not involved.
    path = os.path.join(tmp, "notjson.json")
    with open(path, "w") as f:
        f.write('{"version": 1,\n  "generation": }\n')
    rc, out, err = d.ctl("apply", path)
    rc2, _, err2 = ctl([], "check", path)
    check(rc == 1 and err == err2, "not JSON", rc, err, err2)
    # A duplicate key, a number out of range: the agent refuses the request, and vrouterctl
    # prints check's error, at its pointer into the intent.
    text = json.dumps(intent(3))
    for bad, want in [
            (text.replace('"generation": 3', '"generation": 3, "generation": 4', 1),
             ': duplicate key "generation"\n'),
            (text.replace('"metric": 3', '"metric": 3, "metric": 4', 1),
             '/routes/0: duplicate key "metric"\n'),
            (text.replace('"generation": 3', '"generation": 99999999999999999999', 1),
             '/generation: integer out of range\n')]:
        check(bad != text, "the test intent changed", bad)
        with open(path, "w") as f:
            f.write(bad)
        rc, out, err = d.ctl("apply", path)
        rc2, _, err2 = ctl([], "check", path)
        check(rc == 1 and err == want and rc2 == 1 and err2 == want, "apply and check of %r"
              % want, rc, err, rc2, err2)
    rc, out, err = d.ctl("show")
    check(json.loads(out)["generation"] == 2, "the invalid intents changed nothing", out)


def test_serial_same_answers():
    """The same requests over the socket and over the serial line: the same answers."""
    path = intent_file(intent(2), "g2.json")
    bad = intent(9)
    bad["interfaces"]["web"]["mac"] = "nope"
    bad_path = intent_file(bad, "bad9.json")
    stale_path = intent_file(intent(1), "g1c.json")
    cases = [("check", path), ("check", bad_path), ("apply", path), ("apply", stale_path),
             ("apply", bad_path), ("plan", path), ("plan", stale_path), ("show",),
             ("status", "--json")]
    for args in cases:
        results = [d.ctl(*args, transport=t)
                   for t in (["--socket", d.sock], serial_sock, serial_tty)]
        rcs = [r[0] for r in results]
        check(len(set(rcs)) == 1, "%s: exit codes differ" % (args,), results)
        if args[0] == "plan":
            outs = [r[1] for r in results]
        else:
            outs = [normalized(r[1]) for r in results]
        check(outs[0] == outs[1] == outs[2], "%s: answers differ" % (args,), *results)
        errs = [r[2] for r in results]
        check(errs[0] == errs[1] == errs[2], "%s: errors differ" % (args,), *errs)
    # The serial applies are recorded as such.
    rc, out, _ = d.ctl("apply", path, transport=serial_tty)
    rc, out, _ = d.ctl("status", "--json")
    check(json.loads(out)["last_apply"]["origin"] == "serial", "origin serial", out)


def test_serial_noise():
    """Garbage left on the serial line before a request: the request still gets its answer
    (blank line first, answers matched by id)."""
    with connect(relay.sock_path) as s:
        s.sendall(b"garbage without newline {{{")
        time.sleep(0.2)
        rc, out, err = d.ctl("show", "--json", transport=serial_sock)
    check(rc == 0 and json.loads(out)["generation"] == 2, "show after noise", rc, out, err)
    # SIGHUP reopens the serial port; it answers afterwards.
    d.proc.send_signal(signal.SIGHUP)
    time.sleep(0.3)
    rc, out, err = d.ctl("show", "--json", transport=serial_tty)
    check(rc == 0 and json.loads(out)["generation"] == 2, "show after SIGHUP", rc, out, err)


def test_pipelined():
    """Several requests in one write, on the socket and on the serial line: one answer
    each, in order."""
    reqs = b"".join(b'{"request": "%s", "id": "p-%d"}\n' % (k, i)
                    for i, k in enumerate([b"show", b"status", b"nope", b"show"]))
    for path in (d.sock, relay.sock_path):
        with connect(path) as s:
            s.sendall(b"\n" + reqs)
            s.settimeout(30 * SLOW)
            got = b""
            while got.count(b"\n") < 4:
                data = s.recv(1 << 16)
                check(data, "connection closed", got)
                got += data
        answers = [json.loads(l) for l in got.decode().splitlines()]
        check([a["id"] for a in answers] == ["p-0", "p-1", "p-2", "p-3"],
              "answers out of order on %s" % path, answers)
        check([a["exit"] for a in answers] == [0, 0, 64, 0], "exit codes", answers)


def test_malformed():
    bad_lines = [b"not json\n", b"{}\n", b"[1, 2]\n", b'{"request": "nope"}\n',
                 b'{"request": "show", "intent": {}}\n', b'{"request": "apply"}\n',
                 b'{"request": "show", "extra": 1}\n', b'{"request": "show", "id": [1]}\n',
                 b'{"request": "show", "request": "status"}\n', b"\xff\xfe\n"]
    with connect(d.sock) as s:
        for line in bad_lines:
            s.sendall(line)
            a = json.loads(read_line(s))
            check(a["exit"] == 64 and isinstance(a["error"], str), "answer to %r" % line, a)
        # Blank lines get no answer; the connection goes on.
        s.sendall(b"\n  \r\n" + b'{"request": "show", "id": "x-1"}\n')
        a = json.loads(read_line(s))
        check(a["exit"] == 0 and a["id"] == "x-1" and a["generation"] == 2, "show", a)
        s.sendall(b'{"request": "nope", "id": 7}\n')
        a = json.loads(read_line(s))
        check(a["exit"] == 64 and a["id"] == 7, "error answers carry the id", a)
        # A duplicate key and a number out of range are named by their pointer into the
        # request.
        for line, want in [
                (b'{"request": "show", "request": "status"}\n', 'duplicate key "request"'),
                (b'{"request": "check", "intent": {"version": 1, "generation": 1e999}}\n',
                 '/intent/generation: number out of range'),
                (b'{"request": "check", "intent": {"interfaces": {"web": {"mtu": 1, "mtu": 2}}}}'
                 b'\n', '/intent/interfaces/web: duplicate key "mtu"')]:
            s.sendall(line)
            a = json.loads(read_line(s))
            check(a["exit"] == 64 and a["error"] == "request is not valid JSON: " + want,
                  "answer to %r" % line, a)
    # A request without a newline, then end of file: answered.
    with connect(d.sock) as s:
        s.sendall(b'{"request": "show"}')
        s.shutdown(socket.SHUT_WR)
        a = json.loads(read_line(s))
        check(a["exit"] == 0, "request at end of file", a)


def test_multibyte_cut():
    """Error messages cut on character boundaries, over the socket and the serial port: the
    answer is the error with the request's id, never "out of memory" without it."""
    name = "\u00e9" * 40  # 80 bytes: a 64-byte cut falls on a boundary; 63 + "x" does not
    for value in ("x" + name, name):
        line = json.dumps({"request": value, "id": "mb-1"}, ensure_ascii=False) + "\n"
        with connect(d.sock) as s:
            s.sendall(line.encode())
            a = json.loads(read_line(s))
        check(a["exit"] == 64 and a["id"] == "mb-1" and
              a["error"].startswith('unknown request "' + value[:32]), "answer", a)
        key = json.dumps({"request": "show", value: 1, "id": 9}, ensure_ascii=False) + "\n"
        with connect(d.sock) as s:
            s.sendall(key.encode())
            a = json.loads(read_line(s))
        check(a["exit"] == 64 and a["id"] == 9 and "unknown key" in a["error"], "key", a)
    # An intent whose errors quote a value cut at 64 bytes: the errors, as check gives them.
    doc = intent(9)
    doc["routes"][0]["via"] = "x" + name
    rc, out, err = d.ctl("apply", intent_file(doc, "mb.json"), transport=serial_sock)
    a = json.loads(out)
    check(rc == 1 and any(e["pointer"] == "/routes/0/via" and value[:20] in e["message"]
                          for e in a["errors"]), "serial apply", out, err)


def test_huge_line_and_concurrent_apply():
    """A 20 MB line gets an error answer, the connection goes on, and an apply on another
    connection completes while the line is half sent."""
    size = 20 * 1000 * 1000
    chunk = b"x" * (1 << 20)
    half_sent = threading.Event()
    applied = threading.Event()
    box = {}

    def sender():
        with connect(d.sock) as s:
            s.settimeout(120 * SLOW)
            sent = 0
            s.sendall(b'{"request": "show", "pad": "')
            while sent < size:
                if sent >= size // 2 and not half_sent.is_set():
                    half_sent.set()
                    box["waited"] = applied.wait(120 * SLOW)
                s.sendall(chunk)
                sent += len(chunk)
            s.sendall(b'"}\n{"request": "show"}\n')
            got = b""
            while got.count(b"\n") < 2:
                data = s.recv(1 << 16)
                check(data, "connection closed", got)
                got += data
            box["lines"] = got.decode().splitlines()

    t = threading.Thread(target=sender)
    t.start()
    check(half_sent.wait(60 * SLOW), "the sender is stuck")
    path = intent_file(intent(4), "g4.json")
    rc, out, err = d.ctl("apply", path)
    applied.set()
    t.join()
    check(rc == 0 and json.loads(out)["generation"] == 4, "the concurrent apply", out, err)
    check(box["waited"], "the apply did not complete while the line was half sent")
    first = json.loads(box["lines"][0])
    check(first["exit"] == 64 and "longer than" in first["error"], "huge line answer", first)
    after = json.loads(box["lines"][1])
    check(after["exit"] == 0 and after["generation"] == 4, "the connection goes on", after)
    check(d.alive(), "the daemon died")


def test_unreachable():
    rc, out, err = ctl(["--socket", os.path.join(tmp, "nothing.sock")], "status")
    check(rc == 4 and "cannot reach the agent" in err, "unreachable socket", rc, err)
    rc, out, err = ctl(["--serial", os.path.join(tmp, "nothing")], "status")
    check(rc == 4, "unreachable serial", rc, err)
    # A serial line with no agent behind it: no answer within the timeout.
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as mute:
        mute_path = os.path.join(tmp, "mute.sock")
        mute.bind(mute_path)
        mute.listen(1)
        rc, out, err = ctl(["--serial", mute_path, "--timeout", "1"], "status")
    check(rc == 4 and "no answer" in err, "no answer", rc, err)


def test_no_secrets_in_log():
    log = d.log_text()
    for s in SECRETS:
        check(s not in log, "a secret in the daemon's log")
    check("generation 1 applied" in log, "the log says what was applied", log)


def test_image_version():
    """status names the image's version when the agent is told it (--image-version, from the
    image's release file in the unit), and null when not; a version that is not one is
    refused at start."""
    st = json.loads(d.ctl("status", "--json")[1])
    check(st["agent"]["image_version"] is None, "no image: null", st["agent"])

    class ImageDaemon(Daemon):
        def __init__(self, directory, version):
            super().__init__(directory)
            self.version = version

        def argv(self):
            return super().argv() + ["--image-version", self.version]

    os.makedirs(os.path.join(tmp, "img"), exist_ok=True)
    i = ImageDaemon(os.path.join(tmp, "img"), "0.2.0-rc1")
    i.start()
    try:
        rc, out, err = i.ctl("status", "--json")
        check(rc == 0 and json.loads(out)["agent"]["image_version"] == "0.2.0-rc1",
              "status --json: the image's version", out, err)
        rc, out, err = i.ctl("status")
        check(rc == 0 and ", image 0.2.0-rc1, " in out.splitlines()[0], "status: on the agent's "
              "line", out)
    finally:
        i.stop()
    bad = ImageDaemon(os.path.join(tmp, "img"), "0.2 beta")
    check(not bad.start(expect_ready=False), "a version with a space refused at start")
    check(bad.proc.wait(timeout=30) == 64 and "--image-version" in bad.log_text(),
          "exit 64, the option named", bad.log_text()[-500:])
    bad.proc = None


res.run("notify READY and STATUS", test_notify)
res.run("the image's version in status", test_image_version)
res.run("apply, show, status", test_apply_show_status)
res.run("apply - (stdin, as over ssh)", test_stdin)
res.run("invalid intent: the errors of check", test_invalid_like_check)
res.run("socket, serial socket and serial tty answer the same", test_serial_same_answers)
res.run("serial: noise on the line, SIGHUP", test_serial_noise)
res.run("pipelined requests (socket, serial)", test_pipelined)
res.run("malformed lines", test_malformed)
res.run("messages cut inside a multi-byte character", test_multibyte_cut)
res.run("20 MB line and a concurrent apply", test_huge_line_and_concurrent_apply)
res.run("unreachable agent: exit 4", test_unreachable)
res.run("no secrets in the log", test_no_secrets_in_log)
res.run("clean stop", d.stop)
relay.close()
res.finish(tmp)
