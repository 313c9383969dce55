#!/bin/sh
# The conformance suite's client command for auth scenarios with
# `mcp-auth bridge` in the middle: the person signs in once (`mcp-auth login`,
# the headless browser stand-in), then an app on stdio (the Python SDK's 2.x
# client, tests/bridge/python_modern_client.py) lists the tools and calls
# test-tool through the bridge, which must present the grant as the server
# wants it (a DPoP-bound one: its scheme, a fresh proof per request, the
# server's nonce). Maps the suite's inputs and nothing else.
set -eu
for last; do :; done
url="$last"
bin="${MCP_AUTH_BIN:-mcp-auth}"
here=$(cd "$(dirname "$0")" && pwd)
py="$here/../../tools/venv/bin/python"
# A server of an earlier scenario on the same port is forgotten first (see client.sh).
"$bin" servers remove "$url" >/dev/null 2>&1 || true
"$bin" login "$url" --browser http --timeout 20 >/dev/null
exec "$py" "$here/../bridge/python_modern_client.py" "$bin" "$url" '[["test-tool", {}]]'
