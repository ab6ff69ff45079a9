#!/usr/bin/env node
// Tiny stdio MCP client: launches `cmd args...` (everything after `--`) via StdioClientTransport,
// runs initialize + tools/list + one echo call, prints ONE JSON line, exits 0 (ok) / 1 (failure) / 2 (usage).
//
//   node stdio-client.mjs [--timeout-ms 10000] [--message TEXT] [--env K=V ...] -- <command> [args...]
//
// Output: {"ok":bool,"serverInfo":{..},"protocolVersion":"..","tools":[..],"echo":"..","error":".."?,"ms":N}
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport, getDefaultEnvironment } from "@modelcontextprotocol/sdk/client/stdio.js";

const argv = process.argv.slice(2);
const sep = argv.indexOf("--");
if (sep < 0 || sep === argv.length - 1) {
  process.stderr.write("usage: node stdio-client.mjs [--timeout-ms N] [--message TEXT] [--env K=V] -- <command> [args...]\n");
  process.exit(2);
}
const [command, ...args] = argv.slice(sep + 1);
let timeoutMs = 10_000;
let message = `stdio-echo-${process.pid}-${Date.now()}`;
const env = { ...getDefaultEnvironment() }; // SDK default: only HOME, LOGNAME, PATH, SHELL, TERM, USER (POSIX)
for (let i = 0; i < sep; i++) {
  if (argv[i] === "--timeout-ms") timeoutMs = parseInt(argv[++i], 10);
  else if (argv[i] === "--message") message = argv[++i];
  else if (argv[i] === "--env") {
    const kv = argv[++i] ?? "";
    const eq = kv.indexOf("=");
    if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
  } else {
    process.stderr.write(`unknown argument ${argv[i]}\n`);
    process.exit(2);
  }
}

const t0 = Date.now();
const out = { ok: false, command: [command, ...args] };
const client = new Client({ name: "shadowcat-stdio-client", version: "1.0.0" }, { capabilities: {} });
const transport = new StdioClientTransport({ command, args, env, stderr: "inherit" });
// Record the negotiated protocol version (the stdio transport has no setProtocolVersion hook).
let negotiated = null;
let innerOnMessage;
Object.defineProperty(transport, "onmessage", {
  configurable: true,
  get: () => innerOnMessage && ((m, extra) => {
    if (m && m.result && typeof m.result.protocolVersion === "string" && m.result.serverInfo) negotiated = m.result.protocolVersion;
    return innerOnMessage(m, extra);
  }),
  set: (fn) => { innerOnMessage = fn; },
});
const timer = setTimeout(() => finish(new Error(`timeout after ${timeoutMs} ms`)), timeoutMs);

async function finish(err) {
  clearTimeout(timer);
  if (err) out.error = err.message ?? String(err);
  out.ok = !err;
  out.ms = Date.now() - t0;
  await Promise.race([client.close().catch(() => {}), new Promise((r) => setTimeout(r, 2000))]);
  process.stdout.write(JSON.stringify(out) + "\n", () => process.exit(out.ok ? 0 : 1));
}

try {
  await client.connect(transport, { timeout: timeoutMs });
  out.serverInfo = client.getServerVersion();
  out.protocolVersion = negotiated;
  out.pid = transport.pid;
  const tools = await client.listTools({}, { timeout: timeoutMs });
  out.tools = tools.tools.map((t) => t.name);
  if (!out.tools.includes("echo")) throw new Error(`server has no echo tool: ${JSON.stringify(out.tools)}`);
  const r = await client.callTool({ name: "echo", arguments: { message } }, undefined, { timeout: timeoutMs });
  out.echo = (r.content ?? []).filter((c) => c.type === "text").map((c) => c.text).join("\n");
  if (r.isError) throw new Error(`echo isError: ${out.echo}`);
  if (out.echo !== `Echo: ${message}`) throw new Error(`unexpected echo ${JSON.stringify(out.echo)}`);
  await finish();
} catch (e) {
  await finish(e);
}
