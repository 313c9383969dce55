// The bridge against mcp-remote, side by side in one run: the same SDK-built
// server (the SDK's demo server, OAuth on), the same client (the SDK's
// StdioClientTransport + Client), both already signed in (mcp-auth through its
// keychain grant; mcp-remote with the same access token in its --header, read
// from its environment so it is never on a command line).
//
//   startup    spawn → the first tools/list answer, a fresh process each run
//   roundtrip  one session, tools/call greet, one call after another
//   memory     peak RSS of the proxy's whole process tree during a session
//
// Usage: node measure.mjs RESULTS.json MCP_AUTH_BIN MCP_REMOTE_JS URL STARTS CALLS
// (AUTH_TOKEN in the environment, for mcp-remote's header.)
import fs from "node:fs";
import { Client } from "../../tools/node_modules/@modelcontextprotocol/sdk/dist/esm/client/index.js";
import { StdioClientTransport } from "../../tools/node_modules/@modelcontextprotocol/sdk/dist/esm/client/stdio.js";

const [out, bin, remoteJs, url, starts, calls] = process.argv.slice(2);
const contenders = {
  "mcp-auth bridge": { command: bin, args: ["bridge", url, "--browser", "print"] },
  "mcp-remote": { command: process.execPath, args: [remoteJs, url, "--header", "Authorization: Bearer ${AUTH_TOKEN}"] },
};

/// RSS in KiB of pid and every descendant, from /proc.
// The peak resident set of the process tree: each process's own high-water
// mark (VmHWM, kept by the kernel), summed, read once after the calls. A
// sampler polling /proc every few milliseconds from this process would block
// the client's event loop while the round trips are timed, adding the same
// milliseconds to both columns.
function treePeakRss(root) {
  const children = new Map();
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(d));
    } catch { /* gone */ }
  }
  let total = 0;
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop();
    try {
      const m = /VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
      if (m) total += Number(m[1]);
    } catch { /* gone */ }
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const n = s.length;
  const median = n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  const rank = (p) => s[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))];
  return { median_ms: median, p10_ms: rank(10), p90_ms: rank(90), min_ms: s[0], max_ms: s[n - 1], n };
}

async function session(c) {
  const transport = new StdioClientTransport({ command: c.command, args: c.args, env: process.env, stderr: "ignore" });
  const client = new Client({ name: "bench", version: "1" });
  return { transport, client };
}

const results = {};
for (const [name, c] of Object.entries(contenders)) {
  const startup = [];
  for (let i = 0; i < Number(starts); i++) {
    const { transport, client } = await session(c);
    const t0 = performance.now();
    await client.connect(transport);
    const tools = await client.listTools();
    startup.push(performance.now() - t0);
    if (!tools.tools.some((t) => t.name === "greet")) throw new Error(`${name}: no greet tool`);
    await client.close();
  }
  const { transport, client } = await session(c);
  await client.connect(transport);
  const roundtrip = [];
  for (let i = 0; i < Number(calls); i++) {
    const t0 = performance.now();
    const r = await client.callTool({ name: "greet", arguments: { name: "Ada" } });
    roundtrip.push(performance.now() - t0);
    if (r.content[0].text !== "Hello, Ada!") throw new Error(`${name}: wrong answer`);
  }
  const peak = treePeakRss(transport.pid);
  await client.close();
  results[name] = { startup: stats(startup), roundtrip: stats(roundtrip), peak_rss_kib: peak };
  console.error(`${name}: first tools/list ${stats(startup).median_ms.toFixed(1)} ms, tools/call ${stats(roundtrip).median_ms.toFixed(2)} ms, peak RSS ${(peak / 1024).toFixed(1)} MiB`);
}
fs.writeFileSync(out, JSON.stringify(results, null, 2));
