#!/usr/bin/env bash
# The app against the Tauri floor (bench/floor): start to first paint, idle memory
# and binary size, side by side in one run. Prints a Markdown table on stdout,
# progress on stderr, keeps the raw numbers in bench/results/app/ (git-ignored).
# See bench/README.md, "The app against the Tauri floor".
#
# Build first (release):
#   cargo build --release -p mcp-auth-manager -p tauri-floor
#
# The run happens under Xvfb (1280x800x24) and, inside that, in scripts/with-keyring
# (a private D-Bus session with GNOME Keyring, temporary XDG dirs): Xvfb first, so
# the D-Bus session knows the display (see tests/e2e/run.sh). Started outside
# them, run.sh re-runs itself inside them.
#
# Environment (all optional):
#   MCP_AUTH_APP         default ${CARGO_TARGET_DIR:-$root/target}/release/mcp-auth-manager
#   TAURI_FLOOR_BIN      default ${CARGO_TARGET_DIR:-$root/target}/release/tauri-floor
#   BENCH_BUNDLE_DIR     where to look for the .deb and AppImage (default ${CARGO_TARGET_DIR:-$root/target}/release/bundle)
#   BENCH_APP_RUNS       timed runs per side            (default 10)
#   BENCH_APP_WARMUP     warm-up runs per side          (default 1; the first one also calibrates)
#   BENCH_APP_MEM_RUNS   of the timed runs, how many also measure memory (default 5)
#   BENCH_APP_IDLE       seconds idle before reading memory (default 5)
#   BENCH_APP_CPU_IDLE   seconds over which idle CPU is read, one run per side (default 60; 0: not read)
#   BENCH_APP_TRAY       1 (default where tools/venv has dbus-next): a StatusNotifierWatcher
#                        (tests/e2e/tray_host.py) runs throughout, so the app has its tray icon
#   BENCH_RESULTS        default bench/results/app
#   BENCH_STRICT=1       exit 3 when a target is missed
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if [[ -z "${BENCH_APP_DISPLAY:-}" ]]; then
  printf 'bench/app: re-running under xvfb-run\n' >&2
  export BENCH_APP_DISPLAY=1
  unset BENCH_APP_KEYRING
  exec xvfb-run -a -s "-screen 0 1280x800x24" "$here/run.sh" "$@"
fi
RESULTS="${BENCH_RESULTS:-$root/bench/results/app}"
if [[ -z "${BENCH_APP_KEYRING:-}" ]]; then
  printf 'bench/app: re-running inside scripts/with-keyring on %s\n' "$DISPLAY" >&2
  export BENCH_APP_KEYRING=1
  unset MCP_AUTH_CONFIG_DIR
  # Services the private D-Bus session starts (the accessibility registry…) write
  # to the stdout they inherit: everything inside goes to stderr, and the report
  # is printed from the file measure.py writes.
  rm -f "$RESULTS/report.md"
  "$root/scripts/with-keyring" "$here/run.sh" "$@" >&2 || exit $?
  cat "$RESULTS/report.md"
  exit 0
fi

APP="${MCP_AUTH_APP:-${CARGO_TARGET_DIR:-$root/target}/release/mcp-auth-manager}"
FLOOR="${TAURI_FLOOR_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/tauri-floor}"
BUNDLE_DIR="${BENCH_BUNDLE_DIR:-${CARGO_TARGET_DIR:-$root/target}/release/bundle}"
RUNS="${BENCH_APP_RUNS:-10}"
WARM="${BENCH_APP_WARMUP:-1}"
MEM_RUNS="${BENCH_APP_MEM_RUNS:-5}"
IDLE="${BENCH_APP_IDLE:-5}"
CPU_IDLE="${BENCH_APP_CPU_IDLE:-60}"

die() { printf 'bench/app: %s\n' "$*" >&2; exit 1; }
[[ "$RUNS" =~ ^[0-9]+$ ]] && (( RUNS >= 1 && RUNS <= 200 )) || die "BENCH_APP_RUNS must be a number from 1 to 200"
[[ "$WARM" =~ ^[0-9]+$ ]] && (( WARM >= 1 && WARM <= 20 )) || die "BENCH_APP_WARMUP must be a number from 1 to 20"
[[ "$MEM_RUNS" =~ ^[0-9]+$ ]] && (( MEM_RUNS <= RUNS )) || die "BENCH_APP_MEM_RUNS must be a number from 0 to BENCH_APP_RUNS"
[[ "$IDLE" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "BENCH_APP_IDLE must be a number of seconds"
[[ "$CPU_IDLE" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "BENCH_APP_CPU_IDLE must be a number of seconds"
for b in "$APP" "$FLOOR"; do
  [[ -x "$b" ]] || die "$b is missing; build it: cargo build --release -p mcp-auth-manager -p tauri-floor"
done

# The app is single-instance (a D-Bus name in this private session); measure.py
# waits until each run's processes are gone before the next starts.
# The desktop's tray, as KDE, XFCE or GNOME's AppIndicator extension have it:
# the app then runs with its icon, as it would there. The host reads commands
# on stdin and stops at its end: a pipe from a sleeping process keeps it open.
mkdir -p "$RESULTS"
tray_log=""
py="$root/tools/venv/bin/python"
if [[ "${BENCH_APP_TRAY:-1}" == 1 && -x "$py" ]] && "$py" -c 'import dbus_next' 2>/dev/null; then
  tray_log="$RESULTS/tray-host.out"  # not *.log: measure.py clears those
  exec 3< <(exec sleep 100000)
  sleep_pid=$!
  "$py" "$root/tests/e2e/tray_host.py" <&3 >"$tray_log" 2>&1 &
  tray_pid=$!
  trap 'kill "$tray_pid" "$sleep_pid" 2>/dev/null || true' EXIT
  for _ in $(seq 50); do grep -q ready "$tray_log" 2>/dev/null && break; sleep 0.1; done
fi

set +e
python3 "$here/measure.py" --app "$APP" --floor "$FLOOR" --results "$RESULTS" \
  --runs "$RUNS" --warmup "$WARM" --mem-runs "$MEM_RUNS" --idle "$IDLE" --cpu-idle "$CPU_IDLE" \
  --tray-log "$tray_log" --bundle-dir "$BUNDLE_DIR"
status=$?
set -e
(( status == 0 )) || die "measure.py failed ($status); logs in $RESULTS"
if [[ "${BENCH_STRICT:-}" == 1 ]] && ! python3 -c '
import json, sys
sys.exit(0 if all(json.load(open(sys.argv[1]))["met"].values()) else 1)' "$RESULTS/app.json"; then
  exit 3
fi
