package dev.shadowcat.gateway;

import dev.shadowcat.config.AggregateConfig;
import dev.shadowcat.config.GatewayConfig;
import dev.shadowcat.config.HttpUpstreamConfig;
import dev.shadowcat.config.UpstreamConfig;
import dev.shadowcat.config.UpstreamSpec;
import dev.shadowcat.pipeline.Pipeline;
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

    /**
     * Creates every upstream behind {@code chain}. On failure, what was created is stopped before the exception goes
     * on: a failed start leaves no child and no thread.
     */
    public synchronized void start(GatewayConfig cfg, Pipeline chain, Schedulers schedulers, Predicate<String> reclaimer,
                                   LongSupplier clock) {
        start(cfg, chain, schedulers, reclaimer, clock, null);
    }

    /** As above; {@code idp} obtains the tokens of upstreams with {@code credentials} (null when none has them). */
    public synchronized void start(GatewayConfig cfg, Pipeline chain, Schedulers schedulers, Predicate<String> reclaimer,
                                   LongSupplier clock, dev.shadowcat.auth.IdentityProvider idp) {
        if (!owned.isEmpty()) {
            return;
        }
        Map<String, Upstream> raw = new LinkedHashMap<>();
        try {
            long grace = 0;
            for (UpstreamSpec spec : cfg.upstreams().values()) {
                Upstream u;
                if (spec instanceof UpstreamConfig stdio) {
                    u = new StdioUpstream(stdio, schedulers.threads(), schedulers.timers(), clock, reclaimer);
                    grace = Math.max(grace, stdio.terminationGrace().toMillis());
                } else {
                    HttpUpstreamConfig h = (HttpUpstreamConfig) spec;
                    dev.shadowcat.upstream.UpstreamCredentials creds = h.credentials() == null || idp == null
                            ? dev.shadowcat.upstream.UpstreamCredentials.NONE
                            : new dev.shadowcat.auth.UpstreamTokens(h.name(), h.credentials(), idp, System::currentTimeMillis);
                    u = new HttpUpstream(h, schedulers.threads().named("http-" + spec.name()), schedulers.timers(), clock, creds);
                }
                raw.put(spec.name(), u);
            }
            Map<String, Upstream> ups = new LinkedHashMap<>();
            raw.forEach((name, u) -> ups.put(name, chain.wrap(u, null)));
            for (AggregateConfig ag : cfg.aggregates().values()) {
                Upstream agg = new AggregateUpstream(ag.name(),
                        ag.members().stream().map(n -> chain.wrap(raw.get(n), ag.name())).toList(),
                        AggregateUpstream.PrefixMode.valueOf(ag.prefix().toUpperCase(Locale.ROOT)));
                raw.put(ag.name(), agg);
                ups.put(ag.name(), chain.wrap(agg, null));
            }
            this.terminationGraceMillis = grace;
            this.owned = List.copyOf(raw.values());
            this.served = Collections.unmodifiableMap(ups);
        } catch (RuntimeException | Error e) {
            raw.values().forEach(Upstream::shutdown);
            throw e;
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
        List<Upstream> ups = owned;
        if (ups.isEmpty()) {
            return;
        }
        List<CompletableFuture<Void>> exits = new ArrayList<>();
        for (Upstream u : ups) {
            exits.add(u.shutdown());
        }
        try {
            // close stdin, SIGTERM, SIGKILL: three graces at most, plus slack
            CompletableFuture.allOf(exits.toArray(CompletableFuture[]::new))
                    .get(3 * terminationGraceMillis + 2000, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.log(Level.WARNING, "shutdown: some upstream processes did not exit in time", e);
        }
        for (Upstream u : ups) {
            if (u instanceof HttpUpstream http) {
                http.awaitStopped(1000);
            }
        }
        owned = List.of();
        served = Map.of();
    }
}
