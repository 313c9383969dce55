// A real MCP client that no one here wrote (the TypeScript SDK's Client over
// StdioClientTransport) drives `mcp-auth serve` through the steps in STEPS_FILE
// and prints what it saw, one entry per step, for the caller to judge:
//   {"tool": NAME, "args": {...}}  call a tool
//   {"list": true}                 tools/list
//   {"follow": true}               GET the authUrl of the last answer, following
//                                  redirects, as a person's browser would
// Every entry carries the number of notifications/tools/list_changed seen so far.
// With ELICIT (accept or decline) the client declares form and URL elicitation:
// a URL it is asked to open is fetched as a browser would (accept), a form is
// answered {"add": true} (accept) or declined; each is recorded.
// Usage: node sdk-client.mjs MCP_AUTH_BIN STEPS_FILE [ELICIT]
import fs from "node:fs";
import { Client } from "../../tools/node_modules/@modelcontextprotocol/sdk/dist/esm/client/index.js";
import { StdioClientTransport } from "../../tools/node_modules/@modelcontextprotocol/sdk/dist/esm/client/stdio.js";
import { ElicitRequestSchema, ToolListChangedNotificationSchema } from "../../tools/node_modules/@modelcontextprotocol/sdk/dist/esm/types.js";

const [bin, stepsFile, elicit] = process.argv.slice(2);
const steps = JSON.parse(fs.readFileSync(stepsFile, "utf8"));
const out = [];
const timer = setTimeout(() => { console.log(JSON.stringify([...out, { error: "timed out" }])); process.exit(2); }, 120_000);
// The environment is passed whole: the test's private keychain and config dir.
const transport = new StdioClientTransport({ command: bin, args: ["serve"], env: process.env, stderr: "inherit" });
const client = new Client({ name: "sdk-stdio-client", version: "1" }, elicit ? { capabilities: { elicitation: { form: {}, url: {} } } } : {});
let listChanged = 0;
client.setNotificationHandler(ToolListChangedNotificationSchema, () => { listChanged++; });
const elicitations = [];
if (elicit) {
  client.setRequestHandler(ElicitRequestSchema, async (req) => {
    elicitations.push({ mode: req.params.mode ?? "form", message: req.params.message, url: req.params.url ?? null });
    if (elicit !== "accept") return { action: "decline" };
    if (req.params.mode === "url") {
      await fetch(req.params.url, { redirect: "follow" });
      return { action: "accept" };
    }
    return { action: "accept", content: { add: true } };
  });
}
await client.connect(transport);
let last = null;
for (const step of steps) {
  if (step.follow) {
    const url = last?.structuredContent?.authUrl;
    const r = url ? await fetch(url, { redirect: "follow" }) : null;
    out.push({ follow: r ? r.status : "no authUrl", listChanged });
  } else if (step.list) {
    const listed = await client.listTools();
    out.push({ tools: listed.tools.map((t) => t.name), descriptions: Object.fromEntries(listed.tools.map((t) => [t.name, t.description ?? null])), listChanged });
  } else {
    try {
      const r = await client.callTool({ name: step.tool, arguments: step.args ?? {} });
      last = r;
      // Notifications sent before the answer may be read just after it.
      await new Promise((ok) => setTimeout(ok, 100));
      out.push({ tool: step.tool, isError: !!r.isError, structured: r.structuredContent ?? null, text: r.content?.[0]?.text ?? null, listChanged, elicitations: elicitations.splice(0) });
    } catch (e) {
      out.push({ tool: step.tool, protocolError: String(e), listChanged });
    }
  }
}
clearTimeout(timer);
console.log(JSON.stringify(out));
await client.close();
