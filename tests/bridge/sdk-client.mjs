// A real MCP client that no one here wrote (the TypeScript SDK's Client over
// StdioClientTransport) drives `mcp-auth bridge SERVER`: it lists tools, calls
// one, receives the server's notifications during a call, and answers the
// server's own request (elicitation). Prints one JSON object with what it saw;
// the caller judges it. Usage: node sdk-client.mjs MCP_AUTH_BIN SERVER [ARGS…]
import { Client } from "../../tools/node_modules/@modelcontextprotocol/sdk/dist/esm/client/index.js";
import { StdioClientTransport } from "../../tools/node_modules/@modelcontextprotocol/sdk/dist/esm/client/stdio.js";
import { ElicitRequestSchema, LoggingMessageNotificationSchema } from "../../tools/node_modules/@modelcontextprotocol/sdk/dist/esm/types.js";

// `--entry FILE KEY NAME`: start what an app's config entry says (command and
// args of mcpServers[NAME] in FILE, as `mcp-auth apps connect` wrote it).
let [bin, server, ...extra] = process.argv.slice(2);
let command = bin, args = ["bridge", server, ...extra];
if (bin === "--entry") {
  const fs = await import("node:fs");
  const entry = JSON.parse(fs.readFileSync(server, "utf8"))[extra[0]][extra[1]];
  command = entry.command; args = entry.args;
}
const seen = { tools: [], greet: null, notifications: [], multiGreet: null, elicited: null, elicitation: null };
// The environment is passed whole: the test's private keychain and config dir.
const transport = new StdioClientTransport({ command, args, env: process.env, stderr: "inherit" });
const client = new Client({ name: "sdk-stdio-client", version: "1" }, { capabilities: { elicitation: { form: {} } } });
client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => { seen.notifications.push(n.params.data); });
client.setRequestHandler(ElicitRequestSchema, async (req) => {
  seen.elicited = req.params.message;
  return { action: "accept", content: { name: "Ada Lovelace", email: "ada@example.com" } };
});
const timer = setTimeout(() => { console.log(JSON.stringify({ ...seen, error: "timed out" })); process.exit(2); }, 60_000);
try {
  await client.connect(transport);
  seen.tools = (await client.listTools()).tools.map((t) => t.name);
  seen.greet = (await client.callTool({ name: "greet", arguments: { name: "Ada" } })).content[0].text;
  if (seen.tools.includes("multi-greet")) {
    seen.multiGreet = (await client.callTool({ name: "multi-greet", arguments: { name: "Ada" } })).content[0].text;
  }
  if (seen.tools.includes("collect-user-info")) {
    seen.elicitation = (await client.callTool({ name: "collect-user-info", arguments: { infoType: "contact" } })).content[0].text;
  }
  await client.close();
  clearTimeout(timer);
  console.log(JSON.stringify(seen));
} catch (e) {
  clearTimeout(timer);
  console.log(JSON.stringify({ ...seen, error: String(e) }));
  process.exit(1);
}
