package dev.shadowcat.upstream;

import dev.shadowcat.protocol.Message;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One configured MCP server behind the gateway. Thread-safe.
 */
public interface Upstream {
    String name();

    /**
     * Starts serving a new client session: the client's {@code initialize} request goes through {@code init}.
     * Never blocks; the binding is usable at once (calls made before the upstream is ready wait for it).
     */
    UpstreamBinding open(ClientSession session, Message initialize, Exchange init);

    /**
     * Whether every server→client request reaches the session with the client request it serves as
     * {@code related} (HTTP: it came on that request's stream; shared stdio: one request per child at a time).
     * When false, a request made while several are in flight cannot be attributed.
     */
    default boolean attributesServerRequests() {
        return false;
    }

    /**
     * How many calls may sit waiting for a 2026-07-28 client's input at once without starving other traffic. A
     * waiting call keeps its upstream request open: on stdio that holds a child process (shared mode, or a
     * session of its own in dedicated mode), so the bound leaves one child of the pool free.
     */
    default int waitingCallCapacity() {
        return 1024;
    }

    /** Whether the server speaks only 2026-07-28: a 2026 client's requests then go through as they are. */
    default boolean speaksStateless() {
        return false;
    }

    /** The upstream itself behind any wrapper (the pipeline's); the upstream when it is not wrapped. */
    default Upstream unwrap() {
        return this;
    }

    /** Periodic work on the housekeeper thread: pool upkeep. */
    void maintain();

    /** Numbers for the operations API. */
    Map<String, Object> stats();

    /** Refuses new sessions, ends every process; completes when all have exited. */
    CompletableFuture<Void> shutdown();
}
