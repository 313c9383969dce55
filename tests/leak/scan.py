#!/usr/bin/env python3
"""The leak scan (hostile-cases row 34, issue 5): after the interop, hostile and
end-to-end suites have run, search everything they left for the secrets that
went through them. Any hit fails the build.

    tests/leak/scan.py LEAK_DIR

LEAK_DIR is $MCP_AUTH_LEAK_DIR of scripts/test. The suites fill it with:
  markers           every secret the servers of the run issued or received, one
                    a line: access and refresh tokens, codes, PKCE verifiers,
                    client secrets (the harness, oidc-provider and FastMCP peers
                    record them; the SDK demo's token is added from the outside),
                    plus the LEAKCANARY prefix the harness and the suites put in
                    every secret they mint. The one file allowed to hold them.
  suites/           every suite's stdout and stderr (scripts/test)
  homes/            each scripts/with-keyring session's XDG dirs and config dir
                    (server lists, the app's WebKit data), keyring files included:
                    they are encrypted, so a marker found there is a leak too
  interop-*/        the interop suites' logs and command outputs
  hostile-cli/      every mcp-auth output of tests/hostile/run.py
  e2e/              per scenario: the app's log, its config dir, every IPC reply
                    the page received except reveal_token's, and the final DOM

A hit is reported by file and marker kind, never with the marker itself.
The scan first proves it can fail: it plants a marker in a scratch copy and
must find it; it refuses to pass with markers missing a kind, since a scan
with nothing to look for proves nothing; and it refuses to pass when an e2e
scenario's IPC recording holds no command reply (the recorder saw nothing).
"""

import glob
import json
import os
import re
import sys
import tempfile

CANARY = b"LEAKCANARY"
# A raw credential header written out anywhere (a log line, a debug dump).
HEADER = re.compile(rb'(?i)authorization["\']?\s*[:=]\s*["\']?(bearer|basic|dpop)\s+[A-Za-z0-9._~+/=-]{8,}')
KINDS = ("at", "rt", "code", "cs")


def kind_of(marker):
    m = re.match(rb"LEAKCANARY-([a-z]+)-", marker)
    return m.group(1).decode() if m else "other"


def load_markers(path):
    markers = set()
    for line in open(path, "rb").read().split(b"\n"):
        line = line.strip()
        if len(line) >= 8:
            markers.add(line)
    return sorted(markers)


def scan(root, markers, skip):
    """[(file, what)] for every file under root holding a marker, the canary or a credential header."""
    hits = []
    files = size = 0
    for d, _, names in os.walk(root):
        for name in names:
            p = os.path.join(d, name)
            if os.path.abspath(p) == skip or os.path.islink(p) or not os.path.isfile(p):
                continue
            try:
                data = open(p, "rb").read()
            except OSError:
                continue
            files += 1
            size += len(data)
            found = {kind_of(m) for m in markers if m in data}
            if CANARY in data:
                found.add("LEAKCANARY prefix")
            if HEADER.search(data):
                found.add("an Authorization header")
            if found:
                hits.append((os.path.relpath(p, root), ", ".join(sorted(found))))
    return hits, files, size


def self_test(markers):
    """The scan must find a planted marker (in the middle of a JSON log line)."""
    with tempfile.TemporaryDirectory() as d:
        planted = markers[len(markers) // 2]
        with open(os.path.join(d, "app.log"), "wb") as f:
            f.write(b'{"level":"debug","msg":"token ' + planted + b' sent"}\n')
        hits, _, _ = scan(d, [planted], None)
        return len(hits) == 1


def recorder_blind_spots(root):
    """e2e scenario dirs whose IPC recording holds no command reply: the page's
    recorder saw nothing (Tauri fell back to another transport?), so their
    'no secret in IPC replies' would prove nothing."""
    blind, seen = [], 0
    for path in glob.glob(os.path.join(root, "e2e", "*", "ipc-replies.json")):
        seen += 1
        try:
            entries = json.load(open(path))
        except ValueError:
            entries = []
        if not any("cmd" in e for e in entries if isinstance(e, dict)):
            blind.append(os.path.relpath(path, root))
    if os.path.isdir(os.path.join(root, "e2e")) and seen == 0:
        blind.append("e2e/ (no IPC recording at all)")
    return blind


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    root = os.path.abspath(sys.argv[1])
    path = os.path.join(root, "markers")
    if not os.path.exists(path):
        print(f"leak scan: no markers file in {root}: the suites recorded nothing to look for")
        return 1
    markers = load_markers(path)
    counts = {k: sum(1 for m in markers if kind_of(m) == k) for k in KINDS + ("other",)}
    missing = [k for k in KINDS + ("other",) if counts[k] == 0]
    print("leak scan: markers by kind: " + ", ".join(f"{k} {n}" for k, n in counts.items())
          + "  (at access token, rt refresh token, code, cs client secret, other: verifiers and peer-minted tokens)")
    if missing:
        print(f"leak scan: FAILED: no marker of kind {', '.join(missing)}; a scan with nothing to look for proves nothing")
        return 1
    if not self_test(markers):
        print("leak scan: FAILED: the scan did not find a planted marker")
        return 1
    blind = recorder_blind_spots(root)
    if blind:
        print("leak scan: FAILED: the page's IPC recorder saw no command reply in: " + ", ".join(blind))
        return 1
    hits, files, size = scan(root, markers, os.path.abspath(path))
    print(f"leak scan: {files} files, {size / 1e6:.1f} MB searched under {root}")
    for p, what in hits:
        print(f"LEAK {p}: {what}")
    if hits:
        print(f"leak scan: FAILED: {len(hits)} file(s) hold a secret")
        return 1
    print("leak scan: no secret found outside the keychain")
    return 0


if __name__ == "__main__":
    sys.exit(main())
