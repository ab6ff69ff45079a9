package dev.shadowcat.web;

import dev.shadowcat.session.SessionStore;
import dev.shadowcat.gateway.Gateway;
import dev.shadowcat.protocol.ErrorCodes;
import dev.shadowcat.protocol.Errors;
import dev.shadowcat.protocol.Message;
import dev.shadowcat.protocol.ProtocolException;
import dev.shadowcat.protocol.ProtocolVersions;
import dev.shadowcat.session.ResponseSink;
import dev.shadowcat.session.Session;
import dev.shadowcat.session.SessionRegistry;
import dev.shadowcat.stream.AsyncWriter;
import dev.shadowcat.stream.EventStream;
import dev.shadowcat.upstream.Upstream;

import jakarta.inject.Inject;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The MCP Streamable HTTP endpoint ({@code /mcp}, and {@code /mcp/{upstream}}), revisions 2025-03-26 to
 * 2025-11-25: POST carries client messages, GET opens the standalone event stream (or resumes one with
 * {@code Last-Event-ID}), DELETE ends the session.
 *
 * <p>No container thread ever waits for an upstream: a POST reads its body asynchronously, hands its
 * requests to the session and returns; the upstream's answer completes the response later.
 */
@WebServlet(name = "mcp", urlPatterns = {"/mcp", "/mcp/*"}, asyncSupported = true, loadOnStartup = 1)
public class McpServlet extends HttpServlet {
    /**
     * Messages one POST may batch (2025-03-26 only). Well below {@code server.sseQueueFrames}: the answers of an
     * unbounded batch overran the connection's queue, which dropped the stream and lost answers.
     */
    static final int MAX_BATCH = 100;
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = Logger.getLogger(McpServlet.class.getName());
    static final String SESSION_HEADER = "Mcp-Session-Id";
    static final String VERSION_HEADER = "MCP-Protocol-Version";
    static final String ALLOW = "GET, POST, DELETE";

    @Inject
    transient Gateway gateway;

    @Inject
    transient SessionStore sessions;

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        switch (req.getMethod()) {
            case "POST" -> post(req, resp);
            case "GET" -> get(req, resp);
            case "DELETE" -> delete(req, resp);
            default -> {
                resp.setHeader("Allow", ALLOW);
                HttpErrors.refuse(req, resp, 405, ErrorCodes.INVALID_REQUEST,
                        "Method Not Allowed: the MCP endpoint takes " + ALLOW);
            }
        }
    }

    /** The upstream this path serves, or null after writing a 404. */
    private Upstream upstream(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String path = req.getPathInfo();
        String name = path == null || path.equals("/") ? null : path.substring(1);
        Upstream u = gateway.upstream(name);
        if (u == null) {
            HttpErrors.refuse(req, resp, 404, ErrorCodes.INVALID_REQUEST, "Not Found: no upstream named '" + name
                    + "' (configured: " + gateway.upstreams().keySet() + ")");
        }
        return u;
    }

    /** The session named by the header, or null after writing 400/404. */
    private Session session(HttpServletRequest req, HttpServletResponse resp, Upstream u) throws IOException {
        String id = req.getHeader(SESSION_HEADER);
        if (id == null || id.isEmpty()) {
            HttpErrors.refuse(req, resp, 400, ErrorCodes.INVALID_REQUEST,
                    "Bad Request: the Mcp-Session-Id header is required after initialize");
            return null;
        }
        java.util.Enumeration<String> all = req.getHeaders(SESSION_HEADER);
        all.nextElement();
        if (all.hasMoreElements()) {
            HttpErrors.refuse(req, resp, 400, ErrorCodes.INVALID_REQUEST, "Bad Request: more than one Mcp-Session-Id header");
            return null;
        }
        Session s = sessions.find(id);
        // another principal's session id is answered exactly as an unknown one: no oracle for stolen ids
        if (s == null || s.upstream() != u || !s.belongsTo(dev.shadowcat.auth.Caller.of(req).subject())) {
            HttpErrors.refuse(req, resp, 404, ErrorCodes.INVALID_REQUEST,
                    "Not Found: unknown, expired or deleted session; send a new initialize request");
            return null;
        }
        String v = req.getHeader(VERSION_HEADER);
        if (v != null && !v.equals(s.protocolVersion())) {
            HttpErrors.refuse(req, resp, 400, ErrorCodes.INVALID_REQUEST, "Bad Request: MCP-Protocol-Version '" + v
                    + "' is not the version this session negotiated ('" + s.protocolVersion() + "')");
            return null;
        }
        s.presented(dev.shadowcat.auth.Caller.presentedToken(req));
        return s;
    }

    /** False after writing a 400 when the version header names a revision this gateway does not speak. */
    private static boolean versionHeaderOk(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String v = req.getHeader(VERSION_HEADER);
        if (v != null && !ProtocolVersions.isSupported(v)) {
            HttpErrors.refuse(req, resp, 400, ErrorCodes.INVALID_REQUEST, "Bad Request: unsupported MCP-Protocol-Version '"
                    + v + "' (supported: " + String.join(", ", ProtocolVersions.SUPPORTED) + ")");
            return false;
        }
        return true;
    }

    // ---- POST ----

    private void post(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        int limit = gateway.config().server().maxBodyBytes();
        if (req.getContentLengthLong() > limit) {
            refuseTooLarge(req, resp, limit);
            return;
        }
        if (!Accept.allows(req.getHeader("Accept"), "application/json")
                || !Accept.allows(req.getHeader("Accept"), "text/event-stream")) {
            HttpErrors.refuse(req, resp, 406, ErrorCodes.INVALID_REQUEST,
                    "Not Acceptable: POST requires Accept to list both application/json and text/event-stream");
            return;
        }
        String ct = req.getHeader("Content-Type"); // not getContentType(): Jetty throws on a malformed charset
        if (!Accept.isJson(ct)) {
            HttpErrors.refuse(req, resp, 415, ErrorCodes.INVALID_REQUEST,
                    "Unsupported Media Type: POST bodies must be application/json");
            return;
        }
        if (StatelessEndpoint.claims(req)) {
            Upstream u = upstream(req, resp);
            if (u == null) {
                return;
            }
            AsyncContext async = req.startAsync();
            async.setTimeout(0);
            var server = gateway.config().server();
            BodyReader.read(async, limit, body -> StatelessEndpoint.handle(async, req, gateway.bridge(u, dev.shadowcat.auth.Caller.of(req).subject()), sessions, body, server),
                    err -> writeAsync(async, err instanceof BodyReader.TooLarge ? 413 : 400, Errors.response(null,
                            ErrorCodes.INVALID_REQUEST, "could not read the body: " + err.getMessage(), null)));
            return;
        }
        if (!versionHeaderOk(req, resp)) {
            return;
        }
        Upstream u = upstream(req, resp);
        if (u == null) {
            return;
        }
        String sid = req.getHeader(SESSION_HEADER);
        Session session = null;
        if (sid != null) {
            session = session(req, resp, u);
            if (session == null) {
                return;
            }
        }
        AsyncContext async = req.startAsync();
        async.setTimeout(0); // each request has its own upstream deadline
        Session s = session;
        BodyReader.read(async, limit, body -> onBody(async, u, s, body), err -> {
            HttpServletResponse r = (HttpServletResponse) async.getResponse();
            if (err instanceof BodyReader.TooLarge) {
                writeAsync(async, 413, Errors.response(null, ErrorCodes.INVALID_REQUEST,
                        "Payload Too Large: the body exceeds " + limit + " bytes", null));
            } else {
                LOG.log(Level.FINE, "reading a request body failed", err);
                try {
                    r.setStatus(400);
                } catch (IllegalStateException ignored) {
                    // committed
                }
                async.complete();
            }
        });
    }

    private void onBody(AsyncContext async, Upstream u, Session session, byte[] body) {
        try {
            if (session == null) {
                openSession(async, u, body);
            } else {
                forward(async, session, body);
            }
        } catch (ProtocolException e) {
            writeAsync(async, 400, Errors.response(null, e.code(), e.getMessage(), null));
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "failed to handle a POST", e);
            writeAsync(async, 500, Errors.response(null, ErrorCodes.INTERNAL_ERROR, "Internal error; the gateway log has the details", null));
        }
    }

    private void openSession(AsyncContext async, Upstream u, byte[] body) throws ProtocolException {
        Message m = Message.parse(body);
        if (!m.isRequest() || !"initialize".equals(m.method())) {
            writeAsync(async, 400, Errors.response(null, ErrorCodes.INVALID_REQUEST,
                    "Bad Request: the Mcp-Session-Id header is required after initialize", null));
            return;
        }
        Session s;
        try {
            var caller = dev.shadowcat.auth.Caller.of((HttpServletRequest) async.getRequest());
            s = sessions.create(u, m, dev.shadowcat.pipeline.FrontDoor.MCP, clientKey(async.getRequest(), caller),
                    caller.subject(), caller.grants());
        } catch (SessionStore.RefusedException e) {
            HttpErrors.unavailable(async, m.idJson(), e.getMessage());
            return;
        }
        s.presented(dev.shadowcat.auth.Caller.presentedToken(async.getRequest()));
        s.open(m, new PostResponse(async, s, 1, false, s.id(), gateway.config().server()));
    }

    private void forward(AsyncContext async, Session session, byte[] body) throws ProtocolException {
        List<Message> msgs = Message.parseBody(body, ProtocolVersions.allowsBatch(session.protocolVersion()));
        if (msgs.size() > MAX_BATCH) {
            throw new ProtocolException(ErrorCodes.INVALID_REQUEST, "Invalid Request: a batch of " + msgs.size()
                    + " messages; at most " + MAX_BATCH + " per POST");
        }
        int requests = 0;
        for (Message m : msgs) {
            if (m.isRequest()) {
                if ("initialize".equals(m.method())) {
                    throw new ProtocolException(ErrorCodes.INVALID_REQUEST,
                            "Invalid Request: this session is already initialized; send initialize without Mcp-Session-Id to start a new one");
                }
                requests++;
            }
        }
        if (requests > 0 && sessions.isShuttingDown()) {
            // draining: calls in flight finish, new ones go elsewhere; answers to the server's own requests still pass
            String firstId = null;
            for (Message m : msgs) {
                if (!m.isRequest()) {
                    session.dispatch(m, null);
                } else if (firstId == null) {
                    firstId = m.idJson();
                }
            }
            HttpErrors.unavailable(async, firstId, "the gateway is shutting down; retry on another instance");
            return;
        }
        ResponseSink sink = requests == 0 ? null : new PostResponse(async, session, requests, msgs.size() > 1, null,
                gateway.config().server());
        for (Message m : msgs) {
            session.dispatch(m, sink); // only requests use the sink
        }
        if (sink == null) {
            writeAsync(async, 202, null);
        }
    }

    // ---- GET ----

    /**
     * The checks GET and DELETE share: not a stateless (2026-07-28) request, a supported version header, a known
     * upstream and an open session of it. Returns null after writing the refusal.
     */
    private Session sessionOfStatefulRequest(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (StatelessEndpoint.claims(req)) {
            resp.setHeader("Allow", "POST");
            HttpErrors.send(resp, 405, ErrorCodes.INVALID_REQUEST, StatelessEndpoint.GET_DELETE_REFUSAL);
            return null;
        }
        if (!versionHeaderOk(req, resp)) {
            return null;
        }
        Upstream u = upstream(req, resp);
        return u == null ? null : session(req, resp, u);
    }

    private void get(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!StatelessEndpoint.claims(req) && !Accept.allows(req.getHeader("Accept"), "text/event-stream")) {
            HttpErrors.send(resp, 406, ErrorCodes.INVALID_REQUEST,
                    "Not Acceptable: GET opens an event stream and requires Accept: text/event-stream");
            return;
        }
        Session session = sessionOfStatefulRequest(req, resp);
        if (session == null) {
            return;
        }
        session.touch();
        EventStream stream = session.standalone();
        long after = -1;
        long[] last = EventStream.parseEventId(req.getHeader("Last-Event-ID"));
        if (last != null) {
            EventStream named = session.stream((int) last[0]);
            if (named != null) {
                if (!named.keepsAfter(last[1])) {
                    // never a silent gap: the client learns that it missed events and can start over
                    sessions.streamStats().refusedResume();
                    HttpErrors.send(resp, 410, ErrorCodes.INVALID_REQUEST, "Gone: events after " + last[0] + "-"
                            + last[1] + " are no longer kept (replay buffer bounds: server.replayEvents, "
                            + "server.replayBytes); open a new stream without Last-Event-ID");
                    return;
                }
                stream = named;
                after = last[1];
            }
        }
        if (after < 0 && stream.hasWriter()) {
            HttpErrors.send(resp, 409, ErrorCodes.INVALID_REQUEST,
                    "Conflict: this session already has an open standalone stream");
            return;
        }
        sseHeaders(resp);
        AsyncContext async = req.startAsync();
        async.setTimeout(0);
        EventStream s = stream;
        var server = gateway.config().server();
        AsyncWriter w = AsyncWriter.start(async, server.sseQueueFrames(), server.sseQueueBytes(), session.buffers(), x -> {
            s.detach(x);
            if (s.isCompleted()) {
                session.streamDelivered(s);
            }
        });
        resp.flushBuffer();
        s.attach(w, after);
    }

    // ---- DELETE ----

    private void delete(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        Session session = sessionOfStatefulRequest(req, resp);
        if (session == null) {
            return;
        }
        sessions.close(session, "deleted by the client");
        resp.setStatus(200);
        resp.setContentLength(0);
    }

    /** 413 for a declared body over the limit, after dropping the body (see {@link HttpErrors#afterBody}). */
    private static void refuseTooLarge(HttpServletRequest req, HttpServletResponse resp, int limit) throws IOException {
        HttpErrors.afterBody(req, resp, limit, 413, ErrorCodes.INVALID_REQUEST, "Payload Too Large: the body exceeds " + limit + " bytes");
    }

    // ---- helpers ----

    /** What per-client limits count: the principal when authentication is on, else the remote address. */
    static String clientKey(jakarta.servlet.ServletRequest req, dev.shadowcat.auth.Caller caller) {
        return caller == dev.shadowcat.auth.Caller.ANONYMOUS ? req.getRemoteAddr() : "principal:" + caller.subject();
    }

    static void sseHeaders(HttpServletResponse resp) {
        resp.setStatus(200);
        resp.setContentType("text/event-stream");
        resp.setCharacterEncoding("UTF-8");
        resp.setHeader("Cache-Control", "no-store");
        resp.setHeader("X-Accel-Buffering", "no");
    }

    /** A whole response written without blocking, after async processing started. */
    static void writeAsync(AsyncContext async, int status, byte[] json) {
        HttpServletResponse resp = (HttpServletResponse) async.getResponse();
        try {
            resp.setStatus(status);
            if (json == null) {
                resp.setContentLength(0);
                async.complete();
                return;
            }
            resp.setContentType("application/json");
            resp.setContentLength(json.length);
            AsyncWriter w = AsyncWriter.start(async, 2, x -> { });
            w.enqueue(json);
            w.complete();
        } catch (IOException | IllegalStateException e) {
            try {
                async.complete();
            } catch (IllegalStateException ignored) {
                // already complete
            }
        }
    }
}
