#!/usr/bin/env python3
"""A dropped event stream, resumed by `mcp-auth bridge` with Last-Event-ID
(polling-server.mjs): the client calls TOOL and still gets every
notification, once each, in order, and the answer. `long-task` drops the
call's own stream half-way; `announce` drops the standalone GET stream (server
notifications related to no request) between two notifications, so those may
arrive after the answer: reading goes on until EXPECTED notifications came
(at most 20 s). Prints one JSON object.

Usage: resume.py MCP_AUTH_BIN URL TOOL EXPECTED"""
import json
import queue
import subprocess
import sys
import threading
import time

BIN, URL, TOOL, EXPECTED = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
p = subprocess.Popen([BIN, "bridge", URL, "--browser", "print"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
lines = queue.Queue()
threading.Thread(target=lambda: [lines.put(l) for l in p.stdout] + [lines.put(None)], daemon=True).start()
seen, answers = [], {}


def send(m):
    p.stdin.write((json.dumps(m) + "\n").encode())


def read_until(done, seconds=20):
    deadline = time.time() + seconds
    while not done():
        try:
            line = lines.get(timeout=max(0.05, deadline - time.time()))
        except queue.Empty:
            raise RuntimeError("timed out")
        if line is None:
            raise RuntimeError("the bridge closed its stdout")
        m = json.loads(line)
        if m.get("method") == "notifications/message":
            seen.append(m["params"]["data"])
        if "id" in m and ("result" in m or "error" in m):
            answers[m["id"]] = m


try:
    send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "resume", "version": "1"}}})
    read_until(lambda: 1 in answers)
    # The bridge opens the GET stream after `initialized` (the server's
    # `announce` waits for it before it starts).
    send({"jsonrpc": "2.0", "method": "notifications/initialized"})
    send({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": TOOL, "arguments": {}}})
    read_until(lambda: 2 in answers and len(seen) >= EXPECTED)
    print(json.dumps({"notifications": seen, "answer": answers[2]}))
except Exception as e:
    print(json.dumps({"notifications": seen, "error": repr(e)}))
finally:
    p.stdin.close()
    p.wait(5)
