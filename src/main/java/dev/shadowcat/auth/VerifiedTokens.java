package dev.shadowcat.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Tokens already verified, by the SHA-256 of the token (the token itself is never kept), until they expire, so
 * the hot path checks no signature. Bounded: past {@code maxEntries} expired entries are dropped, then arbitrary
 * ones (a cache miss only costs a signature check). Thread-safe; the clock is injected.
 */
public final class VerifiedTokens {
    private final Map<String, Caller> byHash = new ConcurrentHashMap<>();
    private final int maxEntries;
    private final LongSupplier clockMillis;

    public VerifiedTokens(int maxEntries, LongSupplier clockMillis) {
        this.maxEntries = maxEntries;
        this.clockMillis = clockMillis;
    }

    public static String hash(String token) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.US_ASCII));
            return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The caller of a still-valid cached token, or null. */
    public Caller get(String hash) {
        Caller c = byHash.get(hash);
        if (c != null && c.expiresAtMillis() <= clockMillis.getAsLong()) {
            byHash.remove(hash, c);
            return null;
        }
        return c;
    }

    public void put(String hash, Caller c) {
        if (byHash.size() >= maxEntries) {
            long now = clockMillis.getAsLong();
            byHash.values().removeIf(x -> x.expiresAtMillis() <= now);
            Iterator<String> it = byHash.keySet().iterator();
            while (byHash.size() >= maxEntries && it.hasNext()) {
                it.next();
                it.remove();
            }
        }
        byHash.put(hash, c);
    }
}
