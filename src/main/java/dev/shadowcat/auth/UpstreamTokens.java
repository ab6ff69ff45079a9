package dev.shadowcat.auth;

import dev.shadowcat.config.HttpUpstreamConfig;
import dev.shadowcat.upstream.ClientSession;
import dev.shadowcat.upstream.UpstreamCredentials;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * One upstream's tokens from the authorization server: by token exchange, one per caller (keyed by principal), or by
 * client credentials, one for the gateway. A token is reused until three quarters of its life have passed, then
 * renewed in the background while it is still good (one renewal at a time per key), and never used in its last
 * {@link #EXPIRY_MARGIN_MILLIS}.
 *
 * <p>Thread-safe: a concurrent map of entries whose fields are volatile; a renewal is published by replacing the
 * entry's future, never under a lock. Bounded to {@link #MAX_KEYS} callers: past it, expired entries are dropped, then
 * the oldest.
 */
public final class UpstreamTokens implements UpstreamCredentials {
    static final int MAX_KEYS = 10_000;
    static final long EXPIRY_MARGIN_MILLIS = 5_000;

    private final String upstream;
    private final HttpUpstreamConfig.Credentials spec;
    private final IdentityProvider idp;
    private final LongSupplier clock;
    private final Map<String, Entry> byKey = new ConcurrentHashMap<>();
    private final AtomicLong obtained = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();

    private static final class Entry {
        volatile IdentityProvider.Issued token;
        volatile long renewAtMillis;
        volatile CompletableFuture<IdentityProvider.Issued> renewal;
    }

    public UpstreamTokens(String upstream, HttpUpstreamConfig.Credentials spec, IdentityProvider idp, LongSupplier wallClockMillis) {
        this.upstream = upstream;
        this.spec = spec;
        this.idp = idp;
        this.clock = wallClockMillis;
    }

    @Override
    public CompletableFuture<String> authorization(ClientSession session) {
        String key = spec.perCaller() ? session.principal() : "";
        Entry e = byKey.get(key);
        if (e == null) {
            bound();
            e = byKey.computeIfAbsent(key, k -> new Entry());
        }
        long now = clock.getAsLong();
        IdentityProvider.Issued t = e.token;
        boolean usable = t != null && now < t.expiresAtMillis() - EXPIRY_MARGIN_MILLIS;
        if (usable && now < e.renewAtMillis) {
            return CompletableFuture.completedFuture("Bearer " + t.value());
        }
        CompletableFuture<IdentityProvider.Issued> r = renew(e, session);
        if (usable) {
            return CompletableFuture.completedFuture("Bearer " + t.value()); // still good: the renewal runs behind
        }
        return r.thenApply(i -> "Bearer " + i.value());
    }

    private CompletableFuture<IdentityProvider.Issued> renew(Entry e, ClientSession session) {
        CompletableFuture<IdentityProvider.Issued> running = e.renewal;
        if (running != null && !running.isDone()) {
            return running;
        }
        CompletableFuture<IdentityProvider.Issued> mine;
        synchronized (e) { // only the swap; the call to the IdP is made outside
            running = e.renewal;
            if (running != null && !running.isDone()) {
                return running;
            }
            mine = new CompletableFuture<>();
            e.renewal = mine;
        }
        long started = clock.getAsLong();
        CompletableFuture<IdentityProvider.Issued> call;
        if (spec.perCaller()) {
            String subject = session.subjectToken();
            call = subject == null
                    ? CompletableFuture.failedFuture(new IdentityProvider.RefusedException(
                    "upstream '" + upstream + "' needs the caller's token for a token exchange, and this session has none"))
                    : idp.exchange(subject, spec.audience(), spec.scope(), spec.resource());
        } else {
            call = idp.clientCredentials(spec.scope(), spec.resource());
        }
        call.whenComplete((issued, err) -> {
            if (err == null) {
                e.token = issued;
                e.renewAtMillis = started + (issued.expiresAtMillis() - started) * 3 / 4;
                obtained.incrementAndGet();
                mine.complete(issued);
            } else {
                failed.incrementAndGet();
                IdentityProvider.Issued kept = e.token;
                if (kept != null) {
                    e.renewAtMillis = clock.getAsLong() + 5_000; // the old token still serves: retry in a while, not per call
                }
                mine.completeExceptionally(err);
            }
        });
        return mine;
    }

    private void bound() {
        if (byKey.size() < MAX_KEYS) {
            return;
        }
        long now = clock.getAsLong();
        byKey.values().removeIf(x -> x.token != null && x.token.expiresAtMillis() <= now);
        Iterator<String> it = byKey.keySet().iterator();
        while (byKey.size() >= MAX_KEYS && it.hasNext()) {
            it.next();
            it.remove();
        }
    }

    /** Numbers for the operations API: tokens obtained, failures, callers cached. */
    @Override
    public Map<String, Object> stats() {
        return Map.of("grant", spec.grant().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'),
                "tokensObtained", obtained.get(), "tokenFailures", failed.get(), "cachedFor", byKey.size());
    }
}
