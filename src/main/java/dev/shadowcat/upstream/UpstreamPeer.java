package dev.shadowcat.upstream;

import dev.shadowcat.protocol.Message;

/** The sender of a server→client request, which takes the client's answer back. Thread-safe. */
public interface UpstreamPeer {
    /** Sends the client's response with its id set back to {@code originalIdJson}. */
    void answer(String originalIdJson, Message clientResponse);

    /** Answers the upstream's request with an error because no client could take it. */
    void refuse(String originalIdJson, int code, String message);
}
