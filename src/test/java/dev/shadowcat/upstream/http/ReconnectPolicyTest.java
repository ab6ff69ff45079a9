package dev.shadowcat.upstream.http;

import dev.shadowcat.upstream.http.ReconnectPolicy.Failure;
import dev.shadowcat.upstream.http.ReconnectPolicy.Settings;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReconnectPolicyTest {
    private static final double ALMOST_ONE = Math.nextDown(1.0);
    private static final Failure IO = new Failure(-1, null, null);
    private static final Instant NOW = Instant.parse("2025-11-25T12:00:00Z");

    // starts far from zero so that nanoTime-style arithmetic is exercised with large values
    private final AtomicLong clock = new AtomicLong(Long.MAX_VALUE - Duration.ofHours(1).toNanos());
    private final ArrayDeque<Double> randoms = new ArrayDeque<>();
    private double defaultRandom = ALMOST_ONE;

    private ReconnectPolicy policy(Settings s) {
        return new ReconnectPolicy(s, clock::get, () -> randoms.isEmpty() ? defaultRandom : randoms.poll(), () -> NOW);
    }

    private ReconnectPolicy policy() {
        return policy(Settings.defaults());
    }

    private void advanceMillis(long ms) {
        clock.addAndGet(ms * 1_000_000);
    }

    private static long delay(ReconnectPolicy p, Failure f) {
        OptionalLong d = p.nextDelayMillis(f);
        assertTrue(d.isPresent(), "expected a retry for " + f);
        return d.getAsLong();
    }

    @Test
    void defaults() {
        assertEquals(new Settings(Duration.ofMillis(200), 2.0, Duration.ofSeconds(30), Duration.ofMinutes(5)),
                Settings.defaults());
    }

    @Test
    void fullJitter_atTheTop_doublesUpToTheCap() {
        ReconnectPolicy p = policy();
        long[] want = {200, 400, 800, 1600, 3200, 6400, 12800, 25600, 30000, 30000, 30000};
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], delay(p, IO), "attempt " + i);
            assertEquals(i + 1, p.attempts());
        }
    }

    @Test
    void fullJitter_scalesWithTheRandomDraw() {
        defaultRandom = 0.5;
        ReconnectPolicy p = policy();
        long[] want = {100, 200, 400, 800, 1600, 3200, 6400, 12800, 15000, 15000};
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], delay(p, IO), "attempt " + i);
        }
    }

    @Test
    void fullJitter_usesOneDrawPerAttempt() {
        randoms.addAll(List.of(0.0, 0.25, 0.75, 0.1));
        ReconnectPolicy p = policy();
        assertEquals(0, delay(p, IO));
        assertEquals(100, delay(p, IO));
        assertEquals(600, delay(p, IO));
        assertEquals(160, delay(p, IO));
    }

    @Test
    void hugeAttemptCounts_stayAtTheCap() {
        ReconnectPolicy p = policy(new Settings(Duration.ofMillis(200), 10.0, Duration.ofSeconds(30),
                Duration.ofDays(365)));
        for (int i = 0; i < 2000; i++) {
            assertTrue(delay(p, IO) <= 30_000);
        }
        assertEquals(30_000, delay(p, IO));
    }

    @Test
    void goodEvent_resetsTheBackoff() {
        ReconnectPolicy p = policy();
        delay(p, IO);
        delay(p, IO);
        assertEquals(800, delay(p, IO));
        p.onEvent();
        assertEquals(0, p.attempts());
        assertEquals(200, delay(p, IO));
    }

    @Test
    void givesUp_whenElapsedPlusNextDelayExceedsTheWindow() {
        ReconnectPolicy p = policy(new Settings(Duration.ofMillis(200), 2.0, Duration.ofSeconds(30),
                Duration.ofSeconds(10)));
        assertEquals(200, delay(p, IO));
        advanceMillis(9_000);
        assertEquals(400, delay(p, IO), "9000 + 400 fits in 10 s");
        advanceMillis(400);
        assertEquals(OptionalLong.empty(), p.nextDelayMillis(IO), "9400 + 800 does not");
    }

    @Test
    void givesUp_atExactlyTheWindow_butNotBefore() {
        ReconnectPolicy p = policy(new Settings(Duration.ofMillis(200), 2.0, Duration.ofSeconds(30),
                Duration.ofSeconds(10)));
        assertEquals(200, delay(p, IO));
        advanceMillis(9_600);
        assertEquals(400, delay(p, IO), "9600 + 400 is exactly the window");
    }

    @Test
    void goodEvent_restartsTheGiveUpWindow() {
        ReconnectPolicy p = policy(new Settings(Duration.ofMillis(200), 2.0, Duration.ofSeconds(30),
                Duration.ofSeconds(10)));
        delay(p, IO);
        advanceMillis(9_500);
        p.onEvent();
        advanceMillis(60_000); // healthy for a minute; the window starts at the next failure, not at the event
        assertEquals(200, delay(p, IO));
        advanceMillis(9_000);
        assertEquals(400, delay(p, IO));
    }

    @Test
    void clientErrors_giveUpAtOnce() {
        for (int status : List.of(400, 401, 403, 404, 405, 406, 409, 410, 415, 422)) {
            ReconnectPolicy p = policy();
            assertEquals(OptionalLong.empty(), p.nextDelayMillis(new Failure(status, "1", 5L)), "status " + status);
        }
    }

    @Test
    void nonErrorStatuses_giveUpAtOnce() {
        for (int status : List.of(200, 204, 301, 302)) {
            assertEquals(OptionalLong.empty(), policy().nextDelayMillis(new Failure(status, null, null)));
        }
    }

    @Test
    void serverErrors_andIoErrors_areRetried() {
        for (int status : List.of(-1, 500, 502, 503, 504, 599)) {
            ReconnectPolicy p = policy();
            assertEquals(200, delay(p, new Failure(status, null, null)), "status " + status);
            assertEquals(400, delay(p, new Failure(status, null, null)), "status " + status);
        }
    }

    @Test
    void retryAfter_deltaSeconds_isHonouredWithoutJitter() {
        defaultRandom = 0.5;
        for (int status : List.of(408, 429)) {
            ReconnectPolicy p = policy();
            assertEquals(7_000, delay(p, new Failure(status, "7", null)), "status " + status);
            assertEquals(0, delay(p, new Failure(status, " 0 ", null)), "status " + status);
        }
    }

    @Test
    void retryAfter_httpDate_isHonoured() {
        String at = DateTimeFormatter.RFC_1123_DATE_TIME.format(NOW.plusSeconds(42).atOffset(ZoneOffset.UTC));
        assertEquals("Tue, 25 Nov 2025 12:00:42 GMT", at);
        assertEquals(42_000, delay(policy(), new Failure(429, at, null)));
        assertEquals(42_000, delay(policy(), new Failure(408, at, null)));
    }

    @Test
    void retryAfter_httpDateInThePast_meansNow() {
        assertEquals(0, delay(policy(), new Failure(429, "Tue, 25 Nov 2025 11:59:00 GMT", null)));
    }

    @Test
    void retryAfter_isCappedByTheWindow() {
        ReconnectPolicy p = policy();
        assertEquals(300_000, delay(p, new Failure(429, "3600", null)));
        assertEquals(300_000, delay(policy(), new Failure(429, "99999999999999999999999", null)));
        advanceMillis(1);
        assertEquals(OptionalLong.empty(), p.nextDelayMillis(new Failure(429, "3600", null)));
    }

    @Test
    void retryAfter_missingOrUnparseable_fallsBackToBackoff() {
        defaultRandom = 0.5;
        ReconnectPolicy p = policy();
        assertEquals(100, delay(p, new Failure(429, null, null)));
        assertEquals(200, delay(p, new Failure(429, "soon", null)));
        assertEquals(400, delay(p, new Failure(408, "-5", null)));
        assertEquals(800, delay(p, new Failure(408, "", null)));
    }

    @Test
    void retryAfter_onServerErrors_isNotSpecial() {
        defaultRandom = 0.5;
        assertEquals(100, delay(policy(), new Failure(503, "120", null)));
    }

    @Test
    void sseRetryHint_isAFloorUnderTheJitteredBackoff() {
        defaultRandom = 0.5;
        ReconnectPolicy p = policy();
        assertEquals(1000, delay(p, new Failure(-1, null, 1000L)));  // 100 jittered
        assertEquals(1000, delay(p, new Failure(503, null, 1000L))); // 200
        assertEquals(1000, delay(p, new Failure(-1, null, 1000L)));  // 400
        assertEquals(1000, delay(p, new Failure(-1, null, 1000L)));  // 800
        assertEquals(1600, delay(p, new Failure(-1, null, 1000L)));  // 1600 wins
        assertEquals(5000, delay(p, new Failure(429, null, 5000L)));  // no Retry-After: 3200 jittered, hint wins
        assertEquals(5000, delay(p, new Failure(429, "5", 60_000L))); // Retry-After beats the hint
    }

    @Test
    void sseRetryHint_longerThanTheWindow_givesUp() {
        ReconnectPolicy p = policy();
        assertEquals(OptionalLong.empty(), p.nextDelayMillis(new Failure(-1, null, 300_001L)));
    }

    @Test
    void settings_areValidated() {
        assertThrows(IllegalArgumentException.class, () -> new Settings(Duration.ZERO, 2, Duration.ofSeconds(1),
                Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> new Settings(Duration.ofMillis(1), 0.5,
                Duration.ofSeconds(1), Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> new Settings(Duration.ofMillis(1), Double.NaN,
                Duration.ofSeconds(1), Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> new Settings(Duration.ofSeconds(2), 2,
                Duration.ofSeconds(1), Duration.ofSeconds(1)));
    }
}
