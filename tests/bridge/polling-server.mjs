// A Streamable HTTP server that drops a tool call's event stream half-way
// (SEP-1699 polling: the client is to resume with GET and Last-Event-ID), and
// drops the standalone GET stream between two notifications (`announce`), built
// with the MCP TypeScript SDK's own transport and event store, on a port of the
// caller's choosing. Usage: node polling-server.mjs PORT
import { randomUUID } from "node:crypto";
const sdk = "../../tools/node_modules/@modelcontextprotocol/sdk/dist/esm";
const { McpServer } = await import(`${sdk}/server/mcp.js`);
const { createMcpExpressApp } = await import(`${sdk}/server/express.js`);
const { StreamableHTTPServerTransport } = await import(`${sdk}/server/streamableHttp.js`);
const { isInitializeRequest } = await import(`${sdk}/types.js`);
const { InMemoryEventStore } = await import(`${sdk}/examples/shared/inMemoryEventStore.js`);

// The SDK's example store names a stream by what comes before the first "_"
// of an event id, which the standalone GET stream's own id ("_GET_stream")
// defeats: nothing of that stream would ever be replayed. The stream id is
// what comes before the last two "_"-separated parts (time, random). And it
// replays in the order of the ids' text, which puts two events of the same
// millisecond in random order: this one replays in the order they were stored.
class EventStore extends InMemoryEventStore {
  getStreamIdFromEventId(eventId) {
    return eventId.split("_").slice(0, -2).join("_");
  }
  async replayEventsAfter(lastEventId, { send }) {
    if (!this.events.has(lastEventId)) return "";
    const streamId = this.getStreamIdFromEventId(lastEventId);
    let after = false;
    for (const [eventId, { streamId: of, message }] of this.events) {
      if (of !== streamId) continue;
      if (after) await send(eventId, message);
      if (eventId === lastEventId) after = true;
    }
    return streamId;
  }
}
const eventStore = new EventStore();
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
  // Notifications on the standalone GET stream (related to no request): the
  // server drops that stream between two of them; the event store keeps what
  // is sent while it is down, for the client's GET with Last-Event-ID.
  server.registerTool("announce", { description: "Drops the GET stream between notifications" }, async () => {
    const note = (data) => server.server.sendLoggingMessage({ level: "info", data });
    // Start once the client's GET stream is open (at most 10 s), so that what
    // is tested is the resumption, not when the stream happened to open.
    const open = () => transport._webStandardTransport?._streamMapping?.has("_GET_stream");
    for (let i = 0; i < 200 && !open(); i++) await sleep(50);
    await note("one");
    await note("two");
    await sleep(200);
    transport.closeStandaloneSSEStream();
    await sleep(100);
    await note("three (while the GET stream was down)");
    await note("four");
    return { content: [{ type: "text", text: "announced" }] };
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, req.body);
});
app.listen(Number(process.argv[2]), "127.0.0.1");
