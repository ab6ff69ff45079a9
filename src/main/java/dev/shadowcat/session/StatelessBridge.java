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
 * (sampling, elicitation, roots) made during a tools/call, prompts/get or resources/read become the 2026
 * input-required round trip ({@link StatelessCall}); calls waiting for the client's retry are bounded in number
 * and in time. Server→client requests the upstream makes outside such a call are refused: no client can answer.
 */
public final class StatelessBridge implements ClientSession {
    private static final Logger LOG = Logger.getLogger(StatelessBridge.class.getName());

    /** Where a stateless request's messages go (the HTTP layer's response). */
    public interface Sink {
        void message(byte[] json);

        /** The end of the request; {@code status} is the HTTP status if it goes out as a plain JSON body. */
        void response(byte[] json, int status);

        default void response(byte[] json) {
            response(json, 200);
        }
    }


    private final Upstream upstream;
    private final java.util.concurrent.ScheduledExecutorService scheduler;
    private final RequestStateSigner signer;
    private final long parkTtlMillis;
    private final Map<String, StatelessCall> parked = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final Map<String, Listener> listeners = new ConcurrentHashMap<>();
    private volatile CompletableFuture<Opened> opened;
    private final String owner;
    /** The owner's latest bearer token, for the upstream's token exchange; null for a shared bridge. */
    private volatile String subjectToken;
    /** Calls started and not yet finished (parked ones included). */
    private final java.util.concurrent.atomic.AtomicInteger running = new java.util.concurrent.atomic.AtomicInteger();
    private volatile long lastUsedNanos = System.nanoTime();
    /** Set once, under this bridge's lock, by {@link #retireIfIdle}: no upstream session is opened after it. */
    private boolean retired;

    private record Opened(UpstreamBinding binding, JsonObject initResult) {
    }

    /** One open subscriptions/listen stream. */
    private record Listener(String idJson, JsonObject filter, EventStream stream) {
    }

    /**
     * @param scheduler     runs the gathering of questions and the expiry of calls waiting for input
     * @param parkTtlMillis how long a call waits for the client's retry before it is cancelled upstream
     */
    public StatelessBridge(Upstream upstream, java.util.concurrent.ScheduledExecutorService scheduler,
                           RequestStateSigner signer, long parkTtlMillis) {
        this(upstream, scheduler, signer, parkTtlMillis, dev.shadowcat.pipeline.CallContext.ANONYMOUS);
    }

    /**
     * @param owner the one caller this bridge serves, when the upstream's token is per caller (RFC 8693 exchange):
     *              its upstream session then carries that caller's identity; {@code anonymous} for a bridge shared
     *              by all
     */
    public StatelessBridge(Upstream upstream, java.util.concurrent.ScheduledExecutorService scheduler,
                           RequestStateSigner signer, long parkTtlMillis, String owner) {
        this.owner = owner;
        this.upstream = upstream;
        this.scheduler = scheduler;
        this.signer = signer;
        this.parkTtlMillis = parkTtlMillis;
    }

    /** The upstream session the bridge uses, opened on first use and again after it was lost. */
    private CompletableFuture<Opened> session() {
        CompletableFuture<Opened> f = opened;
        if (f != null && !f.isCompletedExceptionally()) {
            return f;
        }
        synchronized (this) {
            if (retired) {
                return CompletableFuture.failedFuture(new IllegalStateException(
                        "this caller's upstream session was closed after it sat idle; send the request again"));
            }
            if (opened != null && !opened.isCompletedExceptionally()) {
                return opened;
            }
            opened = open(this);
            return opened;
        }
    }

    /**
     * Closes the upstream session of a bridge nobody has used for {@code idleNanos} (no call running or waiting for
     * input, no listen stream), and retires the bridge: the gateway then drops it, and a caller who comes back gets a
     * new one. A request that raced with this and still reached the retired bridge is answered with an error it can
     * retry. For per-caller bridges, which would otherwise hold an upstream session for every caller ever seen.
     *
     * @return whether it was idle and is now retired
     */
    public boolean retireIfIdle(long nowNanos, long idleNanos) {
        CompletableFuture<Opened> f;
        synchronized (this) {
            if (retired || running.get() > 0 || !parked.isEmpty() || !listeners.isEmpty()
                    || nowNanos - lastUsedNanos < idleNanos) {
                return false;
            }
            retired = true;
            f = opened;
            opened = null;
        }
        if (f != null) {
            f.thenAccept(o -> o.binding.close());
        }
        return true;
    }

    /** A call of this bridge finished, whichever way (once per call). */
    void callFinished() {
        lastUsedNanos = System.nanoTime();
        running.decrementAndGet();
    }

    /** Opens an upstream session for {@code owner} and completes it with the handshake done. */
    private CompletableFuture<Opened> open(ClientSession owner) {
        CompletableFuture<Opened> fresh = new CompletableFuture<>();
        byte[] init = ("{\"jsonrpc\":\"2.0\",\"id\":\"shadowcat-stateless-init\",\"method\":\"initialize\",\"params\":{"
                + "\"protocolVersion\":\"" + ProtocolVersions.LATEST + "\","
                // whether a 2026 client can answer is decided per request, from what that request declares
                + "\"capabilities\":{\"sampling\":{},\"elicitation\":{},\"roots\":{}},"
                + "\"clientInfo\":{\"name\":\"shadowcat-stateless\",\"version\":\"0.1.0\"}}}").getBytes(StandardCharsets.UTF_8);
        // the answer may come back before open() returns: join the two halves instead of sharing a variable
        CompletableFuture<JsonObject> result = new CompletableFuture<>();
        Exchange initEx = new Internal(response -> {
            if (response == null) {
                result.completeExceptionally(new IllegalStateException("upstream '" + upstream.name() + "' dropped initialize"));
                return;
            }
            Message m = Message.trusted(response);
            JsonObject r;
            try {
                r = m.isError() ? null : parse(response).getJsonObject("result");
            } catch (RuntimeException e) {
                r = null;
            }
            if (r == null) {
                result.completeExceptionally(new IllegalStateException("upstream '" + upstream.name()
                        + "' refused initialize: " + m.string("error", "message")));
            } else {
                result.complete(r);
            }
        }, true);
        UpstreamBinding binding = upstream.open(owner, Message.trusted(init), initEx);
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

    /**
     * Where a request goes. A request that may be asked for input (a tools/call, prompts/get or resources/read whose
     * client declared sampling, elicitation or roots) needs its questions attributed to it; an upstream that cannot
     * attribute them while several requests share a session (dedicated stdio, legacy SSE) gets a session of its
     * own for that one call, closed when the call ends.
     */
    private boolean needsOwnSession(Message request, JsonObject caps) {
        return !upstream.attributesServerRequests() && StatelessCall.INTERACTIVE.contains(request.method())
                && (caps.containsKey("sampling") || caps.containsKey("elicitation") || caps.containsKey("roots"));
    }

    /** {@code server/discover}: versions the gateway speaks, the upstream's capabilities and identity. */
    public void discover(Message request, Sink sink) {
        lastUsedNanos = System.nanoTime();
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
     * Forwards one stateless request; its notifications and response go to {@code sink}. A retry that carries a
     * {@code requestState} resumes the parked call it names instead.
     *
     * @return a cancel action for when the client closes the stream early
     */
    public Runnable request(Message request, Sink sink) {
        return request(request, dev.shadowcat.pipeline.CallContext.ANONYMOUS, java.util.Set.of(), sink);
    }

    /**
     * As {@link #request(Message, Sink)}, for the caller {@code principal} with {@code grants}: the call crosses the
     * pipeline as theirs (though the upstream session is shared), and a requestState it gets back resumes only for it.
     */
    public Runnable request(Message request, String principal, java.util.Set<String> grants, Sink sink) {
        JsonObject caps = capabilities(request);
        long tokenSpan = request.paramsPath("_meta", "progressToken");
        String clientToken = tokenSpan >= 0 ? request.textAt(tokenSpan) : null;
        boolean logs = request.paramsPath("_meta", "io.modelcontextprotocol/logLevel") >= 0;
        StatelessCall.Round round = new StatelessCall.Round(request, sink, caps, clientToken, logs);
        Message forward = request;
        // a 2026 server runs its own input-required rounds: its requestState and inputResponses go through
        String state = request.paramString("requestState");
        boolean ours = state != null && RequestStateSigner.isOurs(state);
        if (ours || !upstream.speaksStateless() && (state != null || request.paramsPath("inputResponses") >= 0)) {
            JsonObject params = parse(request.paramsJson().getBytes(StandardCharsets.UTF_8));
            String problem = InputResponses.problem(params);
            if (problem != null) {
                sink.response(Errors.response(request.idJson(), ErrorCodes.INVALID_PARAMS, "Invalid params: " + problem, null), 400);
                return () -> { };
            }
            if (params.containsKey("requestState")) {
                return resume(request, round, params, principal);
            }
            // responses without a state answer nothing the gateway asked: the call starts afresh and asks again
            forward = InputResponses.strip(request, params);
        }
        String minted = "\"shadowcat-sl-" + ids.incrementAndGet() + "\"";
        Message upstreamRequest = Message.trusted(forward.rewrite(minted, tokenSpan < 0 ? -1 : forward.paramsPath("_meta", "progressToken"),
                tokenSpan >= 0 ? minted : null));
        lastUsedNanos = System.nanoTime();
        running.incrementAndGet();
        StatelessCall call = new StatelessCall(this, signer.newCallId(), round, minted, principal, grants);
        boolean own = needsOwnSession(request, caps);
        (own ? open(new CallSession()) : session()).whenComplete((o, err) -> {
            if (err != null) {
                call.onEnd(unavailable(request.idJson(), err), Exchange.Outcome.FAILED);
                return;
            }
            if (!call.bind(o.binding, own)) {
                if (own) {
                    o.binding.close(); // the client left while its session was opening
                }
                return;
            }
            o.binding.request(upstreamRequest, call);
        });
        return () -> call.clientLeft(round);
    }

    private Runnable resume(Message request, StatelessCall.Round round, JsonObject params, String principal) {
        String name = StatelessCall.nameOf(request);
        RequestStateSigner.State state = signer.verify(params.getString("requestState"), stateScope(request.method()), name);
        StatelessCall call = state == null ? null : parked.get(state.callId());
        if (call != null && !call.principal.equals(principal)) {
            state = null; // another caller's state: refused exactly as a forged one
            call = null;
        }
        Runnable cancel = call == null ? null : call.resume(state.round(), round,
                params.containsKey("inputResponses") ? params.getJsonObject("inputResponses") : null);
        if (cancel == null) {
            round.sink().response(Errors.response(request.idJson(), ErrorCodes.INVALID_PARAMS, state == null
                    ? "Invalid params: requestState failed its integrity check or belongs to another request"
                    : "Invalid params: requestState has expired or was already used; send the request again without it", null), 400);
            return () -> { };
        }
        return cancel;
    }

    private static JsonObject capabilities(Message request) {
        long span = request.paramsPath("_meta", "io.modelcontextprotocol/clientCapabilities");
        if (span < 0) {
            return JsonValue.EMPTY_JSON_OBJECT;
        }
        JsonValue v = parseValue(request.textAt(span));
        return v instanceof JsonObject o ? o : JsonValue.EMPTY_JSON_OBJECT;
    }

    /**
     * Registers a call that now waits for its client's retry. At capacity the call that has waited longest is
     * given up (cancelled upstream; its client's retry gets -32602): a client that never comes back must not
     * hold an upstream process for good, and the newest question is the one a user is most likely answering.
     */
    void park(StatelessCall call) {
        int capacity = upstream.waitingCallCapacity();
        List<StatelessCall> evicted = new java.util.ArrayList<>();
        synchronized (parked) {
            while (parked.size() >= capacity) {
                StatelessCall oldest = null;
                for (StatelessCall c : parked.values()) {
                    if (oldest == null || c.parkedAt() < oldest.parkedAt()) {
                        oldest = c;
                    }
                }
                parked.remove(oldest.callId, oldest);
                evicted.add(oldest);
            }
            parked.put(call.callId, call);
        }
        for (StatelessCall c : evicted) {
            LOG.info(() -> "upstream '" + upstream.name() + "': " + capacity + " calls wait for client input; giving up the oldest");
            c.giveUp("more calls wait for client input than upstream '" + upstream.name() + "' can hold (" + capacity + ")");
        }
    }

    void unpark(StatelessCall call) {
        parked.remove(call.callId, call);
    }

    java.util.concurrent.ScheduledExecutorService scheduler() {
        return scheduler;
    }

    RequestStateSigner signer() {
        return signer;
    }

    /** What a requestState is bound to besides the tool's name: this upstream and the method. */
    String stateScope(String method) {
        return upstream.name() + "\u0000" + method;
    }

    long parkTtlMillis() {
        return parkTtlMillis;
    }

    /** Calls waiting for a client's input, for {@code /api}. */
    public int parkedCalls() {
        return parked.size();
    }

    /** {@code subscriptions/listen}: acknowledges, then streams matching notifications until the client leaves. */
    public void listen(Message request, JsonObject filter, EventStream stream) {
        lastUsedNanos = System.nanoTime();
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
        lastUsedNanos = System.nanoTime();
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
        Throwable c = dev.shadowcat.concurrent.Futures.cause(err);
        return Errors.response(idJson, ErrorCodes.INTERNAL_ERROR, "upstream '" + upstream.name() + "' is unavailable: "
                + c.getMessage(), null);
    }

    /** The token of the owner's latest request (a bridge of one caller only: others never reach it). */
    public void presented(String token) {
        if (token != null && !dev.shadowcat.pipeline.CallContext.ANONYMOUS.equals(owner)) {
            subjectToken = token;
        }
    }

    // ---- ClientSession: what the upstream session sends the bridge ----

    @Override
    public String handle() {
        return "stateless/" + upstream.name();
    }

    @Override
    public String principal() {
        return owner;
    }

    @Override
    public String subjectToken() {
        return subjectToken;
    }

    @Override
    public String protocolVersion() {
        return ProtocolVersions.LATEST;
    }

    @Override
    public dev.shadowcat.pipeline.FrontDoor frontDoor() {
        return dev.shadowcat.pipeline.FrontDoor.MCP_STATELESS;
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
        if (related != null && related.origin() instanceof StatelessCall c) {
            c.onMessage(message);
        }
    }

    @Override
    public void onUpstreamRequest(Message request, UpstreamPeer from, Exchange related) {
        if ("ping".equals(request.method())) {
            from.answer(request.idJson(), Message.trusted(Errors.result(request.idJson(), "{}")));
            return;
        }
        if (related != null && related.origin() instanceof StatelessCall c) {
            c.asked(request, from);
            return;
        }
        from.refuse(request.idJson(), ErrorCodes.METHOD_NOT_FOUND, "the client uses the stateless 2026-07-28 protocol and "
                + request.method() + " is not part of one of its requests; there is no client to ask");
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
        for (StatelessCall c : List.copyOf(parked.values())) {
            c.giveUp("the gateway is shutting down");
        }
        parked.clear();
    }

    /**
     * The owner of a session opened for one call: questions and notifications go where the bridge sends them;
     * list changes are left to the bridge's main session, and a lost session only ends its call.
     */
    private final class CallSession implements ClientSession {
        @Override
        public String handle() {
            return "stateless/" + upstream.name() + "/call";
        }

        @Override
        public String principal() {
            return owner;
        }

        @Override
        public String subjectToken() {
            return subjectToken;
        }

        @Override
        public String protocolVersion() {
            return ProtocolVersions.LATEST;
        }

        @Override
        public dev.shadowcat.pipeline.FrontDoor frontDoor() {
            return dev.shadowcat.pipeline.FrontDoor.MCP_STATELESS;
        }

        @Override
        public void onUpstreamEvent(byte[] message) {
        }

        @Override
        public void onUpstreamNotification(byte[] message, Exchange related) {
            StatelessBridge.this.onUpstreamNotification(message, related);
        }

        @Override
        public void onUpstreamRequest(Message request, UpstreamPeer from, Exchange related) {
            StatelessBridge.this.onUpstreamRequest(request, from, related);
        }

        @Override
        public void onUpstreamLost(String reason) {
            LOG.fine(() -> "a per-call stateless session on upstream '" + upstream.name() + "' ended: " + reason);
        }
    }

    /** An exchange of the bridge's own (handshake, resource subscriptions). */
    private final class Internal implements Exchange {
        private final java.util.function.Consumer<byte[]> onResponse;
        /** Also called (with null) when the exchange ends without a response. */
        private final boolean endsOnNull;

        Internal(java.util.function.Consumer<byte[]> onResponse) {
            this(onResponse, false);
        }

        Internal(java.util.function.Consumer<byte[]> onResponse, boolean endsOnNull) {
            this.onResponse = onResponse;
            this.endsOnNull = endsOnNull;
        }

        @Override
        public ClientSession session() {
            return StatelessBridge.this;
        }

        @Override
        public boolean gatewayOwn() {
            return true;
        }

        @Override
        public void onMessage(byte[] message) {
        }

        @Override
        public void onEnd(byte[] response, Outcome outcome) {
            if (response != null || endsOnNull) {
                try {
                    onResponse.accept(response);
                } catch (RuntimeException e) { // a malformed answer must not leave a waiter hanging
                    LOG.log(java.util.logging.Level.WARNING, "upstream '" + upstream.name() + "': unusable answer", e);
                }
            }
        }
    }
}
