package dev.shadowcat.session;

import dev.shadowcat.protocol.Errors;
import dev.shadowcat.protocol.Message;
import dev.shadowcat.upstream.ClientSession;
import dev.shadowcat.upstream.Exchange;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A client request in flight. The first terminal call wins; later ones are ignored, which is what makes a
 * session close, a timeout and a late response safe to race. Thread-safe.
 */
final class ClientExchange implements Exchange {
    private final Session session;
    private final String clientIdJson;
    private final ResponseSink sink;
    private final boolean initialize;
    private final AtomicBoolean ended = new AtomicBoolean();

    ClientExchange(Session session, String clientIdJson, ResponseSink sink, boolean initialize) {
        this.session = session;
        this.clientIdJson = clientIdJson;
        this.sink = sink;
        this.initialize = initialize;
    }

    @Override
    public String requestIdJson() {
        return clientIdJson;
    }

    String clientIdJson() {
        return clientIdJson;
    }

    @Override
    public ClientSession session() {
        return session;
    }

    @Override
    public void onMessage(byte[] message) {
        if (!deliver(message)) {
            session.standalone().send(message);
        }
    }

    /** Sends a related message on this request's stream; false once the request has ended. */
    boolean deliver(byte[] message) {
        if (ended.get()) {
            return false;
        }
        sink.message(message);
        return true;
    }

    @Override
    public void onEnd(byte[] response, Outcome outcome) {
        if (!ended.compareAndSet(false, true)) {
            return;
        }
        session.ended(this);
        boolean initFailed = false;
        if (initialize) {
            Message m = response == null ? null : Message.trusted(response);
            if (m != null && !m.isError()) {
                session.negotiated(m.string("result", "protocolVersion"));
            } else {
                initFailed = true;
            }
        }
        if (initFailed || outcome == Outcome.SESSION_LOST) {
            session.markLost(); // before the client hears of it: its next request must find no session
        }
        if (response == null) {
            sink.cancelled();
        } else if (outcome == Outcome.SESSION_LOST) {
            sink.sessionLost(asSessionEnded(response));
        } else {
            sink.response(response);
        }
        if (initFailed || outcome == Outcome.SESSION_LOST) {
            session.onUpstreamLost(initFailed ? "initialize failed" : "the upstream ended the session");
        }
    }

    /**
     * Every answer that tells a client its session is gone carries the same code as the 404 for an unknown
     * session (-32600), whichever upstream kind lost it; the message keeps the upstream's reason.
     */
    private byte[] asSessionEnded(byte[] response) {
        Message m = Message.trusted(response);
        return sessionEnded(m.isError() ? m.string("error", "message") : null);
    }

    private byte[] sessionEnded(String why) {
        return Errors.response(clientIdJson, dev.shadowcat.protocol.ErrorCodes.INVALID_REQUEST,
                "Not Found: the session ended" + (why != null ? " (" + why + ")" : "") + "; send a new initialize request", null);
    }

    /**
     * The session ended (or began to) between the client's lookup and this request: the client hears the same 404
     * as for an unknown session. Nothing is lost upstream, so unlike {@link #sessionLost} this ends nothing else.
     */
    void refuseEnded() {
        if (!ended.compareAndSet(false, true)) {
            return;
        }
        session.ended(this);
        sink.sessionLost(sessionEnded(null));
    }

    /** Ends with 404 semantics: the client must start a new session. */
    void sessionLost(String message) {
        onEnd(Errors.response(clientIdJson, dev.shadowcat.protocol.ErrorCodes.UPSTREAM_UNAVAILABLE, message, null),
                Outcome.SESSION_LOST);
    }

    void fail(int code, String message) {
        onEnd(Errors.response(clientIdJson, code, message, null), Outcome.FAILED);
    }
}
