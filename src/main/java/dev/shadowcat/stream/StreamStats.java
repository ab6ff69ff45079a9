package dev.shadowcat.stream;

import java.util.concurrent.atomic.LongAdder;

/** Counters of the SSE streams of one gateway: events replayed to resuming clients, slow connections dropped. Thread-safe. */
public final class StreamStats {
    /** For streams nobody counts (stateless responses, tests). */
    public static final StreamStats NONE = new StreamStats();

    private final LongAdder replayed = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final LongAdder notKept = new LongAdder();
    private final LongAdder refusedResumes = new LongAdder();

    void replayed(int events) {
        replayed.add(events);
    }

    void dropped() {
        dropped.increment();
    }

    void notKept() {
        notKept.increment();
    }

    /** A client asked to resume after events that are no longer kept. */
    public void refusedResume() {
        refusedResumes.increment();
    }

    /** Events evicted from, or never kept in, a replay buffer because of its count or byte bounds. */
    public long eventsNotKept() {
        return notKept.sum();
    }

    /** Resumes refused because events after the client's Last-Event-ID were no longer kept. */
    public long refusedResumes() {
        return refusedResumes.sum();
    }

    /** Events sent again to a client that resumed with {@code Last-Event-ID}. */
    public long replayedEvents() {
        return replayed.sum();
    }

    /** Connections closed because their client read too slowly (their events stay resumable). */
    public long droppedSlowReaders() {
        return dropped.sum();
    }
}
