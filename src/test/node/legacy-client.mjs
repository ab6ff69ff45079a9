#!/usr/bin/env node
// Drives the gateway's legacy HTTP+SSE front door (protocol 2024-11-05) with the TS SDK's SSEClientTransport.
//   node legacy-client.mjs --url http://127.0.0.1:PORT/sse/demo [--concurrent N]
// Each client: initialize, tools/list, 20 concurrent echo calls with client-unique messages, one progress call;
// it must see only its own answers and its own progress. Prints one JSON line;
// exit 0 only if every client passed.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const url = opt("--url");
const concurrent = parseInt(opt("--concurrent", "1"), 10);
if (!url) {
  process.stderr.write("usage: node legacy-client.mjs --url http://127.0.0.1:PORT/sse[/upstream] [--concurrent N]\n");
  process.exit(2);
}
const timeout = (ms, what) => new Promise((_, rej) => setTimeout(() => rej(new Error(`timeout: ${what}`)), ms).unref());

async function one(n) {
  const client = new Client({ name: `legacy-${n}`, version: "1.0.0" });
  const transport = new SSEClientTransport(new URL(url));
  await Promise.race([client.connect(transport), timeout(15000, "connect")]);
  // Count progress at the transport: the SDK dispatches notifications a tick late and may drop a step that
  // arrives just before its response as an "unknown token"; what crossed the wire is what isolation is about.
  const wireProgress = [];
  const deliver = transport.onmessage;
  transport.onmessage = (m) => {
    if (m.method === "notifications/progress") wireProgress.push(m.params);
    deliver(m);
  };
  const version = client.getServerVersion();
  const tools = (await client.listTools()).tools.map((t) => t.name);
  if (!tools.includes("echo")) throw new Error(`client ${n}: no echo tool in ${tools}`);
  const calls = [];
  for (let i = 0; i < 20; i++) {
    const msg = `client-${n}-call-${i}`;
    calls.push(client.callTool({ name: "echo", arguments: { message: msg } }).then((r) => {
      const text = r.content?.[0]?.text;
      if (text !== `Echo: ${msg}`) throw new Error(`client ${n} got "${text}" for "${msg}"`);
    }));
  }
  calls.push(client.callTool({ name: "progress", arguments: { steps: 3, delayMs: 5 } },
    undefined, { onprogress: () => {} }));
  await Promise.race([Promise.all(calls), timeout(20000, `client ${n} calls`)]);
  const steps = wireProgress.map((p) => p.progress);
  const tokens = new Set(wireProgress.map((p) => p.progressToken));
  if (JSON.stringify(steps) !== "[1,2,3]" || tokens.size !== 1) {
    throw new Error(`client ${n}: progress on the wire ${JSON.stringify(wireProgress)}, expected its own steps 1,2,3 once`);
  }
  await client.close();
  return { client: n, server: version?.name };
}

const results = await Promise.allSettled(Array.from({ length: concurrent }, (_, i) => one(i + 1)));
const failed = results.filter((r) => r.status === "rejected").map((r) => String(r.reason?.message ?? r.reason));
process.stdout.write(JSON.stringify({ passed: results.filter((r) => r.status === "fulfilled").map((r) => r.value), failed }) + "\n");
process.exit(failed.length === 0 ? 0 : 1);
