#!/usr/bin/env node
// Shadowcat test-suite driver: runs MCP scenarios over Streamable HTTP with the official TS SDK client.
//
//   node mcp-scenarios.mjs --url http://127.0.0.1:PORT/mcp [--server everything|demo] [--only a,b]
//                          [--concurrent N] [--timeout-ms 10000] [--verbose]
//
// Prints exactly ONE JSON line on stdout: {"passed":[...],"failed":[{"name","error"}],"sessionId":...}
// Exit code 0 only if every selected scenario passed. Diagnostics go to stderr (--verbose).
// --concurrent N replaces the scenario list with an isolation check: N independent clients in parallel,
// each doing 20 concurrent echo calls + 1 progress call with a client-unique progress token; every client
// must see only its own echoes / progress notifications. In that mode "sessionId" is an array.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
  ProgressNotificationSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  SUPPORTED_PROTOCOL_VERSIONS,
} from "@modelcontextprotocol/sdk/types.js";
import { randomUUID } from "node:crypto";

// ---------------------------------------------------------------- CLI
function parseArgs(argv) {
  const o = { server: "everything", only: null, concurrent: 0, timeoutMs: 10_000, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) usage(`missing value for ${a}`);
      return argv[++i];
    };
    if (a === "--url") o.url = next();
    else if (a === "--server") o.server = next();
    else if (a === "--only") o.only = next().split(",").map((s) => s.trim()).filter(Boolean);
    else if (a === "--concurrent") o.concurrent = parseInt(next(), 10);
    else if (a === "--timeout-ms") o.timeoutMs = parseInt(next(), 10);
    else if (a === "--verbose" || a === "-v") o.verbose = true;
    else if (a === "--help" || a === "-h") usage();
    else usage(`unknown argument ${a}`);
  }
  if (!o.url) usage("--url is required");
  if (!["everything", "demo"].includes(o.server)) usage(`--server must be everything|demo`);
  if (Number.isNaN(o.concurrent) || o.concurrent < 0) usage("--concurrent must be a positive integer");
  return o;
}
function usage(msg) {
  if (msg) process.stderr.write(`error: ${msg}\n`);
  process.stderr.write(
    "usage: node mcp-scenarios.mjs --url http://127.0.0.1:PORT/mcp [--server everything|demo] " +
      "[--only name,name] [--concurrent N] [--timeout-ms 10000] [--verbose]\n",
  );
  process.exit(2);
}

const opts = parseArgs(process.argv.slice(2));
const log = (...a) => opts.verbose && process.stderr.write(a.map((x) => (typeof x === "string" ? x : JSON.stringify(x))).join(" ") + "\n");

// ---------------------------------------------------------------- helpers
const FIXED_SAMPLING_TEXT = "shadowcat-fixed-sampling-reply-7f3a";
const FIXED_ELICIT_CONTENT = { name: "Shadowcat Tester", check: true, integer: 42 };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function withTimeout(promise, ms, what) {
  let t;
  return Promise.race([
    promise,
    new Promise((_, rej) => {
      t = setTimeout(() => rej(new Error(`timeout after ${ms} ms (${what})`)), ms);
    }),
  ]).finally(() => clearTimeout(t));
}
function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}
function texts(result) {
  return (result?.content ?? []).filter((c) => c.type === "text").map((c) => c.text).join("\n");
}
function errStr(e) {
  if (!e) return String(e);
  const code = e.code !== undefined ? ` [code ${e.code}]` : "";
  return `${e.message ?? String(e)}${code}`;
}
/** Resolves when `pred` returns truthy for an item pushed to `bucket` (checks already-present items first). */
function waitFor(bucket, pred, ms, what) {
  return withTimeout(
    new Promise((resolve) => {
      const hit = bucket.items.find(pred);
      if (hit) return resolve(hit);
      bucket.waiters.push({ pred, resolve });
    }),
    ms,
    what,
  );
}
function makeBucket() {
  const b = { items: [], waiters: [] };
  b.push = (x) => {
    b.items.push(x);
    b.waiters = b.waiters.filter((w) => (w.pred(x) ? (w.resolve(x), false) : true));
  };
  return b;
}

/** Builds a Client with sampling + elicitation handlers and notification recorders. */
function makeClient(name, { capabilities } = {}) {
  const client = new Client(
    { name, version: "1.0.0" },
    { capabilities: capabilities ?? { sampling: {}, elicitation: {} } },
  );
  const rec = {
    errors: [],
    sampling: [],
    elicitation: [],
    updated: makeBucket(),
    listChanged: makeBucket(),
    logs: makeBucket(),
    toolsListChanged: makeBucket(),
  };
  client.onerror = (e) => {
    rec.errors.push(errStr(e));
    log(`[${name}] onerror:`, errStr(e));
  };
  if (!capabilities || capabilities.sampling) {
    client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
      rec.sampling.push(req.params);
      return {
        role: "assistant",
        content: { type: "text", text: FIXED_SAMPLING_TEXT },
        model: "shadowcat-fixed-model",
        stopReason: "endTurn",
      };
    });
  }
  if (!capabilities || capabilities.elicitation) {
    client.setRequestHandler(ElicitRequestSchema, async (req) => {
      rec.elicitation.push(req.params);
      return { action: "accept", content: { ...FIXED_ELICIT_CONTENT } };
    });
  }
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => rec.updated.push(n.params));
  client.setNotificationHandler(ResourceListChangedNotificationSchema, (n) => rec.listChanged.push(n.params ?? {}));
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => rec.logs.push(n.params));
  return { client, rec };
}

async function rawPostStatus(url, sessionId, protocolVersion) {
  const headers = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "mcp-session-id": sessionId,
  };
  if (protocolVersion) headers["mcp-protocol-version"] = protocolVersion;
  const res = await fetch(url, {
    method: "POST",
    headers,
    body: JSON.stringify({ jsonrpc: "2.0", id: 999001, method: "tools/list", params: {} }),
  });
  await res.body?.cancel();
  return res.status;
}

// ---------------------------------------------------------------- scenario definitions
// Each scenario: async (ctx) => detail-string|undefined ; throws on failure.
function commonScenarios(kind) {
  const S = [];
  const add = (name, fn) => S.push({ name, fn });

  add("initialize", async (ctx) => {
    // connect() already ran initialize + notifications/initialized; verify what it negotiated.
    const info = ctx.client.getServerVersion();
    assert(info && typeof info.name === "string" && info.name.length > 0, `serverInfo missing: ${JSON.stringify(info)}`);
    const pv = ctx.transport.protocolVersion;
    assert(pv && SUPPORTED_PROTOCOL_VERSIONS.includes(pv), `protocol version not negotiated/supported: ${pv}`);
    assert(ctx.client.getServerCapabilities()?.tools, "server did not advertise tools capability");
    assert(ctx.transport.sessionId, "no Mcp-Session-Id received");
    if (kind === "everything") assert(info.name === "mcp-servers/everything", `unexpected serverInfo.name ${info.name}`);
    return `serverInfo=${info.name}@${info.version} protocolVersion=${pv}`;
  });

  add("tools-list", async (ctx) => {
    const expected =
      kind === "everything"
        ? ["echo", "trigger-long-running-operation", "toggle-subscriber-updates", "trigger-sampling-request", "trigger-elicitation-request"]
        : ["echo", "add", "pid", "progress", "log", "sample", "elicit", "touch"];
    let names = (await ctx.client.listTools({}, { timeout: ctx.timeoutMs })).tools.map((t) => t.name);
    let missing = expected.filter((n) => !names.includes(n));
    if (missing.length && kind === "everything") {
      // everything registers capability-dependent tools on notifications/initialized and then sends
      // notifications/tools/list_changed; tolerate that ordering once.
      await sleep(500);
      names = (await ctx.client.listTools({}, { timeout: ctx.timeoutMs })).tools.map((t) => t.name);
      missing = expected.filter((n) => !names.includes(n));
    }
    assert(missing.length === 0, `missing tools ${JSON.stringify(missing)}; got ${JSON.stringify(names)}`);
    return `${names.length} tools`;
  });

  add("echo", async (ctx) => {
    const msg = `hello shadowcat ${randomUUID()}`;
    const r = await ctx.client.callTool({ name: "echo", arguments: { message: msg } }, undefined, { timeout: ctx.timeoutMs });
    assert(!r.isError, `isError: ${texts(r)}`);
    assert(texts(r) === `Echo: ${msg}`, `unexpected echo text ${JSON.stringify(texts(r))}`);
  });

  if (kind === "demo") {
    add("add", async (ctx) => {
      const r = await ctx.client.callTool({ name: "add", arguments: { a: 2, b: 40 } }, undefined, { timeout: ctx.timeoutMs });
      assert(!r.isError, `isError: ${texts(r)}`);
      const sc = r.structuredContent ? JSON.stringify(r.structuredContent) : "";
      assert(/\b42(\.0+)?\b/.test(texts(r) + " " + sc), `add(2,40) result lacks 42: ${JSON.stringify(r)}`);
    });
    add("pid", async (ctx) => {
      const r = await ctx.client.callTool({ name: "pid", arguments: {} }, undefined, { timeout: ctx.timeoutMs });
      assert(!r.isError, `isError: ${texts(r)}`);
      const sc = r.structuredContent ? JSON.stringify(r.structuredContent) : "";
      const m = /\d+/.exec(texts(r) + " " + sc);
      assert(m, `pid result has no number: ${JSON.stringify(r)}`);
      return `pid=${m[0]}`;
    });
  }

  add("resources", async (ctx) => {
    const list = (await ctx.client.listResources({}, { timeout: ctx.timeoutMs })).resources;
    assert(list.length > 0, "resources/list returned no resources");
    let uri, expectText;
    if (kind === "everything") {
      uri = "demo://resource/static/document/instructions.md";
      assert(list.some((r) => r.uri === uri), `resources/list lacks ${uri}: ${JSON.stringify(list.map((r) => r.uri))}`);
    } else {
      uri = "demo://static/hello";
      expectText = "Hello from demo";
      assert(list.some((r) => r.uri === uri), `resources/list lacks ${uri}: ${JSON.stringify(list.map((r) => r.uri))}`);
    }
    const read = await ctx.client.readResource({ uri }, { timeout: ctx.timeoutMs });
    const c = read.contents?.[0];
    assert(c && c.uri === uri, `resources/read returned wrong contents: ${JSON.stringify(read).slice(0, 300)}`);
    assert(typeof c.text === "string" && c.text.length > 0, "resources/read returned no text");
    if (expectText) assert(c.text.includes(expectText), `resource text ${JSON.stringify(c.text)} lacks ${expectText}`);
    if (kind === "everything") {
      // also exercise a resource template
      const t = await ctx.client.readResource({ uri: "demo://resource/dynamic/text/1" }, { timeout: ctx.timeoutMs });
      assert(t.contents?.[0]?.text?.length > 0, "template resource read returned no text");
    }
    return `${list.length} resources`;
  });

  add("prompts", async (ctx) => {
    const list = (await ctx.client.listPrompts({}, { timeout: ctx.timeoutMs })).prompts;
    const [pname, args, expected] =
      kind === "everything" ? ["args-prompt", { city: "Paris" }, "What's weather in Paris?"] : ["greet", { name: "Shadowcat" }, "Hello, Shadowcat!"];
    assert(list.some((p) => p.name === pname), `prompts/list lacks ${pname}: ${JSON.stringify(list.map((p) => p.name))}`);
    const got = await ctx.client.getPrompt({ name: pname, arguments: args }, { timeout: ctx.timeoutMs });
    const text = (got.messages ?? []).map((m) => m.content?.text ?? "").join("\n");
    assert(text.includes(expected), `prompt text ${JSON.stringify(text)} lacks ${JSON.stringify(expected)}`);
    return `${list.length} prompts`;
  });

  add("progress", async (ctx) => {
    const seen = [];
    const [tool, args, steps] =
      kind === "everything"
        ? ["trigger-long-running-operation", { duration: 1, steps: 3 }, 3]
        : ["progress", { steps: 3, delayMs: 100 }, 3];
    const r = await ctx.client.callTool({ name: tool, arguments: args }, undefined, {
      timeout: ctx.timeoutMs,
      onprogress: (p) => seen.push(p),
    });
    assert(!r.isError, `isError: ${texts(r)}`);
    assert(seen.length >= 1, "no notifications/progress received");
    assert(seen.every((p, i) => i === 0 || p.progress > seen[i - 1].progress), `progress not increasing: ${JSON.stringify(seen)}`);
    return `${seen.length}/${steps} progress notifications`;
  });

  if (kind === "demo") {
    add("logging", async (ctx) => {
      if (ctx.client.getServerCapabilities()?.logging) {
        await ctx.client.setLoggingLevel("debug", { timeout: ctx.timeoutMs });
      }
      const msg = `log-line-${randomUUID()}`;
      const r = await ctx.client.callTool({ name: "log", arguments: { message: msg, level: "info" } }, undefined, { timeout: ctx.timeoutMs });
      assert(!r.isError, `isError: ${texts(r)}`);
      await waitFor(ctx.rec.logs, (p) => JSON.stringify(p.data ?? "").includes(msg), 3000, "notifications/message with our text");
    });
  }

  add("sampling", async (ctx) => {
    const before = ctx.rec.sampling.length;
    const [tool, args] = kind === "everything" ? ["trigger-sampling-request", { prompt: "say hi", maxTokens: 20 }] : ["sample", { prompt: "say hi" }];
    const r = await ctx.client.callTool({ name: tool, arguments: args }, undefined, { timeout: ctx.timeoutMs });
    assert(!r.isError, `isError: ${texts(r)}`);
    assert(ctx.rec.sampling.length > before, "client never received sampling/createMessage");
    assert(texts(r).includes(FIXED_SAMPLING_TEXT), `tool result lacks sampled text: ${JSON.stringify(texts(r)).slice(0, 300)}`);
    if (kind === "demo") assert(texts(r).includes(`sampled: ${FIXED_SAMPLING_TEXT}`), `expected "sampled: <text>", got ${JSON.stringify(texts(r))}`);
  });

  add("elicitation", async (ctx) => {
    const before = ctx.rec.elicitation.length;
    const [tool, args] = kind === "everything" ? ["trigger-elicitation-request", {}] : ["elicit", { message: "Who are you?" }];
    const r = await ctx.client.callTool({ name: tool, arguments: args }, undefined, { timeout: ctx.timeoutMs });
    assert(!r.isError, `isError: ${texts(r)}`);
    assert(ctx.rec.elicitation.length > before, "client never received elicitation/create");
    const t = texts(r);
    if (kind === "everything") {
      assert(t.includes(`- Name: ${FIXED_ELICIT_CONTENT.name}`), `result lacks accepted content: ${JSON.stringify(t).slice(0, 300)}`);
      assert(t.includes('"action": "accept"'), "result lacks action accept");
    } else {
      const m = /elicited: accept\s+(\{.*\})\s*$/s.exec(t);
      assert(m, `expected "elicited: accept <json>", got ${JSON.stringify(t)}`);
      let content;
      try {
        content = JSON.parse(m[1]);
      } catch {
        throw new Error(`content after "elicited: accept" is not JSON: ${m[1]}`);
      }
      for (const [k, v] of Object.entries(FIXED_ELICIT_CONTENT)) {
        assert(JSON.stringify(content[k]) === JSON.stringify(v), `elicited content.${k}=${JSON.stringify(content[k])}, want ${JSON.stringify(v)}`);
      }
    }
  });

  if (kind === "everything") {
    add("logging", async (ctx) => {
      // everything's resources/subscribe handler emits notifications/message "Received Subscribe Resource request ..."
      await ctx.client.setLoggingLevel("debug", { timeout: ctx.timeoutMs });
      const uri = "demo://resource/static/document/features.md";
      await ctx.client.subscribeResource({ uri }, { timeout: ctx.timeoutMs });
      await waitFor(ctx.rec.logs, (p) => String(p.data).includes(`Received Subscribe Resource request for URI: ${uri}`), 5000, "log notification");
      await ctx.client.unsubscribeResource({ uri }, { timeout: ctx.timeoutMs });
    });
  }

  add("subscribe", async (ctx) => {
    if (kind === "everything") {
      // subscribe, then toggle-subscriber-updates: sends notifications/resources/updated immediately and every 5 s
      const uri = "demo://resource/static/document/architecture.md";
      assert(ctx.client.getServerCapabilities()?.resources?.subscribe, "server does not advertise resources.subscribe");
      await ctx.client.subscribeResource({ uri }, { timeout: ctx.timeoutMs });
      const r = await ctx.client.callTool({ name: "toggle-subscriber-updates", arguments: {} }, undefined, { timeout: ctx.timeoutMs });
      assert(/Started/.test(texts(r)), `toggle did not start updates: ${texts(r)}`);
      try {
        await waitFor(ctx.rec.updated, (p) => p.uri === uri, 7000, `notifications/resources/updated for ${uri}`);
      } finally {
        await ctx.client.callTool({ name: "toggle-subscriber-updates", arguments: {} }, undefined, { timeout: ctx.timeoutMs }).catch(() => {});
        await ctx.client.unsubscribeResource({ uri }, { timeout: ctx.timeoutMs }).catch(() => {});
      }
    } else {
      const uri = "demo://static/hello";
      assert(ctx.client.getServerCapabilities()?.resources?.subscribe, "server does not advertise resources.subscribe");
      await ctx.client.subscribeResource({ uri }, { timeout: ctx.timeoutMs });
      const r = await ctx.client.callTool({ name: "touch", arguments: { uri } }, undefined, { timeout: ctx.timeoutMs });
      assert(!r.isError, `touch isError: ${texts(r)}`);
      await waitFor(ctx.rec.updated, (p) => p.uri === uri, 5000, `notifications/resources/updated for ${uri}`);
      await waitFor(ctx.rec.listChanged, () => true, 5000, "notifications/resources/list_changed");
      await ctx.client.unsubscribeResource({ uri }, { timeout: ctx.timeoutMs }).catch(() => {});
    }
  });

  add("terminate", async (ctx) => {
    const sid = ctx.transport.sessionId;
    assert(sid, "no session to terminate");
    await ctx.transport.terminateSession(); // DELETE; 2xx or 405 accepted by the SDK
    assert(ctx.transport.sessionId === undefined, "transport still holds a session id after DELETE");
    // The old session must now be unknown (spec: 404; server-everything answers 400).
    const status = await rawPostStatus(ctx.url, sid, ctx.protocolVersion);
    assert(status === 404 || status === 400, `POST with terminated session id got HTTP ${status}, want 404 (or 400)`);
    ctx.terminated = true;
    return `post-DELETE POST status ${status}`;
  });
  return S;
}

// ---------------------------------------------------------------- runners
async function runScenarios() {
  const all = commonScenarios(opts.server);
  const known = all.map((s) => s.name);
  if (opts.only) {
    const unknown = opts.only.filter((n) => !known.includes(n));
    if (unknown.length) usage(`unknown scenario(s) ${unknown.join(",")}; known: ${known.join(",")}`);
  }
  const selected = opts.only ? all.filter((s) => opts.only.includes(s.name)) : all;
  const passed = [];
  const failed = [];
  const { client, rec } = makeClient("shadowcat-scenarios");
  const transport = new StreamableHTTPClientTransport(new URL(opts.url));
  const ctx = { client, rec, transport, url: opts.url, timeoutMs: opts.timeoutMs };
  let sessionId = null;

  try {
    await withTimeout(client.connect(transport, { timeout: opts.timeoutMs }), opts.timeoutMs, "initialize");
    sessionId = transport.sessionId ?? null;
    ctx.protocolVersion = transport.protocolVersion;
    log(`connected session=${sessionId} protocol=${transport.protocolVersion}`);
  } catch (e) {
    for (const s of selected) failed.push({ name: s.name, error: s.name === "initialize" ? errStr(e) : `not run: initialize failed: ${errStr(e)}` });
    return { passed, failed, sessionId };
  }

  for (const s of selected) {
    const t0 = Date.now();
    try {
      const detail = await withTimeout(s.fn(ctx), opts.timeoutMs, s.name);
      passed.push(s.name);
      log(`PASS ${s.name} (${Date.now() - t0} ms)${detail ? " " + detail : ""}`);
    } catch (e) {
      failed.push({ name: s.name, error: errStr(e) });
      log(`FAIL ${s.name} (${Date.now() - t0} ms): ${errStr(e)}`);
    }
  }
  if (!ctx.terminated) await withTimeout(transport.terminateSession(), 3000, "cleanup DELETE").catch(() => {});
  await client.close().catch(() => {});
  return { passed, failed, sessionId };
}

async function isolationClient(i, nonce) {
  const name = `isolation-${i}`;
  const { client, rec } = makeClient(`shadowcat-iso-${i}`, { capabilities: {} });
  const progressSeen = [];
  // Replace the SDK's token->handler routing so foreign tokens are visible instead of silently mis-routed.
  client.setNotificationHandler(ProgressNotificationSchema, (n) => progressSeen.push(n.params));
  const transport = new StreamableHTTPClientTransport(new URL(opts.url));
  let sessionId = null;
  try {
    await withTimeout(client.connect(transport, { timeout: opts.timeoutMs }), opts.timeoutMs, `${name} initialize`);
    sessionId = transport.sessionId ?? null;
    const token = `iso-${i}-${nonce}`;
    const steps = 2 + (i % 3);
    const [tool, args] =
      opts.server === "everything" ? ["trigger-long-running-operation", { duration: 0.5, steps }] : ["progress", { steps, delayMs: 50 }];
    const echoes = Array.from({ length: 20 }, (_, j) => {
      const msg = `${token}-echo-${j}`;
      return client
        .callTool({ name: "echo", arguments: { message: msg } }, undefined, { timeout: opts.timeoutMs })
        .then((r) => ({ msg, text: texts(r) }));
    });
    const prog = client.callTool({ name: tool, arguments: args, _meta: { progressToken: token } }, undefined, { timeout: opts.timeoutMs });
    const results = await withTimeout(Promise.all([Promise.all(echoes), prog]), opts.timeoutMs, `${name} calls`);
    await sleep(200); // let any stray notifications arrive
    const wrong = results[0].filter((x) => x.text !== `Echo: ${x.msg}`);
    assert(wrong.length === 0, `received foreign/wrong echoes: ${JSON.stringify(wrong.slice(0, 3))}`);
    const foreign = progressSeen.filter((p) => p.progressToken !== token);
    assert(foreign.length === 0, `received foreign progress notifications: ${JSON.stringify(foreign.slice(0, 3))}`);
    assert(progressSeen.length === steps, `expected ${steps} own progress notifications, got ${progressSeen.length}`);
    const bad = rec.errors.filter((e) => /unknown (message ID|token)|Unknown message/i.test(e));
    assert(bad.length === 0, `SDK saw unroutable messages: ${bad.slice(0, 3).join(" | ")}`);
    await withTimeout(transport.terminateSession(), 3000, `${name} DELETE`).catch(() => {});
    return { name, sessionId };
  } finally {
    await client.close().catch(() => {});
  }
}

async function runConcurrent(n) {
  const nonce = randomUUID().slice(0, 8);
  const settled = await Promise.allSettled(Array.from({ length: n }, (_, i) => isolationClient(i, nonce)));
  const passed = [];
  const failed = [];
  const sessionIds = [];
  settled.forEach((s, i) => {
    if (s.status === "fulfilled") {
      passed.push(s.value.name);
      sessionIds.push(s.value.sessionId);
    } else failed.push({ name: `isolation-${i}`, error: errStr(s.reason) });
  });
  if (new Set(sessionIds).size !== sessionIds.length) failed.push({ name: "isolation-distinct-sessions", error: `duplicate session ids ${JSON.stringify(sessionIds)}` });
  else passed.push("isolation-distinct-sessions");
  return { passed, failed, sessionId: sessionIds };
}

// ---------------------------------------------------------------- main
const started = Date.now();
let out;
try {
  out = opts.concurrent > 0 ? await runConcurrent(opts.concurrent) : await runScenarios();
} catch (e) {
  out = { passed: [], failed: [{ name: "harness", error: errStr(e) }], sessionId: null };
}
log(`total ${Date.now() - started} ms`);
process.stdout.write(JSON.stringify(out) + "\n", () => process.exit(out.failed.length === 0 && out.passed.length > 0 ? 0 : 1));
