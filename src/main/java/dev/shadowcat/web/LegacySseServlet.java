package dev.shadowcat.web;

import dev.shadowcat.session.SessionStore;
import dev.shadowcat.gateway.Gateway;
import dev.shadowcat.protocol.ErrorCodes;
import dev.shadowcat.protocol.Errors;
import dev.shadowcat.protocol.Message;
import dev.shadowcat.protocol.ProtocolException;
import dev.shadowcat.session.ResponseSink;
import dev.shadowcat.session.Session;
import dev.shadowcat.session.SessionRegistry;
import dev.shadowcat.stream.AsyncWriter;
import dev.shadowcat.upstream.Upstream;

import jakarta.inject.Inject;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The legacy HTTP+SSE front door (protocol 2024-11-05) for old clients: {@code GET /sse[/{upstream}]} opens an
 * event stream whose first event, {@code endpoint}, names the URL to POST messages to
 * ({@code /messages?sessionId=…}); every answer travels on that stream.
 *
 * <p>Behind the door it is the same session machinery as {@code /mcp}: one {@link Session} per stream, the
 * same upstream bindings, the same isolation. The URL's session key is a credential: it is 256 random bits and
 * is never logged. The transport has no resumption, so a closed stream ends its session.
 */
@WebServlet(name = "legacy-sse", urlPatterns = {"/sse", "/sse/*", "/messages"}, asyncSupported = true)
public class LegacySseServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = Logger.getLogger(LegacySseServlet.class.getName());
    private static final long INITIALIZE_WITHIN_MS = 30_000;

    @Inject
    transient Gateway gateway;

    @Inject
    transient SessionStore sessions;

    private final transient SecureRandom random = new SecureRandom();
    private final transient Map<String, Connection> connections = new ConcurrentHashMap<>();

    /** One open legacy event stream and, once initialized, its session. */
    private final class Connection implements ResponseSink {
        final String key;
        final Upstream upstream;
        final AsyncWriter writer;
        final String client;
        /** The subject of the caller that opened the stream: only its requests may post to it. */
        final String principal;
        final java.util.Set<String> grants;
        /** The caller's latest bearer token, until the session exists (then the session keeps it). */
        volatile String token;
        /** Set by the first initialize: a second one, even concurrent, is refused. */
        final java.util.concurrent.atomic.AtomicBoolean initialized = new java.util.concurrent.atomic.AtomicBoolean();
        volatile Session session;

        Connection(String key, Upstream upstream, AsyncWriter writer, String client, String principal,
                   java.util.Set<String> grants) {
            this.key = key;
            this.upstream = upstream;
            this.writer = writer;
            this.client = client;
            this.principal = principal;
            this.grants = grants;
        }

        @Override
        public void message(byte[] json) {
            Session s = session;
            if (s != null) {
                s.standalone().send(json);
            }
        }

        @Override
        public void response(byte[] json) {
            message(json);
        }

        @Override
        public void cancelled() {
        }

        @Override
        public void sessionLost(byte[] json) {
            message(json);
            writer.complete();
        }

        void ended() {
            connections.remove(key, this);
            Session s = session;
            if (s != null) {
                sessions.close(s, "the legacy event stream closed");
            }
        }
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        boolean messages = "/messages".equals(req.getServletPath());
        if (messages && "POST".equals(req.getMethod())) {
            post(req, resp);
        } else if (!messages && "GET".equals(req.getMethod())) {
            get(req, resp);
        } else {
            resp.setHeader("Allow", messages ? "POST" : "GET");
            HttpErrors.send(resp, 405, ErrorCodes.INVALID_REQUEST, "Method Not Allowed: the legacy transport takes GET "
                    + req.getContextPath() + "/sse and POST " + req.getContextPath() + "/messages");
        }
    }

    private void get(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String accept = req.getHeader("Accept");
        if (accept != null && !Accept.allows(accept, "text/event-stream")) {
            HttpErrors.send(resp, 406, ErrorCodes.INVALID_REQUEST, "Not Acceptable: GET /sse opens an event stream");
            return;
        }
        String path = req.getPathInfo();
        String name = path == null || path.equals("/") ? null : path.substring(1);
        Upstream u = gateway.upstream(name);
        if (u == null) {
            HttpErrors.send(resp, 404, ErrorCodes.INVALID_REQUEST, "Not Found: no upstream named '" + name + "'");
            return;
        }
        if (connections.size() + sessions.size() >= gateway.config().server().maxSessions()) {
            HttpErrors.send(resp, 503, ErrorCodes.UPSTREAM_UNAVAILABLE, "Service Unavailable: too many sessions");
            return;
        }
        byte[] k = new byte[32];
        random.nextBytes(k);
        String key = Base64.getUrlEncoder().withoutPadding().encodeToString(k);
        McpServlet.sseHeaders(resp);
        AsyncContext async = req.startAsync();
        async.setTimeout(0);
        Connection[] holder = new Connection[1];
        var server = gateway.config().server();
        // bounded in bytes per connection; its session (and so its share of the buffers) exists only after initialize
        AsyncWriter w = AsyncWriter.start(async, server.sseQueueFrames(), server.sseQueueBytes(),
                dev.shadowcat.stream.ByteBudget.UNLIMITED, x -> {
            if (holder[0] != null) {
                holder[0].ended();
            }
        });
        var caller = dev.shadowcat.auth.Caller.of(req);
        Connection c = new Connection(key, u, w, McpServlet.clientKey(req, caller), caller.subject(), caller.grants());
        c.token = dev.shadowcat.auth.Caller.presentedToken(req);
        holder[0] = c;
        connections.put(key, c);
        if (!w.isOpen()) {
            c.ended();
            return;
        }
        String endpoint = req.getContextPath() + "/messages?sessionId=" + key;
        w.send(("event: endpoint\ndata: " + endpoint + "\n\n").getBytes(StandardCharsets.UTF_8));
        try {
            gateway.scheduler().schedule(() -> {
                if (c.session == null && connections.remove(key, c)) {
                    c.writer.complete(); // never initialized: do not hold the stream forever
                }
            }, INITIALIZE_WITHIN_MS, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            c.writer.complete();
        }
    }

    private void post(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String key = req.getParameter("sessionId");
        Connection found = key == null ? null : connections.get(key);
        // another principal's session is answered as an unknown one
        Connection c = found != null && found.principal.equals(dev.shadowcat.auth.Caller.of(req).subject()) ? found : null;
        int limit = gateway.config().server().maxBodyBytes();
        if (c == null) {
            HttpErrors.afterBody(req, resp, limit, 404, ErrorCodes.INVALID_REQUEST, "Not Found: unknown or closed legacy session");
            return;
        }
        String ct = req.getHeader("Content-Type"); // not getContentType(): Jetty throws on a malformed charset
        if (!Accept.isJson(ct)) {
            HttpErrors.afterBody(req, resp, limit, 415, ErrorCodes.INVALID_REQUEST, "Unsupported Media Type: POST bodies must be application/json");
            return;
        }
        if (req.getContentLengthLong() > limit) {
            HttpErrors.afterBody(req, resp, limit, 413, ErrorCodes.INVALID_REQUEST, "Payload Too Large: the body exceeds " + limit + " bytes");
            return;
        }
        String token = dev.shadowcat.auth.Caller.presentedToken(req);
        if (token != null) {
            c.token = token;
            Session s = c.session;
            if (s != null) {
                s.presented(token);
            }
        }
        AsyncContext async = req.startAsync();
        async.setTimeout(0);
        BodyReader.read(async, limit, body -> onMessage(async, c, body), err -> McpServlet.writeAsync(async,
                err instanceof BodyReader.TooLarge ? 413 : 400,
                Errors.response(null, ErrorCodes.INVALID_REQUEST, "could not read the body: " + err.getMessage(), null)));
    }

    private void onMessage(AsyncContext async, Connection c, byte[] body) {
        Message m;
        try {
            m = Message.parse(body);
        } catch (ProtocolException e) {
            McpServlet.writeAsync(async, 400, Errors.response(null, e.code(), e.getMessage(), null));
            return;
        }
        Session s = c.session;
        try {
            if (m.isRequest() && "initialize".equals(m.method())) {
                if (!c.initialized.compareAndSet(false, true)) {
                    McpServlet.writeAsync(async, 400, Errors.response(m.idJson(), ErrorCodes.INVALID_REQUEST,
                            "this session is already initialized", null));
                    return;
                }
                Session created;
                try {
                    created = sessions.create(c.upstream, m, dev.shadowcat.pipeline.FrontDoor.SSE, c.client, c.principal, c.grants);
                } catch (SessionStore.RefusedException e) {
                    c.initialized.set(false); // refused: the client may try again later on this connection
                    throw e;
                }
                created.presented(c.token);
                c.session = created;
                created.standalone().attach(c.writer, Long.MAX_VALUE); // live only: no replay, no priming
                McpServlet.writeAsync(async, 202, null);
                created.open(m, c);
                return;
            }
            if (s == null) {
                McpServlet.writeAsync(async, 400, Errors.response(m.idJson(), ErrorCodes.INVALID_REQUEST,
                        "send initialize first", null));
                return;
            }
            if (m.isRequest() && sessions.isShuttingDown()) {
                HttpErrors.unavailable(async, m.idJson(), "the gateway is shutting down; retry on another instance");
                return;
            }
            McpServlet.writeAsync(async, 202, null);
            s.dispatch(m, c);
        } catch (SessionStore.RefusedException e) {
            HttpErrors.unavailable(async, m.idJson(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "legacy message failed", e);
            McpServlet.writeAsync(async, 500, Errors.response(null, ErrorCodes.INTERNAL_ERROR, "Internal error; the gateway log has the details", null));
        }
    }

    @Override
    public void destroy() {
        for (Connection c : connections.values()) {
            c.writer.complete();
        }
        connections.clear();
    }
}
