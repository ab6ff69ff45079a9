package dev.shadowcat.web;

import dev.shadowcat.protocol.Errors;

import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;

/**
 * Writes HTTP-level refusals with a JSON-RPC error body (id null), as the MCP transport allows, so that a
 * client and a human both read why. Used before async processing starts (plain blocking write of a small body).
 */
public final class HttpErrors {
    /** What a 503 tells a client to wait: a draining gateway is gone by then, a full one may have room. */
    public static final String RETRY_AFTER_SECONDS = "5";

    private HttpErrors() {
    }

    /** 503 with {@code Retry-After} and a JSON-RPC error for request {@code idJson}, on an async response. */
    static void unavailable(jakarta.servlet.AsyncContext async, String idJson, String why) {
        ((HttpServletResponse) async.getResponse()).setHeader("Retry-After", RETRY_AFTER_SECONDS);
        McpServlet.writeAsync(async, 503, Errors.response(idJson, dev.shadowcat.protocol.ErrorCodes.UPSTREAM_UNAVAILABLE,
                "Service Unavailable: " + why, null));
    }

    /**
     * A refusal on a suspended request, from any thread (an answer that came asynchronously): written without
     * blocking, then the request completes. Its unread body, if any, is the container's to drop.
     */
    public static void refuseAsync(jakarta.servlet.AsyncContext async, int status, int code, String message) {
        ((HttpServletResponse) async.getResponse()).setHeader("Cache-Control", "no-store");
        McpServlet.writeAsync(async, status, Errors.response(null, code, message, null));
    }

    static void send(HttpServletResponse resp, int status, int code, String message) throws IOException {
        byte[] body = Errors.response(null, code, message, null);
        resp.setStatus(status);
        resp.setContentType("application/json");
        resp.setContentLength(body.length);
        resp.setHeader("Cache-Control", "no-store");
        resp.getOutputStream().write(body);
    }

    /**
     * A refusal of a POST whose body the client may still be writing: if the connection closed under it, the
     * client would see a reset (EPIPE) instead of the answer. So a body up to 16 times {@code limit} is read and
     * dropped first, without blocking, and the answer written after it; a larger (or unbounded, chunked) one is
     * answered at once and the connection closed.
     */
    static void afterBody(jakarta.servlet.http.HttpServletRequest req, HttpServletResponse resp, int limit, int status,
                          int code, String message) throws IOException {
        drainThenSend(req, resp, 16L * limit, status, code, message);
    }

    /** Bodies dropped before an early refusal where no limit is at hand: 16 times the default body limit. */
    static final long DEFAULT_DRAIN_BYTES = 64L << 20;

    /** {@link #afterBody} for a refusal that does not depend on the body limit (missing session, bad header). */
    public static void refuse(jakarta.servlet.http.HttpServletRequest req, HttpServletResponse resp, int status, int code,
                              String message) throws IOException {
        drainThenSend(req, resp, DEFAULT_DRAIN_BYTES, status, code, message);
    }

    private static void drainThenSend(jakarta.servlet.http.HttpServletRequest req, HttpServletResponse resp, long drain,
                                      int status, int code, String message) throws IOException {
        long declared = req.getContentLengthLong();
        if (declared == 0) {
            send(resp, status, code, message);
            return;
        }
        if (declared < 0 && req.getHeader("Transfer-Encoding") == null) {
            send(resp, status, code, message); // no body at all
            return;
        }
        if (declared < 0 || declared > drain) {
            resp.setHeader("Connection", "close");
            send(resp, status, code, message);
            return;
        }
        byte[] body = Errors.response(null, code, message, null);
        jakarta.servlet.AsyncContext async = req.startAsync();
        async.setTimeout(30_000);
        jakarta.servlet.ServletInputStream in = req.getInputStream();
        in.setReadListener(new jakarta.servlet.ReadListener() {
            private final byte[] sink = new byte[8192];

            @Override
            public void onDataAvailable() throws IOException {
                while (in.isReady() && in.read(sink) >= 0) {
                    // dropped
                }
            }

            @Override
            public void onAllDataRead() {
                McpServlet.writeAsync(async, status, body);
            }

            @Override
            public void onError(Throwable t) {
                try {
                    async.complete();
                } catch (IllegalStateException ignored) {
                    // already complete
                }
            }
        });
    }
}
