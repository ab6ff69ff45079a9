package dev.shadowcat.upstream;

/**
 * One client request on its way through an upstream. Exactly one of the terminal calls happens, once.
 *
 * <p>Implementations are thread-safe: calls arrive on upstream reader threads and the housekeeper.
 */
public interface Exchange {
    /**
     * How an exchange ended. Anything but {@link #REPLIED} means the upstream may still be busy with it.
     * {@link #SESSION_LOST}: the upstream forgot the session; the client gets 404 and must initialize again.
     */
    enum Outcome { REPLIED, FAILED, TIMED_OUT, CANCELLED, SESSION_LOST }

    /** The session the request came from. */
    ClientSession session();

    /** The id (JSON text) the client gave this request, or null when the gateway made it. */
    default String requestIdJson() {
        return null;
    }

    /** Who made the request: the session's principal unless the exchange serves a caller of its own. */
    default String principal() {
        return session().principal();
    }

    /** That caller's roles, groups and scopes (what the authorization stage decides on). */
    default java.util.Set<String> grants() {
        return session().grants();
    }

    /**
     * Whether the gateway made this request for itself (a bridge's handshake, a list fetched to learn headers),
     * not on a client's behalf.
     */
    default boolean gatewayOwn() {
        return false;
    }

    /** The client's own exchange behind any wrappers an upstream adds; sessions match on it. */
    default Exchange origin() {
        return this;
    }

    /**
     * Asked when the request's deadline ({@code timeoutMillis} after it was sent) passes: how much longer to wait
     * instead of timing out. An exchange that is waiting for its client, not for the upstream (a 2026-07-28 call
     * parked on an input-required round), asks for more; 0 lets the timeout happen.
     */
    default long deadlineExtension(long timeoutMillis) {
        return 0;
    }

    /** A notification or server→client request related to this request, already rewritten for the client. */
    void onMessage(byte[] message);

    /**
     * The end: the upstream's response (ids rewritten back) or an error the gateway made.
     * For {@link Outcome#CANCELLED} the response is null: the client asked to stop and expects none.
     */
    void onEnd(byte[] response, Outcome outcome);

    /** An exchange the gateway makes for itself, where only the end matters: related messages are dropped. */
    static Exchange ofEnd(ClientSession session, java.util.function.BiConsumer<byte[], Outcome> onEnd) {
        return new Exchange() {
            @Override
            public ClientSession session() {
                return session;
            }

            @Override
            public boolean gatewayOwn() {
                return true;
            }

            @Override
            public void onMessage(byte[] message) {
            }

            @Override
            public void onEnd(byte[] response, Outcome outcome) {
                onEnd.accept(response, outcome);
            }
        };
    }
}
