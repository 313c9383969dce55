#!/usr/bin/env python3
"""The Python MCP SDK's own client (mcp 2.x, `mcp.client.Client`, mode "auto")
drives `mcp-auth serve` through the steps in STEPS_FILE, the same step language
as sdk-client.mjs, and prints what it saw, one entry per step.

Usage: python_client.py MCP_AUTH_BIN STEPS_FILE
"""
import asyncio
import json
import os
import sys
import urllib.request

from mcp import StdioServerParameters
from mcp.client.client import Client

BIN, STEPS = sys.argv[1], json.load(open(sys.argv[2]))
out = []
list_changed = 0


async def on_message(message):
    global list_changed
    root = getattr(message, "root", message)
    if getattr(root, "method", None) == "notifications/tools/list_changed" or type(root).__name__ == "ToolListChangedNotification":
        list_changed += 1


async def main():
    params = StdioServerParameters(command=BIN, args=["serve"], env=dict(os.environ))
    async with Client(params, mode="auto", read_timeout_seconds=60, message_handler=on_message) as client:
        last = None
        for step in STEPS:
            if step.get("follow"):
                url = (last or {}).get("authUrl")
                status = await asyncio.to_thread(lambda: urllib.request.urlopen(url, timeout=20).status) if url else "no authUrl"
                out.append({"follow": status, "listChanged": list_changed})
            elif step.get("list"):
                tools = (await client.list_tools()).tools
                out.append({"tools": [t.name for t in tools], "listChanged": list_changed})
            else:
                r = await client.call_tool(step["tool"], step.get("args", {}))
                last = r.structured_content
                await asyncio.sleep(0.1)
                texts = [c.text for c in r.content if getattr(c, "type", None) == "text"]
                out.append({"tool": step["tool"], "isError": bool(r.is_error), "structured": last,
                            "text": texts[0] if texts else None, "listChanged": list_changed,
                            "protocol": client.protocol_version})


try:
    asyncio.run(asyncio.wait_for(main(), 120))
except Exception as e:  # the caller judges; say what went wrong
    out.append({"error": repr(e)})
print(json.dumps(out))
