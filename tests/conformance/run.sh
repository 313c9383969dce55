#!/usr/bin/env bash
# The official MCP conformance suite in client mode: the `auth` suite (14
# scenarios), the `draft` suite (resource-mismatch, offline-access-*), and the two
# 2025-03-26 back-compat scenarios one by one. Every check must be SUCCESS (a
# WARNING fails too). Per-scenario checks.json land in target/conformance/.
set -uo pipefail
cd "$(dirname "$0")/../.."
node=tools/node_modules/node/bin/node
suite_js=tools/node_modules/@modelcontextprotocol/conformance/dist/index.js
client="$PWD/tests/conformance/client.sh"
out="${CARGO_TARGET_DIR:-target}/conformance"; mkdir -p "$out"
: "${MCP_AUTH_BIN:?set MCP_AUTH_BIN to the mcp-auth binary}"
export MCP_AUTH_BIN

status=0
run() {
  local log="$out/$(echo "$*" | tr ' /' '__').log"
  if timeout 600 "$node" "$suite_js" client --command "$client" -o "$out" "$@" >"$log" 2>&1; then
    grep -E "^(✓|✗|Total:|Passed:)" "$log"
  else
    status=1
    grep -E "^(✓|✗|Total:|Passed:)|FAILURE|WARNING" "$log" | tail -40
    echo "(full log: $log)"
  fi
}
run --suite auth
run --suite draft
for s in auth/2025-03-26-oauth-metadata-backcompat auth/2025-03-26-oauth-endpoint-fallback; do
  echo "$s:"; run --scenario "$s"
done
exit $status
