package dev.shadowcat.protocol;

/** JSON-RPC and MCP error codes the gateway produces. */
public final class ErrorCodes {
    public static final int PARSE_ERROR = -32700;
    public static final int INVALID_REQUEST = -32600;
    public static final int METHOD_NOT_FOUND = -32601;
    public static final int INVALID_PARAMS = -32602;
    public static final int INTERNAL_ERROR = -32603;
    /** Same value the MCP SDKs use for a request that timed out. */
    public static final int REQUEST_TIMEOUT = -32001;
    /** The upstream cannot take the request now (pool exhausted, process died, gateway stopping). */
    public static final int UPSTREAM_UNAVAILABLE = -32002;

    /**
     * A rate limit of {@code pipeline.rateLimits} refused the request; {@code data.retryAfterMs} says when to retry.
     * Gateway-specific (JSON-RPC leaves -32000..-32099 to implementations). Alone in a POST, it is HTTP 429.
     */
    public static final int RATE_LIMITED = -32029;

    /** 2026-07-28: an HTTP header does not match the body, or a required one is missing. */
    public static final int HEADER_MISMATCH = -32020;
    /** 2026-07-28: the request needs a client capability it did not declare. */
    public static final int MISSING_CLIENT_CAPABILITY = -32021;
    /** 2026-07-28: the requested protocol version is not supported. */
    public static final int UNSUPPORTED_PROTOCOL_VERSION = -32022;

    private ErrorCodes() {
    }
}
