package dev.shadowcat.traffic;

import dev.shadowcat.pipeline.CallContext;
import dev.shadowcat.protocol.Message;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The last {@code capacity} calls answered with a JSON-RPC error (the upstream's or the gateway's own), newest first,
 * for the admin page. A ring under one small lock: adding copies a few strings, reading copies the ring; nothing is
 * called out to while it is held.
 */
public final class RecentErrors {
    /** One error: when, where, which call, and the error's code and message (never the call's arguments). */
    public record Entry(String time, String session, String upstream, String principal, String method, String name,
                        long code, String message) {
    }

    private final Entry[] ring;
    private int next;
    private long total;

    public RecentErrors(int capacity) {
        this.ring = new Entry[capacity];
    }

    void add(CallContext c, Message m) {
        long span = m.path("error", "code");
        long code;
        try {
            code = span < 0 ? 0 : Long.parseLong(m.textAt(span));
        } catch (NumberFormatException e) {
            code = 0;
        }
        String message = m.string("error", "message");
        if (message != null && message.length() > 300) {
            message = message.substring(0, 300) + "…";
        }
        Entry e = new Entry(Instant.now().toString(), String.valueOf(c.session()), String.valueOf(c.upstream()),
                String.valueOf(c.principal()), c.method(), c.name(), code, message);
        synchronized (ring) {
            ring[next] = e;
            next = (next + 1) % ring.length;
            total++;
        }
    }

    public List<Entry> newestFirst() {
        List<Entry> out = new ArrayList<>(ring.length);
        synchronized (ring) {
            for (int i = 1; i <= ring.length; i++) {
                Entry e = ring[Math.floorMod(next - i, ring.length)];
                if (e != null) {
                    out.add(e);
                }
            }
        }
        return out;
    }

    public long total() {
        synchronized (ring) {
            return total;
        }
    }
}
