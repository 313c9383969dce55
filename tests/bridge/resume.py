#!/usr/bin/env python3
"""A tool call whose event stream the server drops half-way (polling-server.mjs):
through `mcp-auth bridge`, the client still gets every notification, in order,
and the answer. Prints one JSON object. Usage: resume.py MCP_AUTH_BIN URL"""
import json
import subprocess
import sys
import threading
import queue

BIN, URL = sys.argv[1], sys.argv[2]
p = subprocess.Popen([BIN, "bridge", URL, "--browser", "print"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
lines = queue.Queue()
threading.Thread(target=lambda: [lines.put(l) for l in p.stdout] + [lines.put(None)], daemon=True).start()


def send(m):
    p.stdin.write((json.dumps(m) + "\n").encode())


def until(id_, seen):
    while True:
        line = lines.get(timeout=20)
        if line is None:
            raise RuntimeError("the bridge closed its stdout")
        m = json.loads(line)
        if m.get("method") == "notifications/message":
            seen.append(m["params"]["data"])
        if m.get("id") == id_ and ("result" in m or "error" in m):
            return m


seen = []
try:
    send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "resume", "version": "1"}}})
    until(1, seen)
    send({"jsonrpc": "2.0", "method": "notifications/initialized"})
    send({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "long-task", "arguments": {}}})
    answer = until(2, seen)
    print(json.dumps({"notifications": seen, "answer": answer}))
except Exception as e:
    print(json.dumps({"notifications": seen, "error": repr(e)}))
finally:
    p.stdin.close()
    p.wait(5)
