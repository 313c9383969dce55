#!/bin/sh
# The conformance suite's client command: maps the suite's inputs (the MCP URL as
# the last argument, MCP_CONFORMANCE_CONTEXT) onto `mcp-auth` flags, and nothing
# else. It never reads MCP_CONFORMANCE_SCENARIO; the engine decides everything.
#
# --client-metadata-url is always given: the engine uses it only where the
# authorization server says it supports Client ID Metadata Documents.
# A pre-registered client's secret travels in the environment, never on argv;
# a private key, an ID token or a workload token given by the suite goes into a
# file of its own (0600, deleted after), as a person would hand it over.
#
# Context keys and the flags they become:
#   client_id                     --client-id
#   client_secret                 OAUTH_CLIENT_SECRET
#   private_key_pem, signing_algorithm
#                                 --private-key-file, --signing-alg
#   idp_issuer, idp_token_endpoint, idp_client_id, idp_id_token
#                                 --grant enterprise --idp-… --id-token-file
#   valid_jwt (a workload token)  --grant workload --workload-token-file
set -eu
for last; do :; done
url="$last"
bin="${MCP_AUTH_BIN:-mcp-auth}"

set -- call "$url" test-tool '{}' --browser http --timeout 20 \
  --client-metadata-url https://conformance-test.local/client-metadata.json

files=""
if [ -n "${MCP_CONFORMANCE_CONTEXT:-}" ]; then
  files=$(mktemp -d)
  trap 'rm -rf "$files"' EXIT
  # One value per file; the arguments come back one per line.
  args=$(CONTEXT_DIR="$files" python3 - <<'PY'
import json, os
ctx = json.loads(os.environ["MCP_CONFORMANCE_CONTEXT"])
d = os.environ["CONTEXT_DIR"]
def keep(name, value):
    path = os.path.join(d, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(value)
    return path
out = []
if ctx.get("client_id"):
    out += ["--client-id", ctx["client_id"]]
if ctx.get("client_secret"):
    keep("client_secret", ctx["client_secret"])
if ctx.get("private_key_pem"):
    out += ["--private-key-file", keep("key.pem", ctx["private_key_pem"])]
    if ctx.get("signing_algorithm"):
        out += ["--signing-alg", ctx["signing_algorithm"]]
if ctx.get("idp_id_token"):
    out += ["--grant", "enterprise", "--idp-issuer", ctx["idp_issuer"], "--idp-token-endpoint", ctx["idp_token_endpoint"],
            "--idp-client-id", ctx["idp_client_id"], "--id-token-file", keep("id_token", ctx["idp_id_token"])]
if ctx.get("valid_jwt"):
    out += ["--grant", "workload", "--workload-token-file", keep("workload_token", ctx["valid_jwt"])]
print("\n".join(out))
PY
)
  # Newline-separated, and no value holds a newline: split on newlines only.
  old_ifs=$IFS; IFS='
'
  for a in $args; do set -- "$@" "$a"; done
  IFS=$old_ifs
  if [ -f "$files/client_secret" ]; then
    OAUTH_CLIENT_SECRET=$(cat "$files/client_secret")
    export OAUTH_CLIENT_SECRET
  fi
fi
# Each scenario is a new server, however its port came out: a server of an
# earlier scenario that had the same port is forgotten first (its grant would
# otherwise answer for this one, and the scenario would see no sign-in at all).
"$bin" servers remove "$url" >/dev/null 2>&1 || true
"$bin" "$@"
