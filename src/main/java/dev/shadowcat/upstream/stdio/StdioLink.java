package dev.shadowcat.upstream.stdio;

import dev.shadowcat.concurrent.CyclicTimer;
import dev.shadowcat.protocol.ErrorCodes;
import dev.shadowcat.protocol.Errors;
import dev.shadowcat.protocol.JsonScan;
import dev.shadowcat.protocol.Message;
import dev.shadowcat.protocol.ProtocolException;
import dev.shadowcat.pool.Pool;
import dev.shadowcat.upstream.ClientSession;
import dev.shadowcat.upstream.Exchange;
import dev.shadowcat.upstream.UpstreamPeer;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * The JSON-RPC relay over one child process.
 *
 * <p>Thread-safe. Requests are sent with ids this link mints ({@code 1, 2, 3…}); a progress token in the
 * request's {@code _meta} is replaced by the same number, so progress notifications find their request
 * without trusting any client-chosen value. {@link #pending} is the single place a request ends: whoever
 * removes the entry (response, deadline, cancel, process death) completes the exchange.
 */
final class StdioLink implements Pool.Pooled, ChildProcess.Listener, UpstreamPeer {
    private static final Logger LOG = Logger.getLogger(StdioLink.class.getName());

    /**
     * @param deadlineNanos when the request times out ({@link System#nanoTime})
     * @param stdinEnd      the child's stdin offset after this request (-1 until written): answering it proves it read that far
     */
    private record Pending(Exchange exchange, String method, String clientIdJson, String clientTokenJson,
                           long deadlineNanos, long stdinEnd) {
        Pending withDeadline(long d) {
            return new Pending(exchange, method, clientIdJson, clientTokenJson, d, stdinEnd);
        }

        Pending withStdinEnd(long end) {
            return new Pending(exchange, method, clientIdJson, clientTokenJson, deadlineNanos, end);
        }

    }

    private final StdioUpstream upstream;
    private final AtomicLong nextId = new AtomicLong();
    private final AtomicLong served = new AtomicLong();
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    /** The requests' timeouts: one wake-up for all of them, not a scheduled task per request. */
    private final CyclicTimer deadlines;
    private volatile ChildProcess process;
    private volatile boolean lost;
    private volatile ReadinessProbe readiness;

    /** Dedicated mode: the one session this child serves. */
    volatile ClientSession owner;
    /** Shared mode: the exchange that currently holds the lease, which owns unsolicited messages. */
    volatile Exchange current;

    StdioLink(StdioUpstream upstream) {
        this.upstream = upstream;
        this.deadlines = new CyclicTimer(upstream.scheduler(), System::nanoTime, this::expireDue);
    }

    void attach(ChildProcess p) {
        this.process = p;
    }

    ChildProcess process() {
        return process;
    }

    @Override
    public boolean isAlive() {
        ChildProcess p = process;
        return !lost && p != null && p.isAlive();
    }

    @Override
    public void retire() {
        ChildProcess p = process;
        if (p != null) {
            upstream.terminate(this, p);
        }
    }

    StdioUpstream upstream() {
        return upstream;
    }

    /**
     * Pings the freshly started child, outside the id sequence of {@link #send}; the probe's outcome tells
     * when it reads its stdin. Its answer is consumed here and never reaches a client.
     */
    ReadinessProbe probeReadiness(java.time.Duration bound) {
        ReadinessProbe probe = new ReadinessProbe();
        readiness = probe;
        // after publishing the probe: a child lost before this point is seen here, a later loss by onClosed
        if (!isAlive() || process.send(ReadinessProbe.PING) < 0) {
            probe.lost("upstream '" + upstream.name() + "' ended while starting");
        } else {
            probe.arm(bound, upstream.scheduler());
        }
        return probe;
    }

    /** Sends a request; returns its upstream id, or -1 after ending the exchange with an error. */
    long send(Message request, Exchange ex) {
        long id = nextId.incrementAndGet();
        String upId = Long.toString(id);
        long tokenSpan = request.paramsPath("_meta", "progressToken");
        String clientToken = tokenSpan >= 0 ? request.textAt(tokenSpan) : null;
        long deadline = System.nanoTime() + upstream.config().requestTimeout().toNanos();
        pending.put(id, new Pending(ex, request.method(), request.idJson(), clientToken, deadline, -1));
        if (!deadlines.atOrBefore(deadline)) {
            if (pending.remove(id) != null) {
                ex.onEnd(Errors.response(request.idJson(), ErrorCodes.UPSTREAM_UNAVAILABLE, "the gateway is shutting down", null),
                        Exchange.Outcome.FAILED);
            }
            return -1;
        }
        byte[] out = request.rewrite(upId, tokenSpan, upId);
        long end = isAlive() ? process.send(out) : -1;
        if (end >= 0) {
            pending.computeIfPresent(id, (k, p) -> p.withStdinEnd(end)); // absent: answered already, nothing to learn
        } else {
            Pending p = pending.remove(id);
            if (p != null) {
                String why = isAlive() ? "is overloaded (stdin queue full)" : "is not running";
                p.exchange.onEnd(Errors.response(p.clientIdJson, ErrorCodes.UPSTREAM_UNAVAILABLE,
                        "upstream '" + upstream.name() + "' " + why, null), Exchange.Outcome.FAILED);
            }
            return -1;
        }
        return id;
    }

    /** Sends a request the gateway itself makes; the future completes with the raw response. */
    CompletableFuture<Message> call(String method, String paramsJson) {
        CompletableFuture<Message> f = new CompletableFuture<>();
        Exchange internal = Exchange.ofEnd(null, (response, outcome) -> f.complete(Message.trusted(response)));
        byte[] req = ("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":" + JsonScan.quote(method) + ",\"params\":"
                + paramsJson + "}").getBytes(StandardCharsets.UTF_8);
        send(Message.trusted(req), internal);
        return f;
    }

    /** Forwards a client notification unchanged. */
    void notifyUpstream(byte[] notification) {
        ChildProcess p = process;
        if (p != null) {
            p.send(notification);
        }
    }

    /** The client cancelled: forget the request and tell the child, with the child's id for it. */
    void cancel(long upstreamId, String reason) {
        Pending p = pending.remove(upstreamId);
        if (p == null) {
            return;
        }
        sendCancelled(upstreamId, reason);
        p.exchange.onEnd(null, Exchange.Outcome.CANCELLED);
    }

    /** The timer's sweep: times out (or extends) the requests that are due; returns the earliest deadline left. */
    private long expireDue(long now) {
        long next = Long.MAX_VALUE;
        for (Map.Entry<Long, Pending> e : pending.entrySet()) {
            Pending p = e.getValue();
            long d = p.deadlineNanos - now > 0 ? p.deadlineNanos : expire(e.getKey(), p, now);
            if (d != Long.MAX_VALUE && (next == Long.MAX_VALUE || d - next < 0)) {
                next = d;
            }
        }
        return next;
    }

    /**
     * A request past its deadline: its new deadline if the exchange asks for more time, else it ends. Returns the
     * deadline to wake for, {@link Long#MAX_VALUE} once the entry is gone (ended here, or by someone else).
     */
    private long expire(long id, Pending p, long now) {
        long ms = upstream.config().requestTimeout().toMillis();
        while (true) {
            long more = p.exchange.deadlineExtension(ms);
            if (more > 0) {
                Pending extended = p.withDeadline(now + TimeUnit.MILLISECONDS.toNanos(more));
                if (pending.replace(id, p, extended)) {
                    return extended.deadlineNanos;
                }
            } else if (pending.remove(id, p)) {
                break;
            }
            p = pending.get(id); // replaced meanwhile (its stdin offset recorded): judge the current entry
            if (p == null) {
                return Long.MAX_VALUE;
            }
            if (p.deadlineNanos - now > 0) {
                return p.deadlineNanos;
            }
        }
        sendCancelled(id, "timed out after " + ms + " ms at the gateway");
        dev.shadowcat.upstream.Timeouts.warn(upstream.name(), p.method, p.exchange, ms);
        p.exchange.onEnd(Errors.response(p.clientIdJson, ErrorCodes.REQUEST_TIMEOUT,
                "upstream '" + upstream.name() + "' did not answer within " + ms + " ms", null),
                Exchange.Outcome.TIMED_OUT);
        return Long.MAX_VALUE;
    }

    private void sendCancelled(long id, String reason) {
        notifyUpstream(("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":" + id
                + ",\"reason\":" + JsonScan.quote(reason) + "}}").getBytes(StandardCharsets.UTF_8));
    }

    int inFlight() {
        return pending.size();
    }

    /** Responses received, the gateway's own handshake included. */
    long served() {
        return served.get();
    }

    // ---- child → gateway, on the child's stdout thread ----

    @Override
    public void onLine(byte[] line) {
        Message m;
        try {
            m = Message.parse(line);
        } catch (ProtocolException e) {
            LOG.warning(() -> process.label() + " wrote a line that is not JSON-RPC (" + e.getMessage() + "); ignored: "
                    + printablePrefix(line, 200));
            return;
        }
        try {
            switch (m.kind()) {
                case RESPONSE -> onResponse(m);
                case NOTIFICATION -> onNotification(m);
                case REQUEST -> onRequest(m);
                default -> throw new IllegalStateException("bad kind " + m.kind());
            }
        } catch (RuntimeException e) {
            // a fault in one session's handling must not take the child (and every other session on it) down
            LOG.log(java.util.logging.Level.SEVERE, process.label() + ": handling " + m + " failed", e);
        }
    }

    /**
     * The start of a line a child wrote, safe for a log: at most {@code max} bytes, non-printable ASCII and
     * non-ASCII bytes as {@code \\xNN}, so a hostile child cannot forge log lines or flood the log.
     */
    static String printablePrefix(byte[] line, int max) {
        StringBuilder b = new StringBuilder("\"");
        int n = Math.min(line.length, max);
        for (int i = 0; i < n; i++) {
            int c = line[i] & 0xff;
            if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
                b.append((char) c);
            } else {
                b.append(String.format("\\x%02x", c));
            }
        }
        b.append('"');
        if (line.length > max) {
            b.append("… (").append(line.length).append(" bytes)");
        }
        return b.toString();
    }

    private void onResponse(Message m) {
        String idJson = m.idJson();
        if (ReadinessProbe.ID_JSON.equals(idJson)) {
            ReadinessProbe probe = readiness;
            if (probe != null) {
                probe.answered(); // a late answer after the bound is a no-op
            }
            return;
        }
        Long id = parseId(idJson);
        Pending p = id == null ? null : pending.remove(id);
        if (p == null) {
            LOG.fine(() -> process.label() + ": response for unknown or expired id " + m.idJson());
            return;
        }
        if (p.stdinEnd >= 0) {
            process.consumedThrough(p.stdinEnd);
        }
        served.incrementAndGet();
        p.exchange.onEnd(m.rewrite(p.clientIdJson == null ? "0" : p.clientIdJson, -1, null), Exchange.Outcome.REPLIED);
    }

    private void onNotification(Message m) {
        if ("notifications/progress".equals(m.method())) {
            long span = m.paramsPath("progressToken");
            Long id = span < 0 ? null : parseId(m.textAt(span));
            Pending p = id == null ? null : pending.get(id);
            if (p != null && p.clientTokenJson != null) {
                p.exchange.onMessage(m.rewriteSpan(span, p.clientTokenJson));
            }
            return;
        }
        if ("notifications/cancelled".equals(m.method())) {
            return; // the child gave up on one of its own requests; the client's answer will simply be dropped
        }
        upstream.route(this, m);
    }

    private void onRequest(Message m) {
        if ("ping".equals(m.method())) {
            process.send(Errors.result(m.idJson(), "{}"));
            return;
        }
        Exchange ex = current != null ? current : onlyPending();
        ClientSession s = ex != null ? ex.session() : owner;
        if (s == null) {
            refuse(m.idJson(), ErrorCodes.METHOD_NOT_FOUND,
                    "the gateway has no client to forward " + m.method() + " to outside a request");
            return;
        }
        s.onUpstreamRequest(m, this, ex);
    }

    /**
     * Dedicated mode: stdio carries no link between a server→client request and the client request it serves, so
     * it is attributed only when exactly one request is in flight; otherwise it goes to the session as a whole.
     */
    private Exchange onlyPending() {
        if (pending.size() != 1) {
            return null;
        }
        var it = pending.values().iterator();
        return it.hasNext() ? it.next().exchange : null;
    }

    private static Long parseId(String json) {
        if (json == null || json.isEmpty() || json.charAt(0) == '"') {
            return null;
        }
        try {
            return Long.parseLong(json);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    @Override
    public void onClosed(Integer exitCode, String reason) {
        lost = true;
        deadlines.stop();
        String tail = process.stderrTail();
        String data = "{\"upstream\":" + JsonScan.quote(upstream.name())
                + (exitCode != null ? ",\"exitCode\":" + exitCode : "")
                + (tail.isEmpty() ? "" : ",\"stderrTail\":" + JsonScan.quote(tail)) + "}";
        String msg = "upstream '" + upstream.name() + "' " + reason;
        for (Long id : pending.keySet()) {
            Pending p = pending.remove(id);
            if (p != null) {
                p.exchange.onEnd(Errors.response(p.clientIdJson, ErrorCodes.INTERNAL_ERROR, msg, data),
                        Exchange.Outcome.FAILED);
            }
        }
        upstream.onLinkLost(this, msg);
        ReadinessProbe probe = readiness;
        if (probe != null) {
            probe.lost(msg);
        }
    }

    // ---- UpstreamPeer: the client's answers to the child's requests ----

    @Override
    public void answer(String originalIdJson, Message clientResponse) {
        ChildProcess p = process;
        if (p != null) {
            p.send(clientResponse.rewrite(originalIdJson, -1, null));
        }
    }

    @Override
    public void refuse(String originalIdJson, int code, String message) {
        ChildProcess p = process;
        if (p != null) {
            p.send(Errors.response(originalIdJson, code, message, null));
        }
    }

    @Override
    public String toString() {
        ChildProcess p = process;
        return "StdioLink{" + (p == null ? upstream.name() + " starting" : p.label()) + " pending=" + pending.size() + "}";
    }
}
