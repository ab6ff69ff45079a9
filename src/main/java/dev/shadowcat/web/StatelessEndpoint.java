package dev.shadowcat.web;

import dev.shadowcat.protocol.ErrorCodes;
import dev.shadowcat.protocol.Errors;
import dev.shadowcat.protocol.HeaderValues;
import dev.shadowcat.protocol.JsonScan;
import dev.shadowcat.protocol.Message;
import dev.shadowcat.protocol.ProtocolException;
import dev.shadowcat.protocol.ProtocolVersions;
import dev.shadowcat.session.SessionStore;
import dev.shadowcat.session.StatelessBridge;
import dev.shadowcat.stream.AsyncWriter;
import dev.shadowcat.stream.ByteBudget;
import dev.shadowcat.stream.EventStream;
import dev.shadowcat.stream.StreamOwner;

import jakarta.json.JsonObject;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The 2026-07-28 (stateless) side of {@code /mcp}: validates a request the way that revision requires, then hands
 * it to the upstream's {@link StatelessBridge}. Checks, in order: the per-request {@code _meta} (-32602), the
 * version (-32022), header against body (-32020), the method (404, -32601), {@code Mcp-Name} (-32020). Every
 * refusal is HTTP 400 (404 for an unknown method) with a JSON-RPC error echoing the request id, which is how
 * 2026 clients tell a modern server from an old one.
 */
final class StatelessEndpoint {
    static final Set<String> METHODS = Set.of("server/discover", "completion/complete", "prompts/get", "prompts/list",
            "resources/list", "resources/templates/list", "resources/read", "subscriptions/listen", "tools/call", "tools/list");
    private static final String PV = "io.modelcontextprotocol/protocolVersion";
    private static final String CAPS = "io.modelcontextprotocol/clientCapabilities";

    private StatelessEndpoint() {
    }

    /** True for requests that belong here: a version header that is not a stateful revision, and no session. */
    static boolean claims(HttpServletRequest req) {
        String v = req.getHeader(McpServlet.VERSION_HEADER);
        return v != null && !ProtocolVersions.isSupported(v) && req.getHeader(McpServlet.SESSION_HEADER) == null;
    }

    static void handle(AsyncContext async, HttpServletRequest req, StatelessBridge bridge, SessionStore sessions,
                       byte[] body, dev.shadowcat.config.ServerSettings server) {
        Message m;
        try {
            m = Message.parse(body);
        } catch (ProtocolException e) {
            McpServlet.writeAsync(async, 400, Errors.response(null, e.code(), e.getMessage(), null));
            return;
        }
        if (m.isNotification()) {
            McpServlet.writeAsync(async, 202, null); // no client notification means anything to a stateless server
            return;
        }
        if (m.isResponse()) {
            McpServlet.writeAsync(async, 400, Errors.response(null, ErrorCodes.INVALID_REQUEST,
                    "Invalid Request: 2026-07-28 clients send no responses", null));
            return;
        }
        String id = m.idJson();
        String bodyVersion = m.paramString("_meta", PV);
        if (bodyVersion == null || m.paramsPath("_meta", CAPS) < 0) {
            McpServlet.writeAsync(async, 400, Errors.response(id, ErrorCodes.INVALID_PARAMS,
                    "Invalid params: every request needs params._meta with " + PV + " and " + CAPS, null));
            return;
        }
        String headerVersion = req.getHeader(McpServlet.VERSION_HEADER);
        if (!ProtocolVersions.V2026_07_28.equals(headerVersion)) {
            String supported = ProtocolVersions.ALL.stream().map(JsonScan::quote).collect(Collectors.joining(","));
            McpServlet.writeAsync(async, 400, Errors.response(id, ErrorCodes.UNSUPPORTED_PROTOCOL_VERSION,
                    "Unsupported protocol version", "{\"supported\":[" + supported + "],\"requested\":" + JsonScan.quote(headerVersion) + "}"));
            return;
        }
        if (!headerVersion.equals(bodyVersion)) {
            mismatch(async, id, "MCP-Protocol-Version header '" + headerVersion + "' does not match body value '" + bodyVersion + "'");
            return;
        }
        String method = HeaderValues.decode(req.getHeader("Mcp-Method"));
        if (method == null || !method.equals(m.method())) {
            mismatch(async, id, "Mcp-Method header " + (method == null ? "is missing" : "'" + method + "' does not match body value '" + m.method() + "'"));
            return;
        }
        if (!METHODS.contains(m.method())) {
            McpServlet.writeAsync(async, 404, Errors.response(id, ErrorCodes.METHOD_NOT_FOUND,
                    "Method not found: " + m.method() + " (not a 2026-07-28 method)", null));
            return;
        }
        String nameField = switch (m.method()) {
            case "tools/call", "prompts/get" -> "name";
            case "resources/read" -> "uri";
            default -> null;
        };
        if (nameField != null) {
            String header = HeaderValues.decode(req.getHeader("Mcp-Name"));
            String value = m.paramString(nameField);
            if (header == null || !header.equals(value)) {
                mismatch(async, id, "Mcp-Name header " + (header == null ? "is missing" : "'" + header + "' does not match body value '" + value + "'"));
                return;
            }
        }
        dispatch(async, bridge, sessions, m, server);
    }

    private static void dispatch(AsyncContext async, StatelessBridge bridge, SessionStore sessions, Message m,
                                 dev.shadowcat.config.ServerSettings server) {
        switch (m.method()) {
            case "server/discover" -> {
                PostResponse r = new PostResponse(async, StreamOwner.STATELESS, 1, false, null, server);
                bridge.discover(m, sink(r));
            }
            case "subscriptions/listen" -> listen(async, bridge, m, server);
            default -> {
                // counted in flight like a session's request, so that shutdown waits for it; refused while draining
                if (!sessions.enterStateless()) {
                    HttpErrors.unavailable(async, m.idJson(), "the gateway is shutting down; retry on another instance");
                    return;
                }
                java.util.concurrent.atomic.AtomicBoolean counted = new java.util.concurrent.atomic.AtomicBoolean(true);
                Runnable exit = () -> {
                    if (counted.compareAndSet(true, false)) {
                        sessions.exitStateless();
                    }
                };
                PostResponse r = new PostResponse(async, StreamOwner.STATELESS, 1, false, null, server);
                StatelessBridge.Sink out = sink(r);
                var caller = dev.shadowcat.auth.Caller.of((jakarta.servlet.http.HttpServletRequest) async.getRequest());
                bridge.presented(dev.shadowcat.auth.Caller.presentedToken(async.getRequest()));
                Runnable cancel = bridge.request(m, caller.subject(), caller.grants(), new StatelessBridge.Sink() {
                    @Override
                    public void message(byte[] json) {
                        out.message(json);
                    }

                    @Override
                    public void response(byte[] json, int status) {
                        exit.run();
                        out.response(json, status);
                    }
                });
                r.onClientGone(() -> { // 2026-07-28: closing the response stream cancels the request
                    exit.run();
                    cancel.run();
                });
            }
        }
    }

    private static StatelessBridge.Sink sink(PostResponse r) {
        return new StatelessBridge.Sink() {
            @Override
            public void message(byte[] json) {
                r.message(json);
            }

            @Override
            public void response(byte[] json, int status) {
                r.response(json, status);
            }
        };
    }

    private static void listen(AsyncContext async, StatelessBridge bridge, Message m,
                               dev.shadowcat.config.ServerSettings server) {
        JsonObject filter;
        long span = m.paramsPath("notifications");
        try (var reader = dev.shadowcat.protocol.JsonP.PROVIDER.createReader(new StringReader(span < 0 ? "{}" : m.textAt(span)))) {
            filter = reader.readObject();
        } catch (RuntimeException e) {
            McpServlet.writeAsync(async, 400, Errors.response(m.idJson(), ErrorCodes.INVALID_PARAMS,
                    "Invalid params: params.notifications must be an object", null));
            return;
        }
        HttpServletResponse resp = (HttpServletResponse) async.getResponse();
        McpServlet.sseHeaders(resp);
        EventStream stream = EventStream.unkept();
        try {
            AsyncWriter w = AsyncWriter.start(async, server.sseQueueFrames(), server.sseQueueBytes(), ByteBudget.UNLIMITED,
                    x -> bridge.unlisten(stream));
            stream.attach(w, Long.MAX_VALUE);
        } catch (java.io.IOException e) {
            return;
        }
        bridge.listen(m, filter, stream);
    }

    private static void mismatch(AsyncContext async, String id, String what) {
        McpServlet.writeAsync(async, 400, Errors.response(id, ErrorCodes.HEADER_MISMATCH, "Header mismatch: " + what, null));
    }

    static final String GET_DELETE_REFUSAL = "Method Not Allowed: 2026-07-28 has no standalone stream and no sessions; send POST";
}
