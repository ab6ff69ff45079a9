package dev.shadowcat.upstream.http;

import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Reads an upstream {@code text/event-stream} body without blocking: the HTTP client pushes chunks, the
 * parser turns them into events, the listener gets each event, then the next chunk is requested.
 *
 * <p>Thread-safe: chunks arrive serially on the HTTP client's threads; {@link #cancel} and the idle timer may
 * run on any thread. The listener hears exactly one of {@code onEnd} or {@code onBroken}.
 */
final class EventStreamReader implements Flow.Subscriber<List<ByteBuffer>> {
    private static final Logger LOG = Logger.getLogger(EventStreamReader.class.getName());
    static final int MAX_EVENT_BYTES = 16 * 1024 * 1024;
    static final long MAX_DRAIN_BYTES = 64 * 1024;
    /** How long a stream whose response has arrived may take to end before its connection is given up. */
    static final long DRAIN_GRACE_MILLIS = 2_000;

    interface Listener {
        void onEvent(SseParser.Event event);

        /** The server ended the stream cleanly. */
        void onEnd(EventStreamReader reader);

        /** The connection broke, idled out, or the stream was malformed. */
        void onBroken(EventStreamReader reader, String why);
    }

    private final SseParser parser = new SseParser(MAX_EVENT_BYTES);
    private final Listener listener;
    private final ScheduledExecutorService scheduler;
    private final long idleMillis;
    private final AtomicBoolean done = new AtomicBoolean();
    private volatile Flow.Subscription subscription;
    private volatile ScheduledFuture<?> idle;
    private volatile long lastChunkNanos = System.nanoTime();
    /** The caller has what it needs: the rest is read and dropped so the connection can serve the next request. */
    private volatile boolean draining;
    private volatile ScheduledFuture<?> drainLimit;
    private long drainedBytes; // confined to onNext

    /** @param open the owner's set of readers whose body has not ended: this reader is in it until its body ends */
    EventStreamReader(Listener listener, ScheduledExecutorService scheduler, long idleMillis, java.util.Set<EventStreamReader> open) {
        this.listener = listener;
        this.scheduler = scheduler;
        this.idleMillis = idleMillis;
        this.open = open;
        open.add(this);
    }

    private final java.util.Set<EventStreamReader> open;

    /** The body ended (completed, broke or was cancelled): the JDK client may count the request as done. */
    private void bodyEnded() {
        body.complete(null);
        open.remove(this);
    }

    /** The body of the response this reader consumes: complete once the stream ended, broke or was cancelled. */
    private final CompletableFuture<Void> body = new CompletableFuture<>();

    /**
     * The body subscriber to hand the HTTP client. Its body stage completes normally even when the stream breaks:
     * from here on this reader reports the stream's end to its listener, so the {@code sendAsync} future fails
     * only for what happened before the stream existed. Without that, one broken stream reached its binding
     * twice (the listener's onBroken and the future's failure) and was resumed twice: two readers on one call
     * delivered its events out of order, and a standalone stream was reopened twice per break.
     */
    HttpResponse.BodySubscriber<Void> bodySubscriber() {
        CompletableFuture<Void> over = body;
        EventStreamReader self = this;
        return new HttpResponse.BodySubscriber<>() {
            @Override
            public java.util.concurrent.CompletionStage<Void> getBody() {
                return over;
            }

            @Override
            public void onSubscribe(Flow.Subscription s) {
                self.onSubscribe(s);
            }

            @Override
            public void onNext(List<ByteBuffer> item) {
                self.onNext(item);
            }

            @Override
            public void onError(Throwable t) {
                self.onError(t);
                self.bodyEnded();
            }

            @Override
            public void onComplete() {
                self.onComplete();
                self.bodyEnded();
            }
        };
    }

    String lastEventId() {
        return parser.lastEventId();
    }

    Long retryMillis() {
        return parser.retryMillis();
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        this.subscription = s;
        if (done.get()) {
            s.cancel(); // cancelled before the body started: without this the stream would be read forever
            return;
        }
        armIdle();
        s.request(1);
    }

    private void armIdle() {
        try {
            idle = scheduler.schedule(this::checkIdle, idleMillis, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // stopping: no idle watch needed
        }
    }

    private void checkIdle() {
        long quiet = (System.nanoTime() - lastChunkNanos) / 1_000_000;
        if (quiet >= idleMillis) {
            broken("no data for " + quiet + " ms (sseIdleTimeout)");
        } else if (!done.get()) {
            try {
                idle = scheduler.schedule(this::checkIdle, idleMillis - quiet, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // stopping
            }
        }
    }

    @Override
    public void onNext(List<ByteBuffer> chunks) {
        lastChunkNanos = System.nanoTime();
        if (draining) {
            for (ByteBuffer b : chunks) {
                drainedBytes += b.remaining();
            }
            if (drainedBytes > MAX_DRAIN_BYTES) {
                cancel(); // a server that keeps talking after the response: give the connection up
            } else if (!done.get()) {
                subscription.request(1);
            }
            return;
        }
        try {
            for (ByteBuffer b : chunks) {
                byte[] bytes = new byte[b.remaining()];
                b.get(bytes);
                for (SseParser.Event e : parser.feed(bytes, 0, bytes.length)) {
                    if (done.get() || draining) {
                        break;
                    }
                    listener.onEvent(e);
                }
            }
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "event stream failed", e);
            broken("malformed event stream: " + e.getMessage());
            return;
        }
        if (!done.get()) {
            subscription.request(1);
        }
    }

    /**
     * Stops delivering events but keeps reading to the end of the stream (at most {@code graceMillis} and
     * {@link #MAX_DRAIN_BYTES}), so that the HTTP/1.1 connection goes back to the client's pool instead of being
     * closed: a cancelled response body cannot be reused, and opening a connection per call costs more than the
     * call. Servers end a POST's stream right after its response, so the wait is usually one chunk.
     */
    void finish(long graceMillis) {
        if (done.get() || draining) {
            return;
        }
        draining = true;
        stopIdle();
        try {
            drainLimit = scheduler.schedule(this::cancel, graceMillis, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            cancel();
        }
    }

    @Override
    public void onError(Throwable t) {
        broken(t.getClass().getSimpleName() + (t.getMessage() != null ? ": " + t.getMessage() : ""));
    }

    @Override
    public void onComplete() {
        if (done.compareAndSet(false, true)) {
            stopIdle();
            if (draining) {
                cancelDrainLimit();
            } else {
                listener.onEnd(this);
            }
        }
    }

    private void cancelDrainLimit() {
        ScheduledFuture<?> f = drainLimit;
        if (f != null) {
            f.cancel(false);
        }
    }

    private void broken(String why) {
        if (done.compareAndSet(false, true)) {
            stopIdle();
            Flow.Subscription s = subscription;
            if (s != null) {
                s.cancel();
            }
            bodyEnded(); // see cancel()
            if (draining) {
                cancelDrainLimit();
            } else {
                listener.onBroken(this, why);
            }
        }
    }

    /**
     * Stops reading; the listener hears nothing more. The body ends too: the JDK client counts a request as pending
     * until its body completes, and a client with a pending request keeps its selector thread and everything the
     * request reaches (this reader, its listener, the session) alive for good.
     */
    void cancel() {
        if (done.compareAndSet(false, true)) {
            stopIdle();
            cancelDrainLimit();
            Flow.Subscription s = subscription;
            if (s != null) {
                s.cancel();
            }
        }
        bodyEnded();
    }

    private void stopIdle() {
        ScheduledFuture<?> f = idle;
        if (f != null) {
            f.cancel(false);
        }
    }
}
