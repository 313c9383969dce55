// A server of the 2024-11-05 HTTP+SSE transport only (GET /mcp opens the event
// stream, whose `endpoint` event names POST /messages), built with the MCP
// TypeScript SDK's own SSEServerTransport, on a port of the caller's choosing.
// POST /mcp is answered 404, as such servers do. Usage: node legacy-server.mjs PORT
import { McpServer } from "../../tools/node_modules/@modelcontextprotocol/sdk/dist/esm/server/mcp.js";
import { SSEServerTransport } from "../../tools/node_modules/@modelcontextprotocol/sdk/dist/esm/server/sse.js";
import { createMcpExpressApp } from "../../tools/node_modules/@modelcontextprotocol/sdk/dist/esm/server/express.js";
import * as z from "../../tools/node_modules/zod/v4/index.js";

const transports = {};
const app = createMcpExpressApp();
app.get("/mcp", async (req, res) => {
  const transport = new SSEServerTransport("/messages", res);
  transports[transport.sessionId] = transport;
  transport.onclose = () => delete transports[transport.sessionId];
  const server = new McpServer({ name: "legacy-sse-server", version: "1" });
  server.registerTool("greet", { description: "Greets", inputSchema: { name: z.string() } }, async ({ name }) => ({
    content: [{ type: "text", text: `Hello, ${name}!` }],
  }));
  await server.connect(transport);
});
app.post("/messages", async (req, res) => {
  const transport = transports[req.query.sessionId];
  if (!transport) return res.status(404).send("Session not found");
  await transport.handlePostMessage(req, res, req.body);
});
app.listen(Number(process.argv[2]), "127.0.0.1");
