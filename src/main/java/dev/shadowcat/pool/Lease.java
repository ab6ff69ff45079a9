package dev.shadowcat.pool;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Exclusive use of one pooled resource. A lease that is never returned leaks its pool slot: end every lease
 * with exactly one of {@link #release()} or {@link #retire()}; a second call throws.
 *
 * <p>Thread-safe.
 */
public final class Lease<R extends Pool.Pooled> {
    private final Pool<R> pool;
    private final Pool<R>.Entry entry;
    private final AtomicBoolean done = new AtomicBoolean();

    Lease(Pool<R> pool, Pool<R>.Entry entry) {
        this.pool = pool;
        this.entry = entry;
    }

    public R resource() {
        return entry.resource;
    }

    /** Returns the resource for reuse (it is retired instead if it died meanwhile). */
    public void release() {
        end(true);
    }

    /** Ends the resource's life: it is never handed out again. */
    public void retire() {
        end(false);
    }

    private void end(boolean reusable) {
        if (!done.compareAndSet(false, true)) {
            throw new IllegalStateException("lease already ended: " + entry);
        }
        pool.giveBack(entry, reusable);
    }

    public boolean isEnded() {
        return done.get();
    }

    @Override
    public String toString() {
        return "Lease{" + entry + (done.get() ? " ended" : "") + "}";
    }
}
