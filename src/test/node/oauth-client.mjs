// The TypeScript SDK's own OAuth client against a protected gateway: from the 401 alone it finds the
// protected-resource metadata, the authorization server's metadata and token endpoint, gets a token and opens
// the MCP session. Prints {"tools": [...], "requests": [...]} (the gateway paths it was sent to) on success.
//   node oauth-client.mjs client-credentials <mcp-url> <issuer> <client-id>       (secret in OAUTH_CLIENT_SECRET)
//   node oauth-client.mjs auth-code <mcp-url> <issuer> <public-client-id> <user>  (password in OAUTH_USER_PASSWORD)
// The auth-code flow is driven headlessly: the authorization URL the SDK asks to open is fetched, the login
// form filled in, and the code taken from the redirect, as a browser would.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';

const [mode, mcpUrl, issuer, clientId, user] = process.argv.slice(2);
const seen = [];
const recordingFetch = async (url, init) => {
  const u = new URL(url instanceof Request ? url.url : url);
  if (!['127.0.0.1', '[::1]', 'localhost'].includes(u.hostname)) {
    throw new Error('loopback only: ' + u.hostname);
  }
  const res = await fetch(url, init);
  seen.push(`${init?.method ?? 'GET'} ${u.pathname} ${res.status}`);
  return res;
};

class InMemoryProvider {
  constructor(id, redirectUrl) { this.info = { client_id: id }; this.redirect = redirectUrl; }
  get redirectUrl() { return this.redirect; }
  get clientMetadata() {
    return { client_name: 'shadowcat-test', redirect_uris: [this.redirect], grant_types: ['authorization_code'],
      response_types: ['code'], token_endpoint_auth_method: 'none' };
  }
  clientInformation() { return this.info; }
  saveClientInformation(i) { this.info = i; }
  tokens() { return this.saved; }
  saveTokens(t) { this.saved = t; }
  redirectToAuthorization(url) { this.authorizationUrl = url; }
  saveCodeVerifier(v) { this.verifier = v; }
  codeVerifier() { return this.verifier; }
}

async function login(authorizationUrl, username, password) {
  const jar = new Map();
  const keep = (res) => {
    for (const c of res.headers.getSetCookie()) {
      const [kv] = c.split(';');
      const i = kv.indexOf('=');
      jar.set(kv.slice(0, i).trim(), kv.slice(i + 1));
    }
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  let res = await recordingFetch(authorizationUrl, { redirect: 'manual' });
  keep(res);
  const html = await res.text();
  const m = html.match(/<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"/);
  if (!m) throw new Error(`no login form (HTTP ${res.status}): ${html.slice(0, 300)}`);
  res = await recordingFetch(new URL(m[1].replace(/&amp;/g, '&'), authorizationUrl), {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookie() },
    body: new URLSearchParams({ username, password, credentialId: '' }),
  });
  if (res.status !== 302) throw new Error(`login refused: HTTP ${res.status}`);
  const back = new URL(res.headers.get('location'));
  if (back.searchParams.get('error')) throw new Error(`authorization error: ${back.searchParams.get('error')}`);
  return back.searchParams.get('code');
}

const url = new URL(mcpUrl);
let transport;
if (mode === 'client-credentials') {
  const provider = new ClientCredentialsProvider({ clientId, clientSecret: process.env.OAUTH_CLIENT_SECRET, expectedIssuer: issuer });
  transport = new StreamableHTTPClientTransport(url, { authProvider: provider, fetch: recordingFetch });
} else if (mode === 'auth-code') {
  const provider = new InMemoryProvider(clientId, 'http://127.0.0.1:53682/callback'); // never listened on: the code is read off the redirect
  const first = new StreamableHTTPClientTransport(url, { authProvider: provider, fetch: recordingFetch });
  try {
    await new Client({ name: 'oauth-test', version: '1.0.0' }).connect(first);
    throw new Error('connected without logging in');
  } catch (e) {
    if (!(e instanceof UnauthorizedError)) throw e;
  }
  const authUrl = provider.authorizationUrl;
  if (!authUrl || authUrl.searchParams.get('code_challenge_method') !== 'S256') throw new Error('no PKCE S256 in ' + authUrl);
  await first.finishAuth(await login(authUrl, user, process.env.OAUTH_USER_PASSWORD));
  transport = new StreamableHTTPClientTransport(url, { authProvider: provider, fetch: recordingFetch });
} else {
  throw new Error('mode: client-credentials or auth-code');
}
const client = new Client({ name: 'oauth-test', version: '1.0.0' });
await client.connect(transport);
const tools = (await client.listTools()).tools.map((t) => t.name);
const echoed = await client.callTool({ name: 'echo', arguments: { message: 'through the gateway' } });
await transport.terminateSession();
await client.close();
console.log(JSON.stringify({ tools, echoed: echoed.content?.[0]?.text ?? null, requests: seen }));
