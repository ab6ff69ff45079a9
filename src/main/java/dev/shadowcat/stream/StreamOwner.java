package dev.shadowcat.stream;

/** Whoever keeps the event streams of POST responses: a session (resumable), or nobody (stateless). */
public interface StreamOwner {
    /** A new logical stream for one POST's response. */
    EventStream newStream();

    /** The stream delivered everything; it need not be kept for resumption. */
    void streamDelivered(EventStream s);

    /** What its connections' queues charge: the session's share of the buffers (unbounded for stateless ones). */
    default ByteBudget buffers() {
        return ByteBudget.UNLIMITED;
    }

    /** Streams of stateless requests: not numbered for resumption, not kept. */
    StreamOwner STATELESS = new StreamOwner() {
        @Override
        public EventStream newStream() {
            return EventStream.unkept();
        }

        @Override
        public void streamDelivered(EventStream s) {
        }
    };
}
