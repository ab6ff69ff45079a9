package dev.shadowcat.concurrent;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CyclicTimerTest {
    /** A scheduler that counts what it is asked to schedule. */
    private static final class CountingScheduler extends ScheduledThreadPoolExecutor {
        final AtomicInteger scheduled = new AtomicInteger();

        CountingScheduler() {
            super(1);
            setRemoveOnCancelPolicy(true);
        }

        @Override
        public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
            scheduled.incrementAndGet();
            return super.schedule(command, delay, unit);
        }
    }

    private final CountingScheduler scheduler = new CountingScheduler();
    /** The owner's entries: id → deadline. */
    private final Map<Integer, Long> entries = new ConcurrentHashMap<>();
    private final AtomicInteger expired = new AtomicInteger();
    private final AtomicInteger sweeps = new AtomicInteger();

    /** When set, a sweep that has looked at the entries waits here before it returns (then it is cleared). */
    private volatile CountDownLatch holdSweep;
    private final CountDownLatch sweepHeld = new CountDownLatch(1);

    private long sweep(long now) {
        sweeps.incrementAndGet();
        long next = scan(now);
        CountDownLatch hold = holdSweep;
        if (hold != null) {
            holdSweep = null;
            sweepHeld.countDown();
            try {
                hold.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return next;
    }

    private long scan(long now) {
        long next = Long.MAX_VALUE;
        for (Map.Entry<Integer, Long> e : entries.entrySet()) {
            if (e.getValue() - now <= 0) {
                if (entries.remove(e.getKey(), e.getValue())) {
                    expired.incrementAndGet();
                }
            } else if (next == Long.MAX_VALUE || e.getValue() - next < 0) {
                next = e.getValue();
            }
        }
        return next;
    }

    private final CyclicTimer timer = new CyclicTimer(scheduler, System::nanoTime, this::sweep);

    @AfterEach
    void stop() throws InterruptedException {
        timer.stop();
        scheduler.shutdownNow();
        assertTrue(scheduler.awaitTermination(5, TimeUnit.SECONDS));
    }

    private void add(int id, long deadline) {
        entries.put(id, deadline);
        assertTrue(timer.atOrBefore(deadline));
    }

    private void awaitExpired(int n) throws InterruptedException {
        for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); expired.get() < n && System.nanoTime() < end; ) {
            Thread.sleep(5);
        }
        assertEquals(n, expired.get(), "deadlines missed; entries left: " + entries.size());
    }

    @Test
    void requestsWithOneTimeoutScheduleOneWakeUp_notOneTaskEach() {
        // 10 s out: no sweep can come between the adds, however slow the machine (when they expire is for the others)
        long base = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (int i = 0; i < 1000; i++) {
            add(i, base + i * 1000L);
        }
        assertEquals(1, scheduler.scheduled.get(), "each later deadline rides on the wake-up already armed");
        assertEquals(1, scheduler.getQueue().size(), "one task in the scheduler for 1,000 deadlines");
        assertEquals(0, sweeps.get());
    }

    @Test
    void anEarlierDeadlineIsNotLeftBehindALaterOne() throws InterruptedException {
        add(1, System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
        add(2, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20));
        awaitExpired(1);
        assertFalse(entries.containsKey(2));
        assertTrue(entries.containsKey(1), "the later one is still waiting");
        assertTrue(timer.toString().contains("in "), "armed again for the later one: " + timer);
    }

    @Test
    void anEntryAddedWhileASweepRunsIsNotMissed_evenIfTheSweepNeverSawIt() throws InterruptedException {
        CountDownLatch release = new CountDownLatch(1);
        holdSweep = release;
        add(1, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(5));
        assertTrue(sweepHeld.await(10, TimeUnit.SECONDS), "the first sweep ran");
        add(2, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(5)); // after the sweep's scan, before it returns
        release.countDown();
        awaitExpired(2);
    }

    @Test
    void noDeadlineIsMissedWhileEntriesArriveDuringSweeps() throws Exception {
        int threads = 4;
        int each = 5000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch go = new CountDownLatch(1);
        try {
            for (int t = 0; t < threads; t++) {
                int base = t * each;
                pool.execute(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    for (int i = 0; i < each; i++) {
                        add(base + i, System.nanoTime() + ThreadLocalRandom.current().nextLong(TimeUnit.MILLISECONDS.toNanos(20)));
                    }
                });
            }
            go.countDown();
            pool.shutdown();
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        } finally {
            pool.shutdownNow();
        }
        awaitExpired(threads * each);
    }

    @Test
    void stopCancelsTheArmedWakeUp() {
        add(1, System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
        assertEquals(1, scheduler.getQueue().size());
        timer.stop();
        assertEquals(0, scheduler.getQueue().size(), "nothing left in the scheduler to hold the owner");
        assertTrue(timer.atOrBefore(System.nanoTime()), "the owner ends its entries itself after a stop");
        assertEquals(0, scheduler.getQueue().size());
        assertEquals(0, sweeps.get());
    }

    @Test
    void aSchedulerThatRefusesIsReported() {
        scheduler.shutdown();
        assertFalse(timer.atOrBefore(System.nanoTime() + 1_000_000), "the caller fails the request: shutting down");
        assertFalse(timer.atOrBefore(System.nanoTime() + 2_000_000), "and the next one too: nothing stays armed");
    }
}
