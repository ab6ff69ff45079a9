package dev.shadowcat.session;

import dev.shadowcat.protocol.ErrorCodes;
import dev.shadowcat.protocol.Errors;
import dev.shadowcat.protocol.Message;
import dev.shadowcat.protocol.ProtocolVersions;
import dev.shadowcat.stream.EventStream;
import dev.shadowcat.upstream.ClientSession;
import dev.shadowcat.upstream.Exchange;
import dev.shadowcat.upstream.Upstream;
import dev.shadowcat.upstream.UpstreamBinding;
import dev.shadowcat.upstream.UpstreamPeer;

import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;

import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * Serves 2026-07-28 (stateless) clients from an upstream that speaks a stateful revision: the gateway holds one
 * upstream session of its own per upstream, initialized on first use, and multiplexes every stateless request
 * onto it with gateway-minted ids and progress tokens (so two clients' equal ids never meet upstream).
 *
 * <p>Thread-safe. Results gain {@code resultType: "complete"}; cacheable results gain {@code ttlMs: 0} and
 * {@code cacheScope: "private"} (the gateway cannot know whether an upstream's lists are the same for every user,
 * so it never lets them be shared). {@code subscriptions/listen} streams are fed from the upstream session's
 * list_changed and resources/updated notifications, tagged with the listen request's id. Server→client requests
 * (sampling, elicitation, roots) would need the 2026 input-required round trip, which is not bridged yet: the
 * upstream is told the client cannot answer.
 */
public final class StatelessBridge implements ClientSession {
    private static final Logger LOG = Logger.getLogger(StatelessBridge.class.getName());
    private static final Set<String> CACHEABLE = Set.of("tools/list", "prompts/list", "resources/list",
            "resources/templates/list", "resources/read");

    /** Where a stateless request's messages go (the HTTP layer's response). */
    public interface Sink {
        void message(byte[] json);

        void response(byte[] json);
    }

    private final Upstream upstream;
    private final AtomicLong ids = new AtomicLong();
    private final Map<String, Listener> listeners = new ConcurrentHashMap<>();
    private volatile CompletableFuture<Opened> opened;

    private record Opened(UpstreamBinding binding, JsonObject initResult) {
    }

    /** One open subscriptions/listen stream. */
    private record Listener(String idJson, JsonObject filter, EventStream stream) {
    }

    public StatelessBridge(Upstream upstream) {
        this.upstream = upstream;
    }

    /** The upstream session the bridge uses, opened on first use and again after it was lost. */
    private CompletableFuture<Opened> session() {
        CompletableFuture<Opened> f = opened;
        if (f != null && !f.isCompletedExceptionally()) {
            return f;
        }
        synchronized (this) {
            if (opened != null && !opened.isCompletedExceptionally()) {
                return opened;
            }
            CompletableFuture<Opened> fresh = new CompletableFuture<>();
            opened = fresh;
            byte[] init = ("{\"jsonrpc\":\"2.0\",\"id\":\"shadowcat-stateless-init\",\"method\":\"initialize\",\"params\":{"
                    + "\"protocolVersion\":\"" + ProtocolVersions.LATEST + "\",\"capabilities\":{},"
                    + "\"clientInfo\":{\"name\":\"shadowcat-stateless\",\"version\":\"0.1.0\"}}}").getBytes(StandardCharsets.UTF_8);
            // the answer may come back before open() returns: join the two halves instead of sharing a variable
            CompletableFuture<JsonObject> result = new CompletableFuture<>();
            Exchange initEx = new Internal(response -> {
                Message m = Message.trusted(response);
                if (m.isError()) {
                    result.completeExceptionally(new IllegalStateException("upstream '" + upstream.name()
                            + "' refused initialize: " + m.string("error", "message")));
                } else {
                    result.complete(parse(response).getJsonObject("result"));
                }
            });
            UpstreamBinding binding = upstream.open(this, Message.trusted(init), initEx);
            result.whenComplete((r, err) -> {
                if (err != null) {
                    binding.close();
                    fresh.completeExceptionally(err);
                    return;
                }
                binding.notify(Message.trusted("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}"
                        .getBytes(StandardCharsets.UTF_8)));
                fresh.complete(new Opened(binding, r));
            });
            return fresh;
        }
    }

    /** {@code server/discover}: versions the gateway speaks, the upstream's capabilities and identity. */
    public void discover(Message request, Sink sink) {
        session().whenComplete((o, err) -> {
            if (err != null) {
                sink.response(unavailable(request.idJson(), err));
                return;
            }
            JsonObject r = o.initResult;
            JsonObjectBuilder caps = dev.shadowcat.protocol.JsonP.PROVIDER.createObjectBuilder();
            JsonObject upstreamCaps = r.getJsonObject("capabilities");
            if (upstreamCaps != null) {
                for (var e : upstreamCaps.entrySet()) {
                    if (!e.getKey().equals("logging")) { // logging/setLevel is gone in 2026-07-28
                        caps.add(e.getKey(), e.getValue());
                    }
                }
            }
            var versions = dev.shadowcat.protocol.JsonP.PROVIDER.createArrayBuilder();
            ProtocolVersions.ALL.forEach(versions::add);
            JsonObjectBuilder result = dev.shadowcat.protocol.JsonP.PROVIDER.createObjectBuilder()
                    .add("resultType", "complete")
                    .add("supportedVersions", versions)
                    .add("capabilities", caps)
                    .add("ttlMs", 0)
                    .add("cacheScope", "private")
                    .add("_meta", dev.shadowcat.protocol.JsonP.PROVIDER.createObjectBuilder().add("io.modelcontextprotocol/serverInfo",
                            r.containsKey("serverInfo") ? r.get("serverInfo") : dev.shadowcat.protocol.JsonP.PROVIDER.createObjectBuilder()
                                    .add("name", upstream.name()).add("version", "unknown").build()));
            if (r.containsKey("instructions")) {
                result.add("instructions", r.get("instructions"));
            }
            sink.response(Errors.result(request.idJson(), result.build().toString()));
        });
    }

    /**
     * Forwards one stateless request; its notifications and response go to {@code sink}.
     *
     * @return a cancel action for when the client closes the stream early
     */
    public Runnable request(Message request, Sink sink) {
        String minted = "\"shadowcat-sl-" + ids.incrementAndGet() + "\"";
        long tokenSpan = request.paramsPath("_meta", "progressToken");
        String clientToken = tokenSpan >= 0 ? request.textAt(tokenSpan) : null;
        boolean logs = request.paramsPath("_meta", "io.modelcontextprotocol/logLevel") >= 0;
        Message upstreamRequest = Message.trusted(request.rewrite(minted, tokenSpan, tokenSpan >= 0 ? minted : null));
        Call call = new Call(request, clientToken, minted, logs, sink);
        session().whenComplete((o, err) -> {
            if (err != null) {
                call.onEnd(unavailable(request.idJson(), err), Exchange.Outcome.FAILED);
                return;
            }
            call.binding = o.binding;
            o.binding.request(upstreamRequest, call);
        });
        return () -> {
            UpstreamBinding b = call.binding;
            if (b != null) {
                b.cancel(call, "the client closed the stream");
            }
        };
    }

    /** {@code subscriptions/listen}: acknowledges, then streams matching notifications until the client leaves. */
    public void listen(Message request, JsonObject filter, EventStream stream) {
        JsonObjectBuilder agreed = dev.shadowcat.protocol.JsonP.PROVIDER.createObjectBuilder();
        for (String k : List.of("toolsListChanged", "promptsListChanged", "resourcesListChanged")) {
            if (filter.getBoolean(k, false)) {
                agreed.add(k, true);
            }
        }
        if (filter.containsKey("resourceSubscriptions")) {
            agreed.add("resourceSubscriptions", filter.get("resourceSubscriptions"));
        }
        JsonObject agreedFilter = agreed.build();
        String ack = dev.shadowcat.protocol.JsonP.PROVIDER.createObjectBuilder().add("jsonrpc", "2.0").add("method", "notifications/subscriptions/acknowledged")
                .add("params", dev.shadowcat.protocol.JsonP.PROVIDER.createObjectBuilder().add("_meta", subscriptionMeta(request.idJson()))
                        .add("notifications", agreedFilter)).build().toString();
        // register before acknowledging: a client may act on the ack at once, and its changes must not slip by
        String key = request.idJson() + "#" + System.identityHashCode(stream);
        listeners.put(key, new Listener(request.idJson(), agreedFilter, stream));
        stream.send(ack.getBytes(StandardCharsets.UTF_8));
        if (agreedFilter.containsKey("resourceSubscriptions")) {
            session().thenAccept(o -> {
                for (JsonValue uri : agreedFilter.getJsonArray("resourceSubscriptions")) {
                    String body = "{\"jsonrpc\":\"2.0\",\"id\":\"shadowcat-sl-" + ids.incrementAndGet()
                            + "\",\"method\":\"resources/subscribe\",\"params\":{\"uri\":" + uri + "}}";
                    o.binding.request(Message.trusted(body.getBytes(StandardCharsets.UTF_8)), new Internal(r -> { }));
                }
            });
        } else {
            session(); // open upstream now so list changes start flowing
        }
    }

    /** The listen stream closed. */
    public void unlisten(EventStream stream) {
        listeners.values().removeIf(l -> l.stream == stream);
    }

    public void keepAlive() {
        for (Listener l : listeners.values()) {
            l.stream.keepAlive();
        }
    }

    private static JsonValue subscriptionMeta(String idJson) {
        return dev.shadowcat.protocol.JsonP.PROVIDER.createObjectBuilder().add("io.modelcontextprotocol/subscriptionId", parseValue(idJson)).build();
    }

    private static JsonValue parseValue(String json) {
        try (var r = dev.shadowcat.protocol.JsonP.PROVIDER.createReader(new StringReader("[" + json + "]"))) {
            return r.readArray().get(0);
        }
    }

    private static JsonObject parse(byte[] json) {
        try (var r = dev.shadowcat.protocol.JsonP.PROVIDER.createReader(new StringReader(new String(json, StandardCharsets.UTF_8)))) {
            return r.readObject();
        }
    }

    private byte[] unavailable(String idJson, Throwable err) {
        Throwable c = err instanceof java.util.concurrent.CompletionException && err.getCause() != null ? err.getCause() : err;
        return Errors.response(idJson, ErrorCodes.INTERNAL_ERROR, "upstream '" + upstream.name() + "' is unavailable: "
                + c.getMessage(), null);
    }

    // ---- ClientSession: what the upstream session sends the bridge ----

    @Override
    public String handle() {
        return "stateless/" + upstream.name();
    }

    @Override
    public String protocolVersion() {
        return ProtocolVersions.LATEST;
    }

    @Override
    public void onUpstreamEvent(byte[] message) {
        Message m = Message.trusted(message);
        String method = m.method();
        String want = switch (method) {
            case "notifications/tools/list_changed" -> "toolsListChanged";
            case "notifications/prompts/list_changed" -> "promptsListChanged";
            case "notifications/resources/list_changed" -> "resourcesListChanged";
            default -> null;
        };
        String uri = "notifications/resources/updated".equals(method) ? m.paramString("uri") : null;
        for (Listener l : listeners.values()) {
            boolean match = want != null ? l.filter.getBoolean(want, false)
                    : uri != null && l.filter.containsKey("resourceSubscriptions")
                    && l.filter.getJsonArray("resourceSubscriptions").stream().anyMatch(v -> uri.startsWith(((jakarta.json.JsonString) v).getString()));
            if (match) {
                JsonObject n = parse(message);
                JsonObjectBuilder params = n.containsKey("params") ? dev.shadowcat.protocol.JsonP.PROVIDER.createObjectBuilder(n.getJsonObject("params"))
                        : dev.shadowcat.protocol.JsonP.PROVIDER.createObjectBuilder();
                params.add("_meta", subscriptionMeta(l.idJson));
                l.stream.send(dev.shadowcat.protocol.JsonP.PROVIDER.createObjectBuilder(n).add("params", params).build().toString().getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    @Override
    public void onUpstreamNotification(byte[] message, Exchange related) {
        if (related != null && related.origin() instanceof Call c) {
            c.onMessage(message);
        }
    }

    @Override
    public void onUpstreamRequest(Message request, UpstreamPeer from, Exchange related) {
        if ("ping".equals(request.method())) {
            from.answer(request.idJson(), Message.trusted(Errors.result(request.idJson(), "{}")));
            return;
        }
        from.refuse(request.idJson(), ErrorCodes.METHOD_NOT_FOUND, "the client uses the stateless 2026-07-28 protocol; "
                + request.method() + " cannot be relayed to it by this gateway yet");
    }

    @Override
    public void onUpstreamLost(String reason) {
        LOG.info(() -> "stateless session on upstream '" + upstream.name() + "' lost (" + reason + "); a new one opens on the next request");
        CompletableFuture<Opened> f = opened;
        if (f != null) {
            f.thenAccept(o -> o.binding.close());
        }
        opened = CompletableFuture.failedFuture(new IllegalStateException(reason));
    }

    /** Ends the bridge's upstream session (gateway shutdown). */
    public void close() {
        CompletableFuture<Opened> f = opened;
        if (f != null) {
            f.thenAccept(o -> o.binding.close());
        }
        for (Listener l : listeners.values()) {
            l.stream.complete();
        }
        listeners.clear();
    }

    /** One stateless request in flight: restores the client's id and token, adds the 2026 result fields. */
    private final class Call implements Exchange {
        private final Message request;
        private final String clientToken;
        private final String minted;
        private final boolean logs;
        private final Sink sink;
        volatile UpstreamBinding binding;

        Call(Message request, String clientToken, String minted, boolean logs, Sink sink) {
            this.request = request;
            this.clientToken = clientToken;
            this.minted = minted;
            this.logs = logs;
            this.sink = sink;
        }

        @Override
        public ClientSession session() {
            return StatelessBridge.this;
        }

        @Override
        public void onMessage(byte[] message) {
            Message m = Message.trusted(message);
            if ("notifications/message".equals(m.method()) && !logs) {
                return; // 2026-07-28: no log notifications unless the request asked with a logLevel
            }
            if ("notifications/progress".equals(m.method())) {
                long span = m.paramsPath("progressToken");
                if (clientToken == null || span < 0 || !minted.equals(m.textAt(span))) {
                    return;
                }
                message = m.rewriteSpan(span, clientToken);
            }
            if (m.isNotification()) {
                sink.message(message);
            }
        }

        @Override
        public void onEnd(byte[] response, Outcome outcome) {
            if (response == null) {
                return; // cancelled: the client closed its stream and expects nothing
            }
            Message m = Message.trusted(Message.trusted(response).rewrite(request.idJson(), -1, null));
            if (m.isError()) {
                Integer code = null;
                long c = m.path("error", "code");
                if (c >= 0) {
                    code = Integer.valueOf(m.textAt(c));
                }
                if (code != null && code == ErrorCodes.UPSTREAM_UNAVAILABLE && "resources/read".equals(request.method())) {
                    // -32002 "resource not found" was retired in 2026-07-28 in favour of invalid params
                    sink.response(m.rewriteSpan(c, Integer.toString(ErrorCodes.INVALID_PARAMS)));
                    return;
                }
                sink.response(m.bytes());
                return;
            }
            String extra = "\"resultType\":\"complete\"" + (CACHEABLE.contains(request.method())
                    ? ",\"ttlMs\":0,\"cacheScope\":\"private\"" : "");
            sink.response(m.withResultMembers(extra));
        }
    }

    /** An exchange of the bridge's own (handshake, resource subscriptions). */
    private final class Internal implements Exchange {
        private final java.util.function.Consumer<byte[]> onResponse;

        Internal(java.util.function.Consumer<byte[]> onResponse) {
            this.onResponse = onResponse;
        }

        @Override
        public ClientSession session() {
            return StatelessBridge.this;
        }

        @Override
        public void onMessage(byte[] message) {
        }

        @Override
        public void onEnd(byte[] response, Outcome outcome) {
            if (response != null) {
                onResponse.accept(response);
            }
        }
    }
}
