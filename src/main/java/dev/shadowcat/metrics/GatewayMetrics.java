package dev.shadowcat.metrics;

import dev.shadowcat.session.SessionStore;
import dev.shadowcat.upstream.Upstream;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The gateway's meter registry and the gauges that read its parts (sessions, pools, breakers). Thread-safe.
 *
 * <p>Gauges read {@link Upstream#stats()} when scraped, so they cost nothing between scrapes. Names follow the
 * Prometheus conventions through Micrometer's naming: {@code shadowcat.pool.children} becomes
 * {@code shadowcat_pool_children}, a counter gains {@code _total}, a timer {@code _seconds}.
 */
public final class GatewayMetrics implements AutoCloseable {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    public MeterRegistry registry() {
        return registry;
    }

    /** The content type of {@link #scrape}: Prometheus text exposition format 0.0.4. */
    public static String contentType() {
        return "text/plain; version=0.0.4; charset=utf-8";
    }

    public void scrape(OutputStream out) throws IOException {
        registry.scrape(out);
    }

    /** Gauges over the session registry and every upstream. */
    public void bind(SessionStore sessions, Map<String, Upstream> upstreams) {
        Gauge.builder("shadowcat.sessions.open", sessions, SessionStore::size)
                .description("Client sessions open").register(registry);
        Gauge.builder("shadowcat.requests.in.flight", sessions, SessionStore::inFlight)
                .description("Client requests waiting for their upstream").register(registry);
        Gauge.builder("shadowcat.sse.streams.open", sessions, SessionStore::openStreams)
                .description("SSE connections attached to sessions' streams (stateful and legacy clients)").register(registry);
        FunctionCounter.builder("shadowcat.sse.replayed.events", sessions.streamStats(), s -> s.replayedEvents())
                .description("Events sent again to clients that resumed with Last-Event-ID").register(registry);
        FunctionCounter.builder("shadowcat.sse.dropped.slow.readers", sessions.streamStats(), s -> s.droppedSlowReaders())
                .description("SSE connections closed because the client read too slowly").register(registry);
        FunctionCounter.builder("shadowcat.sse.events.not.kept", sessions.streamStats(), s -> s.eventsNotKept())
                .description("Events evicted from (or never kept in) a replay buffer by its count or byte bounds").register(registry);
        FunctionCounter.builder("shadowcat.sse.resumes.refused", sessions.streamStats(), s -> s.refusedResumes())
                .description("Resumes refused (410) because events after Last-Event-ID were no longer kept").register(registry);
        Gauge.builder("shadowcat.sse.buffered", sessions, SessionStore::bufferedBytes).baseUnit("bytes")
                .description("Bytes the sessions' streams keep for replay and queue for slow connections").register(registry);
        for (Upstream u : upstreams.values()) {
            String kind = String.valueOf(u.stats().get("kind"));
            switch (kind) {
                case "stdio" -> bindPool(u);
                case "http" -> bindHttp(u);
                default -> { } // aggregates have no state of their own: their members are measured
            }
        }
    }

    /**
     * After a reload: the gauges of replaced and removed upstreams let go of them (so the old objects can go), and the
     * new ones are bound. Counters the pipeline keeps per upstream name carry on.
     */
    public void rebind(java.util.Set<String> gone, Map<String, Upstream> now, java.util.List<String> added,
                       java.util.List<String> changed) {
        for (io.micrometer.core.instrument.Meter m : java.util.List.copyOf(registry.getMeters())) {
            String up = m.getId().getTag("upstream");
            if (up != null && gone.contains(up) && (m instanceof Gauge || m instanceof FunctionCounter)) {
                registry.remove(m);
            }
        }
        java.util.stream.Stream.concat(added.stream(), changed.stream()).forEach(name -> bindOne(now.get(name)));
    }

    private void bindOne(Upstream u) {
        if (u == null) {
            return;
        }
        switch (String.valueOf(u.stats().get("kind"))) {
            case "stdio" -> bindPool(u);
            case "http" -> bindHttp(u);
            default -> { }
        }
    }

    private void bindPool(Upstream u) {
        for (String state : new String[]{"idle", "busy", "starting"}) {
            gauge("shadowcat.pool.children", u, state, "Child processes of a stdio upstream by state");
        }
        Gauge.builder("shadowcat.pool.waiting", u, stat("waiting")).tag("upstream", u.name())
                .description("Requests queued for a child process").register(registry);
        Gauge.builder("shadowcat.pool.max", u, stat("max")).tag("upstream", u.name())
                .description("Most child processes alive at once").register(registry);
        counter("shadowcat.pool.children.died", u, "died", "Child processes found dead");
        counter("shadowcat.pool.children.spawned", u, "spawned", "Child processes started");
        counter("shadowcat.pool.children.retired", u, "retired", "Child processes retired by the pool");
        counter("shadowcat.pool.acquire.timeouts", u, "acquireTimeouts", "Requests that found no child in time");
    }

    private void bindHttp(Upstream u) {
        for (String state : new String[]{"closed", "open", "half_open"}) {
            Gauge.builder("shadowcat.upstream.breaker.state", u,
                            x -> state.equals(String.valueOf(x.stats().get("breaker"))) ? 1 : 0)
                    .tags("upstream", u.name(), "state", state)
                    .description("Circuit breaker of an HTTP upstream: 1 for its current state").register(registry);
        }
        counter("shadowcat.upstream.stream.resumes", u, "resumes", "Upstream event streams resumed with Last-Event-ID");
        counter("shadowcat.upstream.requests", u, "requests", "HTTP requests sent to the upstream");
        counter("shadowcat.upstream.failures", u, "failures", "HTTP requests to the upstream that failed");
        counter("shadowcat.upstream.fast.fails", u, "fastFails", "Requests refused at once by an open breaker");
        Gauge.builder("shadowcat.upstream.sessions", u, stat("sessions")).tag("upstream", u.name())
                .description("Upstream sessions open").register(registry);
    }

    private void gauge(String name, Upstream u, String state, String description) {
        Gauge.builder(name, u, stat(state)).tags("upstream", u.name(), "state", state)
                .description(description).register(registry);
    }

    private void counter(String name, Upstream u, String key, String description) {
        FunctionCounter.builder(name, u, stat(key)).tag("upstream", u.name())
                .description(description).register(registry);
    }

    private static ToDoubleFunction<Upstream> stat(String key) {
        return u -> u.stats().get(key) instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    @Override
    public void close() {
        registry.close();
    }
}
