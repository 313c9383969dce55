// Figure 1, SDK side: probe + Protected Resource Metadata + authorization-server
// metadata + Dynamic Client Registration with @modelcontextprotocol/sdk, timed per
// iteration in one process.
//
// Usage: node bench/sdk-discovery.mjs <mcp-url> <iterations> [warmup=20]
// Prints {"median_ms":..,"p10_ms":..,"p90_ms":..,"min_ms":..,"max_ms":..,"n":..,"warmup":..}
//
// Mirrors crates/mcp-auth/examples/bench_discovery.rs step for step. Node's global
// fetch (undici) keeps connections alive across iterations, as the engine's one
// HttpClient does.

import {
  extractWWWAuthenticateParams,
  discoverOAuthProtectedResourceMetadata,
  discoverAuthorizationServerMetadata,
  registerClient,
} from '../tools/node_modules/@modelcontextprotocol/sdk/dist/esm/client/auth.js';
import { LATEST_PROTOCOL_VERSION } from '../tools/node_modules/@modelcontextprotocol/sdk/dist/esm/types.js';

const [mcpUrl, itersArg, warmArg] = process.argv.slice(2);
const iterations = Number(itersArg);
const warmup = warmArg === undefined ? 20 : Number(warmArg);
if (!mcpUrl || !Number.isInteger(iterations) || iterations < 1 || iterations > 100000 || !Number.isInteger(warmup) || warmup < 0) {
  console.error('usage: sdk-discovery.mjs <mcp-url> <iterations 1..100000> [warmup>=0]');
  process.exit(2);
}

const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: {
    protocolVersion: LATEST_PROTOCOL_VERSION,
    capabilities: {},
    clientInfo: { name: 'bench', version: '0.0.0' },
  },
});

const CLIENT_METADATA = {
  client_name: 'bench',
  redirect_uris: ['http://127.0.0.1:33418/callback'],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
};

async function once() {
  // 1. Probe: an unauthenticated initialize must be challenged.
  const res = await fetch(mcpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: INITIALIZE,
  });
  await res.arrayBuffer();
  if (res.status !== 401) throw new Error(`probe: expected 401, got ${res.status}`);
  const { resourceMetadataUrl } = extractWWWAuthenticateParams(res);
  // 2. Protected Resource Metadata (RFC 9728), from the challenge's URL.
  const prm = await discoverOAuthProtectedResourceMetadata(mcpUrl, { resourceMetadataUrl });
  const issuer = prm.authorization_servers?.[0];
  if (!issuer) throw new Error('PRM names no authorization server');
  // 3. Authorization-server metadata (RFC 8414 / OIDC discovery).
  const metadata = await discoverAuthorizationServerMetadata(issuer);
  if (!metadata) throw new Error('no authorization-server metadata');
  // 4. Dynamic Client Registration (RFC 7591).
  const client = await registerClient(issuer, { metadata, clientMetadata: CLIENT_METADATA });
  if (!client.client_id) throw new Error('registration returned no client_id');
}

for (let i = 0; i < warmup; i++) await once();

const samples = [];
for (let i = 0; i < iterations; i++) {
  const t0 = performance.now();
  await once();
  samples.push(performance.now() - t0);
}

// Same statistics as the Rust example: median (mean of the two middle values for
// even n), p10/p90 by nearest rank.
samples.sort((a, b) => a - b);
const n = samples.length;
const median = n % 2 ? samples[(n - 1) / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
const rank = (p) => samples[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))];
const r3 = (x) => Math.round(x * 1000) / 1000;
console.log(JSON.stringify({
  median_ms: r3(median),
  p10_ms: r3(rank(10)),
  p90_ms: r3(rank(90)),
  min_ms: r3(samples[0]),
  max_ms: r3(samples[n - 1]),
  n,
  warmup,
}));
