package dev.shadowcat.pipeline;

/**
 * One stage of the pipeline. Every frame of every session crosses every stage, in both directions: toward
 * the upstream in assembly order, toward the client in reverse (so the first stage sees a request first and
 * its response last).
 *
 * <p>A stage does exactly one of these with each frame, once: passes it on ({@link Chain#proceed}, possibly
 * rewritten), answers a request itself ({@link Chain#respond}: a mock, or a refusal as a JSON-RPC error; the
 * answer travels back through the stages the request already crossed), or drops a notification by doing
 * neither. It may do so later, from another thread (a delay without a blocked thread); a request must
 * eventually be passed on or answered.
 *
 * <p>Stages are called on I/O threads (Jetty's, the upstream readers'): they must not block, and they must
 * be thread-safe. A CDI bean implementing this interface joins the chain; {@code @jakarta.annotation.Priority}
 * orders it among the built-in stages (lower is nearer the client; see {@link Pipeline}).
 */
public interface Interceptor {
    void intercept(Frame frame, Chain chain);

    /** A stage's view of the rest of the chain for one frame. Each method may be called once in all. */
    interface Chain {
        /** Passes the frame (or its rewrite) to the next stage, or to its destination after the last. */
        void proceed(Frame frame);

        /**
         * Answers a request without passing it on: {@code response} is a JSON-RPC response whose id is the
         * request's. Only for {@link Frame.Kind#REQUEST} frames.
         */
        void respond(byte[] response);
    }
}
