#!/usr/bin/env bash
# `mcp-auth token <server>` with a stored grant, two builds side by side in one
# run: what a keychain change costs (or saves) a program that asks for a token
# before each of its requests. Both binaries read the very same keychain items
# and server list (one sign-in, made by BEFORE: the newer build must read what
# the older one stored), in interleaved rounds, so drift on the machine falls
# on both columns alike.
#
#   scripts/with-keyring bench/keychain.sh BEFORE_BIN AFTER_BIN [ROUNDS] [RUNS_PER_ROUND]
#
# Prints a Markdown table on stdout; progress on stderr. Needs Node (scripts/setup).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
if [[ -z "${MCP_AUTH_TEST_TMP:-}" ]]; then
  exec "$root/scripts/with-keyring" "$here/keychain.sh" "$@"
fi
before="${1:?the binary before}"; after="${2:?the binary after}"
rounds="${3:-5}"; runs="${4:-20}"
[[ "$rounds" =~ ^[0-9]+$ && "$runs" =~ ^[0-9]+$ ]] && (( rounds >= 1 && rounds <= 100 && runs >= 1 && runs <= 1000 )) \
  || { echo "rounds 1–100, runs 1–1000" >&2; exit 2; }
NODE="${NODE:-$root/tools/node_modules/node/bin/node}"
say() { printf 'bench/keychain: %s\n' "$*" >&2; }
tmp="$(mktemp -d)"; server_pid=""
cleanup() { [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

"$NODE" "$here/server.mjs" 0 >"$tmp/server.out" 2>"$tmp/server.err" &
server_pid=$!
port=""
for _ in $(seq 1 100); do # at most 10 s
  port="$(awk '/^listening /{print $2; exit}' "$tmp/server.out")"
  [[ -n "$port" ]] && break
  sleep 0.1
done
[[ -n "$port" ]] || { cat "$tmp/server.err" >&2; say "the server did not start"; exit 1; }
url="http://127.0.0.1:$port/mcp"

"$before" login "$url" --browser http --timeout 30 >"$tmp/login.json"
name="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["server"])' "$tmp/login.json")"
first="$("$before" token "$name")"
[[ "$first" == "$("$after" token "$name")" ]] || { say "the two builds read different tokens"; exit 1; }

for r in $(seq 1 "$rounds"); do
  say "round $r of $rounds ($runs runs each)"
  for side in before after; do
    bin="${!side}"
    timeout 600 python3 "$here/startup.py" --until-exit --runs "$runs" --warmup 3 --label "$side" \
      -- "$bin" token "$name" >"$tmp/$side.$r.json"
  done
done
[[ "$first" == "$("$after" token "$name")" ]] || { say "the grant was refreshed during the run"; exit 1; }

python3 - "$tmp" "$rounds" "$before" "$after" <<'PY'
import json, statistics, sys, os
tmp, rounds = sys.argv[1], int(sys.argv[2])
def samples(side):
    out = []
    for r in range(1, rounds + 1):
        out += json.load(open(os.path.join(tmp, f"{side}.{r}.json")))["samples_ms"]
    return sorted(out)
def rank(s, q):
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]
b, a = samples("before"), samples("after")
print("| `mcp-auth token` (stored grant, whole process) | median | p10 – p90 | n |")
print("| --- | --- | --- | --- |")
for label, s, path in (("before", b, sys.argv[3]), ("after", a, sys.argv[4])):
    print(f"| {label} (`{os.path.basename(path)}`) | **{statistics.median(s):.2f} ms** | {rank(s, .1):.2f} – {rank(s, .9):.2f} ms | {len(s)} |")
print(f"\nafter / before: {statistics.median(a) / statistics.median(b):.2f}×")
PY
