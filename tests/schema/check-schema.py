#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Check that docs/intent.schema.json and the agent's validator agree.

usage: check-schema.py SCHEMA REPO_ROOT [EXAMPLES_DIR] [--vrouterctl PATH]

EXAMPLES_DIR defaults to REPO_ROOT/examples.

Verdicts expected for each file:
  REPO_ROOT/tests/valid/*.json, EXAMPLES_DIR/*.json     schema accepts (and vrouterctl exit 0)
  REPO_ROOT/tests/invalid/*.json                         schema rejects (and vrouterctl exit 1),
    except the names listed in tests/invalid/schema-accepts-*.txt (cross-field errors that a
    schema cannot express): the schema must accept those (and vrouterctl still exit 1).

The document is read the way the agent reads it (lib/jread.c) before the schema sees it: a
document that jr_load() would refuse (size, value count, syntax, duplicate keys, NUL, lone
surrogates, NaN/Infinity, integers outside int64, strings or keys over 4096 bytes) counts as
rejected.
Numbers with a fraction or an exponent are kept as decimal.Decimal, so that the schema's
"integer" refuses 1.0 and 1e3 as the agent does (jansson reads them as reals).

Prints one line per file on which they disagree and a closing line "N passed, N failed";
exits 1 on any disagreement (or an invalid schema), 2 on a usage error.
"""

import argparse
import decimal
import glob
import json
import os
import re
import subprocess
import sys

try:
    import jsonschema
except ImportError:
    sys.stderr.write("check-schema.py: python3-jsonschema is not installed\n")
    sys.exit(2)

DOCUMENT_MAX = 16 << 20
VALUES_MAX = 2000000
STRING_MAX = 4096
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
STRING_RE = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)


class Refused(Exception):
    """The document is not one the agent's JSON reader accepts."""


def pairs_no_duplicates(pairs):
    obj = {}
    for k, v in pairs:
        if k in obj:
            raise Refused(f'duplicate object key "{k}"')
        obj[k] = v
    return obj


def parse_constant(name):
    raise Refused(f"{name} is not JSON")


def parse_int(s):
    v = int(s)
    if v < INT64_MIN or v > INT64_MAX:
        raise Refused(f"integer {s} does not fit in 64 bits")
    return v


def check_string(s, what):
    if "\0" in s:
        raise Refused(f"{what} contains NUL")
    try:
        n = len(s.encode("utf-8"))
    except UnicodeEncodeError:
        raise Refused(f"{what} contains a lone surrogate")
    if n > STRING_MAX:
        raise Refused(f"{what} of {n} bytes is longer than {STRING_MAX}")


def check_strings(v):
    if isinstance(v, str):
        check_string(v, "a string")
    elif isinstance(v, dict):
        for k, x in v.items():
            check_string(k, "a key")
            check_strings(x)
    elif isinstance(v, list):
        for x in v:
            check_strings(x)


def count_values(data):
    """As jr_count_values(): one per ',', '[' and '{' outside strings, plus one."""
    outside = STRING_RE.sub(b"", data)
    return 1 + outside.count(b",") + outside.count(b"[") + outside.count(b"{")


def load(path):
    """The document as the agent reads it, or raises Refused."""
    with open(path, "rb") as f:
        data = f.read(DOCUMENT_MAX + 1)
    if len(data) > DOCUMENT_MAX:
        raise Refused(f"larger than {DOCUMENT_MAX} bytes")
    if count_values(data) > VALUES_MAX:
        raise Refused(f"more than {VALUES_MAX} values")
    try:
        text = data.decode("utf-8")
        doc = json.loads(text, object_pairs_hook=pairs_no_duplicates,
                         parse_constant=parse_constant, parse_int=parse_int,
                         parse_float=decimal.Decimal)
    except Refused:
        raise
    except (ValueError, RecursionError) as e:
        raise Refused(str(e).splitlines()[0] if str(e) else type(e).__name__)
    check_strings(doc)
    return doc


def pointer(path):
    """The JSON Pointer (RFC 6901) of a jsonschema error path."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def schema_verdict(validator, path):
    """(accepted, reason)"""
    try:
        doc = load(path)
    except Refused as e:
        return False, f"not read: {e}"
    errors = [(pointer(e.absolute_path), e.message) for e in validator.iter_errors(doc)]
    if not errors:
        return True, ""
    errors.sort()
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return False, f"{errors[0][0]}: {errors[0][1][:200]}{more}"


def ctl_verdict(ctl, path):
    """(exit code, first stderr line) of 'vrouterctl check', or None without vrouterctl."""
    if not ctl:
        return None
    p = subprocess.run([ctl, "check", path], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=60)
    err = p.stderr.decode("utf-8", "replace").splitlines()
    return p.returncode, err[0] if err else ""


def read_accept_lists(invalid_dir):
    """{name: list file} from tests/invalid/schema-accepts-*.txt."""
    names = {}
    for lst in sorted(glob.glob(os.path.join(invalid_dir, "schema-accepts-*.txt"))):
        with open(lst, encoding="utf-8") as f:
            for line in f:
                name = line.strip()
                if name and not name.startswith("#"):
                    names[name] = os.path.basename(lst)
    return names


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("schema")
    ap.add_argument("root")
    ap.add_argument("examples", nargs="?")
    ap.add_argument("--vrouterctl", help="also run 'vrouterctl check' on every file")
    a = ap.parse_args()

    try:
        with open(a.schema, encoding="utf-8") as f:
            schema = json.load(f)
        jsonschema.Draft202012Validator.check_schema(schema)
    except (OSError, ValueError) as e:
        print(f"FAIL {a.schema}: {e}")
        return 1
    except jsonschema.exceptions.SchemaError as e:
        print(f"FAIL {a.schema}: not a valid 2020-12 schema: {e.message}")
        return 1
    validator = jsonschema.Draft202012Validator(schema,
                                                format_checker=jsonschema.FormatChecker())

    valid_dir = os.path.join(a.root, "tests", "valid")
    invalid_dir = os.path.join(a.root, "tests", "invalid")
    examples = a.examples if a.examples is not None else os.path.join(a.root, "examples")
    # (path, schema must accept, validator must accept)
    if not os.path.isdir(examples):
        print(f"FAIL: no directory {examples}")
        return 1
    cases = [(p, True, True) for p in sorted(glob.glob(os.path.join(valid_dir, "*.json")))]
    cases += [(p, True, True) for p in sorted(glob.glob(os.path.join(examples, "*.json")))]
    listed = read_accept_lists(invalid_dir)
    invalid = sorted(glob.glob(os.path.join(invalid_dir, "*.json")))
    names = {os.path.basename(p)[:-len(".json")] for p in invalid}
    cases += [(p, os.path.basename(p)[:-len(".json")] in listed, False) for p in invalid]

    passed = failed = 0
    for name, lst in sorted(listed.items()):
        if name not in names:
            print(f"FAIL {lst}: lists {name}, but there is no tests/invalid/{name}.json")
            failed += 1
    for path, want_schema, want_ctl in cases:
        rel = os.path.relpath(path, a.root) if path.startswith(a.root) else path
        ok = True
        got, why = schema_verdict(validator, path)
        if got != want_schema:
            ok = False
            if want_schema:
                print(f"FAIL {rel}: schema rejects, expected accept: {why}")
            else:
                print(f"FAIL {rel}: schema accepts, expected reject (the validator rejects "
                      f"it; list it in a schema-accepts-*.txt only if a schema cannot "
                      f"express the rule)")
        ctl = ctl_verdict(a.vrouterctl, path)
        want = 0 if want_ctl else 1
        if ctl is not None and ctl[0] != want:
            ok = False
            print(f"FAIL {rel}: vrouterctl check exits {ctl[0]}, expected {want}"
                  f"{': ' + ctl[1] if ctl[1] else ''}")
        if ok:
            passed += 1
        else:
            failed += 1
    if not cases:
        print("no test case")
        return 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
