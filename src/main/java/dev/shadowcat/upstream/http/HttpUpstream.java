package dev.shadowcat.upstream.http;

import dev.shadowcat.config.HttpUpstreamConfig;
import dev.shadowcat.config.HttpUpstreamConfig.Transport;
import dev.shadowcat.protocol.ErrorCodes;
import dev.shadowcat.protocol.Errors;
import dev.shadowcat.protocol.JsonScan;
import dev.shadowcat.protocol.Message;
import dev.shadowcat.upstream.ClientSession;
import dev.shadowcat.upstream.Exchange;
import dev.shadowcat.upstream.Upstream;
import dev.shadowcat.upstream.UpstreamBinding;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * A remote MCP server over HTTP: Streamable HTTP (2025-03-26 and later) or the legacy HTTP+SSE transport
 * (2024-11-05), chosen by configuration or detected on the first session.
 *
 * <p>Thread-safe. One {@link HttpClient} per upstream keeps connections alive and runs its callbacks on this
 * upstream's own named threads, which {@link #awaitStopped} stops. Each client session gets its own upstream
 * session (pinned; its {@code Mcp-Session-Id} is kept here and never shown to the client). Headers sent
 * upstream are built from scratch: the protocol headers plus this upstream's configured credentials, never
 * anything the client sent.
 */
public final class HttpUpstream implements Upstream {
    private static final Logger LOG = Logger.getLogger(HttpUpstream.class.getName());

    private final HttpUpstreamConfig config;
    private final dev.shadowcat.upstream.UpstreamCredentials credentials;
    private final ScheduledExecutorService scheduler;
    private final ExecutorService executor;
    /**
     * Null once stopped: the client's own threads reach this upstream through the subscribers of finished exchanges
     * they still hold, so an upstream that kept its client would keep the client referenced, and its selector thread
     * running, for good.
     */
    private volatile HttpClient client;
    private final CircuitBreaker breaker;
    private final LongSupplier clock;
    private final Set<UpstreamBinding> bindings = ConcurrentHashMap.newKeySet();
    /** DELETEs of ended upstream sessions still on their way; {@link #awaitStopped} lets them finish. */
    private final Set<CompletableFuture<?>> farewells = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean shutdown = new AtomicBoolean();
    private volatile boolean standaloneAtOnce = true;
    /** Readers whose response body has not ended; cancelled at stop, so that no request stays pending in the client. */
    private final java.util.Set<EventStreamReader> openReaders = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final java.util.Set<java.util.concurrent.CompletableFuture<?>> pendingExchanges =
            java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.atomic.AtomicInteger lateStandalone = new java.util.concurrent.atomic.AtomicInteger();
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final AtomicLong sessionsOpened = new AtomicLong();
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong resumes = new AtomicLong();
    private final AtomicLong fastFails = new AtomicLong();
    private volatile Transport detected;
    private volatile long lastPingNanos;

    public HttpUpstream(HttpUpstreamConfig config, ThreadFactory threads, ScheduledExecutorService scheduler,
                        LongSupplier nanoClock) {
        this(config, threads, scheduler, nanoClock, dev.shadowcat.upstream.UpstreamCredentials.NONE);
    }

    /** @param credentials where this upstream's {@code Authorization} comes from, besides its configured headers */
    public HttpUpstream(HttpUpstreamConfig config, ThreadFactory threads, ScheduledExecutorService scheduler,
                        LongSupplier nanoClock, dev.shadowcat.upstream.UpstreamCredentials credentials) {
        this.credentials = credentials;
        this.config = config;
        this.scheduler = scheduler;
        this.clock = nanoClock;
        // callbacks never block, so a few threads suffice; bounded threads and queue, and when both are full the
        // HTTP client's own thread runs the callback instead of anything queueing without limit
        this.executor = new java.util.concurrent.ThreadPoolExecutor(2, 16, 60, java.util.concurrent.TimeUnit.SECONDS,
                new java.util.concurrent.ArrayBlockingQueue<>(1024), threads,
                new java.util.concurrent.ThreadPoolExecutor.CallerRunsPolicy());
        this.client = HttpClient.newBuilder()
                .version(config.http2() ? HttpClient.Version.HTTP_2 : HttpClient.Version.HTTP_1_1)
                .connectTimeout(config.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .executor(executor)
                .build();
        this.breaker = new CircuitBreaker(config.name(), config.breakerFailures(), config.breakerOpen(), nanoClock);
        this.detected = config.transport() == Transport.AUTO ? null : config.transport();
        this.lastPingNanos = nanoClock.getAsLong();
    }

    HttpUpstreamConfig config() {
        return config;
    }

    ScheduledExecutorService scheduler() {
        return scheduler;
    }

    CircuitBreaker breaker() {
        return breaker;
    }

    /** An operator's hand on the breaker: open it now (fail fast until it probes again) or close it. */
    public void setBreakerOpen(boolean open) {
        if (open) {
            breaker.forceOpen();
        } else {
            breaker.reset();
        }
    }

    ReconnectPolicy newReconnectPolicy() {
        ReconnectPolicy.Settings d = ReconnectPolicy.Settings.defaults();
        return new ReconnectPolicy(new ReconnectPolicy.Settings(d.base(), d.factor(), d.cap(), config.reconnectGiveUp()),
                clock, () -> ThreadLocalRandom.current().nextDouble(), Instant::now);
    }

    void countRequest() {
        requests.incrementAndGet();
    }

    void countFailure() {
        failures.incrementAndGet();
    }

    void countResume() {
        resumes.incrementAndGet();
    }

    boolean isShutdown() {
        return shutdown.get();
    }

    /** Adds the protocol headers and this upstream's configured credentials; nothing from the client. */
    HttpRequest.Builder request(java.net.URI uri, String sessionId, String protocolVersion) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(config.requestTimeout());
        for (var h : config.headers().entrySet()) {
            b.header(h.getKey(), h.getValue());
        }
        if (sessionId != null) {
            b.header("Mcp-Session-Id", sessionId);
        }
        if (protocolVersion != null) {
            b.header("MCP-Protocol-Version", protocolVersion);
        }
        return b;
    }

    /** A JSON-RPC error for the client that names this upstream. */
    byte[] error(String idJson, int code, String message) {
        return Errors.response(idJson, code, "upstream '" + name() + "' " + message,
                "{\"upstream\":" + JsonScan.quote(name()) + "}");
    }

    /** Ends the call at once if the client session is closed or the breaker is open; else lets it through. */
    boolean admit(Message request, Exchange ex, boolean sessionClosed) {
        if (sessionClosed) {
            ex.onEnd(error(request.idJson(), ErrorCodes.UPSTREAM_UNAVAILABLE, "session is closed"), Exchange.Outcome.FAILED);
            return false;
        }
        if (breaker.tryAcquire()) {
            return true;
        }
        fastFails.incrementAndGet();
        ex.onEnd(error(request.idJson(), ErrorCodes.UPSTREAM_UNAVAILABLE, "is unavailable: circuit " + breaker.describe()),
                Exchange.Outcome.FAILED);
        return false;
    }

    @Override
    public String name() {
        return config.name();
    }

    @Override
    public UpstreamBinding open(ClientSession session, Message initialize, Exchange init) {
        if (shutdown.get()) {
            init.onEnd(error(initialize.idJson(), ErrorCodes.UPSTREAM_UNAVAILABLE, "is shutting down"), Exchange.Outcome.FAILED);
            return dev.shadowcat.upstream.RefusingBinding.INSTANCE;
        }
        sessionsOpened.incrementAndGet();
        SwitchingBinding b = new SwitchingBinding();
        Transport t = detected;
        UpstreamBinding inner = t == Transport.SSE ? new LegacySseBinding(this, session)
                : t == Transport.STATELESS ? new ModernBinding(this, session)
                : new StreamableBinding(this, session, t == null);
        b.delegate = inner;
        bindings.add(b);
        if (inner instanceof ModernBinding mb) {
            mb.start(initialize, init, null);
        } else if (inner instanceof StreamableBinding sb) {
            sb.start(initialize, new DetectingExchange(init, b, session, initialize));
        } else {
            ((LegacySseBinding) inner).start(initialize, init);
        }
        return b;
    }

    void detectedModern() {
        if (detected != Transport.STATELESS) {
            detected = Transport.STATELESS;
            LOG.info(() -> "upstream '" + name() + "' speaks only 2026-07-28 (stateless)");
        }
    }

    /**
     * Whether sessions should wait (briefly) for the standalone GET stream's headers before their first request. True
     * until {@link #LATE_STANDALONE_LIMIT} sessions in a row waited in vain: that server sends the headers only with
     * its first event, so there is nothing to wait for.
     */
    boolean answersStandaloneAtOnce() {
        return standaloneAtOnce;
    }

    static final int LATE_STANDALONE_LIMIT = 3;

    void standaloneAnswersLate(long waitedMillis) {
        if (standaloneAtOnce && lateStandalone.incrementAndGet() >= LATE_STANDALONE_LIMIT) {
            standaloneAtOnce = false;
            LOG.info(() -> "upstream '" + name() + "' sent no headers for its standalone stream within " + waitedMillis
                    + " ms in " + LATE_STANDALONE_LIMIT + " sessions in a row; sessions no longer wait for it");
        }
    }

    void standaloneAnsweredInTime() {
        lateStandalone.set(0);
    }

    /**
     * Sends through this upstream's client, on behalf of {@code on}, and tracks the exchange until it completes, so
     * that {@link #awaitStopped} can abort whatever is still pending: a pending exchange keeps the JDK client's
     * selector thread, and all the exchange reaches, alive. The {@code Authorization} header of a token the gateway
     * obtained for this upstream is added here (at once while it is cached); the client's own never is.
     */
    <T> java.util.concurrent.CompletableFuture<java.net.http.HttpResponse<T>> send(ClientSession on, java.net.http.HttpRequest request,
                                                                   java.net.http.HttpResponse.BodyHandler<T> handler) {
        CompletableFuture<String> auth;
        try {
            auth = credentials.authorization(on);
        } catch (RuntimeException e) {
            auth = CompletableFuture.failedFuture(e);
        }
        if (auth == null) {
            return send(request, handler);
        }
        if (auth.isDone() && !auth.isCompletedExceptionally()) {
            return send(withAuthorization(request, auth.join()), handler);
        }
        CompletableFuture<java.net.http.HttpResponse<T>> outer = new CompletableFuture<>();
        auth.whenComplete((value, err) -> {
            if (err != null) {
                Throwable cause = dev.shadowcat.concurrent.Futures.cause(err);
                outer.completeExceptionally(new java.io.IOException("no token for upstream '" + name() + "': " + cause.getMessage(), cause));
                return;
            }
            if (outer.isDone()) {
                return; // cancelled while the token was on its way
            }
            CompletableFuture<java.net.http.HttpResponse<T>> inner = send(withAuthorization(request, value), handler);
            outer.whenComplete((r, e) -> {
                if (outer.isCancelled()) {
                    inner.cancel(true);
                }
            });
            inner.whenComplete((r, e) -> {
                if (e != null) {
                    outer.completeExceptionally(e);
                } else {
                    outer.complete(r);
                }
            });
        });
        return outer;
    }

    private static java.net.http.HttpRequest withAuthorization(java.net.http.HttpRequest request, String value) {
        if (value == null) {
            return request;
        }
        return java.net.http.HttpRequest.newBuilder(request, (n, v) -> !"authorization".equalsIgnoreCase(n))
                .header("Authorization", value).build();
    }

    private <T> java.util.concurrent.CompletableFuture<java.net.http.HttpResponse<T>> send(java.net.http.HttpRequest request,
                                                                   java.net.http.HttpResponse.BodyHandler<T> handler) {
        HttpClient c = client;
        if (c == null) {
            return java.util.concurrent.CompletableFuture.failedFuture(
                    new java.io.IOException("upstream '" + config.name() + "' is stopped"));
        }
        java.util.concurrent.CompletableFuture<java.net.http.HttpResponse<T>> f = c.sendAsync(request, handler);
        pendingExchanges.add(f);
        f.whenComplete((r, e) -> pendingExchanges.remove(f));
        return f;
    }

    /** An event-stream reader for one of this upstream's responses, tracked until its body ends. */
    EventStreamReader newReader(EventStreamReader.Listener listener) {
        return new EventStreamReader(listener, scheduler, config.sseIdleTimeout().toMillis(), openReaders);
    }

    /** Remembers what worked, so later sessions skip the probe. */
    void detectedStreamable() {
        if (detected == null) {
            detected = Transport.STREAMABLE_HTTP;
            LOG.info(() -> "upstream '" + name() + "' speaks Streamable HTTP");
        }
    }

    void forget(UpstreamBinding b) {
        bindings.remove(b);
    }

    @Override
    public void maintain() {
        if (config.pingInterval().isZero() || shutdown.get()) {
            return;
        }
        long now = clock.getAsLong();
        if (now - lastPingNanos < config.pingInterval().toNanos()) {
            return;
        }
        lastPingNanos = now;
        for (UpstreamBinding b : bindings) {
            if (b instanceof SwitchingBinding sb && sb.delegate instanceof StreamableBinding s && s.ping()) {
                return; // one liveness probe per interval is enough for the breaker
            }
        }
    }

    @Override
    public Map<String, Object> stats() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name());
        m.put("kind", "http");
        m.put("url", config.url().toString());
        Transport t = detected;
        m.put("transport", t == null ? "auto (not yet detected)" : t == Transport.SSE ? "sse"
                : t == Transport.STATELESS ? "stateless (2026-07-28)" : "streamable-http");
        m.put("breaker", breaker.state().name().toLowerCase(java.util.Locale.ROOT));
        m.put("breakerDetail", breaker.describe());
        m.put("sessions", bindings.size());
        m.put("sessionsOpened", sessionsOpened.get());
        m.put("requests", requests.get());
        m.put("failures", failures.get());
        m.put("fastFails", fastFails.get());
        m.put("resumes", resumes.get());
        Map<String, Object> c = credentials.stats();
        if (!c.isEmpty()) {
            m.put("credentials", c);
        }
        return m;
    }

    /**
     * Ends every upstream session (each sends its DELETE) and completes when those DELETEs are answered or failed.
     * The callback threads keep running until {@link #awaitStopped}: the HTTP client completes the DELETEs on them,
     * and stopping them first would drop the DELETEs that are still on their way.
     */
    @Override
    public CompletableFuture<Void> shutdown() {
        if (shutdown.compareAndSet(false, true)) {
            for (UpstreamBinding b : bindings) {
                b.close();
            }
        }
        return CompletableFuture.allOf(farewells.toArray(CompletableFuture[]::new)).handle((r, e) -> null);
    }

    /** Sessions ended before {@link #awaitStopped} send their DELETE; later ones leave it to the upstream's expiry. */
    boolean canSayFarewell() {
        return !stopped.get();
    }

    void farewell(CompletableFuture<?> delete) {
        if (farewells.add(delete)) {
            delete.whenComplete((r, e) -> farewells.remove(delete));
        }
    }

    /** Waits (bounded) for session DELETEs still in flight, then stops the callback threads; call after shutdown(). */
    public void awaitStopped(long millis) {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(millis);
        try {
            CompletableFuture.allOf(farewells.toArray(CompletableFuture[]::new)).get(millis, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            LOG.fine(() -> config.name() + ": " + farewells.size() + " session DELETEs unanswered at stop; the upstream will expire them");
        }
        stopped.set(true);
        for (EventStreamReader r : java.util.List.copyOf(openReaders)) {
            r.cancel(); // a stream whose binding forgot it (or whose drain timer was dropped at stop) ends here
        }
        for (java.util.concurrent.CompletableFuture<?> f : java.util.List.copyOf(pendingExchanges)) {
            f.cancel(true); // aborts the exchange (Java 16+): nothing stays pending in the client
        }
        executor.shutdown();
        try {
            long left = Math.max(0, deadline - System.nanoTime());
            if (!executor.awaitTermination(left, java.util.concurrent.TimeUnit.NANOSECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            executor.shutdownNow();
        }
        closeClient();
    }

    /**
     * Java 21+ can stop an HttpClient's selector thread at once ({@code shutdownNow}); on 17 it ends by itself
     * once the client is unreachable, which an undeployed application's is.
     */
    private void closeClient() {
        try {
            HttpClient c = client;
            client = null;
            if (c != null) {
                HttpClient.class.getMethod("shutdownNow").invoke(c);
            }
        } catch (NoSuchMethodException e) {
            // Java 17: nothing to call
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.log(java.util.logging.Level.FINE, config.name() + ": closing the HTTP client failed", e);
        }
    }

    /** Streamable HTTP carries each server→client request on the stream of the request it serves; legacy SSE does not. */
    @Override
    public boolean attributesServerRequests() {
        return detected == Transport.STREAMABLE_HTTP || detected == Transport.STATELESS;
    }

    @Override
    public boolean speaksStateless() {
        return detected == Transport.STATELESS;
    }

    @Override
    public String toString() {
        return "HttpUpstream{" + name() + " " + config.url() + " " + detected + " breaker=" + breaker.state() + "}";
    }

    // ---- transport detection ----

    /**
     * Wraps the client's initialize: if a Streamable HTTP probe is refused with 400/404/405 (and the transport
     * is "auto"), the same initialize is replayed over the legacy HTTP+SSE transport instead.
     */
    final class DetectingExchange extends dev.shadowcat.upstream.ForwardingExchange {
        private final SwitchingBinding binding;
        private final ClientSession session;
        private final Message initialize;

        DetectingExchange(Exchange inner, SwitchingBinding binding, ClientSession session, Message initialize) {
            super(inner);
            this.binding = binding;
            this.session = session;
            this.initialize = initialize;
        }

        @Override
        public void onEnd(byte[] response, Outcome outcome) {
            inner.onEnd(response, outcome);
        }

        /**
         * Called by the streamable binding when initialize was refused with a JSON-RPC error of the modern revision:
         * the server may speak only 2026-07-28. server/discover decides; if not, the legacy fallback runs.
         */
        void tryModern(int status) {
            ModernBinding modern = new ModernBinding(HttpUpstream.this, session);
            binding.delegate = modern;
            modern.start(initialize, inner, () -> fallBack(status));
        }

        /** Called by the streamable binding when the probe was refused in a way that means "legacy server". */
        void fallBack(int status) {
            LOG.info(() -> "upstream '" + name() + "' answered " + status + " to a Streamable HTTP initialize; "
                    + "switching to the legacy HTTP+SSE transport");
            detected = Transport.SSE;
            LegacySseBinding legacy = new LegacySseBinding(HttpUpstream.this, session);
            binding.delegate = legacy;
            legacy.start(initialize, inner);
        }
    }

    static DetectingExchange detecting(Exchange ex) {
        return ex instanceof DetectingExchange d ? d : null;
    }

    /** The session keeps this binding; the transport behind it may change once, at detection. */
    private final class SwitchingBinding implements UpstreamBinding {
        volatile UpstreamBinding delegate;

        @Override
        public void request(Message request, Exchange exchange) {
            delegate.request(request, exchange);
        }

        @Override
        public void notify(Message notification) {
            delegate.notify(notification);
        }

        @Override
        public void cancel(Exchange exchange, String reason) {
            delegate.cancel(exchange, reason);
        }

        @Override
        public void close() {
            bindings.remove(this);
            delegate.close();
        }
    }
}
