// A Streamable HTTP server that drops a tool call's event stream half-way
// (SEP-1699 polling: the client is to resume with GET and Last-Event-ID), built
// with the MCP TypeScript SDK's own transport and event store, on a port of the
// caller's choosing. Usage: node polling-server.mjs PORT
import { randomUUID } from "node:crypto";
const sdk = "../../tools/node_modules/@modelcontextprotocol/sdk/dist/esm";
const { McpServer } = await import(`${sdk}/server/mcp.js`);
const { createMcpExpressApp } = await import(`${sdk}/server/express.js`);
const { StreamableHTTPServerTransport } = await import(`${sdk}/server/streamableHttp.js`);
const { isInitializeRequest } = await import(`${sdk}/types.js`);
const { InMemoryEventStore } = await import(`${sdk}/examples/shared/inMemoryEventStore.js`);

const eventStore = new InMemoryEventStore();
const sessions = new Map();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const app = createMcpExpressApp();
app.all("/mcp", async (req, res) => {
  const id = req.headers["mcp-session-id"];
  if (id && sessions.has(id)) return sessions.get(id).handleRequest(req, res, req.body);
  if (id) return res.status(404).json({ jsonrpc: "2.0", error: { code: -32001, message: "Session not found" }, id: null });
  if (!isInitializeRequest(req.body)) return res.status(400).json({ jsonrpc: "2.0", error: { code: -32000, message: "no session" }, id: null });
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    eventStore,
    retryInterval: 200,
    onsessioninitialized: (sid) => sessions.set(sid, transport),
  });
  const server = new McpServer({ name: "polling-server", version: "1" }, { capabilities: { logging: {} } });
  // Progress goes on the call's own stream (related to the request), so it is
  // kept in the event store and replayed after the drop.
  const progress = (extra, data) => extra.sendNotification({ method: "notifications/message", params: { level: "info", data } });
  server.registerTool("long-task", { description: "Drops its stream half-way" }, async (extra) => {
    await progress(extra, "25%");
    await progress(extra, "50%");
    await sleep(200);
    extra.closeSSEStream?.();
    await sleep(300);
    await progress(extra, "75% (while the stream was down)");
    await progress(extra, "100%");
    return { content: [{ type: "text", text: "done" }] };
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, req.body);
});
app.listen(Number(process.argv[2]), "127.0.0.1");
