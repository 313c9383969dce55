# Shared helpers for the interop suites (sourced, not run). Every wait is bounded;
# tokens are only ever held in shell variables and handed to other programs on
# standard input (printf is a builtin), never in argv, logs or files.
#
# The caller sets: SUITE (name in the summary line), and calls interop_init first.

interop_init() {
  : "${MCP_AUTH_BIN:?set MCP_AUTH_BIN to the mcp-auth binary}"
  M="$MCP_AUTH_BIN"
  NODE=tools/node_modules/node/bin/node
  # Under the leak scan (scripts/test), the logs stay for tests/leak/scan.py.
  LOGS=$(mktemp -d "${MCP_AUTH_LEAK_DIR:-${TMPDIR:-/tmp}}/interop-$SUITE.XXXXXX")
  PIDS=()
  PASSES=0; FAILS=0
  T0=$(date +%s)
  trap interop_cleanup EXIT
}

interop_cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# free_ports N: N distinct free ports on one line (all held open while they are
# chosen, so no two of them can be the same one).
free_ports() {
  python3 -c '
import socket, sys
held = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in held: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in held))' "$1"
}

# wait_port PORT [tries]: up to tries x 0.1 s for 127.0.0.1:PORT to accept.
wait_port() {
  local i
  for ((i = 0; i < ${2:-100}; i++)); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1',$1),0.2).close()" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

ok()   { echo "ok   $1"; PASSES=$((PASSES+1)); }
fail() { echo "FAIL $1"; [ -z "${2:-}" ] || echo "     $2"; FAILS=$((FAILS+1)); }

# check NAME PYTHON-PREDICATE FILE: FILE holds JSON bound to d.
check() {
  local name="$1" pred="$2" file="$3"
  if python3 - "$file" "$pred" <<'EOF' 2>>"$LOGS/check.err"
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception:
    d = None
sys.exit(0 if d is not None and eval(sys.argv[2]) else 1)
EOF
  then ok "$name"; else fail "$name" "$(head -c 600 "$file" 2>/dev/null | tr '\n' ' ')"; fi
}

# jsonget FILE EXPR: print a Python expression over d (the JSON in FILE).
jsonget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null; }

# jwt_claim CLAIM: reads a JWT on stdin, prints one claim of its payload.
jwt_claim() {
  python3 -c '
import base64, json, sys
p = sys.stdin.read().strip().split(".")[1]
p += "=" * (-len(p) % 4)
print(json.loads(base64.urlsafe_b64decode(p)).get(sys.argv[1]))' "$1"
}

# mcp_status_with TOKEN URL: HTTP status of a raw MCP initialize with that bearer
# token (the token goes to curl on stdin, never in argv).
mcp_status_with() {
  printf 'Authorization: Bearer %s\n' "$1" | curl -s -o /dev/null -w '%{http_code}' -m 10 -H @- \
    -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' \
    -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"interop-curl","version":"1"}}}' "$2"
}

# run_json NAME CMD...: runs an mcp-auth command with a time limit; stdout to
# $LOGS/NAME.json, stderr to $LOGS/NAME.err; returns its exit status.
run_json() {
  local name="$1"; shift
  timeout 60 "$@" >"$LOGS/$name.json" 2>"$LOGS/$name.err"
}

# leaks DIR...: reads secrets (one a line) on stdin; prints the files under the
# DIRs that contain any of them (nothing when none does).
leaks() {
  python3 -c '
import os, sys
needles = [l.encode() for l in sys.stdin.read().split("\n") if len(l) > 8]
hits = set()
for root in sys.argv[1:]:
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            try:
                data = open(p, "rb").read()
            except OSError:
                continue
            if any(n in data for n in needles):
                hits.add(p)
print(" ".join(sorted(hits)))' "$@"
}

# mark_secrets: reads secrets (one a line) on stdin into the leak scan's markers
# file ($MCP_AUTH_LEAK_DIR/markers, the one file allowed to hold them).
mark_secrets() {
  if [ -n "${MCP_AUTH_LEAK_DIR:-}" ]; then grep -E '.{8,}' >>"$MCP_AUTH_LEAK_DIR/markers"; else cat >/dev/null; fi
}

# print_logs: every log of this run, for a failure report (no tokens are in them).
print_logs() {
  local f
  echo "---- logs in $LOGS ----"
  for f in "$LOGS"/*; do
    [ -f "$f" ] || continue
    echo "== ${f##*/}"
    tail -n 60 "$f"
  done
}

interop_finish() {
  local secs=$(( $(date +%s) - T0 ))
  echo "($SUITE took ${secs}s)"
  if [ "$FAILS" -ne 0 ]; then print_logs; fi
  echo "$SUITE: $PASSES passed, $FAILS failed"
  [ "$FAILS" -eq 0 ] && [ -z "${MCP_AUTH_LEAK_DIR:-}" ] && rm -rf "$LOGS"
  [ "$FAILS" -eq 0 ]
}
