package dev.shadowcat.gateway;

import dev.shadowcat.audit.AuditLog;
import dev.shadowcat.config.ConfigLoader;
import dev.shadowcat.config.GatewayConfig;
import dev.shadowcat.config.HttpUpstreamConfig;
import dev.shadowcat.config.PipelineConfig;
import dev.shadowcat.metrics.GatewayMetrics;
import dev.shadowcat.pipeline.Interceptor;
import dev.shadowcat.pipeline.Pipeline;
import dev.shadowcat.pipeline.Stage;
import dev.shadowcat.session.SessionRegistry;
import dev.shadowcat.session.SessionStore;
import dev.shadowcat.upstream.Upstream;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs the gateway: loads the configuration, assembles the pipeline, owns the session store, the meters and the
 * audit log, and starts and stops, in order, the beans that own the rest: {@link Schedulers} (threads, the
 * housekeeper and the timers) and {@link Upstreams} (the pools and HTTP clients).
 *
 * <p>Thread-safe. Started once by {@link GatewayLifecycle} when the web application starts and stopped by it
 * ({@link #stop()}) while every bean is still alive; each bean's own {@code @PreDestroy} is an idempotent backstop.
 * Each wait is bounded.
 */
@ApplicationScoped
public class Gateway {
    private static final Logger LOG = Logger.getLogger(Gateway.class.getName());
    public static final String CONFIG_PROPERTY = "shadowcat.config";
    public static final String CONFIG_ENV = "SHADOWCAT_CONFIG";

    private final LongSupplier clock = System::nanoTime;
    private volatile GatewayConfig config;
    private volatile SessionStore sessions;
    private volatile GatewayMetrics metrics;
    private volatile AuditLog audit;
    /** {@code auth.policy}, compiled once: the authorization stage and the door check of the auth filter share it. */
    private volatile dev.shadowcat.policy.AccessPolicy accessPolicy;
    private volatile boolean stopped;
    /** The first drain; later callers wait for it (the JVM-exit hook and the container's destroy may race). */
    private final java.util.concurrent.atomic.AtomicReference<java.util.concurrent.CompletableFuture<Void>> drain =
            new java.util.concurrent.atomic.AtomicReference<>();
    private volatile ExitDrain exitDrain;
    /** The gateway's client at the authorization server; null unless {@code auth.client} is configured. */
    private volatile dev.shadowcat.auth.IdentityProvider idp;

    /** The threads and schedulers (a bean of its own, with its own {@code @PreDestroy}). */
    @Inject
    Schedulers schedulers;

    /** The upstreams and their pools (a bean of its own, with its own {@code @PreDestroy}). */
    @Inject
    Upstreams upstreams;

    /** Stages a deployment adds as CDI beans ({@code @Priority} orders them). */
    @Inject
    @Any
    Instance<Interceptor> deployedStages;
    /** Signs the requestState of 2026-07-28 input-required results; one key per gateway start. */
    private final dev.shadowcat.session.RequestStateSigner stateSigner = new dev.shadowcat.session.RequestStateSigner();
    private final java.util.concurrent.ConcurrentHashMap<String, dev.shadowcat.session.StatelessBridge> bridges =
            new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Loads the configuration and starts, in order: metrics and the audit log, the schedulers, the chain, the session
     * store, the upstreams, the periodic upkeep. Called once. If a part fails, what had started is stopped in reverse
     * before the exception goes on: a failed start leaves no thread and no child.
     */
    public synchronized void start(String contextConfigPath, Map<String, String> vars) {
        if (config != null) {
            return;
        }
        GatewayConfig cfg = loadConfig(contextConfigPath, vars);
        GatewayMetrics m = null;
        AuditLog a = null;
        try {
            m = cfg.pipeline().metrics() ? new GatewayMetrics() : null;
            schedulers.start();
            a = BuiltInStages.openAudit(cfg.pipeline(), schedulers.threads());
            dev.shadowcat.policy.AccessPolicy policy = cfg.auth().enabled()
                    ? new dev.shadowcat.policy.AccessPolicy(cfg.auth().policy()) : null;
            Pipeline chain = assemblePipeline(cfg.pipeline(), policy, m, a);
            SessionRegistry reg = new SessionRegistry(cfg.server(), clock);
            idp = cfg.auth().client() != null
                    ? new dev.shadowcat.auth.IdentityProvider(cfg.auth(), schedulers.threads().named("idp"), System::currentTimeMillis)
                    : null;
            upstreams.start(cfg, chain, schedulers, reg::reclaimIdle, clock, idp);
            if (m != null) {
                m.bind(reg, upstreams.unwrapped());
            }
            this.config = cfg;
            this.metrics = m;
            this.audit = a;
            this.accessPolicy = policy;
            this.sessions = reg;
            scheduleUpkeep(cfg, reg);
            this.exitDrain = ExitDrain.register(this::drain);
        } catch (RuntimeException | Error e) {
            LOG.log(Level.SEVERE, "start failed; stopping what had started", e);
            upstreams.stop();
            if (idp != null) {
                idp.stop(0);
                idp = null;
            }
            schedulers.stop();
            if (a != null) {
                a.close();
            }
            if (m != null) {
                m.close();
            }
            throw e;
        }
        LOG.info(() -> "Shadowcat started with upstreams " + upstreams.all().keySet());
        if (java.util.concurrent.ForkJoinPool.getCommonPoolParallelism() < 2
                && cfg.upstreams().values().stream().anyMatch(u -> u instanceof HttpUpstreamConfig)) {
            LOG.warning("the common ForkJoinPool has parallelism " + java.util.concurrent.ForkJoinPool.getCommonPoolParallelism()
                    + ": the JDK HttpClient will start a thread per HTTP upstream response. Start the JVM with -D"
                    + dev.shadowcat.boot.JvmDefaults.COMMON_POOL_PARALLELISM + "=2 (jetty-config/run.sh does)");
        }
    }

    private void scheduleUpkeep(GatewayConfig cfg, SessionStore reg) {
        ScheduledThreadPoolExecutor hk = schedulers.housekeeper();
        long keepAlive = cfg.server().keepAlive().toMillis();
        hk.scheduleWithFixedDelay(guard("keep-alive", () -> {
            reg.keepAlive();
            bridges.values().forEach(dev.shadowcat.session.StatelessBridge::keepAlive);
        }), keepAlive, keepAlive, TimeUnit.MILLISECONDS);
        hk.scheduleWithFixedDelay(guard("session reaper", reg::reapIdle), 1, 1, TimeUnit.SECONDS);
        hk.scheduleWithFixedDelay(guard("pool maintenance", upstreams::maintain), 0, 1, TimeUnit.SECONDS);
    }

    /**
     * The one place the chain is put together: the built-in stages the configuration turns on, then the
     * deployment's own CDI beans, ordered by priority (see {@link Stage}).
     */
    private Pipeline assemblePipeline(PipelineConfig pc, dev.shadowcat.policy.AccessPolicy policy, GatewayMetrics m, AuditLog a) {
        List<Stage> builtIn = BuiltInStages.of(pc, policy, m == null ? null : m.registry(), a);
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
        return upstreams.all();
    }

    /** The upstream served at {@code /mcp} (the first configured) or at {@code /mcp/{name}}. */
    public Upstream upstream(String name) {
        Map<String, Upstream> all = upstreams.all();
        if (name == null) {
            return all.isEmpty() ? null : all.values().iterator().next();
        }
        return all.get(name);
    }

    /** The timers' scheduler, for components that need a one-shot timer. */
    public java.util.concurrent.ScheduledExecutorService scheduler() {
        return schedulers.timers();
    }

    /**
     * The bridge that serves 2026-07-28 (stateless) clients of {@code principal} from this upstream: one shared by
     * all callers, or one per caller when a token of the caller's own is exchanged for the upstream (a shared upstream
     * session cannot carry several identities).
     */
    public dev.shadowcat.session.StatelessBridge bridge(Upstream u, String principal) {
        String owner = perCallerCredentials(u.name()) ? principal : dev.shadowcat.pipeline.CallContext.ANONYMOUS;
        String key = owner.equals(dev.shadowcat.pipeline.CallContext.ANONYMOUS) ? u.name() : u.name() + "\u0000" + owner;
        return bridges.computeIfAbsent(key, n -> new dev.shadowcat.session.StatelessBridge(u, schedulers.timers(), stateSigner,
                config.server().inputWait().toMillis(), owner));
    }

    /** Whether the endpoint (or a member of the aggregate) gets a token per caller by RFC 8693 exchange. */
    private boolean perCallerCredentials(String endpoint) {
        GatewayConfig c = config;
        java.util.List<String> names = c.aggregates().containsKey(endpoint) ? c.aggregates().get(endpoint).members()
                : java.util.List.of(endpoint);
        for (String n : names) {
            if (c.upstreams().get(n) instanceof HttpUpstreamConfig h && h.credentials() != null && h.credentials().perCaller()) {
                return true;
            }
        }
        return false;
    }

    /** The meter registry behind {@code /metrics}, or null when metrics are off. */
    /** The gateway's client at its authorization server (introspection, upstream tokens), or null when none is configured. */
    public dev.shadowcat.auth.IdentityProvider identityProvider() {
        return idp;
    }

    /** {@code auth.policy}, or null while authentication is off. */
    public dev.shadowcat.policy.AccessPolicy accessPolicy() {
        return accessPolicy;
    }

    /** The audit log, or null when {@code pipeline.audit} is off. */
    public AuditLog audit() {
        return audit;
    }

    public GatewayMetrics metrics() {
        return metrics;
    }



    public boolean isStopping() {
        return stopped || (sessions != null && sessions.isShuttingDown());
    }

    /**
     * Refuses new work (initialize, new requests: 503 with {@code Retry-After}), lets the calls in flight finish
     * until {@code server.shutdownTimeoutSeconds}, then answers every call still open with a JSON-RPC error
     * ({@code -32002}, "the gateway is shutting down") on its own stream and closes every session. Idempotent;
     * a second caller waits for the first (bounded). Runs on JVM exit before the container closes connections
     * ({@link ExitDrain}), and as the first step of {@link #stop()}.
     */
    public void drain() {
        SessionStore reg = sessions;
        if (reg == null) {
            return;
        }
        java.util.concurrent.CompletableFuture<Void> mine = new java.util.concurrent.CompletableFuture<>();
        java.util.concurrent.CompletableFuture<Void> first = drain.compareAndExchange(null, mine);
        if (first != null) {
            try {
                first.get(config.server().shutdownTimeout().toMillis() + 5000, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                LOG.warning("shutdown: the drain begun elsewhere did not finish: " + e);
            }
            return;
        }
        try {
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
            long left = reg.inFlight();
            if (left > 0) {
                LOG.warning("shutdown: " + left + " requests still in flight after "
                        + config.server().shutdownTimeout().toMillis() + " ms; answering them with an error");
            }
            reg.closeAll("the gateway is shutting down");
            bridges.values().forEach(dev.shadowcat.session.StatelessBridge::close);
            LOG.info("drained in " + (System.nanoTime() - t0) / 1_000_000 + " ms (" + left + " calls cut short)");
        } finally {
            mine.complete(null);
        }
    }

    /**
     * Drains and stops everything, in order, while every bean is still alive (called by {@link GatewayLifecycle} on
     * {@code @BeforeDestroyed}; also the idempotent {@code @PreDestroy}): {@link #drain()}, then stop the upstreams
     * (every child process tree, the HTTP clients), the schedulers, the audit log, the meters; join the pipe threads.
     */
    @PreDestroy
    public synchronized void stop() {
        SessionStore reg = sessions;
        if (reg == null || stopped) {
            return;
        }
        long t0 = System.nanoTime();
        ExitDrain hook = exitDrain;
        if (hook != null) {
            hook.unregister();
        }
        drain();
        upstreams.stop();
        if (idp != null) {
            idp.stop(1000); // after the upstreams: their last requests may still have asked for a token
        }
        schedulers.stop();
        if (audit != null) {
            audit.close(); // after the sessions: their last calls' lines are written
        }
        if (metrics != null) {
            metrics.close();
        }
        schedulers.awaitThreads(2000);
        stopped = true;
        LOG.info(() -> "Shadowcat stopped in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
    }

}
