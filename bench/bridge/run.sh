#!/usr/bin/env bash
# `mcp-auth bridge` against mcp-remote, in one run on this machine (see
# measure.mjs for what is measured), then the table for docs/benchmarks.md.
#
#   cargo build --release -p mcp-auth-cli     (the binary measured)
#   scripts/with-keyring bench/bridge/run.sh  (re-runs itself inside it otherwise)
#
# Environment: MCP_AUTH_BIN (default target/release/mcp-auth of this repository,
# or $CARGO_TARGET_DIR), BENCH_STARTS (default 20), BENCH_CALLS (default 200).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
if [[ -z "${MCP_AUTH_TEST_TMP:-}" ]]; then
  exec "$root/scripts/with-keyring" "$here/run.sh" "$@"
fi
cd "$root"
MCP_AUTH_BIN="${MCP_AUTH_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/mcp-auth}"
node=tools/node_modules/node/bin/node
remote=bench/node_modules/mcp-remote/dist/proxy.js
[[ -x "$MCP_AUTH_BIN" ]] || { echo "no mcp-auth at $MCP_AUTH_BIN (cargo build --release -p mcp-auth-cli)"; exit 1; }
[[ -f "$remote" ]] || (cd bench && timeout 300 npm ci --no-audit --no-fund --loglevel=error)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
results=$(mktemp -d)
server=""
trap 'kill $server 2>/dev/null; rm -rf "$results"' EXIT
# The revision the SDK's client negotiates, for the direct calls to match it.
revision="$("$node" --input-type=module -e "import { LATEST_PROTOCOL_VERSION } from '$root/tools/node_modules/@modelcontextprotocol/sdk/dist/esm/types.js'; console.log(LATEST_PROTOCOL_VERSION)")"

# One server after the other, each measured whole: the SDK's demo server, whose
# own time per call is most of every round trip, then the same SDK pieces
# without its per-request introspection, event store and logging
# (lean-server.mjs), where what a proxy adds shows.
measure() { # NAME HOST SERVER_JS [ARG]
  local name="$1" host="$2"; shift 2
  local mcp_port auth_port url
  mcp_port=$(free_port); auth_port=$(free_port)
  MCP_PORT=$mcp_port MCP_AUTH_PORT=$auth_port "$node" "$@" >"$results/$name.log" 2>&1 &
  server=$!
  for _ in $(seq 100); do python3 -c "import socket; socket.create_connection(('127.0.0.1',$mcp_port),0.2)" 2>/dev/null && break; sleep 0.1; done
  url="http://$host:$mcp_port/mcp"
  "$MCP_AUTH_BIN" login "$url" --browser http --timeout 30 >/dev/null
  # mcp-remote keeps its own state under HOME: a fresh one, so it starts as a
  # first run would, with the token given in its header.
  AUTH_TOKEN="$("$MCP_AUTH_BIN" token "$url")" HOME="$results/home-$name" \
    timeout 600 "$node" bench/bridge/measure.mjs "$results/$name-bridge.json" "$MCP_AUTH_BIN" "$remote" "$url" \
    "${BENCH_STARTS:-20}" "${BENCH_CALLS:-200}"
  AUTH_TOKEN="$("$MCP_AUTH_BIN" token "$url")" python3 bench/bridge/overhead.py "$MCP_AUTH_BIN" "$url" "${BENCH_CALLS:-200}" "$revision" \
    >"$results/$name-overhead.json"
  kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true
  server=""
}
measure demo localhost tools/node_modules/@modelcontextprotocol/sdk/dist/esm/examples/server/simpleStreamableHttp.js --oauth
measure lean 127.0.0.1 bench/bridge/lean-server.mjs
python3 - "$results" "$("$node" -p "require('./bench/node_modules/mcp-remote/package.json').version")" <<'EOF'
import json, sys
results, version = sys.argv[1], sys.argv[2]
servers = {"demo": "the SDK's demo server (`simpleStreamableHttp.js --oauth`)",
           "lean": "the same SDK pieces without the demo's per-request introspection, event store and logging (`lean-server.mjs`)"}
def row(what, x, y, unit, target):
    ratio = x / y
    print(f"| {what} | {x:.2f} {unit} | {y:.2f} {unit} | {ratio:.3f}× | {target} | {'met' if ratio <= eval(target.split('≤ ')[1]) else 'not met'} |")
for name, title in servers.items():
    r = json.load(open(f"{results}/{name}-bridge.json"))
    o = json.load(open(f"{results}/{name}-overhead.json"))
    a, b = r["mcp-auth bridge"], r["mcp-remote"]
    print(f"\n### Against {title}\n")
    print(f"| Bridge vs mcp-remote {version} (median) | mcp-auth bridge | mcp-remote | ratio | target | |")
    print("| --- | --- | --- | --- | --- | --- |")
    row("spawn → first tools/list answer", a["startup"]["median_ms"], b["startup"]["median_ms"], "ms", "≤ 1/10")
    row("tools/call round trip", a["roundtrip"]["median_ms"], b["roundtrip"]["median_ms"], "ms", "≤ 1/2")
    row("peak RSS of the process tree", a["peak_rss_kib"] / 1024, b["peak_rss_kib"] / 1024, "MiB", "≤ 1/5")
    print(f"\n(startup n={a['startup']['n']}, p10–p90 {a['startup']['p10_ms']:.1f}–{a['startup']['p90_ms']:.1f} ms vs {b['startup']['p10_ms']:.1f}–{b['startup']['p90_ms']:.1f} ms; "
          f"round trips n={a['roundtrip']['n']}, p10–p90 {a['roundtrip']['p10_ms']:.2f}–{a['roundtrip']['p90_ms']:.2f} ms vs {b['roundtrip']['p10_ms']:.2f}–{b['roundtrip']['p90_ms']:.2f} ms)")
    print(f"\nWhat the bridge itself adds (a Python client, interleaved, n={o['n']}, at {o['revision']}, the SDK client's revision): tools/call straight to the server over one keep-alive connection {o['direct_ms']:.2f} ms, through the bridge {o['via_bridge_ms']:.2f} ms: {o['added_ms']:+.2f} ms.")
    half = b["roundtrip"]["median_ms"] / 2
    print(f"The server alone takes {o['direct_ms']:.2f} ms a call; half of mcp-remote's round trip is {half:.2f} ms, so a proxy that added nothing at all would "
          + ("still miss" if o["direct_ms"] > half else "meet") + " the 1/2 target.")
EOF
