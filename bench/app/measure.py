#!/usr/bin/env python3
"""Start-up and idle memory of the app against the Tauri floor (bench/app/run.sh).

Runs under an X server (xvfb-run) and inside scripts/with-keyring. For each
side it starts the binary, then reads pixels off the screen over the X protocol
(bench/app/x11.py) until the expected purple (#4f46e5) shows at the calibrated
points, and records the times from just before the spawn:

  mapped   the first MapNotify of a top-level window at least 1000x700
  top      floor only: the top-right "Add server" button of its page is painted
  list     app only: the empty-state card's "Add a server" button is painted,
           i.e. list_servers has answered and the list view is drawn

First paint is `list` for the app and `top` for the floor. Memory: after the
paint, IDLE seconds idle, then Pss from /proc/PID/smaps_rollup summed over the
binary's process and all its descendants (WebKitWebProcess, WebKitNetworkProcess…).
Idle CPU: one more run per side, after the timed ones: IDLE seconds after the
paint, the CPU time (utime + stime, /proc/PID/stat) of the same process tree
over CPU_IDLE seconds, as a share of one core (the app with its background
renewal task, and its tray icon where run.sh started a tray host).

Usage: measure.py --app BIN --floor BIN --results DIR [--runs N] [--warmup N]
                  [--mem-runs N] [--idle S] [--cpu-idle S] [--tray-log F] [--timeout S]
Writes DIR/app.json and the Markdown report to DIR/report.md (run.sh prints it:
services the D-Bus session starts, such as the accessibility registry, inherit
this process's stdout and write to it).
"""

import argparse
import glob
import json
import math
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the repository
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import x11  # noqa: E402

PURPLE = (0x4F, 0x46, 0xE5)
TOLERANCE = 8          # per channel
POLL_PERIOD = 0.002    # s between pixel polls (the loop also wakes on X events)
WIN_W, WIN_H = 1040, 720


def say(*a):
    print("bench/app:", *a, file=sys.stderr, flush=True)


def is_purple(rgb):
    return all(abs(a - b) <= TOLERANCE for a, b in zip(rgb, PURPLE))


# ---------------------------------------------------------------- processes

def proc_table():
    """pid -> (ppid, comm, state) for every process."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            s = open(f"/proc/{d}/stat").read()
        except OSError:
            continue
        comm = s[s.index("(") + 1:s.rindex(")")]
        rest = s[s.rindex(")") + 2:].split()
        out[int(d)] = (int(rest[1]), comm, rest[0])
    return out


def descendants(pid, table=None):
    table = table or proc_table()
    children = {}
    for p, (pp, _, _) in table.items():
        children.setdefault(pp, []).append(p)
    out, todo = [], [pid]
    while todo and len(out) < 1000:
        p = todo.pop()
        for c in children.get(p, []):
            out.append(c)
            todo.append(c)
    return out


def alive(pid):
    try:
        s = open(f"/proc/{pid}/stat").read()
    except OSError:
        return False
    return s[s.rindex(")") + 2] not in "ZX"


def memory_kb(pid):
    """Pss, Rss and Uss (Private_Clean + Private_Dirty) from smaps_rollup, in kB."""
    fields = {}
    try:
        for line in open(f"/proc/{pid}/smaps_rollup"):
            k, _, v = line.partition(":")
            if k in ("Pss", "Rss", "Private_Clean", "Private_Dirty"):
                fields[k] = int(v.split()[0])
    except OSError:
        return None
    if "Pss" not in fields:
        return None
    return {"pss_kb": fields["Pss"], "rss_kb": fields.get("Rss", 0),
            "uss_kb": fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)}


def cpu_ticks(pids):
    """pid -> utime + stime in clock ticks, for those still there."""
    out = {}
    for p in pids:
        try:
            s = open(f"/proc/{p}/stat").read()
        except OSError:
            continue
        rest = s[s.rindex(")") + 2:].split()
        out[p] = int(rest[11]) + int(rest[12])  # fields 14 and 15
    return out


def idle_cpu(proc, span):
    """The share of one core the process tree used over `span` seconds, and
    by process name. A process that ends meanwhile keeps its last reading
    (none does in an idle app); one that starts counts whole."""
    table = proc_table()
    before = cpu_ticks([proc.pid] + descendants(proc.pid, table))
    t = time.monotonic()
    time.sleep(span)
    table_after = proc_table()
    after = cpu_ticks([proc.pid] + descendants(proc.pid, table_after))
    wall = time.monotonic() - t
    hz = os.sysconf("SC_CLK_TCK")
    used = {p: after.get(p, v) - v for p, v in before.items()}
    used.update({p: v for p, v in after.items() if p not in before})
    by = {}
    for p, ticks in used.items():
        name = (table_after.get(p) or table.get(p) or (0, "?", ""))[1]
        by[name] = by.get(name, 0) + ticks / hz / wall * 100
    return sum(used.values()) / hz / wall * 100, by


def foreign_webkit(tree, table):
    """Live processes outside the measured tree that map WebKitGTK: they share
    the libraries' pages, which lowers the measured PSS."""
    out = []
    for p, (_, _, state) in table.items():
        if p in tree or state in "ZX" or p == os.getpid():
            continue
        try:
            with open(f"/proc/{p}/maps") as f:
                if any("libwebkit2gtk" in line for line in f):
                    out.append(p)
        except OSError:
            pass
    return sorted(out)


def stop(proc):
    """SIGTERM the process, then SIGKILL whatever of its tree is left, by pid,
    and wait (bounded) until every one of them is gone."""
    tree = [proc.pid] + descendants(proc.pid)
    for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        for p in tree:
            if alive(p):
                try:
                    os.kill(p, sig)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            proc.poll()
            if not any(alive(p) for p in tree):
                return tree
            time.sleep(0.02)
    left = [p for p in tree if alive(p)]
    raise RuntimeError(f"processes {left} would not exit")


# ---------------------------------------------------------------- calibration

def components(shot, x0, y0, x1, y1):
    """Connected components (4-neighbour) of purple pixels inside a rectangle."""
    seen, comps = set(), []
    for y in range(y0, y1):
        row = shot[y]
        for x in range(x0, x1):
            if (x, y) in seen or not is_purple(row[x]):
                continue
            comp, todo = [], [(x, y)]
            seen.add((x, y))
            while todo:
                cx, cy = todo.pop()
                comp.append((cx, cy))
                for nx, ny in ((cx + 1, cy), (cx - 1, cy), (cx, cy + 1), (cx, cy - 1)):
                    if x0 <= nx < x1 and y0 <= ny < y1 and (nx, ny) not in seen and is_purple(shot[ny][nx]):
                        seen.add((nx, ny))
                        todo.append((nx, ny))
            xs, ys = [p[0] for p in comp], [p[1] for p in comp]
            comps.append({"n": len(comp), "bbox": (min(xs), min(ys), max(xs), max(ys))})
    return comps


def probe_points(shot, comp):
    """Two points inside a button, its left and right padding at mid-height:
    the first and last x on that row whose 5x5 neighbourhood is all purple."""
    x0, y0, x1, y1 = comp["bbox"]
    y = (y0 + y1) // 2

    def interior(x):
        return all(is_purple(shot[y + dy][x + dx]) for dx in range(-2, 3) for dy in range(-2, 3))

    xs = [x for x in range(x0 + 2, x1 - 1) if interior(x)]
    if not xs:
        raise RuntimeError(f"no solid purple inside the component at {comp['bbox']}")
    return [(xs[0] + 1, y), (xs[-1] - 1, y)]


def find_targets(shot, kind, screen_w, screen_h):
    """The calibrated points, from a screenshot of the finished window."""
    wx, wy = (screen_w - WIN_W) // 2, (screen_h - WIN_H) // 2
    comps = components(shot, wx, wy, wx + WIN_W, wy + WIN_H)
    top = [c for c in comps if c["bbox"][3] < wy + 80 and c["bbox"][0] > wx + WIN_W // 2 and c["n"] >= 200]
    targets = {}
    if top:
        targets["top"] = {"bbox": max(top, key=lambda c: c["n"])["bbox"]}
        targets["top"]["points"] = probe_points(shot, max(top, key=lambda c: c["n"]))
    elif kind != "app":
        return None
    # The app's empty window has no purple button in its top bar (the empty
    # list's "Add a server" is then the only Add): its target is that one.
    if kind == "app":
        below = [c for c in comps if c["bbox"][1] > wy + 120 and c["n"] >= 200]
        if not below:
            return None
        best = max(below, key=lambda c: c["n"])
        targets["list"] = {"bbox": best["bbox"], "points": probe_points(shot, best)}
    targets["window_origin"] = (wx, wy)
    return targets


def save_ppm(shot, path):
    with open(path, "wb") as f:
        f.write(f"P6 {len(shot[0])} {len(shot)} 255\n".encode())
        for row in shot:
            f.write(bytes(v for px in row for v in px))


# ---------------------------------------------------------------- one run

class Side:
    def __init__(self, kind, binary, results):
        self.kind, self.binary, self.results = kind, binary, results
        self.targets = None
        self.runs = []


def spawn(side, tmp_root):
    cfg = tempfile.mkdtemp(prefix=f"cfg-{side.kind}-", dir=tmp_root)
    env = dict(os.environ, MCP_AUTH_CONFIG_DIR=cfg)
    log = open(os.path.join(side.results, f"{side.kind}.log"), "ab")
    t0 = time.monotonic()
    proc = subprocess.Popen([side.binary], env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    log.close()
    return proc, t0, cfg


def wait_screen_clear(disp, side, limit=5.0):
    """Before a run: none of the side's points may still be purple."""
    pts = [p for k in ("top", "list") if k in side.targets for p in side.targets[k]["points"]]
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if not any(is_purple(disp.pixel(*p)) for p in pts):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{side.kind}: the screen still shows a window from the last run")


def calibrate(disp, side, tmp_root, timeout):
    """First warm-up run: wait until the window is finished, screenshot, find points."""
    proc, t0, _ = spawn(side, tmp_root)
    try:
        deadline = t0 + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"{side.kind} exited with {proc.returncode} during calibration (see {side.kind}.log)")
            time.sleep(0.25)
            shot = disp.screenshot()
            targets = find_targets(shot, side.kind, disp.width, disp.height)
            if targets:
                time.sleep(1.0)  # let it settle, then take the screenshot that counts
                shot = disp.screenshot()
                targets = find_targets(shot, side.kind, disp.width, disp.height) or targets
                save_ppm(shot, os.path.join(side.results, f"{side.kind}-calibration.ppm"))
                side.targets = targets
                say(f"{side.kind}: calibrated after {time.monotonic() - t0:.1f} s:",
                    ", ".join(f"{k} at {v['points']} (button {v['bbox']})" for k, v in targets.items() if k != "window_origin"))
                return
        save_ppm(disp.screenshot(), os.path.join(side.results, f"{side.kind}-calibration-failed.ppm"))
        raise RuntimeError(f"{side.kind}: no purple button found within {timeout} s")
    finally:
        stop(proc)


def run_once(disp, side, tmp_root, timeout, idle, with_memory, cpu_span=0.0):
    wait_screen_clear(disp, side)
    disp.events.clear()
    disp.pump(0)
    disp.events.clear()
    sizes, res = {}, {"mapped": None, "top": None, "list": None}
    wanted = [k for k in ("top", "list") if k in side.targets]
    polls = []  # monotonic time of each completed pixel poll
    gap = {}
    proc, t0, cfg = spawn(side, tmp_root)
    try:
        deadline = t0 + timeout
        while time.monotonic() < deadline:
            for k in wanted:
                if res[k] is None and all(is_purple(disp.pixel(*p)) for p in side.targets[k]["points"]):
                    res[k] = time.monotonic()
                    # how stale the previous look was: the uncertainty of this time
                    gap[k] = res[k] - (polls[-1] if polls else t0)
            polls.append(time.monotonic())
            for when, ev in disp.events:
                code = ev[0] & 0x7F
                if code == x11.CREATE_NOTIFY:
                    win = int.from_bytes(ev[8:12], "little")
                    sizes[win] = (int.from_bytes(ev[16:18], "little"), int.from_bytes(ev[18:20], "little"))
                elif code == x11.CONFIGURE_NOTIFY:
                    win = int.from_bytes(ev[8:12], "little")
                    sizes[win] = (int.from_bytes(ev[20:22], "little"), int.from_bytes(ev[22:24], "little"))
                elif code == x11.MAP_NOTIFY and res["mapped"] is None:
                    win = int.from_bytes(ev[8:12], "little")
                    w, h = sizes.get(win, (0, 0))
                    if w >= 1000 and h >= 700:
                        res["mapped"] = when
            disp.events.clear()
            if all(res[k] is not None for k in wanted):
                break
            if proc.poll() is not None:
                raise RuntimeError(f"{side.kind} exited with {proc.returncode} before painting (see {side.kind}.log)")
            disp.pump(POLL_PERIOD)
        else:
            raise RuntimeError(f"{side.kind}: not painted within {timeout} s: {res}")
        gaps = [b - a for a, b in zip(polls, polls[1:])]
        run = {k: (v - t0) * 1000 if v is not None else None for k, v in res.items()}
        run["first_paint"] = run["list"] if side.kind == "app" else run["top"]
        run["poll_gap_ms"] = {"median": pct(gaps, 50) * 1000, "max": max(gaps) * 1000} if gaps else None
        run["first_paint_uncertainty_ms"] = gap["list" if side.kind == "app" else "top"] * 1000
        if with_memory:
            time.sleep(idle)
            table = proc_table()
            procs = []
            tree = [proc.pid] + descendants(proc.pid, table)
            for p in tree:
                m = memory_kb(p)
                if m is not None:
                    procs.append(dict(pid=p, comm=table[p][1], **m))
            for k in ("pss_kb", "rss_kb", "uss_kb"):
                run[k] = sum(p[k] for p in procs)
            run["processes"] = procs
            run["foreign_webkit"] = foreign_webkit(set(tree), table)
        if cpu_span:
            time.sleep(idle)
            run["cpu_pct"], run["cpu_by_process"] = idle_cpu(proc, cpu_span)
        return run
    finally:
        stop(proc)
        shutil.rmtree(cfg, ignore_errors=True)


# ---------------------------------------------------------------- stats + report

def pct(xs, p):
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, math.ceil(p / 100 * len(s)) - 1))]


def median(xs):
    s, n = sorted(xs), len(xs)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def ms_cell(xs, bold=True):
    if not xs:
        return "—"
    m = f"{median(xs):.0f} ms"
    return f"{'**' + m + '**' if bold else m} ({min(xs):.0f} – {max(xs):.0f})"


def mib_cell(kbs):
    return f"**{median(kbs) / 1024:.0f} MiB** ({min(kbs) / 1024:.0f} – {max(kbs) / 1024:.0f})"


def mb(n):
    return f"{n / 1e6:.1f} MB"


def import_cost(points, n=5):
    """What one `import -window root -crop 1x1+X+Y txt:-` costs (the method the
    issue suggested), for comparison with the X-protocol poll."""
    if not shutil.which("import"):
        return None
    x, y = points[0]
    times = []
    for _ in range(n):
        t = time.monotonic()
        subprocess.run(["import", "-window", "root", "-crop", f"1x1+{x}+{y}", "txt:-"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
        times.append((time.monotonic() - t) * 1000)
    return median(times)


def webkit_version():
    """The WebKitGTK package's version, from dpkg when there is one."""
    if not shutil.which("dpkg-query"):
        return None
    r = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "libwebkit2gtk-4.1-0"],
                       capture_output=True, text=True, timeout=30)
    return r.stdout.strip() or None


def report(data):
    app, floor = data["app"], data["floor"]
    out = []
    fa = [r["first_paint"] for r in app["runs"]]
    ff = [r["first_paint"] for r in floor["runs"]]
    ma = [r["pss_kb"] for r in app["runs"] if "pss_kb" in r]
    mf = [r["pss_kb"] for r in floor["runs"] if "pss_kb" in r]
    r_paint = median(fa) / median(ff)
    r_mem = median(ma) / median(mf) if ma and mf else None
    size_a, size_f = app["binary_bytes"], floor["binary_bytes"]
    yes = lambda ok: "yes" if ok else "**no**"  # noqa: E731
    build = "debug build(s)!" if any("/debug/" in side["binary"] for side in (app, floor)) else "release builds"
    out.append(f"The app against the Tauri floor (bench/floor), {build}, under Xvfb 1280x800x24: "
               f"{len(fa)} timed runs each after {data['warmup']} warm-up, interleaved; memory in the first "
               f"{len(ma)} of them. Median (min – max).")
    out.append("")
    out.append("| figure | app | floor | app / floor | target | met? |")
    out.append("| --- | --- | --- | --- | --- | --- |")
    out.append(f"| Start to first paint (app: server list painted; floor: page painted) | {ms_cell(fa)} | {ms_cell(ff)} "
               f"| {r_paint:.2f}× | ≤ 1.2× | {yes(r_paint <= 1.2)} |")
    if r_mem is not None:
        out.append(f"| Idle memory, PSS of all processes, {data['idle_s']:g} s after paint | {mib_cell(ma)} | {mib_cell(mf)} "
                   f"| {r_mem:.2f}× | ≤ 1.3× | {yes(r_mem <= 1.3)} |")
    else:
        out.append("| Idle memory | not measured | not measured | — | ≤ 1.3× | — |")
    out.append(f"| Release binary | **{mb(size_a)}** | {mb(size_f)} | {size_a / size_f:.2f}× | < 20 MB | {yes(size_a < 20e6)} |")
    ca, cf = app.get("cpu"), floor.get("cpu")
    if ca and cf:
        # The floor may use next to nothing: a ratio says little there, the target is absolute.
        out.append(f"| Idle CPU over {data['cpu_idle_s']:g} s, all processes, share of one core | **{ca['cpu_pct']:.2f} %** "
                   f"| {cf['cpu_pct']:.2f} % | — | < 1 % | {yes(ca['cpu_pct'] < 1.0)} |")
    for label, path in data["bundles"].items():
        out.append(f"| {label} | {mb(os.path.getsize(path)) if path else 'not built'} | — | — | — | — |")
    out.append("")
    out.append("Where the start-up time goes (process start to…):")
    out.append("")
    out.append("| | window mapped | top bar / page painted | server list painted |")
    out.append("| --- | --- | --- | --- |")
    for name, side in (("app", app), ("floor", floor)):
        cells = []
        for k in ("mapped", "top", "list"):
            xs = [r[k] for r in side["runs"] if r.get(k) is not None]
            cells.append(ms_cell(xs, bold=False) if xs else "—")
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    out.append("")
    procs = {}
    for name, side in (("app", app), ("floor", floor)):
        by = {}
        for r in side["runs"]:
            for p in r.get("processes", []):
                by.setdefault(p["comm"], []).append(p["pss_kb"])
        procs[name] = ", ".join(f"{c} {median(v) / 1024:.0f}" for c, v in sorted(by.items(), key=lambda kv: -median(kv[1])))
    out.append(f"PSS by process, MiB (median): app: {procs['app']}; floor: {procs['floor']}.")
    if ca and cf:
        words = lambda by: ", ".join(f"{n} {v:.2f} %" for n, v in sorted(by.items(), key=lambda kv: -kv[1]))  # noqa: E731
        out.append(f"Idle CPU by process (one run each, {data['idle_s']:g} s after the paint): app: {words(ca['cpu_by_process'])}; "
                   f"floor: {words(cf['cpu_by_process'])}.")
    if data.get("tray_registrations") is not None:
        out.append(f"Tray: a StatusNotifierWatcher (tests/e2e/tray_host.py) ran for the whole run; the app's icon registered with it "
                   f"{data['tray_registrations']} times over the app's starts in this run.")
    ua = [r["uss_kb"] for r in app["runs"] if "uss_kb" in r]
    uf = [r["uss_kb"] for r in floor["runs"] if "uss_kb" in r]
    ra = [r["rss_kb"] for r in app["runs"] if "rss_kb" in r]
    rf = [r["rss_kb"] for r in floor["runs"] if "rss_kb" in r]
    if ua and uf:
        out.append(f"Same runs, USS (private pages only, independent of other processes): app {median(ua) / 1024:.0f} MiB, "
                   f"floor {median(uf) / 1024:.0f} MiB ({median(ua) / median(uf):.2f}×); RSS summed: app "
                   f"{median(ra) / 1024:.0f} MiB, floor {median(rf) / 1024:.0f} MiB.")
    foreign = sorted({p for s in (app, floor) for r in s["runs"] for p in r.get("foreign_webkit", [])})
    if foreign:
        out.append(f"**Other processes mapping WebKitGTK were running during the memory runs (pids {', '.join(map(str, foreign))}): "
                   "they share the libraries' pages, so both PSS figures are lower than on a quiet machine; USS is not affected.**")
    out.append("")
    gaps = [r["poll_gap_ms"]["median"] for s in (app, floor) for r in s["runs"] if r.get("poll_gap_ms")]
    gmax = max(r["poll_gap_ms"]["max"] for s in (app, floor) for r in s["runs"] if r.get("poll_gap_ms"))
    unc = [r["first_paint_uncertainty_ms"] for s in (app, floor) for r in s["runs"]]
    res = (f"Resolution: one pixel read over the X protocol takes {data['pixel_read_us']:.0f} µs; "
           f"the poll loop read every {median(gaps):.1f} ms (median gap; longest {gmax:.0f} ms); the look before "
           f"the one that saw the first paint was {median(unc):.1f} ms earlier (median; at most {max(unc):.1f} ms), "
           "which bounds each first-paint time's error")
    if data.get("import_ms"):
        res += f" (one `import -window root -crop 1x1+X+Y txt:-` takes {data['import_ms']:.0f} ms)"
    out.append(res + ".")
    pts = "; ".join(f"{n} {k} {side['targets'][k]['points']}" for n, side in (("app", app), ("floor", floor))
                    for k in ("top", "list") if k in side["targets"])
    out.append(f"Points polled (must all be #4f46e5 ±{TOLERANCE}): {pts}.")
    out.append(f"Machine: {data['machine']['cpus']} CPUs, load average before the run {data['machine']['loadavg']}, "
               f"{data['machine']['kernel']}, WebKitGTK {data['machine'].get('webkitgtk') or 'unknown'}.")
    if data["machine"].get("env"):
        out.append("Rendering environment: " + ", ".join(f"`{k}={v}`" for k, v in sorted(data["machine"]["env"].items())) + ".")
    warn = [b for b in (data["app"]["binary"], data["floor"]["binary"]) if "/debug/" in b]
    if warn:
        out.append(f"**Warning: debug build(s): {', '.join(warn)}.**")
    met = {"first_paint": r_paint <= 1.2, "memory": r_mem is None or r_mem <= 1.3, "binary": size_a < 20e6,
           "idle_cpu": not ca or ca["cpu_pct"] < 1.0}
    return "\n".join(out), met


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--app", required=True)
    ap.add_argument("--floor", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--mem-runs", type=int, default=5)
    ap.add_argument("--idle", type=float, default=5.0)
    ap.add_argument("--cpu-idle", type=float, default=60.0)
    ap.add_argument("--tray-log", default="")
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--bundle-dir", default="")
    a = ap.parse_args()
    if not (1 <= a.runs <= 1000 and 0 <= a.warmup <= 100 and 0 <= a.mem_runs <= a.runs):
        sys.exit("bad --runs/--warmup/--mem-runs")
    os.makedirs(a.results, exist_ok=True)
    for f in glob.glob(os.path.join(a.results, "*.log")):
        os.remove(f)
    loadavg = open("/proc/loadavg").read().split()[:3]
    tmp_root = tempfile.mkdtemp(prefix="bench-app-", dir=os.environ.get("MCP_AUTH_TEST_TMP"))
    disp = x11.Display()
    disp.watch_root()

    sides = {k: Side(k, b, a.results) for k, b in (("app", a.app), ("floor", a.floor))}
    for s in sides.values():
        calibrate(disp, s, tmp_root, a.timeout)
        for i in range(a.warmup - 1):
            run_once(disp, s, tmp_root, a.timeout, a.idle, False)
    # Timed runs, interleaved (app, floor / floor, app / …) so that a change in the
    # machine's load hits both sides alike.
    for i in range(a.runs):
        order = ("app", "floor") if i % 2 == 0 else ("floor", "app")
        for k in order:
            r = run_once(disp, sides[k], tmp_root, a.timeout, a.idle, i < a.mem_runs)
            sides[k].runs.append(r)
            say(f"run {i + 1}/{a.runs} {k}: mapped {r['mapped']:.0f} ms"
                + (f", top {r['top']:.0f} ms" if r.get("top") is not None else "")
                + (f", list {r['list']:.0f} ms" if r.get("list") is not None else "")
                + (f", PSS {r['pss_kb'] / 1024:.0f} MiB" if "pss_kb" in r else ""))
    cpu = {}
    if a.cpu_idle > 0:
        for k in ("app", "floor"):
            cpu[k] = run_once(disp, sides[k], tmp_root, a.timeout, a.idle, False, a.cpu_idle)
            say(f"idle CPU {k}: {cpu[k]['cpu_pct']:.2f} % of one core over {a.cpu_idle:g} s")
    t = time.monotonic()
    for _ in range(1000):
        disp.pixel(0, 0)
    pixel_us = (time.monotonic() - t) * 1000
    imp = import_cost(sides["floor"].targets["top"]["points"])
    bundles = {}
    for label, pat in (("deb package", "deb/*.deb"), ("AppImage", "appimage/*.AppImage")):
        found = sorted(glob.glob(os.path.join(a.bundle_dir, pat))) if a.bundle_dir else []
        found = [f for f in found if "mcp" in os.path.basename(f).lower()] or found
        bundles[label] = max(found, key=os.path.getmtime) if found else None
    data = {
        "warmup": a.warmup,
        "idle_s": a.idle,
        "cpu_idle_s": a.cpu_idle,
        "tray_registrations": (open(a.tray_log).read().count('"registered"') if a.tray_log and os.path.exists(a.tray_log) else None),
        "pixel_read_us": pixel_us,
        "import_ms": imp,
        "bundles": bundles,
        "machine": {"cpus": os.cpu_count(), "loadavg": " ".join(loadavg),
                    "kernel": platform.release(), "webkitgtk": webkit_version(),
                    "env": {k: v for k, v in os.environ.items()
                            if k.startswith(("WEBKIT_", "LIBGL_", "GALLIUM_", "MESA_", "GDK_", "GSK_"))}},
    }
    for k, s in sides.items():
        data[k] = {"binary": s.binary, "binary_bytes": os.path.getsize(s.binary),
                   "targets": s.targets, "runs": s.runs, "cpu": cpu.get(k)}
    text, data["met"] = report(data)
    with open(os.path.join(a.results, "app.json"), "w") as f:
        json.dump(data, f, indent=1)
    shutil.rmtree(tmp_root, ignore_errors=True)
    with open(os.path.join(a.results, "report.md"), "w") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()
