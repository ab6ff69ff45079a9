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

    /** Periodic work on the housekeeper thread: pool upkeep. */
    void maintain();

    /** Numbers for the operations API. */
    Map<String, Object> stats();

    /** Refuses new sessions, ends every process; completes when all have exited. */
    CompletableFuture<Void> shutdown();
}
