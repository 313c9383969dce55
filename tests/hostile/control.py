"""Starting and steering the malicious-server harness (harness.py) from a test:
the one client of its control API, used by tests/hostile/run.py (the CLI) and
tests/e2e/run.py (the app)."""

import json
import os
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


class Harness:
    """A running harness. Secrets it mints or receives go to `markers` (the
    leak scan's file under $MCP_AUTH_LEAK_DIR, or one in `tmp`)."""

    def __init__(self, tmp):
        leak_dir = os.environ.get("MCP_AUTH_LEAK_DIR")
        self.markers = os.path.join(leak_dir, "markers") if leak_dir else os.path.join(tmp, "markers")
        ready = os.path.join(tmp, "harness-ready")
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "harness.py"), "--markers", self.markers,
                                      "--ready", ready], stdout=subprocess.DEVNULL)
        deadline = time.time() + 10
        while not os.path.exists(ready) and time.time() < deadline:
            time.sleep(0.05)
        if not os.path.exists(ready):
            self.stop()
            raise RuntimeError("the harness did not start within 10 s")
        self.base = open(ready).read().strip()

    def tenant(self, name, **config):
        """(Re)configure tenant `name` (its state is reset); returns its MCP URL."""
        req = urllib.request.Request(f"{self.base}/_control/{name}", json.dumps(config).encode(), method="POST")
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.load(r)["mcp"]

    def seen(self, name):
        """Every request tenant `name` received: method, path, and form field names."""
        with urllib.request.urlopen(f"{self.base}/_control/{name}", timeout=5) as r:
            return json.load(r)["seen"]

    def count(self, name, path_end, form_key=None):
        return sum(1 for s in self.seen(name)
                   if s["path"].endswith(path_end) and (form_key is None or form_key in s.get("form", [])))

    def mark(self, *secrets):
        """Secrets a test made itself (an entered client secret) for the leak scan."""
        with open(self.markers, "a") as f:
            f.write("".join(v + "\n" for v in secrets))

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
