"""FastMCP test peer: an MCP server at /mcp guarded by FastMCP's in-memory OAuth
provider (auto-approving authorization server on the same origin, with DCR,
refresh-token rotation and RFC 7009 revocation).

Usage: server.py PORT   (env ACCESS_TOKEN_TTL: access-token lifetime in seconds)
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


class RequestLog:
    """ASGI middleware: one line per OAuth endpoint request (never bodies' secrets)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] not in ("/token", "/revoke", "/register", "/authorize"):
            return await self.app(scope, receive, send)
        chunks = []
        more = True
        while more:
            msg = await receive()
            chunks.append(msg)
            more = msg.get("more_body", False)
        body = b"".join(m.get("body", b"") for m in chunks)
        from urllib.parse import parse_qs
        form = parse_qs(body.decode("utf-8", "replace")) if scope["method"] == "POST" else {}
        fields = {k: v[0] for k, v in form.items()
                  if k in ("grant_type", "token_type_hint", "resource", "scope")}
        print(f"REQ {scope['method']} {scope['path']} {fields}", file=sys.stderr, flush=True)
        replay = iter(chunks)

        async def again():
            try:
                return next(replay)
            except StopIteration:
                return await receive()
        return await self.app(scope, again, send)


if __name__ == "__main__":
    print(f"fastmcp {fastmcp.__version__} on {base}/mcp", file=sys.stderr, flush=True)
    from starlette.middleware import Middleware
    mcp.run(transport="http", host="127.0.0.1", port=port, path="/mcp",
            log_level="warning", middleware=[Middleware(RequestLog)])
