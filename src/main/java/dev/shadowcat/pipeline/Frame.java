package dev.shadowcat.pipeline;

import dev.shadowcat.protocol.Message;
import dev.shadowcat.upstream.Exchange;

/**
 * One JSON-RPC message crossing the pipeline, as bytes. Immutable; the parsed view is read lazily (a frame
 * whose content no stage looks at is never scanned twice).
 *
 * <p>Kinds by direction: toward the upstream a {@link Kind#REQUEST} is a client request, a
 * {@link Kind#NOTIFICATION} a client notification (cancellations included), a {@link Kind#RESPONSE} the
 * client's answer to a server→client request; toward the client a {@link Kind#RESPONSE} ends a client request
 * (its {@link #outcome()} says how), a {@link Kind#NOTIFICATION} is a server notification and a
 * {@link Kind#REQUEST} a server→client request (sampling, elicitation, roots).
 */
public final class Frame {
    public enum Direction { TO_UPSTREAM, TO_CLIENT }

    public enum Kind { REQUEST, NOTIFICATION, RESPONSE }

    private final Direction direction;
    private final Kind kind;
    private final byte[] bytes;
    private final CallContext context;
    private final Exchange.Outcome outcome;
    private final Message request;
    private volatile Message message;

    private Frame(Direction direction, Kind kind, byte[] bytes, Message message, CallContext context,
                  Exchange.Outcome outcome, Message request) {
        this.direction = direction;
        this.kind = kind;
        this.bytes = bytes;
        this.message = message;
        this.context = context;
        this.outcome = outcome;
        this.request = request;
    }

    public static Frame toUpstream(Kind kind, Message message, CallContext context) {
        return new Frame(Direction.TO_UPSTREAM, kind, message.bytes(), message, context, null, null);
    }

    public static Frame toClient(Kind kind, byte[] bytes, CallContext context) {
        return new Frame(Direction.TO_CLIENT, kind, bytes, null, context, null, null);
    }

    public static Frame toClient(Kind kind, Message message, CallContext context) {
        return new Frame(Direction.TO_CLIENT, kind, message.bytes(), message, context, null, null);
    }

    /**
     * The end of the client request {@code request}; {@code bytes} is null only for
     * {@link Exchange.Outcome#CANCELLED}.
     */
    public static Frame end(byte[] bytes, Exchange.Outcome outcome, CallContext context, Message request) {
        return new Frame(Direction.TO_CLIENT, Kind.RESPONSE, bytes, null, context, outcome, request);
    }

    public Direction direction() {
        return direction;
    }

    public Kind kind() {
        return kind;
    }

    /** The message's bytes; null for a cancelled request's end, which has no response. */
    public byte[] bytes() {
        return bytes;
    }

    /** The parsed view, or null when there are no bytes. */
    public Message message() {
        Message m = message;
        if (m == null && bytes != null) {
            m = Message.trusted(bytes);
            message = m;
        }
        return m;
    }

    public CallContext context() {
        return context;
    }

    /** How a client request ended (responses toward the client only), else null. */
    public Exchange.Outcome outcome() {
        return outcome;
    }

    /** For the end of a request: the request as the client sent it. Null for every other frame. */
    public Message request() {
        return request;
    }

    /** Whether this frame ends a client request. */
    public boolean isEnd() {
        return outcome != null;
    }

    /** The same frame with other bytes (a rewrite); the bytes must be one valid JSON-RPC message. */
    public Frame withBytes(byte[] rewritten) {
        return new Frame(direction, kind, rewritten, null, context, outcome, request);
    }

    @Override
    public String toString() {
        return "Frame{" + direction + " " + kind + (outcome != null ? " " + outcome : "") + " "
                + (bytes == null ? 0 : bytes.length) + "B " + context + "}";
    }
}
