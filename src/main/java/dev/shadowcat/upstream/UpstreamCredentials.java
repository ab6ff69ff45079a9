package dev.shadowcat.upstream;

import java.util.concurrent.CompletableFuture;

/**
 * Where an upstream's {@code Authorization} header comes from when it is not a configured constant: a token the
 * gateway obtains for the upstream (never the client's own, which the MCP spec forbids passing on). Thread-safe.
 */
public interface UpstreamCredentials {
    /** No token of the gateway's making: the upstream gets only its configured headers. */
    UpstreamCredentials NONE = session -> null;

    /**
     * The {@code Authorization} value for a request made on behalf of {@code session}, or null for none. Completes at
     * once while a cached token is fresh; never blocks the caller. Fails with a message fit for the client when no
     * token can be had.
     */
    CompletableFuture<String> authorization(ClientSession session);

    /** Numbers for the operations API; empty for none. */
    default java.util.Map<String, Object> stats() {
        return java.util.Map.of();
    }
}
