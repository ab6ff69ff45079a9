package dev.shadowcat.upstream.stdio;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Tells when a freshly started child reads its stdin: one {@code ping} (MCP allows pings before
 * {@code initialize}), done at the first response to it. A result and a JSON-RPC error both count, since
 * either proves the child's read loop runs. It is also done when the child is lost, or when the bound passes
 * (some servers ignore requests before initialize; such a child is then assumed ready).
 *
 * <p>Thread-safe. The state moves once, by CAS, from {@code PROBING} to an outcome; the probe owns its timer
 * and whichever path ends the probe cancels it.
 */
final class ReadinessProbe {
    /** The ping's id: a string, so it never equals an id {@link StdioLink} mints (positive integers). */
    static final String ID_JSON = "\"shadowcat-ready\"";
    static final byte[] PING = ("{\"jsonrpc\":\"2.0\",\"id\":" + ID_JSON + ",\"method\":\"ping\"}")
            .getBytes(StandardCharsets.UTF_8);

    enum State { PROBING, ANSWERED, TIMED_OUT, LOST }

    private final AtomicReference<State> state = new AtomicReference<>(State.PROBING);
    private final CompletableFuture<State> outcome = new CompletableFuture<>();
    private final long startNanos = System.nanoTime();
    private volatile ScheduledFuture<?> timer;
    private volatile String lostReason;

    /** Starts the bound; without a scheduler to enforce it (gateway stopping) the probe ends at once. */
    void arm(Duration bound, ScheduledExecutorService scheduler) {
        try {
            timer = scheduler.schedule(() -> finish(State.TIMED_OUT), bound.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException stopping) {
            finish(State.TIMED_OUT);
            return;
        }
        if (state.get() != State.PROBING) {
            timer.cancel(false); // ended before the timer was stored
        }
    }

    /** Completes with ANSWERED, TIMED_OUT or LOST, once; on the thread that ended the probe. */
    CompletableFuture<State> outcome() {
        return outcome;
    }

    void answered() {
        finish(State.ANSWERED);
    }

    void lost(String reason) {
        lostReason = reason; // written before the CAS that publishes LOST
        finish(State.LOST);
    }

    /** Why the child was lost; meaningful only when the outcome is LOST. */
    String lostReason() {
        return lostReason;
    }

    long elapsedMillis() {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    private void finish(State end) {
        if (!state.compareAndSet(State.PROBING, end)) {
            return;
        }
        ScheduledFuture<?> t = timer;
        if (t != null) {
            t.cancel(false);
        }
        outcome.complete(end);
    }

    @Override
    public String toString() {
        return "ReadinessProbe{" + state.get() + " " + elapsedMillis() + "ms}";
    }
}
