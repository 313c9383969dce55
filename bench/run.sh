#!/usr/bin/env bash
# Benchmarks for docs/benchmarks.md: mcp-auth against the MCP TypeScript SDK and
# mcp-remote, all against one local server (bench/server.mjs) on 127.0.0.1.
# Prints a Markdown table on stdout; progress goes to stderr. See bench/README.md.
#
# Build first (release):
#   cargo build --release -p mcp-auth --bin mcp-auth --example bench_discovery
#
# Environment (all optional):
#   MCP_AUTH_BIN         default /work/target/release/mcp-auth
#   BENCH_DISCOVERY_BIN  default /work/target/release/examples/bench_discovery
#   NODE                 default tools/node_modules/node/bin/node (Node 22, installed by scripts/setup)
#   BENCH_ITERATIONS     figure 1 iterations per side        (default 200)
#   BENCH_WARMUP         figure 1 warm-up iterations per side (default 50)
#   BENCH_PROCESS_RUNS   figure 2 runs per command            (default 30)
#   BENCH_STARTUP_RUNS   figure 3 runs per command            (default 20)
#   BENCH_RESULTS        where the raw JSON goes (default bench/results/latest, git-ignored)
#   BENCH_STRICT=1       exit 3 when a target is missed
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"

MCP_AUTH_BIN="${MCP_AUTH_BIN:-/work/target/release/mcp-auth}"
BENCH_DISCOVERY_BIN="${BENCH_DISCOVERY_BIN:-/work/target/release/examples/bench_discovery}"
NODE="${NODE:-$root/tools/node_modules/node/bin/node}"
ITER="${BENCH_ITERATIONS:-200}"
WARM="${BENCH_WARMUP:-50}"
PROC_RUNS="${BENCH_PROCESS_RUNS:-30}"
PROC_WARM=3
START_RUNS="${BENCH_STARTUP_RUNS:-20}"
START_WARM=2
RESULTS="${BENCH_RESULTS:-$here/results/latest}"

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

for pair in ITER:BENCH_ITERATIONS PROC_RUNS:BENCH_PROCESS_RUNS START_RUNS:BENCH_STARTUP_RUNS; do
  v="${pair%%:*}"
  [[ "${!v}" =~ ^[0-9]+$ ]] && (( ${!v} >= 1 && ${!v} <= 100000 )) || die "${pair#*:} must be a number from 1 to 100000"
done
[[ "$WARM" =~ ^[0-9]+$ ]] && (( WARM <= 100000 )) || die "BENCH_WARMUP must be a number from 0 to 100000"
[[ -x "$MCP_AUTH_BIN" ]] || die "no mcp-auth binary at $MCP_AUTH_BIN (cargo build --release -p mcp-auth, or set MCP_AUTH_BIN)"
[[ -x "$BENCH_DISCOVERY_BIN" ]] || die "no bench_discovery binary at $BENCH_DISCOVERY_BIN (cargo build --release -p mcp-auth --example bench_discovery, or set BENCH_DISCOVERY_BIN)"
[[ -x "$NODE" ]] || die "no Node at $NODE (run scripts/setup, or set NODE)"
command -v python3 >/dev/null || die "python3 is needed for the timing driver"
[[ -f "$root/tools/node_modules/@modelcontextprotocol/sdk/package.json" ]] \
  || die "the MCP SDK is not in tools/node_modules (run scripts/setup)"
if [[ ! -f "$here/node_modules/mcp-remote/package.json" ]]; then
  say "installing mcp-remote into bench/node_modules (npm ci)"
  (cd "$here" && timeout 300 npm ci --no-audit --no-fund >&2) || die "npm ci in bench/ failed"
fi
MCP_REMOTE_JS="$here/node_modules/mcp-remote/dist/proxy.js"
[[ -f "$MCP_REMOTE_JS" ]] || die "mcp-remote has no dist/proxy.js"

mkdir -p "$RESULTS"
rm -f "$RESULTS"/*.json # only what an earlier run wrote there
tmp="$(mktemp -d)"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# --- The machine and the versions -------------------------------------------
json_str() { python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }
cpu="$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//' || true)"
pkgver() { "$NODE" -p "require('$1/package.json').version" 2>/dev/null || echo "?"; }
hf_version=""
if command -v hyperfine >/dev/null; then hf_version="$(hyperfine --version | awk '{print $2}')"; fi
cat >"$RESULTS/machine.json" <<EOF
{
  "date": $(json_str "$(date -u '+%Y-%m-%d %H:%M UTC')"),
  "nproc": $(json_str "$(nproc)"),
  "cpu": $(json_str "${cpu:-unknown}"),
  "kernel": $(json_str "$(uname -sr)"),
  "load": $(json_str "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || true)"),
  "mcp_auth": $(json_str "$("$MCP_AUTH_BIN" --version 2>/dev/null || echo '?')"),
  "mcp_auth_bin": $(json_str "$MCP_AUTH_BIN"),
  "bench_bin": $(json_str "$BENCH_DISCOVERY_BIN"),
  "node": $(json_str "$("$NODE" --version)"),
  "sdk": $(json_str "$(pkgver "$root/tools/node_modules/@modelcontextprotocol/sdk")"),
  "mcp_remote": $(json_str "$(pkgver "$here/node_modules/mcp-remote")"),
  "hyperfine": $(json_str "$hf_version"),
  "process_warmup": $PROC_WARM
}
EOF

# --- The server ----------------------------------------------------------------
"$NODE" "$here/server.mjs" 0 >"$tmp/server.out" 2>"$tmp/server.err" &
server_pid=$!
port=""
for _ in $(seq 1 100); do # at most 10 s
  port="$(awk '/^listening /{print $2; exit}' "$tmp/server.out")"
  [[ -n "$port" ]] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$tmp/server.err" >&2; die "the server exited"; }
  sleep 0.1
done
[[ -n "$port" ]] || die "the server did not start within 10 s"
url="http://127.0.0.1:$port/mcp"
say "server on $url"

# Both sides must agree that this server is discoverable before anything is timed.
timeout 30 "$MCP_AUTH_BIN" discover "$url" >"$RESULTS/discover.json" || die "mcp-auth discover $url failed"
timeout 30 "$NODE" "$here/sdk-discover-process.mjs" "$url" >"$RESULTS/sdk-discover.json" || die "the SDK script failed on $url"

# --- Figure 1: discovery + registration, in-process ------------------------------
say "figure 1: $ITER iterations (+$WARM warm-up) each, engine then SDK"
timeout 600 "$BENCH_DISCOVERY_BIN" "$url" "$ITER" "$WARM" >"$RESULTS/fig1-engine.json" || die "bench_discovery failed"
timeout 600 "$NODE" "$here/sdk-discovery.mjs" "$url" "$ITER" "$WARM" >"$RESULTS/fig1-sdk.json" || die "sdk-discovery.mjs failed"

# --- Figure 2: discover as a whole process ---------------------------------------
say "figure 2: $PROC_RUNS runs (+$PROC_WARM warm-up) each"
if [[ -n "$hf_version" ]]; then
  timeout 900 hyperfine -N --style basic --warmup "$PROC_WARM" --runs "$PROC_RUNS" \
    --export-json "$RESULTS/fig2.json" \
    -n "mcp-auth discover" "$MCP_AUTH_BIN discover $url" \
    -n "node + SDK" "$NODE $here/sdk-discover-process.mjs $url" >&2 || die "hyperfine failed"
else
  say "hyperfine is not installed (apt-get install -y hyperfine); timing with bench/startup.py --until-exit"
  timeout 900 python3 "$here/startup.py" --until-exit --runs "$PROC_RUNS" --warmup "$PROC_WARM" \
    --label "mcp-auth discover" -- "$MCP_AUTH_BIN" discover "$url" >"$RESULTS/fig2-engine.json" || die "figure 2 (mcp-auth) failed"
  timeout 900 python3 "$here/startup.py" --until-exit --runs "$PROC_RUNS" --warmup "$PROC_WARM" \
    --label "node + SDK" -- "$NODE" "$here/sdk-discover-process.mjs" "$url" >"$RESULTS/fig2-sdk.json" || die "figure 2 (SDK) failed"
fi

# --- Figure 3: start to the sign-in URL ---------------------------------------------
# No browser may ever open: no display, BROWSER=true (honoured by xdg-open, which
# mcp-remote's `open` package runs), and no-op stand-ins for every opener
# mcp-remote falls back to, first on PATH. (mcp-remote also tries /usr/bin/xdg-open
# by absolute path; that one honours BROWSER too.) mcp-auth is told to print.
shim="$tmp/no-browser"
mkdir -p "$shim"
for b in xdg-open gio x-www-browser sensible-browser www-browser gnome-open kde-open open; do
  printf '#!/bin/sh\nexit 0\n' >"$shim/$b"
  chmod +x "$shim/$b"
done
no_browser=(env -u DISPLAY -u WAYLAND_DISPLAY BROWSER=true "PATH=$shim:$PATH")

say "figure 3: $START_RUNS runs (+$START_WARM warm-up) each, mcp-auth then mcp-remote"
timeout 900 "${no_browser[@]}" python3 "$here/startup.py" --runs "$START_RUNS" --warmup "$START_WARM" --timeout 30 \
  --label "mcp-auth login" --marker "Open this link in your browser to sign in:" \
  -- "$MCP_AUTH_BIN" login "$url" --browser print >"$RESULTS/fig3-engine.json" || die "figure 3 (mcp-auth) failed"
timeout 1800 "${no_browser[@]}" python3 "$here/startup.py" --runs "$START_RUNS" --warmup "$START_WARM" --timeout 60 \
  --label "mcp-remote" --marker "Please authorize this client by visiting:" --fresh-env MCP_REMOTE_CONFIG_DIR \
  -- "$NODE" "$MCP_REMOTE_JS" "$url" >"$RESULTS/fig3-remote.json" || die "figure 3 (mcp-remote) failed"

kill "$server_pid" 2>/dev/null || true
wait "$server_pid" 2>/dev/null || true
server_pid=""
# The server writes its request counts (per method and path, whole run) on exit.
cp "$tmp/server.err" "$RESULTS/server-requests.json" 2>/dev/null || true

say "raw results in $RESULTS"
set +e
python3 "$here/report.py" "$RESULTS"
status=$?
set -e
if (( status == 3 )); then
  [[ "${BENCH_STRICT:-}" == 1 ]] && exit 3
  exit 0
fi
exit "$status"
