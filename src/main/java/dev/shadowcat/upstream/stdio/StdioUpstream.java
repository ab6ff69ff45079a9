package dev.shadowcat.upstream.stdio;

import dev.shadowcat.config.UpstreamConfig;
import dev.shadowcat.config.UpstreamConfig.SessionMode;
import dev.shadowcat.gateway.GatewayThreads;
import dev.shadowcat.pool.Lease;
import dev.shadowcat.pool.Pool;
import dev.shadowcat.pool.PoolStats;
import dev.shadowcat.protocol.ErrorCodes;
import dev.shadowcat.protocol.Errors;
import dev.shadowcat.protocol.JsonScan;
import dev.shadowcat.protocol.Message;
import dev.shadowcat.protocol.ProtocolVersions;
import dev.shadowcat.upstream.ClientSession;
import dev.shadowcat.upstream.Exchange;
import dev.shadowcat.upstream.Upstream;
import dev.shadowcat.upstream.UpstreamBinding;

import jakarta.json.JsonObject;

import java.io.IOException;
import java.io.StringReader;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * A stdio MCP server run as pooled, supervised child processes.
 *
 * <p>Thread-safe. Two session modes:
 * <ul>
 * <li>{@code dedicated}: a session leases one child at {@code initialize} and keeps it; the client's own
 * handshake goes to it; when the session ends the child is terminated (a stdio server holds exactly one MCP
 * session, so it is never reused). Idle pool entries are warm, not yet initialized children that have
 * answered a {@code ping} (see {@link ReadinessProbe}).</li>
 * <li>{@code shared}: the gateway initializes each child once and answers clients' {@code initialize} from
 * that result. Every request leases a child exclusively until its response, so any notification or
 * server→client request the child sends meanwhile belongs to that request's session and no other. A child
 * whose request timed out or was cancelled is retired, since it may still talk about it.</li>
 * </ul>
 */
public final class StdioUpstream implements Upstream {
    private static final Logger LOG = Logger.getLogger(StdioUpstream.class.getName());

    private final UpstreamConfig config;
    private final GatewayThreads threads;
    private final ScheduledExecutorService scheduler;
    private final ExecutorService spawner;
    private final Pool<StdioLink> pool;
    private final Set<CompletableFuture<Void>> terminations = ConcurrentHashMap.newKeySet();
    /** Every child started and not yet terminated, leased or not: shutdown ends them all. */
    private final Set<StdioLink> links = ConcurrentHashMap.newKeySet();
    private final Set<SharedBinding> sharedSessions = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean shutdown = new AtomicBoolean();
    private final AtomicLong sessionsOpened = new AtomicLong();
    private final AtomicLong readinessTimeouts = new AtomicLong();
    private volatile JsonObject sharedInitResult;

    /** Asked, with this upstream's name, to end an idle session when a dedicated pool has no free child. */
    private final java.util.function.Predicate<String> reclaimer;

    public StdioUpstream(UpstreamConfig config, GatewayThreads threads, ScheduledExecutorService scheduler,
                         LongSupplier nanoClock) {
        this(config, threads, scheduler, nanoClock, name -> false);
    }

    public StdioUpstream(UpstreamConfig config, GatewayThreads threads, ScheduledExecutorService scheduler,
                         LongSupplier nanoClock, java.util.function.Predicate<String> reclaimer) {
        this.reclaimer = reclaimer;
        this.config = config;
        this.threads = threads;
        this.scheduler = scheduler;
        this.spawner = Executors.newSingleThreadExecutor(r -> threads.newThread(r));
        this.pool = new Pool<>(config.name(), config.pool(), this::spawn, scheduler, nanoClock);
    }

    UpstreamConfig config() {
        return config;
    }

    ScheduledExecutorService scheduler() {
        return scheduler;
    }

    @Override
    public String name() {
        return config.name();
    }

    /** Pool factory: fork the child off the request path; in shared mode also run the handshake. */
    private CompletableFuture<StdioLink> spawn() {
        CompletableFuture<StdioLink> started = CompletableFuture.supplyAsync(() -> {
            StdioLink link = new StdioLink(this);
            try {
                link.attach(ChildProcess.start(config, link, threads));
                links.add(link);
                if (shutdown.get()) {
                    link.retire();
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("cannot start " + config.command() + ": " + e.getMessage(), e);
            }
            return link;
        }, spawner);
        if (config.mode() == SessionMode.SHARED) {
            return started.thenCompose(this::handshake); // the handshake's answer is the readiness signal
        }
        if (config.readinessTimeout().isZero()) {
            return started;
        }
        return started.thenCompose(this::awaitReady);
    }

    /**
     * Dedicated mode: the pool counts a child (idle or leased) only once it reads its stdin, so a session gets
     * a booted child rather than the newest, still booting one. Asynchronous; bounded by readinessTimeout.
     */
    private CompletableFuture<StdioLink> awaitReady(StdioLink link) {
        ReadinessProbe probe = link.probeReadiness(config.readinessTimeout());
        return probe.outcome().thenApply(state -> switch (state) {
            case ANSWERED -> {
                LOG.fine(() -> link.process().label() + ": ready after " + probe.elapsedMillis() + " ms");
                yield link;
            }
            case TIMED_OUT -> {
                readinessTimeouts.incrementAndGet();
                LOG.fine(() -> link.process().label() + ": no answer to ping within "
                        + config.readinessTimeout().toMillis() + " ms of starting; handed out as ready");
                yield link;
            }
            case LOST -> {
                link.retire();
                throw new IllegalStateException(link.process().label() + " ended before it was ready: "
                        + probe.lostReason());
            }
            case PROBING -> throw new IllegalStateException("readiness outcome before the probe ended");
        });
    }

    private CompletableFuture<StdioLink> handshake(StdioLink link) {
        String params = "{\"protocolVersion\":\"" + ProtocolVersions.LATEST + "\",\"capabilities\":{\"sampling\":{},"
                + "\"elicitation\":{}},\"clientInfo\":{\"name\":\"shadowcat\",\"version\":\"0.1.0\"}}";
        return link.call("initialize", params).thenApply(resp -> {
            if (resp.isError()) {
                link.retire();
                throw new IllegalStateException("upstream '" + name() + "' refused initialize: "
                        + new String(resp.bytes(), java.nio.charset.StandardCharsets.UTF_8));
            }
            String json = new String(resp.bytes(), java.nio.charset.StandardCharsets.UTF_8);
            try (var r = dev.shadowcat.protocol.JsonP.PROVIDER.createReader(new StringReader(json))) {
                sharedInitResult = r.readObject().getJsonObject("result");
            }
            link.notifyUpstream("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}"
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return link;
        });
    }

    void terminate(StdioLink link, ChildProcess p) {
        CompletableFuture<Void> f = p.terminate(config.terminationGrace(), scheduler, spawner);
        if (terminations.add(f)) {
            f.whenComplete((v, e) -> {
                terminations.remove(f);
                links.remove(link);
            });
        }
    }

    @Override
    public UpstreamBinding open(ClientSession session, Message initialize, Exchange init) {
        if (shutdown.get()) {
            init.onEnd(Errors.response(initialize.idJson(), ErrorCodes.UPSTREAM_UNAVAILABLE,
                    "the gateway is shutting down", null), Exchange.Outcome.FAILED);
            return dev.shadowcat.upstream.RefusingBinding.INSTANCE;
        }
        sessionsOpened.incrementAndGet();
        if (config.mode() == SessionMode.DEDICATED) {
            PoolStats before = pool.stats();
            if (before.idle() == 0 && before.total() >= before.max()) {
                reclaimer.test(name()); // frees a child (its session ends) for this session, if one is idle enough
            }
            DedicatedBinding b = new DedicatedBinding(session, pool.acquire());
            b.request(initialize, init);
            return b;
        }
        SharedBinding b = new SharedBinding(session);
        sharedSessions.add(b);
        JsonObject cached = sharedInitResult;
        if (cached != null) {
            init.onEnd(initializeResult(initialize, cached), Exchange.Outcome.REPLIED);
        } else {
            // The first session starts a child, whose handshake fills the cache.
            pool.acquire().whenComplete((lease, err) -> {
                if (err != null) {
                    init.onEnd(unavailable(initialize.idJson(), err), Exchange.Outcome.FAILED);
                    return;
                }
                lease.release();
                init.onEnd(initializeResult(initialize, sharedInitResult), Exchange.Outcome.REPLIED);
            });
        }
        return b;
    }

    /** Answers a client's initialize from the shared child's result, in the version the client asked for. */
    private static byte[] initializeResult(Message initialize, JsonObject result) {
        String asked = initialize.paramString("protocolVersion");
        String version = ProtocolVersions.isSupported(asked) ? asked : result.getString("protocolVersion", ProtocolVersions.LATEST);
        JsonObject r = dev.shadowcat.protocol.JsonP.PROVIDER.createObjectBuilder(result).add("protocolVersion", version).build();
        return Errors.result(initialize.idJson(), r.toString());
    }

    private byte[] unavailable(String idJson, Throwable err) {
        Throwable c = dev.shadowcat.concurrent.Futures.cause(err);
        return Errors.response(idJson, ErrorCodes.UPSTREAM_UNAVAILABLE, c.getMessage(),
                "{\"upstream\":" + JsonScan.quote(name()) + "}");
    }

    /** A non-progress notification from a child, routed by mode. Called on the child's stdout thread. */
    void route(StdioLink link, Message m) {
        String method = m.method();
        boolean unsolicited = method.endsWith("/list_changed") || "notifications/resources/updated".equals(method);
        if (config.mode() == SessionMode.DEDICATED) {
            ClientSession s = link.owner;
            if (s != null && unsolicited) {
                s.onUpstreamEvent(m.bytes());
            } else if (s != null) {
                s.onUpstreamNotification(m.bytes(), null);
            }
            return;
        }
        if ("notifications/resources/updated".equals(method)) {
            String uri = m.paramString("uri");
            for (SharedBinding b : sharedSessions) {
                if (uri != null && b.subscriptions.contains(uri)) {
                    b.session.onUpstreamEvent(m.bytes());
                }
            }
        } else if (method.endsWith("/list_changed")) {
            for (SharedBinding b : sharedSessions) {
                b.session.onUpstreamEvent(m.bytes());
            }
        } else {
            Exchange ex = link.current;
            if (ex != null) {
                ex.session().onUpstreamNotification(m.bytes(), ex);
            } else {
                LOG.fine(() -> link + ": " + method + " outside any request dropped (shared mode cannot attribute it)");
            }
        }
    }

    void onLinkLost(StdioLink link, String reason) {
        if (link.process().isTerminating()) {
            LOG.fine(() -> link.process().label() + ": ended (" + reason + ")");
        } else {
            LOG.warning(() -> link.process().label() + ": " + reason);
        }
        ClientSession s = link.owner;
        if (s != null) {
            s.onUpstreamLost(reason);
        }
    }

    @Override
    public void maintain() {
        pool.maintain();
    }

    @Override
    public Map<String, Object> stats() {
        PoolStats p = pool.stats();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name());
        m.put("kind", "stdio");
        m.put("mode", config.mode().name().toLowerCase(java.util.Locale.ROOT));
        m.put("idle", p.idle());
        m.put("busy", p.leased());
        m.put("starting", p.starting());
        m.put("waiting", p.waiting());
        m.put("max", p.max());
        m.put("spawned", p.spawned());
        m.put("reused", p.reused());
        m.put("retired", p.retired());
        m.put("died", p.died());
        m.put("spawnFailures", p.spawnFailures());
        m.put("acquireTimeouts", p.acquireTimeouts());
        m.put("terminating", terminations.size());
        m.put("readinessTimeouts", readinessTimeouts.get());
        m.put("sessionsOpened", sessionsOpened.get());
        return m;
    }

    /** Replaces every child process, each when it is next idle (an operator's restart; calls in flight go on). */
    public void restartChildren() {
        pool.restart();
    }

    public PoolStats poolStats() {
        return pool.stats();
    }

    @Override
    public CompletableFuture<Void> shutdown() {
        if (!shutdown.compareAndSet(false, true)) {
            return CompletableFuture.allOf(terminations.toArray(CompletableFuture[]::new));
        }
        pool.close();
        spawner.shutdown();
        for (StdioLink link : links) {
            link.retire(); // leased ones too: their pending requests fail when the process goes
        }
        return CompletableFuture.allOf(terminations.toArray(CompletableFuture[]::new));
    }

    // ---- bindings ----

    /** Dedicated mode: the session owns one child for its whole life. */
    private final class DedicatedBinding implements UpstreamBinding {
        private final ClientSession session;
        private final CompletableFuture<Lease<StdioLink>> lease;
        private final Map<Exchange, Long> inFlight = new ConcurrentHashMap<>();
        private final AtomicBoolean closed = new AtomicBoolean();

        DedicatedBinding(ClientSession session, CompletableFuture<Lease<StdioLink>> lease) {
            this.session = session;
            this.lease = lease.thenApply(l -> {
                l.resource().owner = session;
                return l;
            });
        }

        @Override
        public void request(Message request, Exchange exchange) {
            lease.whenComplete((l, err) -> {
                if (err != null) {
                    exchange.onEnd(unavailable(request.idJson(), err), Exchange.Outcome.FAILED);
                    return;
                }
                Exchange tracked = new Tracked(exchange, inFlight);
                inFlight.put(tracked, -1L); // before sending, so a fast response finds and removes it
                long id = l.resource().send(request, tracked);
                inFlight.replace(tracked, -1L, id);
            });
        }

        @Override
        public void notify(Message notification) {
            lease.thenAccept(l -> l.resource().notifyUpstream(notification.bytes()));
        }

        @Override
        public void cancel(Exchange exchange, String reason) {
            lease.thenAccept(l -> {
                for (var e : inFlight.entrySet()) {
                    if (e.getKey().origin() == exchange.origin() && e.getValue() > 0) {
                        l.resource().cancel(e.getValue(), reason);
                    }
                }
            });
        }

        @Override
        public void close() {
            if (!closed.compareAndSet(false, true)) {
                return;
            }
            lease.whenComplete((l, err) -> {
                if (l != null) {
                    l.resource().owner = null;
                    l.retire();
                }
            });
        }
    }

    /** Shared mode: each request leases a child until its response. */
    private final class SharedBinding implements UpstreamBinding {
        private final ClientSession session;
        private final Set<String> subscriptions = ConcurrentHashMap.newKeySet();
        private final Map<Exchange, LeasedExchange> inFlight = new ConcurrentHashMap<>();

        SharedBinding(ClientSession session) {
            this.session = session;
        }

        @Override
        public void request(Message request, Exchange exchange) {
            String method = request.method();
            if ("resources/subscribe".equals(method) || "resources/unsubscribe".equals(method)) {
                String uri = request.paramString("uri");
                if (uri == null) {
                    exchange.onEnd(Errors.response(request.idJson(), ErrorCodes.INVALID_PARAMS,
                            "params.uri is required", null), Exchange.Outcome.REPLIED);
                    return;
                }
                if (method.equals("resources/unsubscribe")) {
                    subscriptions.remove(uri);
                    exchange.onEnd(Errors.result(request.idJson(), "{}"), Exchange.Outcome.REPLIED);
                    return;
                }
                subscriptions.add(uri);
            }
            pool.acquire().whenComplete((l, err) -> {
                if (err != null) {
                    exchange.onEnd(unavailable(request.idJson(), err), Exchange.Outcome.FAILED);
                    return;
                }
                LeasedExchange le = new LeasedExchange(exchange, l, inFlight);
                inFlight.put(exchange.origin(), le);
                l.resource().current = le;
                le.upstreamId = l.resource().send(request, le);
            });
        }

        @Override
        public void notify(Message notification) {
            // The gateway did the handshake itself; other client notifications have no single child to go to.
            LOG.fine(() -> "shared upstream '" + name() + "': client notification " + notification.method() + " not forwarded");
        }

        @Override
        public void cancel(Exchange exchange, String reason) {
            LeasedExchange le = inFlight.get(exchange.origin());
            if (le != null && le.upstreamId > 0) {
                le.lease.resource().cancel(le.upstreamId, reason);
            }
        }

        @Override
        public void close() {
            sharedSessions.remove(this);
        }
    }

    /** Ends the lease of a shared child together with the exchange it serves. */
    private static final class LeasedExchange extends dev.shadowcat.upstream.ForwardingExchange {
        final Lease<StdioLink> lease;
        final Map<Exchange, LeasedExchange> registry;
        volatile long upstreamId;

        LeasedExchange(Exchange inner, Lease<StdioLink> lease, Map<Exchange, LeasedExchange> registry) {
            super(inner);
            this.lease = lease;
            this.registry = registry;
        }

        @Override
        public void onEnd(byte[] response, Outcome outcome) {
            registry.remove(inner.origin());
            StdioLink link = lease.resource();
            if (link.current == this) {
                link.current = null;
            }
            try {
                int max = link.upstream().config().maxRequestsPerChild();
                // the handshake is one of the responses served, hence the +1
                if (outcome == Outcome.REPLIED && (max == 0 || link.served() < max + 1)) {
                    lease.release();
                } else {
                    lease.retire();
                }
            } finally {
                inner.onEnd(response, outcome);
            }
        }
    }

    /** Removes itself from its binding's in-flight map when it ends. */
    private static final class Tracked extends dev.shadowcat.upstream.ForwardingExchange {
        final Map<Exchange, Long> registry;

        Tracked(Exchange inner, Map<Exchange, Long> registry) {
            super(inner);
            this.registry = registry;
        }

        @Override
        public void onEnd(byte[] response, Outcome outcome) {
            registry.remove(this);
            inner.onEnd(response, outcome);
        }
    }

    /**
     * Shared: each waiting call holds a child; one stays free. Dedicated: each waiting call has a session (a
     * child) of its own, and the 2026 bridge's main session holds one more.
     */
    @Override
    public int waitingCallCapacity() {
        return Math.max(1, config.pool().maxSize() - (config.mode() == SessionMode.DEDICATED ? 2 : 1));
    }

    @Override
    public boolean attributesServerRequests() {
        return config.mode() == SessionMode.SHARED;
    }

    @Override
    public String toString() {
        return "StdioUpstream{" + name() + " " + config.mode() + " " + pool + "}";
    }
}
