#!/usr/bin/env python3
"""A Python MCP client nobody here wrote (FastMCP's Client over its stdio
transport) drives `mcp-auth bridge SERVER`: lists tools, calls one, waits
WAIT seconds (past the access token's lifetime, so the bridge refreshes under
it) and calls it again. Prints one JSON object with what it saw.

Usage: python_client.py MCP_AUTH_BIN SERVER TOOL ARGS_JSON WAIT
"""
import asyncio
import json
import os
import sys

from fastmcp import Client
from fastmcp.client.transports import StdioTransport

BIN, SERVER, TOOL, ARGS, WAIT = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4]), float(sys.argv[5])


async def main():
    seen = {}
    # The whole environment: the test's private keychain and config dir.
    transport = StdioTransport(command=BIN, args=["bridge", SERVER, "--browser", "print"], env=dict(os.environ))
    async with Client(transport, timeout=30) as client:
        seen["tools"] = [t.name for t in await client.list_tools()]
        first = await client.call_tool(TOOL, ARGS)
        seen["first"] = first.content[0].text
        await asyncio.sleep(WAIT)
        second = await client.call_tool(TOOL, ARGS)
        seen["after_expiry"] = second.content[0].text
    print(json.dumps(seen))


try:
    asyncio.run(asyncio.wait_for(main(), 120))
except Exception as e:  # the caller judges the JSON; say what went wrong
    print(json.dumps({"error": repr(e)}))
    sys.exit(1)
