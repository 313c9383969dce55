// Figure 2, SDK side: the three discovery steps `mcp-auth discover` does (probe,
// Protected Resource Metadata, authorization-server metadata) with
// @modelcontextprotocol/sdk, once, as a whole process; prints what it found as JSON.
// hyperfine times it from process start to exit.
//
// Usage: node bench/sdk-discover-process.mjs <mcp-url>

import {
  extractWWWAuthenticateParams,
  discoverOAuthProtectedResourceMetadata,
  discoverAuthorizationServerMetadata,
} from '../tools/node_modules/@modelcontextprotocol/sdk/dist/esm/client/auth.js';
import { LATEST_PROTOCOL_VERSION } from '../tools/node_modules/@modelcontextprotocol/sdk/dist/esm/types.js';

const mcpUrl = process.argv[2];
if (!mcpUrl) {
  console.error('usage: sdk-discover-process.mjs <mcp-url>');
  process.exit(2);
}

const res = await fetch(mcpUrl, {
  method: 'POST',
  headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
  body: JSON.stringify({
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'bench', version: '0.0.0' } },
  }),
});
await res.arrayBuffer();
if (res.status !== 401 && res.status !== 403) {
  console.log(JSON.stringify({ status: 'not_found', http_status: res.status }));
  process.exit(1);
}
const { resourceMetadataUrl } = extractWWWAuthenticateParams(res);
const prm = await discoverOAuthProtectedResourceMetadata(mcpUrl, { resourceMetadataUrl });
const issuer = prm.authorization_servers?.[0];
if (!issuer) throw new Error('PRM names no authorization server');
const metadata = await discoverAuthorizationServerMetadata(issuer);
if (!metadata) throw new Error('no authorization-server metadata');
console.log(JSON.stringify({
  status: 'discovered',
  resource: prm.resource,
  protected_resource_metadata_url: resourceMetadataUrl?.href ?? null,
  protected_resource_metadata: prm,
  ...metadata,
}, null, 2));
