#!/usr/bin/env bash
# The .deb, built the way users get it (scripts/bundle; from the debug profile
# here, to reuse the test build), holds what an installed app needs: both
# programs, the desktop entry that claims the app's link scheme (the deep-link
# sign-in depends on it), icons, and the keychain and WebKitGTK dependencies.
set -uo pipefail
cd "$(dirname "$0")/../.."
fails=0; passes=0
ok()   { echo "ok   $1"; passes=$((passes+1)); }
fail() { echo "FAIL $1"; [ -z "${2:-}" ] || echo "     $2"; fails=$((fails+1)); }
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
rm -rf "$target_dir/debug/bundle/deb"
if ! timeout 1500 scripts/bundle deb --debug >/tmp/bundle-check.log 2>&1; then
  tail -30 /tmp/bundle-check.log
  fail "scripts/bundle deb --debug builds"
  echo "bundle: $passes passed, $fails failed"; exit 1
fi
deb=$(ls "$target_dir"/debug/bundle/deb/*.deb 2>/dev/null | head -1)
[ -n "$deb" ] && ok "a .deb is built ($(du -h "$deb" | cut -f1))" || { fail "a .deb is built"; exit 1; }
files=$(dpkg-deb -c "$deb" | sed -E 's/^([^ ]+ +){5}//; s|^\./||')
for f in usr/bin/mcp-auth-manager usr/bin/mcp-auth usr/share/icons/hicolor/32x32/apps/mcp-auth-manager.png \
         usr/share/icons/hicolor/128x128/apps/mcp-auth-manager.png usr/share/icons/hicolor/256x256@2/apps/mcp-auth-manager.png; do
  grep -qxF "$f" <<<"$files" && ok "contains $f" || fail "contains $f" "$(grep -c . <<<"$files") files"
done
desktop=$(grep '^usr/share/applications/.*\.desktop$' <<<"$files" | head -1)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp"
if [ -n "$desktop" ] && grep -q '^MimeType=.*x-scheme-handler/dev\.mcpauth\.manager' "$tmp/$desktop"; then
  ok "the desktop entry claims the dev.mcpauth.manager: scheme"
else
  fail "the desktop entry claims the dev.mcpauth.manager: scheme" "$(cat "$tmp/$desktop" 2>/dev/null | tr '\n' ' ')"
fi
grep -q '^Exec=mcp-auth-manager' "$tmp/$desktop" 2>/dev/null && ok "the desktop entry starts the app" || fail "the desktop entry starts the app"
depends=$(dpkg-deb -f "$deb" Depends)
for d in libwebkit2gtk-4.1 gnome-keyring; do
  grep -q "$d" <<<"$depends" && ok "depends on $d" || fail "depends on $d" "$depends"
done
out=$("$tmp/usr/bin/mcp-auth" --help 2>&1) && grep -q "token" <<<"$out" && ok "the packaged mcp-auth runs" || fail "the packaged mcp-auth runs" "$out"
# The tests' address-class seam (hostile row 41) is compiled into test builds
# only: neither packaged program may carry it.
for prog in mcp-auth mcp-auth-manager; do
  if grep -aq MCP_AUTH_TEST_ADDRESS_CLASSES "$tmp/usr/bin/$prog"; then
    fail "the packaged $prog has no test seam" "it carries MCP_AUTH_TEST_ADDRESS_CLASSES"
  else
    ok "the packaged $prog has no test seam"
  fi
done
echo "bundle: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
