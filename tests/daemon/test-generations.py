#!/usr/bin/env python3
"""vrouterd's generation rules: stale, same generation with other content, the same again,
ten clients at once; a failed apply; plan through the agent.
Usage: test-generations.py VROUTERD VROUTERCTL SOURCE_ROOT"""
import copy
import json
import os
import subprocess
import tempfile
import threading

from daemonlib import VROUTERCTL, Daemon, Results, check, intent, plan_offline

res = Results()
tmp = tempfile.mkdtemp(prefix="vrouterd-generations-")


def intent_file(doc, name, indent=None, sort_keys=False):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        json.dump(doc, f, indent=indent, sort_keys=sort_keys)
    return path


def snapshot(d):
    with open(d.router, "rb") as f:
        router = f.read()
    with open(os.path.join(d.state, "intent.json"), "rb") as f:
        persisted = f.read()
    return router, persisted


def test_rules():
    os.mkdir(os.path.join(tmp, "rules"))
    d = Daemon(os.path.join(tmp, "rules"))
    d.start()
    try:
        rc, out, err = d.ctl("apply", intent_file(intent(5), "g5.json"))
        check(rc == 0, "apply 5", out, err)
        before = snapshot(d)
        # Older: stale, exit 3, nothing changes.
        rc, out, err = d.ctl("apply", intent_file(intent(4), "g4.json"))
        check(rc == 3, "stale: exit %d" % rc, out, err)
        check(json.loads(out) == {"exit": 3, "applied": False,
                                  "error": "stale generation: 4 < applied 5"}, "answer", out)
        check(err == "vrouterctl: stale generation: 4 < applied 5\n", "stderr", err)
        check(snapshot(d) == before, "a stale intent changed something")
        # The same generation with other content: refused, nothing changes.
        rc, out, err = d.ctl("apply", intent_file(intent(5, variant=6), "g5b.json"))
        check(rc == 3, "conflict: exit %d" % rc, out, err)
        check(json.loads(out)["error"] ==
              "generation 5 was already applied with different content", "answer", out)
        check(snapshot(d) == before, "a conflicting intent changed something")
        # The same content, formatted otherwise (keys sorted, indented): a no-op success.
        rc, out, err = d.ctl("apply", intent_file(intent(5), "g5c.json", 3, True))
        a = json.loads(out)
        check(rc == 0 and a["applied"] and a["changes"] == 0 and a.get("unchanged"),
              "same generation, same content", out, err)
        check(snapshot(d) == before, "a no-op changed something")
        # A reordered array is other content.
        doc = intent(5)
        doc["routes"].reverse()
        rc, out, err = d.ctl("apply", intent_file(doc, "g5d.json"))
        check(rc == 3, "reordered routes: exit %d" % rc, out)
        # Stale plans and checks: plan refuses like apply, check only validates.
        rc, out, err = d.ctl("plan", intent_file(intent(4), "g4.json"))
        check(rc == 3 and "stale generation" in err, "plan of a stale intent", rc, err)
        rc, out, err = d.ctl("status", "--json")
        st = json.loads(out)
        check(st["applied"]["generation"] == 5 and st["last_apply"]["result"] == "stale",
              "status after refusals", out)
    finally:
        d.stop()


def test_ten_clients():
    """Ten clients push generations 1..10 at once: 10 ends up applied, and the router is
    exactly intent 10's."""
    os.mkdir(os.path.join(tmp, "ten"))
    d = Daemon(os.path.join(tmp, "ten"))
    d.start()
    try:
        paths = [intent_file(intent(g), "ten-%d.json" % g) for g in range(1, 11)]
        barrier = threading.Barrier(10)
        results = {}

        def push(g):
            barrier.wait()
            p = subprocess.run([VROUTERCTL, "--socket", d.sock, "apply", paths[g - 1]],
                               capture_output=True, timeout=120)
            results[g] = (p.returncode, p.stdout.decode(), p.stderr.decode())

        clients = [threading.Thread(target=push, args=(g,)) for g in range(1, 11)]
        for t in clients:
            t.start()
        for t in clients:
            t.join()
        for g, (rc, out, err) in sorted(results.items()):
            check(rc in (0, 3), "generation %d: exit %d" % (g, rc), out, err)
        check(results[10][0] == 0, "generation 10 was not applied", results[10])
        rc, out, err = d.ctl("show", "--json")
        check(json.loads(out)["generation"] == 10, "applied generation", out)
        check(d.persisted() == intent(10), "the persisted intent is not generation 10's")
        check(plan_offline(intent(10), d.router) == [], "the router is not intent 10's")
    finally:
        d.stop()


def test_failed_apply():
    """An intent that cannot be applied (a MAC the router does not have): exit 2, the errors,
    nothing changes, the previous intent stays in effect."""
    os.mkdir(os.path.join(tmp, "fail"))
    d = Daemon(os.path.join(tmp, "fail"))
    d.start()
    try:
        rc, out, err = d.ctl("apply", intent_file(intent(1), "f1.json"))
        check(rc == 0, "apply 1", out, err)
        before = snapshot(d)
        doc = intent(2)
        doc["interfaces"]["web"]["mac"] = "52:54:00:00:09:09"
        rc, out, err = d.ctl("apply", intent_file(doc, "f2.json"))
        a = json.loads(out)
        check(rc == 2 and a["exit"] == 2 and a["applied"] is False and
              a["undo_failed"] is False and a["errors"], "failed apply", out, err)
        check(err.startswith("/interfaces/web"), "the error names the intent's element", err)
        check(snapshot(d) == before, "a failed apply changed something")
        rc, out, err = d.ctl("status", "--json")
        st = json.loads(out)
        check(st["applied"] == {"generation": 1, "in_effect": True} and
              st["last_apply"]["result"] == "failed", "status after the failure", out)
        # The same generation, fixed: applies (a failed generation was never applied).
        rc, out, err = d.ctl("apply", intent_file(intent(2), "f2ok.json"))
        check(rc == 0, "the fixed generation 2", out, err)
    finally:
        d.stop()


def test_plan_through_agent():
    """`vrouterctl plan FILE` asks the agent: the operations of the offline plan against the
    same router."""
    os.mkdir(os.path.join(tmp, "plan"))
    d = Daemon(os.path.join(tmp, "plan"))
    d.start()
    try:
        path = intent_file(intent(3), "p3.json")
        rc, out, err = d.ctl("plan", path)
        check(rc == 0 and out.splitlines() == plan_offline(intent(3), d.router),
              "agent plan differs from the offline plan", out, err)
        check(err == "%d operations\n" % len(out.splitlines()), "count on stderr", err)
        rc, out, err = d.ctl("show", "--json")
        check(json.loads(out)["generation"] == 0, "plan applied something", out)
        rc, _, _ = d.ctl("apply", path)
        rc, out, err = d.ctl("plan", path)
        check(rc == 0 and out == "" and err == "0 operations\n", "plan once applied", out, err)
        rc, out, err = d.ctl("plan", intent_file(intent(4), "p4.json"))
        check(rc == 0 and len(out.splitlines()) > 0, "plan of the next generation", out, err)
    finally:
        d.stop()


def test_known_text():
    """The intent in effect sent again byte for byte is recognised without a parse; a line
    that only ends like it is still read as a whole (and refused when it is not a request)."""
    os.mkdir(os.path.join(tmp, "known"))
    d = Daemon(os.path.join(tmp, "known"))
    d.start()
    try:
        rc, out, err = d.ctl("apply", intent_file(intent(7), "g7.json", 2))
        check(rc == 0, "apply 7", out, err)
        text = d.persisted_text().rstrip("\n")
        check(json.loads(text) == intent(7) and "\n" not in text,
              "persisted as sent (one line)", text[:200])
        before = snapshot(d)
        a = d.request('{"request":"apply","id":"k1","intent":%s}\n' % text)
        check(a == {"exit": 0, "id": "k1", "applied": True, "generation": 7, "changes": 0,
                    "duration_ms": 0.0, "unchanged": True}, "the same text again", a)
        a = d.request('{"request":"check","intent":%s}\n' % text)
        check(a == {"exit": 0, "valid": True, "generation": 7}, "check of the same text", a)
        a = d.request('{"request":"plan","intent":%s}\n' % text)
        check(a == {"exit": 0, "operations": []}, "plan of the same text", a)
        bad = ['{"request":"apply","intent":%s,"intent":%s}\n' % (text, text),
               '{"request":"apply","extra":1,"intent":%s}\n' % text,
               '{"request":"show","intent":%s}\n' % text,
               '{"request":"apply","id":[1],"intent":%s}\n' % text,
               '["request","apply","intent":%s}\n' % text,
               '{"request":"apply" "intent":%s}\n' % text,
               '{,"intent":%s}\n' % text,
               '{"request":"apply",,"intent":%s}\n' % text,
               '"intent":%s}\n' % text]
        for line in bad:
            a = d.request(line)
            check(a["exit"] == 64 and "applied" not in a, "refused: %s" % line[:60], a)
        # Other content with the same text as a prefix of the intent is not the same intent.
        other = intent(7, variant=3)
        a = d.request(json.dumps({"request": "apply", "intent": other}) + "\n")
        check(a["exit"] == 3, "same generation, other content", a)
        check(snapshot(d) == before, "a recognised or refused line changed something")
        # After a restart, the persisted text is recognised too.
        d.stop()
        d.start()
        a = d.request('{"request":"apply","intent":%s}\n' % text)
        check(a["exit"] == 0 and a.get("unchanged"), "the same text after a restart", a)
        rc, out, err = d.ctl("status", "--json")
        check(json.loads(out)["last_apply"]["result"] == "unchanged", "status", out)
    finally:
        d.stop()


def sections_intent(gen, fw_port=22, dnat_port=8080, routes_variant=None):
    """intent(gen) with a firewall and NAT whose contents the arguments vary."""
    d = intent(gen, variant=routes_variant)
    d["hostname"] = "r"
    d["firewall"] = {"sets": {"admins": {"type": "ipv4", "elements": ["198.51.100.0/24"]}},
                     "forward": {"policy": "drop", "rules": [
                         {"action": "accept", "in": "web", "out": "public",
                          "protocol": "tcp", "ports": [80, 443]},
                         {"action": "accept", "source": ["@admins"], "protocol": "tcp",
                          "ports": [fw_port]}]}}
    d["nat"] = {"destination": [{"in": "public", "destination": "203.0.113.2",
                                 "protocol": "tcp", "ports": 80, "to": "10.1.1.5",
                                 "to_ports": dnat_port}]}
    return d


def test_sections_read_again():
    """Each request's intent is read against the applied one, its unchanged sections shared:
    an agent that got a sequence of intents, each changing other sections (and some refused),
    is in the state of an agent that got the last one alone."""
    os.mkdir(os.path.join(tmp, "sections"))
    os.mkdir(os.path.join(tmp, "sections-fresh"))
    d = Daemon(os.path.join(tmp, "sections"))
    d.start()
    steps = [sections_intent(1), sections_intent(2, fw_port=2222),
             sections_intent(3, fw_port=2222, dnat_port=8081),
             sections_intent(4, fw_port=2222, dnat_port=8081, routes_variant=9),
             sections_intent(5, fw_port=23, dnat_port=8080, routes_variant=9)]
    try:
        for doc in steps:
            rc, out, err = d.ctl("apply", intent_file(doc, "s%d.json" % doc["generation"]))
            check(rc == 0 and json.loads(out)["changes"] > 0, "apply %d" % doc["generation"],
                  out, err)
            # A refused intent in a changed section, then a valid one only checked and
            # planned: nothing of them stays.
            bad = copy.deepcopy(doc)
            bad["generation"] += 100
            bad["nat"]["destination"][0]["to_ports"] = 70000
            rc, out, err = d.ctl("apply", intent_file(bad, "bad.json"))
            check(rc == 1 and json.loads(out)["errors"][0]["pointer"] ==
                  "/nat/destination/0/to_ports", "refused", out, err)
            other = sections_intent(doc["generation"] + 50, fw_port=99)
            rc, out, err = d.ctl("check", intent_file(other, "other.json"))
            check(rc == 0, "check", out, err)
            rc, out, err = d.ctl("plan", intent_file(other, "other.json"))
            check(rc == 0 and "fw-rule" in out, "plan of another firewall", out, err)
        # The intent in effect again, a member spaced otherwise: the same content (nothing
        # applied), and its text is what the next request is read against.
        last = steps[-1]
        text = json.dumps(last, separators=(",", ":"))
        spaced = text.replace('"destination":[', '"destination": [')
        a = d.request('{"request":"apply","intent":%s}\n' % spaced)
        check(a.get("unchanged"), "the same content, spaced otherwise", a)
        nxt = copy.deepcopy(last)
        nxt["generation"] += 1
        nxt["firewall"]["forward"]["rules"][1]["ports"] = [24]
        a = d.request('{"request":"apply","intent":%s}\n' %
                      json.dumps(nxt, separators=(",", ":")).replace('"destination":[', '"destination": ['))
        check(a["exit"] == 0 and a["changes"] > 0, "the next one, read against it", a)
        a = d.request('{"request":"apply","intent":%s}\n' %
                      json.dumps(last | {"generation": nxt["generation"] + 1},
                                 separators=(",", ":")).replace('"destination":[', '"destination": ['))
        check(a["exit"] == 0 and a["changes"] > 0, "and back", a)
        last = copy.deepcopy(last)
        last["generation"] = nxt["generation"] + 1
        fresh = Daemon(os.path.join(tmp, "sections-fresh"))
        fresh.start()
        try:
            rc, out, err = fresh.ctl("apply", intent_file(last, "last.json"))
            check(rc == 0, "fresh apply", out, err)
            check(fresh.router_state() == d.router_state(),
                  "the state after the sequence is not that of the last intent alone")
        finally:
            fresh.stop()
        again = copy.deepcopy(last)
        again["generation"] += 1
        rc, out, err = d.ctl("plan", intent_file(again, "last-again.json", 1))
        check(rc == 0 and out == "", "nothing left to do", out, err)
    finally:
        d.stop()


def test_failed_save():
    """An intent applied whose save failed is the one in effect: an older generation is stale,
    and it is persisted once the state directory works again."""
    os.mkdir(os.path.join(tmp, "failed-save"))
    d = Daemon(os.path.join(tmp, "failed-save"))
    d.start()
    blocker = os.path.join(d.state, "intent.json.tmp")
    try:
        rc, out, err = d.ctl("apply", intent_file(intent(5), "fs5.json"))
        check(rc == 0, "apply 5", out, err)
        # A directory where the temporary file should be: the save of 7 fails.
        os.mkdir(blocker)
        rc, out, err = d.ctl("apply", intent_file(intent(7), "fs7.json"))
        a = json.loads(out)
        check(rc == 0 and a["generation"] == 7 and "not saved" in a.get("warning", ""),
              "apply 7, not saved", out, err)
        check(d.persisted()["generation"] == 5, "intent.json changed", d.persisted())
        rc, out, err = d.ctl("apply", intent_file(intent(6), "fs6.json"))
        check(rc == 3 and json.loads(out)["error"] == "stale generation: 6 < applied 7",
              "6 after a failed save of 7: exit %d" % rc, out, err)
        rc, out, err = d.ctl("apply", intent_file(intent(7), "fs7.json"))
        check(rc == 0 and json.loads(out).get("unchanged"), "7 again: unchanged", out, err)
        rc, out, err = d.ctl("status", "--json")
        st = json.loads(out)
        check(st["applied"]["generation"] == 7 and st["applied"]["in_effect"], "status", out)
        # The directory works again: the next request persists 7.
        os.rmdir(blocker)
        rc, out, err = d.ctl("status", "--json")
        check(rc == 0, "status", out, err)
        check(d.persisted() == intent(7), "7 not persisted once the directory works",
              d.persisted())
        d.stop()
        d.start()
        rc, out, err = d.ctl("apply", intent_file(intent(6), "fs6.json"))
        check(rc == 3, "6 after a restart: exit %d" % rc, out, err)
    finally:
        if os.path.isdir(blocker):
            os.rmdir(blocker)
        d.stop()


res.run("stale, conflicting, same generation", test_rules)
res.run("sections read again against the applied intent", test_sections_read_again)
res.run("the intent in effect recognised by its text", test_known_text)
res.run("ten clients, generations 1..10 at once", test_ten_clients)
res.run("failed apply: exit 2, nothing changed", test_failed_apply)
res.run("plan through the agent", test_plan_through_agent)
res.run("an older generation after a failed save: stale", test_failed_save)
res.finish(tmp)
