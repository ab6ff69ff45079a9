package dev.shadowcat.upstream.http;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * A circuit breaker for one upstream: after {@code failureThreshold} consecutive failures it fails fast for
 * {@code openFor}, then lets a single probe through and closes again only if the probe succeeds.
 *
 * <p>Thread-safe and lock-free: the whole state is one immutable {@link Snapshot} behind an
 * {@link AtomicReference}, changed only by compareAndSet, so exactly one caller wins each transition.
 *
 * <p>Transitions:
 * <ul>
 * <li>CLOSED: every call is allowed; a failure counts, and the failure that reaches the threshold opens the
 * breaker; a success resets the count.</li>
 * <li>OPEN: calls are refused until {@code openFor} has passed since it opened; then the first caller moves it
 * to HALF_OPEN and becomes the probe.</li>
 * <li>HALF_OPEN: everyone but the probe is refused. The probe's success closes the breaker, its failure
 * re-opens it for another {@code openFor}. A probe that has not reported within {@code openFor} is presumed
 * lost (its caller was cancelled or forgot to report) and the next caller becomes the probe, so a lost probe
 * cannot wedge the breaker.</li>
 * <li>Results that arrive while OPEN come from calls admitted before it opened: a success is ignored, a failure
 * only counts.</li>
 * </ul>
 */
public final class CircuitBreaker {
    public enum State { CLOSED, OPEN, HALF_OPEN }

    /** @param sinceNanos when it opened (OPEN) or when the probe left (HALF_OPEN); unused when CLOSED */
    private record Snapshot(State state, int failures, long sinceNanos) {}

    private static final Snapshot CLOSED_CLEAN = new Snapshot(State.CLOSED, 0, 0);

    private final String name;
    private final int failureThreshold;
    private final long openForNanos;
    private final LongSupplier clock;
    private final AtomicReference<Snapshot> ref = new AtomicReference<>(CLOSED_CLEAN);

    public CircuitBreaker(String name, int failureThreshold, Duration openFor, LongSupplier nanoClock) {
        if (failureThreshold < 1) {
            throw new IllegalArgumentException("failureThreshold must be at least 1: " + failureThreshold);
        }
        if (openFor.isNegative() || openFor.isZero()) {
            throw new IllegalArgumentException("openFor must be positive: " + openFor);
        }
        this.name = Objects.requireNonNull(name, "name");
        this.failureThreshold = failureThreshold;
        this.openForNanos = openFor.toNanos();
        this.clock = Objects.requireNonNull(nanoClock, "nanoClock");
    }

    /** True if the caller may go ahead; a caller let through must report {@link #onSuccess} or {@link #onFailure}. */
    public boolean tryAcquire() {
        while (true) {
            Snapshot s = ref.get();
            if (s.state == State.CLOSED) {
                return true;
            }
            long now = clock.getAsLong();
            if (now - s.sinceNanos < openForNanos) {
                return false;
            }
            if (ref.compareAndSet(s, new Snapshot(State.HALF_OPEN, s.failures, now))) {
                return true;
            }
        }
    }

    public void onSuccess() {
        while (true) {
            Snapshot s = ref.get();
            if (s == CLOSED_CLEAN || s.state == State.OPEN) {
                return;
            }
            if (ref.compareAndSet(s, CLOSED_CLEAN)) {
                return;
            }
        }
    }

    public void onFailure() {
        while (true) {
            Snapshot s = ref.get();
            int failures = s.failures == Integer.MAX_VALUE ? s.failures : s.failures + 1;
            Snapshot next = switch (s.state) {
                case CLOSED -> failures >= failureThreshold
                        ? new Snapshot(State.OPEN, failures, clock.getAsLong())
                        : new Snapshot(State.CLOSED, failures, 0);
                case HALF_OPEN -> new Snapshot(State.OPEN, failures, clock.getAsLong());
                case OPEN -> new Snapshot(State.OPEN, failures, s.sinceNanos);
            };
            if (ref.compareAndSet(s, next)) {
                return;
            }
        }
    }

    /** An operator's hand: opens now, for {@code openFor}, as if the threshold had been reached. */
    public void forceOpen() {
        Snapshot s = ref.get();
        ref.set(new Snapshot(State.OPEN, Math.max(s.failures, failureThreshold), clock.getAsLong()));
    }

    /** An operator's hand: closes now and forgets the failures. */
    public void reset() {
        ref.set(CLOSED_CLEAN);
    }

    /** The current state; OPEN stays OPEN after {@code openFor} until a caller takes the probe. */
    public State state() {
        return ref.get().state;
    }

    public int consecutiveFailures() {
        return ref.get().failures;
    }

    public String name() {
        return name;
    }

    /** A short human-readable account for error messages, e.g. "open for 12.3 s more after 5 consecutive failures". */
    public String describe() {
        Snapshot s = ref.get();
        String after = " after " + s.failures + " consecutive failure" + (s.failures == 1 ? "" : "s");
        return switch (s.state) {
            case CLOSED -> s.failures == 0 ? "closed" : "closed" + after.replace(" after", ",");
            case OPEN -> {
                long left = openForNanos - (clock.getAsLong() - s.sinceNanos);
                yield left > 0
                        ? String.format(Locale.ROOT, "open for %.1f s more%s", left / 1e9, after)
                        : "open, probe due now" + after;
            }
            case HALF_OPEN -> "half-open, probe in flight" + after;
        };
    }

    @Override
    public String toString() {
        return "CircuitBreaker{" + name + ": " + describe() + "}";
    }
}
