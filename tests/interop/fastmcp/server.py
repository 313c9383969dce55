"""FastMCP test peer: an MCP server at /mcp guarded by FastMCP's in-memory OAuth
provider (auto-approving authorization server on the same origin, with DCR,
refresh-token rotation and RFC 7009 revocation).

Usage: server.py PORT   (env ACCESS_TOKEN_TTL: access-token lifetime in seconds;
                         FASTMCP_PATCH_BASIC=1: see below)
Logs one line per OAuth request (method, path, grant_type) — never a token.
"""
import os
import sys

# No banner and no update check against the package index: loopback only.
os.environ.setdefault("FASTMCP_CHECK_FOR_UPDATES", "off")
os.environ.setdefault("FASTMCP_SHOW_SERVER_BANNER", "false")

import fastmcp  # noqa: E402
from fastmcp import FastMCP  # noqa: E402
from fastmcp.server.auth.providers import in_memory  # noqa: E402
from fastmcp.server.auth.providers.in_memory import InMemoryOAuthProvider  # noqa: E402
from mcp.server.auth.settings import ClientRegistrationOptions, RevocationOptions  # noqa: E402

port = int(sys.argv[1])
# FASTMCP_PATCH_BASIC=1 works around two bugs of the MCP Python SDK's
# authorization server (mcp 2.3.0) that refuse a client authenticating with HTTP
# Basic (RFC 6749 §2.3.1), which mcp-auth does when the server lists
# client_secret_basic: its token and revocation endpoints demand client_id in
# the form (python-sdk issue #3545; fixed the way PR #3550 does), and its
# revocation endpoint demands a client_secret form field (RevocationRequest).
# Off by default: the suite tests FastMCP as it ships.
PATCH_BASIC = os.environ.get("FASTMCP_PATCH_BASIC") == "1"
base = f"http://127.0.0.1:{port}"
# The provider reads this module constant whenever it issues a token.
in_memory.DEFAULT_ACCESS_TOKEN_EXPIRY_SECONDS = int(os.environ.get("ACCESS_TOKEN_TTL", "3600"))

auth = InMemoryOAuthProvider(
    base_url=base,
    client_registration_options=ClientRegistrationOptions(
        enabled=True, valid_scopes=["mcp:tools"], default_scopes=["mcp:tools"]),
    revocation_options=RevocationOptions(enabled=True),
    required_scopes=["mcp:tools"],
)
mcp = FastMCP("fastmcp-interop", auth=auth)


@mcp.tool
def echo(text: str) -> str:
    """Echo the text back."""
    return text


LEAK_DIR = os.environ.get("MCP_AUTH_LEAK_DIR")


def mark(*values):
    """For the leak scan (tests/leak/scan.py): every secret this server issues or
    receives goes to $MCP_AUTH_LEAK_DIR/markers, the one file allowed to hold them."""
    values = [v for v in values if isinstance(v, str) and len(v) >= 8]
    if LEAK_DIR and values:
        with open(os.path.join(LEAK_DIR, "markers"), "a") as f:
            f.write("".join(v + "\n" for v in values))


class RequestLog:
    """ASGI middleware: one line per OAuth endpoint request and its answer, naming
    parameters, client authentication and errors; never a token, code or secret."""

    PATHS = ("/token", "/revoke", "/register", "/authorize")
    SHOWN = ("grant_type", "token_type_hint", "resource", "scope", "token_endpoint_auth_method",
             "grant_types", "redirect_uris", "response_types", "error", "error_description")

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] not in self.PATHS:
            return await self.app(scope, receive, send)
        import json
        from urllib.parse import parse_qs
        chunks = []
        more = True
        while more:
            msg = await receive()
            chunks.append(msg)
            more = msg.get("more_body", False)
        body = b"".join(m.get("body", b"") for m in chunks).decode("utf-8", "replace")
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        fields = {}
        if scope["method"] == "POST":
            if "json" in headers.get("content-type", ""):
                try:
                    fields = json.loads(body)
                except ValueError:
                    fields = {}
            else:
                fields = {k: v[0] for k, v in parse_qs(body).items()}
        if scope["method"] == "GET":
            fields = {k: v[0] for k, v in parse_qs(scope.get("query_string", b"").decode()).items()}
        mark(*(str(fields.get(k)) for k in ("code", "code_verifier", "refresh_token", "client_secret", "token")
               if fields.get(k)))
        if headers.get("authorization", "").lower().startswith("basic "):
            import base64
            mark(base64.b64decode(headers["authorization"][6:]).decode("utf-8", "replace").split(":", 1)[-1])
        auth = "client_secret_basic" if headers.get("authorization", "").lower().startswith("basic ") \
            else "client_secret_post" if "client_secret" in fields else "none"
        if (PATCH_BASIC and scope["path"] in ("/token", "/revoke") and "client_id" not in fields
                and headers.get("authorization", "").lower().startswith("basic ")):
            # The upstream fix (python-sdk PR #3550): take client_id from the Basic header.
            import base64
            from urllib.parse import quote, unquote
            basic_id = unquote(base64.b64decode(headers["authorization"][6:]).decode().split(":", 1)[0])
            body = body + ("&" if body else "") + "client_id=" + quote(basic_id, safe="")
            if scope["path"] == "/revoke" and "client_secret" not in fields:
                # Its RevocationRequest model also demands a client_secret field.
                body += "&client_secret="
            chunks = [{"type": "http.request", "body": body.encode(), "more_body": False}]
            scope = dict(scope, headers=[(k, v) for k, v in scope["headers"] if k.lower() != b"content-length"]
                         + [(b"content-length", str(len(body.encode())).encode())])
            print(f"PATCH {scope['path']}: client_id taken from the Basic header", file=sys.stderr, flush=True)
        shown = {k: fields[k] for k in self.SHOWN if k in fields}
        if scope["path"] in ("/token", "/revoke"):
            shown["client_auth"] = auth
        status = {}
        answer = []

        async def send_and_log(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                for k, v in message.get("headers", []):
                    if k.lower() == b"location":  # the authorization response carries the code
                        q = parse_qs(v.decode().partition("?")[2])
                        mark(*(q.get("code") or []))
            elif message["type"] == "http.response.body":
                answer.append(message.get("body", b""))
                if not message.get("more_body", False):
                    out = {}
                    try:
                        j = json.loads(b"".join(answer) or b"null")
                        if isinstance(j, dict):
                            mark(*(j.get(k) for k in ("access_token", "refresh_token", "client_secret")))
                            out = {k: j[k] for k in self.SHOWN if k in j}
                            if "client_secret" in j:
                                out["client_secret"] = "issued"
                    except ValueError:
                        pass
                    print(f"REQ {scope['method']} {scope['path']} {shown} -> {status.get('code')} {out}",
                          file=sys.stderr, flush=True)
            await send(message)

        replay = iter(chunks)

        async def again():
            try:
                return next(replay)
            except StopIteration:
                return await receive()
        return await self.app(scope, again, send_and_log)


if __name__ == "__main__":
    print(f"fastmcp {fastmcp.__version__} on {base}/mcp", file=sys.stderr, flush=True)
    from starlette.middleware import Middleware
    mcp.run(transport="http", host="127.0.0.1", port=port, path="/mcp",
            log_level="warning", middleware=[Middleware(RequestLog)])
