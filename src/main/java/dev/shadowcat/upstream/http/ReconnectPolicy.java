package dev.shadowcat.upstream.http;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Decides when, and whether, to reconnect a broken upstream SSE stream.
 *
 * <p>Thread-safe: every method is synchronized, which costs nothing measurable because one stream's reader
 * is practically the only caller.
 *
 * <p>Rules:
 * <ul>
 * <li>I/O errors and timeouts (status -1) and every 5xx are retried with exponential backoff and full jitter:
 * {@code random × min(cap, base × factor^attempt)} for attempt 0, 1, 2, …; if the stream carried an SSE
 * {@code retry:} hint, the delay is {@code max(hint, jittered backoff)}.</li>
 * <li>408 and 429 are retried too; a Retry-After header (delta-seconds or IMF-fixdate HTTP-date) is then
 * honoured exactly, without jitter, capped at {@code giveUpAfter}. An absent or unparseable Retry-After falls
 * back to the backoff above. The obsolete RFC 850 and asctime date forms count as unparseable.</li>
 * <li>Every other status gives up at once (404, 400, 401, 403, …, and 1xx to 3xx, which cannot be a
 * stream failure the caller should retry).</li>
 * <li>The give-up window starts at the first failure after the last good event: once the time since then
 * plus the next delay would exceed {@code giveUpAfter}, the policy gives up.</li>
 * <li>{@link #onEvent()} resets the attempt count and the window.</li>
 * </ul>
 */
public final class ReconnectPolicy {
    /**
     * @param base        the first backoff ceiling
     * @param factor      growth of the ceiling per attempt, at least 1
     * @param cap         the largest backoff ceiling
     * @param giveUpAfter how long failures may go on, counted from the first one after the last good event
     */
    public record Settings(Duration base, double factor, Duration cap, Duration giveUpAfter) {
        public Settings {
            Objects.requireNonNull(base, "base");
            Objects.requireNonNull(cap, "cap");
            Objects.requireNonNull(giveUpAfter, "giveUpAfter");
            if (base.isNegative() || base.isZero()) {
                throw new IllegalArgumentException("base must be positive: " + base);
            }
            if (!(factor >= 1.0) || Double.isInfinite(factor)) {
                throw new IllegalArgumentException("factor must be finite and at least 1: " + factor);
            }
            if (cap.compareTo(base) < 0) {
                throw new IllegalArgumentException("cap " + cap + " is below base " + base);
            }
            if (giveUpAfter.isNegative()) {
                throw new IllegalArgumentException("giveUpAfter must not be negative: " + giveUpAfter);
            }
        }

        public static Settings defaults() {
            return new Settings(Duration.ofMillis(200), 2.0, Duration.ofSeconds(30), Duration.ofMinutes(5));
        }
    }

    /**
     * Why the last attempt failed.
     *
     * @param status         the HTTP status, or -1 for an I/O error or timeout
     * @param retryAfter     the Retry-After header value, or null
     * @param sseRetryMillis the SSE {@code retry:} hint last seen on the stream, or null
     */
    public record Failure(int status, String retryAfter, Long sseRetryMillis) {}

    private final Settings settings;
    private final LongSupplier nanoClock;
    private final DoubleSupplier random;
    private final Supplier<Instant> wallClock;
    private final double baseMillis;
    private final double capMillis;
    private final long giveUpMillis;

    // guarded by this
    private int attempts;
    private boolean failing;
    private long firstFailureNanos;

    public ReconnectPolicy(Settings settings, LongSupplier nanoClock, DoubleSupplier random,
                           Supplier<Instant> wallClock) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.random = Objects.requireNonNull(random, "random");
        this.wallClock = Objects.requireNonNull(wallClock, "wallClock");
        this.baseMillis = settings.base().toMillis();
        this.capMillis = settings.cap().toMillis();
        this.giveUpMillis = settings.giveUpAfter().toMillis();
    }

    /**
     * Records a failure and returns how long to wait before the next attempt.
     *
     * @return the delay in milliseconds, or empty to give up
     */
    public synchronized OptionalLong nextDelayMillis(Failure f) {
        long now = nanoClock.getAsLong();
        if (!failing) {
            failing = true;
            firstFailureNanos = now;
        }
        int attempt = attempts++;
        int s = f.status();
        long delay;
        if (s == -1 || (s >= 500 && s <= 599)) {
            delay = backoff(attempt, f.sseRetryMillis());
        } else if (s == 408 || s == 429) {
            long honoured = retryAfterMillis(f.retryAfter());
            delay = honoured >= 0 ? Math.min(honoured, giveUpMillis) : backoff(attempt, f.sseRetryMillis());
        } else {
            return OptionalLong.empty();
        }
        long elapsedMillis = (now - firstFailureNanos) / 1_000_000;
        if (elapsedMillis + delay > giveUpMillis) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(delay);
    }

    /** A good event arrived: the stream works again. */
    public synchronized void onEvent() {
        attempts = 0;
        failing = false;
    }

    /** Failures recorded since the last good event. */
    public synchronized int attempts() {
        return attempts;
    }

    private long backoff(int attempt, Long hintMillis) {
        // Math.pow may overflow to infinity; min() then yields the cap
        double ceiling = Math.min(capMillis, baseMillis * Math.pow(settings.factor(), attempt));
        double r = Math.max(0.0, Math.min(1.0, random.getAsDouble()));
        long jittered = Math.round(r * ceiling);
        return hintMillis != null && hintMillis > jittered ? hintMillis : jittered;
    }

    /** The Retry-After delay in milliseconds, or -1 if absent or unparseable. */
    private long retryAfterMillis(String value) {
        if (value == null) {
            return -1;
        }
        String v = value.trim();
        if (v.isEmpty()) {
            return -1;
        }
        if (v.chars().allMatch(c -> c >= '0' && c <= '9')) {
            // anything past 15 digits is far beyond any give-up window
            return v.length() > 15 ? Long.MAX_VALUE : Long.parseLong(v) * 1000;
        }
        try {
            Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            return Math.max(0, Duration.between(wallClock.get(), at).toMillis());
        } catch (DateTimeException | ArithmeticException e) {
            return -1;
        }
    }

    @Override
    public synchronized String toString() {
        return "ReconnectPolicy{attempts=" + attempts + (failing
                ? ", failing for " + (nanoClock.getAsLong() - firstFailureNanos) / 1_000_000 + " ms" : "") + "}";
    }
}
