#!/usr/bin/env bash
# Interop with oidc-provider 9 (a strict, OpenID Certified authorization server
# with a real login and consent page) and an MCP resource server beside it that
# verifies JWT access tokens (JWKS, issuer, audience = its MCP URL, expiry) and
# refuses revoked ones. Drives the real `mcp-auth` binary with `--browser print`
# and a scripted browser (browser.mjs) that fills the login and consent forms.
#
#   (a) public client via DCR: login, tools, call, refresh after expiry,
#       revoke, the revoked token gets 401, status says needs_sign_in
#   (d) RFC 9207: `iss` is in the authorization response; a wrong or missing
#       `iss` is refused and the code is never redeemed
#   (b) pre-registered confidential client (client_secret_basic), its secret
#       kept in the keychain via `mcp-auth secret set`
#   (c) a resource the authorization server does not know: sign-in fails cleanly
#   (e) a Client ID Metadata Document (https on 127.0.0.1, a throwaway test CA)
#       as the client id: no registration, no secret
#   (f) sign-in from another device (RFC 8628): the code confirmed on the
#       provider's own pages, the device_code grant polled until approval
#   and: no secret or token lands in a file
#
# The resource server cannot ask oidc-provider's introspection endpoint about
# its JWT access tokens (it answers unsupported_token_type for structured
# tokens), so it checks that the token's grant is still alive; revoking the
# refresh token ends the grant.
#
# Needs MCP_AUTH_BIN; runs itself inside scripts/with-keyring when not already.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../../.."
if [ -z "${MCP_AUTH_TEST_TMP:-}" ]; then exec scripts/with-keyring "$here/run.sh" "$@"; fi
SUITE=oidc-provider
. tests/interop/lib.sh
interop_init

# 15 s: short enough to wait out, long enough that a token the client judged fresh
# (a margin of half its life) does not expire in flight on a loaded machine.
TTL=${ACCESS_TOKEN_TTL:-15}
read -r ISSUER_PORT MCP_PORT MCP2_PORT REDIRECT_PORT CIMD_PORT CIMD_REDIRECT_PORT <<<"$(free_ports 6)"
ISSUER="http://127.0.0.1:$ISSUER_PORT"
URL="http://127.0.0.1:$MCP_PORT/mcp"
URL2="http://127.0.0.1:$MCP2_PORT/mcp"
CONF_ID=confidential-app
CONF_REDIRECT="http://127.0.0.1:$REDIRECT_PORT/callback"
SECRET=LEAKCANARY-cs-$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')
printf '%s\n' "$SECRET" | mark_secrets
SLOG="$LOGS/oidc-server.log"

# (e) a Client ID Metadata Document over https on 127.0.0.1, from a throwaway
# test CA made here (its keys live in the temp dir and die with it).
CIMD_URL="https://127.0.0.1:$CIMD_PORT/client.json"
tls="$LOGS/tls"; mkdir -p "$tls"
if command -v openssl >/dev/null && (
  set -e
  timeout 20 openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -keyout "$tls/ca.key" -out "$tls/ca.pem" -subj "/CN=mcp-auth interop test CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
  timeout 20 openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$tls/server.key" -out "$tls/server.csr" -subj "/CN=127.0.0.1"
  printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$tls/ext.cnf"
  timeout 20 openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" \
    -CAcreateserial -days 1 -extfile "$tls/ext.cnf" -out "$tls/server.pem"
) >"$LOGS/openssl.log" 2>&1; then
  cimd_env=(CIMD_PORT="$CIMD_PORT" CIMD_CERT="$tls/server.pem" CIMD_KEY="$tls/server.key"
            CIMD_REDIRECT_URI="http://127.0.0.1:$CIMD_REDIRECT_PORT/callback" NODE_EXTRA_CA_CERTS="$tls/ca.pem")
else
  cimd_env=()
fi

env "${cimd_env[@]}" ISSUER_PORT=$ISSUER_PORT MCP_PORT=$MCP_PORT MCP2_PORT=$MCP2_PORT ACCESS_TOKEN_TTL=$TTL \
  CONF_CLIENT_ID=$CONF_ID CONF_CLIENT_SECRET="$SECRET" CONF_REDIRECT_URI="$CONF_REDIRECT" \
  timeout 900 "$NODE" tests/interop/oidc/server.mjs >"$LOGS/oidc-server.out" 2>"$SLOG" &
PIDS+=($!)
# Up to 60 s for READY (node loading oidc-provider with a cold disk cache takes
# seconds), and no wait at all once the server has exited.
for _ in $(seq 600); do
  grep -q READY "$LOGS/oidc-server.out" 2>/dev/null && break
  kill -0 "${PIDS[-1]}" 2>/dev/null || break
  sleep 0.1
done
if ! grep -q READY "$LOGS/oidc-server.out" || ! wait_port "$MCP_PORT" 20; then
  fail "start oidc-provider and the MCP servers" "$(tail -c 600 "$SLOG" | tr '\n' ' ')"; interop_finish; exit 1
fi

# How many provider log lines match an extended regex.
seen() { grep -cE "$1" "$SLOG"; }

# login_browser NAME [mcp-auth login args...]: `mcp-auth login ... --browser print`
# in the background; the URL it prints on stderr goes to browser.mjs on stdin
# (env BROWSER_ISS passes through). Returns mcp-auth's exit status.
login_browser() {
  local name="$1"; shift
  timeout 90 "$M" login "$@" --browser print --timeout 60 >"$LOGS/$name.json" 2>"$LOGS/$name.err" &
  local lp=$! url="" i
  for ((i = 0; i < 300; i++)); do
    url=$(sed -n '/Open this link in your browser to sign in:/{n;p;q}' "$LOGS/$name.err" 2>/dev/null)
    case "$url" in http://*|https://*) sleep 0.1; url=$(sed -n '/Open this link in your browser to sign in:/{n;p;q}' "$LOGS/$name.err" 2>/dev/null); break;; esac
    url=""
    kill -0 "$lp" 2>/dev/null || break
    sleep 0.1
  done
  if [ -n "$url" ]; then
    if ! printf '%s\n' "$url" | timeout 60 "$NODE" tests/interop/oidc/browser.mjs \
        >"$LOGS/$name.browser.json" 2>"$LOGS/$name.browser.err"; then
      kill "$lp" 2>/dev/null   # the response never reached the listener: don't wait 60 s
    fi
  else
    echo '{"ok": false, "why": "mcp-auth printed no authorization URL"}' >"$LOGS/$name.browser.json"
  fi
  wait "$lp"
}

# --- (a) public client via Dynamic Client Registration ------------------------
login_browser a-login "$URL"; rc=$?
check "a: login via DCR through the real login + consent pages (exit $rc)" \
  "$rc == 0 and d['status'] == 'success' and d['grant']['client_source'] == 'registered' and d['grant']['issuer'] == '$ISSUER' and d['grant']['resource'] == '$URL'" \
  "$LOGS/a-login.json"
check "a: the browser went through login and consent" "d['ok'] and d['forms'] == ['login', 'consent']" "$LOGS/a-login.browser.json"
if [ "$(seen '^LOG registration POST -> 201 .*"token_endpoint_auth_method":"none"')" -ge 1 ] \
   && [ "$(seen "^LOG authorization GET -> 303 .*resource=\"$URL\" .*code_challenge_method=S256 state=present")" -ge 1 ] \
   && [ "$(seen "^LOG token POST -> 200 client_auth=none .*grant_type=authorization_code resource=\"$URL\" .*code_verifier=present")" -ge 1 ]; then
  ok "a: DCR (public client), PKCE S256, state and resource=<MCP URL> on both requests"
else
  fail "a: DCR (public client), PKCE S256, state and resource=<MCP URL> on both requests" "$(grep -E '^LOG (registration|authorization|token) ' "$SLOG" | tail -4 | tr '\n' ' ')"
fi
run_json a-tools "$M" tools "$URL" --browser print --timeout 5
check "a: tools lists echo" "any(t['name'] == 'echo' for t in d['tools'])" "$LOGS/a-tools.json"
run_json a-call "$M" call "$URL" echo '{"text":"hi"}' --browser print --timeout 5
check "a: call echo answers hi" "d['result']['content'][0]['text'] == 'hi'" "$LOGS/a-call.json"

# The access token lives $TTL s: take it, wait until it has expired, take it again.
t1=$(timeout 30 "$M" token "$URL" 2>"$LOGS/a-token1.err")
aud=$(printf '%s' "$t1" | jwt_claim aud 2>/dev/null)
exp=$(printf '%s' "$t1" | jwt_claim exp 2>/dev/null)
if [ "$aud" = "$URL" ]; then ok "a: the access token is a JWT whose aud is the MCP URL"; else fail "a: the access token is a JWT whose aud is the MCP URL" "aud=$aud"; fi
refreshes_before=$(seen '^LOG token POST -> 200 .*grant_type=refresh_token')
rotations_before=$(seen '^LOG refresh_token.consumed')
case "$exp" in ''|*[!0-9]*) exp=$(( $(date +%s) + TTL ));; esac
wait_s=$(( exp - $(date +%s) + 1 )); [ "$wait_s" -gt 0 ] && [ "$wait_s" -le 60 ] && sleep "$wait_s"
t2=$(timeout 30 "$M" token "$URL" 2>"$LOGS/a-token2.err")
[ "$(mcp_status_with "$t1" "$URL")" = 401 ] && expired_401=yes || expired_401=no
refreshes_after=$(seen '^LOG token POST -> 200 .*grant_type=refresh_token')
rotations_after=$(seen '^LOG refresh_token.consumed')
if [ -n "$t2" ] && [ "$t2" != "$t1" ] && [ "$refreshes_after" -gt "$refreshes_before" ] \
   && [ "$rotations_after" -gt "$rotations_before" ] && [ "$expired_401" = yes ]; then
  ok "a: token after expiry refreshes (refresh_token grant, refresh token rotated, a new token)"
else
  fail "a: token after expiry refreshes (refresh_token grant, refresh token rotated, a new token)" \
    "changed=$([ "$t2" != "$t1" ] && echo yes || echo no) refresh grants $refreshes_before -> $refreshes_after, rotations $rotations_before -> $rotations_after, expired token got 401: $expired_401; $(tr '\n' ' ' <"$LOGS/a-token2.err")"
fi
before=$(mcp_status_with "$t2" "$URL")
run_json a-revoke "$M" revoke "$URL"
check "a: revoke is confirmed by the server (RFC 7009)" "d['status'] == 'revoked' and d['server_confirmed'] is True" "$LOGS/a-revoke.json"
after=$(mcp_status_with "$t2" "$URL")
if [ "$before" = 200 ] && [ "$after" = 401 ]; then ok "a: the MCP server answers 401 to the revoked token"
else fail "a: the MCP server answers 401 to the revoked token" "before revoke: $before, after: $after"; fi
run_json a-status "$M" status "$URL"
check "a: status says needs_sign_in" "d['state'] == 'needs_sign_in'" "$LOGS/a-status.json"

# --- (d) RFC 9207 authorization response issuer identifier -------------------
curl -s -m 10 "$ISSUER/.well-known/oauth-authorization-server" >"$LOGS/as-metadata.json"
check "d: the provider advertises authorization_response_iss_parameter_supported" \
  "d['authorization_response_iss_parameter_supported'] is True and d['issuer'] == '$ISSUER'" "$LOGS/as-metadata.json"
check "d: the authorization response carried iss=<issuer>" \
  "'iss' in d['response_params'] and d['iss'] == '$ISSUER' and d['code_present']" "$LOGS/a-login.browser.json"
for mode in tamper strip; do
  codes_before=$(seen '^LOG token POST .*grant_type=authorization_code')
  BROWSER_ISS=$mode login_browser "d-$mode" "$URL"; rc=$?
  codes_after=$(seen '^LOG token POST .*grant_type=authorization_code')
  delivered=$(jsonget "$LOGS/d-$mode.browser.json" "d['ok'] and d['code_present']")
  what=$([ $mode = tamper ] && echo "a wrong iss" || echo "a missing iss")
  if [ "$delivered" = True ] && [ $rc -ne 0 ] && [ $rc -ne 124 ] && [ "$codes_after" -eq "$codes_before" ]; then
    ok "d: $what is refused and the code is not redeemed"
  else
    fail "d: $what is refused and the code is not redeemed" \
      "delivered=$delivered exit=$rc code redemptions $codes_before -> $codes_after; $(tail -3 "$LOGS/d-$mode.err" | tr '\n' ' ')"
  fi
done

# --- (b) pre-registered confidential client, client_secret_basic ------------
# The same MCP URL, now under its own name: drop case (a)'s entry first (`servers
# add` of a URL already listed keeps the old entry and its name).
run_json b-remove "$M" servers remove "$URL"
run_json b-add "$M" servers add "$URL" --name conf; rc=$?
if [ $rc -eq 0 ] && [ "$(jsonget "$LOGS/b-add.json" "d['name']")" = conf ]; then ok "b: servers add <url> --name conf"
else fail "b: servers add <url> --name conf" "exit $rc: $(cat "$LOGS/b-add.json" "$LOGS/b-add.err" | tr '\n' ' ' | head -c 400)"; fi
printf '%s\n' "$SECRET" | timeout 30 "$M" secret set conf --client-id "$CONF_ID" >"$LOGS/b-secret.json" 2>"$LOGS/b-secret.err"; rc=$?
if [ $rc -eq 0 ]; then ok "b: secret set reads the secret from stdin into the keychain"
else fail "b: secret set reads the secret from stdin into the keychain" "exit $rc: $(tr '\n' ' ' <"$LOGS/b-secret.err")"; fi
basic_before=$(seen "^LOG token POST -> 200 client_auth=client_secret_basic client_id=$CONF_ID registered_auth=client_secret_basic grant_type=authorization_code")
login_browser b-login conf --redirect-uri "$CONF_REDIRECT" --scope "openid mcp:tools"; rc=$?
check "b: login with the pre-registered confidential client (exit $rc)" \
  "$rc == 0 and d['status'] == 'success' and d['grant']['client_id'] == '$CONF_ID'" "$LOGS/b-login.json"
check "b: the ID token names the account (openid): alice@oidc.example" \
  "d['grant'].get('account') == 'alice@oidc.example'" "$LOGS/b-login.json"
run_json b-status "$M" status conf
check "b: status says whose sign-in it is" "d['account'] == 'alice@oidc.example'" "$LOGS/b-status.json"
basic_after=$(seen "^LOG token POST -> 200 client_auth=client_secret_basic client_id=$CONF_ID registered_auth=client_secret_basic grant_type=authorization_code")
if [ "$basic_after" -gt "$basic_before" ]; then ok "b: the token request authenticated with HTTP Basic (client_secret_basic)"
else fail "b: the token request authenticated with HTTP Basic (client_secret_basic)" "$(grep -E '^LOG token ' "$SLOG" | tail -2 | tr '\n' ' ')"; fi
run_json b-tools "$M" tools conf --browser print --timeout 5
check "b: tools works with the confidential client's token" "any(t['name'] == 'echo' for t in d['tools'])" "$LOGS/b-tools.json"

# --- (c) a resource the authorization server does not know ----------------------
tokens_before=$(seen "^LOG token POST .*resource=\"$URL2\"")
start=$(date +%s)
login_browser c-login "$URL2"; rc=$?
took=$(( $(date +%s) - start ))
rejected=$(seen "^LOG resource.rejected resource=$URL2\$")
tokens_after=$(seen "^LOG token POST .*resource=\"$URL2\"")
browser_error=$(jsonget "$LOGS/c-login.browser.json" "d.get('error')")
if [ $rc -ne 0 ] && [ $rc -ne 124 ] && [ "$rejected" -ge 1 ] && [ "$tokens_after" -eq "$tokens_before" ] \
   && grep -q invalid_target "$LOGS/c-login.err" "$LOGS/c-login.json" && ! grep -qi panick "$LOGS/c-login.err"; then
  ok "c: sign-in for a resource the provider does not know fails cleanly (invalid_target, ${took}s)"
else
  fail "c: sign-in for a resource the provider does not know fails cleanly" \
    "exit=$rc in ${took}s, provider rejected resource: $rejected, browser saw error=$browser_error; $(tail -3 "$LOGS/c-login.err" | tr '\n' ' ')"
fi
run_json c-status "$M" status "$URL2"
check "c: no grant was stored for it" "d['state'] == 'needs_sign_in'" "$LOGS/c-status.json"

# --- (e) Client ID Metadata Document (https on loopback, test CA) --------------
if [ ${#cimd_env[@]} -eq 0 ]; then
  echo "skip e: Client ID Metadata Document (could not make a test CA: $(tail -1 "$LOGS/openssl.log"))"
else
  check "e: the provider advertises client_id_metadata_document_supported" \
    "d.get('client_id_metadata_document_supported') is True" "$LOGS/as-metadata.json"
  run_json e-remove "$M" servers remove conf
  fetched_before=$(seen '^LOG cimd GET /client.json$')
  registrations_before=$(seen '^LOG registration POST')
  login_browser e-login "$URL" --client-metadata-url "$CIMD_URL" --port "$CIMD_REDIRECT_PORT"; rc=$?
  fetched_after=$(seen '^LOG cimd GET /client.json$')
  registrations_after=$(seen '^LOG registration POST')
  check "e: login with a Client ID Metadata Document as client_id (exit $rc)" \
    "$rc == 0 and d['status'] == 'success' and d['grant']['client_id'] == '$CIMD_URL'" "$LOGS/e-login.json"
  if [ "$fetched_after" -gt "$fetched_before" ] && [ "$registrations_after" -eq "$registrations_before" ] \
     && [ "$(seen "^LOG token POST -> 200 client_auth=none client_id=$CIMD_URL .*grant_type=authorization_code")" -ge 1 ]; then
    ok "e: the provider fetched the document; no registration, no secret"
  else
    fail "e: the provider fetched the document; no registration, no secret" \
      "fetches $fetched_before -> $fetched_after, registrations $registrations_before -> $registrations_after; $(grep -E '^LOG (cimd|authorization|token|registration) ' "$SLOG" | tail -3 | tr '\n' ' ')"
  fi
  run_json e-tools "$M" tools "$URL" --browser print --timeout 5
  check "e: tools works with the CIMD client's token" "any(t['name'] == 'echo' for t in d['tools'])" "$LOGS/e-tools.json"
fi

# --- (f) sign-in from another device (RFC 8628 device authorization grant) ------
# `login --browser device` prints a code and a page; the scripted person opens
# the page (the code filled in) on "another device", confirms it, logs in and
# consents on the provider's own pages; the command polls until then.
run_json f-remove "$M" servers remove "$URL"
device_before=$(seen '^LOG token POST -> 200 .*grant_type=urn:ietf:params:oauth:grant-type:device_code')
timeout 90 "$M" login "$URL" --browser device --timeout 60 >"$LOGS/f-login.json" 2>"$LOGS/f-login.err" &
lp=$!; page=""
for _ in $(seq 300); do
  page=$(sed -n 's/^(or open \(http[^ ]*\), which has the code filled in)$/\1/p' "$LOGS/f-login.err" 2>/dev/null)
  [ -n "$page" ] && break
  kill -0 "$lp" 2>/dev/null || break
  sleep 0.1
done
if [ -n "$page" ]; then
  printf '%s\n' "$page" | BROWSER_DEVICE=1 timeout 60 "$NODE" tests/interop/oidc/browser.mjs \
    >"$LOGS/f-login.browser.json" 2>"$LOGS/f-login.browser.err" || kill "$lp" 2>/dev/null
else
  echo '{"ok": false, "why": "mcp-auth printed no device page"}' >"$LOGS/f-login.browser.json"
fi
wait "$lp"; rc=$?
check "f: login --browser device: the code confirmed on the provider's pages, then signed in (exit $rc)" \
  "$rc == 0 and d['status'] == 'success' and d['grant']['issuer'] == '$ISSUER' and d['grant']['resource'] == '$URL'" "$LOGS/f-login.json"
check "f: the person went through the code, login and consent pages to the provider's success page" \
  "d['ok'] and d['page'] == 'Sign-in Success' and 'login' in d['forms'] and 'consent' in d['forms']" "$LOGS/f-login.browser.json"
device_after=$(seen '^LOG token POST -> 200 .*grant_type=urn:ietf:params:oauth:grant-type:device_code')
if [ "$device_after" -gt "$device_before" ] && grep -qE '^    [A-Z0-9-]{4,}$' "$LOGS/f-login.err"; then
  ok "f: the code was printed and the tokens came from the device_code grant"
else
  fail "f: the code was printed and the tokens came from the device_code grant" "device grants $device_before -> $device_after; $(head -c 400 "$LOGS/f-login.err" | tr '\n' ' ')"
fi
run_json f-tools "$M" tools "$URL" --browser print --timeout 5
check "f: tools works with the device grant's token" "any(t['name'] == 'echo' for t in d['tools'])" "$LOGS/f-tools.json"

# --- no secret and no token in any file ----------------------------------------
found=$(printf '%s\n%s\n%s\n' "$SECRET" "$t1" "$t2" | leaks "${MCP_AUTH_CONFIG_DIR:-/nonexistent}" "$LOGS")
if [ -z "$found" ]; then ok "no client secret or access token in any file (config dir, logs)"
else fail "no client secret or access token in any file (config dir, logs)" "found in: $found"; fi

interop_finish
