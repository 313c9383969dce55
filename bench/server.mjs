// A minimal OAuth-protected MCP endpoint for bench/run.sh, on 127.0.0.1 only.
//
// Usage: node bench/server.mjs [PORT]   (or BENCH_PORT=...; 0 or nothing = any free port)
// Prints "listening <port>" on stdout once it accepts connections.
//
// It serves exactly what discovery and registration read, the same bytes to every
// client, and nothing per request is logged, so the server costs the same for the
// engine and for the SDK. Unlike the SDK's demo server it has no rate limit on
// Dynamic Client Registration (the demo allows 20 registrations per hour per IP,
// far fewer than a benchmark makes).
//
//   POST|GET|DELETE /mcp                         401 + WWW-Authenticate: Bearer resource_metadata="…"
//   GET /.well-known/oauth-protected-resource/mcp  RFC 9728 metadata (also at the root well-known path)
//   GET /.well-known/oauth-authorization-server    RFC 8414 metadata, issuer = the origin, no trailing slash
//   POST /register                                 201, a fresh public client echoing redirect_uris
//   GET /authorize                                 302 to redirect_uri with code and state (not timed)
//   POST /token                                    400 invalid_grant (not timed)

import http from 'node:http';
import { randomUUID } from 'node:crypto';

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

async function handle(req, res) {
  const url = new URL(req.url, origin);
  const path = url.pathname;
  const key = `${req.method} ${path}`;
  counts.set(key, (counts.get(key) ?? 0) + 1);

  if (path === '/mcp') {
    // Drain the initialize body so the connection stays reusable.
    await readBody(req).catch(() => '');
    return send(
      res,
      401,
      { jsonrpc: '2.0', error: { code: -32001, message: 'Unauthorized' }, id: null },
      { 'www-authenticate': challenge },
    );
  }

  if (req.method === 'GET' || req.method === 'HEAD') {
    if (path === '/.well-known/oauth-protected-resource/mcp' || path === '/.well-known/oauth-protected-resource') {
      return send(res, 200, prm);
    }
    if (path === '/.well-known/oauth-authorization-server') {
      return send(res, 200, asMeta);
    }
    if (path === '/authorize') {
      const redirect = url.searchParams.get('redirect_uri');
      if (!redirect) return send(res, 400, { error: 'invalid_request', error_description: 'no redirect_uri' });
      const to = new URL(redirect);
      to.searchParams.set('code', randomUUID());
      const state = url.searchParams.get('state');
      if (state !== null) to.searchParams.set('state', state);
      res.writeHead(302, { location: to.toString(), 'content-length': 0 });
      return res.end();
    }
  }

  if (req.method === 'POST' && path === '/register') {
    let meta;
    try {
      meta = JSON.parse(await readBody(req));
    } catch {
      return send(res, 400, { error: 'invalid_client_metadata', error_description: 'not JSON' });
    }
    if (!meta || !Array.isArray(meta.redirect_uris) || meta.redirect_uris.length === 0) {
      return send(res, 400, { error: 'invalid_redirect_uri', error_description: 'redirect_uris is required' });
    }
    return send(res, 201, {
      ...meta,
      client_id: randomUUID(),
      client_id_issued_at: Math.floor(Date.now() / 1000),
      redirect_uris: meta.redirect_uris,
      token_endpoint_auth_method: 'none',
    });
  }

  if (req.method === 'POST' && path === '/token') {
    await readBody(req).catch(() => '');
    return send(res, 400, { error: 'invalid_grant', error_description: 'benchmark server issues no tokens' });
  }

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
