#!/bin/sh
# The conformance suite's client command for its SEP-2243 header scenarios, with
# `mcp-auth bridge` in the middle: an app on stdio (the Python SDK's 2.x client,
# tests/bridge/python_modern_client.py) cannot set HTTP headers, so the bridge must send
# MCP-Protocol-Version, Mcp-Method, Mcp-Name and Mcp-Param-* for it. Maps each
# scenario's calls (as tests/conformance/mcp-client.sh does) and nothing else.
set -eu
for last; do :; done
url="$last"
bin="${MCP_AUTH_BIN:-mcp-auth}"
here=$(cd "$(dirname "$0")" && pwd)
py="$here/../../tools/venv/bin/python"
# A server of an earlier scenario on the same port is forgotten first (see client.sh).
"$bin" servers remove "$url" >/dev/null 2>&1 || true

case "${MCP_CONFORMANCE_SCENARIO:-}" in
  tools_call) calls='[["add_numbers", {"a": 2, "b": 3}]]' ;;
  http-standard-headers) calls='[["test_headers", {}]]' ;;
  http-custom-headers)
    calls=$(printf '%s' "$MCP_CONFORMANCE_CONTEXT" | python3 -c '
import json, sys
print(json.dumps([[c["name"], c["arguments"]] for c in json.load(sys.stdin)["toolCalls"]]))') ;;
  *) echo "no mapping for scenario ${MCP_CONFORMANCE_SCENARIO:-?}" >&2; exit 2 ;;
esac
exec "$py" "$here/../bridge/python_modern_client.py" "$bin" "$url" "$calls"
