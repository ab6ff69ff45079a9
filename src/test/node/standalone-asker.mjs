// Test fixture: a stateful Streamable HTTP MCP server (TypeScript SDK) whose tool `ask_standalone` asks the
// client for a sampling without naming the request it serves, so the SDK sends it on the standalone GET stream.
// If that stream is not open yet, the SDK keeps the message for it and the call never completes: the gateway
// must have the stream open before it forwards the session's first request. Listens on 127.0.0.1:$PORT only.
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';

const port = Number(process.env.PORT);
const transports = new Map();

function newServer() {
  const server = new McpServer({ name: 'standalone-asker', version: '1.0.0' });
  server.registerTool('ask_standalone', { description: 'Samples through the standalone stream' }, async () => {
    const r = await server.server.createMessage({
      messages: [{ role: 'user', content: { type: 'text', text: 'say something' } }],
      maxTokens: 10,
    });
    return { content: [{ type: 'text', text: 'sampled: ' + (r.content?.text ?? JSON.stringify(r.content)) }] };
  });
  return server;
}

async function body(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : undefined;
}

http.createServer(async (req, res) => {
  try {
    if (!req.url.startsWith('/mcp')) {
      res.writeHead(404).end();
      return;
    }
    const id = req.headers['mcp-session-id'];
    const parsed = req.method === 'POST' ? await body(req) : undefined;
    let transport = id ? transports.get(id) : undefined;
    if (!transport && req.method === 'POST' && !id && isInitializeRequest(parsed)) {
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: sid => transports.set(sid, transport),
      });
      transport.onclose = () => transport.sessionId && transports.delete(transport.sessionId);
      await newServer().connect(transport);
    }
    if (!transport) {
      res.writeHead(id ? 404 : 400, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32000, message: 'no such session' } }));
      return;
    }
    await transport.handleRequest(req, res, parsed);
  } catch (e) {
    if (!res.headersSent) res.writeHead(500).end(String(e));
  }
}).listen(port, '127.0.0.1', () => console.log(`standalone-asker listening on 127.0.0.1:${port}`));
