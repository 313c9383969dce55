#!/usr/bin/env python3
"""Faults and bad input through `mcp-auth bridge`, driven as a raw stdio client.

Usage: faults.py MCP_AUTH_BIN URL RESTART_CMD

Each check prints `ok   …` or `FAIL …`; the last line is "N passed, N failed".
RESTART_CMD is a shell command that restarts the server (same ports, all its
sessions and tokens lost), for the "server restarts mid-session" row.
Every wait is bounded.
"""
import json
import os
import queue
import subprocess
import sys
import threading
import time

BIN, URL, RESTART = sys.argv[1], sys.argv[2], sys.argv[3]
passes = fails = 0


def check(name, cond, detail=""):
    global passes, fails
    if cond:
        passes += 1
        print(f"ok   {name}", flush=True)
    else:
        fails += 1
        print(f"FAIL {name}" + (f"\n     {detail}" if detail else ""), flush=True)


class Bridge:
    def __init__(self):
        self.err = open(os.path.join(os.environ.get("BRIDGE_EVIDENCE", "/tmp"), f"bridge-{os.getpid()}.err"), "w+")
        self.p = subprocess.Popen([BIN, "bridge", URL, "--browser", "http", "--timeout", "20"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def send(self, obj_or_text):
        data = obj_or_text if isinstance(obj_or_text, bytes) else json.dumps(obj_or_text).encode()
        self.p.stdin.write(data + b"\n")
        self.p.stdin.flush()

    def reply(self, id_, timeout=30):
        """The message answering `id_` (others, like notifications, are skipped)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.time()))
            except queue.Empty:
                break
            if line is None:
                return None
            try:
                m = json.loads(line)
            except ValueError:
                return {"not_json": line[:200].decode(errors="replace")}
            if m.get("id") == id_ and ("result" in m or "error" in m):
                return m
        return None

    def initialize(self):
        self.send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "faults", "version": "1"}}})
        r = self.reply(1)
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return r

    def close(self):
        try:
            self.p.stdin.close()
        except OSError:
            pass
        try:
            self.p.wait(5)
        except subprocess.TimeoutExpired:
            self.p.kill()


def greet(b, id_, name="Ada"):
    b.send({"jsonrpc": "2.0", "id": id_, "method": "tools/call", "params": {"name": "greet", "arguments": {"name": name}}})
    return b.reply(id_)


# Row 45: a non-JSON line gets a JSON-RPC parse error, and the bridge lives on.
b = Bridge()
init = b.initialize()
check("initialize through the bridge", init and init.get("result", {}).get("protocolVersion"), init)
b.send(b"this is not json")
err = b.reply(None, timeout=10)
check("a non-JSON line is answered with a parse error", err and err.get("error", {}).get("code") == -32700, err)
r = greet(b, 2)
check("the bridge lives on after it", r and r.get("result", {}).get("content", [{}])[0].get("text") == "Hello, Ada!", r)

# Row 45: a 10 MB message passes (the server answers it, or says clearly that
# it is too large: either way the client gets an answer to that request).
big = "x" * (10 * 1024 * 1024)
t0 = time.time()
r = greet(b, 3, big)
check("a 10 MB message passes, or gets a clear size error",
      r is not None and ("result" in r or "HTTP 413" in r.get("error", {}).get("message", "")),
      str(r)[:300])

# Fault: the server restarts mid-session (its sessions and tokens are gone):
# the bridge signs in again and opens a new session; the client notices nothing.
subprocess.run(RESTART, shell=True, check=False, timeout=60)
r = greet(b, 4)
check("the server restarted mid-session: the next call goes through",
      r and r.get("result", {}).get("content", [{}])[0].get("text") == "Hello, Ada!", r)
b.err.flush()
b.err.seek(0)
check("…in a new session the bridge opened with the client's own initialize",
      "no longer knows this session; opening a new one" in b.err.read())

# Row 45: stdin closed mid-request: the bridge exits within a second.
b.send({"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {"name": "multi-greet", "arguments": {"name": "Ada"}}})
time.sleep(0.2)
t0 = time.time()
b.p.stdin.close()
try:
    b.p.wait(5)
    took = time.time() - t0
except subprocess.TimeoutExpired:
    took = None
    b.p.kill()
check("stdin closed mid-request: the bridge exits within 1 s", took is not None and took < 1.0, f"took {took}")

print(f"bridge faults: {passes} passed, {fails} failed")
sys.exit(1 if fails else 0)
