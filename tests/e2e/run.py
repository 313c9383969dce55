#!/usr/bin/env python3
"""End-to-end tests of the real app: a real WebKitGTK window (under Xvfb),
driven through WebKitWebDriver, against real local servers
(the MCP TypeScript SDK's demo server and the app's built-in demo server).
The browser step uses the engine's headless stand-in (MCP_AUTH_BROWSER=http):
state, PKCE and the loopback listener all run.

Run inside scripts/with-keyring and xvfb-run (tests/e2e/run.sh does both).
Screenshots of each screen go to docs/screenshots/.
Prints one line per scenario and ends with "N passed, M failed".
"""

import glob
import json
import queue
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "hostile"))
from control import Harness  # noqa: E402
from webdriver import Session, WebDriverError  # noqa: E402
import wm  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from loopback import free_port, free_ports, wait_port  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
APP = os.environ.get("MCP_AUTH_APP", os.path.join(ROOT, "target", "debug", "mcp-auth-manager"))
BIN = os.environ.get("MCP_AUTH_BIN", os.path.join(ROOT, "target", "debug", "mcp-auth"))
SHOTS = os.environ.get("MCP_AUTH_SCREENSHOTS", os.path.join(ROOT, "docs", "screenshots"))
NODE = os.path.join(ROOT, "tools", "node_modules", "node", "bin", "node")
SDK_DEMO = os.path.join(ROOT, "tools", "node_modules", "@modelcontextprotocol", "sdk", "dist", "esm", "examples", "server", "simpleStreamableHttp.js")


LEAK_DIR = os.environ.get("MCP_AUTH_LEAK_DIR")

# Records, in the page, every IPC reply and event the app sends it, except
# reveal_token's reply (the one allowed to carry a token), for the leak scan.
# Tauri's own IPC functions are read-only properties, but its IPC transport is
# a fetch of ipc://localhost/<command> looked up on the global object at each
# call: wrapping window.fetch sees every command's reply, by name.
RECORDER = """
if (!window.__ipcLog) {
  window.__ipcLog = [];
  const origFetch = window.fetch.bind(window);
  window.fetch = async (input, init) => {
    const res = await origFetch(input, init);
    const url = typeof input === 'string' ? input : input.url;
    if (url.startsWith('ipc:')) {
      const cmd = decodeURIComponent(url.split('/').pop());
      if (cmd !== 'reveal_token') {
        res.clone().text().then((body) => window.__ipcLog.push({cmd, ok: res.headers.get('Tauri-Response'), body}));
      }
    }
    return res;
  };
  const i = window.__TAURI_INTERNALS__;
  for (const event of arguments[0]) {
    const handler = i.transformCallback((e) => window.__ipcLog.push({event: e}));
    i.invoke('plugin:event|listen', {event, target: {kind: 'Any'}, handler});
  }
}
return true;
"""
APP_EVENTS = ["progress", "sign-in-finished", "step-up", "prompt-asked", "list-changed", "device-code", "browser-not-opened"]


class App:
    """WebKitWebDriver + the app, with its own config dir and browser mode (and,
    for import, a home directory holding other MCP clients' configs)."""

    def __init__(self, browser_mode, config_dir, home=None, name="app", env_extra=None):
        # No app may be left from an earlier session: it is single-instance
        # (a D-Bus name), and a new one would hand over to it and exit.
        reap_apps()
        self.port = free_port()
        self.name, self.config_dir = name, config_dir
        env = dict(os.environ, MCP_AUTH_BROWSER=browser_mode, MCP_AUTH_CONFIG_DIR=config_dir)
        env.update(env_extra or {})
        if home:
            env.update(HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"))
        self.log = open(os.path.join(config_dir, "driver.log"), "w")
        # WebKitWebDriver itself, as tauri-driver would start it (the variable
        # lets the Tauri app accept automation), without tauri-driver's proxy.
        self.driver = subprocess.Popen(
            ["WebKitWebDriver", f"--port={self.port}", "--host=127.0.0.1"],
            env=dict(env, TAURI_WEBVIEW_AUTOMATION="true"), stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.s = None
        try:
            wait_port(self.port)
            self.s = Session(f"http://127.0.0.1:{self.port}", APP)
            self.s.find(".topbar", timeout=30)
            # Let the first render and its IPC round trips settle.
            self.s.wait_text("body", "MCP Auth Manager", timeout=30)
            time.sleep(1.5)
            self.s.script(RECORDER, APP_EVENTS)
        except BaseException:
            self.close()
            raise

    def keep_evidence(self):
        """For the leak scan: the IPC replies and events the page got, and its final DOM."""
        if not (LEAK_DIR and self.s):
            return
        try:
            ipc = self.s.script("return JSON.stringify(window.__ipcLog || []);")
            dom = self.s.script("return document.documentElement.outerHTML;")
        except Exception:  # the session is gone: nothing more to read
            return
        with open(os.path.join(self.config_dir, "ipc-replies.json"), "w") as f:
            f.write(ipc)
        with open(os.path.join(self.config_dir, "final-dom.html"), "w") as f:
            f.write(dom)

    def close(self):
        if self.s:
            self.keep_evidence()
            self.s.quit()
        # WebKitWebDriver has a process group of its own; the app may not.
        try:
            os.killpg(self.driver.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.driver.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.driver.pid, signal.SIGKILL)
        self.log.close()
        reap_apps()
        if LEAK_DIR:  # the app's log (driver.log), its config dir and the recordings
            shutil.copytree(self.config_dir, os.path.join(LEAK_DIR, "e2e", f"{self.name}-{os.path.basename(self.config_dir)}"),
                            ignore=shutil.ignore_patterns("home"), dirs_exist_ok=True)


def app_alive():
    return subprocess.run(["pgrep", "-f", APP], capture_output=True).returncode == 0


def reap_apps(grace=5):
    """End every instance of the app under test, and wait until they are gone."""
    deadline = time.time() + grace
    while subprocess.run(["pgrep", "-f", APP], capture_output=True).returncode == 0:
        if time.time() > deadline:
            subprocess.run(["pkill", "-9", "-f", APP])
            time.sleep(0.3)
            break
        subprocess.run(["pkill", "-f", APP])
        time.sleep(0.2)


AXE = os.path.join(ROOT, "tools", "node_modules", "axe-core", "axe.min.js")
# Per screen: how many rules axe ran, and the violations of serious or critical impact.
AXE_RESULTS = []


def accessibility(s, screen):
    """axe-core over the window as it is (WCAG 2.1 A and AA rules): a serious
    or critical violation fails the scenario at the screen that has it."""
    if not s.script("return !!window.axe;"):
        with open(AXE) as f:
            s.script(f.read() + "\nreturn true;")
    result = s.script("""
        return axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
                                  resultTypes: ['violations']})
          .then((r) => ({rules: r.passes.length + r.violations.length + r.incomplete.length + r.inapplicable.length,
                         bad: r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
                           .map((v) => ({id: v.id, impact: v.impact, help: v.help,
                                         nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ') + ': ' + (n.failureSummary || '').split('\\n').slice(1, 2).join(''))}))}));
    """)
    AXE_RESULTS.append((screen, result["rules"], len(result["bad"])))
    assert not result["bad"], f"accessibility ({screen}): " + "; ".join(f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}" for v in result["bad"])


def shot(s, name):
    os.makedirs(SHOTS, exist_ok=True)
    time.sleep(0.4)  # let transitions settle
    s.screenshot(os.path.join(SHOTS, name))
    accessibility(s, name.removesuffix(".png"))


def badge_of(s, name):
    return next((t for t in s.texts(".server-row") if t.startswith(name)), "")


results = []

# Each scenario runs once, in a fresh app and WebDriver session. (Earlier runs
# went through tauri-driver, whose proxy dropped the connection to
# WebKitWebDriver about one scenario in four, "connection reset by peer" on its
# forwarded request; the harness retried such scenarios. It now talks to
# WebKitWebDriver directly, and a dropped connection is a failure like any other.)


def scenario(name, browser_mode="http", with_home=False, env_extra=None):
    def wrap(f):
        def run(tmp, *a):
            only = os.environ.get("E2E_ONLY")
            if only and f.__name__ not in only.split(","):
                return
            started = time.time()
            config = tempfile.mkdtemp(prefix="cfg-", dir=tmp)
            app = None
            try:
                home = None
                if with_home:
                    home = os.path.join(config, "home")
                    shutil.copytree(os.path.join(ROOT, "crates", "mcp-auth-cli", "tests", "fixtures", "import", "home"), home)
                app = App(browser_mode, config, home, f.__name__, env_extra)
                f(app, *a)
                results.append((name, True, ""))
                print(f"ok   {name} ({time.time() - started:.1f}s)", flush=True)
            except Exception as e:  # a failed scenario must not stop the others
                if app and not app_alive():
                    e = f"the app exited during the scenario ({e}); see {app.log.name}"
                try:  # what the window showed, for the report
                    failed_shot = os.path.join(tempfile.gettempdir(), f"e2e-failed-{f.__name__}.png")
                    app.s.screenshot(failed_shot)
                    print(f"     the window at the failure: {failed_shot}", flush=True)
                except Exception:
                    pass
                results.append((name, False, str(e)))
                print(f"FAIL {name}: {e}", flush=True)
                traceback.print_exc()
            finally:
                if app:
                    app.close()
        return run
    return wrap


@scenario("empty state, then the built-in demo server: try it, sign in, tools, refresh, clear, remove")
def demo_flow(app):
    s = app.s
    s.wait_text(".empty", "No MCP servers yet")
    shot(s, "01-empty.png")
    s.click_text("button", "Try it with a demo server")
    s.find("#sign-in", timeout=30)
    shot(s, "02-demo-added.png")
    click_sign_in(s)
    s.wait_text(".card h3", "Tools this server offers", timeout=30)
    s.wait_text(".server-row", "Signed in")
    s.wait_text(".review", "Read demo data")  # scope in plain words
    shot(s, "03-demo-signed-in.png")
    # Reveal (under "For developers") shows the token for the leak scan to look for everywhere else.
    open_developers(s)
    s.click_text(".token-row button", "Reveal")
    mark_secret(s.find(".token").text)
    assert "Hides in" in s.find("#reveal-left").text
    s.click_text(".token-row button", "Hide")
    # Renew now: a new access token from the refresh token.
    s.click_text(".actions button", "Renew now")
    s.wait_text(".notice", "Access renewed")
    assert "Never" not in s.find(".review").text, "the last renewal is not shown"
    # Forget: local data gone, the server stays in the list.
    more(s, "Forget on this computer only")
    s.wait_text(".modal", "Access is not cancelled")
    s.click_text(".modal button", "Forget")
    s.wait_text(".server-row", "Needs sign-in", timeout=10)
    # Remove, then Undo: the server is back, nothing was deleted.
    more(s, "Remove server")
    s.click_text(".modal button", "Remove")
    s.wait_text(".empty", "No MCP servers yet", timeout=10)
    assert not s.exists('.top-actions [data-key="add"]'), "Add twice in the empty state"
    s.find("#undo-remove").click()
    s.wait_text(".server-row", "Demo server", timeout=10)
    assert listed(app) == ["Demo server"], listed(app)
    # Remove for good: gone from the list once the undo time is over.
    more(s, "Remove server")
    s.click_text(".modal button", "Remove")
    s.wait_text(".empty", "No MCP servers yet", timeout=10)
    s.poll("the removal did not happen after the undo time", lambda: listed(app) == [], 20)


def listed(app):
    """The server names in the app's list file, through the command line."""
    out = subprocess.run([BIN, "servers", "list"], env=dict(os.environ, MCP_AUTH_CONFIG_DIR=app.config_dir), capture_output=True, timeout=20)
    return [x["name"] for x in json.loads(out.stdout)["servers"]]


def open_developers(s):
    """Open "For developers" as a person does, by its summary; a rebuild of the page keeps it open."""
    if not s.script("return document.querySelector('details.developers').open;"):
        s.find("details.developers > summary").click()
    s.poll("For developers did not open", lambda: s.script("return document.querySelector('details.developers').open;"), 5)


def more(s, item):
    """An action of the "⋯" menu."""
    s.script("document.querySelector('.more-menu').open = true;")
    s.click_text(".more-menu .menu button", item)


@scenario("add a server, settings, sign in, review, reveal, revoke → needs sign-in")
def sdk_flow(app, sdk_url):
    s = app.s
    open_add(s)
    s.find("#add-url").send_keys(sdk_url)
    shot(s, "04-add-dialog.png")
    s.click_text(".modal button", "Add and check")
    s.find("#sign-in", timeout=30)
    s.click_text(".actions button", "Settings")
    # What the app may do, in plain words; the identifiers folded away (the server registers the app itself).
    choices = s.wait_text(".scope-choices", "Use the server's tools")
    assert s.script("return document.querySelector('.scope-choices input').checked;"), choices
    assert not s.script("return document.querySelector('details.advanced').open;"), "Advanced open for a server that registers the app"
    assert not s.exists("#it-setup"), "IT setup asked of a server that registers the app"
    s.find("#advanced-summary").click()
    scope = s.find("#set-scope")
    assert scope.attr("value") == "mcp:tools", scope.attr("value")
    # The ticks edit the scope field, and the field the ticks.
    s.find(".scope-choices input").click()
    assert s.find("#set-scope").attr("value") == "", s.find("#set-scope").attr("value")
    s.find(".scope-choices input").click()
    assert s.find("#set-scope").attr("value") == "mcp:tools", s.find("#set-scope").attr("value")
    shot(s, "05-settings.png")
    # Close asks before it drops an unsaved change.
    scope.send_keys("\ue010 extra")  # End first: focusing selects the whole field
    s.find("#settings-close").click()
    s.wait_text(".modal", "Close without saving?")
    s.click_text(".modal button", "Cancel")
    kept = s.find("#set-scope").attr("value")
    assert kept == "mcp:tools extra", f"Cancel did not keep the edit: {kept!r}"
    s.script("const e = document.getElementById('set-scope'); e.value = 'mcp:tools';")
    save_settings(s)
    click_sign_in(s)
    s.wait_text(".card h3", "Tools this server offers", timeout=30)
    s.wait_text(".tools", "greet")
    review = s.wait_text(".review", "Use the server's tools")
    assert "Registered automatically" in s.script("return document.querySelector('.review .technical').textContent;"), review
    shot(s, "06-signed-in.png")
    # The SDK's demo server gives no refresh token: when access ends, said once, no ticking seconds.
    # An hour from now: "today", or "tomorrow" in a run's last hour of the day.
    assert re.search(r"Ends (today|tomorrow) at \d", review) and "you'll sign in again" in review, review
    assert not re.search(r"\d+ ?s\b|\d+ seconds", review), review
    # The token reaches the page only on Reveal, and hides again.
    assert not s.exists(".token")
    open_developers(s)
    assert "Anyone with this token can act as you" in s.find(".developers").text
    s.click_text(".token-row button", "Reveal")
    token = s.find(".token").text
    assert len(token) > 10
    mark_secret(token)  # from here on, the leak scan looks for it everywhere else
    s.click_text(".token-row button", "Hide")
    assert not s.exists(".token")
    # Sign out (beside the badge): confirmation, then the badge says Needs sign-in.
    s.find("#sign-out").click()
    shot(s, "07-revoke-confirm.png")
    s.click_text(".modal button", "Sign out")
    s.wait_text(".notice", "Signed out")
    deadline = time.time() + 10
    while "Needs sign-in" not in badge_of(s, "localhost") and time.time() < deadline:
        time.sleep(0.2)
    assert "Needs sign-in" in badge_of(s, "localhost"), badge_of(s, "localhost")
    shot(s, "08-revoked.png")


@scenario("a server that is down: plain error, details one click away; Diagnose puts it on the first step")
def down_server(app):
    s = app.s
    dead = f"http://127.0.0.1:{free_port()}/mcp"
    open_add(s)
    s.find("#add-url").send_keys(dead)
    s.click_text(".modal button", "Add and check")
    s.wait_text(".card.error", "could not be reached", timeout=30)
    s.find(".card.error summary").click()
    assert "127.0.0.1" in s.find(".card.error .detail-text").text
    card = s.find(".card.error").text
    assert "Kind:" not in card and "Try again" in card, card
    assert not s.exists("#sign-in"), "a sign-in offered for a server that fails"
    shot(s, "09-server-down.png")
    # Dismiss hides the message, not the state; nor does a restart.
    s.click_text(".card.error button", "Dismiss")
    s.poll("the card stayed", lambda: "Dismiss" not in s.find(".detail").text, 10)
    assert "Error" in badge_of(s, "127.0.0.1"), badge_of(s, "127.0.0.1")
    app.close()
    app.__init__("http", app.config_dir, name="down_server_restarted")
    s = app.s
    s.wait_text(".server-row", "Error", timeout=20)
    s.wait_text(".card.error", "could not be reached", timeout=10)
    assert not s.exists("#sign-in")
    s.find("#diagnose").click()
    s.wait_text("#diagnosis", "Something stops this server", timeout=30)
    step, classes, text = s.script("const li = document.querySelector('.diagnosis-steps li'); return [li.dataset.step, li.className, li.innerText];")
    assert step == "reachable" and "verdict-problem" in classes, (step, classes)
    assert "What to do" in text, text
    assert "Not checked" in s.texts(".diagnosis-steps li")[2], "the steps after the failure are not checked"
    s.script("document.querySelector('#diagnosis').scrollIntoView({block: 'start'});")
    shot(s, "28-diagnose-problem.png")


@scenario("Diagnose a signed-in server: every step with its verdict in words; the review says how it signs in")
def diagnose_signed_in(app):
    s = app.s
    s.click_text("button", "Try it with a demo server")
    s.find("#sign-in", timeout=30)
    click_sign_in(s)
    s.wait_text(".card h3", "Tools this server offers", timeout=30)
    review = s.wait_text(".review", "How it signs in")
    assert "You sign in through your browser" in review, review
    s.find("#diagnose").click()
    s.wait_text("#diagnosis", "Everything checked is fine", timeout=30)
    steps = s.texts(".diagnosis-steps li")
    assert len(steps) == 10, steps
    assert all("Fine" in t for t in steps), steps
    assert "lists" in steps[-1], steps[-1]
    s.script("document.querySelector('#diagnosis').scrollIntoView({block: 'start'});")
    shot(s, "27-diagnose.png")


@scenario("a cancelled sign-in (the browser never comes back)", browser_mode="print")
def cancelled(app):
    s = app.s
    s.click_text("button", "Try it with a demo server")
    click_sign_in(s)
    text = s.wait_text(".waiting", "finish in your browser", timeout=20)
    assert "127.0.0.1" in s.find(".sign-in-site").text and "Stops waiting" in text, text
    assert "Signing in" in badge_of(s, "Demo server"), badge_of(s, "Demo server")
    s.find("#open-again").click()  # the print opener: it prints the page again, no error
    time.sleep(0.5)
    assert not s.exists(".card.error"), s.find(".card.error").text
    shot(s, "10-waiting-for-browser.png")
    s.click_text(".waiting button", "Cancel")
    s.wait_text(".card.error", "cancelled", timeout=20)
    s.wait_text(".server-row", "Needs sign-in", timeout=10)


# The import scenario's opener: the spy, so "Show in file" can be seen to open the folder.
IMPORT_SPY_LOG = os.path.join(tempfile.gettempdir(), f"mcp-auth-e2e-import-spy-{os.getpid()}.jsonl")


@scenario("import from Claude, Cursor, VS Code, Windsurf: a checklist, static credentials flagged", with_home=True,
          env_extra={"PATH": os.path.join(ROOT, "tests", "hostile", "spy") + os.pathsep + os.environ.get("PATH", ""), "SPY_LOG": IMPORT_SPY_LOG})
def import_flow(app):
    s = app.s
    s.click_text("button", "Import from your apps")
    s.wait_text(".import-list", "mcp.linear.app", timeout=20)
    text = s.wait_text(".import-list", "in a plain file")
    assert "Copy its key into my keychain" in text, text
    assert "lin_api_FAKE" not in s.script("return document.documentElement.outerHTML;")
    # Nothing ticked: Add waits for a choice.
    assert s.script("return [...document.querySelectorAll('.import-row > input')].filter((e) => e.checked).length;") == 0
    assert s.script("return document.getElementById('import-add').disabled;"), "Add with nothing ticked"
    assert s.script("return document.querySelectorAll('label label').length;") == 0, "a label in a label"
    # "Show in file" opens the folder of the file that keeps the key, and nothing else.
    open(IMPORT_SPY_LOG, "w").close()
    s.find(".show-file[data-client=claude-desktop]").click()
    s.poll("Show in file opened nothing", lambda: os.path.getsize(IMPORT_SPY_LOG) > 0, 10)
    opened = [json.loads(l)["argv"] for l in open(IMPORT_SPY_LOG).read().splitlines()]
    assert opened == [[os.path.join(app.config_dir, "home", ".config", "Claude")]], opened
    # GitHub is in Claude Code's and VS Code's files: one row, both named.
    rows = [t for t in s.texts(".import-row") if "api.githubcopilot.com" in t]
    assert len(rows) == 1 and "from Claude Code and VS Code" in rows[0], rows
    s.find("#import-all").click()
    shot(s, "11-import.png")
    s.click_text(".modal button", "Add 7 servers")
    s.wait_text(".notice", "7 servers added. Each needs you to sign in once")
    assert s.script("return document.querySelectorAll('.server-row.current').length;") == 1
    names = s.texts(".server-row .row-name")
    assert len(names) == 7, names  # the remote servers of the home configs, each URL once
    assert "mcp.deepwiki.com" in " ".join(s.texts(".server-row")), s.texts(".server-row")


@scenario("used by: one click makes Claude Desktop run the server through the bridge; off puts its file back", with_home=True)
def used_by(app):
    s = app.s
    desktop = os.path.join(app.config_dir, "home", ".config", "Claude", "claude_desktop_config.json")
    with open(desktop) as f:
        before = f.read()
    s.click_text("button", "Try it with a demo server")
    s.find("#sign-in", timeout=30)
    # Nothing uses it yet, and nothing says so: the card offers the set-up.
    card = s.wait_text(".used-by", "Set up in Claude Desktop", timeout=20)
    assert "Use this sign-in in your apps" in card and "Used by" not in card, card
    s.find("#use-claude-desktop").click()
    s.wait_text(".notice", "Claude Desktop now uses this sign-in", timeout=20)
    card = s.wait_text(".used-by h3", "Used by Claude Desktop", timeout=10)
    card = s.wait_text(".used-by", "Restart Claude Desktop to finish", timeout=10)
    assert "Claude Desktop uses this sign-in" in card and "Stop" in card, card
    with open(desktop) as f:
        config = json.load(f)
    bridged = [e for e in config["mcpServers"].values() if e.get("args", [None])[:1] == ["bridge"]]
    assert len(bridged) == 1 and bridged[0]["command"].endswith("/mcp-auth"), config
    assert {"linear", "notion", "filesystem"} <= set(config["mcpServers"]), config
    shot(s, "18-used-by.png")
    s.find("#use-claude-desktop").click()  # Stop
    s.wait_text(".notice", "back to its own settings", timeout=20)
    s.wait_text(".used-by", "Set up in Claude Desktop", timeout=10)
    with open(desktop) as f:
        assert f.read() == before, "off gives Claude Desktop's file back byte for byte"
    # An entry that keeps a saved key: the app asks before it moves the key.
    add_server(s, "https://mcp.linear.app/sse")
    s.wait_text(".detail-head", "mcp.linear.app", timeout=30)
    s.wait_text(".used-by", "Claude Desktop", timeout=30)
    s.find("#use-claude-desktop").click()
    s.wait_text(".modal", "keeps a saved key for this server", timeout=20)
    shot(s, "19-move-key.png")
    with open(desktop) as f:
        assert f.read() == before, "nothing changes before the user agrees"
    s.click_text(".modal button", "Move the key and connect")
    s.wait_text(".notice", "Claude Desktop now uses this sign-in", timeout=20)
    with open(desktop) as f:
        after = f.read()
    assert "lin_api_FAKE" not in after and "Authorization" not in after, after
    assert "lin_api_FAKE" not in s.script("return document.documentElement.outerHTML;")


@scenario("used by, all at once: Claude Desktop connected for every server it shares with the list; a saved key waits for its own switch", with_home=True)
def used_by_all(app):
    s = app.s
    desktop = os.path.join(app.config_dir, "home", ".config", "Claude", "claude_desktop_config.json")
    with open(desktop) as f:
        before = json.load(f)
    # Claude Desktop also runs DeepWiki (which Windsurf has too) through mcp-remote.
    before["mcpServers"]["deepwiki"] = {"command": "npx", "args": ["-y", "mcp-remote", "https://mcp.deepwiki.com/mcp"]}
    with open(desktop, "w") as f:
        json.dump(before, f, indent=2)
    # The servers come from the apps' own files (no server is contacted).
    s.click_text("button", "Import from your apps")
    s.wait_text(".import-list", "mcp.linear.app", timeout=20)
    s.find("#import-all").click()
    s.click_text(".modal button", "Add 7 servers")
    s.wait_text(".notice", "servers added")
    s.click_text(".server-row", "notion")
    s.wait_text(".used-by", "All its servers (2)", timeout=30)
    s.find("#all-claude-desktop").click()
    notice = s.wait_text(".notice", "Restart Claude Desktop", timeout=20)
    assert "2 sign-ins" in notice, notice
    s.wait_text(".used-by", "Claude Desktop", timeout=10)
    # Only Linear is left, and it asks through its own switch: nothing more to offer.
    assert not s.script("return !!document.querySelector('#all-claude-desktop');"), "no button left for Claude Desktop"
    shot(s, "20-used-by-all.png")
    with open(desktop) as f:
        config = json.load(f)
    bridged = sorted(k for k, e in config["mcpServers"].items() if e.get("args", [None])[:1] == ["bridge"])
    assert bridged == ["deepwiki", "notion"], config
    assert config["mcpServers"]["linear"] == before["mcpServers"]["linear"], "the entry with a saved key is left as it was"
    assert "lin_api_FAKE" not in s.script("return document.documentElement.outerHTML;")


class StdioProgram:
    """`mcp-auth bridge` or `mcp-auth serve` as an app starts it: JSON-RPC lines on its stdin and stdout."""

    def __init__(self, config_dir, *args):
        self.p = subprocess.Popen([BIN, *args], env=dict(os.environ, MCP_AUTH_CONFIG_DIR=config_dir),
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=open(os.path.join(config_dir, f"{args[0]}.log"), "w"))
        self.lines = []
        self.reader = threading.Thread(target=lambda: self.lines.extend(iter(self.p.stdout.readline, b"")), daemon=True)
        self.reader.start()

    def send(self, message):
        self.p.stdin.write((json.dumps(message) + "\n").encode())
        self.p.stdin.flush()

    def answer(self, id, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for line in list(self.lines):
                message = json.loads(line)
                if message.get("id") == id:
                    return message
            time.sleep(0.1)
        raise AssertionError(f"no answer to {id} from the bridge within {timeout} s")

    def close(self):
        self.p.stdin.close()
        try:
            self.p.wait(5)
        except subprocess.TimeoutExpired:
            self.p.kill()
            raise AssertionError("the bridge did not exit after its stdin closed")


@scenario("a bridge needs a sign-in while the app runs: the app comes forward with one prompt, signs in, and the bridge's request goes through")
def bridge_asks(app, sdk_url):
    s = app.s
    # `--browser print`: were the app not asked, the bridge would only print a
    # link to its log and the request would never be answered.
    bridge = StdioProgram(app.config_dir, "bridge", sdk_url, "--browser", "print", "--timeout", "60")
    try:
        bridge.send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "e2e", "version": "1"}}})
        s.wait_text("#ask-title", "An AI app is waiting for you to sign in", timeout=30)
        assert not s.exists("#sign-in"), "a second Sign in button beside the prompt"
        shot(s, "21-sign-in-asked.png")
        s.find("#ask-sign-in").click()
        init = bridge.answer(1, 60)
        assert init.get("result", {}).get("serverInfo"), init
        bridge.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        bridge.send({"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}})
        tools = bridge.answer(2, 30)
        assert any(t["name"] == "greet" for t in tools["result"]["tools"]), tools
        s.wait_text(".server-row", "Signed in", timeout=20)
        assert not s.exists("#ask-title"), "the prompt stays after the sign-in"
        # The bridge's start is in the server's activity, with the program that started it.
        s.wait_text(".activity", "started using this sign-in", timeout=20)
        s.script("document.querySelector('.activity').scrollIntoView({block: 'center'});")
        shot(s, "26-activity.png")
    finally:
        bridge.close()
    with open(os.path.join(app.config_dir, "bridge.log")) as f:
        log = f.read()
    assert "/authorize" not in log, "the bridge printed a sign-in link of its own: " + log


@scenario("ask before a new program uses a sign-in: the app asks, Allow lets it in and remembers it; Forget, then Don't allow, refuses it")
def program_approval(app, sdk_url, notes):
    s = app.s
    notes.forget()
    add_server(s, sdk_url)
    click_sign_in(s)
    s.wait_text(".server-row", "Signed in", timeout=30)
    s.script("document.getElementById('ask-new-program').scrollIntoView({block: 'center'});")
    s.find("#ask-new-program").click()
    s.wait_text(".programs", "No program is allowed yet", timeout=10)

    def token():
        """`mcp-auth token`, run by this script: the program that asks is this Python."""
        return subprocess.Popen([BIN, "token", sdk_url], env=dict(os.environ, MCP_AUTH_CONFIG_DIR=app.config_dir),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    p = token()
    asked = s.wait_text("#program-ask", "wants to use your sign-in", timeout=20)
    assert "python" in asked and "run.py" in asked, asked
    assert p.poll() is None, "the token went out before the person answered"
    # Said on the desktop too, for a window hidden in the tray.
    told = notes.expect("notified", 10, lambda n: "asks to use your sign-in" in n["summary"])
    assert told["summary"].startswith("python"), told
    shot(s, "31-program-asks.png")
    s.find("#program-allow-0").click()
    out, err = p.communicate(timeout=30)
    assert p.returncode == 0, err
    mark_secret(out.decode().strip())
    s.wait_text(".notice", "may now use this sign-in", timeout=10)
    listed = s.wait_text(".allowed-programs", "allowed", timeout=10)
    assert "python" in listed, listed
    s.script("document.querySelector('.programs').scrollIntoView({block: 'center'});")
    shot(s, "32-programs-allowed.png")
    # The same program again: through at once, nobody asked.
    p = token()
    out, err = p.communicate(timeout=30)
    assert p.returncode == 0, err
    mark_secret(out.decode().strip())
    assert not s.exists("#program-ask"), "asked again about a program allowed before"
    # Forgotten, it asks again; Don't allow refuses it, in words.
    s.click_text(".allowed-program button", "Forget")
    s.wait_text(".programs", "No program is allowed yet", timeout=10)
    p = token()
    s.wait_text("#program-ask", "wants to use your sign-in", timeout=20)
    s.find("#program-refuse-0").click()
    out, err = p.communicate(timeout=30)
    assert p.returncode == 1 and not out, (p.returncode, out)
    assert b"you did not allow" in err, err
    s.wait_text(".notice", "was not allowed", timeout=10)
    s.wait_text(".activity", "was not given this sign-in", timeout=20)


@scenario("an agent asks, through mcp-auth serve, to add a server: the app asks the person, who adds it; the agent then connects them")
def agent_asks_to_add(app, sdk_url):
    s = app.s
    serve = StdioProgram(app.config_dir, "serve", "--timeout", "60")
    try:
        serve.send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "e2e-agent", "version": "1"}}})
        assert serve.answer(1, 20)["result"]["serverInfo"]["name"] == "mcp-auth"
        serve.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        connect = {"jsonrpc": "2.0", "method": "tools/call", "params": {"name": "connect_to_mcp_server", "arguments": {"serverName": sdk_url}}}
        serve.send(dict(connect, id=2))
        s.wait_text("#add-ask-title", "An AI agent asks to add a server", timeout=30)
        assert sdk_url.split("://")[1] in s.find(".add-ask-url").text, s.find(".add-ask-url").text
        shot(s, "22-agent-asks-to-add.png")
        s.find("#add-ask-yes").click()
        first = serve.answer(2, 60)["result"]["structuredContent"]
        assert first["status"] == "requires_auth" and first["authUrl"], first
        s.wait_text(".server-row", "localhost", timeout=20)
        # The person opens the link the agent shows them (here: a headless GET).
        urllib.request.urlopen(first["authUrl"], timeout=30).read()
        serve.send(dict(connect, id=3))
        done = serve.answer(3, 60)["result"]["structuredContent"]
        assert done["status"] == "success" and any(t["name"] == "greet" for t in done["tools"]), done
        s.wait_text(".server-row", "Signed in", timeout=20)
    finally:
        serve.close()


@scenario("AI agents: one switch gives Claude Desktop's agent mcp-auth serve; off puts its file back", with_home=True)
def agents_switch(app):
    s = app.s
    desktop = os.path.join(app.config_dir, "home", ".config", "Claude", "claude_desktop_config.json")
    with open(desktop) as f:
        before = f.read()
    s.find("#open-agents").click()
    s.wait_text(".agent-list", "Claude Desktop", timeout=20)
    s.find("#agent-claude-desktop").click()
    s.wait_text(".agent-list .notice", "Claude Desktop can now connect you to servers", timeout=20)
    with open(desktop) as f:
        entry = json.load(f)["mcpServers"]["mcp-auth"]
    assert entry["args"] == ["serve"] and entry["command"].endswith("/mcp-auth"), entry
    shot(s, "23-ai-agents.png")
    s.find("#agent-claude-desktop").click()
    s.wait_text(".agent-list .notice", "back to its own settings", timeout=20)
    with open(desktop) as f:
        assert f.read() == before, "off gives Claude Desktop's file back byte for byte"


@scenario("sign in on another device: the demo server offers the device grant; the code and page are shown, the page opened elsewhere approves, and the app is signed in")
def device_sign_in(app):
    s = app.s
    s.click_text("button", "Try it with a demo server")
    s.find("#sign-in-device", timeout=30).click()
    code = s.wait_text("#device-code", "-", timeout=30)
    assert s.find("#device-page").text.endswith("/activate"), s.find("#device-page").text
    shot(s, "24-device-sign-in.png")
    # The person, on their phone: the page with the code filled in.
    page = s.script("return document.querySelector('#copy-device-link').dataset.href;")
    assert code in page, (code, page)
    urllib.request.urlopen(page, timeout=10).read()
    s.wait_text(".card h3", "Tools this server offers", timeout=30)
    s.wait_text(".server-row", "Signed in")
    assert not s.exists("#device-code"), "the code stays after the sign-in"


def no_browser_dir():
    """Launchers that find no browser, as xdg-open does on a machine with none (exit 3)."""
    d = tempfile.mkdtemp(prefix="mcp-auth-no-browser-")
    for launcher in ("xdg-open", "gio"):
        path = os.path.join(d, launcher)
        with open(path, "w") as f:
            f.write("#!/bin/sh\nexit 3\n")
        os.chmod(path, 0o755)
    return d


@scenario("no browser on this computer: the app says so at once and offers the link; the link opened elsewhere signs in",
          browser_mode="system", env_extra={"PATH": no_browser_dir() + os.pathsep + os.environ.get("PATH", "")})
def no_browser(app):
    s = app.s
    s.click_text("button", "Try it with a demo server")
    click_sign_in(s)
    s.wait_text(".no-browser", "No browser could be opened on this computer", timeout=20)
    assert "found no browser" in s.find(".no-browser").text, s.find(".no-browser").text
    shot(s, "25-no-browser.png")
    link = s.script("return document.querySelector('#copy-link').dataset.href;")
    # The person opens the link in a browser that can reach this computer.
    urllib.request.urlopen(link, timeout=10).read()
    s.wait_text(".card h3", "Tools this server offers", timeout=30)


@scenario("sign in through the app's link (deep link handed over by the OS)")
def deep_link_flow(app):
    s = app.s
    s.click_text("button", "Try it with a demo server")
    s.find("#sign-in", timeout=30)
    s.click_text(".actions button", "Settings")
    s.find("#advanced-summary").click()
    s.find("#mode-link").click()
    assert s.find("#set-redirect").attr("value") == "dev.mcpauth.manager:/callback"
    shot(s, "12-app-link-settings.png")
    save_settings(s)
    click_sign_in(s)
    s.wait_text(".card h3", "Tools this server offers", timeout=40)
    s.wait_text(".server-row", "Signed in")


TAB, ENTER, SPACE = "\ue004", "\ue007", " "


def tab_to(s, label, most=60):
    """Tab until the focus is on the control that reads `label`, checking on
    the way that each focused control shows where the focus is."""
    for _ in range(most):
        s.press(TAB)
        focused = s.script("""
            const e = document.activeElement;
            if (!e || e === document.body) return null;
            const st = getComputedStyle(e);
            return {text: (e.innerText || e.value || e.getAttribute('aria-label') || '').trim(),
                    ring: st.outlineStyle !== 'none' && parseFloat(st.outlineWidth) >= 2};""")
        if focused is None:
            continue
        assert focused["ring"], f"no visible focus on {focused['text']!r}"
        if focused["text"].startswith(label):
            return
    raise AssertionError(f"{label!r} is not reached with Tab ({most} presses)")


@scenario("the keyboard alone: add a server, settings, sign in, review, sign out")
def keyboard_only(app, sdk_url):
    s = app.s
    s.wait_text(".empty", "No MCP servers yet")
    tab_to(s, "Add a server")
    s.press(ENTER)
    s.poll("the Add dialog did not take the focus", lambda: s.script("return document.activeElement.id;") == "add-url", 5)
    s.press(*sdk_url, ENTER)
    s.find("#sign-in", timeout=30)
    tab_to(s, "Settings")
    s.press(ENTER)
    s.find("#set-scope", timeout=10)
    tab_to(s, "Save")
    s.press(ENTER)
    s.wait_text(".notice", "Settings saved", timeout=20)
    s.find("#sign-in", timeout=30)
    tab_to(s, "Sign in")
    s.press(ENTER)
    s.wait_text(".card h3", "Tools this server offers", timeout=30)
    s.wait_text(".review", "What this sign-in allows")
    tab_to(s, "Technical details")
    s.press(ENTER)
    s.poll("Technical details did not open", lambda: s.script("return document.querySelector('details.technical').open;"), 5)
    tab_to(s, "Sign out")
    s.press(ENTER)
    s.wait_text(".modal", "Sign out of")
    tab_to(s, "Sign out")
    s.press(ENTER)
    s.wait_text(".server-row", "Needs sign-in", timeout=20)


def mark_secret(value):
    """Add a secret seen on Reveal to the leak scan's markers."""
    if LEAK_DIR:
        with open(os.path.join(LEAK_DIR, "markers"), "a") as f:
            f.write(value + "\n")


def save_settings(s, timeout=30):
    """Save the settings form and wait until it has closed (saved, and the check it starts is under way)."""
    s.click_text(".form-actions button", "Save")
    deadline = time.time() + timeout
    while s.exists("#set-scope"):
        if time.time() > deadline:
            raise WebDriverError("the settings form did not close after Save")
        time.sleep(0.1)


def click_sign_in(s, timeout=30):
    """Click "Sign in" once the server check that a save or an add starts has
    settled. Checked and clicked in one script, in one turn of the page: no
    re-render can fall between them, so no failed click is tried again."""
    js = """
        if (document.body.innerText.includes('Checking the server')) return false;
        const b = document.querySelector('#sign-in');
        if (!b || b.disabled) return false;
        b.scrollIntoView({block: 'center'});
        b.click();
        return true;"""
    s.poll("no settled Sign in button", lambda: s.script(js), timeout)


def open_add(s):
    """The Add dialog: from the top bar, or from the empty list (which then has the only Add)."""
    s.click_text("button[data-key=add], button[data-key=empty-add]", "Add")


def add_server(s, url):
    open_add(s)
    s.find("#add-url").send_keys(url)
    s.click_text(".modal button", "Add and check")


@scenario("a wrong client secret: a plain error, nothing kept; the right one signs in")
def wrong_secret(app, harness):
    s = app.s
    right, wrong = (f"LEAKCANARY-cs-{w}-{secrets.token_urlsafe(12)}" for w in ("right", "wrong"))
    harness.mark(right, wrong)
    url = harness.tenant("app-conf", clients={"e2e-confidential": right}, **{"as": {"registration_endpoint": None}})
    add_server(s, url)
    # No automatic registration: the person is told IT must set it up, with the details to send.
    it = s.wait_text("#it-setup", "Your IT team must set this server up", timeout=30)
    assert s.script("return document.querySelector('details.advanced').open;"), "the client ID field is folded away"
    s.find("#copy-it-setup").click()
    s.wait_text(".notice", "Setup details copied")
    copied = subprocess.run(["xclip", "-o", "-selection", "clipboard"], capture_output=True, text=True, timeout=5).stdout
    assert f"MCP server: {url}" in copied and "Redirect address to register: http://127.0.0.1" in copied, copied
    assert "mcp:tools" in copied and "LEAKCANARY" not in copied, copied
    s.find("#set-client-id", timeout=30).send_keys("e2e-confidential")
    s.find("#set-secret").send_keys(wrong)
    save_settings(s)
    click_sign_in(s)
    err = s.wait_text(".card.error", "client", timeout=30)
    assert wrong not in s.script("return document.documentElement.outerHTML;")
    # The fix is in the settings, not another sign-in with the same secret.
    assert "Open settings" in err and not s.exists("#sign-in"), err
    shot(s, "13-wrong-secret.png")
    # The row settles once the list is read again after the failure (a spinner until then).
    s.poll(f"the row's badge did not settle ({badge_of(s, '127.0.0.1')!r})",
           lambda: "Needs sign-in" in badge_of(s, "127.0.0.1") or "Error" in badge_of(s, "127.0.0.1"), 10)
    s.click_text(".actions button", "Settings")
    # Replace keeps what the person typed elsewhere in the form.
    before = s.find("#set-scope").attr("value")
    s.find("#set-scope").send_keys("\ue010 mcp:admin")
    s.click_text(".field-row button", "Replace")
    kept = s.find("#set-scope").attr("value")
    assert kept == f"{before} mcp:admin", f"Replace dropped an edit: {kept!r} (was {before!r})"
    s.script("document.getElementById('set-scope').value = arguments[0];", before)
    s.find("#set-secret").send_keys(right)
    save_settings(s)
    click_sign_in(s)
    s.wait_text(".card h3", "Tools this server offers", timeout=30)
    s.wait_text(".server-row", "Signed in")
    html = s.script("return document.documentElement.outerHTML;")
    assert right not in html and wrong not in html, "a client secret reached the page"
    assert err, err


@scenario("row 18: markup in a server's name, tools, scope and errors is shown as text")
def hostile_text(app, harness):
    s = app.s
    evil_name = "<script>window.__pwned='name'</script>Evil server"
    evil_tool = "<b id=pwn-tool>bold</b>"
    evil_desc = '<img src=x id=pwn-desc onerror="window.__pwned=\'desc\'">'
    evil_scope = "<img/src=x/id=pwn-scope/onerror=window.__pwned=1>"
    url = harness.tenant("app-evil", server_name=evil_name, tools=[{"name": evil_tool, "description": evil_desc}],
                         scope=f"mcp:tools {evil_scope}", scopes_supported=["mcp:tools", evil_scope])
    add_server(s, url)
    click_sign_in(s)
    s.wait_text(".card h3", "Tools this server offers", timeout=30)
    s.wait_text(".tools", evil_tool)
    s.wait_text(".tools", evil_desc)
    s.wait_text(".review", evil_scope)
    assert evil_scope in s.find(".review .scope-suspicious").text, "a markup-like scope listed as if normal"
    s.set_size(800, 600)
    time.sleep(0.5)
    shot(s, "14-hostile-text-800x600.png")
    # 800×600: nothing wider than the window.
    overflow = s.script("return document.documentElement.scrollWidth - document.documentElement.clientWidth;")
    assert overflow <= 0, f"{overflow}px of horizontal overflow at 800×600"
    denied = harness.tenant("app-evil-deny", authorize="deny", error_description=evil_desc)
    add_server(s, denied)
    click_sign_in(s)
    s.wait_text(".card.error", "cancelled", timeout=30)
    assert s.script("return window.__pwned === undefined;"), "server-supplied markup ran"
    assert s.script("return document.querySelectorAll('#pwn-tool, #pwn-desc, #pwn-scope').length;") == 0
    assert not s.script("return [...document.scripts].some((e) => e.textContent.includes('__pwned'));")


@scenario("step-up: the server asks for more access; the user sees what, approves, and it signs in again")
def step_up(app, harness):
    s = app.s
    url = harness.tenant("app-stepup", list_requires=["mcp:admin"])
    add_server(s, url)
    click_sign_in(s)
    text = s.wait_text(".step-up", "asks for more access", timeout=30)
    assert "mcp:admin" in text and "mcp:tools" not in text, text  # only what is new
    assert "Wide access" in text and "Don't allow" in text, text
    s.poll("the step-up prompt did not take the focus", lambda: s.script("return document.activeElement && document.activeElement.id;") == "step-up", 5)
    shot(s, "16-step-up.png")
    authorizations = sum(1 for r in harness.seen("app-stepup") if r["path"].endswith("/authorize"))
    assert authorizations == 1, f"{authorizations} sign-ins before the user answered"
    s.find("#step-up-approve").click()
    s.wait_text(".card h3", "Tools this server offers", timeout=30)
    review = s.wait_text(".review", "mcp:admin")
    assert "Signed in" in badge_of(s, "127.0.0.1"), badge_of(s, "127.0.0.1")
    # A second server asks again; "Not now" stops the sign-in and says why.
    declined = harness.tenant("app-stepup-no", list_requires=["mcp:admin"])
    add_server(s, declined)
    click_sign_in(s)
    s.wait_text(".step-up", "mcp:admin", timeout=30)
    s.find("#step-up-decline").click()
    s.wait_text(".card.error", "cancelled", timeout=30)
    assert sum(1 for r in harness.seen("app-stepup-no") if r["path"].endswith("/authorize")) == 1
    assert review


@scenario("notifications: access that cannot renew ends in ten minutes; a renewal the server refused asks for a sign-in; clicking it opens that server")
def ending_notice(app, harness, notes):
    s = app.s
    # What the app sends to the desktop's notification service (notify_host.py).
    notes.forget()
    # No refresh token, five minutes of access.
    ending = harness.tenant("app-ending", expires_in=300, refresh="none")
    add_server(s, ending)
    click_sign_in(s)
    s.wait_text(".card h3", "Tools this server offers", timeout=30)
    s.wait_text(".server-row.current", "Expires soon", timeout=10)
    # A refresh token the server will refuse; its renewal falls due about 40 s after the sign-in.
    refused = harness.tenant("app-refused", expires_in=150, refresh="invalid_grant")
    add_server(s, refused)
    click_sign_in(s)
    s.wait_text(".card h3", "Tools this server offers", timeout=30)
    # The background pass runs every half minute.
    notes.expect("notified", 45, lambda n: "ends in 5 minutes" in n["summary"])
    told = notes.expect("notified", 100, lambda n: "/t/app-refused again" in n["summary"])
    said = json.dumps(notes.all("notified"), ensure_ascii=False)
    assert re.search(r"Your sign-in to 127\.0\.0\.1:\d+/t/app-ending ends in 5 minutes", said), said
    assert re.search(r"Sign in to 127\.0\.0\.1:\d+/t/app-refused again", said), said
    assert "sign in again" in said and "Open MCP Auth Manager and sign in" in said, said
    assert said.count("/t/app-ending ends in") == 1, f"told more than once: {said}"
    assert "/t/app-refused ends in" not in said, "a grant that renews was said to end"
    assert "LEAKCANARY" not in said, "a token in a notification"  # every token the harness issues carries it
    assert told["app"] == "MCP Auth Manager" and "default" in told["actions"], told
    tokens = sum(1 for r in harness.seen("app-refused") if r["path"].endswith("/token"))
    assert tokens == 2, f"{tokens} token requests: the code exchange and one renewal expected"
    # Clicked, the notification opens the window on its server, where the sign-in is.
    s.click_text(".server-row", "app-ending")
    s.wait_text(".server-row.current", "app-ending", timeout=10)
    notes.ask(f"click {told['id']}", "clicked")
    s.wait_text(".server-row.current", "app-refused", timeout=10)
    s.wait_text(".server-row.current", "Needs sign-in", timeout=10)
    s.find("#sign-in", timeout=10)


@scenario("preferences: no tray here, so closing quits (and says so); start at login adds and removes the login item", with_home=True)
def preferences_flow(app):
    s = app.s
    s.find("#open-preferences").click()
    note = s.wait_text("#pref-tray-note", "no tray", timeout=10)
    assert s.script("return document.getElementById('pref-tray').disabled;"), note
    autostart = os.path.join(app.config_dir, "home", ".config", "autostart")
    assert not glob.glob(os.path.join(autostart, "*.desktop")), "a login item before it was asked for"
    s.find("#pref-login").click()
    s.poll("no login item", lambda: len(glob.glob(os.path.join(autostart, "*.desktop"))) == 1, 10)
    (item,) = glob.glob(os.path.join(autostart, "*.desktop"))
    with open(item) as f:
        entry = f.read()
    assert "Exec=" in entry and APP in entry, entry
    shot(s, "30-preferences.png")
    s.find("#pref-login").click()
    s.poll("the login item stayed", lambda: not glob.glob(os.path.join(autostart, "*.desktop")), 10)
    assert not s.script("return document.getElementById('pref-login').checked;")
    # No tray: the window's close button quits, as it says.
    display, window = wm.app_window()
    app.keep_evidence()
    display.close(window)
    deadline = time.time() + 10
    while app_alive() and time.time() < deadline:
        time.sleep(0.2)
    assert not app_alive(), "closing the window left an app running with no tray to reach it"
    app.s = None


class DbusHost:
    """A desktop service on the session bus, run by a script of tests/e2e/
    (tray_host.py: a StatusNotifierWatcher; notify_host.py: a notification
    service), driven one JSON line each way."""

    def __init__(self, script):
        self.lines = queue.Queue()
        self.kept = []
        self.p = subprocess.Popen([os.path.join(ROOT, "tools", "venv", "bin", "python"), os.path.join(ROOT, "tests", "e2e", script)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        threading.Thread(target=lambda: [self.lines.put(json.loads(l)) for l in iter(self.p.stdout.readline, "")], daemon=True).start()
        self.expect("ready", 10)

    def expect(self, key, timeout, want=lambda _: True):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                msg = self.lines.get(timeout=max(0.1, deadline - time.time()))
            except queue.Empty:
                break
            if "error" in msg:
                raise AssertionError(f"{self.p.args[-1]}: {msg['error']}")
            self.kept.append(msg)
            if key in msg and want(msg[key]):
                return msg[key]
        raise AssertionError(f"{self.p.args[-1]}: no {key!r} within {timeout}s")

    def ask(self, line, key):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        return self.expect(key, 10)

    def forget(self):
        """Drop what came so far: a scenario reads only its own."""
        while not self.lines.empty():
            self.lines.get()
        self.kept = []

    def all(self, key):
        return [m[key] for m in self.kept if key in m]

    def menu(self):
        return {label: item for item, label in self.ask("menu", "menu")}

    def stop(self):
        self.p.terminate()
        self.p.wait(5)


@scenario("the tray: the app's icon in the desktop's tray, each server with its state in words; a server's line opens it, Quit quits")
def tray_flow(app, host):
    s = app.s
    host.expect("registered", 20)
    menu = host.menu()
    assert {"Open MCP Auth Manager", "Quit"} <= set(menu), menu
    # With a tray, closing the window keeps the app there, and Preferences says so.
    s.find("#open-preferences").click()
    s.wait_text("#pref-tray-note", "Quit from the tray icon's menu", timeout=10)
    assert s.script("const e = document.getElementById('pref-tray'); return e.checked && !e.disabled;")
    s.click_text(".modal button", "Done")
    # The window's close button (what a window manager sends) hides it; the app goes on; Open brings it back.
    display, window = wm.app_window()
    assert display.viewable(window), "the window is not on screen"
    display.close(window)
    s.poll("closing did not hide the window", lambda: not display.viewable(window), 10)
    assert app_alive(), "closing the window ended the app although it has a tray"
    host.ask(f"click {host.menu()['Open MCP Auth Manager']}", "clicked")
    s.poll("Open did not bring the window back", lambda: display.viewable(window), 10)
    s.click_text("button", "Try it with a demo server")
    s.find("#sign-in", timeout=30)
    # The menu follows the list (the list watcher, every 2 s).
    s.poll("the demo server is not in the tray menu", lambda: "Demo server — Needs sign-in" in host.menu(), 15)
    click_sign_in(s)
    s.wait_text(".card h3", "Tools this server offers", timeout=30)
    s.poll("the tray menu did not follow the sign-in", lambda: "Demo server — Signed in" in host.menu(), 15)
    # Another server selected in the window; the demo's line in the tray brings it back.
    add_server(s, "https://mcp.example.com/mcp")
    s.wait_text(".server-row.current", "mcp.example.com", timeout=20)
    host.ask(f"click {host.menu()['Demo server — Signed in']}", "clicked")
    s.wait_text(".server-row.current", "Demo server", timeout=10)
    # Quit, from the tray, ends the app (what the page saw is kept for the leak scan first).
    app.keep_evidence()
    host.ask(f"click {host.menu()['Quit']}", "clicked")
    deadline = time.time() + 10
    while app_alive() and time.time() < deadline:
        time.sleep(0.2)
    assert not app_alive(), "Quit in the tray did not end the app"
    app.s = None  # the window is gone with it


SPY_DIR = os.path.join(ROOT, "tests", "hostile", "spy")


def spy_env(tmp):
    """The spy first on PATH as xdg-open/gio: the app's real system opener runs it."""
    log = os.path.join(tmp, "spy.jsonl")
    open(log, "w").close()
    return log, {"PATH": SPY_DIR + os.pathsep + os.environ.get("PATH", ""), "SPY_LOG": log, "SPY_MODE": "follow"}


SPY_LOG, SPY_ENV = None, {}


def settled(s, url, timeout=30):
    """Wait until the pane shows the server at `url` and its check is over (the
    same answer twice in a row): an error card or a Sign in button."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        state = s.script("""
            const u = document.querySelector('.detail .url');
            if (!u || u.textContent !== arguments[0]) return 'busy';
            if (document.body.innerText.includes('Checking the server')) return 'busy';
            if (document.querySelector('.detail .card.error')) return 'error';
            if (document.getElementById('sign-in')) return 'sign-in';
            return 'busy';""", url)
        if state != "busy" and state == last:
            return state
        last = state
        time.sleep(0.25)
    raise WebDriverError("the server check did not settle")


@scenario("the hostile table through the app: refused before any browser opens (spy in place of xdg-open); row 35",
          browser_mode="system", env_extra=SPY_ENV)
def hostile_rows_in_app(app, harness):
    s = app.s
    base = harness.base
    rows = [  # (tenant, config, opens the browser?)
        ("a01js", {"as": {"authorization_endpoint": "javascript:alert(1)"}}, False),
        ("a01file", {"as": {"authorization_endpoint": "file:///etc/passwd"}}, False),
        ("a03", {"as": {"token_endpoint": "http://mcp.example.com/token"}}, False),
        ("a04", {"as": {"issuer": f"{base}/t/someone-else"}}, False),
        ("a05", {"as": {"code_challenge_methods_supported": ["plain"]}}, False),
        ("a06", {"prm": {"resource": "http://127.0.0.2:9/mcp"}}, False),
        ("a08", {"prm": {"authorization_servers": ["https://169.254.169.254/latest"]}}, False),
        ("a09", {"prm_reply": {"status": 200, "body": "[", "repeat": 20_000_000,
                               "headers": {"Content-Type": "application/json"}}}, False),
        ("a10", {"prm_reply": {"status": 200, "body": "<html>hi</html>", "headers": {"Content-Type": "text/html"}},
                 "as_reply": {"status": 200, "body": "<html>hi</html>", "headers": {"Content-Type": "text/html"}}}, False),
        ("a12", {"register_reply": {"redirect_uris": ["https://evil.example/cb"]}}, False),
        ("a16", {"authorize": "deny", "error_description": "denied <b>here</b>"}, True),
        ("a17", {"iss": "wrong", "error_description": "ignore me"}, True),
        ("a24", {"token_reply": {"status": 200, "body": json.dumps({"token_type": "Bearer"}),
                                 "headers": {"Content-Type": "application/json"}}}, True),
        ("a25", {"token_reply": {"status": 302, "headers": {"Location": f"{base}/t/a25/trap"}}}, True),
    ]
    for tenant, config, opens in rows:
        before = len(open(SPY_LOG).read().splitlines())
        url = harness.tenant(tenant, **config)
        add_server(s, url)
        if settled(s, url) == "sign-in":
            click_sign_in(s)
            s.wait_text(".detail .card.error", "", timeout=30)
        err = s.find(".detail .card.error").text
        opened = open(SPY_LOG).read().splitlines()[before:]
        assert (len(opened) == 1) == opens and len(opened) <= 1, f"{tenant}: opened {opened}"
        for line in opened:
            argv = json.loads(line)["argv"]
            assert len(argv) == 1 and argv[0].startswith(f"{base}/t/{tenant}/authorize?"), f"{tenant}: {argv}"
        assert "ignore me" not in err, f"{tenant}: a mismatched answer's error_description shown"
        if not opens:  # the server's own fault: the list says so, and no sign-in is offered
            s.wait_text(".server-row.current", "Error", timeout=10)
            assert not s.exists("#sign-in"), f"{tenant}: a sign-in offered"
            if tenant in ("a01js", "a04", "a05", "a06", "a08"):
                assert "Don't sign in" in err and s.exists("#copy-for-it"), f"{tenant}: {err}"
            if tenant == "a04":  # an unsafe sign-in setup: what the person sees
                shot(s, "17-hostile-refused.png")
        assert not any(r["path"].endswith("/trap") for r in harness.seen(tenant)), f"{tenant}: redirect followed"
        assert not any(r["path"].endswith("/token") for r in harness.seen(tenant)) or tenant in ("a24", "a25"), \
            f"{tenant}: token request"
    # Row 35: the revocation endpoint is down: local copies go anyway, and the user is told.
    url = harness.tenant("a35", revoke="down")
    add_server(s, url)
    settled(s, url)
    click_sign_in(s)
    s.wait_text(".card h3", "Tools this server offers", timeout=30)
    s.find("#sign-out").click()
    s.click_text(".modal button", "Sign out")
    # Not a success: the warning style, and the sign-out waits for a retry.
    s.wait_text("#sign-out-pending", "did not confirm", timeout=20)
    assert "warn" in s.script("return document.querySelector('.detail .notice').className;")
    s.wait_text(".server-row.current", "Needs sign-in", timeout=10)
    shot(s, "29-sign-out-unconfirmed.png")
    harness.tenant("a35")  # the revocation endpoint is back
    s.find("#sign-out-retry").click()
    s.wait_text(".notice", "Signed out at the server", timeout=20)
    assert not s.exists("#sign-out-pending")
    assert "warn" not in s.script("return document.querySelector('.detail .notice').className;")


def clipboard_text():
    out = subprocess.run(["xclip", "-o", "-selection", "clipboard"], capture_output=True, timeout=10)
    return out.stdout.decode() if out.returncode == 0 else ""


@scenario("Copy: the token reaches the clipboard, marked for password managers, and is gone after the timeout",
          env_extra={"MCP_AUTH_CLIPBOARD_SECONDS": "10"})
def copy_clears(app):
    s = app.s
    s.click_text("button", "Try it with a demo server")
    click_sign_in(s)
    s.wait_text(".card h3", "Tools this server offers", timeout=30)
    open_developers(s)
    s.click_text(".token-row button", "Reveal")
    token = s.find(".token").text
    mark_secret(token)
    s.click_text(".token-row button", "Hide")
    s.click_text(".token-row button", "Copy")
    # 10 s: the notice, then xclip's two reads of the app's selection, must fit
    # inside the time before it clears, on a loaded machine too.
    s.wait_text(".notice", "cleared from the clipboard in 10 s")
    assert clipboard_text() == token, "the copy is not on the clipboard"
    targets = subprocess.run(["xclip", "-o", "-selection", "clipboard", "-t", "TARGETS"], capture_output=True, timeout=10).stdout.decode()
    assert "x-kde-passwordManagerHint" in targets, targets
    s.poll("the token is still on the clipboard", lambda: clipboard_text() != token, 20)


@scenario("dark theme (the OS prefers dark)", env_extra={"GTK_THEME": "Adwaita:dark"})
def dark_theme(app):
    s = app.s
    assert s.script("return matchMedia('(prefers-color-scheme: dark)').matches;"), "the page does not see the dark preference"
    # axe on the main screens in the dark theme too (the light ones are checked at each screenshot).
    s.wait_text(".empty", "No MCP servers yet")
    accessibility(s, "dark: empty")
    s.click_text("button", "Try it with a demo server")
    click_sign_in(s)
    s.wait_text(".card h3", "Tools this server offers", timeout=30)
    shot(s, "15-dark.png")
    open_developers(s)
    accessibility(s, "dark: review, for developers")
    s.click_text(".actions button", "Settings")
    s.find("#set-scope", timeout=10)
    accessibility(s, "dark: settings")
    s.find("#settings-close").click()
    s.click_text("button", "Sign out")
    s.wait_text(".modal", "Sign out of")
    accessibility(s, "dark: sign-out confirmation")
    s.click_text(".modal button", "Sign out")
    s.wait_text(".server-row", "Needs sign-in", timeout=20)
    accessibility(s, "dark: signed out")
    add_server(s, f"http://127.0.0.1:{free_port()}/mcp")
    s.wait_text(".card.error", "could not be reached", timeout=30)
    accessibility(s, "dark: a server that is down")


def main():
    if not os.path.exists(APP):
        print(f"no app binary at {APP}")
        return 1
    tmp = tempfile.mkdtemp(prefix="mcp-auth-e2e-")
    mcp_port, auth_port = free_ports(2)
    sdk = subprocess.Popen([NODE, SDK_DEMO, "--oauth", "--oauth-strict"], env=dict(os.environ, MCP_PORT=str(mcp_port), MCP_AUTH_PORT=str(auth_port)), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # A desktop notification service for the whole run, as a desktop has.
    notes = DbusHost("notify_host.py")
    try:
        wait_port(mcp_port)
        demo_flow(tmp)
        sdk_flow(tmp, f"http://localhost:{mcp_port}/mcp")
        keyboard_only(tmp, f"http://localhost:{mcp_port}/mcp")
        down_server(tmp)
        diagnose_signed_in(tmp)
        cancelled(tmp)
        import_flow(tmp)
        used_by(tmp)
        used_by_all(tmp)
        bridge_asks(tmp, f"http://localhost:{mcp_port}/mcp")
        program_approval(tmp, f"http://localhost:{mcp_port}/mcp", notes)
        agent_asks_to_add(tmp, f"http://localhost:{mcp_port}/mcp")
        agents_switch(tmp)
        device_sign_in(tmp)
        no_browser(tmp)
        deep_link_flow(tmp)
        harness = Harness(tmp)
        global SPY_LOG
        SPY_LOG, env = spy_env(tmp)
        SPY_ENV.update(env)
        try:
            hostile_rows_in_app(tmp, harness)
            wrong_secret(tmp, harness)
            hostile_text(tmp, harness)
            step_up(tmp, harness)
            ending_notice(tmp, harness, notes)
        finally:
            harness.stop()
        copy_clears(tmp)
        dark_theme(tmp)
        preferences_flow(tmp)
        host = DbusHost("tray_host.py")
        try:
            tray_flow(tmp, host)
        finally:
            host.stop()
    finally:
        sdk.terminate()
        notes.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    if AXE_RESULTS:
        print("accessibility (axe-core, WCAG 2.1 A/AA): screen, rules run, serious or critical violations")
        for screen, rules, bad in AXE_RESULTS:
            print(f"  {screen}: {rules} rules, {bad}")
    passed = sum(1 for r in results if r[1])
    failed = len(results) - passed
    print(f"e2e: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
