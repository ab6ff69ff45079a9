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
 * @param credentials      a token the gateway obtains for this upstream at the authorization server; null: only
 *                         {@code headers}
 */
public record HttpUpstreamConfig(String name, URI url, Transport transport, Map<String, String> headers,
                                 Duration connectTimeout, Duration requestTimeout, Duration sseIdleTimeout,
                                 boolean http2, int breakerFailures, Duration breakerOpen, Duration pingInterval,
                                 Duration reconnectGiveUp, Credentials credentials) implements UpstreamSpec {

    /**
     * How the gateway obtains this upstream's {@code Authorization: Bearer} token (the client's own never goes
     * upstream): {@code TOKEN_EXCHANGE} (RFC 8693) trades the caller's token for one whose audience is this upstream,
     * per caller; {@code CLIENT_CREDENTIALS} gets one for the gateway's own identity, shared by all callers.
     *
     * @param audience the {@code audience} asked for (the upstream's client id or URI at the authorization server)
     * @param scope    the {@code scope} asked for; null: none named
     * @param resource the RFC 8707 {@code resource} parameter; null: not sent
     */
    public record Credentials(Grant grant, String audience, String scope, String resource) {
        public enum Grant { TOKEN_EXCHANGE, CLIENT_CREDENTIALS }

        /** Whether each caller gets a token of its own (so a session shared between callers cannot carry one). */
        public boolean perCaller() {
            return grant == Grant.TOKEN_EXCHANGE;
        }
    }

    /** The HTTP transport an upstream speaks. */
    public enum Transport { AUTO, STREAMABLE_HTTP, SSE, STATELESS }

    @Override
    public String toString() {
        // header values are credentials: never print them
        return "HttpUpstreamConfig{" + name + " " + url + " " + transport + " headers=" + headers.keySet()
                + (credentials == null ? "" : " credentials=" + credentials.grant()) + "}";
    }
}
