#!/usr/bin/env python3
"""`vrouterctl edit` against vrouterd on the recording backend, with EDITOR set to a script
(editor below) that records what it was given and edits the file: a change applied with the
next generation, no change, an invalid edit (with and without a terminal), the editor failing,
another apply while editing, the secrets kept through an edit, the private file and its
removal, a signal while editing, and the refusals.
Usage: test-edit.py VROUTERD VROUTERCTL SOURCE_ROOT"""
import json
import os
import pty
import re
import signal
import stat
import subprocess
import sys
import tempfile
import time

from daemonlib import (SECRETS, SLOW, VROUTERCTL, Daemon, Results, check, intent, write_json)

res = Results()
tmp = tempfile.mkdtemp(prefix="vrouterd-edit-")
# The editor's temporary directories go here ($TMPDIR), so that what is left over is seen. A
# space, a quote and a dollar in it: the path must reach the editor as one argument, untouched.
edits = os.path.join(tmp, "tmp dir 'q' $x")
os.mkdir(edits)
editor_log = os.path.join(tmp, "editor.log")

EDITOR = r'''#!%s
"""The operator: records its arguments, the file and its modes, then does EDIT_ACTION."""
import json, os, re, subprocess, sys, time
path = sys.argv[-1]
st, dst = os.stat(path), os.stat(os.path.dirname(path))
text = open(path).read()
with open(os.environ["EDIT_LOG"], "a") as log:
    log.write(json.dumps({"args": sys.argv[1:], "path": path, "text": text,
                          "mode": st.st_mode & 0o7777, "dir_mode": dst.st_mode & 0o7777}) + "\n")
action = os.environ.get("EDIT_ACTION", "none")
if action == "sequence":  # invalid the first time, valid the second
    counter = os.environ["EDIT_COUNTER"]
    n = int(open(counter).read()) if os.path.exists(counter) else 0
    open(counter, "w").write(str(n + 1))
    action = "invalid" if n == 0 else "fix"
if action == "fix":  # the invalid edit undone, the hostname changed
    text = text.replace('"hostnme"', '"hostname"').replace('"not-an-address"', '"203.0.113.1"')
    action = "hostname"
if action == "hostname":
    text = re.sub(r'"hostname": "[^"]*"', '"hostname": "edited"', text, count=1)
elif action == "invalid":
    text = text.replace('"hostname"', '"hostnme"', 1)
    text = re.sub(r'"via": "[^"]*"', '"via": "not-an-address"', text, count=1)
elif action == "fail":
    text = re.sub(r'"hostname": "[^"]*"', '"hostname": "edited"', text, count=1)
elif action == "stale":  # someone else applies while this edit is open
    subprocess.run([os.environ["VROUTERCTL"], "--socket", os.environ["SOCK"], "apply",
                    os.environ["OTHER"]], check=True, capture_output=True)
    text = re.sub(r'"hostname": "[^"]*"', '"hostname": "edited"', text, count=1)
elif action == "sleep":
    open(os.environ["EDIT_PID"], "w").write(str(os.getpid()))
    time.sleep(60)
if os.environ.get("EDIT_SWAP"):  # as vim and others leave copies beside the file
    for copy in (".intent.json.swp", "intent.json~"):
        open(os.path.join(os.path.dirname(path), copy), "w").write(text)
open(path, "w").write(text)
sys.exit(3 if action == "fail" else 0)
''' % sys.executable
editor = os.path.join(tmp, "editor")
with open(editor, "w") as f:
    f.write(EDITOR)
os.chmod(editor, 0o755)


def edit(d, action, *args, stdin=subprocess.DEVNULL, env=None, editor_var="EDITOR",
         state_dir=None):
    """vrouterctl edit with the editor doing action; (exit code, stdout, stderr)."""
    e = dict(os.environ, TMPDIR=edits, EDIT_LOG=editor_log, EDIT_ACTION=action,
             VROUTERCTL=VROUTERCTL, SOCK=d.sock)
    e.pop("VISUAL", None)
    e.pop("EDITOR", None)
    e[editor_var] = editor
    e.update(env or {})
    p = subprocess.run([VROUTERCTL, "--socket", d.sock, "edit", "--state-dir",
                        state_dir or d.state] + list(args), env=e, stdin=stdin,
                       capture_output=True, timeout=120 * SLOW)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def editor_calls():
    """What the editor saw since the last call (and forget it)."""
    if not os.path.exists(editor_log):
        return []
    with open(editor_log) as f:
        calls = [json.loads(l) for l in f]
    os.unlink(editor_log)
    return calls


def leftovers():
    return os.listdir(edits)


def snapshot(d):
    """The persisted intent, the router (the recording backend's state: the files the
    services read included) and the last apply the agent saw."""
    rc, out, err = d.ctl("status", "--json")
    check(rc == 0, "status", err)
    last = json.loads(out)["last_apply"]
    return d.persisted(), d.router_state(), last


def new_daemon(name, gen=1):
    os.mkdir(os.path.join(tmp, name))
    d = Daemon(os.path.join(tmp, name))
    d.start()
    if gen:
        path = os.path.join(tmp, name + ".json")
        write_json(path, intent(gen))
        rc, out, err = d.ctl("apply", path)
        check(rc == 0, "the first apply", out, err)
    editor_calls()
    return d


def no_secret_in(*texts):
    for t in texts:
        for s in SECRETS:
            check(s not in t, "a secret in the output")


def service_files(state):
    """The services' files (their contents) from the recording backend's state."""
    return {f["path"]: "".join(f["content"]) if isinstance(f["content"], list) else f["content"]
            for f in state.get("files", [])}


def test_change():
    """An edit of the hostname: applied as the next generation, answered as apply answers;
    the secrets (IPsec psk, WireGuard private and preshared keys) are those of the intent
    in effect, in the persisted intent and in the files the services read."""
    d = new_daemon("change")
    try:
        before_intent, before_router, _ = snapshot(d)
        files_before = service_files(before_router)
        check(any(s in "".join(files_before.values()) for s in SECRETS),
              "the services' files hold the secrets", list(files_before))
        rc, out, err = edit(d, "hostname")
        check(rc == 0, "edit: exit %d" % rc, out, err)
        a = json.loads(out)
        check(a["exit"] == 0 and a["applied"] is True and a["generation"] == 2 and
              a["changes"] == 1, "the answer of apply", out)
        calls = editor_calls()
        check(len(calls) == 1, "the editor ran once", calls)
        c = calls[0]
        check(c["args"] == [c["path"]], "the editor got the path, one argument", c["args"])
        check(c["path"].startswith(edits + "/vrouterctl-edit.") and
              c["path"].endswith("/intent.json"), "the file's path", c["path"])
        check(c["mode"] == 0o600 and c["dir_mode"] == 0o700, "modes 0600 and 0700",
              oct(c["mode"]), oct(c["dir_mode"]))
        given = json.loads(c["text"])
        want = intent(1)
        want["generation"] = 2
        check(given == want, "the editor got the intent in effect, its secrets and the next "
              "generation", c["text"][:300])
        check(list(given) == list(want), "in the document's order", list(given))
        check(c["text"].startswith('{\n  "version": 1,\n  "generation": 2,\n') and
              c["text"].endswith("}\n"), "pretty-printed, a final newline", c["text"][:80])
        check(not os.path.exists(os.path.dirname(c["path"])) and leftovers() == [],
              "the file and its directory removed", leftovers())
        after_intent, after_router, last = snapshot(d)
        want["hostname"] = "edited"
        check(after_intent == want, "the persisted intent: the edit, the same secrets")
        check(last["generation"] == 2 and last["result"] == "applied", "last apply", last)
        check(after_router["hostname"] == "edited", "the router's hostname")
        check(service_files(after_router) == files_before,
              "the services' files (the secrets) changed", list(files_before))
        no_secret_in(out, err, d.log_text())
        # A second edit starts from the new intent.
        rc, out, err = edit(d, "none")
        check(json.loads(editor_calls()[0]["text"])["generation"] == 3, "the next generation")
    finally:
        d.stop()


def test_visual_and_arguments():
    """VISUAL before EDITOR; an editor command with arguments; the copies an editor leaves
    beside the file are removed with it."""
    d = new_daemon("visual")
    try:
        rc, out, err = edit(d, "hostname", editor_var="VISUAL",
                            env={"EDITOR": "false", "VISUAL": editor + " -n --flag",
                                 "EDIT_SWAP": "1"})
        check(rc == 0, "edit with VISUAL", out, err)
        calls = editor_calls()
        check(len(calls) == 1 and calls[0]["args"] == ["-n", "--flag", calls[0]["path"]],
              "VISUAL's command and its arguments, then the path", calls)
        check(d.persisted()["generation"] == 2, "applied")
        check(leftovers() == [], "the editor's copies removed", leftovers())
    finally:
        d.stop()


def test_no_change():
    """The editor leaves the file as it was: nothing applied, no request made."""
    d = new_daemon("nochange")
    try:
        before = snapshot(d)
        rc, out, err = edit(d, "none")
        check(rc == 0 and "no change" in err and out == "", "no change: exit 0", rc, out, err)
        check(snapshot(d) == before, "something changed")
        check(len(editor_calls()) == 1 and leftovers() == [], "the file removed", leftovers())
    finally:
        d.stop()


def test_invalid():
    """An invalid edit (no terminal): the errors of check with their pointers, the file kept
    (0600) and named with the way on, nothing changed; the kept file fixed, applied."""
    d = new_daemon("invalid")
    try:
        before = snapshot(d)
        rc, out, err = edit(d, "invalid")
        check(rc == 1 and out == "", "invalid: exit 1", rc, out, err)
        path = editor_calls()[0]["path"]
        check(os.path.exists(path) and stat.S_IMODE(os.stat(path).st_mode) == 0o600,
              "the file kept, 0600", path)
        crc, cout, cerr = d.ctl("check", path)
        check(crc == 1 and cerr and err.startswith(cerr), "the errors of check", err, cerr)
        check(re.search(r"^/hostnme: unknown key", err, re.M) and
              re.search(r"^/routes/0/via: ", err, re.M), "pointers", err)
        check(path in err and "vrouterctl apply " + path in err, "the way on", err)
        check(snapshot(d) == before, "an invalid edit changed something")
        no_secret_in(out, err)
        # The way on: fix the kept file, apply it.
        with open(path) as f:
            text = f.read().replace('"hostnme"', '"hostname"').replace(
                '"not-an-address"', '"203.0.113.1"')
        with open(path, "w") as f:
            f.write(text)
        check(json.loads(text) == dict(intent(1), generation=2), "the fix is the intent again")
        rc, out, err = d.ctl("apply", path)
        check(rc == 0 and json.loads(out)["generation"] == 2, "the kept file applied", out, err)
        subprocess.run(["rm", "-r", os.path.dirname(path)], check=True)
    finally:
        d.stop()


def edit_on_tty(d, action, answers, env=None):
    """edit with a terminal on stdin, the answers typed ahead."""
    master, slave = pty.openpty()
    try:
        os.write(master, answers.encode())
        return edit(d, action, stdin=slave, env=env)
    finally:
        os.close(slave)
        os.close(master)


def test_invalid_on_tty():
    """On a terminal: "edit again?"; yes opens the same file again, no keeps it."""
    d = new_daemon("tty")
    try:
        counter = os.path.join(tmp, "tty-counter")
        rc, out, err = edit_on_tty(d, "sequence", "y\n", env={"EDIT_COUNTER": counter})
        check(rc == 0 and err.count("edit again? [Y/n]") == 1, "edited again, applied", rc,
              out, err)
        calls = editor_calls()
        check(len(calls) == 2 and calls[0]["path"] == calls[1]["path"] and
              '"hostnme"' in calls[1]["text"], "the same file, as left", calls)
        check(d.persisted() == dict(intent(1), generation=2, hostname="edited"), "applied")
        check(leftovers() == [], "the file removed", leftovers())
        before = snapshot(d)
        rc, out, err = edit_on_tty(d, "invalid", "n\n")
        check(rc == 1 and "edit again?" in err, "not again: exit 1", rc, err)
        path = editor_calls()[0]["path"]
        check(os.path.exists(path) and path in err, "the file kept", err)
        check(snapshot(d) == before, "something changed")
        subprocess.run(["rm", "-r", os.path.dirname(path)], check=True)
    finally:
        d.stop()


def test_editor_fails():
    """The editor exits non-zero after a change: nothing applied, the file kept."""
    d = new_daemon("fails")
    try:
        before = snapshot(d)
        rc, out, err = edit(d, "fail")
        check(rc == 1 and "exited with status 3" in err, "editor failed: exit 1", rc, err)
        path = editor_calls()[0]["path"]
        check(os.path.exists(path) and path in err, "the file kept", err)
        check('"edited"' in open(path).read(), "with the edit")
        check(snapshot(d) == before, "something was applied")
        subprocess.run(["rm", "-r", os.path.dirname(path)], check=True)
    finally:
        d.stop()


def test_stale():
    """Another apply while the file is open: the agent refuses the edit (exit 3), the other
    intent stays in effect, the file kept."""
    d = new_daemon("stale")
    try:
        other = os.path.join(tmp, "stale-other.json")
        write_json(other, intent(2, 7))
        rc, out, err = edit(d, "stale", env={"OTHER": other})
        check(rc == 3 and json.loads(out)["exit"] == 3, "stale: exit 3", rc, out, err)
        check("changed while you edited" in err, "said why", err)
        check(d.persisted() == intent(2, 7), "the other apply stays in effect")
        path = editor_calls()[0]["path"]
        check(os.path.exists(path), "the file kept")
        subprocess.run(["rm", "-r", os.path.dirname(path)], check=True)
    finally:
        d.stop()


def test_signal():
    """SIGTERM to vrouterctl while the editor runs: passed on to the editor, the file removed,
    nothing applied, exit 128 + 15."""
    d = new_daemon("signal")
    pidfile = os.path.join(tmp, "editor.pid")
    editor_pid = None
    try:
        before = snapshot(d)
        e = dict(os.environ, TMPDIR=edits, EDIT_LOG=editor_log, EDIT_ACTION="sleep",
                 EDIT_PID=pidfile, EDITOR=editor)
        e.pop("VISUAL", None)
        p = subprocess.Popen([VROUTERCTL, "--socket", d.sock, "edit", "--state-dir", d.state],
                             env=e, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30 * SLOW
        while not os.path.exists(pidfile) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.1)
        editor_pid = int(open(pidfile).read())
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=30 * SLOW)
        check(p.returncode == 128 + signal.SIGTERM, "exit 143", p.returncode, err)
        check(leftovers() == [], "the file removed", leftovers())
        check(snapshot(d) == before, "something was applied")
    finally:
        if editor_pid:
            try:
                os.kill(editor_pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        editor_calls()
        d.stop()


def test_broken_state_dir():
    """The agent's state directory does not work: the persisted intent is edited while it is
    the one in effect; once an apply is in memory only, its secrets are out of reach."""
    d = new_daemon("broken")
    lock = os.path.join(d.state, "lock")
    try:
        d.stop()
        os.unlink(lock)
        os.mkdir(lock)
        d.start()
        rc, out, err = edit(d, "hostname")
        a = json.loads(out)
        check(rc == 0 and a["generation"] == 2 and a.get("persisted") is False,
              "edited, applied in memory", out, err)
        rc, out, err = edit(d, "hostname")
        check(rc == 1 and "state directory does not work" in err and "lock" in err,
              "the intent in effect is in memory only", rc, err)
        check(len(editor_calls()) == 1 and leftovers() == [], "no second editor, no file")
    finally:
        d.stop()
        os.rmdir(lock)


def test_refusals():
    """Over the serial port (the secrets are on the router), with nothing applied, with a
    state directory that is not the agent's or cannot be read, with no agent."""
    d = new_daemon("refused", gen=0)
    try:
        rc, out, err = edit(d, "hostname")
        check(rc == 1 and "nothing is applied yet" in err, "nothing to edit", rc, err)
        path = os.path.join(tmp, "refused-1.json")
        write_json(path, intent(1))
        check(d.ctl("apply", path)[0] == 0, "apply")
        # Another directory's intent (same generation, other content): not taken.
        other = os.path.join(tmp, "other-state")
        os.mkdir(other)
        write_json(os.path.join(other, "intent.json"), intent(1, 9))
        before = snapshot(d)
        rc, out, err = edit(d, "hostname", state_dir=other)
        check(rc == 1 and "is not the intent in effect" in err, "another state directory",
              rc, err)
        # The agent's own intent.json, changed by hand since (its checksum line no longer
        # agrees): refused, as the agent would refuse it.
        persisted = os.path.join(d.state, "intent.json")
        with open(persisted, "rb") as f:
            good = f.read()
        with open(persisted, "wb") as f:
            f.write(good.replace(b'"hostname":"r-1"', b'"hostname":"r-7"'))
        rc, out, err = edit(d, "hostname")
        check(rc == 1 and "intent.json is damaged (checksum:" in err, "a damaged file", rc,
              err)
        with open(persisted, "wb") as f:
            f.write(good)
        rc, out, err = edit(d, "hostname", state_dir=os.path.join(tmp, "none"))
        check(rc == 1 and "run it as root on the router" in err, "no state directory", rc, err)
        p = subprocess.run([VROUTERCTL, "--serial", d.sock, "edit"], capture_output=True,
                           text=True, env=dict(os.environ, EDITOR=editor))
        check(p.returncode == 64 and "runs on the router" in p.stderr,
              "over the serial port: refused", p.returncode, p.stderr)
        rc, out, err = edit(d, "hostname", "extra")
        check(rc == 64, "usage", rc, err)
        check(editor_calls() == [] and leftovers() == [], "no editor, no file")
        check(snapshot(d) == before, "something changed")
        e = dict(os.environ, EDITOR=editor, TMPDIR=edits)
        p = subprocess.run([VROUTERCTL, "--socket", os.path.join(tmp, "no.sock"), "edit"],
                           env=e, capture_output=True, text=True)
        check(p.returncode == 4, "no agent: exit 4", p.returncode, p.stderr)
    finally:
        d.stop()


res.run("a change: the next generation, the secrets kept, the file 0600 and removed",
        test_change)
res.run("VISUAL, an editor with arguments", test_visual_and_arguments)
res.run("no change: nothing applied", test_no_change)
res.run("invalid: the errors, the file kept, nothing changed", test_invalid)
res.run("invalid on a terminal: edit again?", test_invalid_on_tty)
res.run("the editor fails: nothing applied", test_editor_fails)
res.run("another apply while editing: exit 3", test_stale)
res.run("SIGTERM while editing: the file removed", test_signal)
res.run("the state directory does not work", test_broken_state_dir)
res.run("refusals", test_refusals)
res.finish(tmp)
