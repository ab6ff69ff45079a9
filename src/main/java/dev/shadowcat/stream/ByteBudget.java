package dev.shadowcat.stream;

import java.util.concurrent.atomic.AtomicLong;

/**
 * How many bytes of buffered frames (kept for replay, queued for a slow connection) one part of the gateway may
 * hold: the whole gateway (the root) or one session (a child charging the root too). A reservation that would
 * pass either bound fails, so one session's traffic never takes memory beyond its own bound.
 *
 * <p>Thread-safe. The root is lock-free (every session charges it); a child guards its count with its own
 * monitor and calls only the root's atomic counter under it. {@link #close} gives a child's bytes back to the
 * root at once (the session ended; its buffers are garbage), and later releases of that child are ignored.
 */
public final class ByteBudget {
    /** For buffers nobody bounds (tests, stateless responses that live for one request). */
    public static final ByteBudget UNLIMITED = new ByteBudget(Long.MAX_VALUE, null);

    private final long limit;
    private final ByteBudget parent;
    private final AtomicLong rootUsed; // root only
    // child only, guarded by this
    private long used;
    private boolean closed;

    private ByteBudget(long limit, ByteBudget parent) {
        if (limit <= 0) {
            throw new IllegalArgumentException("limit must be positive: " + limit);
        }
        this.limit = limit;
        this.parent = parent;
        this.rootUsed = parent == null ? new AtomicLong() : null;
    }

    public static ByteBudget root(long limit) {
        return new ByteBudget(limit, null);
    }

    /** A budget of at most {@code limit} bytes that also counts against this one. */
    public ByteBudget child(long limit) {
        if (parent != null) {
            throw new IllegalStateException("budgets nest one level: gateway, then session");
        }
        return new ByteBudget(limit, this);
    }

    /** Takes {@code n} bytes if this budget (and its parent) has them; false, taking nothing, if not. */
    public boolean tryReserve(long n) {
        if (parent == null) {
            if (this == UNLIMITED) {
                return true;
            }
            long u;
            do {
                u = rootUsed.get();
                if (u + n > limit) {
                    return false;
                }
            } while (!rootUsed.compareAndSet(u, u + n));
            return true;
        }
        synchronized (this) {
            if (closed || used + n > limit || !parent.tryReserve(n)) {
                return false;
            }
            used += n;
            return true;
        }
    }

    /**
     * Takes {@code n} bytes whatever the bounds (one frame in transit to a connection whose queue is empty must
     * go out, or a large answer could never be delivered); it still counts, so later reservations fail.
     */
    public void force(long n) {
        if (parent == null) {
            if (this != UNLIMITED) {
                rootUsed.addAndGet(n);
            }
            return;
        }
        synchronized (this) {
            if (closed) {
                return;
            }
            parent.force(n);
            used += n;
        }
    }

    /** Gives back bytes taken by {@link #tryReserve} or {@link #force}. */
    public void release(long n) {
        if (parent == null) {
            if (this != UNLIMITED) {
                rootUsed.addAndGet(-n);
            }
            return;
        }
        synchronized (this) {
            if (closed) {
                return; // given back at close
            }
            used -= n;
            parent.release(n);
        }
    }

    /** Ends a child: its bytes go back to the parent now and it takes no more. Idempotent. */
    public void close() {
        if (parent == null) {
            return;
        }
        long back;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            back = used;
            used = 0;
            parent.release(back);
        }
    }

    public long used() {
        if (parent == null) {
            return this == UNLIMITED ? 0 : rootUsed.get();
        }
        synchronized (this) {
            return used;
        }
    }

    @Override
    public String toString() {
        return "ByteBudget{" + used() + "/" + limit + (parent == null ? " root" : "") + "}";
    }
}
