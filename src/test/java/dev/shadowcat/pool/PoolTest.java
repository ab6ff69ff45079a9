package dev.shadowcat.pool;

import dev.shadowcat.config.PoolSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PoolTest {
    static final class Res implements Pool.Pooled {
        final int n;
        volatile boolean alive = true;
        volatile boolean retired;

        Res(int n) {
            this.n = n;
        }

        @Override
        public boolean isAlive() {
            return alive && !retired;
        }

        @Override
        public void retire() {
            retired = true;
        }

        @Override
        public String toString() {
            return "Res" + n;
        }
    }

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    // starts far from zero so that nanoTime-style arithmetic is exercised with large values
    private final AtomicLong clock = new AtomicLong(Long.MAX_VALUE - Duration.ofHours(1).toNanos());
    private final AtomicInteger created = new AtomicInteger();
    private final List<Res> all = new ArrayList<>();

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
    }

    private Pool<Res> pool(int max, int minIdle, long acquireMs) {
        PoolSettings s = new PoolSettings(max, minIdle, Duration.ofMillis(acquireMs), Duration.ofSeconds(60),
                Duration.ofSeconds(600), 10);
        return new Pool<>("test", s, () -> {
            Res r = new Res(created.incrementAndGet());
            synchronized (all) {
                all.add(r);
            }
            return CompletableFuture.completedFuture(r);
        }, scheduler, clock::get);
    }

    private static <T> T get(CompletableFuture<T> f) throws Exception {
        return f.get(5, TimeUnit.SECONDS);
    }

    @Test
    void sequentialLeases_reuseOneResource() throws Exception {
        Pool<Res> p = pool(1, 0, 1000);
        for (int i = 0; i < 10; i++) {
            Lease<Res> l = get(p.acquire());
            assertEquals(1, l.resource().n);
            l.release();
        }
        assertEquals(1, created.get());
        assertEquals(9, p.stats().reused());
    }

    @Test
    void idleReuse_isLifo() throws Exception {
        Pool<Res> p = pool(3, 0, 1000);
        Lease<Res> a = get(p.acquire());
        Lease<Res> b = get(p.acquire());
        a.release();
        b.release();
        assertSame(b.resource(), get(p.acquire()).resource());
    }

    @Test
    void returnedResource_goesToTheWaiter_notToANewSpawn() throws Exception {
        Pool<Res> p = pool(1, 0, 5000);
        Lease<Res> first = get(p.acquire());
        CompletableFuture<Lease<Res>> waiting = p.acquire();
        assertFalse(waiting.isDone());
        assertEquals(1, p.stats().waiting());
        first.release();
        Lease<Res> second = get(waiting);
        assertSame(first.resource(), second.resource());
        assertEquals(1, created.get());
    }

    @Test
    void acquireTimeout_failsWithNumbers() {
        Pool<Res> p = pool(1, 0, 50);
        p.acquire();
        ExecutionException e = assertThrows(ExecutionException.class, () -> get(p.acquire()));
        String msg = e.getCause().getMessage();
        assertTrue(msg.contains("total=1") && msg.contains("leased=1") && msg.contains("waiting=0"), msg);
        assertEquals(1, p.stats().acquireTimeouts());
    }

    @Test
    void close_failsPendingAcquiresAtOnce_andRetiresIdle() throws Exception {
        Pool<Res> p = pool(1, 0, 60_000);
        Lease<Res> held = get(p.acquire());
        CompletableFuture<Lease<Res>> waiting = p.acquire();
        p.close();
        ExecutionException e = assertThrows(ExecutionException.class, () -> waiting.get(1, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("closed"));
        held.release();
        assertTrue(held.resource().retired, "a resource returned after close is retired");
        assertThrows(ExecutionException.class, () -> get(p.acquire()));
    }

    @Test
    void deadResource_isNeverHandedOut() throws Exception {
        Pool<Res> p = pool(2, 0, 1000);
        Lease<Res> l = get(p.acquire());
        Res r = l.resource();
        l.release();
        r.alive = false;
        Lease<Res> next = get(p.acquire());
        assertNotSame(r, next.resource());
        assertEquals(1, p.stats().died());
    }

    @Test
    void deadOnReturn_isRetired_andFreesTheSlotForAWaiter() throws Exception {
        Pool<Res> p = pool(1, 0, 5000);
        Lease<Res> l = get(p.acquire());
        CompletableFuture<Lease<Res>> waiting = p.acquire();
        l.resource().alive = false;
        l.release();
        Lease<Res> fresh = get(waiting);
        assertNotSame(l.resource(), fresh.resource());
        assertEquals(2, created.get());
    }

    @Test
    void retire_neverReuses() throws Exception {
        Pool<Res> p = pool(1, 0, 1000);
        Lease<Res> l = get(p.acquire());
        l.retire();
        assertTrue(l.resource().retired);
        assertNotSame(l.resource(), get(p.acquire()).resource());
    }

    @Test
    void doubleRelease_isRejected() throws Exception {
        Pool<Res> p = pool(1, 0, 1000);
        Lease<Res> l = get(p.acquire());
        l.release();
        assertThrows(IllegalStateException.class, l::release);
        assertEquals(0, p.stats().leased());
    }

    @Test
    void maxLifetime_countsFromCreation_notFromLastUse() throws Exception {
        Pool<Res> p = pool(1, 0, 1000);
        Lease<Res> l = get(p.acquire());
        Res r = l.resource();
        l.release();
        clock.addAndGet(Duration.ofSeconds(599).toNanos());
        Lease<Res> again = get(p.acquire());
        assertSame(r, again.resource());
        again.release(); // idle-since resets, age does not
        clock.addAndGet(Duration.ofSeconds(2).toNanos());
        assertNotSame(r, get(p.acquire()).resource());
        assertTrue(r.retired);
    }

    @Test
    void restart_replacesIdleEntriesAtTheNextPass_andLeasedOnesWhenReturned() throws Exception {
        Pool<Res> p = pool(2, 0, 1000);
        Lease<Res> a = get(p.acquire());
        Lease<Res> b = get(p.acquire());
        Res ra = a.resource();
        Res rb = b.resource();
        b.release();
        clock.addAndGet(1);
        p.restart();
        clock.addAndGet(1);
        p.maintain();
        assertTrue(rb.retired, "an idle entry is replaced at the next maintenance pass");
        assertFalse(ra.retired, "a leased one is not disturbed");
        a.release();
        assertTrue(ra.retired, "it is replaced when it comes back");
        Res c = get(p.acquire()).resource();
        assertFalse(c.retired);
        assertNotSame(ra, c);
        assertNotSame(rb, c);
    }

    @Test
    void maintain_keepsMinIdleWarm_andRetiresIdleAboveIt() throws Exception {
        Pool<Res> p = pool(4, 2, 1000);
        p.maintain();
        assertEquals(2, p.stats().idle());
        Lease<Res> a = get(p.acquire());
        Lease<Res> b = get(p.acquire());
        Lease<Res> c = get(p.acquire());
        a.release();
        b.release();
        c.release();
        assertEquals(3, p.stats().idle());
        clock.addAndGet(Duration.ofSeconds(61).toNanos());
        p.maintain();
        assertEquals(2, p.stats().idle(), "idle timeout retires down to minIdle, not below");
    }

    /** Creations the test completes by hand, in the order they were asked for. */
    private final List<CompletableFuture<Res>> creations = new ArrayList<>();

    private Pool<Res> manualPool(int max, int minIdle, long acquireMs) {
        PoolSettings s = new PoolSettings(max, minIdle, Duration.ofMillis(acquireMs), Duration.ofSeconds(60),
                Duration.ofSeconds(600), 10);
        return new Pool<>("manual", s, () -> {
            CompletableFuture<Res> f = new CompletableFuture<>();
            creations.add(f);
            return f;
        }, scheduler, clock::get);
    }

    @Test
    void startingResource_isNeitherIdleNorHandedOut() throws Exception {
        Pool<Res> p = manualPool(2, 1, 1000);
        p.maintain();
        assertEquals(1, p.stats().starting());
        assertEquals(0, p.stats().idle());
        p.maintain();
        assertEquals(1, creations.size(), "a starting resource counts toward minIdle");
        creations.get(0).complete(new Res(1));
        assertEquals(1, p.stats().idle());
        assertEquals(0, p.stats().starting());
        assertEquals(1, get(p.acquire()).resource().n);
    }

    @Test
    void acquirerThatStartedACreation_takesTheFirstResourceReady() throws Exception {
        Pool<Res> p = manualPool(3, 1, 1000);
        p.maintain(); // creation 0: warm, still starting
        CompletableFuture<Lease<Res>> a = p.acquire(); // nothing idle: starts creation 1 and waits
        assertEquals(2, creations.size());
        assertEquals(0, p.stats().waiting(), "its own creation bounds its wait: " + p.stats());
        creations.get(0).complete(new Res(10));
        assertEquals(10, get(a).resource().n, "the warm resource was ready first");
        creations.get(1).complete(new Res(11));
        PoolStats st = p.stats();
        assertEquals(1, st.idle(), "the acquirer's own creation joins the idle stack: " + st);
        assertEquals(2, st.total(), st.toString());
        assertEquals(1, st.leased(), st.toString());
    }

    @Test
    void acquirerThatStartedACreation_takesAReturnedResource() throws Exception {
        Pool<Res> p = manualPool(2, 0, 1000);
        CompletableFuture<Lease<Res>> first = p.acquire();
        creations.get(0).complete(new Res(1));
        CompletableFuture<Lease<Res>> second = p.acquire();
        assertFalse(second.isDone());
        get(first).release();
        assertEquals(1, get(second).resource().n, "the returned resource, not the one still starting");
        creations.get(1).complete(new Res(2));
        assertEquals(1, p.stats().idle());
        assertEquals(0, p.stats().starting());
    }

    @Test
    void failedCreation_ofAnAcquirerServedMeanwhile_failsNobody() throws Exception {
        Pool<Res> p = manualPool(3, 1, 1000);
        p.maintain();
        CompletableFuture<Lease<Res>> a = p.acquire();
        creations.get(0).complete(new Res(10));
        Lease<Res> l = get(a);
        creations.get(1).completeExceptionally(new IllegalStateException("child exited"));
        PoolStats st = p.stats();
        assertEquals(1, st.spawnFailures(), st.toString());
        assertEquals(1, st.total(), st.toString());
        assertFalse(l.isEnded());
    }

    @Test
    void failedCreation_failsItsOwnWaitingAcquirer() {
        Pool<Res> p = manualPool(2, 0, 1000);
        CompletableFuture<Lease<Res>> a = p.acquire();
        creations.get(0).completeExceptionally(new IllegalStateException("child exited"));
        ExecutionException e = assertThrows(ExecutionException.class, () -> get(a));
        assertTrue(e.getCause().getMessage().contains("child exited"), e.getCause().getMessage());
        assertEquals(0, p.stats().total());
    }

    @Test
    void close_failsAnAcquirerWaitingForItsCreationAtOnce_andRetiresWhatStartsLater() {
        Pool<Res> p = manualPool(2, 1, 60_000);
        p.maintain();
        CompletableFuture<Lease<Res>> a = p.acquire();
        p.close();
        ExecutionException e = assertThrows(ExecutionException.class, () -> a.get(1, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("closed"), e.getCause().getMessage());
        Res late = new Res(1);
        creations.get(0).complete(late);
        creations.get(1).completeExceptionally(new IllegalStateException("ended by close"));
        assertTrue(late.retired, "a resource that finishes starting after close is retired");
        PoolStats st = p.stats();
        assertEquals(0, st.total(), st.toString());
        assertEquals(0, st.starting(), st.toString());
    }

    @Test
    void slotFreedWhileCallersWait_startsACreationForTheOldestWithoutADeadline() throws Exception {
        Pool<Res> p = manualPool(1, 0, 50);
        CompletableFuture<Lease<Res>> first = p.acquire();
        creations.get(0).complete(new Res(1));
        CompletableFuture<Lease<Res>> waiting = p.acquire();
        assertEquals(1, p.stats().waiting());
        get(first).retire();
        assertEquals(2, creations.size(), "the freed slot starts a creation for the waiter");
        assertEquals(0, p.stats().waiting(), p.stats().toString());
        Thread.sleep(200); // past the 50 ms acquire timeout: the creation, not the deadline, bounds the wait now
        assertFalse(waiting.isDone(), "not timed out while its creation runs");
        creations.get(1).complete(new Res(2));
        assertEquals(2, get(waiting).resource().n);
        assertEquals(0, p.stats().acquireTimeouts());
    }

    @Test
    void failedCreation_isReported_andFreesItsSlot() throws Exception {
        PoolSettings s = new PoolSettings(1, 0, Duration.ofSeconds(1), Duration.ofSeconds(60), Duration.ofSeconds(600), 10);
        AtomicInteger calls = new AtomicInteger();
        Pool<Res> p = new Pool<>("flaky", s, () -> calls.incrementAndGet() == 1
                ? CompletableFuture.failedFuture(new IllegalStateException("no such command"))
                : CompletableFuture.completedFuture(new Res(9)), scheduler, clock::get);
        ExecutionException e = assertThrows(ExecutionException.class, () -> get(p.acquire()));
        assertTrue(e.getCause().getMessage().contains("no such command"));
        assertEquals(9, get(p.acquire()).resource().n);
    }
}
