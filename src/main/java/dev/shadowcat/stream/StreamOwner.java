package dev.shadowcat.stream;

/** Whoever keeps the event streams of POST responses: a session (resumable), or nobody (stateless). */
public interface StreamOwner {
    /** A new logical stream for one POST's response. */
    EventStream newStream();

    /** The stream delivered everything; it need not be kept for resumption. */
    void streamDelivered(EventStream s);

    /** Streams of stateless requests: not numbered for resumption, not kept. */
    StreamOwner STATELESS = new StreamOwner() {
        @Override
        public EventStream newStream() {
            return new EventStream(0, 0, false, 0);
        }

        @Override
        public void streamDelivered(EventStream s) {
        }
    };
}
