// A second SDK-built server for bench/bridge/run.sh: the SDK's own McpServer,
// StreamableHTTPServerTransport, bearer middleware and demo authorization
// server (the same pieces as `simpleStreamableHttp.js --oauth`), without the
// three things that make the demo server slow per request and that no proxy
// can change:
//   - the demo checks every request's token by an HTTP call to its
//     authorization server's introspection endpoint: here the answer is kept
//     per token until the token's expiry (what a server checking a JWT locally
//     costs, near enough);
//   - the demo stores every SSE event for resumption: here answers are plain
//     JSON (`enableJsonResponse`), no event store;
//   - the demo logs every request, its body and the caller's token info to
//     stdout: here nothing per request is logged.
// With the server's own time small, the round trip shows what each proxy
// adds. One tool, `greet`, as in the demo.
//
// Usage: MCP_PORT=… MCP_AUTH_PORT=… node bench/bridge/lean-server.mjs
import { randomUUID } from 'node:crypto';
import * as z from '../../tools/node_modules/zod/v4/index.js';
import { McpServer } from '../../tools/node_modules/@modelcontextprotocol/sdk/dist/esm/server/mcp.js';
import { StreamableHTTPServerTransport } from '../../tools/node_modules/@modelcontextprotocol/sdk/dist/esm/server/streamableHttp.js';
import { getOAuthProtectedResourceMetadataUrl, mcpAuthMetadataRouter } from '../../tools/node_modules/@modelcontextprotocol/sdk/dist/esm/server/auth/router.js';
import { requireBearerAuth } from '../../tools/node_modules/@modelcontextprotocol/sdk/dist/esm/server/auth/middleware/bearerAuth.js';
import { createMcpExpressApp } from '../../tools/node_modules/@modelcontextprotocol/sdk/dist/esm/server/express.js';
import { isInitializeRequest } from '../../tools/node_modules/@modelcontextprotocol/sdk/dist/esm/types.js';
import { setupAuthServer } from '../../tools/node_modules/@modelcontextprotocol/sdk/dist/esm/examples/server/demoInMemoryOAuthProvider.js';

const MCP_PORT = Number(process.env.MCP_PORT);
const AUTH_PORT = Number(process.env.MCP_AUTH_PORT);
const mcpServerUrl = new URL(`http://127.0.0.1:${MCP_PORT}/mcp`);
const oauthMetadata = setupAuthServer({ authServerUrl: new URL(`http://127.0.0.1:${AUTH_PORT}`), mcpServerUrl, strictResource: false });

// Introspected once per token, kept until it expires (bounded: the oldest goes).
const checked = new Map();
const verifier = {
  async verifyAccessToken(token) {
    const known = checked.get(token);
    if (known && (!known.expiresAt || known.expiresAt * 1000 > Date.now())) return known;
    const response = await fetch(oauthMetadata.introspection_endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
    if (!response.ok) throw new Error('Invalid or expired token');
    const data = await response.json();
    const info = { token, clientId: data.client_id, scopes: data.scope ? data.scope.split(' ') : [], expiresAt: data.exp };
    if (checked.size >= 1000) checked.delete(checked.keys().next().value);
    checked.set(token, info);
    return info;
  },
};

const app = createMcpExpressApp();
app.use(mcpAuthMetadataRouter({ oauthMetadata, resourceServerUrl: mcpServerUrl, scopesSupported: ['mcp:tools'], resourceName: 'Lean bench server' }));
const auth = requireBearerAuth({ verifier, requiredScopes: [], resourceMetadataUrl: getOAuthProtectedResourceMetadataUrl(mcpServerUrl) });

const sessions = new Map();
const MAX_SESSIONS = 1000;
function newServer() {
  const server = new McpServer({ name: 'lean-bench-server', version: '1.0.0' });
  server.registerTool('greet', { description: 'A simple greeting tool', inputSchema: { name: z.string() } }, async ({ name }) => ({
    content: [{ type: 'text', text: `Hello, ${name}!` }],
  }));
  return server;
}

app.post('/mcp', auth, async (req, res) => {
  const id = req.headers['mcp-session-id'];
  let transport = id ? sessions.get(id) : undefined;
  if (!transport) {
    if (id) return res.status(404).json({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null });
    if (!isInitializeRequest(req.body) || sessions.size >= MAX_SESSIONS) {
      return res.status(400).json({ jsonrpc: '2.0', error: { code: -32000, message: 'Bad Request' }, id: null });
    }
    transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: true,
      onsessioninitialized: (sid) => sessions.set(sid, transport),
    });
    transport.onclose = () => transport.sessionId && sessions.delete(transport.sessionId);
    await newServer().connect(transport);
  }
  await transport.handleRequest(req, res, req.body);
});
// No server-initiated messages here: a GET stream is not offered.
app.get('/mcp', auth, (_req, res) => res.status(405).set('Allow', 'POST, DELETE').end());
app.delete('/mcp', auth, async (req, res) => {
  const transport = sessions.get(req.headers['mcp-session-id']);
  if (!transport) return res.status(404).end();
  await transport.handleRequest(req, res);
});

app.listen(MCP_PORT, '127.0.0.1', () => console.log(`listening ${MCP_PORT}`));
