package dev.shadowcat.auth;

import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.LongSupplier;

/**
 * The callers of the {@code Authorization} header values seen last, by identity. Jetty's per-connection header
 * cache hands out the very same {@code String} when a connection repeats a header, so a client that keeps its
 * connection and its token costs one reference comparison per request instead of copying and hashing a 1-2 KB
 * token ({@link VerifiedTokens}). Identity is what makes this safe: the same object is the same immutable text.
 *
 * <p>Bounded: {@value #SLOTS} slots chosen by identity hash, a newer header replacing an older one in its slot (a
 * miss costs only the hash lookup). An entry serves only until its caller's token expires (for introspected tokens,
 * until the introspection cache's limit). It references the header and the token, which Jetty's header cache and
 * the caller's session hold anyway; never logged. Thread-safe: entries are immutable and replaced whole.
 */
final class RecentHeaders {
    static final int SLOTS = 256;

    /** A header value, the bearer token in it, and who it authenticated. */
    record Entry(String header, String token, Caller caller) {
        @Override
        public String toString() {
            return "Entry{" + caller + "}"; // never the token
        }
    }

    private final AtomicReferenceArray<Entry> slots = new AtomicReferenceArray<>(SLOTS);
    private final LongSupplier clockMillis;

    RecentHeaders(LongSupplier clockMillis) {
        this.clockMillis = clockMillis;
    }

    /** The entry for this very header object, if it is still valid; else null. */
    Entry get(String header) {
        int i = slot(header);
        Entry e = slots.get(i);
        if (e == null || e.header != header) {
            return null;
        }
        if (e.caller.expiresAtMillis() <= clockMillis.getAsLong()) {
            slots.compareAndSet(i, e, null);
            return null;
        }
        return e;
    }

    void put(String header, String token, Caller caller) {
        slots.set(slot(header), new Entry(header, token, caller));
    }

    private static int slot(String header) {
        int h = System.identityHashCode(header);
        return (h ^ (h >>> 16)) & (SLOTS - 1);
    }
}
