#!/usr/bin/env python3
"""What the bridge itself adds to a round trip: tools/call greet over one
keep-alive HTTP connection straight to the server, then the same through
`mcp-auth bridge` from a client with next to no cost of its own (this one),
interleaved in one run. Prints one JSON object.

Both speak REVISION, the protocol revision the measured client (the SDK's
stdio client) negotiates: the SDK's server does more per request from
2025-11-25 on (each SSE answer starts with a priming event it stores for
resumption: 3.5 ms a call at 2025-06-18, 5.1 ms at 2025-11-25, on one run of
this machine), so the server's own time is only comparable at the same one.

Usage: overhead.py MCP_AUTH_BIN URL CALLS REVISION   (AUTH_TOKEN in the environment)
"""
import http.client
import json
import os
import subprocess
import sys
import time
from urllib.parse import urlsplit

BIN, URL, CALLS, REVISION = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
u = urlsplit(URL)
call = lambda i: {"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": {"name": "greet", "arguments": {"name": "Ada"}}}
init = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": REVISION, "capabilities": {}, "clientInfo": {"name": "overhead", "version": "1"}}}

conn = http.client.HTTPConnection("127.0.0.1", u.port)
h = {"Authorization": "Bearer " + os.environ["AUTH_TOKEN"], "Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
conn.request("POST", u.path, json.dumps(init), h)
r = conn.getresponse()
h["mcp-session-id"] = r.getheader("mcp-session-id")
h["mcp-protocol-version"] = REVISION
r.read()
conn.request("POST", u.path, json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}), h)
conn.getresponse().read()

bridge = subprocess.Popen([BIN, "bridge", URL, "--browser", "print"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)


def via_bridge(m):
    bridge.stdin.write((json.dumps(m) + "\n").encode())
    while True:
        reply = json.loads(bridge.stdout.readline())
        if reply.get("id") == m["id"]:
            return reply


via_bridge(init)
bridge.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
direct, bridged = [], []
for i in range(CALLS):
    t0 = time.perf_counter()
    conn.request("POST", u.path, json.dumps(call(1000 + i)), h)
    conn.getresponse().read()
    direct.append((time.perf_counter() - t0) * 1000)
    t0 = time.perf_counter()
    via_bridge(call(5000 + i))
    bridged.append((time.perf_counter() - t0) * 1000)
bridge.stdin.close()
bridge.wait(5)
med = lambda xs: sorted(xs)[len(xs) // 2]
print(json.dumps({"direct_ms": med(direct), "via_bridge_ms": med(bridged), "added_ms": med(bridged) - med(direct), "n": CALLS, "revision": REVISION}))
