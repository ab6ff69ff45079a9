package dev.shadowcat.stream;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;

import java.io.IOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * Writes whole frames to one async HTTP response without ever blocking a thread.
 *
 * <p>Thread-safe. Any thread may {@link #enqueue} frames (bounded: a consumer too slow to keep up is
 * disconnected, never buffered without limit); a single drain loop, entered by whoever finds it idle
 * (the producer or the container's {@code onWritePossible}), writes while {@code isReady()} holds.
 * {@link #drain()} must be called after {@link #enqueue} outside any caller lock.
 *
 * <p>The queue is bounded in frames and in bytes, and its bytes count against the owner's {@link ByteBudget}
 * (its session's) until written. A frame is refused when the queue is full or the budget is spent, except that an
 * empty queue always takes one frame: a single large answer must still reach a client that keeps up.
 */
public final class AsyncWriter implements WriteListener, AsyncListener {
    private static final Logger LOG = Logger.getLogger(AsyncWriter.class.getName());

    private final AsyncContext async;
    private final ServletOutputStream out;
    private final ArrayBlockingQueue<byte[]> queue;
    private final long capacityBytes;
    private final ByteBudget budget;
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicInteger wip = new AtomicInteger();
    private final AtomicBoolean ended = new AtomicBoolean();
    private final Consumer<AsyncWriter> onEnd;
    private volatile boolean completing;
    private volatile String failure;
    private boolean needsFlush; // confined to the drain loop

    private AsyncWriter(AsyncContext async, ServletOutputStream out, int capacity, long capacityBytes,
                        ByteBudget budget, Consumer<AsyncWriter> onEnd) {
        this.async = async;
        this.out = out;
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.capacityBytes = capacityBytes;
        this.budget = budget;
        this.onEnd = onEnd;
    }

    /**
     * Takes over the response of {@code async}; headers must be set before. {@code onEnd} runs once when
     * the response is over, whether completed or broken.
     */
    public static AsyncWriter start(AsyncContext async, int capacity, Consumer<AsyncWriter> onEnd) throws IOException {
        return start(async, capacity, Long.MAX_VALUE, ByteBudget.UNLIMITED, onEnd);
    }

    /** As {@link #start(AsyncContext, int, Consumer)}, with the queue also bounded in bytes and charged to {@code budget}. */
    public static AsyncWriter start(AsyncContext async, int capacity, long capacityBytes, ByteBudget budget,
                                    Consumer<AsyncWriter> onEnd) throws IOException {
        ServletOutputStream out = async.getResponse().getOutputStream();
        AsyncWriter w = new AsyncWriter(async, out, capacity, capacityBytes, budget, onEnd);
        async.addListener(w);
        out.setWriteListener(w);
        return w;
    }

    /** Queues a frame; false when the connection is over or its queue is full (it is then closed). */
    public boolean enqueue(byte[] frame) {
        if (ended.get() || completing) {
            return false;
        }
        int len = frame.length;
        long queued = queuedBytes.get();
        if (queued > 0 && queued + len > capacityBytes) {
            failure = "client too slow: " + queued + " bytes queued, limit " + capacityBytes;
            return false;
        }
        if (!budget.tryReserve(len)) {
            if (queued > 0) {
                failure = "client too slow: its session's buffers are full (" + budget + ")";
                return false;
            }
            budget.force(len);
        }
        queuedBytes.addAndGet(len);
        if (!queue.offer(frame)) {
            unqueued(len);
            failure = "client too slow: " + queue.size() + " frames queued";
            return false;
        }
        if (ended.get()) {
            discardQueued(); // lost a race with end(): nothing will write it
        }
        return true;
    }

    private void unqueued(int len) {
        queuedBytes.addAndGet(-len);
        budget.release(len);
    }

    private void discardQueued() {
        byte[] f;
        while ((f = queue.poll()) != null) {
            unqueued(f.length);
        }
    }

    /** Queues and drains. */
    public boolean send(byte[] frame) {
        boolean ok = enqueue(frame);
        drain();
        return ok;
    }

    /** Completes the response after everything queued has been written. */
    public void complete() {
        completing = true;
        drain();
    }

    /** Ends the response now, dropping what is queued. */
    public void abort(String why) {
        failure = why;
        drain();
    }

    public boolean isOpen() {
        return !ended.get();
    }

    public void drain() {
        if (wip.getAndIncrement() != 0) {
            return;
        }
        int missed = 1;
        do {
            if (!ended.get()) {
                drainOnce();
            }
            missed = wip.addAndGet(-missed);
        } while (missed != 0);
    }

    private void drainOnce() {
        try {
            while (true) {
                if (failure != null) {
                    end(failure);
                    return;
                }
                if (!out.isReady()) {
                    return; // onWritePossible will call drain again
                }
                byte[] frame = queue.poll();
                if (frame != null) {
                    try {
                        out.write(frame);
                    } finally {
                        unqueued(frame.length);
                    }
                    needsFlush = true;
                    continue;
                }
                if (needsFlush) {
                    needsFlush = false;
                    out.flush();
                    continue;
                }
                if (completing) {
                    // a producer may have queued its last frame after our poll and then set completing:
                    // completing is volatile and written after that enqueue, so the frame is visible here
                    if (!queue.isEmpty()) {
                        continue;
                    }
                    end(null);
                }
                return;
            }
        } catch (IOException | IllegalStateException e) {
            end("write failed: " + e.getMessage());
        }
    }

    private void end(String why) {
        if (!ended.compareAndSet(false, true)) {
            return;
        }
        discardQueued();
        if (why != null) {
            LOG.fine(() -> "response stream closed: " + why);
        }
        try {
            async.complete();
        } catch (IllegalStateException e) {
            // already completed by the container (client gone)
        }
        onEnd.accept(this);
    }

    @Override
    public void onWritePossible() {
        drain();
    }

    @Override
    public void onError(Throwable t) {
        failure = "write error: " + t;
        drain();
    }

    @Override
    public void onComplete(AsyncEvent event) {
        if (ended.compareAndSet(false, true)) {
            discardQueued();
            onEnd.accept(this);
        }
    }

    @Override
    public void onTimeout(AsyncEvent event) {
        failure = "timed out";
        drain();
    }

    @Override
    public void onError(AsyncEvent event) {
        failure = "client disconnected";
        drain();
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
    }
}
