#!/usr/bin/env python3
"""Turn the raw results of bench/run.sh into the Markdown that goes into
docs/benchmarks.md.

Usage: report.py RESULTS_DIR

RESULTS_DIR holds what run.sh wrote:
  fig1-engine.json, fig1-sdk.json        {"median_ms","p10_ms","p90_ms","min_ms","max_ms","n",...}
  fig2.json                              hyperfine --export-json (two results: mcp-auth, then SDK)
    or fig2-engine.json, fig2-sdk.json   startup.py --until-exit (when hyperfine is missing)
  fig3-engine.json, fig3-remote.json     startup.py
  fig4.json                              hyperfine --export-json (two results: mcp-auth login, then SDK)
    or fig4-engine.json, fig4-sdk.json   startup.py --until-exit
  fig5.json                              hyperfine --export-json (one result: mcp-auth token)
    or fig5-engine.json                  startup.py --until-exit
  machine.json                           what run.sh learned about the machine and the tools
"""

import json
import math
import os
import sys


def stats_ms(samples_ms):
    """Median (mean of the two middle values for even n), p10/p90 by nearest rank."""
    s = sorted(samples_ms)
    n = len(s)
    median = s[(n - 1) // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2

    def rank(p):
        return s[min(n - 1, max(0, math.ceil(p / 100 * n) - 1))]

    return {"median_ms": median, "p10_ms": rank(10), "p90_ms": rank(90), "min_ms": s[0], "max_ms": s[-1], "n": n}


def load(d, name):
    with open(os.path.join(d, name)) as f:
        return json.load(f)


def fmt_ms(x):
    if x < 1:
        return f"{x:.3f} ms"
    if x < 10:
        return f"{x:.2f} ms"
    return f"{x:.1f} ms"


def cell(r):
    return f"**{fmt_ms(r['median_ms'])}** ({fmt_ms(r['p10_ms'])} – {fmt_ms(r['p90_ms'])})"


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: report.py RESULTS_DIR")
    d = sys.argv[1]
    m = load(d, "machine.json")

    f1e, f1s = load(d, "fig1-engine.json"), load(d, "fig1-sdk.json")
    if os.path.exists(os.path.join(d, "fig2.json")):
        hf = load(d, "fig2.json")["results"]
        f2e = stats_ms([t * 1000 for t in hf[0]["times"]])
        f2s = stats_ms([t * 1000 for t in hf[1]["times"]])
        f2_tool = f"hyperfine {m.get('hyperfine', '')}".strip()
    else:
        f2e, f2s = load(d, "fig2-engine.json"), load(d, "fig2-sdk.json")
        f2_tool = "bench/startup.py --until-exit (hyperfine not installed)"
    f3e, f3r = load(d, "fig3-engine.json"), load(d, "fig3-remote.json")

    def process_figure(base, names):
        """hyperfine's per-run times if it ran, else startup.py --until-exit's results."""
        if os.path.exists(os.path.join(d, f"{base}.json")):
            hf = load(d, f"{base}.json")["results"]
            return [stats_ms([t * 1000 for t in r["times"]]) for r in hf], f"hyperfine {m.get('hyperfine', '')}".strip()
        return [load(d, f"{base}-{n}.json") for n in names], "bench/startup.py --until-exit (hyperfine not installed)"

    (f4e, f4s), f4_tool = process_figure("fig4", ["engine", "sdk"])
    (f5e,), f5_tool = process_figure("fig5", ["engine"])

    rows = []

    def row(name, ours, theirs, other_name, need_ratio, abs_limit_ms=None):
        ratio = theirs["median_ms"] / ours["median_ms"]
        ok = ratio >= need_ratio
        target = f"≥ {need_ratio}× (mcp-auth ≤ 1/{need_ratio} of {other_name})"
        if abs_limit_ms is not None:
            ok = ok and ours["median_ms"] < abs_limit_ms
            target = f"mcp-auth < {abs_limit_ms} ms and ≥ {need_ratio}×"
        n = ours["n"] if ours["n"] == theirs["n"] else f"{ours['n']} / {theirs['n']}"
        rows.append(
            f"| {name} | {cell(ours)} | {other_name}: {cell(theirs)} | {n} | {ratio:.1f}× | {target} | {'yes' if ok else '**no**'} |"
        )
        return ok

    def alone(name, ours, abs_limit_ms):
        ok = ours["median_ms"] < abs_limit_ms
        rows.append(f"| {name} | {cell(ours)} | — | {ours['n']} | — | < {abs_limit_ms} ms | {'yes' if ok else '**no**'} |")
        return ok

    results = [
        row("1. discovery + registration, per iteration in one process (probe, PRM, AS metadata, DCR)",
            f1e, f1s, "SDK", 4),
        row("2. `mcp-auth discover` as a whole process vs a Node script doing the same 3 steps with the SDK",
            f2e, f2s, "Node + SDK", 20),
        row("3. `mcp-auth login --browser print`, process start to the printed sign-in URL",
            f3e, f3r, "mcp-remote", 20, abs_limit_ms=25),
        row("4. whole headless sign-in as a whole process: discovery, registration, authorize, token, `tools/list` "
            "(`mcp-auth login --browser http` vs a Node script doing the same with the SDK's `auth()` and `Client`)",
            f4e, f4s, "Node + SDK", 3),
        alone("5. `mcp-auth token <server>` with a valid stored grant, per call as a whole process (keychain included)",
              f5e, 20),
    ]

    out = []
    out.append(f"Measured {m['date']} by `bench/run.sh` against `bench/server.mjs` on 127.0.0.1.")
    out.append("")
    out.append("| Figure | mcp-auth median (p10 – p90) | Compared with: median (p10 – p90) | N | Ratio | Target | Met? |")
    out.append("| --- | --- | --- | --- | --- | --- | --- |")
    out.extend(rows)
    out.append("")
    out.append("Ratio = the other side's median ÷ mcp-auth's median. Spreads: p10 – p90 by nearest rank; "
               "min / max are in the raw results.")
    out.append(f"Figure 1: {f1e.get('warmup', '?')} warm-up iterations each side, one HTTP client reused (keep-alive on both sides). "
               f"Figure 2: {f2_tool}, {m.get('process_warmup', '?')} warm-up runs each. "
               f"Figure 3: bench/startup.py, {f3e.get('warmup', '?')} warm-up runs each, fresh HOME and "
               "MCP_REMOTE_CONFIG_DIR per run (MCP_AUTH_CONFIG_DIR for mcp-auth), mcp-remote run as "
               "`node …/mcp-remote/dist/proxy.js` (no npx). "
               f"Figure 4: {f4_tool}, {m.get('login_warmup', '?')} warm-up runs each, an empty MCP_AUTH_CONFIG_DIR "
               "before every mcp-auth run (a new registration each time; tokens and client go to the keychain), "
               "the SDK's state in memory. "
               f"Figure 5: {f5_tool}, {m.get('token_warmup', '?')} warm-up runs, one stored grant "
               "(fresh for an hour; run.sh checks it was not refreshed).")
    out.append("")
    out.append("Machine and versions:")
    out.append("")
    for k, label in [
        ("cpu", "CPU"), ("nproc", "nproc"), ("kernel", "kernel"), ("mcp_auth", "mcp-auth"),
        ("mcp_auth_bin", "mcp-auth binary"), ("bench_bin", "bench_discovery binary"), ("node", "Node"),
        ("sdk", "@modelcontextprotocol/sdk"), ("mcp_remote", "mcp-remote"), ("hyperfine", "hyperfine"),
        ("keyring", "keychain"),
        ("load", "load average before the run"),
    ]:
        if m.get(k):
            out.append(f"- {label}: {m[k]}")
    for k in ("mcp_auth_bin", "bench_bin"):
        if "/debug/" in m.get(k, ""):
            out.append(f"- **warning:** {k} is a debug build; publish only figures from release builds.")
    print("\n".join(out))
    return 0 if all(results) else 3


if __name__ == "__main__":
    sys.exit(main())
