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
    /** The same store, as the upstreams' pools see it (they reclaim idle sessions through it). */
    private volatile SessionRegistry registry;
    private volatile GatewayMetrics metrics;
    private volatile AuditLog audit;
    /** {@code auth.policy}, compiled once: the authorization stage and the door check of the auth filter share it. */
    private volatile dev.shadowcat.policy.AccessPolicy accessPolicy;
    private volatile boolean stopped;
    /** The first drain; later callers wait for it (the JVM-exit hook and the container's destroy may race). */
    private final java.util.concurrent.atomic.AtomicReference<java.util.concurrent.CompletableFuture<Void>> drain =
            new java.util.concurrent.atomic.AtomicReference<>();
    private volatile ExitDrain exitDrain;
    /** The admin page's live view of traffic and recent errors: one for the gateway's life, across reloads. */
    private final dev.shadowcat.traffic.TrafficTap traffic = new dev.shadowcat.traffic.TrafficTap(
            new dev.shadowcat.traffic.RecentErrors(100));
    /** The chain every upstream is wrapped against; a reload replaces what it holds. */
    private final dev.shadowcat.pipeline.PipelineRef chain = new dev.shadowcat.pipeline.PipelineRef(Pipeline.empty());
    /** Where the configuration came from, to read it again at a reload; null for the built-in one. */
    private volatile Path configFile;
    private volatile String contextConfigPath;
    private volatile Map<String, String> vars = Map.of();
    /** The configuration file's size and modification time when it was last read: a change triggers a reload. */
    private volatile String configStamp;
    private volatile java.time.Instant startedAt;
    private volatile ReloadResult lastReload;
    private volatile String deployment = "/";
    private volatile String version = "unknown";
    private volatile dev.shadowcat.manage.Management management;
    /** JSON log lines ({@code server.logFormat: json}) while running; null for the container's own format. */
    private volatile dev.shadowcat.logging.GatewayLogging logging;
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
        this.contextConfigPath = contextConfigPath;
        this.vars = Map.copyOf(vars);
        this.configFile = configPath(contextConfigPath);
        this.configStamp = stamp(configFile);
        GatewayConfig cfg = loadConfig(configFile, vars);
        this.logging = dev.shadowcat.logging.GatewayLogging.install(cfg.server().logFormat());
        GatewayMetrics m = null;
        AuditLog a = null;
        try {
            m = cfg.pipeline().metrics() ? new GatewayMetrics() : null;
            schedulers.start();
            a = BuiltInStages.openAudit(cfg.pipeline(), schedulers.threads());
            dev.shadowcat.policy.AccessPolicy policy = cfg.auth().enabled()
                    ? new dev.shadowcat.policy.AccessPolicy(cfg.auth().policy()) : null;
            chain.set(assemblePipeline(cfg.pipeline(), policy, m, a));
            SessionRegistry reg = new SessionRegistry(cfg.server(), clock);
            idp = cfg.auth().client() != null
                    ? new dev.shadowcat.auth.IdentityProvider(cfg.auth(), schedulers.threads().named("idp"), System::currentTimeMillis)
                    : null;
            upstreams.start(cfg, chain, schedulers, reg::reclaimIdle, clock, idp);
            if (m != null) {
                m.bind(reg, upstreams.unwrapped());
                io.micrometer.core.instrument.Gauge.builder("shadowcat.traffic.watchers", traffic,
                                dev.shadowcat.traffic.TrafficTap::watching)
                        .description("Admin pages watching live traffic (0: the tap costs nothing)").register(m.registry());
            }
            this.config = cfg;
            this.metrics = m;
            this.audit = a;
            this.accessPolicy = policy;
            this.sessions = reg;
            this.registry = reg;
            scheduleUpkeep(cfg, reg);
            this.exitDrain = ExitDrain.register(this::drain);
            this.startedAt = java.time.Instant.now();
            dev.shadowcat.manage.Management jmx = new dev.shadowcat.manage.Management(this, deployment, version);
            jmx.register();
            this.management = jmx;
        } catch (RuntimeException | Error e) {
            LOG.log(Level.SEVERE, "start failed; stopping what had started", e);
            if (logging != null) {
                logging.close();
                logging = null;
            }
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
        hk.scheduleWithFixedDelay(guard("session reaper", () -> {
            reg.reapIdle();
            retireIdleBridges();
        }), 1, 1, TimeUnit.SECONDS);
        hk.scheduleWithFixedDelay(guard("pool maintenance", upstreams::maintain), 0, 1, TimeUnit.SECONDS);
        hk.scheduleWithFixedDelay(guard("config watch", this::watchConfig), 2, 2, TimeUnit.SECONDS);
    }

    /**
     * The one place the chain is put together: the built-in stages the configuration turns on, then the
     * deployment's own CDI beans, ordered by priority (see {@link Stage}).
     */
    private Pipeline assemblePipeline(PipelineConfig pc, dev.shadowcat.policy.AccessPolicy policy, GatewayMetrics m, AuditLog a) {
        List<Stage> builtIn = new ArrayList<>(BuiltInStages.of(pc, policy, m == null ? null : m.registry(), a));
        builtIn.add(new Stage("traffic", Stage.TRAFFIC, traffic));
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

    /** The configuration file: {@code -Dshadowcat.config}, {@code $SHADOWCAT_CONFIG} or the context parameter; null: built in. */
    private static Path configPath(String contextConfigPath) {
        String path = System.getProperty(CONFIG_PROPERTY);
        if (path == null || path.isBlank()) {
            path = System.getenv(CONFIG_ENV);
        }
        if (path == null || path.isBlank()) {
            path = contextConfigPath;
        }
        return path == null || path.isBlank() ? null : Path.of(path).toAbsolutePath();
    }

    private static String stamp(Path file) {
        if (file == null) {
            return null;
        }
        try {
            return Files.size(file) + "@" + Files.getLastModifiedTime(file).toMillis();
        } catch (java.io.IOException e) {
            return "unreadable";
        }
    }

    private static GatewayConfig loadConfig(Path file, Map<String, String> vars) {
        ConfigLoader loader = new ConfigLoader(vars, System::getenv);
        if (file != null) {
            if (!Files.isRegularFile(file)) {
                throw new dev.shadowcat.config.ConfigException("config file " + file + " does not exist");
            }
            LOG.info("Loading configuration from " + file);
            return loader.load(file);
        }
        try (InputStream in = Gateway.class.getResourceAsStream("/dev/shadowcat/config/default-config.json")) {
            LOG.info("No configuration given (-D" + CONFIG_PROPERTY + ", $" + CONFIG_ENV
                    + " or context parameter); using the built-in demo configuration");
            return loader.load(in, "built-in default-config.json");
        } catch (java.io.IOException e) {
            throw new dev.shadowcat.config.ConfigException("cannot read the built-in configuration", e);
        }
    }

    /**
     * What a reload did. {@code applied} false: the new configuration was refused ({@code error} says why) and
     * nothing changed. Otherwise the endpoints added, changed (new sessions get the new definition; old ones end
     * once their calls in flight are answered, and their clients initialize again) and removed, and the keys whose
     * change waits for a restart.
     */
    public record ReloadResult(boolean applied, String error, List<String> added, List<String> changed,
                               List<String> removed, List<String> needsRestart, String source, String at) {
        /** As JSON, without JSON-B: JMX clients call in on threads that do not see the application's providers. */
        public String toJson() {
            StringBuilder b = new StringBuilder("{\"applied\":").append(applied);
            if (error != null) {
                dev.shadowcat.protocol.JsonScan.quote(b.append(",\"error\":"), error);
            }
            b.append(",\"added\":").append(names(added)).append(",\"changed\":").append(names(changed))
                    .append(",\"removed\":").append(names(removed)).append(",\"needsRestart\":").append(names(needsRestart));
            dev.shadowcat.protocol.JsonScan.quote(b.append(",\"source\":"), source);
            dev.shadowcat.protocol.JsonScan.quote(b.append(",\"at\":"), at);
            return b.append('}').toString();
        }

        static ReloadResult refused(String error, String source) {
            return new ReloadResult(false, error, List.of(), List.of(), List.of(), List.of(), source,
                    java.time.Instant.now().toString());
        }
    }

    /**
     * Reads the configuration again and applies what can change while running ({@link dev.shadowcat.config.LiveConfig}).
     * Validated in full first: on any error nothing changes. Serialized with start and stop.
     */
    public synchronized ReloadResult reload(String trigger) {
        String source = configFile == null ? "built-in default-config.json" : configFile.toString();
        SessionStore reg = sessions;
        if (reg == null || stopped || reg.isShuttingDown()) {
            return ReloadResult.refused("the gateway is not running", source);
        }
        String stampNow = stamp(configFile);
        GatewayConfig next;
        try {
            next = loadConfig(configFile, vars);
        } catch (RuntimeException e) {
            ReloadResult r = ReloadResult.refused(e.getMessage(), source);
            lastReload = r;
            configStamp = stampNow; // not again until the file changes again
            LOG.warning("config reload (" + trigger + ") refused, nothing changed: " + e.getMessage());
            return r;
        }
        GatewayConfig running = config;
        dev.shadowcat.config.LiveConfig.Split split = dev.shadowcat.config.LiveConfig.split(running, next);
        GatewayConfig effective = split.effective();
        for (var u : effective.upstreams().values()) {
            if (u instanceof HttpUpstreamConfig h && h.credentials() != null && idp == null) {
                ReloadResult r = ReloadResult.refused("upstreams." + h.name() + ".credentials: needs auth.client, which "
                        + "the running gateway does not have (adding it takes a restart)", source);
                lastReload = r;
                configStamp = stampNow;
                return r;
            }
        }
        dev.shadowcat.policy.AccessPolicy policy = effective.auth().enabled()
                ? new dev.shadowcat.policy.AccessPolicy(effective.auth().policy()) : null;
        Pipeline nextChain;
        Upstreams.Changes changes;
        try {
            nextChain = assemblePipeline(effective.pipeline(), policy, metrics, audit);
            // new chain first, so that the upstreams created now and the ones kept all take it at once
            Pipeline previous = chain.get();
            chain.set(nextChain);
            try {
                changes = upstreams.apply(effective, chain, schedulers, registry::reclaimIdle, clock, idp);
            } catch (RuntimeException e) {
                chain.set(previous);
                throw e;
            }
        } catch (RuntimeException e) {
            ReloadResult r = ReloadResult.refused("could not apply: " + e.getMessage(), source);
            lastReload = r;
            configStamp = stampNow;
            LOG.log(Level.WARNING, "config reload (" + trigger + ") failed, nothing changed", e);
            return r;
        }
        this.config = effective;
        this.accessPolicy = policy;
        this.configStamp = stampNow;
        java.util.Set<String> gone = new java.util.HashSet<>(changes.changed());
        gone.addAll(changes.removed());
        if (!gone.isEmpty()) {
            bridges.entrySet().removeIf(e -> {
                String name = e.getKey().split("\u0000", 2)[0];
                if (gone.contains(name)) {
                    e.getValue().close();
                    return true;
                }
                return false;
            });
        }
        if (metrics != null) {
            metrics.rebind(gone, upstreams.unwrapped(), changes.added(), changes.changed());
        }
        if (!changes.retired().isEmpty()) {
            retireLater(gone, changes.retired(), effective.server().shutdownTimeout());
        }
        dev.shadowcat.manage.Management jmx = management;
        if (jmx != null && changes.any()) {
            jmx.refreshUpstreams();
        }
        ReloadResult r = new ReloadResult(true, null, changes.added(), changes.changed(), changes.removed(),
                split.needsRestart(), source, java.time.Instant.now().toString());
        lastReload = r;
        LOG.info("config reloaded (" + trigger + "): added " + r.added() + ", changed " + r.changed() + ", removed "
                + r.removed() + (r.needsRestart().isEmpty() ? "" : "; needs a restart to take effect: " + r.needsRestart()));
        if (audit != null) {
            audit.offer("{\"time\":\"" + r.at() + "\",\"event\":\"config-reloaded\",\"trigger\":"
                    + dev.shadowcat.protocol.JsonScan.quote(trigger) + ",\"added\":" + names(r.added()) + ",\"changed\":"
                    + names(r.changed()) + ",\"removed\":" + names(r.removed()) + "}");
        }
        return r;
    }

    private static String names(List<String> l) {
        StringBuilder b = new StringBuilder("[");
        for (String n : l) {
            if (b.length() > 1) {
                b.append(',');
            }
            dev.shadowcat.protocol.JsonScan.quote(b, n);
        }
        return b.append(']').toString();
    }

    /** Ends the sessions of replaced and removed endpoints gracefully, then shuts the old upstreams down. */
    private void retireLater(java.util.Set<String> endpoints, List<Upstream> old, java.time.Duration grace) {
        endSessions(s -> endpoints.contains(s.upstream().name()) && upstreams.all().get(s.upstream().name()) != s.upstream(),
                grace, "was changed or removed by a configuration reload", () -> {
                    upstreams.retire(old);
                    LOG.info(() -> "config reload: retired " + old.stream().map(Upstream::name).toList());
                });
    }

    /**
     * An operator's drain of one endpoint: its sessions end once their calls in flight are answered (at most
     * {@code server.shutdownTimeoutSeconds} later), and their clients initialize again. New sessions are not refused.
     * Returns how many sessions it will end.
     */
    public int drainEndpoint(String name) {
        Upstream u = upstreams.all().get(name);
        if (u == null) {
            throw new IllegalArgumentException("no upstream or aggregate named '" + name + "'");
        }
        int n = (int) sessions.sessions().stream().filter(s -> s.upstream() == u).count();
        endSessions(s -> s.upstream() == u, config.server().shutdownTimeout(), "was drained by an operator", () -> { });
        return n;
    }

    /**
     * Ends the sessions {@code which} selects once each has no call in flight (at most {@code grace} later: then with
     * their calls, which get the session-ended answer), then runs {@code after}. On a thread of its own, tracked like
     * every gateway thread.
     */
    private void endSessions(java.util.function.Predicate<dev.shadowcat.session.Session> which, java.time.Duration grace,
                             String why, Runnable after) {
        SessionStore reg = sessions;
        schedulers.threads().start("end-sessions", () -> {
            long deadline = System.nanoTime() + grace.toNanos();
            while (true) {
                boolean busy = false;
                for (dev.shadowcat.session.Session s : reg.sessions()) {
                    if (!which.test(s)) {
                        continue;
                    }
                    if (s.inFlightCount() == 0 || System.nanoTime() > deadline) {
                        reg.close(s, "upstream '" + s.upstream().name() + "' " + why);
                    } else {
                        busy = true;
                    }
                }
                if (!busy || stopped) {
                    break;
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            after.run();
        });
    }

    /** Names this deployment before {@link #start}: its context path (in JMX names) and the WAR's version. */
    public void identify(String contextPath, String warVersion) {
        this.deployment = contextPath == null || contextPath.isEmpty() ? "/" : contextPath;
        this.version = warVersion == null ? "unknown" : warVersion;
    }

    public String version() {
        return version;
    }

    public dev.shadowcat.traffic.TrafficTap traffic() {
        return traffic;
    }

    /** The last reload's outcome, or null if there was none. */
    public ReloadResult lastReload() {
        return lastReload;
    }

    /** When the gateway started, or null before. */
    public java.time.Instant startedAt() {
        return startedAt;
    }

    /** Where the configuration comes from: its file, or the built-in demo configuration. */
    public String configSource() {
        Path f = configFile;
        return f == null ? "built-in default-config.json" : f.toString();
    }

    /** On the housekeeper: reloads when the configuration file's size or modification time changed. */
    private void watchConfig() {
        Path f = configFile;
        if (f == null || stopped) {
            return;
        }
        String now = stamp(f);
        if (!java.util.Objects.equals(now, configStamp)) {
            reload("the file changed");
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

    /**
     * Per-caller bridges idle for {@code server.sessionIdleTimeoutSeconds} close their upstream session and go, as
     * idle sessions do: otherwise every caller ever seen would keep one. The shared bridges stay.
     */
    private void retireIdleBridges() {
        long idle = config.server().sessionIdleTimeout().toNanos();
        long now = System.nanoTime();
        bridges.values().removeIf(b -> !dev.shadowcat.pipeline.CallContext.ANONYMOUS.equals(b.principal())
                && b.retireIfIdle(now, idle));
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
            traffic.closeAll();
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
        dev.shadowcat.manage.Management jmx = management;
        if (jmx != null) {
            jmx.unregisterAll(); // first: no admin tool calls into a gateway that is stopping
            management = null;
        }
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
        dev.shadowcat.logging.GatewayLogging l = logging;
        if (l != null) {
            l.close(); // last: the container's LogManager keeps no handler of ours after an undeploy
            logging = null;
        }
    }

}
