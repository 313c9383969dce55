#!/usr/bin/env bash
# End-to-end tests on the real app: a WebKitGTK window under Xvfb, a real
# keychain (GNOME Keyring in a private D-Bus session), WebDriver via tauri-driver.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${MCP_AUTH_TEST_TMP:-}" ]; then
  exec scripts/with-keyring "$0" "$@"
fi
exec xvfb-run -a -s "-screen 0 1280x800x24" python3 tests/e2e/run.py "$@"
