#!/usr/bin/env python3
"""The shell command blocks of the operator docs, so that tests run them as written.

A command block is a fenced block opened with ```sh. The line right above its fence names it:

    <!-- doc-test: NAME -->

Usage:
  blocks.py list FILE...       every named block as "NAME FILE:LINE"; exit 1 (with the
                               places) when a command block has no name or a name is used twice
  blocks.py get NAME FILE...   the block's text, as the docs show it
"""
import re
import sys

MARK = re.compile(r"^<!-- doc-test: ([a-z0-9-]+) -->$")


def blocks(path):
    """(name or None, line of the fence, text) of every ```sh block of path."""
    out = []
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        fence = lines[i].strip()
        if not fence.startswith("```"):
            i += 1
            continue
        start = i
        i += 1
        while i < len(lines) and lines[i].strip() != "```":
            i += 1
        if fence == "```sh":
            m = MARK.match(lines[start - 1]) if start else None
            out.append((m.group(1) if m else None, start + 1,
                        "\n".join(lines[start + 1:i]) + "\n"))
        i += 1
    return out


def main(argv):
    if len(argv) >= 3 and argv[1] == "list":
        seen, bad = {}, []
        for path in argv[2:]:
            for name, line, _ in blocks(path):
                if name is None:
                    bad.append(f"{path}:{line}: a ```sh block without <!-- doc-test: NAME --> "
                               "on the line above")
                elif name in seen:
                    bad.append(f"{path}:{line}: block name {name} is used at {seen[name]} too")
                else:
                    seen[name] = f"{path}:{line}"
                    print(f"{name} {path}:{line}")
        for b in bad:
            print(b, file=sys.stderr)
        return 1 if bad else 0
    if len(argv) >= 4 and argv[1] == "get":
        for path in argv[3:]:
            for name, _, text in blocks(path):
                if name == argv[2]:
                    try:
                        sys.stdout.write(text)
                        sys.stdout.flush()
                    except BrokenPipeError:  # the reader is gone: it says why
                        return 1
                    return 0
        print(f"blocks.py: no block {argv[2]} in {' '.join(argv[3:])}", file=sys.stderr)
        return 1
    print(__doc__.strip().split("\n\n")[-1], file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv))
