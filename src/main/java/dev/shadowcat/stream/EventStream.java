package dev.shadowcat.stream;

import java.util.ArrayDeque;

/**
 * One logical SSE stream of a session (a POST's response stream or the standalone GET stream) that outlives
 * its HTTP connections: events are numbered, the last of them are kept, and a client that reconnects with
 * {@code Last-Event-ID: <stream>-<seq>} gets exactly the events of this stream after {@code seq}, then the live
 * ones; or, if some of those are no longer kept, a refusal ({@link #keepsAfter}), never a silent gap.
 *
 * <p>What is kept is bounded by count ({@code replayEvents}), by bytes ({@code replayBytes}) and by the owner's
 * {@link ByteBudget}: the oldest events go first, and an event that cannot be kept even then is sent live only.
 *
 * <p>Thread-safe: state is guarded by {@code this}; frames are queued under the lock (so they keep their
 * order) and written after it is released.
 */
public final class EventStream {
    private record Event(long seq, byte[] frame) {
    }

    private final int id;
    private final int replay;
    private final long replayBytes;
    private final ByteBudget budget;
    private final boolean prime;
    private final long retryMillis;
    private final StreamStats stats;
    // guarded by this
    private final ArrayDeque<Event> ring = new ArrayDeque<>();
    private long ringBytes;
    private long lostThrough; // highest seq no longer kept (evicted, or never kept)
    private long seq;
    private AsyncWriter writer;
    private boolean completed;
    private boolean discarded;

    /** A stream that keeps nothing for replay (stateless responses). */
    public static EventStream unkept() {
        return new EventStream(0, 0, 0, ByteBudget.UNLIMITED, false, 0, StreamStats.NONE);
    }

    public EventStream(int id, int replay, long replayBytes, ByteBudget budget, boolean prime, long retryMillis,
                       StreamStats stats) {
        this.stats = stats;
        this.id = id;
        this.replay = replay;
        this.replayBytes = replayBytes;
        this.budget = budget;
        this.prime = prime;
        this.retryMillis = retryMillis;
    }

    public int id() {
        return id;
    }

    /** Parses {@code <stream>-<seq>}; returns null if it is not one of ours. */
    public static long[] parseEventId(String lastEventId) {
        if (lastEventId == null) {
            return null;
        }
        int dash = lastEventId.indexOf('-');
        if (dash <= 0) {
            return null;
        }
        try {
            return new long[]{Long.parseLong(lastEventId.substring(0, dash)), Long.parseLong(lastEventId.substring(dash + 1))};
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Sends one JSON-RPC message as an event. */
    public void send(byte[] json) {
        AsyncWriter w;
        synchronized (this) {
            if (completed) {
                return;
            }
            w = appendLocked(json, false);
        }
        if (w != null) {
            w.drain();
        }
    }

    private AsyncWriter appendLocked(byte[] json, boolean priming) {
        long s = ++seq;
        String eventId = id + "-" + s;
        byte[] frame = priming ? SseFrames.priming(eventId, retryMillis) : SseFrames.event(eventId, json);
        keepLocked(s, frame);
        AsyncWriter w = writer;
        if (w != null && !w.enqueue(frame)) {
            if (w.isOpen()) {
                stats.dropped(); // too slow: its queue is full (a connection already gone is not a drop)
            }
            writer = null; // too slow or gone: the events stay in the ring for a resume
            return w;      // draining lets it notice and close
        }
        return w;
    }

    private void keepLocked(long s, byte[] frame) {
        int len = frame.length;
        if (replay <= 0 || discarded || len > replayBytes) {
            lost(s);
            return;
        }
        while (!ring.isEmpty() && (ring.size() >= replay || ringBytes + len > replayBytes)) {
            evictOldestLocked();
        }
        while (!budget.tryReserve(len)) {
            if (ring.isEmpty()) {
                lost(s); // the session's (or the gateway's) buffers are spent: live only
                return;
            }
            evictOldestLocked();
        }
        ring.addLast(new Event(s, frame));
        ringBytes += len;
    }

    private void evictOldestLocked() {
        Event e = ring.pollFirst();
        ringBytes -= e.frame.length;
        budget.release(e.frame.length);
        lost(e.seq);
    }

    private void lost(long s) {
        if (replay > 0 && !discarded) {
            stats.notKept();
        }
        lostThrough = Math.max(lostThrough, s);
    }

    /**
     * Whether a client that saw the events up to {@code afterSeq} can resume: every later event is still kept.
     * A stream that lost some answers a resume with a clear refusal rather than a silent gap.
     */
    public synchronized boolean keepsAfter(long afterSeq) {
        return afterSeq >= lostThrough && afterSeq <= seq;
    }

    /** Forgets the kept events and gives their bytes back (the stream is no longer resumable). Idempotent. */
    public void discard() {
        synchronized (this) {
            discarded = true;
            while (!ring.isEmpty()) {
                evictOldestLocked();
            }
        }
    }

    /** Bytes kept for replay now. */
    public synchronized long keptBytes() {
        return ringBytes;
    }

    /**
     * Attaches a connection. With {@code afterSeq} = -1 only new events are sent (and a priming event, if this
     * stream uses them); otherwise the kept events after it are replayed first. A previous connection is closed.
     */
    public void attach(AsyncWriter w, long afterSeq) {
        AsyncWriter old;
        boolean done;
        synchronized (this) {
            old = writer;
            writer = w;
            if (afterSeq >= 0) {
                int replayed = 0;
                for (Event e : ring) {
                    if (e.seq > afterSeq) {
                        w.enqueue(e.frame);
                        replayed++;
                    }
                }
                stats.replayed(replayed);
            } else if (prime && !completed) {
                appendLocked(null, true);
            }
            done = completed;
        }
        if (old != null && old != w) {
            old.complete();
        }
        if (done) {
            w.complete();
        } else {
            w.drain();
        }
    }

    /**
     * Attaches the first connection of a stream that has none yet, without writing anything: the priming event (if
     * any) is queued, and whoever holds a lock of its own drains {@code w} after releasing it. Events sent before
     * this are queued for the connection too.
     */
    public void attachFirst(AsyncWriter w) {
        synchronized (this) {
            if (writer != null || completed) {
                throw new IllegalStateException("not a fresh stream: " + this);
            }
            writer = w;
            if (prime) {
                appendLocked(null, true);
            }
        }
    }

    /** Forgets {@code w} if it is still the attached connection (it closed). */
    public synchronized void detach(AsyncWriter w) {
        if (writer == w) {
            writer = null;
        }
    }

    public synchronized boolean hasWriter() {
        return writer != null;
    }

    /** No more events: the attached connection completes after writing what it has. */
    public void complete() {
        AsyncWriter w;
        synchronized (this) {
            if (completed) {
                return;
            }
            completed = true;
            w = writer;
        }
        if (w != null) {
            w.complete();
        }
    }

    public synchronized boolean isCompleted() {
        return completed;
    }

    /** Sends a keep-alive comment if a connection is attached. */
    public void keepAlive() {
        AsyncWriter w;
        synchronized (this) {
            w = writer;
            if (w == null || completed) {
                return;
            }
            w.enqueue(SseFrames.KEEP_ALIVE);
        }
        w.drain();
    }

    @Override
    public synchronized String toString() {
        return "EventStream{" + id + " seq=" + seq + " kept=" + ring.size() + "/" + ringBytes + "B"
                + (lostThrough > 0 ? " lostThrough=" + lostThrough : "") + (writer != null ? " attached" : "")
                + (completed ? " completed" : "") + "}";
    }
}
