#!/usr/bin/env python3
"""The malicious-server harness: an MCP server and its authorization server on
127.0.0.1, whose every metadata field, header and response a test can set.

Out of process on purpose: the engine's in-process fixture
(crates/mcp-auth/tests/it/fixture.rs) tests the library; this one is what the
real `mcp-auth` binary and the real app talk to (tests/hostile/run.py,
tests/e2e/run.py).

Many scenarios share one process as *tenants*: everything of tenant T lives
under /t/T (MCP endpoint /t/T/mcp, issuer http://127.0.0.1:P/t/T, PRM at
/.well-known/oauth-protected-resource/t/T/mcp). A test configures a tenant
with `POST /_control/T` (a JSON object, see DEFAULTS; it also resets the
tenant's state) and reads what the tenant saw with `GET /_control/T`.

By default a tenant is a well-behaved deployment (401 challenge, PRM, RFC 8414
metadata with `iss` in the redirect, DCR, an auto-approving /authorize, PKCE
checked, refresh with rotation, RFC 7009 revocation, tools/list + tools/call).

Leak canaries: every access token, refresh token, code and client secret it
issues carries "LEAKCANARY", and each one, with every PKCE verifier and client
secret it receives, is appended to the markers file named by --markers. The
leak scan (tests/leak/scan.py) then searches every output of the run for them.
"""

import argparse
import base64
import hashlib
import json
import os
import secrets
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CANARY = "LEAKCANARY"

# Each key can be set by a test; `prm` and `as` are merged into the documents
# (a key set to null is removed), the *_reply keys replace an endpoint's answer.
DEFAULTS = {
    "prm": {},                # overrides of the protected resource metadata
    "as": {},                 # overrides of the authorization server metadata
    "prm_reply": None,        # {"status", "headers", "body"}: replaces the PRM answer
    "as_reply": None,         # replaces the AS metadata answer
    "token_reply": None,      # replaces every token endpoint answer
    "register_reply": None,   # merged into the DCR answer (a dict), or replaces it ({"status",...})
    "challenge": None,        # WWW-Authenticate of the 401 (default: resource_metadata + scope)
    "scope": "mcp:tools",     # the scope the 401 asks for
    "scopes_supported": ["mcp:tools", "mcp:admin", "offline_access"],
    "call_requires": [],      # extra scopes tools/call demands (403 insufficient_scope)
    "list_requires": [],      # extra scopes tools/list demands (a step-up right after sign-in)
    "always_insufficient": False,  # tools/call demands a new scope every time
    "authorize": "approve",   # or "deny": error=access_denied with error_description
    "error_description": "The user said no.",
    "iss": "correct",         # "omit", "wrong", "slash": the iss in the redirect
    "dcr_secret": False,      # DCR issues a client secret (a confidential client)
    "clients": {},            # pre-registered clients: {client_id: secret or null}
    "server_name": "Harness MCP server",
    "tools": [{"name": "echo", "description": "Echoes its text."}],
    "expires_in": 3600,
    "refresh_expires_in": None,  # the lifetime of tokens the refresh grant issues (None: expires_in)
    "refresh": "rotate",      # "rotate", "keep" (same one again), "omit" (none on refresh), "none", "invalid_grant"
    "token_pad": 0,           # make access tokens this many characters longer
    "revoke": "ok",           # "ok", "down" (503); remove the endpoint with "as": {"revocation_endpoint": null}
}


class Tenant:
    def __init__(self, name, config):
        self.name = name
        self.config = dict(DEFAULTS, **config)
        self.seen = []           # [{"method", "path", "form"?: keys only}]
        self.clients = {cid: sec for cid, sec in self.config["clients"].items()}
        self.codes = {}          # code -> dict(client_id, redirect_uri, challenge, scope, resource)
        self.access = {}         # token -> scopes
        self.refresh = {}        # token -> dict(client_id, scope)
        self.step = 0


class Harness:
    def __init__(self, markers):
        self.lock = threading.Lock()
        self.tenants = {}
        self.markers = markers
        self.base = None

    def tenant(self, name):
        with self.lock:
            if name not in self.tenants:
                self.tenants[name] = Tenant(name, {})
            return self.tenants[name]

    def mark(self, *values):
        """Remember secrets for the leak scan (the markers file is the one place they may be)."""
        values = [v for v in values if isinstance(v, str) and len(v) >= 8]
        if not values or not self.markers:
            return
        with self.lock, open(self.markers, "a") as f:
            for v in values:
                f.write(v + "\n")

    def issue(self, kind):
        value = f"{CANARY}-{kind}-{secrets.token_urlsafe(18)}"
        self.mark(value)
        return value


def merged(doc, overrides):
    out = dict(doc)
    for k, v in overrides.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = v
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    harness = None  # set by main

    def log_message(self, *_):
        pass  # no request log: a URL can hold a code

    # -- plumbing ---------------------------------------------------------
    def reply(self, status, body=b"", headers=None, content_type="application/json"):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        sent = {k.lower() for k in (headers or {})}
        if "content-type" not in sent and body:
            self.send_header("Content-Type", content_type)
        for k, v in (headers or {}).items():
            for one in (v if isinstance(v, list) else [v]):
                self.send_header(k, one)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def canned(self, c):
        body = c.get("body", "")
        if "repeat" in c:  # {"body": "[", "repeat": 50_000_000}: big answers without a big control request
            body = body * int(c["repeat"])
        self.reply(c.get("status", 200), body, c.get("headers") or {})

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(min(n, 1 << 20)) if n else b""

    def form(self, raw):
        return {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode(errors="replace")).items()}

    def route(self):
        u = urllib.parse.urlsplit(self.path)
        return u.path, {k: v[0] for k, v in urllib.parse.parse_qs(u.query).items()}

    def record(self, t, path, form=None):
        with self.harness.lock:
            entry = {"method": self.command, "path": path}
            if form is not None:
                entry["form"] = sorted(form)
            t.seen.append(entry)

    # -- dispatch ---------------------------------------------------------
    def do_GET(self):
        self.dispatch(b"")

    def do_POST(self):
        self.dispatch(self.body())

    def do_DELETE(self):
        self.dispatch(b"")

    def dispatch(self, raw):
        try:
            self.serve(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a size cap, a timeout): what the test wanted

    def serve(self, raw):
        path, query = self.route()
        h = self.harness
        if path.startswith("/_control/"):
            name = path[len("/_control/"):]
            if self.command == "POST":
                with h.lock:
                    h.tenants[name] = Tenant(name, json.loads(raw or b"{}"))
                return self.reply(200, {"mcp": f"{h.base}/t/{name}/mcp", "issuer": f"{h.base}/t/{name}"})
            t = h.tenant(name)
            with h.lock:
                report = {"seen": list(t.seen), "signed_in": len(t.access)}
            return self.reply(200, report)
        for prefix, kind in (("/.well-known/oauth-protected-resource/t/", "prm"),
                             ("/.well-known/oauth-authorization-server/t/", "as"),
                             ("/.well-known/openid-configuration/t/", "as")):
            if path.startswith(prefix):
                name = path[len(prefix):].split("/")[0]
                t = h.tenant(name)
                self.record(t, path)
                return self.prm(t) if kind == "prm" else self.as_meta(t)
        if path.startswith("/t/"):
            name, _, rest = path[3:].partition("/")
            t = h.tenant(name)
            form = self.form(raw) if self.command == "POST" and rest != "mcp" and rest != "register" else None
            self.record(t, path, form)
            handler = {"mcp": self.mcp, "authorize": self.authorize, "token": self.token,
                       "register": self.register, "revoke": self.revoke}.get(rest)
            if handler:
                return handler(t, query, raw, form)
        self.reply(404, {"error": "not_found"})

    # -- metadata ---------------------------------------------------------
    def urls(self, t):
        base = f"{self.harness.base}/t/{t.name}"
        return base, f"{base}/mcp", f"{self.harness.base}/.well-known/oauth-protected-resource/t/{t.name}/mcp"

    def prm(self, t):
        if t.config["prm_reply"]:
            return self.canned(t.config["prm_reply"])
        issuer, resource, _ = self.urls(t)
        doc = {"resource": resource, "authorization_servers": [issuer],
               "scopes_supported": t.config["scopes_supported"], "bearer_methods_supported": ["header"]}
        self.reply(200, merged(doc, t.config["prm"]))

    def as_meta(self, t):
        if t.config["as_reply"]:
            return self.canned(t.config["as_reply"])
        issuer, _, _ = self.urls(t)
        doc = {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "registration_endpoint": f"{issuer}/register",
            "revocation_endpoint": f"{issuer}/revoke",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
            "scopes_supported": t.config["scopes_supported"],
            "authorization_response_iss_parameter_supported": True,
        }
        self.reply(200, merged(doc, t.config["as"]))

    # -- the MCP server ---------------------------------------------------
    def challenge(self, t, status=401, scope=None, error=None):
        _, _, prm_url = self.urls(t)
        value = t.config["challenge"]
        if value is None or status == 403:
            parts = [f'resource_metadata="{prm_url}"']
            if error:
                parts.insert(0, f'error="{error}"')
            if scope or t.config["scope"]:
                parts.append(f'scope="{scope or t.config["scope"]}"')
            value = "Bearer " + ", ".join(parts)
        self.reply(status, {"error": error or "invalid_token"}, {"WWW-Authenticate": value})

    def mcp(self, t, _query, raw, _form):
        if self.command != "POST":
            return self.reply(405, b"", {"Allow": "POST"})
        auth = self.headers.get("Authorization") or ""
        token = auth[7:] if auth.lower().startswith("bearer ") else ""
        with self.harness.lock:
            # A token counts if an authorization server this resource names issued it.
            names = t.config["prm"].get("authorization_servers") or [f"{self.harness.base}/t/{t.name}"]
            issuers = [self.harness.tenants.get(n.rsplit("/t/", 1)[-1]) for n in names]
            scopes = next((i.access[token] for i in issuers if i and token in i.access), None)
        if scopes is None:
            return self.challenge(t)
        try:
            msg = json.loads(raw)
        except ValueError:
            return self.reply(400, {"error": "bad json"})
        method = msg.get("method", "")
        if "id" not in msg:
            return self.reply(202)
        if method in ("tools/call", "tools/list"):
            needed = list(t.config["call_requires" if method == "tools/call" else "list_requires"])
            if t.config["always_insufficient"] and method == "tools/call":
                with self.harness.lock:
                    t.step += 1
                    needed = [f"mcp:step{t.step}"]
            missing = [s for s in needed if s not in scopes]
            if missing:
                return self.challenge(t, 403, " ".join(sorted(set(scopes) | set(needed))), "insufficient_scope")
        if method == "initialize":
            result = {"protocolVersion": msg.get("params", {}).get("protocolVersion", "2025-06-18"),
                      "capabilities": {"tools": {}},
                      "serverInfo": {"name": t.config["server_name"], "version": "1.0.0"}}
        elif method == "tools/list":
            tools = [dict(tool, inputSchema={"type": "object", "properties": {"text": {"type": "string"}}})
                     for tool in t.config["tools"]]
            result = {"tools": tools}
        elif method == "tools/call":
            text = json.dumps(msg.get("params", {}).get("arguments", {}))
            result = {"content": [{"type": "text", "text": f"echo: {text}"}]}
        elif method == "ping":
            result = {}
        else:
            return self.reply(200, {"jsonrpc": "2.0", "id": msg["id"], "error": {"code": -32601, "message": "no such method"}})
        self.reply(200, {"jsonrpc": "2.0", "id": msg["id"], "result": result}, {"Mcp-Session-Id": f"session-{t.name}"})

    # -- the authorization server ----------------------------------------
    def authorize(self, t, q, _raw, _form):
        issuer, resource, _ = self.urls(t)
        redirect = q.get("redirect_uri", "")
        cid = q.get("client_id", "")
        if cid not in t.clients or q.get("response_type") != "code" or q.get("code_challenge_method") != "S256" \
                or not q.get("code_challenge") or not redirect:
            return self.reply(400, "<h1>Bad authorization request</h1>", content_type="text/html")
        params = {"state": q.get("state", "")}
        if t.config["authorize"] == "deny":
            params.update(error="access_denied", error_description=t.config["error_description"])
        else:
            code = self.harness.issue("code")
            with self.harness.lock:
                t.codes[code] = {"client_id": cid, "redirect_uri": redirect, "challenge": q["code_challenge"],
                                 "scope": q.get("scope", ""), "resource": q.get("resource")}
            params["code"] = code
        iss = {"correct": issuer, "wrong": f"{self.harness.base}/t/elsewhere", "slash": issuer + "/"}.get(t.config["iss"])
        if iss:
            params["iss"] = iss
        sep = "&" if "?" in redirect else "?"
        self.reply(302, b"", {"Location": redirect + sep + urllib.parse.urlencode(params)})

    def client_of(self, t, form):
        """The authenticated client: (client_id, ok)."""
        auth = self.headers.get("Authorization") or ""
        cid, secret = form.get("client_id"), form.get("client_secret")
        if auth.lower().startswith("basic "):
            try:
                user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
                cid, secret = urllib.parse.unquote(user), urllib.parse.unquote(pw)
            except ValueError:
                return None, False
        self.harness.mark(secret)
        with self.harness.lock:
            if cid not in t.clients:
                return cid, False
            expected = t.clients[cid]
        return cid, expected is None or secrets.compare_digest(str(secret or ""), expected)

    def token(self, t, _q, _raw, form):
        self.harness.mark(form.get("code_verifier"))
        if t.config["token_reply"]:
            return self.canned(t.config["token_reply"])
        cid, ok = self.client_of(t, form)
        if not ok:
            return self.reply(401, {"error": "invalid_client", "error_description": "client authentication failed"},
                              {"WWW-Authenticate": 'Basic realm="harness"'})
        grant = form.get("grant_type")
        with self.harness.lock:
            if grant == "authorization_code":
                c = t.codes.pop(form.get("code", ""), None)
                verifier = form.get("code_verifier", "")
                digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                if not c or c["client_id"] != cid or c["redirect_uri"] != form.get("redirect_uri") \
                        or c["challenge"] != digest:
                    return self.reply(400, {"error": "invalid_grant", "error_description": "bad code"})
                scope = c["scope"]
            elif grant == "refresh_token":
                r = t.refresh.get(form.get("refresh_token", ""))
                if not r or t.config["refresh"] == "invalid_grant":
                    return self.reply(400, {"error": "invalid_grant", "error_description": "refresh token is not valid"})
                scope = r["scope"]
                if t.config["refresh"] in ("rotate", "invalid_grant"):
                    del t.refresh[form["refresh_token"]]
            else:
                return self.reply(400, {"error": "unsupported_grant_type"})
        access = self.harness.issue("at") + "x" * int(t.config["token_pad"])
        lifetime = t.config["expires_in"]
        if grant == "refresh_token" and t.config["refresh_expires_in"] is not None:
            lifetime = t.config["refresh_expires_in"]
        out = {"access_token": access, "token_type": "Bearer", "expires_in": lifetime, "scope": scope}
        refresh = None
        if t.config["refresh"] != "none" and not (grant == "refresh_token" and t.config["refresh"] == "omit"):
            if grant == "refresh_token" and t.config["refresh"] == "keep":
                refresh = form["refresh_token"]
            else:
                refresh = self.harness.issue("rt")
            out["refresh_token"] = refresh
        with self.harness.lock:
            t.access[access] = scope.split()
            if refresh:
                t.refresh[refresh] = {"client_id": cid, "scope": scope}
        self.reply(200, out)

    def register(self, t, _q, raw, _form):
        try:
            req = json.loads(raw)
        except ValueError:
            return self.reply(400, {"error": "invalid_client_metadata"})
        reply = t.config["register_reply"]
        if reply and "status" in reply:
            return self.canned(reply)
        cid = f"client-{secrets.token_hex(6)}"
        out = dict(req, client_id=cid, client_id_issued_at=int(time.time()))
        secret = None
        if t.config["dcr_secret"]:
            secret = self.harness.issue("cs")
            out.update(client_secret=secret, client_secret_expires_at=0,
                       token_endpoint_auth_method="client_secret_post")
        out = merged(out, reply or {})
        with self.harness.lock:
            t.clients[cid] = secret
        self.reply(201, out)

    def revoke(self, t, _q, _raw, form):
        if t.config["revoke"] == "down":
            return self.reply(503, "<h1>Service unavailable</h1>", content_type="text/html")
        self.harness.mark(form.get("token"))
        with self.harness.lock:
            t.access.pop(form.get("token", ""), None)
            t.refresh.pop(form.get("token", ""), None)
        self.reply(200)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--markers", help="append every secret issued or received to this file")
    p.add_argument("--ready", help="write the base URL to this file once listening")
    a = p.parse_args()
    harness = Harness(a.markers)
    Handler.harness = harness
    server = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    server.daemon_threads = True
    harness.base = f"http://127.0.0.1:{server.server_address[1]}"
    if a.ready:
        with open(a.ready + ".tmp", "w") as f:
            f.write(harness.base)
        os.replace(a.ready + ".tmp", a.ready)
    print(harness.base, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
