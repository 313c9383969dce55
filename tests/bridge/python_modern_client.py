#!/usr/bin/env python3
"""The Python MCP SDK's own client (mcp 2.x, `mcp.client.Client`, mode "auto":
`server/discover` first, `initialize` only for a 2025 server) drives
`mcp-auth bridge SERVER` over stdio: lists tools and calls one. Prints one JSON
object with what it saw, the protocol revision the two ends agreed on included,
so the caller can tell that a 2026-07-28 exchange went through the bridge.

Usage: python_modern_client.py MCP_AUTH_BIN SERVER TOOL ARGS_JSON
"""
import asyncio
import json
import os
import sys

from mcp import StdioServerParameters
from mcp.client.client import Client

BIN, SERVER, TOOL, ARGS = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])


async def main():
    params = StdioServerParameters(command=BIN, args=["bridge", SERVER, "--browser", "print"], env=dict(os.environ))
    async with Client(params, mode="auto", read_timeout_seconds=30) as client:
        seen = {"protocol": client.protocol_version}
        seen["tools"] = [t.name for t in (await client.list_tools()).tools]
        result = await client.call_tool(TOOL, ARGS)
        seen["text"] = result.content[0].text
    print(json.dumps(seen))


try:
    asyncio.run(asyncio.wait_for(main(), 60))
except Exception as e:  # the caller judges the JSON; say what went wrong
    print(json.dumps({"error": repr(e)}))
    sys.exit(1)
