#!/bin/sh
# The conformance suite's client command for its MCP (non-auth) client
# scenarios: maps each scenario's inputs onto `mcp-auth tools` and `mcp-auth
# call` runs, and nothing else. The engine never sees the scenario's name.
#
# A scenario's inputs are the MCP URL (the last argument), the tool calls it
# hands over in MCP_CONFORMANCE_CONTEXT (`toolCalls`), and otherwise the calls
# its description asks a client to make (written out below, one line each):
# which tool, with which arguments. Everything else (server/discover or
# initialize, the protocol revision, headers, _meta, leaving out tools with
# invalid header annotations, the rounds of a call that asks for input) is
# the engine's.
set -eu
for last; do :; done
url="$last"
bin="${MCP_AUTH_BIN:-mcp-auth}"
# A server of an earlier scenario on the same port is forgotten first (see client.sh).
"$bin" servers remove "$url" >/dev/null 2>&1 || true

tools() { "$bin" tools "$url" --browser print --timeout 10; }
call() { args=${2:-'{}'}; "$bin" call "$url" "$1" "$args" --browser print --timeout 10; }

case "${MCP_CONFORMANCE_SCENARIO:-}" in
  tools_call)
    # "call add_numbers with two numbers"
    call add_numbers '{"a":2,"b":3}' ;;
  request-metadata|json-schema-ref-no-deref)
    # list the tools (the scenario reads how the client asks)
    tools >/dev/null ;;
  http-standard-headers)
    tools >/dev/null
    call test_headers '{}' ;;
  http-custom-headers)
    # the calls the scenario hands over, one run each
    printf '%s' "$MCP_CONFORMANCE_CONTEXT" | python3 -c '
import json, sys
for c in json.load(sys.stdin)["toolCalls"]:
    print(c["name"]); print(json.dumps(c["arguments"]))' | while read -r name && read -r args; do
      call "$name" "$args" >/dev/null
    done ;;
  http-invalid-tool-headers)
    # the valid tool is called; each invalid one must be refused by mcp-auth
    call valid_tool '{"region":"us-west1"}' >/dev/null
    for t in invalid_empty_header invalid_object_header invalid_array_header invalid_null_header \
             invalid_duplicate_same_case invalid_duplicate_diff_case invalid_space_in_name \
             invalid_colon_in_name invalid_non_ascii_name invalid_control_char_name; do
      if call "$t" '{}' >/dev/null 2>&1; then echo "mcp-auth called $t" >&2; exit 1; fi
    done ;;
  json-schema-2020-12-preservation)
    # echo the listed schema of json_schema_2020_12_tool back through json_schema_echo
    schema=$(tools | python3 -c '
import json, sys
tools = json.load(sys.stdin)["tools"]
print(json.dumps({"schema": next(t["inputSchema"] for t in tools if t["name"] == "json_schema_2020_12_tool")}))')
    call json_schema_echo "$schema" >/dev/null ;;
  sep-2322-client-request-state)
    # the four tools, one run each (the unrelated one between the others)
    for t in test_mrtr_echo_state test_mrtr_unrelated test_mrtr_no_state test_mrtr_no_result_type; do
      call "$t" >/dev/null
    done ;;
  *)
    echo "no mapping for scenario ${MCP_CONFORMANCE_SCENARIO:-?}" >&2; exit 2 ;;
esac
