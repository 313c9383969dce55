#!/usr/bin/env bash
# Interop with FastMCP (PyPI, in tools/venv): an MCP server at /mcp guarded by
# FastMCP's in-memory OAuth provider (auto-approving authorization server on the
# same origin, DCR, refresh-token rotation, RFC 7009 revocation, an issuer with
# a trailing slash, `scope=` in the 401 challenge). Drives the real `mcp-auth`
# binary with `--browser http` (the headless stand-in follows the redirect into
# the loopback listener): login, tools, call, a Python client (FastMCP's) through
# `mcp-auth bridge` across an expiry, refresh after expiry, forced refresh,
# revoke, the revoked token gets 401, status says needs_sign_in.
#
# Needs MCP_AUTH_BIN; runs itself inside scripts/with-keyring when not already.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../../.."
if [ -z "${MCP_AUTH_TEST_TMP:-}" ]; then exec scripts/with-keyring "$here/run.sh" "$@"; fi
SUITE=fastmcp
. tests/interop/lib.sh
interop_init

PY=tools/venv/bin/python
# 15 s: short enough to wait out, long enough that a token the client judged fresh
# (a margin of half its life) does not expire in flight on a loaded machine.
TTL=${ACCESS_TOKEN_TTL:-15}
PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
URL="$BASE/mcp"
SLOG="$LOGS/fastmcp-server.log"

ACCESS_TOKEN_TTL=$TTL timeout 900 "$PY" tests/interop/fastmcp/server.py "$PORT" >"$SLOG" 2>&1 &
PIDS+=($!)
if ! wait_port "$PORT" 300; then
  fail "start the FastMCP server"; interop_finish; exit 1
fi
seen() { grep -cE "$1" "$SLOG"; }
refresh_grants() { seen "^REQ POST /token \{'grant_type': 'refresh_token'.* -> 200 "; }

run_json discover "$M" discover "$URL"
check "discover: PRM and the issuer with its trailing slash" \
  "d['status'] == 'discovered' and d['issuer'] == '$BASE/' and d['resource'] == '$URL'" "$LOGS/discover.json"

run_json login "$M" login "$URL" --browser http --timeout 60; rc=$?
check "login via DCR (exit $rc)" \
  "$rc == 0 and d['status'] == 'success' and d['grant']['client_source'] == 'registered' and d['grant']['resource'] == '$URL' and 'mcp:tools' in d['grant']['scopes']" \
  "$LOGS/login.json"
run_json tools "$M" tools "$URL" --browser http --timeout 30
check "tools lists echo" "any(t['name'] == 'echo' for t in d['tools'])" "$LOGS/tools.json"
# FastMCP is on the Python SDK 2.x, which serves both eras: the engine (rmcp)
# asks with server/discover and they agree on the stateless revision.
check "tools went over the 2026-07-28 revision (server/discover, no session)" \
  "d['protocolVersion'] == '2026-07-28'" "$LOGS/tools.json"
run_json call "$M" call "$URL" echo '{"text":"hi"}' --browser http --timeout 30
check "call echo answers hi" "d['result']['content'][0]['text'] == 'hi'" "$LOGS/call.json"

# A Python client (FastMCP's own) through `mcp-auth bridge`: list, call, wait
# past the token's lifetime, call again; the bridge refreshes underneath.
before=$(refresh_grants)
timeout 150 "$PY" tests/bridge/python_client.py "$M" "$URL" echo '{"text":"via the bridge"}' $((TTL + 1)) \
  >"$LOGS/bridge-python.json" 2>"$LOGS/bridge-python.err"
check "a Python client through mcp-auth bridge lists and calls" \
  "'echo' in d['tools'] and d['first'] == 'via the bridge'" "$LOGS/bridge-python.json"
# The Python SDK's own 2.x client asks the bridge with server/discover: the
# bridge relays the 2026-07-28 exchange, headers copied from each message.
timeout 90 "$PY" tests/bridge/python_modern_client.py "$M" "$URL" '[["echo", {"text":"stateless"}]]' \
  >"$LOGS/bridge-modern.json" 2>"$LOGS/bridge-modern.err"
check "the Python SDK's 2026-07-28 client through mcp-auth bridge lists and calls" \
  "d['protocol'] == '2026-07-28' and 'echo' in d['tools'] and d['text'] == 'stateless'" "$LOGS/bridge-modern.json"
check "…and the token expiring mid-session is refreshed under it, unseen" \
  "d['after_expiry'] == 'via the bridge' and $(refresh_grants) > $before" "$LOGS/bridge-python.json"

# The access token lives $TTL s: take it, wait until it has expired, take it again.
t1=$(timeout 30 "$M" token "$URL" 2>"$LOGS/token1.err")
run_json status1 "$M" status "$URL"
exp=$(jsonget "$LOGS/status1.json" "d['expires_at']")
before=$(refresh_grants)
case "$exp" in ''|*[!0-9]*) exp=$(( $(date +%s) + TTL ));; esac
wait_s=$(( exp - $(date +%s) + 1 )); [ "$wait_s" -gt 0 ] && [ "$wait_s" -le 60 ] && sleep "$wait_s"
# (Ask the MCP server about the expired token only after the refresh: FastMCP's
# in-memory provider deletes the refresh token paired with an expired access
# token as soon as it sees that access token again.)
t2=$(timeout 30 "$M" token "$URL" 2>"$LOGS/token2.err")
expired=$(mcp_status_with "$t1" "$URL")
after=$(refresh_grants)
if [ -n "$t2" ] && [ "$t2" != "$t1" ] && [ "$after" -gt "$before" ] && [ "$expired" = 401 ]; then
  ok "token after expiry refreshes (refresh_token grant, a new token)"
else
  fail "token after expiry refreshes (refresh_token grant, a new token)" \
    "changed=$([ "$t2" != "$t1" ] && echo yes || echo no) refresh grants $before -> $after, expired token got $expired; $(tr '\n' ' ' <"$LOGS/token2.err")"
fi

before=$(refresh_grants)
run_json refresh "$M" refresh "$URL"; rc=$?
t3=$(timeout 30 "$M" token "$URL" 2>"$LOGS/token3.err")
after=$(refresh_grants)
if [ $rc -eq 0 ] && [ -n "$t3" ] && [ "$t3" != "$t2" ] && [ "$after" -gt "$before" ] && [ "$(mcp_status_with "$t3" "$URL")" = 200 ]; then
  ok "refresh (forced) gets a new, working token; the rotated one is dead"
  [ "$(mcp_status_with "$t2" "$URL")" = 401 ] || fail "the token replaced by refresh is no longer accepted"
else
  fail "refresh (forced) gets a new, working token; the rotated one is dead" \
    "exit=$rc changed=$([ "$t3" != "$t2" ] && echo yes || echo no) refresh grants $before -> $after; $(tr '\n' ' ' <"$LOGS/refresh.json")"
fi

before=$(mcp_status_with "$t3" "$URL")
run_json revoke "$M" revoke "$URL"
check "revoke is confirmed by the server (RFC 7009)" "d['status'] == 'revoked' and d['server_confirmed'] is True" "$LOGS/revoke.json"
after=$(mcp_status_with "$t3" "$URL")
if [ "$before" = 200 ] && [ "$after" = 401 ]; then ok "the MCP server answers 401 to the revoked token"
else fail "the MCP server answers 401 to the revoked token" "before revoke: $before, after: $after"; fi
run_json status "$M" status "$URL"
check "status says needs_sign_in" "d['state'] == 'needs_sign_in'" "$LOGS/status.json"

found=$(printf '%s\n%s\n%s\n' "$t1" "$t2" "$t3" | leaks "${MCP_AUTH_CONFIG_DIR:-/nonexistent}" "$LOGS")
if [ -z "$found" ]; then ok "no access token in any file (config dir, logs)"
else fail "no access token in any file (config dir, logs)" "found in: $found"; fi

interop_finish
