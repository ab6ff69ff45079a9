package dev.shadowcat.demo;

import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonException;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonReader;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.json.spi.JsonProvider;

import java.io.BufferedReader;
import java.io.File;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.StringReader;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Demo MCP server speaking newline-delimited JSON-RPC 2.0 over stdin/stdout.
 *
 * <p>Shadowcat's demo upstream and test fixture. Flags: {@code --single-shot} (exit after the
 * first response to a request other than initialize or a ping before it), {@code --stubborn} (ignore stdin EOF, delay shutdown by 60 s, so only SIGKILL
 * ends it quickly), {@code --spawn-child} (start a grandchild {@code sleep 300}, print
 * {@code grandchild-pid=<n>} to stderr), {@code --boot-gate FILE} (do not read stdin until FILE exists: a slow
 * start under the caller's control), {@code --ignore-ping-before-init} (leave pings unanswered until an
 * initialize request arrives). Logs go to stderr only.
 */
public final class DemoMcpServer {

    static final String LATEST_PROTOCOL = "2025-11-25";
    static final Set<String> SUPPORTED_PROTOCOLS = Set.of("2024-11-05", "2025-03-26", "2025-06-18", LATEST_PROTOCOL);
    static final List<String> LOG_LEVELS =
            List.of("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency");

    static final int PARSE_ERROR = -32700;
    static final int INVALID_REQUEST = -32600;
    static final int METHOD_NOT_FOUND = -32601;
    static final int INVALID_PARAMS = -32602;
    static final int INTERNAL_ERROR = -32603;
    static final int RESOURCE_NOT_FOUND = -32002;

    static final long CLIENT_REQUEST_TIMEOUT_MS = 30_000;
    static final long EOF_DRAIN_MS = 2_000;
    static final int BIG_MAX_BYTES = 64 << 20;
    static final long PID = ProcessHandle.current().pid();

    // Looked up once: JsonProvider.provider() repeats the ServiceLoader scan on every call.
    static final JsonProvider JSON = JsonProvider.provider();

    private final OutputStream out;
    private final Object writeLock = new Object();
    private final boolean singleShot;
    private final boolean stubborn;
    private final boolean ignorePingBeforeInit;
    private final ExecutorService workers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "mcp-worker");
        t.setDaemon(true);
        return t;
    });
    /** Client requests being processed, keyed by the JSON text of their id. */
    private final Map<String, InFlight> inFlight = new ConcurrentHashMap<>();
    /** Server-to-client requests awaiting the client's response, keyed by our string id. */
    private final Map<String, CompletableFuture<JsonObject>> awaitingClient = new ConcurrentHashMap<>();
    private final AtomicLong nextClientRequestId = new AtomicLong();
    private final Set<String> subscriptions = ConcurrentHashMap.newKeySet();
    private volatile boolean stdinClosed;
    private boolean initializeSeen; // stdin thread only

    DemoMcpServer(OutputStream out, boolean singleShot, boolean stubborn, boolean ignorePingBeforeInit) {
        this.out = out;
        this.singleShot = singleShot;
        this.stubborn = stubborn;
        this.ignorePingBeforeInit = ignorePingBeforeInit;
    }

    public static void main(String[] args) throws Exception {
        boolean singleShot = false, stubborn = false, spawnChild = false, ignorePingBeforeInit = false;
        Path bootGate = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--single-shot" -> singleShot = true;
                case "--stubborn" -> stubborn = true;
                case "--spawn-child" -> spawnChild = true;
                case "--ignore-ping-before-init" -> ignorePingBeforeInit = true;
                case "--boot-gate" -> {
                    if (i + 1 == args.length) {
                        log("--boot-gate needs a file name");
                        System.exit(2);
                    }
                    bootGate = Path.of(args[++i]);
                }
                default -> {
                    log("unknown argument: " + args[i] + " (known: --single-shot --stubborn --spawn-child"
                            + " --boot-gate FILE --ignore-ping-before-init)");
                    System.exit(2);
                }
            }
        }
        OutputStream stdout = new FileOutputStream(FileDescriptor.out);
        // Anything printed by accident lands on stderr, never in the protocol stream.
        System.setOut(System.err);

        if (stubborn) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                log("stubborn: delaying shutdown by 60 s");
                try {
                    Thread.sleep(60_000);
                } catch (InterruptedException ignored) {
                    // exit anyway
                }
            }, "stubborn-hook"));
        }
        if (spawnChild) {
            // The grandchild inherits stdout/stderr like a real wrapper's child would, so a
            // client that kills only the direct child keeps seeing an open pipe.
            Process child = new ProcessBuilder("sleep", "300")
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.INHERIT)
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            System.err.println("grandchild-pid=" + child.pid());
        }
        if (bootGate != null) {
            log("booting until " + bootGate + " exists");
            while (!Files.exists(bootGate)) {
                Thread.sleep(10);
            }
        }
        log("started pid=" + PID);
        new DemoMcpServer(stdout, singleShot, stubborn, ignorePingBeforeInit).serve(System.in);
    }

    // ---------------------------------------------------------------- transport

    void serve(InputStream in) throws IOException, InterruptedException {
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        String line;
        while ((line = reader.readLine()) != null) {
            if (!line.isBlank()) {
                handleLine(line);
            }
        }
        stdinClosed = true;
        awaitingClient.values().forEach(f -> f.completeExceptionally(new IOException("stdin closed")));
        if (stubborn) {
            log("stdin closed; stubborn: staying alive");
            new CountDownLatch(1).await();
        }
        // Give in-flight requests (e.g. piped by hand just before EOF) a moment to answer.
        workers.shutdown();
        workers.awaitTermination(EOF_DRAIN_MS, TimeUnit.MILLISECONDS);
        log("stdin closed; exiting");
        System.exit(0);
    }

    private void handleLine(String line) {
        JsonValue value;
        try (JsonReader reader = JSON.createReader(new StringReader(line))) {
            value = reader.readValue();
        } catch (JsonException e) {
            log("parse error: " + e.getMessage());
            sendError(JsonValue.NULL, PARSE_ERROR, "Parse error");
            return;
        }
        if (!(value instanceof JsonObject msg)) {
            sendError(JsonValue.NULL, INVALID_REQUEST, "Invalid Request: expected a JSON object");
            return;
        }
        JsonValue id = msg.get("id");
        JsonValue method = msg.get("method");
        if (method == null) {
            if (id != null && (msg.containsKey("result") || msg.containsKey("error"))) {
                handleClientResponse(id, msg);
            } else {
                sendError(JsonValue.NULL, INVALID_REQUEST, "Invalid Request: no method");
            }
            return;
        }
        boolean isRequest = id != null;
        if (isRequest && !(id instanceof JsonString || id instanceof JsonNumber)) {
            sendError(JsonValue.NULL, INVALID_REQUEST, "Invalid Request: id must be a string or number");
            return;
        }
        boolean v2 = msg.get("jsonrpc") instanceof JsonString v && v.getString().equals("2.0");
        if (!v2 || !(method instanceof JsonString methodName)) {
            rejectOrLog(isRequest, id, INVALID_REQUEST, "Invalid Request: need jsonrpc \"2.0\" and a string method");
            return;
        }
        String name = methodName.getString();
        JsonValue params = msg.getOrDefault("params", JsonValue.EMPTY_JSON_OBJECT);
        if (!(params instanceof JsonObject p)) {
            rejectOrLog(isRequest, id, INVALID_PARAMS, "Invalid params: params must be an object");
            return;
        }
        if (!isRequest) {
            handleNotification(name, p);
            return;
        }
        boolean beforeInit = !initializeSeen;
        if ("initialize".equals(name)) {
            initializeSeen = true;
        } else if ("ping".equals(name) && beforeInit && ignorePingBeforeInit) {
            log("ignoring ping " + id + " before initialize");
            return;
        }
        InFlight call = new InFlight(id);
        if (inFlight.putIfAbsent(call.key, call) != null) {
            sendError(id, INVALID_REQUEST, "Invalid Request: id " + id + " is already in use");
            return;
        }
        // the handshake and a readiness ping before it do not count: a single-shot server answers one real request
        boolean counts = !"initialize".equals(name) && !("ping".equals(name) && beforeInit);
        workers.execute(() -> runRequest(call, name, p, counts));
    }

    private void rejectOrLog(boolean isRequest, JsonValue id, int code, String message) {
        if (isRequest) {
            sendError(id, code, message);
        } else {
            log("dropping notification: " + message);
        }
    }

    private void handleNotification(String method, JsonObject params) {
        switch (method) {
            case "notifications/cancelled" -> {
                JsonValue requestId = params.get("requestId");
                InFlight call = requestId == null ? null : inFlight.get(requestId.toString());
                if (call != null) {
                    log("cancelling request " + requestId);
                    call.cancel();
                }
            }
            case "notifications/initialized", "notifications/roots/list_changed", "notifications/progress" -> {
            }
            default -> log("ignoring notification " + method);
        }
    }

    private void handleClientResponse(JsonValue id, JsonObject msg) {
        CompletableFuture<JsonObject> waiter =
                id instanceof JsonString s ? awaitingClient.remove(s.getString()) : null;
        if (waiter != null) {
            waiter.complete(msg);
        } else {
            log("ignoring response with unknown id " + id);
        }
    }

    private void runRequest(InFlight call, String method, JsonObject params, boolean countsForSingleShot) {
        JsonObject reply = null;
        boolean deliver;
        try {
            if (!call.start()) {
                return;
            }
            reply = response(call.id, dispatch(method, params, call));
        } catch (RpcException e) {
            reply = error(call.id, e.code, e.getMessage(), e.data);
        } catch (InterruptedException e) {
            reply = null; // cancelled: the client gets no response
        } catch (RuntimeException e) {
            log("request " + call.id + " (" + method + ") failed: " + e);
            reply = error(call.id, INTERNAL_ERROR, "Internal error: " + e, null);
        } finally {
            inFlight.remove(call.key, call);
            deliver = call.finish();
            Thread.interrupted(); // a late cancel must not leak into this pooled thread's next task
        }
        if (deliver && reply != null) {
            send(reply, countsForSingleShot);
        }
    }

    void send(JsonObject msg, boolean isResponse) {
        writeLine(msg.toString(), isResponse);
    }

    private void writeLine(String line, boolean isResponse) {
        byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
        synchronized (writeLock) {
            try {
                out.write(bytes);
                out.flush();
            } catch (IOException e) {
                log("stdout write failed: " + e.getMessage());
            }
            if (isResponse && singleShot) {
                log("single-shot: exiting after first response");
                System.exit(0); // while holding the lock, so nothing else gets written
            }
        }
    }

    private void notify(String method, JsonObject params) {
        JsonObjectBuilder msg = obj().add("jsonrpc", "2.0").add("method", method);
        if (params != null) {
            msg.add("params", params);
        }
        send(msg.build(), false);
    }

    private void sendError(JsonValue id, int code, String message) {
        send(error(id, code, message, null), true);
    }

    private static JsonObject response(JsonValue id, JsonObject result) {
        return obj().add("jsonrpc", "2.0").add("id", id).add("result", result).build();
    }

    private static JsonObject error(JsonValue id, int code, String message, JsonValue data) {
        JsonObjectBuilder err = obj().add("code", code).add("message", message);
        if (data != null) {
            err.add("data", data);
        }
        return obj().add("jsonrpc", "2.0").add("id", id).add("error", err).build();
    }

    /**
     * Sends a server-to-client request and waits for the client's result.
     *
     * @throws ToolError on an error response, a timeout or a closed stdin
     */
    private JsonObject requestClient(String method, JsonObject params) throws InterruptedException {
        String id = "s-" + nextClientRequestId.incrementAndGet();
        CompletableFuture<JsonObject> answer = new CompletableFuture<>();
        awaitingClient.put(id, answer);
        try {
            if (stdinClosed) {
                throw new ToolError(method + " failed: stdin is closed");
            }
            send(obj().add("jsonrpc", "2.0").add("id", id).add("method", method).add("params", params).build(), false);
            JsonObject reply = answer.get(CLIENT_REQUEST_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            if (reply.get("error") != null) {
                throw new ToolError(method + " failed: " + reply.get("error"));
            }
            if (!(reply.get("result") instanceof JsonObject result)) {
                throw new ToolError(method + " failed: response has no result object");
            }
            return result;
        } catch (TimeoutException e) {
            notifyClientCancelled(id, "timed out");
            throw new ToolError(method + " failed: no response within " + CLIENT_REQUEST_TIMEOUT_MS + " ms");
        } catch (InterruptedException e) {
            notifyClientCancelled(id, "request cancelled");
            throw e;
        } catch (ExecutionException e) {
            throw new ToolError(method + " failed: " + e.getCause().getMessage());
        } finally {
            awaitingClient.remove(id);
        }
    }

    private void notifyClientCancelled(String id, String reason) {
        if (!stdinClosed) {
            notify("notifications/cancelled", obj().add("requestId", id).add("reason", reason).build());
        }
    }

    // ---------------------------------------------------------------- methods

    private JsonObject dispatch(String method, JsonObject params, InFlight call) throws InterruptedException {
        return switch (method) {
            case "initialize" -> initialize(params);
            case "ping" -> JsonValue.EMPTY_JSON_OBJECT;
            case "logging/setLevel" -> {
                level(params, "level", null);
                yield JsonValue.EMPTY_JSON_OBJECT;
            }
            case "tools/list" -> obj().add("tools", TOOLS).build();
            case "tools/call" -> callTool(params);
            case "resources/list" -> obj().add("resources", RESOURCES).build();
            case "resources/templates/list" -> obj().add("resourceTemplates", JsonValue.EMPTY_JSON_ARRAY).build();
            case "resources/read" -> readResource(requireString(params, "uri"));
            case "resources/subscribe" -> {
                subscriptions.add(requireString(params, "uri"));
                yield JsonValue.EMPTY_JSON_OBJECT;
            }
            case "resources/unsubscribe" -> {
                subscriptions.remove(requireString(params, "uri"));
                yield JsonValue.EMPTY_JSON_OBJECT;
            }
            case "prompts/list" -> obj().add("prompts", PROMPTS).build();
            case "prompts/get" -> getPrompt(params);
            case "completion/complete" -> obj().add("completion", obj()
                    .add("values", JsonValue.EMPTY_JSON_ARRAY).add("total", 0).add("hasMore", false)).build();
            default -> throw new RpcException(METHOD_NOT_FOUND, "Method not found: " + method);
        };
    }

    private static JsonObject initialize(JsonObject params) {
        String requested = params.get("protocolVersion") instanceof JsonString s ? s.getString() : null;
        // Set.of(...).contains(null) throws, hence the null check
        String version = requested != null && SUPPORTED_PROTOCOLS.contains(requested) ? requested : LATEST_PROTOCOL;
        return obj()
                .add("protocolVersion", version)
                .add("capabilities", obj()
                        .add("tools", obj().add("listChanged", true))
                        .add("resources", obj().add("subscribe", true).add("listChanged", true))
                        .add("prompts", obj().add("listChanged", true))
                        .add("logging", JsonValue.EMPTY_JSON_OBJECT))
                .add("serverInfo", obj().add("name", "shadowcat-demo").add("version", "1.0.0"))
                .add("instructions", "Shadowcat demo server: a test fixture with tools echo, add, pid, progress,"
                        + " log, sample, elicit, roots, sleep, crash, garbage, touch, env, cwd, big and error.")
                .build();
    }

    private JsonObject callTool(JsonObject params) throws InterruptedException {
        String name = requireString(params, "name");
        JsonValue rawArgs = params.getOrDefault("arguments", JsonValue.NULL);
        if (rawArgs != JsonValue.NULL && !(rawArgs instanceof JsonObject)) {
            throw invalid("arguments must be an object");
        }
        JsonObject args = rawArgs instanceof JsonObject a ? a : JsonValue.EMPTY_JSON_OBJECT;
        try {
            return switch (name) {
                case "echo" -> text("Echo: " + requireString(args, "message"));
                case "add" -> text(plain(requireNumber(args, "a").add(requireNumber(args, "b"))));
                case "pid" -> text(Long.toString(PID));
                case "progress" -> progress(params, args);
                case "log" -> {
                    String level = level(args, "level", "info");
                    String message = requireString(args, "message");
                    notify("notifications/message",
                            obj().add("level", level).add("logger", "demo").add("data", message).build());
                    yield text("logged");
                }
                case "sample" -> sample(requireString(args, "prompt"));
                case "elicit" -> elicit(requireString(args, "message"));
                case "roots" -> {
                    JsonValue roots = requestClient("roots/list", JsonValue.EMPTY_JSON_OBJECT).get("roots");
                    if (roots == null) {
                        throw new ToolError("roots/list failed: result has no roots");
                    }
                    yield text(roots.toString());
                }
                case "sleep" -> {
                    long ms = integer(args, "ms", null, 0, 3_600_000);
                    Thread.sleep(ms);
                    yield text("slept " + ms);
                }
                case "crash" -> {
                    int code = (int) integer(args, "exitCode", 3L, 0, 255);
                    System.err.println("crash tool called: exiting with code " + code);
                    System.err.flush();
                    Runtime.getRuntime().halt(code);
                    throw new AssertionError("unreachable");
                }
                case "garbage" -> {
                    writeLine("this line is not JSON (garbage tool)", false);
                    yield text("garbage sent");
                }
                case "touch" -> {
                    String uri = requireString(args, "uri");
                    if (subscriptions.contains(uri)) {
                        notify("notifications/resources/updated", obj().add("uri", uri).build());
                    }
                    notify("notifications/resources/list_changed", null);
                    yield text("touched");
                }
                case "env" -> {
                    String value = System.getenv(requireString(args, "name"));
                    yield text(value == null ? "(unset)" : value);
                }
                case "cwd" -> text(Path.of("").toAbsolutePath().toString());
                case "big" -> text("x".repeat((int) integer(args, "bytes", null, 0, BIG_MAX_BYTES)));
                case "flood" -> {
                    int count = (int) integer(args, "count", null, 0, 10_000);
                    String data = "x".repeat((int) integer(args, "bytes", null, 0, BIG_MAX_BYTES));
                    boolean unsolicited = "updated".equals(args.getString("kind", "message"));
                    for (int i = 0; i < count; i++) {
                        if (unsolicited) { // belongs to no request: a gateway sends it on the standalone stream
                            notify("notifications/resources/updated", obj().add("uri", "demo://flood/" + data).build());
                        } else {
                            notify("notifications/message", obj().add("level", "info").add("logger", "flood")
                                    .add("data", data).build());
                        }
                    }
                    yield text("sent " + count);
                }
                case "error" -> toolResult("boom", true);
                default -> throw invalid("Unknown tool: " + name);
            };
        } catch (ToolError e) {
            return toolResult(e.getMessage(), true);
        }
    }

    private JsonObject progress(JsonObject params, JsonObject args) throws InterruptedException {
        long steps = integer(args, "steps", 3L, 0, 10_000);
        long delayMs = integer(args, "delayMs", 10L, 0, 60_000);
        JsonValue token = params.get("_meta") instanceof JsonObject meta ? meta.get("progressToken") : null;
        for (long i = 1; i <= steps; i++) {
            if (i > 1) {
                Thread.sleep(delayMs);
            }
            if (token != null && token != JsonValue.NULL) {
                notify("notifications/progress", obj().add("progressToken", token).add("progress", i)
                        .add("total", steps).add("message", "step " + i + " of " + steps).build());
            }
        }
        return text("done " + steps);
    }

    private JsonObject sample(String prompt) throws InterruptedException {
        JsonObject result = requestClient("sampling/createMessage", obj()
                .add("messages", arr().add(obj().add("role", "user").add("content", textContent(prompt))))
                .add("maxTokens", 100)
                .build());
        // content is one block, or (2025-11-25) possibly an array of blocks
        JsonValue content = result.get("content");
        if (content instanceof JsonArray blocks && !blocks.isEmpty()) {
            content = blocks.get(0);
        }
        if (content instanceof JsonObject block && block.get("text") instanceof JsonString text) {
            return text("sampled: " + text.getString());
        }
        throw new ToolError("sampling/createMessage failed: no text content in " + result);
    }

    private JsonObject elicit(String message) throws InterruptedException {
        JsonObject result = requestClient("elicitation/create", obj()
                .add("message", message)
                .add("requestedSchema", obj().add("type", "object")
                        .add("properties", obj().add("name", obj().add("type", "string"))))
                .build());
        if (!(result.get("action") instanceof JsonString action)) {
            throw new ToolError("elicitation/create failed: result has no action");
        }
        return text("elicited: " + action.getString() + " " + result.getOrDefault("content", JsonValue.NULL));
    }

    private static JsonObject readResource(String uri) {
        String text = switch (uri) {
            case "demo://static/hello" -> "Hello from demo";
            case "demo://pid" -> Long.toString(PID);
            default -> throw new RpcException(RESOURCE_NOT_FOUND, "Resource not found",
                    obj().add("uri", uri).build());
        };
        return obj().add("contents", arr().add(obj().add("uri", uri).add("mimeType", "text/plain").add("text", text)))
                .build();
    }

    private static JsonObject getPrompt(JsonObject params) {
        String name = requireString(params, "name");
        if (!name.equals("greet")) {
            throw invalid("Unknown prompt: " + name);
        }
        JsonObject args = params.get("arguments") instanceof JsonObject a ? a : JsonValue.EMPTY_JSON_OBJECT;
        if (!(args.get("name") instanceof JsonString who)) {
            throw invalid("Missing required argument: name");
        }
        return obj()
                .add("description", "Greeting for " + who.getString())
                .add("messages", arr().add(obj().add("role", "user")
                        .add("content", textContent("Hello, " + who.getString() + "!"))))
                .build();
    }

    // ---------------------------------------------------------------- catalog

    static final JsonArray TOOLS = arr()
            .add(tool("echo", "Echoes a message back.",
                    obj().add("message", prop("string", "Text to echo")), "message"))
            .add(tool("add", "Adds two numbers.",
                    obj().add("a", prop("number", "First addend")).add("b", prop("number", "Second addend")), "a", "b"))
            .add(tool("pid", "Returns the server's process id.", obj()))
            .add(tool("progress", "Sends notifications/progress when a progressToken is given.", obj()
                    .add("steps", prop("integer", "Number of steps (default 3)"))
                    .add("delayMs", prop("integer", "Delay between steps in ms (default 10)"))))
            .add(tool("log", "Sends a notifications/message log entry.", obj()
                    .add("message", prop("string", "Log text"))
                    .add("level", obj().add("type", "string").add("enum", arr(LOG_LEVELS))
                            .add("description", "Log level (default info)")), "message"))
            .add(tool("sample", "Asks the client to sample an LLM (sampling/createMessage).",
                    obj().add("prompt", prop("string", "User prompt")), "prompt"))
            .add(tool("elicit", "Asks the client for input (elicitation/create).",
                    obj().add("message", prop("string", "Message shown to the user")), "message"))
            .add(tool("roots", "Asks the client for its roots (roots/list).", obj()))
            .add(tool("sleep", "Sleeps, then answers; notifications/cancelled stops it silently.",
                    obj().add("ms", prop("integer", "Milliseconds to sleep")), "ms"))
            .add(tool("crash", "Exits the process at once without answering.",
                    obj().add("exitCode", prop("integer", "Exit code (default 3)"))))
            .add(tool("garbage", "Writes a non-JSON line to stdout, then answers.", obj()))
            .add(tool("touch", "Sends resources/updated (if subscribed) and resources/list_changed.",
                    obj().add("uri", prop("string", "Resource URI")), "uri"))
            .add(tool("env", "Returns an environment variable, or (unset).",
                    obj().add("name", prop("string", "Variable name")), "name"))
            .add(tool("cwd", "Returns the working directory.", obj()))
            .add(tool("big", "Returns a text of the given number of 'x' characters.",
                    obj().add("bytes", prop("integer", "Length of the text")), "bytes"))
            .add(tool("error", "Returns a tool result with isError true.", obj()))
            .add(tool("flood", "Sends count notifications/message entries (or, with kind 'updated', "
                            + "notifications/resources/updated) of the given size, then answers.",
                    obj().add("count", prop("integer", "How many (at most 10000)"))
                            .add("kind", prop("string", "message (default) or updated"))
                            .add("bytes", prop("integer", "Size of each entry's data")), "count", "bytes"))
            .build();

    static final JsonArray RESOURCES = arr()
            .add(obj().add("uri", "demo://static/hello").add("name", "hello")
                    .add("description", "A static greeting").add("mimeType", "text/plain"))
            .add(obj().add("uri", "demo://pid").add("name", "pid")
                    .add("description", "The server's process id").add("mimeType", "text/plain"))
            .build();

    static final JsonArray PROMPTS = arr()
            .add(obj().add("name", "greet").add("description", "Greets someone by name")
                    .add("arguments", arr().add(obj().add("name", "name")
                            .add("description", "Who to greet").add("required", true))))
            .build();

    private static JsonObject tool(String name, String description, JsonObjectBuilder properties, String... required) {
        JsonObjectBuilder schema = obj().add("type", "object").add("properties", properties);
        if (required.length > 0) {
            schema.add("required", arr(List.of(required)));
        }
        return obj().add("name", name).add("description", description).add("inputSchema", schema).build();
    }

    private static JsonObjectBuilder prop(String type, String description) {
        return obj().add("type", type).add("description", description);
    }

    // ---------------------------------------------------------------- helpers

    static JsonObjectBuilder obj() {
        return JSON.createObjectBuilder();
    }

    static JsonArrayBuilder arr() {
        return JSON.createArrayBuilder();
    }

    static JsonArrayBuilder arr(List<String> values) {
        JsonArrayBuilder b = arr();
        values.forEach(b::add);
        return b;
    }

    static JsonObject textContent(String text) {
        return obj().add("type", "text").add("text", text).build();
    }

    static JsonObject text(String text) {
        return toolResult(text, false);
    }

    static JsonObject toolResult(String text, boolean isError) {
        return obj().add("content", arr().add(textContent(text))).add("isError", isError).build();
    }

    static RpcException invalid(String message) {
        return new RpcException(INVALID_PARAMS, "Invalid params: " + message);
    }

    static String requireString(JsonObject o, String name) {
        if (o.get(name) instanceof JsonString s) {
            return s.getString();
        }
        throw invalid("'" + name + "' must be a string");
    }

    static BigDecimal requireNumber(JsonObject o, String name) {
        if (o.get(name) instanceof JsonNumber n) {
            return n.bigDecimalValue();
        }
        throw invalid("'" + name + "' must be a number");
    }

    /** An integer argument in [min, max]; required when {@code dflt} is null. */
    static long integer(JsonObject o, String name, Long dflt, long min, long max) {
        JsonValue v = o.get(name);
        if ((v == null || v == JsonValue.NULL) && dflt != null) {
            return dflt;
        }
        if (v instanceof JsonNumber n) {
            try {
                long value = n.bigDecimalValue().longValueExact();
                if (value >= min && value <= max) {
                    return value;
                }
            } catch (ArithmeticException ignored) {
                // not an integer: falls through
            }
        }
        throw invalid("'" + name + "' must be an integer in [" + min + ", " + max + "]");
    }

    static String level(JsonObject o, String name, String dflt) {
        JsonValue v = o.get(name);
        if (v == null && dflt != null) {
            return dflt;
        }
        if (v instanceof JsonString s && LOG_LEVELS.contains(s.getString())) {
            return s.getString();
        }
        throw invalid("'" + name + "' must be one of " + LOG_LEVELS);
    }

    /** 2 + 3 gives "5", 0.1 + 0.2 gives "0.3"; extreme exponents keep scientific notation. */
    static String plain(BigDecimal value) {
        BigDecimal v = value.stripTrailingZeros();
        return Math.abs(v.scale()) > 100 ? v.toString() : v.toPlainString();
    }

    static void log(String message) {
        System.err.println("[shadowcat-demo] " + message);
    }

    /** A JSON-RPC error to answer a request with. */
    static final class RpcException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int code;
        final JsonValue data;

        RpcException(int code, String message) {
            this(code, message, null);
        }

        RpcException(int code, String message, JsonValue data) {
            super(message, null, false, false);
            this.code = code;
            this.data = data;
        }
    }

    /** A tool failure reported as a result with isError true. */
    static final class ToolError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ToolError(String message) {
            super(message, null, false, false);
        }
    }

    /** A client request being processed; cancel() interrupts its worker unless it is done. */
    static final class InFlight {
        final JsonValue id;
        final String key;
        private Thread worker;
        private boolean cancelled;
        private boolean done;

        InFlight(JsonValue id) {
            this.id = id;
            this.key = id.toString();
        }

        synchronized boolean start() {
            worker = Thread.currentThread();
            return !cancelled;
        }

        synchronized void cancel() {
            cancelled = true;
            if (worker != null && !done) {
                worker.interrupt();
            }
        }

        /** Returns whether the response should still be sent. */
        synchronized boolean finish() {
            done = true;
            return !cancelled;
        }
    }
}
