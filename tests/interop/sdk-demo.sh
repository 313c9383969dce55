#!/usr/bin/env bash
# Interop with the MCP TypeScript SDK's demo server (simpleStreamableHttp.js
# --oauth --oauth-strict: DCR, a trailing-slash issuer, a strict `resource`
# check): discover, login, tools, call, each through the real `mcp-auth` binary
# with the headless browser stand-in. Ports are picked free on 127.0.0.1.
set -uo pipefail
cd "$(dirname "$0")/../.."
: "${MCP_AUTH_BIN:?set MCP_AUTH_BIN to the mcp-auth binary}"
node=tools/node_modules/node/bin/node
source tests/interop/lib.sh   # free_ports, wait_port
read -r MCP_PORT AUTH_PORT <<<"$(free_ports 2)"
# Under the leak scan (scripts/test) every output stays for tests/leak/scan.py.
ev=$(mktemp -d "${MCP_AUTH_LEAK_DIR:-${TMPDIR:-/tmp}}/interop-sdk-demo.XXXXXX")
# The demo server's own log stays outside: it prints the bearer tokens it receives.
log=$(mktemp)
MCP_PORT=$MCP_PORT MCP_AUTH_PORT=$AUTH_PORT "$node" \
  tools/node_modules/@modelcontextprotocol/sdk/dist/esm/examples/server/simpleStreamableHttp.js --oauth --oauth-strict >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -f "$log"; [ -n "${MCP_AUTH_LEAK_DIR:-}" ] || rm -rf "$ev"' EXIT
# Both listeners must be up before the first request (node on a loaded machine
# can take seconds to load the SDK); a server that never comes up is a failure
# of its own, not a "discover" that fails for no stated reason.
for port in "$MCP_PORT" "$AUTH_PORT"; do
  wait_port "$port" 300 || { echo "FAIL the SDK demo server did not listen on $port"; tail -5 "$log"; exit 1; }
done
url="http://localhost:$MCP_PORT/mcp"
fails=0; passes=0; n=0
expect() { # name, jq-like python predicate on stdout JSON, command...
  local name="$1" predicate="$2"; shift 2
  n=$((n+1))
  local out; out=$("$@" 2>"$ev/$n.err"); local code=$?
  printf '%s\n' "$out" >"$ev/$n.out"
  if [ $code -eq 0 ] && printf '%s' "$out" | python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($predicate) else 1)"; then
    echo "ok   $name"; passes=$((passes+1))
  else
    echo "FAIL $name (exit $code)"; printf '%s\n' "$out" | head -20; fails=$((fails+1))
  fi
}
expect "discover" "d['status']=='discovered' and d['issuer']=='http://localhost:$AUTH_PORT/' and d['resource']=='$url'" \
  "$MCP_AUTH_BIN" discover "$url"
expect "check" "d['status']=='requires_auth'" "$MCP_AUTH_BIN" check "$url"
expect "connect says requires_auth" "True" sh -c "'$MCP_AUTH_BIN' connect '$url' | python3 -c \"import json,sys; d=json.load(sys.stdin); assert d['status']=='requires_auth' and d['authUrl'].startswith('http://localhost:$AUTH_PORT/authorize?'), d; print('{}')\""
expect "login" "d['status']=='success' and d['grant']['scopes']==['mcp:tools']" \
  "$MCP_AUTH_BIN" login "$url" --browser http --timeout 20
# The demo server is on the TypeScript SDK 1.x (2025 revisions only): the
# engine's server/discover is refused and it falls back to initialize.
expect "tools (2025-11-25: initialize and a session)" "any(t['name']=='greet' for t in d['tools']) and d['protocolVersion']=='2025-11-25'" "$MCP_AUTH_BIN" tools "$url" --browser http --timeout 20
expect "call greet" "d['result']['content'][0]['text']=='Hello, Ada!'" \
  "$MCP_AUTH_BIN" call "$url" greet '{"name":"Ada"}' --browser http --timeout 20
# The leak scan's markers: the access token this server issued (it issues no
# refresh token; its codes and the verifiers never leave mcp-auth's memory).
if tok=$("$MCP_AUTH_BIN" token "$url" 2>"$ev/token.err") && [ -n "$tok" ]; then
  echo "ok   token"; passes=$((passes+1))
  if [ -n "${MCP_AUTH_LEAK_DIR:-}" ]; then printf '%s\n' "$tok" >>"$MCP_AUTH_LEAK_DIR/markers"; fi
else
  echo "FAIL token"; fails=$((fails+1))
fi
echo "sdk-demo: $passes passed, $fails failed"
[ $fails -eq 0 ]
