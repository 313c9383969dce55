#!/usr/bin/env bash
# `mcp-auth bridge` driven by clients nobody here wrote, against a real server:
# the MCP TypeScript SDK's stdio client (StdioClientTransport) through the
# bridge to the SDK's demo server (--oauth --oauth-strict): tools listed, a tool
# called, the server's notifications during a call, the server's own request
# (elicitation) answered by the client, and a first sign-in that happens inside
# the bridge (no grant at start); the MCP Inspector's CLI mode lists and calls
# through it. Then faults and bad input (faults.py) against
# a second demo server that it restarts mid-session. Ports are picked free on
# 127.0.0.1; every wait is bounded.
set -uo pipefail
cd "$(dirname "$0")/../.."
: "${MCP_AUTH_BIN:?set MCP_AUTH_BIN to the mcp-auth binary}"
node=tools/node_modules/node/bin/node
demo=tools/node_modules/@modelcontextprotocol/sdk/dist/esm/examples/server/simpleStreamableHttp.js
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 300); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1',$1),0.2).close()" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
ev=$(mktemp -d "${MCP_AUTH_LEAK_DIR:-${TMPDIR:-/tmp}}/bridge.XXXXXX")
# The demo servers' own logs stay outside the scanned tree: they print the
# bearer tokens they receive.
logs=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$logs"; [ -n "${MCP_AUTH_LEAK_DIR:-}" ] || rm -rf "$ev"; }
trap cleanup EXIT
passes=0; fails=0
ok()   { echo "ok   $1"; passes=$((passes+1)); }
fail() { echo "FAIL $1"; [ -z "${2:-}" ] || echo "     $2"; fails=$((fails+1)); }

# --- a signed-in bridge, the SDK's stdio client ------------------------------
MCP_PORT=$(free_port); AUTH_PORT=$(free_port)
while [ "$AUTH_PORT" = "$MCP_PORT" ]; do AUTH_PORT=$(free_port); done
MCP_PORT=$MCP_PORT MCP_AUTH_PORT=$AUTH_PORT "$node" "$demo" --oauth --oauth-strict >"$logs/oauth.log" 2>&1 &
pids+=($!)
# Both of its listeners: the first request reads the authorization server's metadata.
for port in "$MCP_PORT" "$AUTH_PORT"; do
  wait_port "$port" || { echo "the SDK demo server did not listen on $port"; exit 1; }
done
url="http://localhost:$MCP_PORT/mcp"

judge() { # name, python predicate over d, file
  if python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$3" 2>/dev/null; then ok "$1"; else fail "$1" "$(head -c 600 "$3")"; fi
}

# First run: nothing signed in yet, so the bridge signs in itself (the headless
# browser stand-in plays the person), then relays.
timeout 90 "$node" tests/bridge/sdk-client.mjs "$MCP_AUTH_BIN" "$url" --browser http >"$ev/first.json" 2>"$ev/first.err"
judge "no grant at start: the bridge signs in, then the SDK client lists tools" "'greet' in d['tools'] and not d.get('error')" "$ev/first.json"
judge "a tool call through the bridge" "d['greet']=='Hello, Ada!'" "$ev/first.json"
judge "the server's notifications during a call reach the client" \
  "d['notifications']==['Starting multi-greet for Ada','Sending first greeting to Ada','Sending second greeting to Ada'] and d['multiGreet']=='Good morning, Ada!'" "$ev/first.json"
judge "the server's own request (elicitation) is answered by the client" \
  "d['elicited']=='Please provide your contact information' and 'Ada Lovelace' in d['elicitation']" "$ev/first.json"
# Second run: the grant is in the keychain now; no browser may be needed.
timeout 60 "$node" tests/bridge/sdk-client.mjs "$MCP_AUTH_BIN" "$url" --browser print >"$ev/second.json" 2>"$ev/second.err"
judge "signed in already: the bridge relays with the keychain's grant" "d['greet']=='Hello, Ada!' and not d.get('error')" "$ev/second.json"
if grep -q "Open this link" "$ev/second.err"; then fail "no sign-in prompt when signed in" "$(head -5 "$ev/second.err")"; else ok "no sign-in prompt when signed in"; fi
# The MCP Inspector's CLI mode, one method per run, through the bridge. It
# starts the bridge with only the variables given by -e: the test's keychain
# and config dir.
inspector=tools/node_modules/.bin/mcp-inspector
ienv=(-e "MCP_AUTH_CONFIG_DIR=${MCP_AUTH_CONFIG_DIR:-}" -e "DBUS_SESSION_BUS_ADDRESS=${DBUS_SESSION_BUS_ADDRESS:-}"
      -e "XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-}" -e "XDG_DATA_HOME=${XDG_DATA_HOME:-}" -e "HOME=$HOME")
timeout 60 "$node" "$inspector" --cli "${ienv[@]}" --method tools/list -- "$MCP_AUTH_BIN" bridge "$url" --browser print \
  >"$ev/inspector-list.json" 2>"$ev/inspector-list.err"
judge "the Inspector's CLI lists tools through the bridge" "any(t['name']=='greet' for t in d['tools'])" "$ev/inspector-list.json"
timeout 60 "$node" "$inspector" --cli "${ienv[@]}" --method tools/call --tool-name greet --tool-arg name=Ada \
  -- "$MCP_AUTH_BIN" bridge "$url" --browser print >"$ev/inspector-call.json" 2>"$ev/inspector-call.err"
judge "the Inspector's CLI calls a tool through the bridge" "d['content'][0]['text']=='Hello, Ada!'" "$ev/inspector-call.json"
# One click's worth: `apps connect` rewrites Claude Desktop's config (a copy of
# the fixture, written the way Claude Desktop writes it) to start the bridge;
# the SDK client then starts exactly that entry's command and args.
# (The copy lives outside the leak scan's tree: the fixture's other entries hold
# made-up static tokens on purpose, as real configs do.)
fake_home=$(mktemp -d "$logs/home.XXXXXX")
cp -r crates/mcp-auth-cli/tests/fixtures/import/home/. "$fake_home/"
desktop="$fake_home/.config/Claude/claude_desktop_config.json"
HOME="$fake_home" XDG_CONFIG_HOME="$fake_home/.config" "$MCP_AUTH_BIN" apps connect claude-desktop "$url" >"$ev/connect.json" 2>"$ev/connect.err"
judge "apps connect claude-desktop: the entry now starts the bridge" "d['status']=='connected' and d['replaced_existing'] is False" "$ev/connect.json"
entry_name=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['entry'])" "$ev/connect.json" 2>/dev/null)
timeout 60 "$node" tests/bridge/sdk-client.mjs --entry "$desktop" mcpServers "$entry_name" >"$ev/connected.json" 2>"$ev/connected.err"
judge "…and that entry, run as Claude Desktop would, answers" "d['greet']=='Hello, Ada!' and not d.get('error')" "$ev/connected.json"
HOME="$fake_home" XDG_CONFIG_HOME="$fake_home/.config" "$MCP_AUTH_BIN" apps disconnect claude-desktop "$url" >"$ev/disconnect.json" 2>&1
if cmp -s "$desktop" crates/mcp-auth-cli/tests/fixtures/import/home/.config/Claude/claude_desktop_config.json; then
  ok "apps disconnect gives Claude Desktop's file back byte for byte"
else
  fail "apps disconnect gives Claude Desktop's file back byte for byte" "$(diff "$desktop" crates/mcp-auth-cli/tests/fixtures/import/home/.config/Claude/claude_desktop_config.json | head -5)"
fi
# stdout of the bridge carried only protocol: the SDK client would have failed on
# anything else, and the token never reached stderr.
if tok=$("$MCP_AUTH_BIN" token "$url" 2>/dev/null) && [ -n "$tok" ]; then
  if grep -qF "$tok" "$ev"/*.err "$ev"/*.json; then fail "the token never reaches the bridge's output"; else ok "the token never reaches the bridge's output"; fi
  if [ -n "${MCP_AUTH_LEAK_DIR:-}" ]; then printf '%s\n' "$tok" >>"$MCP_AUTH_LEAK_DIR/markers"; fi
else
  fail "token after the bridge's sign-in"
fi

# --- a server of the 2024-11-05 HTTP+SSE transport only ------------------------
LEGACY_PORT=$(free_port)
"$node" tests/bridge/legacy-server.mjs "$LEGACY_PORT" >"$logs/legacy.log" 2>&1 &
pids+=($!)
if wait_port "$LEGACY_PORT"; then
  timeout 60 "$node" tests/bridge/sdk-client.mjs "$MCP_AUTH_BIN" "http://127.0.0.1:$LEGACY_PORT/mcp" --browser print \
    >"$ev/legacy.json" 2>"$ev/legacy.err"
  judge "a 2024-11-05 HTTP+SSE server: the bridge falls back to it, the client lists and calls" \
    "d['tools']==['greet'] and d['greet']=='Hello, Ada!' and not d.get('error')" "$ev/legacy.json"
else
  fail "the 2024-11-05 server did not start" "$(head -5 "$logs/legacy.log")"
fi

# --- a server of the 2026-07-28 revision only ---------------------------------
# The SDK's client speaks 2025 revisions (initialize): no revision in common,
# and the bridge says so naming both, rather than translating. The Python SDK's
# 2.x client asks with server/discover and is relayed at 2026-07-28.
NEW_PORT=$(free_port)
tools/venv/bin/python tests/bridge/stateless-server.py "$NEW_PORT" >"$logs/stateless.log" 2>&1 &
pids+=($!)
if wait_port "$NEW_PORT"; then
  timeout 60 "$node" tests/bridge/sdk-client.mjs "$MCP_AUTH_BIN" "http://127.0.0.1:$NEW_PORT/mcp" --browser print \
    >"$ev/stateless-old.json" 2>"$ev/stateless-old.err"
  judge "a 2025 client and a 2026-07-28-only server: initialize is answered with an error naming both revisions" \
    "'share no protocol revision' in d['error'] and '2026-07-28' in d['error'] and '2025-11-25' in d['error']" "$ev/stateless-old.json"
  timeout 60 tools/venv/bin/python tests/bridge/python_modern_client.py "$MCP_AUTH_BIN" "http://127.0.0.1:$NEW_PORT/mcp" '[["echo", {"text":"new"}]]' \
    >"$ev/stateless-new.json" 2>"$ev/stateless-new.err"
  judge "a 2026-07-28 client and that server: relayed statelessly, lists and calls" \
    "d['protocol']=='2026-07-28' and d['tools']==['echo'] and d['text']=='new'" "$ev/stateless-new.json"
  # The engine's own client (rmcp) with the same server: mcp-auth tools and the app's check.
  timeout 60 "$MCP_AUTH_BIN" tools "http://127.0.0.1:$NEW_PORT/mcp" --browser print >"$ev/stateless-tools.json" 2>"$ev/stateless-tools.err"
  judge "mcp-auth tools with a 2026-07-28-only server: server/discover, then tools/list" \
    "d['protocolVersion']=='2026-07-28' and [t['name'] for t in d['tools']]==['echo']" "$ev/stateless-tools.json"
  # Discovery's probe asks in both eras: the server is open, not an error.
  timeout 30 "$MCP_AUTH_BIN" check "http://127.0.0.1:$NEW_PORT/mcp" >"$ev/stateless-check.json" 2>&1
  judge "mcp-auth check with a 2026-07-28-only server: available, no sign-in needed" \
    "d['status']=='available' and d['authType']=='none'" "$ev/stateless-check.json"
  timeout 30 "$MCP_AUTH_BIN" connect "http://127.0.0.1:$NEW_PORT/mcp" >"$ev/stateless-connect.json" 2>&1
  judge "mcp-auth connect with it: success with its tools (no registration tried)" \
    "d['status']=='success' and d['serverName']=='stateless-only'" "$ev/stateless-connect.json"
else
  fail "the 2026-07-28-only server did not start" "$(head -5 "$logs/stateless.log")"
fi

# --- a tool call's event stream dropped half-way, resumed ----------------------
POLL_PORT=$(free_port)
"$node" tests/bridge/polling-server.mjs "$POLL_PORT" >"$logs/polling.log" 2>&1 &
pids+=($!)
if wait_port "$POLL_PORT"; then
  timeout 60 python3 tests/bridge/resume.py "$MCP_AUTH_BIN" "http://127.0.0.1:$POLL_PORT/mcp" long-task 4 >"$ev/resume.json" 2>"$ev/resume.err"
  judge "a dropped event stream is resumed with Last-Event-ID: every notification, in order, then the answer" \
    "d['notifications']==['25%','50%','75% (while the stream was down)','100%'] and d['answer']['result']['content'][0]['text']=='done'" "$ev/resume.json"
  timeout 60 python3 tests/bridge/resume.py "$MCP_AUTH_BIN" "http://127.0.0.1:$POLL_PORT/mcp" announce 4 >"$ev/resume-get.json" 2>"$ev/resume-get.err"
  judge "a dropped GET stream (server notifications) is reopened with Last-Event-ID: every notification once, in order" \
    "d['notifications']==['one','two','three (while the GET stream was down)','four'] and d['answer']['result']['content'][0]['text']=='announced'" "$ev/resume-get.json"
else
  fail "the polling server did not start" "$(head -5 "$logs/polling.log")"
fi

# --- faults and bad input, against a server restarted mid-session -------------
OPEN_PORT=$(free_port)
start_open() {
  MCP_PORT=$OPEN_PORT "$node" "$demo" >>"$logs/open.log" 2>&1 &
  echo $! >"$logs/open.pid"
  wait_port "$OPEN_PORT"
}
start_open || { echo "the second demo server did not start"; exit 1; }
pids+=("$(cat "$logs/open.pid")")
restart="kill \$(cat '$logs/open.pid'); sleep 0.3; $(declare -f wait_port); OPEN_PORT=$OPEN_PORT; MCP_PORT=$OPEN_PORT '$node' '$demo' >>'$logs/open.log' 2>&1 & echo \$! >'$logs/open.pid'; wait_port $OPEN_PORT"
BRIDGE_EVIDENCE="$ev" python3 tests/bridge/faults.py "$MCP_AUTH_BIN" "http://localhost:$OPEN_PORT/mcp" "$restart" >"$ev/faults.out" 2>"$ev/faults.err"
code=$?
cat "$ev/faults.out"
pids+=("$(cat "$logs/open.pid")")
read -r fp ff < <(python3 -c "import re,sys; m=re.search(r'(\d+) passed, (\d+) failed', open(sys.argv[1]).read()); print(*(m.groups() if m else (0, 1)))" "$ev/faults.out")
passes=$((passes+fp)); fails=$((fails+ff))
[ $code -eq 0 ] || [ "$ff" -gt 0 ] || { fail "faults.py exited $code"; }

echo "bridge: $passes passed, $fails failed"
[ $fails -eq 0 ]
