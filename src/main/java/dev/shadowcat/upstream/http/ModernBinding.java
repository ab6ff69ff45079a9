package dev.shadowcat.upstream.http;

import dev.shadowcat.protocol.ErrorCodes;
import dev.shadowcat.protocol.Errors;
import dev.shadowcat.protocol.HeaderValues;
import dev.shadowcat.protocol.JsonP;
import dev.shadowcat.protocol.JsonScan;
import dev.shadowcat.protocol.Message;
import dev.shadowcat.protocol.ProtocolException;
import dev.shadowcat.protocol.ProtocolVersions;
import dev.shadowcat.upstream.ClientSession;
import dev.shadowcat.upstream.Exchange;
import dev.shadowcat.upstream.Exchange.Outcome;
import dev.shadowcat.upstream.UpstreamBinding;
import dev.shadowcat.upstream.UpstreamPeer;

import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;

import java.io.StringReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * A client session on a server that speaks only 2026-07-28 (stateless): the gateway plays the 2026 client.
 *
 * <p>For a client of a stateful revision: {@code initialize} is answered from the server's {@code server/discover};
 * every request becomes a self-contained POST carrying the per-request {@code _meta} (the version, the
 * capabilities and clientInfo the client declared at initialize, the log level it set) and the mirrored headers
 * ({@code Mcp-Method}, {@code Mcp-Name}, {@code Mcp-Param-*} from the tools' {@code x-mcp-header} annotations);
 * an {@code input_required} result becomes server→client requests to the client (on the request's own stream),
 * and once all are answered the same request is sent again with {@code inputResponses} and the server's
 * {@code requestState}. {@code ping} and {@code logging/setLevel} are answered here; list changes and resource
 * updates come from one {@code subscriptions/listen} stream per session. A request that already carries 2026
 * {@code _meta} (a 2026 client through the gateway) goes through as it is, and its result comes back untouched.
 *
 * <p>Thread-safe: calls are independent; each round's answers are collected under the call's lock.
 */
final class ModernBinding implements UpstreamBinding {
    private static final Logger LOG = Logger.getLogger(ModernBinding.class.getName());
    static final String V = ProtocolVersions.V2026_07_28;
    private static final String PV = "io.modelcontextprotocol/protocolVersion";
    private static final String ACCEPT = "application/json, text/event-stream";
    /** How long a round waits for the client to answer the server's questions. */
    private static final long CLIENT_ANSWER_MILLIS = TimeUnit.MINUTES.toMillis(5);
    private static final Set<String> INTERACTIVE = Set.of("tools/call", "prompts/get", "resources/read");

    private final HttpUpstream up;
    private final ClientSession session;
    private final ToolHeaders toolHeaders = new ToolHeaders();
    private final Map<Exchange, Call> calls = new ConcurrentHashMap<>();
    private final Set<String> subscriptions = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicLong ids = new AtomicLong();
    private volatile String clientMeta = "\"" + PV + "\":\"" + V + "\",\"io.modelcontextprotocol/clientCapabilities\":{}";
    private volatile String logLevel;
    private volatile JsonObject serverCapabilities = JsonValue.EMPTY_JSON_OBJECT;
    private volatile Listen listen;

    ModernBinding(HttpUpstream up, ClientSession session) {
        this.up = up;
        this.session = session;
    }

    // ---- initialize: answered from server/discover ----

    /**
     * Answers the client's initialize from the server's discover.
     *
     * @param notModern when not null (detection), called instead if the server turns out not to speak 2026-07-28
     */
    void start(Message initialize, Exchange init, Runnable notModern) {
        JsonObject params = object(initialize.paramsJson());
        StringBuilder meta = new StringBuilder("\"" + PV + "\":\"" + V + "\",\"io.modelcontextprotocol/clientCapabilities\":")
                .append(params.containsKey("capabilities") ? params.get("capabilities").toString() : "{}");
        if (params.get("clientInfo") instanceof JsonObject info) {
            meta.append(",\"io.modelcontextprotocol/clientInfo\":").append(info);
        }
        clientMeta = meta.toString();
        String requested = params.getString("protocolVersion", ProtocolVersions.LATEST);
        String version = ProtocolVersions.isSupported(requested) && !V.equals(requested) ? requested : ProtocolVersions.LATEST;
        byte[] discover = ("{\"jsonrpc\":\"2.0\",\"id\":\"shadowcat-discover\",\"method\":\"server/discover\",\"params\":{\"_meta\":{"
                + clientMeta + "}}}").getBytes(StandardCharsets.UTF_8);
        Exchange asked = Exchange.ofEnd(session, (response, outcome) -> {
            JsonObject r = response == null ? null : object(new String(response, StandardCharsets.UTF_8));
            JsonObject result = r == null ? null : r.getJsonObject("result");
            boolean modern = result != null && result.get("supportedVersions") instanceof jakarta.json.JsonArray versions
                    && versions.stream().anyMatch(v -> v instanceof JsonString s && V.equals(s.getString()));
            if (!modern) {
                if (notModern != null) {
                    notModern.run();
                } else {
                    init.onEnd(response != null && r != null && r.containsKey("error")
                            ? Message.trusted(response).rewrite(initialize.idJson(), -1, null)
                            : up.error(initialize.idJson(), ErrorCodes.INTERNAL_ERROR, "does not speak " + V),
                            Outcome.FAILED);
                }
                return;
            }
            up.detectedModern();
            serverCapabilities = result.getJsonObject("capabilities") == null ? JsonValue.EMPTY_JSON_OBJECT
                    : result.getJsonObject("capabilities");
            init.onEnd(Errors.result(initialize.idJson(), initializeResult(result, version)), Outcome.REPLIED);
        });
        send(new Call(Message.trusted(discover), asked, true));
    }

    private String initializeResult(JsonObject discover, String version) {
        JsonObjectBuilder caps = JsonP.PROVIDER.createObjectBuilder(serverCapabilities);
        caps.add("logging", JsonValue.EMPTY_JSON_OBJECT); // setLevel is answered here and sent as _meta logLevel
        JsonValue info = discover.getJsonObject("_meta") != null && discover.getJsonObject("_meta").containsKey("io.modelcontextprotocol/serverInfo")
                ? discover.getJsonObject("_meta").get("io.modelcontextprotocol/serverInfo")
                : discover.containsKey("serverInfo") ? discover.get("serverInfo")
                : JsonP.PROVIDER.createObjectBuilder().add("name", up.name()).add("version", "unknown").build();
        JsonObjectBuilder r = JsonP.PROVIDER.createObjectBuilder().add("protocolVersion", version).add("capabilities", caps)
                .add("serverInfo", info);
        if (discover.containsKey("instructions")) {
            r.add("instructions", discover.get("instructions"));
        }
        return r.build().toString();
    }

    // ---- the client's requests and notifications ----

    @Override
    public void request(Message request, Exchange exchange) {
        if (closed.get()) {
            exchange.onEnd(up.error(request.idJson(), ErrorCodes.UPSTREAM_UNAVAILABLE, "session closed"), Exchange.Outcome.FAILED);
            return;
        }
        switch (request.method()) {
            case "ping" -> exchange.onEnd(Errors.result(request.idJson(), "{}"), Exchange.Outcome.REPLIED);
            case "logging/setLevel" -> {
                logLevel = request.paramString("level");
                exchange.onEnd(Errors.result(request.idJson(), "{}"), Exchange.Outcome.REPLIED);
            }
            case "resources/subscribe", "resources/unsubscribe" -> {
                String uri = request.paramString("uri");
                if (uri != null && ("resources/subscribe".equals(request.method()) ? subscriptions.add(uri) : subscriptions.remove(uri))) {
                    relisten();
                }
                exchange.onEnd(Errors.result(request.idJson(), "{}"), Exchange.Outcome.REPLIED);
            }
            default -> {
                if (up.admit(request, exchange, false)) {
                    send(new Call(request, exchange, false));
                }
            }
        }
    }

    @Override
    public void notify(Message notification) {
        if ("notifications/initialized".equals(notification.method())) {
            relisten();
        }
        // nothing else a stateful client notifies exists in 2026-07-28 (cancellation arrives as cancel())
    }

    @Override
    public void cancel(Exchange exchange, String reason) {
        Call c = calls.get(exchange.origin());
        if (c != null) {
            c.end(null, Exchange.Outcome.CANCELLED); // closing the request's stream is how 2026-07-28 cancels
        }
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        Listen l = listen;
        if (l != null) {
            l.stop();
        }
        for (Call c : List.copyOf(calls.values())) {
            c.end(up.error(c.request.idJson(), ErrorCodes.UPSTREAM_UNAVAILABLE, "session closed"), Exchange.Outcome.FAILED);
        }
        up.forget(this);
    }

    // ---- one request, over as many rounds as the server asks for ----

    private void send(Call call) {
        calls.put(call.exchange.origin(), call);
        if ("tools/call".equals(call.request.method()) && !toolHeaders.knows(call.request.paramString("name"))) {
            toolHeaders.fetchingFor(call.request.paramString("name"));
            // the tool may want arguments mirrored as Mcp-Param-* headers: learn its annotations first
            byte[] list = ("{\"jsonrpc\":\"2.0\",\"id\":\"shadowcat-tools\",\"method\":\"tools/list\",\"params\":{\"_meta\":{"
                    + clientMeta + "}}}").getBytes(StandardCharsets.UTF_8);
            Exchange then = Exchange.ofEnd(session, (response, outcome) -> call.post(null, null));
            Call lister = new Call(Message.trusted(list), then, true);
            calls.put(then, lister);
            lister.post(null, null);
            return;
        }
        call.post(null, null);
    }

    /** One client request: a POST per round; the last round's answer ends it. */
    private final class Call {
        final Message request;
        final Exchange exchange;
        final boolean internal;
        /** A 2026 client's own request: its _meta and its results go through untouched. */
        final boolean passthrough;
        private final AtomicBoolean ended = new AtomicBoolean();
        private volatile String mintedJson;
        private volatile CompletableFuture<?> http;
        private volatile EventStreamReader reader;
        private volatile ScheduledFuture<?> deadline;
        private volatile Round round;

        Call(Message request, Exchange exchange, boolean internal) {
            this.request = request;
            this.exchange = exchange;
            this.internal = internal;
            this.passthrough = V.equals(request.paramString("_meta", PV));
        }

        void post(JsonObject inputResponses, String requestState) {
            if (ended.get()) {
                return;
            }
            if (closed.get() && !internal) {
                end(up.error(request.idJson(), ErrorCodes.UPSTREAM_UNAVAILABLE, "session closed"), Exchange.Outcome.FAILED);
                return;
            }
            String minted = "\"sc-" + ids.incrementAndGet() + "\"";
            mintedJson = minted;
            byte[] body;
            HttpRequest.Builder b;
            try {
                JsonObject params = object(request.paramsJson());
                body = body(minted, params, inputResponses, requestState);
                b = up.request(up.config().url(), null, V).header("Content-Type", "application/json").header("Accept", ACCEPT)
                        .header("Mcp-Method", request.method());
                mirror(b, params);
            } catch (RuntimeException e) {
                end(up.error(request.idJson(), ErrorCodes.INVALID_PARAMS, "cannot be sent to a " + V + " server: " + e.getMessage()),
                        Exchange.Outcome.FAILED);
                return;
            }
            up.countRequest();
            long ms = up.config().requestTimeout().toMillis();
            deadline = up.scheduler().schedule(() -> {
                if (end(up.error(request.idJson(), ErrorCodes.REQUEST_TIMEOUT, "did not answer within " + ms + " ms"), Exchange.Outcome.TIMED_OUT)) {
                    dev.shadowcat.upstream.Timeouts.warn(up.name(), request.method(), exchange, ms);
                    up.breaker().onFailure();
                }
            }, ms, TimeUnit.MILLISECONDS);
            http = up.send(session, b.POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), info -> onHeaders(info, minted))
                    .whenComplete((r, err) -> {
                        if (err != null && !ended.get() && minted.equals(mintedJson)) {
                            up.breaker().onFailure();
                            up.countFailure();
                            Throwable c = err.getCause() != null ? err.getCause() : err;
                            end(up.error(request.idJson(), ErrorCodes.INTERNAL_ERROR, "is unreachable: " + c), Exchange.Outcome.FAILED);
                        }
                    });
        }

        private byte[] body(String minted, JsonObject params, JsonObject inputResponses, String requestState) {
            JsonObjectBuilder p = JsonP.PROVIDER.createObjectBuilder(params);
            if (!passthrough) {
                JsonObjectBuilder meta = JsonP.PROVIDER.createObjectBuilder(object("{" + clientMeta + "}"));
                if (params.get("_meta") instanceof JsonObject own) {
                    own.forEach(meta::add); // progressToken and the like
                }
                String level = logLevel;
                if (level != null) {
                    meta.add("io.modelcontextprotocol/logLevel", level);
                }
                p.add("_meta", meta);
            }
            if (inputResponses != null) {
                p.add("inputResponses", inputResponses);
            }
            if (requestState != null) {
                p.add("requestState", requestState);
            }
            return ("{\"jsonrpc\":\"2.0\",\"id\":" + minted + ",\"method\":" + JsonScan.quote(request.method())
                    + ",\"params\":" + p.build() + "}").getBytes(StandardCharsets.UTF_8);
        }

        private void mirror(HttpRequest.Builder b, JsonObject params) {
            String name = switch (request.method()) {
                case "tools/call", "prompts/get" -> params.getString("name", null);
                case "resources/read" -> params.getString("uri", null);
                default -> null;
            };
            if (name != null) {
                b.header("Mcp-Name", HeaderValues.encode(name));
            }
            if ("tools/call".equals(request.method()) && name != null && params.get("arguments") instanceof JsonObject args) {
                toolHeaders.headersFor(name, args).forEach((h, v) -> b.header("Mcp-Param-" + h, v));
            }
        }

        /** True while {@code minted} is this call's current round and nothing ended it or moved it on. */
        private boolean waitingFor(String minted) {
            return !ended.get() && round == null && minted.equals(mintedJson);
        }

        private HttpResponse.BodySubscriber<Void> onHeaders(HttpResponse.ResponseInfo info, String minted) {
            int status = info.statusCode();
            String type = info.headers().firstValue("Content-Type").orElse("").toLowerCase(Locale.ROOT);
            if (status == 200 && type.startsWith("text/event-stream")) {
                up.breaker().onSuccess();
                EventStreamReader r = up.newReader(new EventStreamReader.Listener() {
                    @Override
                    public void onEvent(SseParser.Event e) {
                        if (e.data() != null && !e.data().isEmpty()) {
                            onUpstreamMessage(e.data().getBytes(StandardCharsets.UTF_8));
                        }
                    }

                    @Override
                    public void onEnd(EventStreamReader reader) {
                        lostStream(minted, "the server ended the response stream before the response");
                    }

                    @Override
                    public void onBroken(EventStreamReader reader, String why) {
                        lostStream(minted, why);
                    }
                });
                reader = r;
                return r.bodySubscriber();
            }
            return HttpResponse.BodySubscribers.mapping(HttpResponse.BodySubscribers.ofByteArray(), body -> {
                if (status >= 500) {
                    up.breaker().onFailure();
                } else {
                    up.breaker().onSuccess();
                }
                if (type.startsWith("application/json") && body.length > 0) {
                    onUpstreamMessage(body);
                }
                if (waitingFor(minted)) {
                    up.countFailure();
                    end(up.error(request.idJson(), ErrorCodes.INTERNAL_ERROR, "answered HTTP " + status + " without a JSON-RPC response"),
                            Exchange.Outcome.FAILED);
                }
                return null;
            });
        }

        private void lostStream(String minted, String why) {
            if (waitingFor(minted)) {
                up.countFailure(); // 2026-07-28 streams cannot be resumed: the request fails
                end(up.error(request.idJson(), ErrorCodes.INTERNAL_ERROR, "closed the response stream before answering (" + why + ")"),
                        Exchange.Outcome.FAILED);
            }
        }

        private void onUpstreamMessage(byte[] bytes) {
            Message m;
            try {
                m = Message.parse(bytes);
            } catch (ProtocolException e) {
                LOG.warning(() -> "upstream '" + up.name() + "' sent a message that is not JSON-RPC: " + e.getMessage());
                return;
            }
            if (m.isNotification()) {
                if (!internal) {
                    session.onUpstreamNotification(m.bytes(), exchange);
                }
                return;
            }
            if (m.isRequest()) {
                LOG.fine(() -> "upstream '" + up.name() + "' sent a request on a response stream, which " + V + " forbids: " + m.method());
                return;
            }
            if (!m.idJson().equals(mintedJson)) {
                return;
            }
            cancelDeadline();
            if (!m.isError() && !passthrough && "input_required".equals(m.string("result", "resultType"))) {
                if (!INTERACTIVE.contains(request.method())) {
                    end(up.error(request.idJson(), ErrorCodes.INTERNAL_ERROR, "answered " + request.method()
                            + " with input_required, which " + V + " allows only for tools/call, prompts/get and resources/read"),
                            Exchange.Outcome.FAILED);
                    return;
                }
                askClient(object(m.textAt(m.path("result"))));
                return;
            }
            if (!m.isError() && "tools/list".equals(request.method())) {
                toolHeaders.learn(object(m.textAt(m.path("result"))));
            }
            end(m.rewrite(request.idJson(), -1, null), Exchange.Outcome.REPLIED);
        }

        /** Puts the server's questions to the client; the answers come back through the round. */
        private void askClient(JsonObject result) {
            JsonObject questions = result.get("inputRequests") instanceof JsonObject q ? q : JsonValue.EMPTY_JSON_OBJECT;
            String state = result.get("requestState") instanceof JsonString s ? s.getString() : null;
            if (questions.isEmpty()) {
                post(null, state); // the server only wants its state back
                return;
            }
            Round r = new Round(this, questions.keySet(), state);
            r.timeout = up.scheduler().schedule(() -> end(up.error(request.idJson(), ErrorCodes.REQUEST_TIMEOUT,
                    "asked the client for input, which did not answer within " + CLIENT_ANSWER_MILLIS + " ms"), Exchange.Outcome.TIMED_OUT),
                    CLIENT_ANSWER_MILLIS, TimeUnit.MILLISECONDS);
            round = r; // published with its timeout set: end() cancels it
            for (var e : questions.entrySet()) {
                JsonObject q = e.getValue() instanceof JsonObject o ? o : JsonValue.EMPTY_JSON_OBJECT;
                String ask = "{\"jsonrpc\":\"2.0\",\"id\":" + JsonScan.quote(e.getKey()) + ",\"method\":"
                        + JsonScan.quote(q.getString("method", "")) + ",\"params\":" + q.getOrDefault("params", JsonValue.EMPTY_JSON_OBJECT) + "}";
                session.onUpstreamRequest(Message.trusted(ask.getBytes(StandardCharsets.UTF_8)), r, exchange);
            }
        }

        void resume(Round r, JsonObject answers) {
            if (round != r || ended.get()) {
                return;
            }
            round = null;
            r.timeout.cancel(false);
            post(answers, r.state);
        }

        private void cancelDeadline() {
            ScheduledFuture<?> d = deadline;
            if (d != null) {
                d.cancel(false);
            }
        }

        boolean end(byte[] response, Exchange.Outcome outcome) {
            if (!ended.compareAndSet(false, true)) {
                return false;
            }
            calls.remove(exchange.origin(), this);
            cancelDeadline();
            Round r = round;
            if (r != null) {
                r.timeout.cancel(false);
            }
            EventStreamReader rd = reader;
            if (rd != null) {
                if (outcome == Exchange.Outcome.REPLIED) {
                    rd.finish(EventStreamReader.DRAIN_GRACE_MILLIS); // keep the connection reusable
                } else {
                    rd.cancel();
                }
            }
            CompletableFuture<?> h = http;
            if (h != null && outcome != Exchange.Outcome.REPLIED) {
                h.cancel(true); // a 2026 server learns of a cancellation by the stream closing
            }
            exchange.onEnd(response, outcome);
            return true;
        }
    }

    /** One set of questions put to the client; takes its answers (as the server→client requests' peer). */
    private final class Round implements UpstreamPeer {
        final Call call;
        final Set<String> keys;
        final String state;
        final Map<String, JsonValue> answers = new LinkedHashMap<>(); // guarded by this
        volatile ScheduledFuture<?> timeout;

        Round(Call call, Set<String> keys, String state) {
            this.call = call;
            this.keys = keys;
            this.state = state;
        }

        @Override
        public void answer(String originalIdJson, Message clientResponse) {
            byte[] id = originalIdJson.getBytes(StandardCharsets.UTF_8);
            String key = JsonScan.decodeString(id, 0, id.length); // our question ids are the server's keys, as JSON strings
            if (clientResponse.isError()) {
                call.end(up.error(call.request.idJson(), ErrorCodes.INTERNAL_ERROR, "asked the client for input ('" + key
                        + "'), which refused: " + clientResponse.string("error", "message")), Exchange.Outcome.FAILED);
                return;
            }
            JsonObject all = null;
            synchronized (this) {
                if (keys.contains(key)) {
                    answers.put(key, object(clientResponse.textAt(clientResponse.path("result"))));
                    if (answers.size() == keys.size()) {
                        JsonObjectBuilder b = JsonP.PROVIDER.createObjectBuilder();
                        answers.forEach(b::add);
                        all = b.build();
                    }
                }
            }
            if (all != null) {
                call.resume(this, all);
            }
        }

        @Override
        public void refuse(String originalIdJson, int code, String message) {
            call.end(Errors.response(call.request.idJson(), code, message, null), Exchange.Outcome.FAILED);
        }
    }

    // ---- list changes and resource updates: one subscriptions/listen stream ----

    /**
     * Replaces the listen stream with one for the current filter. Only the swap is under the lock; stopping the
     * old stream and opening the new one happen outside it (both are safe against a concurrent swap or close:
     * a stopped Listen never opens, and drops a stream that connects after it was stopped).
     */
    private void relisten() {
        Listen old;
        Listen fresh;
        synchronized (this) {
            if (closed.get()) {
                return;
            }
            JsonObject f = listenFilter();
            old = listen;
            fresh = f.isEmpty() ? null : new Listen(f);
            listen = fresh;
        }
        if (old != null) {
            old.stop();
        }
        if (fresh != null) {
            fresh.open();
        }
    }

    private JsonObject listenFilter() {
        JsonObjectBuilder filter = JsonP.PROVIDER.createObjectBuilder();
        for (String[] k : new String[][]{{"tools", "toolsListChanged"}, {"prompts", "promptsListChanged"}, {"resources", "resourcesListChanged"}}) {
            if (serverCapabilities.get(k[0]) instanceof JsonObject c && c.getBoolean("listChanged", false)) {
                filter.add(k[1], true);
            }
        }
        if (!subscriptions.isEmpty()) {
            var uris = JsonP.PROVIDER.createArrayBuilder();
            subscriptions.forEach(uris::add);
            filter.add("resourceSubscriptions", uris);
        }
        return filter.build();
    }

    /** The session's listen stream, reopened (with backoff) when it ends while the session lives. */
    private final class Listen implements EventStreamReader.Listener {
        private final JsonObject filter;
        private final ReconnectPolicy reconnect = up.newReconnectPolicy();
        private final AtomicBoolean stopped = new AtomicBoolean();
        private volatile EventStreamReader reader;
        private volatile CompletableFuture<?> http;

        Listen(JsonObject filter) {
            this.filter = filter;
        }

        void open() {
            if (stopped.get() || closed.get()) {
                return;
            }
            byte[] body = ("{\"jsonrpc\":\"2.0\",\"id\":\"shadowcat-listen-" + ids.incrementAndGet() + "\",\"method\":\"subscriptions/listen\","
                    + "\"params\":{\"notifications\":" + filter + ",\"_meta\":{" + clientMeta + "}}}").getBytes(StandardCharsets.UTF_8);
            HttpRequest req = up.request(up.config().url(), null, V).timeout(up.config().sseIdleTimeout())
                    .header("Content-Type", "application/json").header("Accept", ACCEPT).header("Mcp-Method", "subscriptions/listen")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
            http = up.send(session, req, info -> {
                if (stopped.get()) {
                    return HttpResponse.BodySubscribers.replacing(null); // stopped while connecting: drop the stream
                }
                if (info.statusCode() == 200 && info.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream")) {
                    EventStreamReader r = up.newReader(this);
                    reader = r;
                    return r.bodySubscriber();
                }
                int status = info.statusCode();
                return HttpResponse.BodySubscribers.mapping(HttpResponse.BodySubscribers.discarding(), x -> {
                    retry(status, "listen answered HTTP " + status);
                    return null;
                });
            }).whenComplete((r, err) -> {
                if (err != null) {
                    retry(-1, String.valueOf(err));
                }
            });
        }

        @Override
        public void onEvent(SseParser.Event e) {
            if (stopped.get() || e.data() == null || e.data().isEmpty()) {
                return;
            }
            reconnect.onEvent();
            Message m = Message.trusted(e.data().getBytes(StandardCharsets.UTF_8));
            if (m.isNotification() && !"notifications/subscriptions/acknowledged".equals(m.method())) {
                if ("notifications/tools/list_changed".equals(m.method())) {
                    toolHeaders.forget(); // annotations may have changed: learn them again before the next call
                }
                session.onUpstreamEvent(m.bytes());
            }
        }

        @Override
        public void onEnd(EventStreamReader r) {
            retry(-1, "the listen stream ended");
        }

        @Override
        public void onBroken(EventStreamReader r, String why) {
            retry(-1, why);
        }

        private void retry(int status, String why) {
            if (stopped.get() || closed.get()) {
                return;
            }
            OptionalLong delay = reconnect.nextDelayMillis(new ReconnectPolicy.Failure(status, null, null));
            if (delay.isEmpty()) {
                LOG.info(() -> "upstream '" + up.name() + "': gave up on the listen stream (" + why + "); list changes stop");
                return;
            }
            up.scheduler().schedule(this::open, delay.getAsLong(), TimeUnit.MILLISECONDS);
        }

        void stop() {
            if (stopped.compareAndSet(false, true)) {
                EventStreamReader r = reader;
                if (r != null) {
                    r.cancel();
                }
                CompletableFuture<?> h = http;
                if (h != null) {
                    h.cancel(true);
                }
            }
        }
    }

    private static JsonObject object(String json) {
        if (json == null || json.isBlank()) {
            return JsonValue.EMPTY_JSON_OBJECT;
        }
        try (var r = JsonP.PROVIDER.createReader(new StringReader(json))) {
            JsonValue v = r.readValue();
            return v instanceof JsonObject o ? o : JsonValue.EMPTY_JSON_OBJECT;
        } catch (RuntimeException e) {
            return JsonValue.EMPTY_JSON_OBJECT;
        }
    }
}
