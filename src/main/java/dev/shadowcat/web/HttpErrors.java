package dev.shadowcat.web;

import dev.shadowcat.protocol.Errors;

import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;

/**
 * Writes HTTP-level refusals with a JSON-RPC error body (id null), as the MCP transport allows, so that a
 * client and a human both read why. Used before async processing starts (plain blocking write of a small body).
 */
final class HttpErrors {
    /** What a 503 tells a client to wait: a draining gateway is gone by then, a full one may have room. */
    static final String RETRY_AFTER_SECONDS = "5";

    private HttpErrors() {
    }

    /** 503 with {@code Retry-After} and a JSON-RPC error for request {@code idJson}, on an async response. */
    static void unavailable(jakarta.servlet.AsyncContext async, String idJson, String why) {
        ((HttpServletResponse) async.getResponse()).setHeader("Retry-After", RETRY_AFTER_SECONDS);
        McpServlet.writeAsync(async, 503, Errors.response(idJson, dev.shadowcat.protocol.ErrorCodes.UPSTREAM_UNAVAILABLE,
                "Service Unavailable: " + why, null));
    }

    static void send(HttpServletResponse resp, int status, int code, String message) throws IOException {
        byte[] body = Errors.response(null, code, message, null);
        resp.setStatus(status);
        resp.setContentType("application/json");
        resp.setContentLength(body.length);
        resp.setHeader("Cache-Control", "no-store");
        resp.getOutputStream().write(body);
    }
}
