package dev.shadowcat.web;

import dev.shadowcat.protocol.Message;
import dev.shadowcat.session.ResponseSink;
import dev.shadowcat.stream.StreamOwner;
import dev.shadowcat.stream.AsyncWriter;
import dev.shadowcat.stream.EventStream;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The HTTP response of one POST that carried requests. The first message decides its form: the response
 * itself → one {@code application/json} body; anything before it (progress, logging, a server→client
 * request) → a {@code text/event-stream} that ends after the last response.
 *
 * <p>Thread-safe: the mode switch is guarded by {@code this}; SSE events go through the session's
 * {@link EventStream}, so they survive a dropped connection and can be resumed with {@code Last-Event-ID}.
 * Nothing is written or completed while {@code this} is held: the lock only decides, writes happen after it.
 */
final class PostResponse implements ResponseSink, AsyncListener {
    private static final Logger LOG = Logger.getLogger(PostResponse.class.getName());

    private enum Mode { PENDING, JSON, SSE, GONE }

    private final AsyncContext async;
    private final StreamOwner session;
    private volatile Runnable onClientGone;
    private final String initSessionId;
    private final AsyncWriter writer; // null when the client was gone before the POST was answered
    // guarded by this
    private Mode mode = Mode.PENDING;
    private int outstanding;
    private EventStream stream;

    /**
     * @param expected      how many responses this POST waits for (more than one only for a batch)
     * @param sse           start as an event stream at once (batches)
     * @param initSessionId the new session's id, sent as {@code Mcp-Session-Id} unless initialize fails
     */
    PostResponse(AsyncContext async, StreamOwner session, int expected, boolean sse, String initSessionId,
                 dev.shadowcat.config.ServerSettings server) {
        this.async = async;
        this.session = session;
        this.outstanding = expected;
        this.initSessionId = initSessionId;
        async.addListener(this);
        // The write listener is registered now, on the container thread that is handling the POST: registered later
        // from the upstream's thread, Jetty would dispatch its first onWritePossible to another pool thread
        // (one more thread wake-up per response).
        AsyncWriter w = null;
        try {
            w = AsyncWriter.start(async, Math.max(2, server.sseQueueFrames()), server.sseQueueBytes(), session.buffers(),
                    this::writerEnded);
        } catch (IOException | IllegalStateException e) {
            LOG.log(Level.FINE, "client went away before its response", e);
            synchronized (this) {
                mode = Mode.GONE;
            }
        }
        this.writer = w;
        if (sse) {
            synchronized (this) {
                openStreamLocked();
            }
            if (w != null) {
                w.drain(); // headers and the priming event, if any
            }
        }
    }

    @Override
    public void message(byte[] json) {
        EventStream s;
        synchronized (this) {
            if (mode == Mode.PENDING) {
                openStreamLocked();
            }
            s = stream;
        }
        if (s != null) {
            s.send(json);
        }
    }

    @Override
    public void response(byte[] json) {
        response(json, 200);
    }

    /**
     * A rate-limit refusal that is the whole answer of its POST goes out as HTTP 429 with {@code Retry-After}
     * (seconds, rounded up); in a stream or a batch it stays a JSON-RPC error with {@code data.retryAfterMs}.
     */
    private int statusOf(byte[] json) {
        Message m = Message.trusted(json);
        if (!m.isError()) {
            return 200;
        }
        long code = m.path("error", "code");
        if (code < 0 || !Integer.toString(dev.shadowcat.protocol.ErrorCodes.RATE_LIMITED).equals(m.textAt(code))) {
            return 200;
        }
        long retry = m.path("error", "data", "retryAfterMs");
        long ms = 1000;
        try {
            ms = retry < 0 ? 1000 : Long.parseLong(m.textAt(retry));
        } catch (NumberFormatException e) {
            // keep 1 s
        }
        ((HttpServletResponse) async.getResponse()).setHeader("Retry-After", Long.toString(Math.max(1, (ms + 999) / 1000)));
        return 429;
    }

    /** @param jsonStatus the HTTP status if the response goes out as a plain JSON body (not after an event stream began) */
    void response(byte[] json, int jsonStatus) {
        EventStream s = null;
        boolean last;
        boolean asJson = false;
        synchronized (this) {
            last = --outstanding == 0;
            if (mode == Mode.PENDING && last) {
                mode = Mode.JSON;
                asJson = true;
            } else if (mode == Mode.PENDING) {
                openStreamLocked();
            }
            s = stream;
        }
        if (asJson) {
            writeJson(json, jsonStatus == 200 ? statusOf(json) : jsonStatus);
            return;
        }
        if (s != null) {
            s.send(json);
            if (last) {
                s.complete();
            }
        }
    }

    @Override
    public void cancelled() {
        EventStream s;
        synchronized (this) {
            boolean last = --outstanding == 0;
            if (!last) {
                return;
            }
            if (mode == Mode.PENDING) {
                openStreamLocked(); // an empty event stream: the client expects no response
            }
            s = stream;
        }
        if (s != null) {
            s.complete();
        }
    }

    @Override
    public void sessionLost(byte[] json) {
        boolean as404;
        synchronized (this) {
            as404 = mode == Mode.PENDING && outstanding == 1;
            if (as404) {
                outstanding = 0;
                mode = Mode.JSON;
            }
        }
        if (as404) {
            writeJson(json, 404);
        } else {
            response(json);
        }
    }

    private void writeJson(byte[] json, int status) {
        if (writer == null) {
            return;
        }
        HttpServletResponse resp = (HttpServletResponse) async.getResponse();
        try {
            resp.setStatus(status);
            resp.setContentType("application/json");
            resp.setContentLength(json.length);
            resp.setHeader("Cache-Control", "no-store");
            if (initSessionId != null && !Message.trusted(json).isError()) {
                resp.setHeader(McpServlet.SESSION_HEADER, initSessionId);
            }
            writer.enqueue(json);
            writer.complete();
        } catch (IllegalStateException e) {
            LOG.log(Level.FINE, "client went away before its response", e);
            complete();
        }
    }

    private void openStreamLocked() {
        if (mode == Mode.GONE || writer == null) {
            return;
        }
        mode = Mode.SSE;
        HttpServletResponse resp = (HttpServletResponse) async.getResponse();
        EventStream s = session.newStream();
        stream = s;
        try {
            McpServlet.sseHeaders(resp);
            if (initSessionId != null) {
                resp.setHeader(McpServlet.SESSION_HEADER, initSessionId);
            }
            s.attachFirst(writer); // queued only: the caller's next send, complete or drain writes, outside the lock
        } catch (IllegalStateException e) {
            LOG.log(Level.FINE, "client went away before its event stream opened", e);
        }
    }

    /** The response is over (completed or broken): an event stream lets go of it and may be done. */
    private void writerEnded(AsyncWriter w) {
        EventStream s;
        synchronized (this) {
            s = stream;
        }
        if (s != null) {
            s.detach(w);
            if (s.isCompleted()) {
                session.streamDelivered(s);
            }
        }
    }

    private void complete() {
        try {
            async.complete();
        } catch (IllegalStateException e) {
            // already complete
        }
    }

    // ---- AsyncListener: only matters while nothing has been written yet ----

    /** Runs when the client goes away before its response: for stateless requests that is a cancellation. */
    void onClientGone(Runnable r) {
        this.onClientGone = r;
    }

    private void gone() {
        boolean early;
        synchronized (this) {
            early = outstanding > 0;
            if (mode == Mode.PENDING) {
                mode = Mode.GONE;
            }
        }
        Runnable r = onClientGone;
        if (early && r != null) {
            r.run();
        }
    }

    @Override
    public void onComplete(AsyncEvent event) {
        gone();
    }

    @Override
    public void onTimeout(AsyncEvent event) {
        gone();
        complete();
    }

    @Override
    public void onError(AsyncEvent event) {
        gone();
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
    }
}
