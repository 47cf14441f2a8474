"""Helpers of the vrouterd tests: a daemon on the recording backend in a temporary directory
(no root, nothing touches the kernel), vrouterctl, raw protocol lines, intents, a pty relay.

Every test script: python3 test-X.py VROUTERD VROUTERCTL SOURCE_ROOT
Environment: VROUTERD_WRAPPER (e.g. "valgrind --error-exitcode=99 ...") runs the daemon under it.
"""
import copy
import hashlib
import json
import os
import pty
import re
import select
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tty
import traceback

VROUTERD, VROUTERCTL, SOURCE_ROOT = sys.argv[1:4]
WRAPPER = shlex.split(os.environ.get("VROUTERD_WRAPPER", ""))
# Under valgrind everything is slower.
SLOW = 20 if WRAPPER else 1

# The NICs of the test router (the intents' MACs), as a freshly booted router has them.
MACS = {"mgmt": "52:54:00:00:01:01", "public": "52:54:00:00:01:02",
        "web": "52:54:00:00:01:03", "sync": "52:54:00:00:01:04"}

# The secrets of the base intent: never in show, status or the daemon's log.
SECRETS = []


def fresh_router():
    return {"hostname": "localhost",
            "links": [{"name": "eth%d" % i, "mac": mac, "mtu": 1500, "up": False}
                      for i, mac in enumerate(MACS.values())]}


def _base():
    with open(os.path.join(SOURCE_ROOT, "tests/valid/vpn-ipsec.json")) as f:
        base = json.load(f)
    with open(os.path.join(SOURCE_ROOT, "tests/valid/vpn-wireguard.json")) as f:
        wg = json.load(f)
    base["vpn"]["wireguard"] = {"wg0": wg["vpn"]["wireguard"]["wg0"]}
    return base


BASE = _base()
for t in BASE["vpn"]["ipsec"].values():
    SECRETS.append(t["psk"])
SECRETS.append(BASE["vpn"]["wireguard"]["wg0"]["private_key"])
SECRETS.append(BASE["vpn"]["wireguard"]["wg0"]["peers"]["site-b"]["preshared_key"])


def intent(gen, variant=None):
    """A valid intent of generation gen; variant (default gen) changes its content."""
    v = gen if variant is None else variant
    d = copy.deepcopy(BASE)
    d["generation"] = gen
    d["hostname"] = "r-%d" % v
    d["routes"] = [{"to": "0.0.0.0/0", "via": "203.0.113.1", "metric": v % 1000},
                   {"to": "10.200.%d.0/24" % (v % 256), "via": "10.1.1.254"}]
    return d


def large_intent(gen, rules=50000, hosts=20000, forwards=4000):
    """A large valid intent (bench/gen-intent.py), its MACs those of the test router."""
    out = subprocess.run([sys.executable, os.path.join(SOURCE_ROOT, "bench/gen-intent.py"),
                          "--generation", str(gen), "--rules", str(rules), "--hosts",
                          str(hosts), "--forwards", str(forwards)],
                         check=True, capture_output=True).stdout
    return json.loads(out)


def large_router(doc):
    return {"links": [{"name": "eth%d" % i, "mac": v["mac"], "mtu": 1500, "up": False}
                      for i, v in enumerate(doc["interfaces"].values())]}


class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def run(self, name, fn, *args):
        try:
            fn(*args)
        except Exception:
            self.failed += 1
            print("FAIL %s" % name)
            traceback.print_exc(file=sys.stdout)
        else:
            self.passed += 1
            print("ok   %s" % name)
        sys.stdout.flush()

    def finish(self, tmp=None):
        """The closing line; the temporary directory goes when everything passed."""
        if tmp and not self.failed:
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp:
            print("files kept in %s" % tmp)
        print("%d passed, %d failed" % (self.passed, self.failed))
        sys.exit(1 if self.failed else 0)


def check(cond, what, *detail):
    if not cond:
        raise AssertionError(what + "".join("\n    " + str(d) for d in detail))


class Daemon:
    """vrouterd on the recording backend in its own directory."""

    def __init__(self, directory=None, router=None, serial="none", payload=None):
        self.dir = directory or tempfile.mkdtemp(prefix="vrouterd-test-")
        self.sock = os.path.join(self.dir, "agent.sock")
        self.router = os.path.join(self.dir, "router.json")
        self.state = os.path.join(self.dir, "state")
        self.payload = payload or os.path.join(self.dir, "payload.json")
        self.log = os.path.join(self.dir, "vrouterd.log")
        self.serial = serial
        # Log lines with their syslog priority ("<4>" for a warning), as under systemd.
        self.journal = False
        self.proc = None
        self.notify = []
        if router is not None or not os.path.exists(self.router):
            write_json(self.router, router if router is not None else fresh_router())

    def argv(self):
        return WRAPPER + [VROUTERD, "--backend", "record:" + self.router, "--socket", self.sock,
                          "--state-dir", self.state, "--confdir", "/etc/vrouter",
                          "--payload", self.payload, "--serial", self.serial]

    def start(self, expect_ready=True):
        notify_path = os.path.join(self.dir, "notify-%d.sock" % time.monotonic_ns())
        ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        ns.bind(notify_path)
        env = dict(os.environ, NOTIFY_SOCKET=notify_path)
        env.pop("JOURNAL_STREAM", None)
        if self.journal:
            env["JOURNAL_STREAM"] = "0:0"
        self.notify = []
        with open(self.log, "a") as log:
            self.proc = subprocess.Popen(self.argv(), stdout=log, stderr=log, env=env,
                                         stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 30 * SLOW
        ready = False
        while time.monotonic() < deadline and self.proc.poll() is None and not ready:
            r, _, _ = select.select([ns], [], [], 0.1)
            if r:
                msg = ns.recv(4096).decode()
                self.notify.append(msg)
                ready = "READY=1" in msg.split("\n")
        ns.close()
        os.unlink(notify_path)
        if expect_ready:
            check(ready, "vrouterd did not send READY=1", self.log_text())
        return ready

    def stop(self):
        """SIGTERM; the exit code must be 0 (under valgrind: no error either)."""
        if not self.proc:
            return
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=60 * SLOW)
        self.proc = None
        check(rc == 0, "vrouterd exited with %d" % rc, self.log_text()[-3000:])
        check(not os.path.exists(self.sock), "the socket file is left behind")

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc = None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_text(self):
        try:
            with open(self.log) as f:
                return f.read()
        except OSError:
            return ""

    def ctl(self, *args, stdin=None, transport=None, timeout=None):
        return ctl(["--socket", self.sock] if transport is None else transport, *args,
                   stdin=stdin, timeout=timeout)

    def request(self, line, timeout=None):
        """One raw line over a new connection; the answer line as a dict."""
        with connect(self.sock) as s:
            s.sendall(line if isinstance(line, bytes) else line.encode())
            return json.loads(read_line(s, timeout))

    def persisted_text(self):
        """intent.json's text after its checksum line, which must agree with it."""
        with open(os.path.join(self.state, "intent.json"), "rb") as f:
            return unseal(f.read()).decode()

    def persisted(self):
        return json.loads(self.persisted_text())

    def router_state(self):
        """The recording backend's state, its routes sorted: the backend lists them in the
        order they were made, which a sequence of applies changes without changing the set."""
        with open(self.router) as f:
            state = json.load(f)
        if isinstance(state.get("routes"), list):
            state["routes"].sort(key=lambda r: json.dumps(r, sort_keys=True))
        return state


def seal(body):
    """A state file's text as the agent writes it: the checksum line, then body (bytes)."""
    return b"# vrouter-state v1 sha256 %s %d\n" % (hashlib.sha256(body).hexdigest().encode(),
                                                   len(body)) + body


def unseal(raw):
    """The body of a state file whose checksum line agrees with it (else AssertionError)."""
    m = re.match(rb"# vrouter-state v1 sha256 ([0-9a-f]{64}) ([0-9]+)\n", raw)
    check(m is not None, "no checksum line", raw[:100])
    body = raw[m.end():]
    check(int(m.group(2)) == len(body) and hashlib.sha256(body).hexdigest().encode() ==
          m.group(1), "the checksum line does not agree with the file", raw[:100])
    return body


# A file of the state directory set aside: "NAME.PROBLEM-YYYYMMDDTHHMMSSZ" (".N" when that name
# was taken).
ASIDE = re.compile(r"^(?P<file>.+)\.(?P<problem>[a-z]+)-(?P<stamp>\d{8}T\d{6}Z)(?:\.\d+)?$")


def aside_files(d, name):
    """The files that `name` (a path in the state directory) was set aside as."""
    directory, base = os.path.split(os.path.join(d.state, name))
    return sorted(os.path.join(directory, f) for f in os.listdir(directory)
                  if ASIDE.match(f) and ASIDE.match(f).group("file") == base)


def check_set_aside(d, name, problem, content):
    """name (a path in the state directory) was set aside once, for problem, its bytes kept;
    the log says so at warning and status shows it (text and --json). Where it went."""
    files = aside_files(d, name)
    check(len(files) == 1, "%s set aside once" % name, files)
    moved = files[0]
    m = ASIDE.match(os.path.basename(moved))
    check(m.group("problem") == problem, "%s set aside for %s" % (name, problem), files)
    with open(moved, "rb") as f:
        check(f.read() == content, "the set-aside file holds what %s held" % name)
    s = m.group("stamp")
    when = "%s-%s-%sT%s:%s:%sZ" % (s[0:4], s[4:6], s[6:8], s[9:11], s[11:13], s[13:15])
    rc, out, err = d.ctl("status", "--json")
    check(rc == 0, "status: exit %d" % rc, err)
    st = json.loads(out)
    entries = [e for e in st.get("set_aside", []) if e.get("moved_to") == moved]
    check(entries == [{"file": os.path.join(d.state, name), "problem": problem,
                       "moved_to": moved, "when": when}], "status --json", st.get("set_aside"))
    rc, out, err = d.ctl("status")
    check(rc == 0 and any(line.startswith("set aside") and moved in line and problem in line
                          for line in out.splitlines()), "text status", out, err)
    check(any(line.startswith("<4>") and moved in line for line in d.log_text().splitlines()),
          "logged at warning", d.log_text())
    return moved


def write_json(path, doc, indent=None):
    with open(path, "w") as f:
        json.dump(doc, f, indent=indent)


def ctl(transport, *args, stdin=None, timeout=None):
    """vrouterctl with global options `transport`; (exit code, stdout, stderr)."""
    p = subprocess.run([VROUTERCTL] + list(transport) + list(args), capture_output=True,
                       input=stdin, timeout=timeout or 120 * SLOW)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def read_line(s, timeout=None):
    s.settimeout(timeout or 60 * SLOW)
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(1 << 20)
        if not chunk:
            raise AssertionError("connection closed before a whole line: %r" % buf[:200])
        buf += chunk
    return buf.decode()


def plan_offline(doc, router_path):
    """The operations `vrouterctl plan` (no agent) finds from a state file to an intent."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(doc, f)
    try:
        rc, out, err = ctl([], "plan", f.name, "--observed", router_path)
    finally:
        os.unlink(f.name)
    check(rc == 0, "offline plan failed (%d)" % rc, err)
    return out.splitlines()


class PtyRelay:
    """The host side of a serial line, with no QEMU: the daemon opens the slave of pty A.
    Clients reach it through the master of A, relayed either from a listening UNIX socket
    (like QEMU's `-chardev socket,server=on`) or from the master of a second pty B, whose
    slave a client opens as a tty. Answers go back to the side that wrote last."""

    def __init__(self, directory):
        self.master_a, self.slave_a = pty.openpty()
        self.daemon_path = os.ttyname(self.slave_a)
        tty.setraw(self.slave_a)
        self.master_b, self.slave_b = pty.openpty()
        self.client_tty = os.ttyname(self.slave_b)
        tty.setraw(self.slave_b)
        # The slaves stay open here too: a master whose slave nobody holds fails with EIO.
        self.sock_path = os.path.join(directory, "serial-host.sock")
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.sock_path)
        self.listener.listen(4)
        self.client = None
        self.to_socket = True
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop:
            fds = [self.master_a, self.master_b, self.listener]
            if self.client:
                fds.append(self.client)
            r, _, _ = select.select(fds, [], [], 0.1)
            for fd in r:
                if fd is self.listener:
                    if self.client:
                        self.client.close()
                    self.client, _ = self.listener.accept()
                elif fd == self.master_a:
                    data = os.read(self.master_a, 1 << 16)
                    if self.to_socket and self.client:
                        try:
                            self.client.sendall(data)
                        except OSError:
                            self.client = None
                    elif not self.to_socket:
                        _write_all(self.master_b, data)
                elif fd == self.master_b:
                    self.to_socket = False
                    _write_all(self.master_a, os.read(self.master_b, 1 << 16))
                else:
                    data = self.client.recv(1 << 16)
                    if not data:
                        self.client.close()
                        self.client = None
                        continue
                    self.to_socket = True
                    _write_all(self.master_a, data)

    def close(self):
        self.stop = True
        self.thread.join()
        for fd in (self.master_a, self.slave_a, self.master_b, self.slave_b):
            os.close(fd)
        if self.client:
            self.client.close()
        self.listener.close()


def _write_all(fd, data):
    while data:
        try:
            n = os.write(fd, data)
        except BlockingIOError:
            select.select([], [fd], [], 1)
            continue
        data = data[n:]


def normalized(answer):
    """An answer without what differs from one request to the next (times, origin, pid)."""
    a = json.loads(answer) if isinstance(answer, str) else copy.deepcopy(answer)
    a.pop("id", None)
    a.pop("duration_ms", None)
    if isinstance(a.get("last_apply"), dict):
        for k in ("when", "origin", "duration_ms"):
            a["last_apply"].pop(k, None)
    return a
