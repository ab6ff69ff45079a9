package dev.shadowcat.web;

import dev.shadowcat.protocol.Errors;

import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;

/**
 * Writes HTTP-level refusals with a JSON-RPC error body (id null), as the MCP transport allows, so that a
 * client and a human both read why. Used before async processing starts (plain blocking write of a small body).
 */
final class HttpErrors {
    private HttpErrors() {
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
