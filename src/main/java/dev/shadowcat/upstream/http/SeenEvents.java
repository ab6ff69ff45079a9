package dev.shadowcat.upstream.http;

import java.util.LinkedHashSet;

/** The last 1000 event ids delivered on one logical stream, so a resumed stream never delivers twice. Thread-safe. */
final class SeenEvents {
    private static final int LIMIT = 1000;
    private final LinkedHashSet<String> ids = new LinkedHashSet<>(); // guarded by itself

    /** True the first time an id is seen (and for events without an id). */
    boolean first(String eventId) {
        if (eventId == null) {
            return true;
        }
        synchronized (ids) {
            if (!ids.add(eventId)) {
                return false;
            }
            if (ids.size() > LIMIT) {
                var it = ids.iterator();
                it.next();
                it.remove();
            }
            return true;
        }
    }
}
