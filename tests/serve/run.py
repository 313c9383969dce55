#!/usr/bin/env python3
"""`mcp-auth serve` driven by MCP clients no one here wrote: the TypeScript
SDK's stdio client and the Python SDK's client, each through the whole
platform flow against real authorization servers on 127.0.0.1:

- a server whose sign-in service offers no registration (the malicious-server
  harness, behaving): requires_oauth_config → given a client id → requires_auth
  → the authUrl followed as a browser would → success with the server's tools;
  the proxied `<server>__echo` answers; clear_mcp_auth; the next connect asks
  for the client id again; notifications/tools/list_changed seen;
- the SDK's demo server with Dynamic Client Registration: requires_auth at
  once, success, its tool through serve, clear, requires_auth again;
- a confidential client whose secret is given to the tool: the secret appears
  in no reply (and, through the leak scan, in no log or file);
- an unreachable server (error), a server that asks for authorization and says
  nowhere how (authUrl null, authType unknown), a URL not in the list;
- a client that takes elicitations: a URL not in the list added once the
  person agrees, the link opened by the client, success in one call; declined,
  nothing added; a secret needed: the user is sent to the app, not the chat;
- bad input: an unknown tool, missing and wrong-typed arguments, a name that
  is neither a server nor a URL, a dangerous scheme: each a tool error
  (isError), and the server keeps serving.

Prints one line per check and "N passed, M failed"; exits non-zero on a failure.
Run inside scripts/with-keyring. MCP_AUTH_BIN is the mcp-auth binary.
"""
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "hostile"))
from control import Harness  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from loopback import free_port, free_ports, wait_port  # noqa: E402

BIN = os.environ["MCP_AUTH_BIN"]
NODE = os.path.join(ROOT, "tools", "node_modules", "node", "bin", "node")
PYTHON = os.path.join(ROOT, "tools", "venv", "bin", "python")
SDK_DEMO = os.path.join(ROOT, "tools", "node_modules", "@modelcontextprotocol", "sdk", "dist", "esm", "examples", "server", "simpleStreamableHttp.js")
LEAK_DIR = os.environ.get("MCP_AUTH_LEAK_DIR")

results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'} {name}", flush=True)
    if not ok and detail:
        print(f"     {str(detail)[:1500]}", flush=True)


def mcp_auth(env, *args):
    return subprocess.run([BIN, *args], env=env, capture_output=True, text=True, timeout=30)


def drive(client, env, steps, private, elicit=None):
    """Run one client through `steps`; the steps file (it may hold a secret
    the test gives the tool) stays in `private`, outside the scanned tree."""
    path = os.path.join(private, f"steps-{secrets.token_hex(4)}.json")
    with open(path, "w") as f:
        json.dump(steps, f)
    command = [NODE, os.path.join(ROOT, "tests", "serve", "sdk-client.mjs")] if client == "ts" else [PYTHON, os.path.join(ROOT, "tests", "serve", "python_client.py")]
    log = open(os.path.join(env["MCP_AUTH_CONFIG_DIR"], f"serve-{client}.log"), "a")
    run = subprocess.run([*command, BIN, path, *([elicit] if elicit else [])], env=env, stdout=subprocess.PIPE, stderr=log, text=True, timeout=180)
    os.remove(path)
    try:
        seen = json.loads(run.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        seen = [{"error": f"no transcript (exit {run.returncode}): {run.stdout[:500]}"}]
    with open(os.path.join(env["MCP_AUTH_CONFIG_DIR"], f"transcript-{client}.json"), "a") as f:
        f.write(json.dumps(seen) + "\n")
    return seen


def status(entry):
    return (entry.get("structured") or {}).get("status")


def two_step_flow(client, env, harness, private):
    """requires_oauth_config → clientId → requires_auth → browser → success → proxied call → clear."""
    tenant = f"manual-{client}"
    url = harness.tenant(tenant, clients={"serve-public": None}, **{"as": {"registration_endpoint": None}})
    add = mcp_auth(env, "servers", "add", url, "--name", tenant)
    check(f"{client}: the server is in the list", add.returncode == 0, add.stdout + add.stderr)
    seen = drive(client, env, [
        {"tool": "list_mcp_servers"},
        {"tool": "connect_to_mcp_server", "args": {"serverName": tenant}},
        {"tool": "connect_to_mcp_server", "args": {"serverName": tenant, "clientId": "serve-public"}},
        {"follow": True},
        {"tool": "connect_to_mcp_server", "args": {"serverName": tenant}},
        {"list": True},
        {"tool": f"{tenant}__echo", "args": {"text": "hello through serve"}},
        {"tool": "clear_mcp_auth", "args": {"serverName": tenant}},
        {"list": True},
        {"tool": "connect_to_mcp_server", "args": {"serverName": tenant}},
    ], private)
    if any("error" in s or "protocolError" in s for s in seen) or len(seen) != 10:
        check(f"{client}: the whole flow ran", False, seen[-2:])
        return
    listed, config, auth, follow, success, tools, call, cleared, after, again = seen
    servers = (listed["structured"] or {}).get("servers", [])
    check(f"{client}: list_mcp_servers names the server with its state", any(s["name"] == tenant and s["state"] == "needs_sign_in" and s["url"] == url for s in servers), listed)
    d = (config["structured"] or {}).get("oauthDiscovery") or {}
    check(f"{client}: no registration → requires_oauth_config with the discovery",
          status(config) == "requires_oauth_config" and config["structured"].get("authType") == "oauth2"
          and d.get("authorizationEndpoint", "").startswith("http://127.0.0.1") and "mcp:tools" in d.get("scopes", [])
          and d.get("needsClientSecret") is False and config["text"] == json.dumps(config["structured"], separators=(",", ":")) or
          (status(config) == "requires_oauth_config" and json.loads(config["text"]) == config["structured"]), config)
    check(f"{client}: given a client id → requires_auth with the authorization URL",
          status(auth) == "requires_auth" and "client_id=serve-public" in (auth["structured"].get("authUrl") or "")
          and auth["structured"].get("helpfulSkills") == [], auth)
    check(f"{client}: the browser came back", follow["follow"] == 200, follow)
    check(f"{client}: the next connect → success with the server's own tool names",
          status(success) == "success" and [t["name"] for t in success["structured"]["tools"]] == ["echo"], success)
    check(f"{client}: the server's tool is offered as <server>__<tool>, with its description",
          f"{tenant}__echo" in tools["tools"] and {"connect_to_mcp_server", "clear_mcp_auth", "list_mcp_servers"} <= set(tools["tools"]), tools)
    # The harness's echo answers with the arguments it got, as JSON.
    check(f"{client}: the proxied tool answers, its arguments passed unchanged", call.get("text") == 'echo: {"text": "hello through serve"}' and not call["isError"], call)
    check(f"{client}: list_changed after the server connected", success["listChanged"] >= 1 or tools["listChanged"] >= 1, success)
    c = cleared["structured"] or {}
    check(f"{client}: clear_mcp_auth says what it cleared (revoked at the server)",
          c.get("status") == "cleared" and c.get("tokensDeleted") is True and c.get("revokedAtServer") is True, cleared)
    check(f"{client}: after the clear, its tools are gone and list_changed was sent",
          f"{tenant}__echo" not in after["tools"] and after["listChanged"] > tools["listChanged"], after)
    check(f"{client}: after the clear, the next connect asks for the client id again", status(again) == "requires_oauth_config", again)
    events = json.loads(mcp_auth(env, "activity", tenant).stdout).get("events", [])
    check(f"{client}: the agent's actions are in the server's activity, with the client's name",
          [e["what"] for e in events] == ["agent_started_sign_in", "agent_signed_in", "agent_cleared"]
          and all("through mcp-auth serve" in e["by"] for e in events), events)
    return harness.count(tenant, "/revoke") >= 1


def dcr_and_secret(env, harness, demo_url, private):
    secret = f"LEAKCANARY-serve-{secrets.token_urlsafe(16)}"
    harness.mark(secret)
    conf = harness.tenant("serve-conf", clients={"serve-confidential": secret}, **{"as": {"registration_endpoint": None}})
    nometa = harness.tenant("serve-nometa", challenge="Bearer", prm_reply={"status": 404, "body": "no"}, as_reply={"status": 404, "body": "no"})
    down = f"http://127.0.0.1:{free_port()}/mcp"
    for name, url in (("demo", demo_url), ("conf", conf), ("nometa", nometa), ("down", down)):
        mcp_auth(env, "servers", "add", url, "--name", name)
    seen = drive("ts", env, [
        {"tool": "connect_to_mcp_server", "args": {"serverName": "demo"}},
        {"follow": True},
        {"tool": "connect_to_mcp_server", "args": {"serverName": "demo"}},
        {"tool": "demo__greet", "args": {"name": "Ada"}},
        {"tool": "clear_mcp_auth", "args": {"serverName": "demo"}},
        {"tool": "connect_to_mcp_server", "args": {"serverName": "demo"}},
        {"tool": "connect_to_mcp_server", "args": {"serverName": "conf", "clientId": "serve-confidential", "clientSecret": secret}},
        {"follow": True},
        {"tool": "connect_to_mcp_server", "args": {"serverName": "conf"}},
        {"tool": "conf__echo", "args": {"text": "confidential"}},
        {"tool": "connect_to_mcp_server", "args": {"serverName": "down"}},
        {"tool": "connect_to_mcp_server", "args": {"serverName": "nometa"}},
        {"tool": "connect_to_mcp_server", "args": {"serverName": "http://127.0.0.1:9/not-in-the-list"}},
        # Bad input: each a tool error, and the server keeps serving.
        {"tool": "no_such_tool", "args": {}},
        {"tool": "connect_to_mcp_server", "args": {}},
        {"tool": "connect_to_mcp_server", "args": {"serverName": 42}},
        {"tool": "connect_to_mcp_server", "args": {"serverName": "not a server"}},
        {"tool": "connect_to_mcp_server", "args": {"serverName": "file:///etc/passwd"}},
        {"tool": "connect_to_mcp_server", "args": {"serverName": "javascript://alert(1)"}},
        {"tool": "clear_mcp_auth", "args": {"serverName": ["demo"]}},
        {"tool": "list_mcp_servers"},
    ], private)
    if any("error" in s or "protocolError" in s for s in seen) or len(seen) != 21:
        check("ts: the DCR, secret, error and bad-input steps ran", False, seen)
        return
    (dcr, _, dcr_ok, greet, _, dcr_again, conf_auth, conf_follow, conf_ok, conf_call, down_a, nometa_a, unlisted,
     unknown, missing, wrong_type, no_name, file_url, js_url, wrong_clear, still) = seen
    check("ts: DCR (the SDK demo server) → requires_auth at once", status(dcr) == "requires_auth" and "/authorize" in dcr["structured"]["authUrl"], dcr)
    check("ts: DCR → success with greet", status(dcr_ok) == "success" and any(t["name"] == "greet" for t in dcr_ok["structured"]["tools"]), dcr_ok)
    check("ts: demo__greet answers through serve", greet.get("text") == "Hello, Ada!", greet)
    check("ts: DCR: after clear_mcp_auth, requires_auth again", status(dcr_again) == "requires_auth", dcr_again)
    check("ts: a confidential client given its secret → requires_auth, then success",
          status(conf_auth) == "requires_auth" and conf_follow["follow"] == 200 and status(conf_ok) == "success", [conf_auth, conf_follow, conf_ok])
    check("ts: the confidential server's tool answers", conf_call.get("text") == 'echo: {"text": "confidential"}', conf_call)
    check("ts: the secret is in no reply", secret not in json.dumps(seen))
    check("ts: the token endpoint got the secret (client_secret_basic or _post)", harness.count("serve-conf", "/token") >= 1)
    check("ts: an unreachable server → error", status(down_a) == "error" and down_a["structured"].get("helpfulSkills") == [] and not down_a["isError"], down_a)
    n = nometa_a["structured"] or {}
    check("ts: a server that says nowhere how to sign in → requires_auth, authUrl null, authType unknown",
          n.get("status") == "requires_auth" and n.get("authUrl", "absent") is None and n.get("authType") == "unknown", nometa_a)
    check("ts: a URL not in the list → the user is told to add it in the app", status(unlisted) == "error" and "MCP Auth Manager" in unlisted["structured"]["error"], unlisted)
    for name, entry, words in (("an unknown tool", unknown, "unknown tool"), ("a missing serverName", missing, "serverName is missing"),
                               ("a wrong-typed serverName", wrong_type, "must be a string"), ("a name that is neither", no_name, "neither"),
                               ("a file: URL", file_url, "not a URL this app will use"), ("a javascript: URL", js_url, "not a URL this app will use"),
                               ("a wrong-typed clear", wrong_clear, "must be a string")):
        check(f"ts: bad input, {name}: a tool error that says so", entry.get("isError") is True and words in (entry.get("text") or ""), entry)
    check("ts: after all of it, the server still serves", status(still) is None and len((still["structured"] or {}).get("servers", [])) >= 4, still)


def elicited(env, harness, private):
    """A client that takes elicitations: a URL not in the list is added once the
    person agrees (a form), the sign-in link is opened by the client (a URL),
    and one call answers success. Declined, nothing is added."""
    url = harness.tenant("agent-added")
    seen = drive("ts", env, [{"tool": "connect_to_mcp_server", "args": {"serverName": url}}], private, "accept")
    first = seen[0] if seen else {}
    modes = [e["mode"] for e in first.get("elicitations", [])]
    check("ts, elicitation: a URL not in the list → the person is asked (a form), then the client opens the link (a URL)",
          modes == ["form", "url"] and url in first["elicitations"][0]["message"], first)
    check("ts, elicitation: the same call answers success with the server's tools",
          status(first) == "success" and [t["name"] for t in first["structured"]["tools"]] == ["echo"], first)
    listed = json.loads(mcp_auth(env, "servers", "list").stdout)["servers"]
    check("ts, elicitation: the server is in the list now", any(s["url"] == url for s in listed), listed)
    other = harness.tenant("agent-declined")
    seen = drive("ts", env, [{"tool": "connect_to_mcp_server", "args": {"serverName": other}}], private, "decline")
    first = seen[0] if seen else {}
    check("ts, elicitation declined: an error that says so, nothing added",
          status(first) == "error" and "chose not to add" in first["structured"]["error"]
          and not any(s["url"] == other for s in json.loads(mcp_auth(env, "servers", "list").stdout)["servers"]), first)
    secretive = harness.tenant("needs-secret", **{"as": {"registration_endpoint": None, "token_endpoint_auth_methods_supported": ["client_secret_basic"]}})
    mcp_auth(env, "servers", "add", secretive, "--name", "needs-secret")
    seen = drive("ts", env, [{"tool": "connect_to_mcp_server", "args": {"serverName": "needs-secret"}}], private)
    first = seen[0] if seen else {}
    s = first.get("structured") or {}
    check("ts: a secret needed and none given → requires_oauth_config, told to have the user enter it in the app, not the chat",
          s.get("status") == "requires_oauth_config" and s.get("oauthDiscovery", {}).get("needsClientSecret") is True
          and "MCP Auth Manager" in (s.get("note") or "") and "chat" in (s.get("note") or ""), first)


def main():
    tmp = tempfile.mkdtemp(prefix="mcp-auth-serve-")
    private = tempfile.mkdtemp(prefix="mcp-auth-serve-private-")
    evidence = tempfile.mkdtemp(prefix="serve-", dir=LEAK_DIR) if LEAK_DIR else tmp
    mcp_port, auth_port = free_ports(2)
    demo_log = open(os.path.join(private, "demo.log"), "w")  # it prints the tokens it receives
    demo = subprocess.Popen([NODE, SDK_DEMO, "--oauth"], env=dict(os.environ, MCP_PORT=str(mcp_port), MCP_AUTH_PORT=str(auth_port)), stdout=demo_log, stderr=subprocess.STDOUT)
    harness = Harness(tmp)
    try:
        wait_port(mcp_port)
        for client in ("ts", "python"):
            config = os.path.join(evidence, f"config-{client}")
            os.makedirs(config)
            two_step_flow(client, dict(os.environ, MCP_AUTH_CONFIG_DIR=config), harness, private)
        config = os.path.join(evidence, "config-more")
        os.makedirs(config)
        dcr_and_secret(dict(os.environ, MCP_AUTH_CONFIG_DIR=config), harness, f"http://localhost:{mcp_port}/mcp", private)
        config = os.path.join(evidence, "config-elicit")
        os.makedirs(config)
        elicited(dict(os.environ, MCP_AUTH_CONFIG_DIR=config), harness, private)
    finally:
        harness.stop()
        demo.terminate()
        shutil.rmtree(private, ignore_errors=True)
        if not LEAK_DIR:
            shutil.rmtree(tmp, ignore_errors=True)
    passed = sum(results)
    print(f"serve: {passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) and results else 1


if __name__ == "__main__":
    sys.exit(main())
