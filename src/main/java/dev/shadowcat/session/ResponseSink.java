package dev.shadowcat.session;

/**
 * Where the messages for one client POST go. Implemented by the HTTP layer. Thread-safe.
 */
public interface ResponseSink {
    /** A notification or server→client request related to a request of this POST. */
    void message(byte[] json);

    /** The response to one request of this POST. */
    void response(byte[] json);

    /** One request of this POST ended without a response (the client cancelled it). */
    void cancelled();

    /** The upstream lost the session: answer 404 if nothing was sent yet, else send {@code json} as an event. */
    void sessionLost(byte[] json);
}
