#!/usr/bin/env python3
"""The Python MCP SDK's own client (mcp 2.x, `mcp.client.Client`, mode "auto":
`server/discover` first, `initialize` only for a 2025 server) drives
`mcp-auth bridge SERVER` over stdio: lists tools and makes the calls given.
Prints one JSON object with what it saw, the protocol revision the two ends
agreed on included, so the caller can tell that a 2026-07-28 exchange went
through the bridge. The conformance suite's header scenarios use it too
(tests/conformance/bridge-client.sh), reading the HTTP requests the bridge makes.

Usage: python_modern_client.py MCP_AUTH_BIN SERVER CALLS_JSON   ([[tool, arguments], ...])
"""
import asyncio
import json
import os
import sys

from mcp import StdioServerParameters
from mcp.client.client import Client

BIN, SERVER, CALLS = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])


async def main():
    params = StdioServerParameters(command=BIN, args=["bridge", SERVER, "--browser", "print"], env=dict(os.environ))
    async with Client(params, mode="auto", read_timeout_seconds=30) as client:
        seen = {"protocol": client.protocol_version}
        seen["tools"] = [t.name for t in (await client.list_tools()).tools]
        for tool, arguments in CALLS:
            result = await client.call_tool(tool, arguments)
            texts = [c.text for c in result.content if getattr(c, "type", None) == "text"]
            seen["text"] = texts[0] if texts else None
    print(json.dumps(seen))


try:
    asyncio.run(asyncio.wait_for(main(), 60))
except Exception as e:  # the caller judges the JSON; say what went wrong
    print(json.dumps({"error": repr(e)}))
    sys.exit(1)
