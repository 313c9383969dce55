#!/usr/bin/env python3
"""Time a command from process start to the sign-in URL it prints (figure 3).

Usage:
  startup.py --runs N --marker TEXT [--warmup W] [--timeout S]
             [--fresh-env VAR ...] [--label NAME] -- COMMAND ARG...
  startup.py --runs N --until-exit [--warmup W] [--timeout S] -- COMMAND ARG...

For each run: start COMMAND in its own process group (stdout and stderr merged
into one pipe, stdin an open pipe so that a stdio proxy does not see EOF), read
its output until the line containing TEXT *and the line after it* (the URL) are
complete, record the elapsed wall-clock time since just before the spawn, then
kill the whole process group (SIGTERM, then SIGKILL after 2 s). Each run gets a
fresh temporary directory; every VAR given with --fresh-env (and HOME) is
pointed at it, so nothing is reused between runs. The directory is removed
afterwards.

With --until-exit (the fallback for figures 2, 4 and 5 when hyperfine is not
installed) each run is timed from just before the spawn to the process's exit
instead (stdin and stdout /dev/null); a non-zero exit status fails the benchmark.
HOME is left alone there; every VAR given with --fresh-env is pointed at a fresh
empty temporary directory per run (removed afterwards).

Prints one JSON object: {"label","median_ms","p10_ms","p90_ms","min_ms","max_ms","n","warmup","samples_ms"}.
Exits non-zero (and prints the command's output) if a run does not print the
marker within --timeout seconds or exits before it.
"""

import argparse
import json
import math
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time


def kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=2)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=5)


def one_run(cmd, marker, timeout, fresh_env):
    home = tempfile.mkdtemp(prefix="mcp-auth-bench-")
    env = dict(os.environ)
    env["HOME"] = home
    for var in fresh_env:
        env[var] = home
    out = b""
    try:
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        try:
            fd = proc.stdout.fileno()
            deadline = start + timeout
            needle = marker.encode()
            while True:
                left = deadline - time.perf_counter()
                if left <= 0:
                    raise RuntimeError(f"no marker within {timeout} s")
                ready, _, _ = select.select([fd], [], [], left)
                if not ready:
                    continue
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise RuntimeError(f"exited (status {proc.wait(timeout=5)}) before the marker")
                out += chunk
                at = out.find(needle)
                if at >= 0:
                    # The marker line ends, then the URL line must end too.
                    first_nl = out.find(b"\n", at)
                    if first_nl >= 0 and out.find(b"\n", first_nl + 1) >= 0:
                        elapsed = time.perf_counter() - start
                        url_line = out[first_nl + 1 : out.find(b"\n", first_nl + 1)].strip()
                        if not url_line.startswith(b"http"):
                            raise RuntimeError(f"the line after the marker is not a URL: {url_line[:200]!r}")
                        return elapsed * 1000.0, url_line.decode(errors="replace")
        finally:
            kill_group(proc)
    except Exception as e:  # report the command's output with the failure
        sys.stderr.write(f"startup.py: {' '.join(cmd)}: {e}\n--- output ---\n{out.decode(errors='replace')}\n")
        raise
    finally:
        shutil.rmtree(home, ignore_errors=True)


def one_run_until_exit(cmd, timeout, fresh_env):
    env = None
    fresh = None
    if fresh_env:
        fresh = tempfile.mkdtemp(prefix="mcp-auth-bench-")
        env = dict(os.environ)
        for var in fresh_env:
            env[var] = fresh
    try:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, env=env, start_new_session=True)
        # A blocking wait, with a watchdog for the time-out: Popen.wait(timeout=…)
        # polls with sleeps that double up to 50 ms, which rounded every exit up
        # to the next poll (runs of 9 ms and 16 ms both read as about 16 ms).
        watchdog = threading.Timer(timeout, kill_group, args=(proc,))
        watchdog.start()
        try:
            code = proc.wait()
        finally:
            watchdog.cancel()
        elapsed = time.perf_counter() - start
        if elapsed >= timeout:
            raise RuntimeError(f"{' '.join(cmd)}: still running after {timeout} s")
    finally:
        if fresh:
            shutil.rmtree(fresh, ignore_errors=True)
    if code != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit status {code}")
    return elapsed * 1000.0, ""


def stats(samples):
    s = sorted(samples)
    n = len(s)
    median = s[(n - 1) // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2

    def rank(p):
        return s[min(n - 1, max(0, math.ceil(p / 100 * n) - 1))]

    r3 = lambda x: round(x, 3)  # noqa: E731
    return {
        "median_ms": r3(median),
        "p10_ms": r3(rank(10)),
        "p90_ms": r3(rank(90)),
        "min_ms": r3(s[0]),
        "max_ms": r3(s[-1]),
        "n": n,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--marker")
    ap.add_argument("--until-exit", action="store_true", help="time to process exit, not to a marker")
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--fresh-env", action="append", default=[])
    ap.add_argument("--label", default="")
    ap.add_argument("--show-url", action="store_true", help="print the first URL seen on stderr")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd
    if not cmd or not (1 <= a.runs <= 1000) or not (0 <= a.warmup <= 100):
        ap.error("need a command after --, 1 <= --runs <= 1000 and 0 <= --warmup <= 100")
    if bool(a.marker) == a.until_exit:
        ap.error("give exactly one of --marker TEXT and --until-exit")

    def run():
        if a.until_exit:
            return one_run_until_exit(cmd, a.timeout, a.fresh_env)
        return one_run(cmd, a.marker, a.timeout, a.fresh_env)

    for _ in range(a.warmup):
        run()
    samples = []
    for i in range(a.runs):
        ms, url = run()
        if i == 0 and a.show_url and url:
            sys.stderr.write(f"{a.label or cmd[0]}: {url}\n")
        samples.append(ms)
    result = {"label": a.label, **stats(samples), "warmup": a.warmup, "samples_ms": [round(x, 3) for x in samples]}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
