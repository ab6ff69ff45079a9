package dev.shadowcat.concurrent;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.LongUnaryOperator;

/**
 * One scheduled wake-up for many deadlines (the pattern of Jetty's {@code CyclicTimeouts}). Its owner keeps its
 * entries and their deadlines; on each new deadline it calls {@link #atOrBefore}, which schedules a task only when
 * that deadline is earlier than the wake-up already armed. With one timeout for every request, a new deadline is
 * never the earliest, so a request costs no scheduling and no timer-thread wake-up, where a task per request costs
 * both (a schedule that wakes the timer thread, a cancel that takes the queue's lock again).
 *
 * <p>When the wake-up fires, {@code sweep} gets the current time, ends the entries that are due and returns the
 * earliest deadline still pending ({@link Long#MAX_VALUE} for none), for which the timer arms again.
 *
 * <p>Thread-safe, lock-free. No deadline is missed: the armed time is cleared before the sweep begins, so an entry
 * the sweep may not see was added after that, and its own {@link #atOrBefore} then arms. A superseded wake-up still
 * fires; it only sweeps early. {@link #stop} cancels the armed task; the sweep runs on the scheduler's thread.
 */
public final class CyclicTimer {
    private static final long NONE = Long.MAX_VALUE;

    private final ScheduledExecutorService scheduler;
    private final LongSupplier nanoClock;
    private final LongUnaryOperator sweep;
    /** The {@link System#nanoTime} of the armed wake-up, or {@link #NONE}. */
    private final AtomicLong armedAt = new AtomicLong(NONE);
    private volatile ScheduledFuture<?> task;
    private volatile boolean stopped;

    /**
     * @param sweep given the current {@code nanoClock} time, ends the due entries and returns the earliest deadline
     *              left, or {@link Long#MAX_VALUE}; it must not throw
     */
    public CyclicTimer(ScheduledExecutorService scheduler, LongSupplier nanoClock, LongUnaryOperator sweep) {
        this.scheduler = scheduler;
        this.nanoClock = nanoClock;
        this.sweep = sweep;
    }

    /**
     * Makes sure the timer wakes at or before {@code deadlineNanos} (a {@code nanoClock} time), after the caller has
     * published the entry the deadline belongs to. False if the scheduler refused (it is shutting down); true after
     * {@link #stop}, when the owner ends its entries itself.
     */
    public boolean atOrBefore(long deadlineNanos) {
        while (true) {
            long armed = armedAt.get();
            if (armed - deadlineNanos <= 0 && armed != NONE) {
                return true; // an earlier or equal wake-up is coming
            }
            if (armedAt.compareAndSet(armed, deadlineNanos)) {
                return arm(deadlineNanos);
            }
        }
    }

    private boolean arm(long at) {
        if (stopped) {
            return true;
        }
        try {
            task = scheduler.schedule(this::fire, Math.max(0, at - nanoClock.getAsLong()), TimeUnit.NANOSECONDS);
            return true;
        } catch (RejectedExecutionException e) {
            armedAt.compareAndSet(at, NONE);
            return false;
        }
    }

    private void fire() {
        if (stopped) {
            return;
        }
        armedAt.set(NONE);
        long next = sweep.applyAsLong(nanoClock.getAsLong());
        if (next != NONE) {
            atOrBefore(next);
        }
    }

    /** No more wake-ups: the armed one is cancelled. The owner ends what is still pending. */
    public void stop() {
        stopped = true;
        ScheduledFuture<?> t = task;
        if (t != null) {
            t.cancel(false);
        }
    }

    @Override
    public String toString() {
        long armed = armedAt.get();
        return "CyclicTimer{" + (stopped ? "stopped" : armed == NONE ? "idle"
                : "in " + TimeUnit.NANOSECONDS.toMillis(armed - nanoClock.getAsLong()) + " ms") + "}";
    }
}
