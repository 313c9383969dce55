// oidc-provider 9 test peer: a strict, OpenID Certified authorization server on
// 127.0.0.1 with a real login + consent page (devInteractions), open DCR, PKCE
// (S256) required for every client, RFC 8707 resource indicators (JWT access
// tokens whose `aud` is the MCP URL; any other resource is `invalid_target`),
// refresh tokens with rotation, RFC 7009 revocation, RFC 7662 introspection,
// RFC 9207 `iss` in the authorization response, and a pre-registered
// confidential client (`client_secret_basic`).
//
// Beside it, in the same process, two MCP resource servers (Streamable HTTP,
// JSON responses): the "good" one, the resource the provider knows, and a
// "stranger" whose PRM names a resource the provider does not know.
//
// Environment:
//   ISSUER_PORT, MCP_PORT, MCP2_PORT   ports on 127.0.0.1
//   ACCESS_TOKEN_TTL                   access-token lifetime in seconds (default 3600)
//   CONF_CLIENT_ID                     pre-registered confidential client (default confidential-app)
//   CONF_CLIENT_SECRET                 its secret (required; never logged)
//   CONF_REDIRECT_URI                  its one registered redirect URI
//   CIMD_PORT, CIMD_CERT, CIMD_KEY,    optional: serve a Client ID Metadata Document at
//   CIMD_REDIRECT_URI                  https://127.0.0.1:CIMD_PORT/client.json (cert and key
//                                      files from a test CA, trusted via NODE_EXTRA_CA_CERTS),
//                                      and let the provider fetch documents from there only
//
// Logs go to stderr, one line per event, prefixed with "LOG"; they name
// parameters, grant types and client authentication methods, never a token,
// code, verifier or secret. "READY" is printed on stdout once all ports listen.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

// The peers live in tools/node_modules (installed by scripts/setup).
const fromTools = createRequire(new URL('../../../tools/package.json', import.meta.url));
const load = (name) => import(pathToFileURL(fromTools.resolve(name)).href);
const { default: Provider, errors } = await load('oidc-provider');
const jose = await load('jose');

const env = (name, fallback) => {
  const v = process.env[name];
  if (v === undefined || v === '') {
    if (fallback === undefined) { console.error(`missing env ${name}`); process.exit(2); }
    return fallback;
  }
  return v;
};

const ISSUER_PORT = Number(env('ISSUER_PORT'));
const MCP_PORT = Number(env('MCP_PORT'));
const MCP2_PORT = Number(env('MCP2_PORT'));
const TTL = Number(env('ACCESS_TOKEN_TTL', '3600'));
const CONF_CLIENT_ID = env('CONF_CLIENT_ID', 'confidential-app');
const CONF_CLIENT_SECRET = env('CONF_CLIENT_SECRET');
const CONF_REDIRECT_URI = env('CONF_REDIRECT_URI');
// Optional Client ID Metadata Documents, served over https on 127.0.0.1 with a
// test CA (the process trusts it through NODE_EXTRA_CA_CERTS).
const CIMD_PORT = Number(process.env.CIMD_PORT || 0);
const CIMD_ORIGIN = CIMD_PORT ? `https://127.0.0.1:${CIMD_PORT}` : '';

const ISSUER = `http://127.0.0.1:${ISSUER_PORT}`;
const MCP_URL = `http://127.0.0.1:${MCP_PORT}/mcp`;
const MCP2_URL = `http://127.0.0.1:${MCP2_PORT}/mcp`;
const SCOPE = 'mcp:tools';

const log = (...parts) => console.error('LOG', ...parts);

// --- signing keys (in memory, new every run) -------------------------------
const jwk = async (alg) => {
  const { privateKey } = await jose.generateKeyPair(alg, { extractable: true });
  const key = await jose.exportJWK(privateKey);
  return { ...key, alg, use: 'sig', kid: crypto.randomUUID() };
};
const keys = [await jwk('ES256'), await jwk('RS256')];

// jti of every JWT access token issued -> the grant it belongs to. JWT access
// tokens are not stored by oidc-provider, and its introspection and revocation
// endpoints refuse structured tokens (unsupported_token_type), so the resource
// server asks whether the token's grant is still alive: revoking the refresh
// token (or the grant) ends it, and every access token of it with it.
const jtiGrant = new Map();

const provider = new Provider(ISSUER, {
  clients: [{
    client_id: CONF_CLIENT_ID,
    client_secret: CONF_CLIENT_SECRET,
    client_name: 'pre-registered confidential client',
    redirect_uris: [CONF_REDIRECT_URI],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  clientDefaults: {
    id_token_signed_response_alg: 'ES256',
    grant_types: ['authorization_code'],
    response_types: ['code'],
  },
  jwks: { keys },
  cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
  scopes: ['openid', 'offline_access', SCOPE],
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: true },
    // RFC 8628, for `--browser device`.
    deviceFlow: { enabled: true },
    registration: { enabled: true },
    // A client may revoke or introspect only its own tokens.
    revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
    introspection: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
    resourceIndicators: {
      enabled: true,
      // A request without `resource` still gets a token for the MCP server.
      defaultResource: async (_ctx, _client, oneOf) => oneOf || MCP_URL,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (_ctx, resourceIndicator) => {
        if (resourceIndicator !== MCP_URL) {
          log(`resource.rejected resource=${resourceIndicator}`);
          throw new errors.InvalidTarget(`unknown resource ${resourceIndicator}`);
        }
        return {
          scope: SCOPE,
          audience: MCP_URL,
          accessTokenTTL: TTL,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        };
      },
    },
    ...(CIMD_ORIGIN ? {
      clientIdMetadataDocument: {
        enabled: true,
        ack: 'draft-02',
        allowFetch: async (_ctx, clientId) => clientId.startsWith(`${CIMD_ORIGIN}/`),
      },
    } : {}),
  },
  ttl: {
    AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL || TTL,
    AuthorizationCode: 60,
    Grant: 3600,
    IdToken: 3600,
    Interaction: 600,
    RefreshToken: 3600,
    Session: 3600,
  },
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: () => true,
  expiresWithSession: async () => false,
  // The ID token names the person (openid scope): the client shows whose sign-in it is.
  claims: { openid: ['sub', 'email'] },
  findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub, email: `${sub}@oidc.example` }) }),
  ...(CIMD_ORIGIN ? {
    // oidc-provider's SSRF guard refuses loopback addresses; this test fetches
    // from the test's own https origin on 127.0.0.1 only (allowFetch above).
    // Its guard rides on `options.dispatcher`: drop it, keep everything else.
    fetch: (url, { dispatcher, ...options }) => fetch(url, options),
  } : {}),
});
provider.proxy = false;

provider.on('access_token.issued', (token) => {
  jtiGrant.set(token.jti, token.grantId);
});
// Rotation: a refresh consumes the old refresh token and saves a new one.
provider.on('refresh_token.consumed', () => log('refresh_token.consumed (rotated)'));

// --- leak-scan markers: every secret issued or received ---------------------
// tests/leak/scan.py searches every output of the run for these; the markers
// file is the one place they may be written.
const LEAK_DIR = process.env.MCP_AUTH_LEAK_DIR;
const mark = (...values) => {
  const ok = values.filter((v) => typeof v === 'string' && v.length >= 8);
  if (LEAK_DIR && ok.length) fs.appendFileSync(path.join(LEAK_DIR, 'markers'), ok.map((v) => `${v}\n`).join(''));
};

// --- one log line per protocol request (no secrets) ------------------------
provider.use(async (ctx, next) => {
  const auth = ctx.get('authorization');
  await next();
  if (LEAK_DIR) {
    const q = ctx.oidc?.params || {};
    mark(q.code, q.code_verifier, q.refresh_token, q.client_secret, q.token);
    if (/^basic /i.test(auth)) mark(Buffer.from(auth.slice(6), 'base64').toString().split(':').slice(1).join(':'));
    const b = ctx.body && typeof ctx.body === 'object' ? ctx.body : {};
    mark(b.access_token, b.refresh_token, b.id_token, b.client_secret);
    const loc = ctx.response.get('location');
    if (loc) mark(URL.parse(loc, ISSUER)?.searchParams.get('code'));
  }
  const route = ctx.oidc?.route;
  if (!route || ['discovery', 'jwks', 'interaction', 'submit', 'resume'].includes(route)) {
    if (!route) return;
    let extra = '';
    const loc = ctx.response.get('location');
    if (route === 'resume' && loc) {
      // The authorization response: parameter names only (never the code).
      const u = URL.parse(loc, ISSUER);
      if (u && u.origin !== ISSUER) extra = ` response_params=${[...u.searchParams.keys()].join(',')}`;
    }
    log(`${route} ${ctx.method} ${ctx.path} -> ${ctx.status}${extra}`);
    return;
  }
  const p = ctx.oidc.params || {};
  const out = [`${route} ${ctx.method} -> ${ctx.status}`];
  if (route === 'token' || route === 'revocation' || route === 'introspection') {
    let method = 'none';
    if (/^basic /i.test(auth)) method = 'client_secret_basic';
    else if (p.client_secret) method = 'client_secret_post';
    else if (p.client_assertion) method = 'jwt_assertion';
    out.push(`client_auth=${method}`);
    if (ctx.oidc.client) out.push(`client_id=${ctx.oidc.client.clientId}`, `registered_auth=${ctx.oidc.client.clientAuthMethod}`);
    if (p.grant_type) out.push(`grant_type=${p.grant_type}`);
    if (p.token_type_hint) out.push(`token_type_hint=${p.token_type_hint}`);
    if (route === 'token') {
      out.push(`resource=${JSON.stringify(p.resource ?? null)}`, `scope=${JSON.stringify(p.scope ?? null)}`,
        `code_verifier=${p.code_verifier ? 'present' : 'absent'}`);
    }
    if (route === 'revocation' && ctx.oidc.entities) {
      out.push(`revoked=${Object.keys(ctx.oidc.entities).filter((k) => /Token/.test(k)).join(',') || 'nothing-found'}`);
    }
  } else if (route === 'authorization') {
    // As sent (oidc-provider drops offline_access from its own copy without prompt=consent).
    const q = ctx.method === 'GET' ? ctx.query : {};
    out.push(`client_id=${p.client_id}`, `resource=${JSON.stringify(q.resource ?? p.resource ?? null)}`,
      `scope=${JSON.stringify(q.scope ?? p.scope ?? null)}`,
      `code_challenge_method=${p.code_challenge_method}`, `state=${p.state ? 'present' : 'absent'}`,
      `redirect_uri=${p.redirect_uri}`);
    const loc = ctx.response.get('location');
    if (loc) {
      const u = URL.parse(loc, ISSUER);
      const err = u?.searchParams.get('error');
      if (err) out.push(`redirect_error=${err}`);
    }
  } else if (route === 'registration') {
    out.push(`body=${JSON.stringify(ctx.oidc.body && Object.fromEntries(Object.entries(ctx.oidc.body)
      .filter(([k]) => !/secret|jwks/i.test(k))))}`);
  }
  if (ctx.status >= 400 && ctx.body && typeof ctx.body === 'object' && ctx.body.error) {
    out.push(`error=${ctx.body.error}`, `error_description=${JSON.stringify(ctx.body.error_description ?? '')}`);
  }
  log(out.join(' '));
});
provider.on('server_error', (_ctx, err) => log(`server_error ${err?.stack || err}`));

// --- MCP resource servers ---------------------------------------------------
const JWKS = jose.createRemoteJWKSet(new URL(`${ISSUER}/jwks`));

function mcpServer(port, resourceUrl, label) {
  const origin = `http://127.0.0.1:${port}`;
  const prmUrl = `${origin}/.well-known/oauth-protected-resource/mcp`;
  const challenge = (res, status, error, description) => {
    let h = `Bearer resource_metadata="${prmUrl}"`;
    if (error) h += `, error="${error}", error_description="${description}"`;
    if (error === 'insufficient_scope') h += `, scope="${SCOPE}"`;
    res.writeHead(status, { 'www-authenticate': h, 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: error || 'unauthorized' }));
  };

  async function authenticate(req) {
    const m = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/.exec(req.headers.authorization || '');
    if (!m) return { ok: false };
    try {
      const { payload } = await jose.jwtVerify(m[1], JWKS, {
        issuer: ISSUER, audience: resourceUrl, typ: 'at+jwt', algorithms: ['ES256'],
      });
      const grantId = jtiGrant.get(payload.jti);
      const grant = grantId && await provider.Grant.find(grantId);
      if (!grant) return { ok: false, error: 'invalid_token', description: 'token revoked' };
      return { ok: true, payload };
    } catch (e) {
      return { ok: false, error: 'invalid_token', description: `${e.code || 'invalid'}` };
    }
  }

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, origin);
    if (req.method === 'GET' && url.pathname === '/.well-known/oauth-protected-resource/mcp') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({
        resource: resourceUrl,
        authorization_servers: [ISSUER],
        scopes_supported: [SCOPE],
        bearer_methods_supported: ['header'],
      }));
      return;
    }
    if (url.pathname !== '/mcp') { res.writeHead(404); res.end(); return; }
    const auth = await authenticate(req);
    if (!auth.ok) {
      log(`mcp[${label}] ${req.method} -> 401 ${auth.error || 'no token'} ${auth.description || ''}`);
      challenge(res, 401, auth.error, auth.description);
      return;
    }
    const scopes = String(auth.payload.scope || '').split(' ');
    if (!scopes.includes(SCOPE)) {
      log(`mcp[${label}] -> 403 insufficient_scope`);
      challenge(res, 403, 'insufficient_scope', 'mcp:tools required');
      return;
    }
    if (req.method !== 'POST') { res.writeHead(405, { allow: 'POST' }); res.end(); return; }
    let body = '';
    for await (const chunk of req) { body += chunk; if (body.length > 1e6) break; }
    let msg;
    try { msg = JSON.parse(body); } catch {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } }));
      return;
    }
    log(`mcp[${label}] ${msg.method} (authorized, client_id=${auth.payload.client_id})`);
    if (msg.id === undefined) { res.writeHead(202); res.end(); return; }
    const reply = (result) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }));
    };
    const fail = (code, message) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, error: { code, message } }));
    };
    switch (msg.method) {
      case 'initialize':
        return reply({
          protocolVersion: msg.params?.protocolVersion || '2025-06-18',
          capabilities: { tools: {} },
          serverInfo: { name: `oidc-interop-${label}`, version: '1.0.0' },
        });
      case 'ping':
        return reply({});
      case 'tools/list':
        return reply({
          tools: [{
            name: 'echo',
            description: 'Echo the text back',
            inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
          }],
        });
      case 'tools/call':
        if (msg.params?.name !== 'echo') return fail(-32602, 'unknown tool');
        return reply({ content: [{ type: 'text', text: String(msg.params?.arguments?.text ?? '') }] });
      default:
        return fail(-32601, 'method not found');
    }
  });
  return server;
}

const listen = (server, port) => new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, '127.0.0.1', resolve);
});

if (CIMD_PORT) {
  const https = await import('node:https');
  const { readFileSync } = await import('node:fs');
  const clientId = `${CIMD_ORIGIN}/client.json`;
  const doc = JSON.stringify({
    client_id: clientId,
    client_name: 'MCP Auth Manager (CIMD interop test)',
    redirect_uris: [env('CIMD_REDIRECT_URI')],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    application_type: 'native',
  });
  const tls = { cert: readFileSync(env('CIMD_CERT')), key: readFileSync(env('CIMD_KEY')) };
  await listen(https.createServer(tls, (req, res) => {
    log(`cimd ${req.method} ${req.url}`);
    if (req.method === 'GET' && req.url === '/client.json') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=60' });
      res.end(doc);
    } else { res.writeHead(404); res.end(); }
  }), CIMD_PORT);
}
await listen(http.createServer(provider.callback()), ISSUER_PORT);
await listen(mcpServer(MCP_PORT, MCP_URL, 'good'), MCP_PORT);
await listen(mcpServer(MCP2_PORT, MCP2_URL, 'stranger'), MCP2_PORT);
log(`issuer ${ISSUER}; mcp ${MCP_URL}; stranger ${MCP2_URL}; access-token ttl ${TTL}s`);
console.log('READY');
