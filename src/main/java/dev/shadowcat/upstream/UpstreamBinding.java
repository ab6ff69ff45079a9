package dev.shadowcat.upstream;

import dev.shadowcat.protocol.Message;

/** One client session's attachment to its upstream. Thread-safe. */
public interface UpstreamBinding {
    /** Forwards a client request; its end arrives through {@code exchange}. */
    void request(Message request, Exchange exchange);

    /** Forwards a client notification (other than cancellation, which goes to {@link #cancel}). */
    void notify(Message notification);

    /** The client cancelled {@code exchange}: tell the upstream and end the exchange without a response. */
    void cancel(Exchange exchange, String reason);

    /** The session ended: release whatever it held upstream. Idempotent. */
    void close();
}
