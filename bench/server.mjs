// A minimal OAuth-protected MCP server for bench/run.sh, on 127.0.0.1 only: an
// auto-approving authorization server and an MCP endpoint in one process.
//
// Usage: node bench/server.mjs [PORT]   (or BENCH_PORT=...; 0 or nothing = any free port)
// Prints "listening <port>" on stdout once it accepts connections.
//
// Documents are serialized once, the same bytes go to every client, and nothing
// per request is logged, so the server costs the same for the engine and for the
// SDK. Unlike the SDK's demo server it has no rate limit on Dynamic Client
// Registration (the demo allows 20 registrations per hour per IP, far fewer than
// a benchmark makes).
//
//   POST /mcp without a valid token                401 + WWW-Authenticate: Bearer resource_metadata="…"
//   POST /mcp with an issued bearer token          initialize → result with serverInfo, notifications and
//                                                  responses → 202, tools/list → one tool, else a -32601 error
//   GET|DELETE /mcp                                401 without a valid token, 405 with one
//   GET /.well-known/oauth-protected-resource/mcp  RFC 9728 metadata (also at the root well-known path)
//   GET /.well-known/oauth-authorization-server    RFC 8414 metadata, issuer = the origin, no trailing slash
//   POST /register                                 201, a fresh public client echoing redirect_uris
//   GET /authorize                                 auto-approves: 302 to the registered redirect_uri with
//                                                  code and state; needs a registered client_id, a registered
//                                                  redirect_uri (any port on loopback, RFC 8252),
//                                                  response_type=code and an S256 code_challenge
//   POST /token                                    authorization_code (PKCE S256 checked, code single-use,
//                                                  bound to client, redirect_uri and resource) and
//                                                  refresh_token (rotated: the old one stops working);
//                                                  opaque tokens, expires_in 3600
//
// All state (clients, codes, tokens) is in memory, bounded (oldest entries are
// dropped past MAX_ENTRIES) and gone when the process exits.

import http from 'node:http';
import { createHash, randomBytes, randomUUID } from 'node:crypto';

const requested = Number(process.argv[2] ?? process.env.BENCH_PORT ?? 0);
if (!Number.isInteger(requested) || requested < 0 || requested > 65535) {
  console.error(`server.mjs: bad port ${process.argv[2] ?? process.env.BENCH_PORT}`);
  process.exit(2);
}

let origin = ''; // set once listening
let prm = '';
let asMeta = '';
let challenge = '';

function send(res, status, body, headers = {}) {
  const data = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(data),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(data);
}

function readBody(req, limit = 64 * 1024) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

// Requests per method and path, written to stderr as JSON on SIGTERM/SIGINT (one
// Map update per request, the same for every client): shows how many requests
// each client made.
const counts = new Map();

// --- Authorization-server and MCP state ----------------------------------------
const MAX_ENTRIES = 100_000; // per map; the oldest entry goes first (Maps keep insertion order)
const CODE_TTL_MS = 60_000;
const TOKEN_TTL_S = 3600;
const clients = new Map(); // client_id -> { redirectUris }
const codes = new Map(); // code -> { clientId, redirectUri, challenge, scope, resource, expires }
const accessTokens = new Map(); // token -> { clientId, scope, expires }
const refreshTokens = new Map(); // token -> { clientId, scope, resource }

function remember(map, key, value) {
  if (map.size >= MAX_ENTRIES) map.delete(map.keys().next().value);
  map.set(key, value);
}

const opaque = () => randomBytes(32).toString('base64url');

function tokenError(res, error, description, status = 400) {
  return send(res, status, { error, error_description: description });
}

function issueTokens(res, clientId, scope, resource) {
  const access = opaque();
  const refresh = opaque();
  remember(accessTokens, access, { clientId, scope, expires: Date.now() + TOKEN_TTL_S * 1000 });
  remember(refreshTokens, refresh, { clientId, scope, resource });
  const body = { access_token: access, token_type: 'Bearer', expires_in: TOKEN_TTL_S, refresh_token: refresh };
  if (scope) body.scope = scope;
  return send(res, 200, body, { pragma: 'no-cache' });
}

async function token(req, res) {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  const raw = await readBody(req);
  if (type !== 'application/x-www-form-urlencoded') {
    return tokenError(res, 'invalid_request', 'the body must be application/x-www-form-urlencoded');
  }
  const form = new URLSearchParams(raw);
  const clientId = form.get('client_id');
  if (!clientId || !clients.has(clientId)) return tokenError(res, 'invalid_client', 'unknown client_id', 401);
  const resource = form.get('resource');
  if (resource !== null && resource !== `${origin}/mcp`) {
    return tokenError(res, 'invalid_target', `this server only issues tokens for ${origin}/mcp`);
  }
  const grantType = form.get('grant_type');
  if (grantType === 'authorization_code') {
    const code = form.get('code') ?? '';
    const grant = codes.get(code);
    codes.delete(code); // single use, whatever happens next
    if (!grant || grant.expires < Date.now()) return tokenError(res, 'invalid_grant', 'unknown, used or expired code');
    if (grant.clientId !== clientId) return tokenError(res, 'invalid_grant', 'the code was issued to another client');
    if (form.get('redirect_uri') !== grant.redirectUri) return tokenError(res, 'invalid_grant', 'redirect_uri mismatch');
    if (grant.resource !== null && resource !== grant.resource) return tokenError(res, 'invalid_grant', 'resource mismatch');
    const verifier = form.get('code_verifier') ?? '';
    if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) return tokenError(res, 'invalid_grant', 'malformed code_verifier');
    if (createHash('sha256').update(verifier).digest('base64url') !== grant.challenge) {
      return tokenError(res, 'invalid_grant', 'PKCE verification failed');
    }
    return issueTokens(res, clientId, grant.scope, grant.resource ?? resource);
  }
  if (grantType === 'refresh_token') {
    const presented = form.get('refresh_token') ?? '';
    const grant = refreshTokens.get(presented);
    if (!grant || grant.clientId !== clientId) return tokenError(res, 'invalid_grant', 'unknown or rotated refresh token');
    refreshTokens.delete(presented); // rotation: each refresh token works once
    return issueTokens(res, clientId, grant.scope, grant.resource);
  }
  return tokenError(res, 'unsupported_grant_type', 'authorization_code or refresh_token');
}

// Exact match, except that a loopback IP redirect URI may use any port (RFC 8252 §7.3).
function redirectMatches(registered, given) {
  if (registered === given) return true;
  let r, g;
  try {
    r = new URL(registered);
    g = new URL(given);
  } catch {
    return false;
  }
  const loopback = (u) => u.protocol === 'http:' && (u.hostname === '127.0.0.1' || u.hostname === '[::1]');
  if (!loopback(r) || !loopback(g)) return false;
  r.port = '';
  g.port = '';
  return r.href === g.href;
}

function authorize(url, res) {
  const q = url.searchParams;
  const clientId = q.get('client_id');
  const client = clientId ? clients.get(clientId) : undefined;
  if (!client) return send(res, 400, { error: 'invalid_request', error_description: 'unknown client_id' });
  const redirect = q.get('redirect_uri');
  if (!redirect || !client.redirectUris.some((r) => redirectMatches(r, redirect))) {
    return send(res, 400, { error: 'invalid_request', error_description: 'redirect_uri is not registered' });
  }
  const to = new URL(redirect);
  const state = q.get('state');
  if (state !== null) to.searchParams.set('state', state);
  const fail = (error, description) => {
    to.searchParams.set('error', error);
    to.searchParams.set('error_description', description);
    res.writeHead(302, { location: to.toString(), 'content-length': 0 });
    return res.end();
  };
  if (q.get('response_type') !== 'code') return fail('unsupported_response_type', 'only code');
  const challenge = q.get('code_challenge');
  if (!challenge || q.get('code_challenge_method') !== 'S256') return fail('invalid_request', 'PKCE S256 is required');
  const resource = q.get('resource');
  if (resource !== null && resource !== `${origin}/mcp`) return fail('invalid_target', 'unknown resource');
  const code = opaque();
  remember(codes, code, {
    clientId,
    redirectUri: redirect,
    challenge,
    scope: q.get('scope') ?? '',
    resource,
    expires: Date.now() + CODE_TTL_MS,
  });
  to.searchParams.set('code', code);
  res.writeHead(302, { location: to.toString(), 'content-length': 0 });
  return res.end();
}

function bearer(req) {
  const m = /^Bearer +([A-Za-z0-9._~+/-]+=*)\s*$/i.exec(req.headers.authorization ?? '');
  if (!m) return null;
  const t = accessTokens.get(m[1]);
  return t && t.expires > Date.now() ? t : null;
}

const PROTOCOL_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'];
const TOOLS = {
  tools: [
    {
      name: 'echo',
      description: 'Returns its input.',
      inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
    },
  ],
};

async function mcp(req, res) {
  // Drain the body first so the connection stays reusable whatever the answer.
  const raw = await readBody(req).catch(() => '');
  if (!bearer(req)) {
    return send(
      res,
      401,
      { jsonrpc: '2.0', error: { code: -32001, message: 'Unauthorized' }, id: null },
      { 'www-authenticate': challenge },
    );
  }
  if (req.method !== 'POST') {
    return send(res, 405, { jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed' }, id: null }, { allow: 'POST' });
  }
  let msg;
  try {
    msg = JSON.parse(raw);
  } catch {
    return send(res, 400, { jsonrpc: '2.0', error: { code: -32700, message: 'Parse error' }, id: null });
  }
  if (!msg || typeof msg !== 'object' || Array.isArray(msg)) {
    return send(res, 400, { jsonrpc: '2.0', error: { code: -32600, message: 'Invalid request' }, id: null });
  }
  if (msg.id === undefined || msg.method === undefined) {
    // A notification or a response: accepted, nothing to answer.
    res.writeHead(202, { 'content-length': 0 });
    return res.end();
  }
  if (msg.method === 'initialize') {
    const asked = msg.params?.protocolVersion;
    return send(res, 200, {
      jsonrpc: '2.0',
      id: msg.id,
      result: {
        protocolVersion: PROTOCOL_VERSIONS.includes(asked) ? asked : PROTOCOL_VERSIONS[0],
        capabilities: { tools: {} },
        serverInfo: { name: 'bench-server', version: '1.0.0' },
      },
    });
  }
  if (msg.method === 'tools/list') return send(res, 200, { jsonrpc: '2.0', id: msg.id, result: TOOLS });
  if (msg.method === 'ping') return send(res, 200, { jsonrpc: '2.0', id: msg.id, result: {} });
  return send(res, 200, { jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: `Method not found: ${msg.method}` } });
}

async function handle(req, res) {
  const url = new URL(req.url, origin);
  const path = url.pathname;
  const key = `${req.method} ${path}`;
  counts.set(key, (counts.get(key) ?? 0) + 1);

  if (path === '/mcp') return mcp(req, res);

  if (req.method === 'GET' || req.method === 'HEAD') {
    if (path === '/.well-known/oauth-protected-resource/mcp' || path === '/.well-known/oauth-protected-resource') {
      return send(res, 200, prm);
    }
    if (path === '/.well-known/oauth-authorization-server') {
      return send(res, 200, asMeta);
    }
    if (path === '/authorize') return authorize(url, res);
  }

  if (req.method === 'POST' && path === '/register') {
    let meta;
    try {
      meta = JSON.parse(await readBody(req));
    } catch {
      return send(res, 400, { error: 'invalid_client_metadata', error_description: 'not JSON' });
    }
    if (!meta || !Array.isArray(meta.redirect_uris) || meta.redirect_uris.length === 0
        || !meta.redirect_uris.every((u) => typeof u === 'string')) {
      return send(res, 400, { error: 'invalid_redirect_uri', error_description: 'redirect_uris is required' });
    }
    const clientId = randomUUID();
    remember(clients, clientId, { redirectUris: meta.redirect_uris });
    return send(res, 201, {
      ...meta,
      client_id: clientId,
      client_id_issued_at: Math.floor(Date.now() / 1000),
      redirect_uris: meta.redirect_uris,
      token_endpoint_auth_method: 'none',
    });
  }

  if (req.method === 'POST' && path === '/token') return token(req, res);

  return send(res, 404, { error: 'not_found' });
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((e) => {
    if (!res.headersSent) send(res, 500, { error: 'server_error', error_description: String(e) });
    else res.destroy();
  });
});
server.keepAliveTimeout = 30_000;

server.listen(requested, '127.0.0.1', () => {
  const port = server.address().port;
  origin = `http://127.0.0.1:${port}`;
  prm = JSON.stringify({
    resource: `${origin}/mcp`,
    authorization_servers: [origin],
    scopes_supported: ['mcp:tools'],
    bearer_methods_supported: ['header'],
  });
  asMeta = JSON.stringify({
    issuer: origin,
    authorization_endpoint: `${origin}/authorize`,
    token_endpoint: `${origin}/token`,
    registration_endpoint: `${origin}/register`,
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['none'],
    scopes_supported: ['mcp:tools'],
  });
  challenge = `Bearer resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp"`;
  process.stdout.write(`listening ${port}\n`);
});

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    process.stderr.write(`${JSON.stringify(Object.fromEntries(counts))}\n`);
    server.close();
    server.closeAllConnections?.();
    process.exit(0);
  });
}
