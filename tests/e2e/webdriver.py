"""A minimal W3C WebDriver client (standard library only) for driving the real
app through WebKitWebDriver (which starts the Tauri app as its browser)."""

import base64
import json
import os
import sys
import time
import urllib.error
import urllib.request


class WebDriverError(Exception):
    pass


class Selected:
    """An element named by its CSS selector, looked up afresh on every use."""

    def __init__(self, session, css):
        self.s, self.css = session, css

    def click(self):
        self.s.script("const e = document.querySelector(arguments[0]); e.scrollIntoView({block: 'center'}); e.click();", self.css)

    def send_keys(self, text):
        v = self.s._post("/element", {"using": "css selector", "value": self.css})
        self.s._post(f"/element/{v[Session.W3C_ELEMENT]}/value", {"text": text})

    @property
    def text(self):
        return self.s.script("return document.querySelector(arguments[0]).innerText;", self.css)

    def attr(self, name):
        return self.s.script("return document.querySelector(arguments[0])[arguments[1]];", self.css, name)


class Session:
    W3C_ELEMENT = "element-6066-11e4-a52e-4f735466cecf"

    def __init__(self, url, application, timeout=60):
        """One session, asked for once: the caller has waited for the driver's
        port, so a refused, dropped or failed request here is a failure to
        report, not something to try again."""
        self.base = url.rstrip("/")
        # What tauri-driver would turn `tauri:options` into on Linux.
        caps = {"capabilities": {"alwaysMatch": {"webkitgtk:browserOptions": {"binary": application, "args": []}}}}
        try:
            value = self._request("POST", "/session", caps, timeout=timeout)
        except (urllib.error.URLError, ConnectionError) as e:
            raise WebDriverError(f"no WebDriver session: {e}") from None
        self.id = value["sessionId"]

    def _request(self, method, path, body=None, timeout=60):
        if os.environ.get("E2E_TRACE"):
            print(f"webdriver: {method} {path} {json.dumps(body)[:120] if body else ''}", file=sys.stderr, flush=True)
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method, headers={"content-type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return json.loads(r.read() or b"{}").get("value")
        except urllib.error.HTTPError as e:
            raise WebDriverError(f"{method} {path}: {e.code} {e.read()[:500]!r}") from None

    def _get(self, path):
        return self._request("GET", f"/session/{self.id}{path}")

    def _post(self, path, body):
        return self._request("POST", f"/session/{self.id}{path}", body)

    # Queries run as one script each, by CSS selector, instead of holding
    # element handles: the page re-renders often, and stale handles are where
    # WebKitWebDriver is least robust.

    def poll(self, what, check, timeout):
        """Until `check` (a script that cannot fail: it answers false until
        the page is ready) answers true. A driver error is not waited out:
        it is raised at once, with its cause."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = check()
            if value:
                return value
            time.sleep(0.3)
        raise WebDriverError(f"{what} after {timeout}s")

    def exists(self, css):
        return bool(self.script("return !!document.querySelector(arguments[0]);", css))

    def find(self, css, timeout=20):
        """Wait until `css` matches, and return a handle by selector."""
        self.poll(f"no element {css!r}", lambda: self.exists(css), timeout)
        return Selected(self, css)

    def texts(self, css):
        return self.script("return Array.from(document.querySelectorAll(arguments[0])).map(e => e.innerText);", css) or []

    def wait_text(self, css, needle, timeout=30):
        # The text that matched, from the same read (the page may be rebuilt
        # between two reads).
        found = []
        def match():
            found[:] = [t for t in self.texts(css) if needle in t][:1]
            return bool(found)
        self.poll(f"{needle!r} never appeared in {css!r}", match, timeout)
        return found[0]

    def click_text(self, css, needle, timeout=20):
        js = """
            const el = Array.from(document.querySelectorAll(arguments[0])).find(e => e.innerText.includes(arguments[1]));
            if (!el || el.disabled) return false;
            el.scrollIntoView({block: 'center'});
            el.click();
            return true;"""
        self.poll(f"no {css!r} with {needle!r} to click", lambda: self.script(js, css, needle), timeout)

    def press(self, *keys):
        """Keys pressed and released one after the other, as a keyboard does,
        into whatever has the focus (WebDriver's key input actions). A key is a
        character or a WebDriver key code (Tab "\ue004", Enter "\ue007",
        Escape "\ue00c")."""
        steps = []
        for k in keys:
            steps += [{"type": "keyDown", "value": k}, {"type": "keyUp", "value": k}]
        self._post("/actions", {"actions": [{"type": "key", "id": "keyboard", "actions": steps}]})

    def script(self, js, *args):
        return self._post("/execute/sync", {"script": js, "args": list(args)})

    def screenshot(self, path):
        png = base64.b64decode(self._get("/screenshot"))
        with open(path, "wb") as f:
            f.write(png)

    def set_size(self, w, h):
        self._post("/window/rect", {"width": w, "height": h})

    def quit(self):
        try:
            self._request("DELETE", f"/session/{self.id}")
        except Exception:
            pass
