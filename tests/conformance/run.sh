#!/usr/bin/env bash
# The official MCP conformance suite in client mode: the `auth` suite (14
# scenarios), the `draft` suite (resource-mismatch, offline-access-*), and the two
# 2025-03-26 back-compat scenarios one by one; then, from the newer suite
# (0.2.0-alpha.12, `conformance-next` in tools/), every auth scenario the
# 2026-07-28 revision requires and the two back-compat ones, the four grant
# extensions (client credentials, enterprise, workload), the MCP client scenarios of
# the 2026-07-28 revision through `mcp-auth tools`/`call` (mcp-client.sh), and
# the two that also exist in 2025 revisions at those revisions (initialize and
# sessions), the header scenarios through `mcp-auth bridge` (bridge-client.sh),
# and the DPoP scenarios through it after a sign-in (bridge-signed-in-client.sh).
# Every check must be SUCCESS or SKIPPED (a WARNING fails too).
# Per-scenario checks.json land in target/conformance/.
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
  local log="$out/$(echo "$suite_js $*" | tr ' /' '__' | tail -c 120).log"
  # A scenario passes when the suite says so and no check failed or warned.
  # --timeout: a suite runs its scenarios all at once (14 clients on a 2-core
  # machine, one keychain); the suite's 30 s per client is not enough there.
  if timeout 600 "$node" "$suite_js" client --command "$client" --timeout 120000 -o "$out" "$@" >"$log" 2>&1 \
     && ! grep -qE "[1-9][0-9]* failed|[1-9][0-9]* warnings" "$log"; then
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

suite_js=tools/node_modules/conformance-next/dist/index.js
# Every auth scenario the 2026-07-28 revision requires (the suite's own frozen
# list, not the extensions it only reports), at that revision's wire; and the
# two 2025-03-26 back-compat scenarios at theirs.
required_auth=$("$node" "$suite_js" list --client --requirements 2026-07-28 2>/dev/null \
  | sed '/never scored/q' | grep -oE '^  - auth/[a-z0-9-]+' | sed 's/^  - //')
[ -n "$required_auth" ] || { echo "the newer suite listed no auth scenario"; status=1; }
for s in $required_auth; do
  echo "$s (2026-07-28):"; run --scenario "$s" --spec-version 2026-07-28
done
for s in auth/2025-03-26-oauth-metadata-backcompat auth/2025-03-26-oauth-endpoint-fallback; do
  echo "$s (2025-03-26, newer suite):"; run --scenario "$s" --spec-version 2025-03-26
done
# The auth extensions (io.modelcontextprotocol/auth/*): the grants without a
# person (client credentials with a secret and with private_key_jwt,
# enterprise-managed SEP-990, workload identity SEP-1933) and DPoP-bound
# tokens (SEP-1932), with and without the servers' nonces.
for s in auth/client-credentials-basic auth/client-credentials-jwt auth/enterprise-managed-authorization auth/wif-jwt-bearer \
         auth/dpop auth/dpop-nonce; do
  echo "$s (extension):"; run --scenario "$s"
done

client="$PWD/tests/conformance/mcp-client.sh"
for s in tools_call request-metadata http-standard-headers http-custom-headers http-invalid-tool-headers \
         json-schema-ref-no-deref json-schema-2020-12-preservation sep-2322-client-request-state; do
  echo "$s (2026-07-28):"; run --scenario "$s" --spec-version 2026-07-28
done
for v in 2025-06-18 2025-11-25; do
  echo "tools_call ($v):"; run --scenario tools_call --spec-version "$v"
done
echo "json-schema-2020-12-preservation (2025-11-25):"
run --scenario json-schema-2020-12-preservation --spec-version 2025-11-25
# The header scenarios again with `mcp-auth bridge` in the middle: the Python
# SDK's 2.x client on stdio, the bridge sending the headers for it.
client="$PWD/tests/conformance/bridge-client.sh"
for s in tools_call http-standard-headers http-custom-headers; do
  echo "$s through mcp-auth bridge (2026-07-28):"; run --scenario "$s" --spec-version 2026-07-28
done
# The DPoP scenarios again with `mcp-auth bridge` in the middle: signed in
# once, then the Python SDK's client on stdio; the bridge (a process of its
# own, with no nonce yet) must prove every request it relays.
client="$PWD/tests/conformance/bridge-signed-in-client.sh"
for s in auth/dpop auth/dpop-nonce; do
  echo "$s through mcp-auth bridge (extension):"; run --scenario "$s"
done
exit $status
