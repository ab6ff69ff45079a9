package dev.shadowcat.upstream.http;

import dev.shadowcat.protocol.ErrorCodes;
import dev.shadowcat.protocol.Errors;
import dev.shadowcat.protocol.Message;
import dev.shadowcat.protocol.ProtocolException;
import dev.shadowcat.upstream.ClientSession;
import dev.shadowcat.upstream.Exchange;
import dev.shadowcat.upstream.UpstreamBinding;
import dev.shadowcat.upstream.UpstreamPeer;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One client session's upstream session on a Streamable HTTP server.
 *
 * <p>Thread-safe. Client request ids go upstream unchanged: the upstream session belongs to this client
 * session alone, and the session already refuses duplicate in-flight ids. A POST answered with an event stream
 * that breaks before its response is resumed with {@code GET} + {@code Last-Event-ID} under the reconnect
 * policy; the standalone GET stream is kept open the same way. Events already delivered are skipped.
 */
final class StreamableBinding implements UpstreamBinding, UpstreamPeer {
    private static final Logger LOG = Logger.getLogger(StreamableBinding.class.getName());
    private static final String ACCEPT = "application/json, text/event-stream";

    private final HttpUpstream up;
    private final ClientSession session;
    private final boolean probing;
    private final Map<String, Call> pending = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicLong pings = new AtomicLong();
    private volatile String sessionId;
    private volatile String version;
    private volatile Standalone standalone;
    /**
     * Requests held after {@code notifications/initialized} until the standalone GET stream is established (or
     * refused): a server may send on that stream at once, and one that finds it not yet open keeps the message for
     * a stream that never comes (the TypeScript SDK does). Guarded by this; null when nothing is held back.
     */
    private java.util.List<Held> heldUntilListening; // guarded by this

    private record Held(Message request, Exchange exchange) {
    }

    StreamableBinding(HttpUpstream up, ClientSession session, boolean probing) {
        this.up = up;
        this.session = session;
        this.probing = probing;
    }

    void start(Message initialize, Exchange ex) {
        if (up.admit(initialize, ex, false)) {
            send(initialize, ex);
        }
    }

    @Override
    public void request(Message request, Exchange exchange) {
        if (!up.admit(request, exchange, closed.get())) {
            return;
        }
        synchronized (this) {
            if (heldUntilListening != null) {
                heldUntilListening.add(new Held(request, exchange));
                return;
            }
        }
        send(request, exchange);
    }

    /** How long a session's requests wait for its standalone stream's headers at most. */
    static final long STANDALONE_WAIT_MILLIS = 250;

    /** The standalone stream is established, refused or given up: send what waited for it, in order. */
    private void listening() {
        for (Held h : takeHeld()) {
            send(h.request, h.exchange);
        }
    }

    /** The wait ran out: sends what was held; false if nothing was held any more (the stream answered in time). */
    private boolean takeHeldIsEmpty() {
        boolean waited = heldAny();
        listening();
        return !waited;
    }

    private synchronized boolean heldAny() {
        return heldUntilListening != null;
    }

    private java.util.List<Held> takeHeld() {
        java.util.List<Held> held;
        synchronized (this) {
            held = heldUntilListening;
            heldUntilListening = null;
        }
        return held == null ? List.of() : held;
    }

    private void send(Message request, Exchange ex) {
        up.countRequest();
        Call call = new Call(request, ex, up.newReconnectPolicy());
        Call previous = pending.put(call.idJson, call);
        if (previous != null) {
            previous.end(up.error(previous.idJson, ErrorCodes.INVALID_REQUEST, "replaced by a request with the same id"),
                    Exchange.Outcome.FAILED);
        }
        long ms = up.config().requestTimeout().toMillis();
        try {
            call.deadline = up.scheduler().schedule(() -> timeout(call, ms), ms, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            end(call, up.error(call.idJson, ErrorCodes.UPSTREAM_UNAVAILABLE, "is shutting down"), Exchange.Outcome.FAILED);
            return;
        }
        boolean init = "initialize".equals(request.method());
        HttpRequest req = up.request(up.config().url(), init ? null : sessionId, init ? null : version)
                .header("Content-Type", "application/json")
                .header("Accept", ACCEPT)
                .POST(HttpRequest.BodyPublishers.ofByteArray(request.bytes()))
                .build();
        up.send(session, req, info -> onHeaders(info, call, init))
                .whenComplete((r, err) -> {
                    if (err != null) {
                        transportFailed(call, err);
                    }
                });
    }

    private HttpResponse.BodySubscriber<Void> onHeaders(HttpResponse.ResponseInfo info, Call call, boolean init) {
        int status = info.statusCode();
        String type = info.headers().firstValue("Content-Type").orElse("").toLowerCase(Locale.ROOT);
        if (init && status == 200) {
            info.headers().firstValue("Mcp-Session-Id").ifPresent(id -> sessionId = id);
        }
        if (status == 200 && type.startsWith("text/event-stream")) {
            up.breaker().onSuccess();
            EventStreamReader r = up.newReader(new CallStream(call));
            call.reader = r;
            return r.bodySubscriber();
        }
        return HttpResponse.BodySubscribers.mapping(HttpResponse.BodySubscribers.ofByteArray(), body -> {
            onPlainAnswer(call, init, status, type, body);
            return null;
        });
    }

    private void onPlainAnswer(Call call, boolean init, int status, String type, byte[] body) {
        if (status >= 500) {
            up.breaker().onFailure();
        } else {
            up.breaker().onSuccess();
        }
        if (status == 200 && type.startsWith("application/json")) {
            try {
                for (Message m : Message.parseBody(body, true)) {
                    onMessage(m, call);
                }
            } catch (ProtocolException e) {
                end(call, up.error(call.idJson, ErrorCodes.INTERNAL_ERROR, "sent invalid JSON-RPC: " + e.getMessage()),
                        Exchange.Outcome.FAILED);
                return;
            }
            if (!call.isEnded()) {
                end(call, up.error(call.idJson, ErrorCodes.INTERNAL_ERROR, "answered without a response to the request"),
                        Exchange.Outcome.FAILED);
            }
            return;
        }
        if (init && probing && (status == 400 || status == 404 || status == 405)) {
            HttpUpstream.DetectingExchange d = HttpUpstream.detecting(call.exchange);
            if (d != null && pending.remove(call.idJson, call)) {
                if (call.deadline != null) {
                    call.deadline.cancel(false);
                }
                if (modernRefusal(body)) {
                    d.tryModern(status);
                } else {
                    d.fallBack(status);
                }
                return;
            }
        }
        if (status == 404 && sessionId != null && !init) {
            // The upstream forgot the session. The client must start over: it gets 404 and re-initializes.
            end(call, up.error(call.idJson, ErrorCodes.UPSTREAM_UNAVAILABLE, "ended the session (HTTP 404); initialize again"),
                    Exchange.Outcome.SESSION_LOST);
            return;
        }
        up.countFailure();
        end(call, upstreamError(call.idJson, status, body), Exchange.Outcome.FAILED);
    }

    /** A JSON-RPC error only a 2026-07-28 server sends to an initialize (header/version/_meta checks, no such method). */
    private static boolean modernRefusal(byte[] body) {
        try {
            Message m = Message.parse(body);
            long c = m.isError() ? m.path("error", "code") : -1;
            if (c < 0) {
                return false;
            }
            int code = Integer.parseInt(m.textAt(c).strip());
            return code == ErrorCodes.HEADER_MISMATCH || code == ErrorCodes.UNSUPPORTED_PROTOCOL_VERSION
                    || code == ErrorCodes.MISSING_CLIENT_CAPABILITY || code == ErrorCodes.METHOD_NOT_FOUND
                    || code == ErrorCodes.INVALID_PARAMS;
        } catch (ProtocolException | NumberFormatException e) {
            return false;
        }
    }

    /** The upstream's own JSON-RPC error when it sent one (keeps its code and data), else one naming the status. */
    private byte[] upstreamError(String idJson, int status, byte[] body) {
        try {
            Message m = Message.parse(body);
            if (m.isResponse() && m.isError()) {
                return m.rewrite(idJson, -1, null);
            }
        } catch (ProtocolException e) {
            // not JSON-RPC: describe it below
        }
        String snippet = new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8).replaceAll("\\s+", " ");
        return up.error(idJson, ErrorCodes.INTERNAL_ERROR, "answered HTTP " + status + (snippet.isBlank() ? "" : ": " + snippet));
    }

    private void transportFailed(Call call, Throwable err) {
        if (call.isEnded()) {
            return;
        }
        Throwable c = dev.shadowcat.concurrent.Futures.cause(err);
        if (call.lastEventId != null) {
            resume(call, -1, null, c.toString());
            return;
        }
        up.breaker().onFailure();
        up.countFailure();
        end(call, up.error(call.idJson, ErrorCodes.INTERNAL_ERROR, "is unreachable: " + c), Exchange.Outcome.FAILED);
    }

    private void timeout(Call call, long ms) {
        if (call.deferDeadline(up.scheduler(), ms, () -> timeout(call, ms))) {
            return;
        }
        if (end(call, up.error(call.idJson, ErrorCodes.REQUEST_TIMEOUT, "did not answer within " + ms + " ms"),
                Exchange.Outcome.TIMED_OUT)) {
            dev.shadowcat.upstream.Timeouts.warn(up.name(), call.request.method(), call.exchange, ms);
            up.breaker().onFailure();
            postCancelled(call.idJson, "timed out after " + ms + " ms at the gateway");
        }
    }

    private boolean end(Call call, byte[] response, Exchange.Outcome outcome) {
        pending.remove(call.idJson, call);
        boolean ended = call.end(response, outcome);
        if (ended && outcome == Exchange.Outcome.SESSION_LOST) {
            session.onUpstreamLost("the upstream ended its session");
        }
        return ended;
    }

    // ---- messages from the upstream, on POST streams, JSON bodies and the GET stream ----

    private void onMessage(Message m, Call related) {
        switch (m.kind()) {
            case RESPONSE -> {
                Call c = pending.get(m.idJson());
                if (c == null) {
                    LOG.fine(() -> "upstream '" + up.name() + "': response to unknown id " + m.idJson());
                    return;
                }
                if ("initialize".equals(c.request.method()) && !m.isError()) {
                    version = m.string("result", "protocolVersion");
                    up.detectedStreamable();
                }
                end(c, m.bytes(), Exchange.Outcome.REPLIED);
            }
            case NOTIFICATION -> {
                String method = m.method();
                if (method.endsWith("/list_changed") || "notifications/resources/updated".equals(method)) {
                    session.onUpstreamEvent(m.bytes());
                } else {
                    session.onUpstreamNotification(m.bytes(), related == null || related.isEnded() ? null : related.exchange);
                }
            }
            case REQUEST -> {
                if ("ping".equals(m.method())) {
                    post(Errors.result(m.idJson(), "{}"));
                } else {
                    session.onUpstreamRequest(m, this, related == null || related.isEnded() ? null : related.exchange);
                }
            }
            default -> throw new IllegalStateException("bad kind " + m.kind());
        }
    }

    private void onEventData(SseParser.Event e, Call related) {
        if (e.data() == null || e.data().isEmpty()) {
            return;
        }
        try {
            onMessage(Message.parse(e.data().getBytes(StandardCharsets.UTF_8)), related);
        } catch (ProtocolException ex) {
            LOG.warning(() -> "upstream '" + up.name() + "' sent an event that is not JSON-RPC: " + ex.getMessage());
        }
    }

    /** Events of one POST's response stream. */
    private final class CallStream implements EventStreamReader.Listener {
        private final Call call;

        CallStream(Call call) {
            this.call = call;
        }

        @Override
        public void onEvent(SseParser.Event e) {
            if (!call.firstDelivery(e.id())) {
                return;
            }
            if (e.id() != null) {
                call.lastEventId = e.id();
            }
            call.reconnect.onEvent();
            onEventData(e, call);
        }

        @Override
        public void onEnd(EventStreamReader r) {
            rememberId(r);
            if (!call.isEnded()) {
                resume(call, -1, null, "the stream ended before the response");
            }
        }

        @Override
        public void onBroken(EventStreamReader r, String why) {
            rememberId(r);
            if (!call.isEnded()) {
                resume(call, -1, null, why);
            }
        }

        private void rememberId(EventStreamReader r) {
            if (r.lastEventId() != null) {
                call.lastEventId = r.lastEventId(); // priming events carry an id but no data
            }
        }
    }

    /** Reconnects a POST's stream with GET + Last-Event-ID, or fails the call when that is not possible. */
    private void resume(Call call, int status, String retryAfter, String why) {
        if (call.isEnded() || closed.get()) {
            return;
        }
        if (call.lastEventId == null) {
            up.countFailure();
            end(call, up.error(call.idJson, ErrorCodes.INTERNAL_ERROR,
                    "closed the response stream before answering (" + why + "), and it cannot be resumed"),
                    Exchange.Outcome.FAILED);
            return;
        }
        EventStreamReader last = call.reader;
        Long retryHint = last == null ? null : last.retryMillis();
        OptionalLong delay = call.reconnect.nextDelayMillis(new ReconnectPolicy.Failure(status, retryAfter, retryHint));
        if (delay.isEmpty()) {
            up.countFailure();
            end(call, up.error(call.idJson, ErrorCodes.INTERNAL_ERROR, "response stream broke (" + why
                    + ") and resuming failed after " + call.reconnect.attempts() + " attempts"), Exchange.Outcome.FAILED);
            return;
        }
        LOG.fine(() -> "upstream '" + up.name() + "': resuming the stream of " + call.idJson + " after "
                + call.lastEventId + " in " + delay.getAsLong() + " ms (" + why + ")");
        try {
            up.scheduler().schedule(() -> reopen(call), delay.getAsLong(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            end(call, up.error(call.idJson, ErrorCodes.UPSTREAM_UNAVAILABLE, "is shutting down"), Exchange.Outcome.FAILED);
        }
    }

    private void reopen(Call call) {
        if (call.isEnded() || closed.get()) {
            return;
        }
        up.countResume();
        HttpRequest req = up.request(up.config().url(), sessionId, version)
                .header("Accept", "text/event-stream")
                .header("Last-Event-ID", call.lastEventId)
                .timeout(up.config().sseIdleTimeout())
                .GET().build();
        up.send(session, req, info -> {
            int status = info.statusCode();
            String type = info.headers().firstValue("Content-Type").orElse("").toLowerCase(Locale.ROOT);
            if (status == 200 && type.startsWith("text/event-stream")) {
                EventStreamReader r = up.newReader(new CallStream(call));
                call.reader = r;
                return r.bodySubscriber();
            }
            String retryAfter = info.headers().firstValue("Retry-After").orElse(null);
            return HttpResponse.BodySubscribers.mapping(HttpResponse.BodySubscribers.ofByteArray(), body -> {
                if (status == 404) {
                    end(call, up.error(call.idJson, ErrorCodes.UPSTREAM_UNAVAILABLE, "ended the session (HTTP 404); initialize again"),
                            Exchange.Outcome.SESSION_LOST);
                } else {
                    resume(call, status, retryAfter, "resume answered HTTP " + status);
                }
                return null;
            });
        }).whenComplete((r, err) -> {
            if (err != null) {
                resume(call, -1, null, String.valueOf((Object) (err.getCause() != null ? err.getCause() : err)));
            }
        });
    }

    // ---- client notifications and answers ----

    @Override
    public void notify(Message notification) {
        boolean initialized = "notifications/initialized".equals(notification.method());
        if (initialized && up.answersStandaloneAtOnce()) {
            synchronized (this) {
                if (standalone == null && heldUntilListening == null) {
                    heldUntilListening = new java.util.ArrayList<>();
                }
            }
            // Bounded, and learned: a server that sends no GET headers before its first event (the Java SDK's)
            // gives no signal to wait for, so after one such session its sessions are not held any more.
            try {
                up.scheduler().schedule(() -> {
                    if (!takeHeldIsEmpty()) {
                        up.standaloneAnswersLate(STANDALONE_WAIT_MILLIS);
                    }
                }, STANDALONE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                listening();
            }
        }
        postAsync(notification.bytes()).thenAccept(status -> {
            if (initialized && status >= 200 && status < 300) {
                openStandalone();
            } else if (initialized) {
                listening();
            }
        });
    }

    @Override
    public void answer(String originalIdJson, Message clientResponse) {
        post(clientResponse.rewrite(originalIdJson, -1, null));
    }

    @Override
    public void refuse(String originalIdJson, int code, String message) {
        post(Errors.response(originalIdJson, code, message, null));
    }

    @Override
    public void cancel(Exchange exchange, String reason) {
        for (Call c : pending.values()) {
            if (c.exchange.origin() == exchange.origin()) {
                if (end(c, null, Exchange.Outcome.CANCELLED)) {
                    postCancelled(c.idJson, reason);
                }
            }
        }
    }

    private void postCancelled(String idJson, String reason) {
        post(("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":" + idJson
                + ",\"reason\":" + dev.shadowcat.protocol.JsonScan.quote(reason) + "}}").getBytes(StandardCharsets.UTF_8));
    }

    private void post(byte[] body) {
        postAsync(body);
    }

    /** POSTs a notification or response; completes with the status (-1 on a transport error). */
    private java.util.concurrent.CompletableFuture<Integer> postAsync(byte[] body) {
        if (closed.get() || up.isShutdown()) {
            return java.util.concurrent.CompletableFuture.completedFuture(-1);
        }
        HttpRequest req = up.request(up.config().url(), sessionId, version)
                .header("Content-Type", "application/json")
                .header("Accept", ACCEPT)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        return up.send(session, req, HttpResponse.BodyHandlers.discarding())
                .handle((r, err) -> {
                    if (err != null) {
                        LOG.log(Level.FINE, "upstream '" + up.name() + "': POST failed", err);
                        return -1;
                    }
                    if (r.statusCode() == 404 && sessionId != null) {
                        session.onUpstreamLost("the upstream ended its session");
                    }
                    return r.statusCode();
                });
    }

    /** An MCP ping for the upstream's health; false when this binding cannot send one yet. */
    boolean ping() {
        if (sessionId == null || closed.get()) {
            return false;
        }
        byte[] body = ("{\"jsonrpc\":\"2.0\",\"id\":\"shadowcat-ping-" + pings.incrementAndGet() + "\",\"method\":\"ping\"}")
                .getBytes(StandardCharsets.UTF_8);
        HttpRequest req = up.request(up.config().url(), sessionId, version)
                .header("Content-Type", "application/json").header("Accept", ACCEPT)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        up.send(session, req, HttpResponse.BodyHandlers.discarding()).whenComplete((r, err) -> {
            if (err != null || r.statusCode() >= 500) {
                up.breaker().onFailure();
            } else {
                up.breaker().onSuccess();
            }
        });
        return true;
    }

    // ---- the standalone GET stream ----

    private void openStandalone() {
        if (closed.get() || standalone != null) {
            return;
        }
        Standalone s = new Standalone();
        standalone = s;
        s.connect();
    }

    private final class Standalone implements EventStreamReader.Listener {
        private final ReconnectPolicy reconnect = up.newReconnectPolicy();
        private final SeenEvents seen = new SeenEvents();
        private volatile String lastEventId;
        private volatile EventStreamReader reader;

        void connect() {
            if (closed.get()) {
                return;
            }
            HttpRequest.Builder b = up.request(up.config().url(), sessionId, version)
                    .header("Accept", "text/event-stream")
                    .timeout(java.time.Duration.ofDays(365)); // a standalone stream may idle; the reader watches idleness
            if (lastEventId != null) {
                b.header("Last-Event-ID", lastEventId);
            }
            up.send(session, b.GET().build(), info -> {
                int status = info.statusCode();
                if (heldAny()) {
                    up.standaloneAnsweredInTime();
                }
                listening(); // the server has registered the stream (or said it has none) before answering
                String type = info.headers().firstValue("Content-Type").orElse("").toLowerCase(Locale.ROOT);
                if (status == 200 && type.startsWith("text/event-stream")) {
                    EventStreamReader r = up.newReader(this);
                    reader = r;
                    return r.bodySubscriber();
                }
                String retryAfter = info.headers().firstValue("Retry-After").orElse(null);
                return HttpResponse.BodySubscribers.mapping(HttpResponse.BodySubscribers.discarding(), v -> {
                    if (status == 405) {
                        LOG.fine(() -> "upstream '" + up.name() + "' offers no standalone stream (405)");
                    } else if (status == 404) {
                        session.onUpstreamLost("the upstream ended its session");
                    } else {
                        retry(status, retryAfter, "GET answered HTTP " + status);
                    }
                    return null;
                });
            }).whenComplete((r, err) -> {
                if (err != null) {
                    listening();
                    retry(-1, null, String.valueOf(err));
                }
            });
        }

        @Override
        public void onEvent(SseParser.Event e) {
            if (e.id() != null) {
                if (!seen.first(e.id())) {
                    return;
                }
                lastEventId = e.id();
            }
            reconnect.onEvent();
            onEventData(e, null);
        }

        @Override
        public void onEnd(EventStreamReader r) {
            remember(r);
            retry(-1, null, "the standalone stream ended");
        }

        @Override
        public void onBroken(EventStreamReader r, String why) {
            remember(r);
            retry(-1, null, why);
        }

        private void remember(EventStreamReader r) {
            if (r.lastEventId() != null) {
                lastEventId = r.lastEventId();
            }
        }

        private void retry(int status, String retryAfter, String why) {
            if (closed.get()) {
                return;
            }
            EventStreamReader r = reader;
            OptionalLong delay = reconnect.nextDelayMillis(new ReconnectPolicy.Failure(status, retryAfter,
                    r == null ? null : r.retryMillis()));
            if (delay.isEmpty()) {
                LOG.warning(() -> "upstream '" + up.name() + "': giving up on the standalone stream (" + why + ")");
                return;
            }
            up.countResume();
            try {
                up.scheduler().schedule(this::connect, delay.getAsLong(), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // stopping
            }
        }

        void stop() {
            EventStreamReader r = reader;
            if (r != null) {
                r.cancel();
            }
        }
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        Standalone s = standalone;
        if (s != null) {
            s.stop();
        }
        for (Held h : takeHeld()) {
            h.exchange.onEnd(up.error(h.request.idJson(), ErrorCodes.UPSTREAM_UNAVAILABLE, "session closed"), Exchange.Outcome.FAILED);
        }
        for (Call c : List.copyOf(pending.values())) {
            end(c, up.error(c.idJson, ErrorCodes.UPSTREAM_UNAVAILABLE, "session closed"), Exchange.Outcome.FAILED);
        }
        String id = sessionId;
        if (id != null && up.canSayFarewell()) {
            HttpRequest del = up.request(up.config().url(), id, version).timeout(java.time.Duration.ofSeconds(5)).DELETE().build();
            up.farewell(up.send(session, del, HttpResponse.BodyHandlers.discarding()));
        }
        up.forget(this);
    }
}
