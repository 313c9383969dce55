// Figure 4, SDK side: the whole headless sign-in `mcp-auth login URL --browser http`
// does, with @modelcontextprotocol/sdk, once, as a whole process: discovery,
// registration, authorization (a headless stand-in for the browser), token, then an
// MCP `initialize` + `tools/list` with the new token; prints the tools as JSON.
// hyperfine times it from process start to exit.
//
// Usage: node bench/sdk-login-process.mjs <mcp-url> [timeout-seconds=30]
//
// Kept equivalent to mcp-auth's flow:
// - a loopback listener on 127.0.0.1 and a free port is started first, and its
//   http://127.0.0.1:PORT/callback is the redirect URI registered and sent;
// - `auth()` discovers (RFC 9728, RFC 8414), registers (RFC 7591), makes a real
//   PKCE S256 verifier/challenge and calls redirectToAuthorization(url), which
//   does what `--browser http` does: GET the URL without following redirects,
//   read the Location and GET it, hop by hop (at most 10), until the loopback
//   listener answers;
// - the listener accepts only GET /callback carrying the flow's random `state`
//   (anything else is refused and ignored), and hands the code over;
// - a second `auth()` with the code exchanges it (code_verifier, resource);
// - a Client over StreamableHTTPClientTransport with the same provider connects
//   (initialize, notifications/initialized) and calls tools/list.
// Everything is kept in memory (a fresh registration per process, as with a fresh
// MCP_AUTH_CONFIG_DIR for mcp-auth). The provider implements discoveryState() /
// saveDiscoveryState(), so the second auth() call does not discover again.

import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { auth } from '../tools/node_modules/@modelcontextprotocol/sdk/dist/esm/client/auth.js';
import { Client } from '../tools/node_modules/@modelcontextprotocol/sdk/dist/esm/client/index.js';
import { StreamableHTTPClientTransport } from '../tools/node_modules/@modelcontextprotocol/sdk/dist/esm/client/streamableHttp.js';

const [mcpUrl, timeoutArg] = process.argv.slice(2);
const timeoutS = timeoutArg === undefined ? 30 : Number(timeoutArg);
if (!mcpUrl || !(timeoutS > 0 && timeoutS <= 3600)) {
  console.error('usage: sdk-login-process.mjs <mcp-url> [timeout-seconds 1..3600]');
  process.exit(2);
}
// The whole process is bounded, like `--timeout` bounds mcp-auth's wait.
setTimeout(() => {
  console.error(`sdk-login-process.mjs: not done after ${timeoutS} s`);
  process.exit(1);
}, timeoutS * 1000).unref();

// --- The loopback listener (the redirect target) -------------------------------
const CALLBACK_PATH = '/callback';
let expectedState = null;
let deliver;
let fail;
const callback = new Promise((resolve, reject) => {
  deliver = resolve;
  fail = reject;
});
const listener = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  const done = (status, text) => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), connection: 'close' });
    res.end(text);
  };
  if (req.method !== 'GET' || url.pathname !== CALLBACK_PATH) return done(404, 'Not found');
  const states = url.searchParams.getAll('state');
  if (expectedState === null || states.length !== 1 || states[0] !== expectedState) {
    // Not this flow's redirect: refuse it and keep waiting.
    return done(400, 'Unknown or missing state');
  }
  const error = url.searchParams.get('error');
  const code = url.searchParams.get('code');
  if (error) {
    done(400, 'Sign-in failed');
    return fail(new Error(`authorization failed: ${error} ${url.searchParams.get('error_description') ?? ''}`));
  }
  if (!code) return done(400, 'No code');
  done(200, 'Signed in. You can close this window.');
  deliver(code);
});
await new Promise((resolve, reject) => {
  listener.once('error', reject);
  listener.listen(0, '127.0.0.1', resolve);
});
const redirectUrl = `http://127.0.0.1:${listener.address().port}${CALLBACK_PATH}`;

// --- The headless browser ---------------------------------------------------------
async function headlessBrowser(start) {
  let current = new URL(start);
  for (let hop = 0; hop < 10; hop++) {
    const loopback = current.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(current.hostname);
    if (current.protocol !== 'https:' && !loopback) throw new Error(`refusing to open ${current.href}`);
    const res = await fetch(current, { redirect: 'manual', headers: { accept: 'text/html,*/*' } });
    await res.arrayBuffer();
    if (res.status >= 300 && res.status < 400) {
      const location = res.headers.get('location');
      if (!location) throw new Error('a redirect without a Location');
      current = new URL(location, current);
      continue;
    }
    if (res.ok) return; // a page that is not a redirect: our listener's (done)
    throw new Error(`${current.href} answered HTTP ${res.status}`);
  }
  throw new Error('too many redirects');
}

// --- The provider, in memory --------------------------------------------------------
class MemoryProvider {
  #client;
  #tokens;
  #verifier;
  #discovery;
  get redirectUrl() {
    return redirectUrl;
  }
  get clientMetadata() {
    return {
      client_name: 'bench',
      redirect_uris: [redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  state() {
    expectedState = randomBytes(32).toString('base64url');
    return expectedState;
  }
  clientInformation() {
    return this.#client;
  }
  saveClientInformation(info) {
    this.#client = info;
  }
  tokens() {
    return this.#tokens;
  }
  saveTokens(tokens) {
    this.#tokens = tokens;
  }
  async redirectToAuthorization(url) {
    await headlessBrowser(url);
  }
  saveCodeVerifier(v) {
    this.#verifier = v;
  }
  codeVerifier() {
    if (!this.#verifier) throw new Error('no code verifier');
    return this.#verifier;
  }
  discoveryState() {
    return this.#discovery;
  }
  saveDiscoveryState(s) {
    this.#discovery = s;
  }
  invalidateCredentials(scope) {
    if (scope === 'all' || scope === 'client') this.#client = undefined;
    if (scope === 'all' || scope === 'tokens') this.#tokens = undefined;
    if (scope === 'all' || scope === 'verifier') this.#verifier = undefined;
    if (scope === 'all' || scope === 'discovery') this.#discovery = undefined;
  }
}

const provider = new MemoryProvider();
const serverUrl = new URL(mcpUrl);

// Discovery, registration, authorization URL, headless browser → the code.
const first = await auth(provider, { serverUrl });
if (first !== 'REDIRECT') throw new Error(`expected a redirect to sign in, got ${first}`);
const code = await callback;
listener.close();
// The code (with the PKCE verifier) for tokens.
const second = await auth(provider, { serverUrl, authorizationCode: code });
if (second !== 'AUTHORIZED') throw new Error(`the code exchange ended in ${second}`);

// MCP with the new token: initialize, notifications/initialized, tools/list.
const client = new Client({ name: 'bench', version: '0.0.0' });
const transport = new StreamableHTTPClientTransport(serverUrl, { authProvider: provider });
await client.connect(transport);
const { tools } = await client.listTools();
console.log(JSON.stringify({
  status: 'success',
  serverName: client.getServerVersion()?.name,
  tools: tools.map((t) => ({ name: t.name, description: t.description })),
}, null, 2));
await client.close();
process.exit(0);
