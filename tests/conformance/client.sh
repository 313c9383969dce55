#!/bin/sh
# The conformance suite's client command: maps the suite's inputs (the MCP URL as
# the last argument, MCP_CONFORMANCE_CONTEXT) onto `mcp-auth` flags, and nothing
# else. It never reads MCP_CONFORMANCE_SCENARIO; the engine decides everything.
#
# --client-metadata-url is always given: the engine uses it only where the
# authorization server says it supports Client ID Metadata Documents.
# A pre-registered client's secret travels in the environment, never on argv.
set -eu
for last; do :; done
url="$last"
bin="${MCP_AUTH_BIN:-mcp-auth}"

client_id=""
if [ -n "${MCP_CONFORMANCE_CONTEXT:-}" ]; then
  client_id=$(printf '%s' "$MCP_CONFORMANCE_CONTEXT" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("client_id") or "")')
  OAUTH_CLIENT_SECRET=$(printf '%s' "$MCP_CONFORMANCE_CONTEXT" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("client_secret") or "")')
  export OAUTH_CLIENT_SECRET
fi

set -- call "$url" test-tool '{}' --browser http --timeout 20 \
  --client-metadata-url https://conformance-test.local/client-metadata.json
if [ -n "$client_id" ]; then
  set -- "$@" --client-id "$client_id"
fi
exec "$bin" "$@"
