#!/usr/bin/env python3
"""The standalone GET stream (server notifications related to no request),
dropped by the server between two notifications (polling-server.mjs
`announce`): through `mcp-auth bridge`, which reopens it with Last-Event-ID,
the client still gets every notification, once each, in order.
Prints one JSON object. Usage: resume_get.py MCP_AUTH_BIN URL"""
import json
import queue
import subprocess
import sys
import threading
import time

BIN, URL = sys.argv[1], sys.argv[2]
p = subprocess.Popen([BIN, "bridge", URL, "--browser", "print"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
lines = queue.Queue()
threading.Thread(target=lambda: [lines.put(l) for l in p.stdout] + [lines.put(None)], daemon=True).start()
seen, answer = [], None


def send(m):
    p.stdin.write((json.dumps(m) + "\n").encode())


def read_until(deadline, done):
    global answer
    while time.time() < deadline and not done():
        try:
            line = lines.get(timeout=max(0.05, deadline - time.time()))
        except queue.Empty:
            break
        if line is None:
            raise RuntimeError("the bridge closed its stdout")
        m = json.loads(line)
        if m.get("method") == "notifications/message":
            seen.append(m["params"]["data"])
        if m.get("id") == 2 and ("result" in m or "error" in m):
            answer = m


try:
    send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "resume-get", "version": "1"}}})
    # The initialize answer, then the GET stream opens after `initialized`.
    while True:
        m = json.loads(lines.get(timeout=20))
        if m.get("id") == 1:
            break
    send({"jsonrpc": "2.0", "method": "notifications/initialized"})
    # (the server's tool waits for the bridge's GET stream before it starts)
    send({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "announce", "arguments": {}}})
    read_until(time.time() + 20, lambda: answer is not None and len(seen) >= 4)
    print(json.dumps({"notifications": seen, "answer": answer}))
except Exception as e:
    print(json.dumps({"notifications": seen, "error": repr(e)}))
finally:
    p.stdin.close()
    p.wait(5)
