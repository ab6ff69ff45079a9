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
