#!/usr/bin/env python3
"""An MCP server that speaks only the 2026-07-28 revision: FastMCP (the Python
SDK 2.x serves both eras, routing on the MCP-Protocol-Version header) behind
a guard that turns away every request of the 2025 era the way a modern-only
server does: HTTP 400 with an unsupported-version error naming what it speaks.

Usage: stateless-server.py PORT
"""
import json
import os
import sys

os.environ.setdefault("FASTMCP_CHECK_FOR_UPDATES", "off")
os.environ.setdefault("FASTMCP_SHOW_SERVER_BANNER", "false")

import uvicorn  # noqa: E402
from fastmcp import FastMCP  # noqa: E402

port = int(sys.argv[1])
mcp = FastMCP("stateless-only")


@mcp.tool
def echo(text: str) -> str:
    """Echo the text back."""
    return text


class ModernOnly:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "POST":
            version = dict(scope["headers"]).get(b"mcp-protocol-version", b"").decode()
            if version < "2026-07-28":
                body = json.dumps({"jsonrpc": "2.0", "id": None, "error": {
                    "code": -32022, "message": "Unsupported protocol version",
                    "data": {"supported": ["2026-07-28"], "requested": version or None}}}).encode()
                await send({"type": "http.response.start", "status": 400,
                            "headers": [(b"content-type", b"application/json")]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


uvicorn.run(ModernOnly(mcp.http_app(path="/mcp")), host="127.0.0.1", port=port, log_level="warning")
