package dev.shadowcat.pool;

import dev.shadowcat.config.PoolSettings;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A bounded pool of expensive resources (child processes) with asynchronous leases.
 *
 * <p>Thread-safe. All state lives under one short lock; nothing is called out under it: resources are
 * created, retired and handed to waiters only after the lock is released.
 *
 * <p>Design:
 * <ul>
 * <li>Idle entries are reused LIFO, so the warmest child serves and the coldest ages out.</li>
 * <li>{@code total} counts every live or starting entry; a lease is granted from idle, else by creating a
 * new entry while {@code total < maxSize}, else by queueing a waiter with a deadline.</li>
 * <li>An acquirer that started a creation waits in the same queue, without a deadline (its creation bounds
 * its wait): it takes whatever entry is ready first, its own or another, so a slow start never holds it
 * while a ready entry sits idle. A creation goes to its own acquirer if that one still waits, else to the
 * oldest waiter, else to idle; a failed creation fails its own acquirer if that one still waits.</li>
 * <li>A returned entry goes straight to the oldest waiter, inside the same critical section that frees its
 * slot, so waiters reuse returned children instead of spawning new ones.</li>
 * <li>Lifetime is counted from creation, idle time from the last return.</li>
 * <li>{@link #close()} fails every waiter at once and retires idle entries; leased entries are retired when
 * they come back.</li>
 * </ul>
 */
public final class Pool<R extends Pool.Pooled> {
    private static final Logger LOG = Logger.getLogger(Pool.class.getName());

    /** What the pool needs of a resource. */
    public interface Pooled {
        /** False once the resource can no longer serve (process exited, stdout closed, protocol broken). */
        boolean isAlive();

        /** Starts retiring the resource; must not block. */
        void retire();
    }

    /**
     * Creates resources; the future completes when the resource is ready to serve. Until then the entry
     * counts as starting: it is neither idle nor handed out.
     */
    @FunctionalInterface
    public interface Factory<R> {
        CompletableFuture<R> create();
    }

    private enum EntryState { IDLE, LEASED, RETIRED }

    /** Entries created at or before this are retired as if their lifetime were over ({@link #restart}). */
    private volatile long restartedNanos;
    private volatile boolean restarted;

    final class Entry {
        final R resource;
        final long createdNanos;
        long idleSinceNanos; // guarded by lock
        EntryState state;    // guarded by lock

        Entry(R resource, long now) {
            this.resource = resource;
            this.createdNanos = now;
            this.idleSinceNanos = now;
        }

        @Override
        public String toString() {
            return "Entry{" + resource + " " + state + " age=" + (clock.getAsLong() - createdNanos) / 1_000_000 + "ms}";
        }
    }

    private final class Waiter {
        final CompletableFuture<Lease<R>> future = new CompletableFuture<>();
        final long since = clock.getAsLong();
        ScheduledFuture<?> timeout; // guarded by lock; not set, or cancelled, once creating
        boolean creating;           // guarded by lock: a creation was started for it and bounds its wait
    }

    private final String name;
    private final PoolSettings settings;
    private final Factory<R> factory;
    private final ScheduledExecutorService scheduler;
    private final LongSupplier clock;

    private final ReentrantLock lock = new ReentrantLock();
    // guarded by lock
    private final ArrayDeque<Entry> idle = new ArrayDeque<>();
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    private int creators; // waiters that are creating
    private int total;
    private int leased;
    private int starting;
    private boolean closed;
    private long spawned;
    private long reused;
    private long retired;
    private long died;
    private long spawnFailures;
    private long acquireTimeouts;
    private String lastSpawnFailure;

    public Pool(String name, PoolSettings settings, Factory<R> factory, ScheduledExecutorService scheduler,
                LongSupplier nanoClock) {
        this.name = name;
        this.settings = settings;
        this.factory = factory;
        this.scheduler = scheduler;
        this.clock = nanoClock;
    }

    /** Leases a resource; the future fails with {@link PoolException} on timeout, saturation or close. */
    public CompletableFuture<Lease<R>> acquire() {
        List<Entry> toRetire = null;
        Entry got = null;
        boolean create = false;
        Waiter waiter = null;
        PoolException refused = null;
        lock.lock();
        try {
            if (closed) {
                refused = new PoolException("pool '" + name + "' is closed");
            } else {
                long now = clock.getAsLong();
                Entry e;
                while ((e = idle.pollFirst()) != null) {
                    if (usable(e, now)) {
                        got = e;
                        e.state = EntryState.LEASED;
                        leased++;
                        reused++;
                        break;
                    }
                    toRetire = add(toRetire, dropLocked(e));
                }
                if (got == null) {
                    if (total < settings.maxSize()) {
                        total++;
                        starting++;
                        create = true;
                        waiter = new Waiter();
                        waiter.creating = true;
                        creators++;
                        waiters.addLast(waiter);
                    } else if (waiters.size() - creators < settings.maxWaiters()) {
                        waiter = new Waiter();
                        Waiter w = waiter;
                        try {
                            waiter.timeout = scheduler.schedule(() -> expire(w),
                                    settings.acquireTimeout().toNanos(), TimeUnit.NANOSECONDS);
                            waiters.addLast(waiter);
                        } catch (java.util.concurrent.RejectedExecutionException stopped) {
                            refused = new PoolException("pool '" + name + "' is stopping");
                        }
                    } else {
                        refused = new PoolException("pool '" + name + "' is saturated: " + describeLocked());
                    }
                }
            }
        } finally {
            lock.unlock();
        }
        retireAll(toRetire);
        if (refused != null) {
            return CompletableFuture.failedFuture(refused);
        }
        if (got != null) {
            return CompletableFuture.completedFuture(new Lease<>(this, got));
        }
        if (create) {
            spawn(waiter);
        }
        return waiter.future;
    }

    /** Creates one entry for {@code origin} (null: for the idle stack), see {@link #spawned}. */
    private void spawn(Waiter origin) {
        CompletableFuture<R> created;
        try {
            created = factory.create();
        } catch (RuntimeException e) {
            created = CompletableFuture.failedFuture(e);
        }
        created.whenComplete((res, err) -> {
            if (err != null) {
                spawnFailed(origin, err);
            } else {
                spawned(origin, res);
            }
        });
    }

    /** A creation completed: to its origin if that one still waits, else to the oldest waiter, else idle. */
    private void spawned(Waiter origin, R res) {
        Entry e = new Entry(res, clock.getAsLong());
        boolean retireNow = false;
        Waiter handoff = null;
        lock.lock();
        try {
            starting--;
            spawned++;
            if (closed) { // close() has already failed every waiter, the origin included
                total--;
                retired++;
                e.state = EntryState.RETIRED;
                retireNow = true;
            } else {
                handoff = origin != null && takeLocked(origin) ? origin : pollWaiterLocked();
                if (handoff != null) {
                    e.state = EntryState.LEASED;
                    leased++;
                } else {
                    e.state = EntryState.IDLE;
                    idle.addFirst(e);
                }
            }
        } finally {
            lock.unlock();
        }
        if (retireNow) {
            res.retire();
            return;
        }
        if (handoff != null) {
            Lease<R> lease = new Lease<>(this, e);
            if (!handoff.future.complete(lease)) {
                lease.release(); // the waiter gave up in the meantime
            }
        }
    }

    /** A creation failed: its origin fails if it still waits (one served by another entry meanwhile does not). */
    private void spawnFailed(Waiter origin, Throwable err) {
        Throwable cause = dev.shadowcat.concurrent.Futures.cause(err);
        boolean wasClosed;
        boolean failOrigin;
        lock.lock();
        try {
            starting--;
            total--;
            spawnFailures++;
            lastSpawnFailure = String.valueOf(cause.getMessage());
            wasClosed = closed;
            failOrigin = origin != null && takeLocked(origin);
        } finally {
            lock.unlock();
        }
        // closing ends resources that are still starting: their failure is expected then
        LOG.log(wasClosed ? Level.FINE : Level.WARNING, "pool '" + name + "': could not start a resource", cause);
        if (failOrigin) {
            origin.future.completeExceptionally(
                    new PoolException("pool '" + name + "': could not start: " + cause.getMessage(), cause));
        }
    }

    /** Called by {@link Lease}: returns the entry to idle, hands it to a waiter, or retires it. */
    void giveBack(Entry e, boolean reusable) {
        R toRetire = null;
        Waiter handoff = null;
        Waiter spawnFor = null;
        lock.lock();
        try {
            if (e.state != EntryState.LEASED) {
                throw new IllegalStateException("entry returned twice or never leased: " + e);
            }
            leased--;
            long now = clock.getAsLong();
            if (closed || !reusable || !e.resource.isAlive() || lifetimeOver(e, now)) {
                toRetire = dropLocked(e).resource;
                if (!closed && total < settings.maxSize()) {
                    spawnFor = startCreatingLocked();
                    if (spawnFor != null) {
                        total++;
                        starting++;
                    }
                }
            } else if ((handoff = pollWaiterLocked()) != null) {
                leased++;
                reused++;
            } else {
                e.state = EntryState.IDLE;
                e.idleSinceNanos = now;
                idle.addFirst(e);
            }
        } finally {
            lock.unlock();
        }
        if (toRetire != null) {
            toRetire.retire();
        }
        if (handoff != null && !handoff.future.complete(new Lease<>(this, e))) {
            giveBack(e, true);
        }
        if (spawnFor != null) {
            spawn(spawnFor);
        }
    }

    /** One maintenance pass: retire idle entries past their time, top up to minIdle. Runs on the housekeeper. */
    public void maintain() {
        List<Entry> toRetire = null;
        int create = 0;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            long now = clock.getAsLong();
            Iterator<Entry> it = idle.descendingIterator(); // oldest first
            while (it.hasNext()) {
                Entry e = it.next();
                boolean idleTooLong = now - e.idleSinceNanos > settings.idleTimeout().toNanos()
                        && idle.size() + starting > settings.minIdle();
                if (!e.resource.isAlive() || lifetimeOver(e, now) || idleTooLong) {
                    it.remove();
                    toRetire = add(toRetire, dropLocked(e));
                }
            }
            int want = settings.minIdle() - idle.size() - starting;
            while (want-- > 0 && total < settings.maxSize()) {
                total++;
                starting++;
                create++;
            }
        } finally {
            lock.unlock();
        }
        retireAll(toRetire);
        for (int i = 0; i < create; i++) {
            spawn(null);
        }
    }

    /** Closes the pool: pending acquires fail now, idle entries retire now, leased ones when returned. */
    public void close() {
        List<Entry> toRetire = new ArrayList<>();
        List<Waiter> toFail;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            Entry e;
            while ((e = idle.pollFirst()) != null) {
                toRetire.add(dropLocked(e));
            }
            toFail = new ArrayList<>(waiters);
            waiters.clear();
            for (Waiter w : toFail) {
                leaveLocked(w);
            }
        } finally {
            lock.unlock();
        }
        PoolException ex = new PoolException("pool '" + name + "' is closed");
        for (Waiter w : toFail) {
            w.future.completeExceptionally(ex);
        }
        retireAll(toRetire);
    }

    private void expire(Waiter w) {
        String why;
        lock.lock();
        try {
            if (w.creating || !waiters.remove(w)) {
                return; // served, or its own creation now bounds its wait
            }
            acquireTimeouts++;
            why = "no process for upstream '" + name + "' after "
                    + (clock.getAsLong() - w.since) / 1_000_000 + " ms (" + describeLocked()
                    + (lastSpawnFailure != null ? ", last start failure: " + lastSpawnFailure : "") + ")";
        } finally {
            lock.unlock();
        }
        w.future.completeExceptionally(new PoolException(why));
    }

    private Waiter pollWaiterLocked() {
        Waiter w;
        while ((w = waiters.pollFirst()) != null) {
            leaveLocked(w);
            if (!w.future.isDone()) {
                return w;
            }
        }
        return null;
    }

    /** Takes {@code w} out of the queue; false if it was no longer there or has given up. */
    private boolean takeLocked(Waiter w) {
        if (!waiters.remove(w)) {
            return false;
        }
        leaveLocked(w);
        return !w.future.isDone();
    }

    /** Bookkeeping for a waiter that left the queue. */
    private void leaveLocked(Waiter w) {
        if (w.creating) {
            creators--;
        } else {
            w.timeout.cancel(false);
        }
    }

    /**
     * A slot was freed while callers wait: the oldest waiter with a deadline becomes the origin of a new
     * creation and keeps its place in the queue. Null when every waiter already has a creation of its own.
     */
    private Waiter startCreatingLocked() {
        for (Waiter w : waiters) {
            if (!w.creating && !w.future.isDone()) {
                w.timeout.cancel(false);
                w.creating = true;
                creators++;
                return w;
            }
        }
        return null;
    }

    private boolean usable(Entry e, long now) {
        return e.resource.isAlive() && !lifetimeOver(e, now);
    }

    private boolean lifetimeOver(Entry e, long now) {
        return now - e.createdNanos > settings.maxLifetime().toNanos() || (restarted && e.createdNanos - restartedNanos <= 0);
    }

    /**
     * Replaces every entry: the idle ones go at the next maintenance pass, the leased ones when they come back, and
     * new ones are started in their place (an operator's "restart the children", after an upgrade of the server's
     * binary, say). Calls in flight are not disturbed.
     */
    public void restart() {
        restartedNanos = clock.getAsLong();
        restarted = true;
    }

    private Entry dropLocked(Entry e) {
        if (e.resource.isAlive()) {
            retired++;
        } else {
            died++;
        }
        e.state = EntryState.RETIRED;
        total--;
        return e;
    }

    private static <T> List<T> add(List<T> list, T t) {
        if (list == null) {
            list = new ArrayList<>(2);
        }
        list.add(t);
        return list;
    }

    private void retireAll(List<Entry> entries) {
        if (entries != null) {
            for (Entry e : entries) {
                e.resource.retire();
            }
        }
    }

    private String describeLocked() {
        return "total=" + total + ", leased=" + leased + ", idle=" + idle.size() + ", starting=" + starting
                + ", waiting=" + (waiters.size() - creators) + ", max=" + settings.maxSize();
    }

    public PoolStats stats() {
        lock.lock();
        try {
            return new PoolStats(name, total, leased, idle.size(), starting, waiters.size() - creators, settings.maxSize(),
                    spawned, reused, retired, died, spawnFailures, acquireTimeouts, closed);
        } finally {
            lock.unlock();
        }
    }

    public String name() {
        return name;
    }

    @Override
    public String toString() {
        lock.lock();
        try {
            return "Pool{" + name + " " + describeLocked() + (closed ? " closed" : "") + "}";
        } finally {
            lock.unlock();
        }
    }
}
