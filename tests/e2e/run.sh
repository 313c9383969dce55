#!/usr/bin/env bash
# End-to-end tests on the real app: a WebKitGTK window under Xvfb, a real
# keychain (GNOME Keyring in a private D-Bus session), WebDriver via WebKitWebDriver.
# Xvfb comes first, so the D-Bus session (and the desktop portal it starts for
# WebKitGTK) knows the display; the other way round, portal calls can hang.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${MCP_AUTH_E2E_DISPLAY:-}" ]; then
  export MCP_AUTH_E2E_DISPLAY=1
  exec xvfb-run -a -s "-screen 0 1280x800x24" "$0" "$@"
fi
if [ -z "${MCP_AUTH_TEST_TMP:-}" ]; then
  exec scripts/with-keyring "$0" "$@"
fi
exec python3 tests/e2e/run.py "$@"
