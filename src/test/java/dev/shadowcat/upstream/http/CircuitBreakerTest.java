package dev.shadowcat.upstream.http;

import dev.shadowcat.upstream.http.CircuitBreaker.State;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CircuitBreakerTest {
    private static final Duration OPEN_FOR = Duration.ofSeconds(30);

    // starts far from zero so that nanoTime-style arithmetic is exercised with large values
    private final AtomicLong clock = new AtomicLong(Long.MAX_VALUE - Duration.ofSeconds(45).toNanos());
    private final CircuitBreaker breaker = new CircuitBreaker("up", 3, OPEN_FOR, clock::get);

    private void advance(Duration d) {
        clock.addAndGet(d.toNanos());
    }

    private void open() {
        for (int i = 0; i < 3; i++) {
            assertTrue(breaker.tryAcquire());
            breaker.onFailure();
        }
        assertEquals(State.OPEN, breaker.state());
    }

    @Test
    void startsClosed() {
        assertEquals(State.CLOSED, breaker.state());
        assertTrue(breaker.tryAcquire());
        assertEquals(0, breaker.consecutiveFailures());
        assertEquals("closed", breaker.describe());
    }

    @Test
    void opensAfterThresholdConsecutiveFailures() {
        breaker.onFailure();
        breaker.onFailure();
        assertEquals(State.CLOSED, breaker.state());
        assertEquals(2, breaker.consecutiveFailures());
        assertEquals("closed, 2 consecutive failures", breaker.describe());
        breaker.onFailure();
        assertEquals(State.OPEN, breaker.state());
        assertEquals(3, breaker.consecutiveFailures());
    }

    @Test
    void successInClosed_resetsTheCount() {
        breaker.onFailure();
        breaker.onFailure();
        breaker.onSuccess();
        assertEquals(0, breaker.consecutiveFailures());
        breaker.onFailure();
        breaker.onFailure();
        assertEquals(State.CLOSED, breaker.state(), "failures must be consecutive");
    }

    @Test
    void failsFastWhileOpen() {
        open();
        for (int i = 0; i < 10; i++) {
            assertFalse(breaker.tryAcquire());
        }
        advance(OPEN_FOR.minusNanos(1));
        assertFalse(breaker.tryAcquire());
        assertEquals(State.OPEN, breaker.state());
        assertEquals("open for 0.0 s more after 3 consecutive failures", breaker.describe());
    }

    @Test
    void describe_reportsTheTimeLeft() {
        open();
        advance(Duration.ofMillis(17_700));
        assertEquals("open for 12.3 s more after 3 consecutive failures", breaker.describe());
        advance(Duration.ofSeconds(13));
        assertEquals("open, probe due now after 3 consecutive failures", breaker.describe());
    }

    @Test
    void halfOpensAfterOpenFor_withExactlyOneProbe() {
        open();
        advance(OPEN_FOR);
        assertTrue(breaker.tryAcquire());
        assertEquals(State.HALF_OPEN, breaker.state());
        assertEquals("half-open, probe in flight after 3 consecutive failures", breaker.describe());
        for (int i = 0; i < 10; i++) {
            assertFalse(breaker.tryAcquire());
        }
    }

    @Test
    void successfulProbe_closes() {
        open();
        advance(OPEN_FOR);
        assertTrue(breaker.tryAcquire());
        breaker.onSuccess();
        assertEquals(State.CLOSED, breaker.state());
        assertEquals(0, breaker.consecutiveFailures());
        assertTrue(breaker.tryAcquire());
        assertTrue(breaker.tryAcquire());
    }

    @Test
    void failedProbe_reopensForAnotherPeriod() {
        open();
        advance(OPEN_FOR);
        assertTrue(breaker.tryAcquire());
        advance(Duration.ofSeconds(5));
        breaker.onFailure();
        assertEquals(State.OPEN, breaker.state());
        assertEquals(4, breaker.consecutiveFailures());
        advance(OPEN_FOR.minusNanos(1));
        assertFalse(breaker.tryAcquire(), "the new period counts from the failed probe");
        advance(Duration.ofNanos(1));
        assertTrue(breaker.tryAcquire());
        assertEquals(State.HALF_OPEN, breaker.state());
    }

    @Test
    void lostProbe_isReplacedAfterOpenFor() {
        open();
        advance(OPEN_FOR);
        assertTrue(breaker.tryAcquire());
        advance(OPEN_FOR.minusNanos(1));
        assertFalse(breaker.tryAcquire());
        advance(Duration.ofNanos(1));
        assertTrue(breaker.tryAcquire(), "a probe that never reported must not wedge the breaker");
        assertFalse(breaker.tryAcquire());
    }

    @Test
    void lateResultsWhileOpen_doNotClose() {
        open();
        breaker.onSuccess();
        assertEquals(State.OPEN, breaker.state());
        breaker.onFailure();
        assertEquals(State.OPEN, breaker.state());
        assertEquals(4, breaker.consecutiveFailures());
        advance(OPEN_FOR.minusNanos(1));
        assertFalse(breaker.tryAcquire(), "a late failure must not extend the open period");
        advance(Duration.ofNanos(1));
        assertTrue(breaker.tryAcquire());
    }

    @Test
    void thresholdOfOne_opensOnFirstFailure() {
        CircuitBreaker b = new CircuitBreaker("one", 1, OPEN_FOR, clock::get);
        b.onFailure();
        assertEquals(State.OPEN, b.state());
    }

    @Test
    void arguments_areValidated() {
        assertThrows(IllegalArgumentException.class, () -> new CircuitBreaker("x", 0, OPEN_FOR, clock::get));
        assertThrows(IllegalArgumentException.class, () -> new CircuitBreaker("x", 1, Duration.ZERO, clock::get));
    }

    @Test
    void concurrentCallers_getExactlyOneProbe() throws Exception {
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (int round = 0; round < 50; round++) {
                if (round == 0) {
                    open();
                } else {
                    breaker.onFailure(); // the previous round's probe failed
                }
                advance(OPEN_FOR);
                CountDownLatch ready = new CountDownLatch(threads);
                CountDownLatch start = new CountDownLatch(1);
                List<Future<Boolean>> results = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    results.add(pool.submit(() -> {
                        ready.countDown();
                        assertTrue(start.await(10, TimeUnit.SECONDS));
                        return breaker.tryAcquire();
                    }));
                }
                assertTrue(ready.await(10, TimeUnit.SECONDS));
                start.countDown();
                int admitted = 0;
                for (Future<Boolean> f : results) {
                    if (f.get(10, TimeUnit.SECONDS)) {
                        admitted++;
                    }
                }
                assertEquals(1, admitted, "round " + round);
                assertEquals(State.HALF_OPEN, breaker.state());
            }
            breaker.onSuccess();
            assertEquals(State.CLOSED, breaker.state());
        } finally {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        }
    }
}
