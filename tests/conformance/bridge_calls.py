#!/usr/bin/env python3
"""Tool calls through `mcp-auth bridge URL`, made by the Python MCP SDK's own
2.x client (mode "auto": server/discover first) over stdio. The suite's server
reads the HTTP requests the bridge makes for them.

Usage: bridge_calls.py MCP_AUTH_BIN URL CALLS_JSON   ([[tool, arguments], ...])
"""
import asyncio
import json
import os
import sys

from mcp import StdioServerParameters
from mcp.client.client import Client

BIN, URL, CALLS = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])


async def main():
    params = StdioServerParameters(command=BIN, args=["bridge", URL, "--browser", "print"], env=dict(os.environ))
    async with Client(params, mode="auto", read_timeout_seconds=30) as client:
        await client.list_tools()
        for tool, arguments in CALLS:
            await client.call_tool(tool, arguments)
        print(json.dumps({"protocol": client.protocol_version, "calls": len(CALLS)}))


asyncio.run(asyncio.wait_for(main(), 60))
