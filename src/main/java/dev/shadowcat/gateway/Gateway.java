package dev.shadowcat.gateway;

import dev.shadowcat.config.ConfigLoader;
import dev.shadowcat.config.GatewayConfig;
import dev.shadowcat.config.AggregateConfig;
import dev.shadowcat.config.HttpUpstreamConfig;
import dev.shadowcat.route.AggregateUpstream;
import dev.shadowcat.config.UpstreamConfig;
import dev.shadowcat.config.UpstreamSpec;
import dev.shadowcat.upstream.http.HttpUpstream;
import dev.shadowcat.session.SessionRegistry;
import dev.shadowcat.session.SessionStore;
import dev.shadowcat.upstream.Upstream;
import dev.shadowcat.upstream.stdio.StdioUpstream;

import dev.shadowcat.audit.AuditLog;
import dev.shadowcat.config.PipelineConfig;
import dev.shadowcat.metrics.GatewayMetrics;
import dev.shadowcat.pipeline.Interceptor;
import dev.shadowcat.pipeline.Pipeline;
import dev.shadowcat.pipeline.Stage;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The one owner of everything long-lived: configuration, the session registry, the upstreams and their
 * process pools, the housekeeper thread (periodic upkeep) and the timers thread (deadlines and other one-shot timers).
 *
 * <p>Thread-safe. Started once by {@link GatewayLifecycle} when the web application starts; stopped by it
 * ({@link #stop()}, also this bean's idempotent {@code @PreDestroy}) in order: refuse new sessions, let in-flight requests finish up to
 * the shutdown timeout, close sessions and their streams, terminate every child process tree, stop the
 * housekeeper. Each wait is bounded.
 */
@ApplicationScoped
public class Gateway {
    private static final Logger LOG = Logger.getLogger(Gateway.class.getName());
    public static final String CONFIG_PROPERTY = "shadowcat.config";
    public static final String CONFIG_ENV = "SHADOWCAT_CONFIG";

    private final GatewayThreads threads = new GatewayThreads();
    private final LongSupplier clock = System::nanoTime;
    private volatile GatewayConfig config;
    private volatile SessionStore sessions;
    private volatile Map<String, Upstream> upstreams = Map.of();
    /** The same upstreams unwrapped, in start order: what {@link #stop()} shuts down. */
    private volatile List<Upstream> owned = List.of();
    private volatile Pipeline pipeline = Pipeline.empty();
    private volatile GatewayMetrics metrics;
    private volatile AuditLog audit;

    /** Stages a deployment adds as CDI beans ({@code @Priority} orders them); unset outside CDI. */
    @Inject
    @Any
    Instance<Interceptor> deployedStages;
    private volatile ScheduledThreadPoolExecutor housekeeper;
    /**
     * One-shot timers of requests and streams (deadlines, acquire timeouts, readiness, termination steps, backoff):
     * a thread of their own, so that upkeep on the housekeeper (reaping many sessions, pool maintenance) cannot
     * delay a deadline.
     */
    private volatile ScheduledThreadPoolExecutor timers;
    private volatile boolean stopped;
    /** Signs the requestState of 2026-07-28 input-required results; one key per gateway start. */
    private final dev.shadowcat.session.RequestStateSigner stateSigner = new dev.shadowcat.session.RequestStateSigner();
    private final java.util.concurrent.ConcurrentHashMap<String, dev.shadowcat.session.StatelessBridge> bridges =
            new java.util.concurrent.ConcurrentHashMap<>();

    /** Loads the configuration and starts the upstream pools. Called once. */
    public synchronized void start(String contextConfigPath, Map<String, String> vars) {
        if (config != null) {
            return;
        }
        GatewayConfig cfg = loadConfig(contextConfigPath, vars);
        GatewayMetrics m = null;
        AuditLog a = null;
        ScheduledThreadPoolExecutor hk = null;
        ScheduledThreadPoolExecutor tm = null;
        Map<String, Upstream> raw = new LinkedHashMap<>();
        try {
            m = cfg.pipeline().metrics() ? new GatewayMetrics() : null;
            a = BuiltInStages.openAudit(cfg.pipeline(), threads);
            hk = threads.newHousekeeper();
            tm = threads.newScheduler("timers");
            startParts(cfg, m, a, hk, tm, raw);
        } catch (RuntimeException | Error e) {
            // a failed start leaves nothing behind: undo in reverse what was started
            LOG.log(Level.SEVERE, "start failed; stopping what had started", e);
            for (Upstream u : raw.values()) {
                u.shutdown();
            }
            if (tm != null) {
                tm.shutdownNow();
            }
            if (hk != null) {
                hk.shutdownNow();
            }
            if (a != null) {
                a.close();
            }
            if (m != null) {
                m.close();
            }
            throw e;
        }
    }

    private void startParts(GatewayConfig cfg, GatewayMetrics m, AuditLog a, ScheduledThreadPoolExecutor hk,
                            ScheduledThreadPoolExecutor tm, Map<String, Upstream> raw) {
        Pipeline chain = assemblePipeline(cfg.pipeline(), m, a);
        SessionRegistry reg = new SessionRegistry(cfg.server(), clock);
        for (UpstreamSpec spec : cfg.upstreams().values()) {
            Upstream u = spec instanceof UpstreamConfig stdio
                    ? new StdioUpstream(stdio, threads, tm, clock, reg::reclaimIdle)
                    : new HttpUpstream((HttpUpstreamConfig) spec, threads.named("http-" + spec.name()), tm, clock);
            raw.put(spec.name(), u);
        }
        // Every upstream is reached through the chain: directly, and as a member of each aggregate (a leg of its own).
        Map<String, Upstream> ups = new LinkedHashMap<>();
        raw.forEach((name, u) -> ups.put(name, chain.wrap(u, null)));
        for (AggregateConfig ag : cfg.aggregates().values()) {
            Upstream agg = new AggregateUpstream(ag.name(), ag.members().stream().map(n -> chain.wrap(raw.get(n), ag.name())).toList(),
                    AggregateUpstream.PrefixMode.valueOf(ag.prefix().toUpperCase(java.util.Locale.ROOT)));
            raw.put(ag.name(), agg);
            ups.put(ag.name(), chain.wrap(agg, null));
        }
        if (m != null) {
            m.bind(reg, raw);
        }
        this.config = cfg;
        this.pipeline = chain;
        this.metrics = m;
        this.audit = a;
        this.owned = List.copyOf(raw.values());
        this.upstreams = java.util.Collections.unmodifiableMap(ups);
        this.sessions = reg;
        this.housekeeper = hk;
        this.timers = tm;
        long keepAlive = cfg.server().keepAlive().toMillis();
        hk.scheduleWithFixedDelay(guard("keep-alive", () -> {
            reg.keepAlive();
            bridges.values().forEach(dev.shadowcat.session.StatelessBridge::keepAlive);
        }), keepAlive, keepAlive, TimeUnit.MILLISECONDS);
        hk.scheduleWithFixedDelay(guard("session reaper", reg::reapIdle), 1, 1, TimeUnit.SECONDS);
        hk.scheduleWithFixedDelay(guard("pool maintenance", () -> ups.values().forEach(Upstream::maintain)),
                0, 1, TimeUnit.SECONDS);
        LOG.info(() -> "Shadowcat started with upstreams " + ups.keySet());
        if (java.util.concurrent.ForkJoinPool.getCommonPoolParallelism() < 2
                && cfg.upstreams().values().stream().anyMatch(u -> u instanceof HttpUpstreamConfig)) {
            LOG.warning("the common ForkJoinPool has parallelism " + java.util.concurrent.ForkJoinPool.getCommonPoolParallelism()
                    + ": the JDK HttpClient will start a thread per HTTP upstream response. Start the JVM with -D"
                    + dev.shadowcat.boot.JvmDefaults.COMMON_POOL_PARALLELISM + "=2 (jetty-config/run.sh does)");
        }
    }

    /**
     * The one place the chain is put together: the built-in stages the configuration turns on, then the
     * deployment's own CDI beans, ordered by priority (see {@link Stage}).
     */
    private Pipeline assemblePipeline(PipelineConfig pc, GatewayMetrics m, AuditLog a) {
        List<Stage> builtIn = BuiltInStages.of(pc, m == null ? null : m.registry(), a);
        List<Stage> deployed = new ArrayList<>();
        if (deployedStages != null) {
            for (Instance.Handle<Interceptor> h : deployedStages.handles()) {
                Class<?> type = h.getBean().getBeanClass();
                jakarta.annotation.Priority p = type.getAnnotation(jakarta.annotation.Priority.class);
                deployed.add(new Stage(type.getName(), p != null ? p.value() : Stage.DEFAULT, h.get()));
            }
        }
        Pipeline chain = Pipeline.assemble(builtIn, deployed);
        LOG.info(() -> "pipeline: " + (chain.isEmpty() ? "no stages"
                : chain.stages().stream().map(s -> s.name() + "@" + s.priority()).toList()));
        return chain;
    }

    /**
     * A periodic task that throws is never run again by the executor: log and carry on instead, whatever was thrown
     * (an OutOfMemoryError in one run must not end keep-alives and pool upkeep for good).
     */
    private static Runnable guard(String what, Runnable r) {
        return () -> {
            try {
                r.run();
            } catch (Throwable e) {
                LOG.log(Level.SEVERE, what + " failed", e);
            }
        };
    }

    private static GatewayConfig loadConfig(String contextConfigPath, Map<String, String> vars) {
        ConfigLoader loader = new ConfigLoader(vars, System::getenv);
        String path = System.getProperty(CONFIG_PROPERTY);
        if (path == null || path.isBlank()) {
            path = System.getenv(CONFIG_ENV);
        }
        if (path == null || path.isBlank()) {
            path = contextConfigPath;
        }
        if (path != null && !path.isBlank()) {
            Path p = Path.of(path);
            if (!Files.isRegularFile(p)) {
                throw new dev.shadowcat.config.ConfigException("config file " + p.toAbsolutePath() + " does not exist");
            }
            LOG.info("Loading configuration from " + p.toAbsolutePath());
            return loader.load(p);
        }
        try (InputStream in = Gateway.class.getResourceAsStream("/dev/shadowcat/config/default-config.json")) {
            LOG.info("No configuration given (-D" + CONFIG_PROPERTY + ", $" + CONFIG_ENV
                    + " or context parameter); using the built-in demo configuration");
            return loader.load(in, "built-in default-config.json");
        } catch (java.io.IOException e) {
            throw new dev.shadowcat.config.ConfigException("cannot read the built-in configuration", e);
        }
    }

    public GatewayConfig config() {
        return config;
    }

    public SessionStore sessions() {
        return sessions;
    }

    public Map<String, Upstream> upstreams() {
        return upstreams;
    }

    /** The upstream served at {@code /mcp} (the first configured) or at {@code /mcp/{name}}. */
    public Upstream upstream(String name) {
        if (name == null) {
            return upstreams.isEmpty() ? null : upstreams.values().iterator().next();
        }
        return upstreams.get(name);
    }

    /** The timers' scheduler, for components that need a one-shot timer. */
    public java.util.concurrent.ScheduledExecutorService scheduler() {
        return timers;
    }

    /** The bridge that serves 2026-07-28 (stateless) clients from this upstream. */
    public dev.shadowcat.session.StatelessBridge bridge(Upstream u) {
        return bridges.computeIfAbsent(u.name(), n -> new dev.shadowcat.session.StatelessBridge(u, timers, stateSigner,
                config.server().inputWait().toMillis()));
    }

    /** The meter registry behind {@code /metrics}, or null when metrics are off. */
    public GatewayMetrics metrics() {
        return metrics;
    }

    public Pipeline pipeline() {
        return pipeline;
    }

    public GatewayThreads threads() {
        return threads;
    }

    public boolean isStopping() {
        return stopped || (sessions != null && sessions.isShuttingDown());
    }

    @PreDestroy
    public synchronized void stop() {
        SessionStore reg = sessions;
        ScheduledThreadPoolExecutor hk = housekeeper;
        if (reg == null || stopped) {
            return;
        }
        long t0 = System.nanoTime();
        reg.beginShutdown();
        long deadline = t0 + config.server().shutdownTimeout().toNanos();
        while (reg.inFlight() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (reg.inFlight() > 0) {
            LOG.warning("shutdown: " + reg.inFlight() + " requests still in flight after "
                    + config.server().shutdownTimeout().toMillis() + " ms; ending them");
        }
        reg.closeAll("the gateway is shutting down");
        bridges.values().forEach(dev.shadowcat.session.StatelessBridge::close);
        List<CompletableFuture<Void>> exits = new ArrayList<>();
        for (Upstream u : owned) {
            exits.add(u.shutdown());
        }
        long grace = 0;
        for (UpstreamSpec u : config.upstreams().values()) {
            if (u instanceof UpstreamConfig stdio) {
                grace = Math.max(grace, stdio.terminationGrace().toMillis());
            }
        }
        try {
            // close stdin, SIGTERM, SIGKILL: three graces at most, plus slack
            CompletableFuture.allOf(exits.toArray(CompletableFuture[]::new)).get(3 * grace + 2000, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.log(Level.WARNING, "shutdown: some upstream processes did not exit in time", e);
        }
        for (Upstream u : owned) {
            if (u instanceof HttpUpstream http) {
                http.awaitStopped(1000);
            }
        }
        for (ScheduledThreadPoolExecutor s : List.of(hk, timers)) {
            s.shutdownNow();
            try {
                if (!s.awaitTermination(2, TimeUnit.SECONDS)) {
                    LOG.warning("shutdown: a scheduler did not stop within 2 s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (audit != null) {
            audit.close(); // after the sessions: their last calls' lines are written
        }
        if (metrics != null) {
            metrics.close();
        }
        awaitThreads(2000);
        stopped = true;
        LOG.info(() -> "Shadowcat stopped in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
    }

    /** The pipe threads end when their process's pipes close; wait for them, bounded. */
    private void awaitThreads(long ms) {
        long end = System.currentTimeMillis() + ms;
        for (Thread t : threads.live()) {
            long left = end - System.currentTimeMillis();
            if (left <= 0) {
                break;
            }
            try {
                t.join(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        if (threads.liveCount() > 0) {
            LOG.warning("shutdown: threads still alive: " + threads.live());
        }
    }
}
