package dev.shadowcat.session;

import dev.shadowcat.pipeline.FrontDoor;
import dev.shadowcat.protocol.Message;
import dev.shadowcat.upstream.Upstream;

import java.util.Collection;
import java.util.Map;

/**
 * Where the gateway's client sessions live: by secret id, by public handle, with the limits and counters that apply
 * to all of them. {@link SessionRegistry} keeps them in memory; a Redis store for several nodes comes later behind
 * this interface. Thread-safe. Injected as a CDI bean where sessions are used ({@code @Inject SessionStore}).
 */
public interface SessionStore {
    /** Why a new session was refused. */
    final class RefusedException extends Exception {
        private static final long serialVersionUID = 1L;

        RefusedException(String message) {
            super(message, null, false, false);
        }
    }

    /** Registers a new session for {@code initialize}; the caller then starts it with {@link Session#open}. */
    default Session create(Upstream upstream, Message initialize, FrontDoor door, String client) throws RefusedException {
        return create(upstream, initialize, door, client, dev.shadowcat.pipeline.CallContext.ANONYMOUS, java.util.Set.of());
    }

    /**
     * A new session for {@code initialize}, bound to {@code principal} (the caller's subject): a request of another
     * principal that names it is answered as for an unknown session. {@code client} is what per-client limits count
     * (the principal when authentication is on, else the remote address); {@code grants} are the caller's roles,
     * groups and scopes at initialize, which the authorization stage decides on for the session's life.
     */
    Session create(Upstream upstream, Message initialize, FrontDoor door, String client, String principal,
                   java.util.Set<String> grants) throws RefusedException;

    /** The open session with this secret id, or null (unknown, expired or deleted). */
    Session find(String id);

    Session byHandle(String handle);

    /** Ends a session; false if it was already ending. The only way a session ends. */
    boolean close(Session s, String reason);

    Collection<Session> sessions();

    int size();

    /** Client requests waiting for their upstream, 2026-07-28 ones included. */
    long inFlight();

    /** A 2026-07-28 request starts: counted in flight; false (refuse it) while shutting down. */
    boolean enterStateless();

    /** Balances {@link #enterStateless}, once per admitted request. */
    void exitStateless();

    /** Ends the idle session that frees a child of {@code upstream} (see the implementation); true if one ended. */
    boolean reclaimIdle(String upstream);

    /** Housekeeping: closes sessions idle past their timeout. */
    void reapIdle();

    /** Housekeeping: a comment frame on every attached SSE connection. */
    void keepAlive();

    /** From now on new sessions (and 2026-07-28 requests) are refused. */
    void beginShutdown();

    boolean isShuttingDown();

    void closeAll(String reason);

    Map<String, Long> counters();

    /** Replays and drops of the sessions' SSE streams. */
    dev.shadowcat.stream.StreamStats streamStats();

    /** Bytes the sessions' streams keep for replay and queue for slow connections now. */
    long bufferedBytes();

    /** SSE connections attached to the sessions' streams now (computed, so it cannot drift). */
    int openStreams();
}
