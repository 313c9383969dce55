#!/usr/bin/env python3
"""The hostile table (../shared/guide/hostile-cases.md) through the real
`mcp-auth` binary, against the malicious-server harness (harness.py), with the
spy (spy/xdg-open) first on PATH in place of the browser.

Each row gets its own harness tenant and config dir; the keychain is the real
one of the surrounding scripts/with-keyring session. Every command's output
goes to $MCP_AUTH_LEAK_DIR/hostile-cli (or a temp dir) for the leak scan,
except the stdout of `mcp-auth token`, whose whole point is to print a token.
The rows only the app can show (18, 36) run in tests/e2e/run.py and
tests/ipc.rs; 7 (a resource without a path: a tenant always has one), 19
(stray requests at the listener), 29 (clock) and 32 (a killed writer) run in
the engine's tests (crates/mcp-auth/tests/it/), and 34 is the leak scan.

Prints one line per row and ends with "hostile-cli: N passed, M failed".
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from control import Harness

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BIN = os.environ.get("MCP_AUTH_BIN", os.path.join(ROOT, "target", "debug", "mcp-auth"))
SPY_DIR = os.path.join(HERE, "spy")


class Run:
    """One row's world: a tenant, a config dir, a spy log, and its outputs."""

    def __init__(self, ctx, name):
        self.ctx, self.name = ctx, name
        self.dir = tempfile.mkdtemp(prefix=f"{name}-", dir=ctx.tmp)
        self.spy_log = os.path.join(self.dir, "spy.jsonl")
        self.config = os.path.join(self.dir, "config")
        self.n = 0

    def tenant(self, tenant, **config):
        return self.ctx.harness.tenant(tenant, **config)

    def seen(self, tenant):
        return self.ctx.harness.seen(tenant)

    def count(self, tenant, path_end, form_key=None):
        return self.ctx.harness.count(tenant, path_end, form_key)

    def cli(self, *args, spy="follow", env=None, stdin=None, keep_stdout=True, timeout=60):
        """Runs mcp-auth; returns (exit code, parsed JSON or None, stdout, stderr)."""
        e = dict(os.environ, MCP_AUTH_CONFIG_DIR=self.config, SPY_LOG=self.spy_log, SPY_MODE=spy,
                 PATH=SPY_DIR + os.pathsep + os.environ.get("PATH", ""))
        e.update(env or {})
        p = subprocess.run([BIN, *args], env=e, input=stdin, capture_output=True, text=True, timeout=timeout)
        self.n += 1
        base = os.path.join(self.ctx.evidence, f"{self.name}.{self.n}")
        if keep_stdout:
            open(base + ".out", "w").write(p.stdout)
        open(base + ".err", "w").write(p.stderr)
        try:
            doc = json.loads(p.stdout)
        except ValueError:
            doc = None
        return p.returncode, doc, p.stdout, p.stderr

    def opened(self):
        if not os.path.exists(self.spy_log):
            return []
        return [json.loads(line)["argv"] for line in open(self.spy_log)]


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def refused(r, url, kind=None, words=None):
    """The sign-in fails with a JSON error, exit 1, and the browser is never opened."""
    code, doc, out, err = r.cli("login", url, "--timeout", "10")
    expect(code == 1 and doc and doc.get("status") == "error", f"expected a JSON error, got {code}: {out[:300]} {err[:300]}")
    if kind:
        expect(doc.get("kind") == kind, f"kind {doc.get('kind')!r}, wanted {kind!r}: {doc.get('error')}")
    if words:
        expect(words in doc.get("error", ""), f"{words!r} not in {doc.get('error')!r}")
    expect(r.opened() == [], f"the browser was opened: {r.opened()}")
    expect(r.count(url.split("/t/")[1].split("/")[0], "/token") == 0, "a token request was made")
    return doc


def login(r, url):
    code, doc, out, err = r.cli("login", url, "--timeout", "10")
    expect(code == 0, f"login failed: {out[-300:]} {err[-300:]} seen={r.seen(url.split('/t/')[1].split('/')[0])} spy={r.opened()}")
    return doc


ROWS = []


def row(name):
    def wrap(f):
        ROWS.append((name, f))
        return f
    return wrap


@row("row01 non-http authorization endpoints are never opened")
def row01(r):
    for scheme in ("javascript:alert(1)", "file:///etc/passwd", "data:text/html,<h1>x</h1>", "vbscript:msgbox(1)",
                   "smb://attacker/share", "ms-settings:privacy"):
        refused(r, r.tenant("r01", **{"as": {"authorization_endpoint": scheme}}), "unsafe_url")


@row("row02 shell metacharacters: refused, or one argument and no shell")
def row02(r):
    pwned = os.path.join(r.dir, "pwned")
    base = f"{r.ctx.base}/t/r02/authorize"
    for endpoint in (f"{base} --x", f"{base}\n--help", f"-{base}", f"{base}\"; touch {pwned}; \""):
        refused(r, r.tenant("r02", **{"as": {"authorization_endpoint": endpoint}}), "unsafe_url")
    for endpoint in (f"{base}?x=$(touch%20{pwned})&y=`id`", f"{base}?a=1&b=%22;id;%22"):
        r.tenant("r02", **{"as": {"authorization_endpoint": endpoint}})
        code, doc, out, err = r.cli("login", f"{r.ctx.base}/t/r02/mcp", "--timeout", "3", spy="none")
        for argv in r.opened():
            expect(len(argv) == 1 and argv[0].startswith(base + "?"), f"not one argument: {argv}")
        open(r.spy_log, "w").close()
    time.sleep(0.3)
    expect(not os.path.exists(pwned), "a shell ran the URL")


@row("row03 http endpoints off loopback are refused")
def row03(r):
    for key in ("authorization_endpoint", "token_endpoint", "registration_endpoint"):
        refused(r, r.tenant("r03", **{"as": {key: "http://mcp.example.com/oauth"}}))


@row("row04 issuer mismatch, missing, http or with a query: document discarded")
def row04(r):
    base = r.ctx.base
    for issuer in (f"{base}/t/other", None, f"{base}/t/r04/", f"{base}/t/r04?x=1", f"{base}/T/R04"):
        doc = refused(r, r.tenant("r04", **{"as": {"issuer": issuer}}))
        expect("/.well-known/" in doc.get("error", "") or "issuer" in doc.get("error", ""), doc.get("error"))


@row("row05 no S256 in the metadata: no flow")
def row05(r):
    for methods in (None, ["plain"], []):
        refused(r, r.tenant("r05", **{"as": {"code_challenge_methods_supported": methods}}), "untrusted", "PKCE")


@row("row06 PRM for another origin, or not a string: refused")
def row06(r):
    for resource in ("http://127.0.0.2:9/t/r06/mcp", 42, ["x"], None):
        refused(r, r.tenant("r06", prm={"resource": resource}))


@row("row08 metadata at link-local / cloud-metadata addresses: refused")
def row08(r):
    for server in ("https://169.254.169.254/latest", "https://[fe80::1]/", "http://169.254.169.254/"):
        refused(r, r.tenant("r08", prm={"authorization_servers": [server]}))


@row("row09 a 50 MB metadata body and deeply nested JSON: capped, clear error")
def row09(r):
    doc = refused(r, r.tenant("r09", prm_reply={"status": 200, "body": "[", "repeat": 50_000_000,
                                                "headers": {"Content-Type": "application/json"}}))
    expect(r.ctx.base in doc["error"], doc["error"])
    refused(r, r.tenant("r09", as_reply={"status": 200, "body": "[" * 100_000 + "]" * 100_000,
                                         "headers": {"Content-Type": "application/json"}}))


@row("row10 HTML instead of metadata: a clear error naming the URL")
def row10(r):
    html = {"status": 200, "body": "<html><body>Sign in!</body></html>", "headers": {"Content-Type": "text/html"}}
    doc = refused(r, r.tenant("r10", prm_reply=html, as_reply=html))
    expect("http://127.0.0.1" in doc["error"], doc["error"])


@row("row11 PRM switches to a new authorization server: fresh registration there")
def row11(r):
    url = r.tenant("r11")
    r.tenant("r11b")
    code, doc, *_ = r.cli("login", url, "--timeout", "10")
    expect(code == 0, doc)
    r.tenant("r11", prm={"authorization_servers": [f"{r.ctx.base}/t/r11b"]})
    code, doc, *_ = r.cli("login", url, "--timeout", "10")
    expect(code == 0, doc)
    expect(r.count("r11b", "/register") == 1, "no fresh registration at the new issuer")
    expect(doc.get("issuer", f"{r.ctx.base}/t/r11b") == f"{r.ctx.base}/t/r11b", doc)


@row("row12 DCR answers with other redirect URIs are refused; a DCR secret stays in the keychain")
def row12(r):
    refused(r, r.tenant("r12", register_reply={"redirect_uris": ["https://evil.example/cb"]}))
    url = r.tenant("r12s", dcr_secret=True)
    code, doc, *_ = r.cli("login", url, "--timeout", "10")
    expect(code == 0, doc)
    expect(r.count("r12s", "/token", "client_secret") == 1, "the DCR secret was not used")


@row("row13 malformed, duplicated or huge WWW-Authenticate: no panic, bounded")
def row13(r):
    for challenge in ('Bearer realm="x", , ,resource_metadata=', 'Bearer scope="a" scope="b", Bearer, Basic',
                      'Bearer resource_metadata="' + "a" * 60_000 + '"', '"""\\\\\\', "Bearer " + "x=y," * 5000):
        url = r.tenant("r13", challenge=challenge)
        code, doc, out, err = r.cli("discover", url)
        expect(code in (0, 1) and doc is not None, f"exit {code}: {err[-300:]}")
        expect("panicked" not in err, err[-300:])


@row("row14/15 forged state, then the real callback twice: exactly one token request")
def row14_15(r):
    url = r.tenant("r14")
    code, doc, *_ = r.cli("login", url, "--timeout", "15", spy="replay")
    expect(code == 0, doc)
    expect(r.count("r14", "/token", "code") == 1, f"token requests: {r.count('r14', '/token', 'code')}")


@row("row16 access_denied ends the sign-in at once as cancelled")
def row16(r):
    t0 = time.time()
    refused_ok = r.tenant("r16", authorize="deny", error_description="<script>alert(1)</script>")
    code, doc, *_ = r.cli("login", refused_ok, "--timeout", "60")
    expect(code == 1 and doc["kind"] == "cancelled", doc)
    expect(time.time() - t0 < 10, "did not end at once")
    expect(r.count("r16", "/token") == 0, "a token request was made")


@row("row17 iss missing, different, or off by a slash: refused, no token request")
def row17(r):
    for iss in ("omit", "wrong", "slash"):
        url = r.tenant(f"r17{iss}", iss=iss, error_description="ignore me")
        code, doc, *_ = r.cli("login", url, "--timeout", "10")
        expect(code == 1 and doc["status"] == "error" and doc["kind"] != "timed_out", doc)
        expect("ignore me" not in json.dumps(doc), doc)
        expect(r.count(f"r17{iss}", "/token") == 0, f"iss={iss}: a token request was made")


@row("row20 a busy fixed callback port fails at once, naming it")
def row20(r):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    port = s.getsockname()[1]
    try:
        code, doc, *_ = r.cli("login", r.tenant("r20"), "--port", str(port), "--timeout", "10")
        expect(code == 1 and str(port) in doc["error"], doc)
        expect(r.opened() == [], "the browser was opened")
    finally:
        s.close()


@row("row21 the browser never comes back: timeout, listener closed")
def row21(r):
    code, doc, *_ = r.cli("login", r.tenant("r21"), "--timeout", "2", spy="none")
    expect(code == 1 and doc["kind"] == "timed_out", doc)
    opened = r.opened()
    expect(len(opened) == 1, opened)
    port = int(opened[0][0].split("127.0.0.1%3A")[1].split("%2F")[0])
    try:
        socket.create_connection(("127.0.0.1", port), 1).close()
        raise AssertionError("the listener is still open")
    except ConnectionRefusedError:
        pass


@row("row22 no browser can be started: the validated URL is shown to copy")
def row22(r):
    code, doc, out, err = r.cli("login", r.tenant("r22"), "--timeout", "1", env={"PATH": "/nonexistent"})
    expect(code == 1, out)
    expect(f"{r.ctx.base}/t/r22/authorize?" in err, err[-400:])


@row("row23 two sign-ins at once to different servers: each its own state")
def row23(r):
    a, b = r.tenant("r23a"), r.tenant("r23b")
    results = {}
    threads = [threading.Thread(target=lambda u=u: results.__setitem__(u, r.cli("login", u, "--timeout", "15")))
               for u in (a, b)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    for u in (a, b):
        expect(results[u][0] == 0, results[u][1])


@row("row24 token answers without access_token or token_type refused; odd expires_in conservative")
def row24(r):
    for i, body in enumerate(({"token_type": "Bearer"}, {"access_token": "LEAKCANARY-at-notype-0000"})):
        url = r.tenant(f"r24n{i}", token_reply={"status": 200, "body": json.dumps(body),
                                           "headers": {"Content-Type": "application/json"}})
        code, doc, *_ = r.cli("login", url, "--timeout", "10")
        expect(code == 1 and doc["status"] == "error", doc)
    for i, odd in enumerate(("soon", -5, 1e12)):
        url = r.tenant(f"r24{i}", expires_in=odd)
        code, doc, *_ = r.cli("login", url, "--timeout", "10")
        expect(code == 0, doc)
        code, status, *_ = r.cli("status", url)
        # Nonsense: unknown (used until a 401); negative: already due; huge: capped at a year.
        left = status.get("expires_in")
        wanted = {"soon": left is None, -5: left is not None and left <= 0,
                  1e12: left is not None and 0 < left <= 366 * 24 * 3600}[odd]
        expect(code == 0 and wanted, f"expires_in {odd!r}: {status}")
        if odd == -5:  # already due: every use refreshes first (the server keeps answering -5)
            before = r.count(f"r24{i}", "/token", "refresh_token")
            expect(r.cli("token", url, keep_stdout=False)[0] == 0, "token")
            expect(r.count(f"r24{i}", "/token", "refresh_token") == before + 1, "an expired token handed out unrefreshed")


@row("row25 token endpoint 302, HTML, 5xx or invalid_grant: no redirect followed, clear error")
def row25(r):
    trap = f"{r.ctx.base}/t/r25/trap"
    for reply in ({"status": 302, "headers": {"Location": trap}},
                  {"status": 200, "body": "<html>oops</html>", "headers": {"Content-Type": "text/html"}},
                  {"status": 502, "body": "bad gateway", "headers": {"Content-Type": "text/plain"}},
                  {"status": 400, "body": json.dumps({"error": "invalid_grant", "error_description": "nope"}),
                   "headers": {"Content-Type": "application/json"}}):
        url = r.tenant("r25", token_reply=reply)
        code, doc, *_ = r.cli("login", url, "--timeout", "10")
        expect(code == 1 and doc["status"] == "error", doc)
        expect(r.count("r25", "/trap") == 0, "a redirect was followed")


@row("row26 refresh rotation stores the new refresh token; an omitted one keeps the old")
def row26(r):
    for mode in ("rotate", "omit"):
        url = r.tenant(f"r26{mode}", refresh=mode)
        login(r, url)
        for i in range(3):
            code, doc, *_ = r.cli("refresh", url)
            expect(code == 0, f"{mode}: refresh {i + 1}: {doc}")
        code, doc, *_ = r.cli("tools", url)
        expect(code == 0 and doc["tools"][0]["name"] == "echo", doc)


@row("row27 two processes need a refresh at once: one refresh, both get a token")
def row27(r):
    # The signed-in token is due within a second; the refreshed one lives an hour.
    # (Were it as short, it could itself be due by the time the second process
    # reads it: seconds are the grain, and a 2 s token's margin is 1 s. Then a
    # second refresh would be right, and the row would fail one run in twenty.)
    url = r.tenant("r27", expires_in=2, refresh_expires_in=3600)
    login(r, url)
    time.sleep(1.2)  # due: inside the refresh margin
    out = {}
    threads = [threading.Thread(target=lambda i=i: out.__setitem__(i, r.cli("token", url, keep_stdout=False)))
               for i in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    expect(all(out[i][0] == 0 and out[i][2].strip() for i in out), [out[i][3][-200:] for i in out])
    expect(out[0][2] == out[1][2], "the two processes hold different tokens")
    expect(r.count("r27", "/token", "refresh_token") == 1, f"refreshes: {r.count('r27', '/token', 'refresh_token')}")


@row("row28 invalid_grant on refresh: needs sign-in, no retry loop")
def row28(r):
    url = r.tenant("r28", refresh="invalid_grant")
    login(r, url)
    code, doc, *_ = r.cli("refresh", url)
    expect(code == 1 and doc["kind"] == "needs_sign_in", doc)
    expect(r.count("r28", "/token", "refresh_token") == 1, "retried")


@row("row30 a 10 kB access token is stored whole and works")
def row30(r):
    url = r.tenant("r30", token_pad=10_000)
    login(r, url)
    code, _, token, _ = r.cli("token", url, keep_stdout=False)
    expect(code == 0 and len(token.strip()) > 10_000, f"token of {len(token.strip())} chars")
    code, doc, *_ = r.cli("call", url, "echo", '{"text":"long"}', spy="none")
    expect(code == 0, doc)


@row("row31 no keychain (no D-Bus): clear error, nothing written in plaintext")
def row31(r):
    url = r.tenant("r31")
    env = {"DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent"}
    code, doc, *_ = r.cli("login", url, "--timeout", "10", env=env)
    expect(code == 1 and doc["kind"] == "keychain", doc)


@row("row33 a hand-corrupted server list is kept aside, and the CLI still works")
def row33(r):
    os.makedirs(r.config, exist_ok=True)
    open(os.path.join(r.config, "servers.json"), "w").write("{ this is not json")
    code, doc, out, err = r.cli("servers", "list")
    expect(code == 0 and doc["servers"] == [] and "set aside" in doc["warning"], out + err)
    expect(any(".corrupt" in f or ".bak" in f for f in os.listdir(r.config)), os.listdir(r.config))


@row("row35 revocation endpoint down or missing: local copies deleted, user told")
def row35(r):
    for i, config in enumerate(({"revoke": "down"}, {"as": {"revocation_endpoint": None}})):
        url = r.tenant(f"r35{i}", **config)
        login(r, url)
        code, doc, out, _ = r.cli("revoke", url)
        expect(doc and doc["deleted_locally"] is True and doc["server_confirmed"] is False, out)
        expect("not reached" in doc["message"], doc["message"])
        code, status, *_ = r.cli("status", url)
        expect(status and status["state"] == "needs_sign_in" and not status["has_refresh_token"], status)


@row("row37 step-up that keeps asking: at most 3 sign-ins, then a clear error")
def row37(r):
    url = r.tenant("r37", always_insufficient=True)
    code, doc, *_ = r.cli("call", url, "echo", "{}", "--timeout", "10")
    expect(code == 1 and doc["kind"] == "scope", doc)
    expect(1 <= r.count("r37", "/authorize") <= 3, f"authorizations: {r.count('r37', '/authorize')}")


@row("row38 a removed server's keychain entries are gone")
def row38(r):
    url = r.tenant("r38", dcr_secret=True)
    login(r, url)
    code, doc, *_ = r.cli("servers", "remove", url)
    expect(code == 0, doc)
    expect(r.cli("servers", "add", url)[0] == 0, "re-add")
    code, status, *_ = r.cli("status", url)
    expect(status and status["state"] == "needs_sign_in" and status["client_id"] is None, status)
    code, _, token, err = r.cli("token", url, keep_stdout=False)
    expect(code != 0 and not token.strip(), "a token survived removal")


class Context:
    pass


def main():
    if not os.path.exists(BIN):
        print(f"no mcp-auth binary at {BIN}")
        return 1
    ctx = Context()
    ctx.tmp = tempfile.mkdtemp(prefix="hostile-cli-")
    leak_dir = os.environ.get("MCP_AUTH_LEAK_DIR")
    ctx.evidence = os.path.join(leak_dir, "hostile-cli") if leak_dir else os.path.join(ctx.tmp, "evidence")
    os.makedirs(ctx.evidence, exist_ok=True)
    ctx.harness = Harness(ctx.tmp)
    ctx.base = ctx.harness.base
    passed = failed = 0
    only = sys.argv[1:]
    try:
        for name, f in ROWS:
            if only and not any(o in name for o in only):
                continue
            t0 = time.time()
            try:
                f(Run(ctx, name.split()[0].replace("/", "-")))
                passed += 1
                print(f"ok   {name} ({time.time() - t0:.1f}s)", flush=True)
            except Exception as e:  # one row's failure must not hide the others
                failed += 1
                print(f"FAIL {name}: {e}", flush=True)
                if not isinstance(e, AssertionError):
                    traceback.print_exc()
    finally:
        ctx.harness.stop()
        shutil.rmtree(ctx.tmp, ignore_errors=True)
    print(f"hostile-cli: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
