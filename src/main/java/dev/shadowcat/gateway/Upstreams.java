package dev.shadowcat.gateway;

import dev.shadowcat.config.AggregateConfig;
import dev.shadowcat.config.GatewayConfig;
import dev.shadowcat.config.HttpUpstreamConfig;
import dev.shadowcat.config.UpstreamConfig;
import dev.shadowcat.config.UpstreamSpec;
import dev.shadowcat.pipeline.PipelineRef;
import dev.shadowcat.route.AggregateUpstream;
import dev.shadowcat.upstream.Upstream;
import dev.shadowcat.upstream.http.HttpUpstream;
import dev.shadowcat.upstream.stdio.StdioUpstream;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The configured upstreams and their process pools and HTTP clients: each reached through the pipeline, directly and
 * as a member of each aggregate. Thread-safe. {@link #stop} (also the idempotent {@code @PreDestroy}) ends every
 * child process tree and stops the HTTP clients' threads, each wait bounded.
 */
@ApplicationScoped
public class Upstreams {
    private static final Logger LOG = Logger.getLogger(Upstreams.class.getName());

    private volatile Map<String, Upstream> served = Map.of();
    /** The upstreams themselves, unwrapped, in start order: what {@link #stop} ends. */
    private volatile List<Upstream> owned = List.of();
    private volatile long terminationGraceMillis;

    /** The spec each owned upstream was built from, by name: what a reload compares the new configuration with. */
    private volatile Map<String, UpstreamSpec> specs = Map.of();
    private volatile Map<String, AggregateConfig> aggregateSpecs = Map.of();
    private volatile Map<String, Upstream> rawByName = Map.of();
    /** Upstreams a reload replaced or removed, until {@link #retire} has shut them down; {@link #stop} ends them too. */
    private final java.util.Set<Upstream> retiring = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** What a reload did to the endpoints, by name; {@code retired} are the replaced or removed upstreams themselves. */
    public record Changes(List<String> added, List<String> changed, List<String> removed, List<String> unchanged,
                          List<Upstream> retired) {
        public boolean any() {
            return !added.isEmpty() || !changed.isEmpty() || !removed.isEmpty();
        }
    }

    /**
     * Creates every upstream behind {@code chain}. On failure, what was created is stopped before the exception goes
     * on: a failed start leaves no child and no thread.
     */
    public synchronized void start(GatewayConfig cfg, PipelineRef chain, Schedulers schedulers, Predicate<String> reclaimer,
                                   LongSupplier clock, dev.shadowcat.auth.IdentityProvider idp) {
        if (!owned.isEmpty()) {
            return;
        }
        apply(cfg, chain, schedulers, reclaimer, clock, idp);
    }

    /**
     * Moves to {@code cfg}: upstreams whose definition is unchanged stay as they are (same object, same sessions, same
     * children); new and changed ones are created; aggregates are rebuilt when they or a member changed. The replaced
     * and removed upstreams are returned in {@link Changes#retired}, still running: the caller ends their sessions and
     * then shuts them down. If creating one fails, the ones just created are stopped and nothing changes.
     */
    public synchronized Changes apply(GatewayConfig cfg, PipelineRef chain, Schedulers schedulers, Predicate<String> reclaimer,
                                      LongSupplier clock, dev.shadowcat.auth.IdentityProvider idp) {
        Map<String, Upstream> oldRaw = rawByName;
        Map<String, Upstream> oldServed = served;
        Map<String, UpstreamSpec> oldSpecs = specs;
        Map<String, AggregateConfig> oldAggs = aggregateSpecs;
        List<String> added = new ArrayList<>();
        List<String> changed = new ArrayList<>();
        List<String> unchanged = new ArrayList<>();
        Map<String, Upstream> raw = new LinkedHashMap<>();
        Map<String, Upstream> ups = new LinkedHashMap<>();
        List<Upstream> created = new ArrayList<>();
        try {
            long grace = 0;
            for (UpstreamSpec spec : cfg.upstreams().values()) {
                if (spec instanceof UpstreamConfig stdio) {
                    grace = Math.max(grace, stdio.terminationGrace().toMillis());
                }
                Upstream kept = spec.equals(oldSpecs.get(spec.name())) ? oldRaw.get(spec.name()) : null;
                if (kept != null) {
                    raw.put(spec.name(), kept);
                    ups.put(spec.name(), oldServed.get(spec.name()));
                    unchanged.add(spec.name());
                    continue;
                }
                Upstream u;
                if (spec instanceof UpstreamConfig stdio) {
                    u = new StdioUpstream(stdio, schedulers.threads(), schedulers.timers(), clock, reclaimer);
                } else {
                    HttpUpstreamConfig h = (HttpUpstreamConfig) spec;
                    dev.shadowcat.upstream.UpstreamCredentials creds = h.credentials() == null || idp == null
                            ? dev.shadowcat.upstream.UpstreamCredentials.NONE
                            : new dev.shadowcat.auth.UpstreamTokens(h.name(), h.credentials(), idp, System::currentTimeMillis);
                    u = new HttpUpstream(h, schedulers.threads().named("http-" + spec.name()), schedulers.timers(), clock, creds);
                }
                created.add(u);
                raw.put(spec.name(), u);
                ups.put(spec.name(), chain.wrap(u, null));
                (oldSpecs.containsKey(spec.name()) ? changed : added).add(spec.name());
            }
            for (AggregateConfig ag : cfg.aggregates().values()) {
                boolean same = ag.equals(oldAggs.get(ag.name())) && oldRaw.containsKey(ag.name())
                        && ag.members().stream().allMatch(unchanged::contains);
                if (same) {
                    raw.put(ag.name(), oldRaw.get(ag.name()));
                    ups.put(ag.name(), oldServed.get(ag.name()));
                    unchanged.add(ag.name());
                    continue;
                }
                Upstream agg = new AggregateUpstream(ag.name(),
                        ag.members().stream().map(n -> chain.wrap(raw.get(n), ag.name())).toList(),
                        AggregateUpstream.PrefixMode.valueOf(ag.prefix().toUpperCase(Locale.ROOT)));
                raw.put(ag.name(), agg);
                ups.put(ag.name(), chain.wrap(agg, null));
                (oldRaw.containsKey(ag.name()) ? changed : added).add(ag.name());
            }
            this.terminationGraceMillis = grace;
        } catch (RuntimeException | Error e) {
            created.forEach(Upstream::shutdown);
            throw e;
        }
        List<String> removed = new ArrayList<>();
        List<Upstream> retired = new ArrayList<>();
        for (var e : oldRaw.entrySet()) {
            if (!raw.containsKey(e.getKey())) {
                removed.add(e.getKey());
                retired.add(e.getValue());
            } else if (raw.get(e.getKey()) != e.getValue()) {
                retired.add(e.getValue());
            }
        }
        Map<String, UpstreamSpec> nextSpecs = new LinkedHashMap<>(cfg.upstreams());
        this.specs = Collections.unmodifiableMap(nextSpecs);
        this.aggregateSpecs = Map.copyOf(cfg.aggregates());
        this.rawByName = Collections.unmodifiableMap(raw);
        this.owned = List.copyOf(raw.values());
        this.served = Collections.unmodifiableMap(ups);
        retiring.addAll(retired);
        return new Changes(List.copyOf(added), List.copyOf(changed), List.copyOf(removed), List.copyOf(unchanged),
                List.copyOf(retired));
    }

    /** Shuts down upstreams a reload replaced or removed (their sessions are gone by now), each wait bounded. */
    public void retire(List<Upstream> gone) {
        shutdownAll(gone, "reload");
        gone.forEach(retiring::remove);
    }

    /** Ends every process tree and HTTP client of {@code ups}: close stdin, SIGTERM, SIGKILL, three graces at most. */
    private void shutdownAll(List<Upstream> ups, String why) {
        List<CompletableFuture<Void>> exits = new ArrayList<>();
        for (Upstream u : ups) {
            exits.add(u.shutdown());
        }
        try {
            CompletableFuture.allOf(exits.toArray(CompletableFuture[]::new))
                    .get(3 * terminationGraceMillis + 2000, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.log(Level.WARNING, why + ": some upstream processes did not exit in time", e);
        }
        for (Upstream u : ups) {
            if (u instanceof HttpUpstream http) {
                http.awaitStopped(1000);
            }
        }
    }

    /** Every endpoint by name, in configuration order (upstreams, then aggregates), each behind the chain. */
    public Map<String, Upstream> all() {
        return served;
    }

    /** The upstreams themselves (no chain), for the meters that read their numbers. */
    public Map<String, Upstream> unwrapped() {
        Map<String, Upstream> m = new LinkedHashMap<>();
        for (Upstream u : owned) {
            m.put(u.name(), u);
        }
        return m;
    }

    /** Periodic upkeep of every pool (on the housekeeper). */
    public void maintain() {
        served.values().forEach(Upstream::maintain);
    }

    /** Refuses new sessions, ends every child process tree and the HTTP clients' threads; each wait bounded. Idempotent. */
    @PreDestroy
    public synchronized void stop() {
        // a reload's retirement may still be waiting for its sessions: their upstreams end here with the rest
        List<Upstream> ups = new ArrayList<>(owned);
        ups.addAll(retiring);
        retiring.clear();
        if (ups.isEmpty()) {
            return;
        }
        shutdownAll(ups, "shutdown");
        owned = List.of();
        served = Map.of();
        rawByName = Map.of();
        specs = Map.of();
        aggregateSpecs = Map.of();
    }
}
