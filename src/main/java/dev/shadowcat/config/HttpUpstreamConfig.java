package dev.shadowcat.config;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * One remote MCP server reached over HTTP. Immutable.
 *
 * @param url              the server's MCP endpoint, used verbatim (Streamable HTTP endpoint, or the SSE URL of a
 *                         legacy 2024-11-05 server)
 * @param transport        which HTTP transport to speak; {@code AUTO} tries Streamable HTTP and falls back to
 *                         legacy SSE on 400/404/405, as the spec's backward-compatibility rule says
 * @param headers          extra request headers (credentials for this upstream only; values already resolved)
 * @param http2            use HTTP/2 (h2c upgrade on http://) instead of HTTP/1.1
 * @param breakerFailures  consecutive failures that open the circuit breaker
 * @param breakerOpen      how long the breaker stays open before one probe is let through
 * @param pingInterval     MCP ping to the upstream this often (zero: never)
 * @param reconnectGiveUp  stop resuming a broken event stream after this long without a good event
 */
public record HttpUpstreamConfig(String name, URI url, Transport transport, Map<String, String> headers,
                                 Duration connectTimeout, Duration requestTimeout, Duration sseIdleTimeout,
                                 boolean http2, int breakerFailures, Duration breakerOpen, Duration pingInterval,
                                 Duration reconnectGiveUp) implements UpstreamSpec {

    /** The HTTP transport an upstream speaks. */
    public enum Transport { AUTO, STREAMABLE_HTTP, SSE, STATELESS }

    @Override
    public String toString() {
        // header values are credentials: never print them
        return "HttpUpstreamConfig{" + name + " " + url + " " + transport + " headers=" + headers.keySet() + "}";
    }
}
