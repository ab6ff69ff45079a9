package dev.shadowcat.upstream;

import dev.shadowcat.protocol.Message;

/**
 * What an upstream may do to the client session it serves. Thread-safe.
 */
public interface ClientSession {
    /** A short public handle for logs and the operations API; never the secret session id. */
    String handle();

    /** The protocol version negotiated with the client. */
    String protocolVersion();

    /** The authenticated caller's subject; anonymous until authentication is configured. */
    default String principal() {
        return dev.shadowcat.pipeline.CallContext.ANONYMOUS;
    }

    /** The caller's roles, groups and scopes, which the authorization stage decides on; empty while auth is off. */
    default java.util.Set<String> grants() {
        return java.util.Set.of();
    }

    /**
     * The bearer token the client presented last, for an upstream whose token comes from an RFC 8693 exchange of it;
     * null when there is none. Nothing else may read it: it is never sent anywhere but the authorization server,
     * never logged, never shown.
     */
    default String subjectToken() {
        return null;
    }

    /** Where the client's messages enter the gateway. */
    default dev.shadowcat.pipeline.FrontDoor frontDoor() {
        return dev.shadowcat.pipeline.FrontDoor.MCP;
    }

    /**
     * A notification for the client. {@code related} is the exchange it belongs to when known; otherwise the
     * session picks the stream.
     */
    void onUpstreamNotification(byte[] message, Exchange related);

    /** A notification about the server's state (list_changed, resources/updated): the standalone stream. */
    void onUpstreamEvent(byte[] message);

    /**
     * A server→client request (sampling, elicitation, roots). The session gives it a client-facing id and
     * later passes the client's answer to {@code from}.
     */
    void onUpstreamRequest(Message request, UpstreamPeer from, Exchange related);

    /** The session's upstream state is gone (its dedicated process died); the session must end. */
    void onUpstreamLost(String reason);
}
