package dev.shadowcat.upstream.http;

import dev.shadowcat.protocol.ErrorCodes;
import dev.shadowcat.protocol.Errors;
import dev.shadowcat.protocol.JsonScan;
import dev.shadowcat.protocol.Message;
import dev.shadowcat.protocol.ProtocolException;
import dev.shadowcat.upstream.ClientSession;
import dev.shadowcat.upstream.Exchange;
import dev.shadowcat.upstream.UpstreamBinding;
import dev.shadowcat.upstream.UpstreamPeer;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * One client session on a legacy HTTP+SSE server (2024-11-05): a GET event stream whose first event names the
 * URL to POST to; every answer arrives on that stream. Thread-safe.
 *
 * <p>That transport has no resumption: when its stream breaks, the upstream session is gone, so the client
 * session ends and the client initializes again.
 */
final class LegacySseBinding implements UpstreamBinding, UpstreamPeer, EventStreamReader.Listener {
    private static final Logger LOG = Logger.getLogger(LegacySseBinding.class.getName());

    private final HttpUpstream up;
    private final ClientSession session;
    private final CompletableFuture<URI> endpoint = new CompletableFuture<>();
    private final Map<String, Call> pending = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile EventStreamReader reader;

    LegacySseBinding(HttpUpstream up, ClientSession session) {
        this.up = up;
        this.session = session;
    }

    void start(Message initialize, Exchange ex) {
        if (!up.admit(initialize, ex, false)) {
            return;
        }
        HttpRequest req = up.request(up.config().url(), null, null)
                .header("Accept", "text/event-stream")
                .timeout(java.time.Duration.ofDays(365))
                .GET().build();
        up.send(session, req, info -> {
            int status = info.statusCode();
            String type = info.headers().firstValue("Content-Type").orElse("").toLowerCase(Locale.ROOT);
            if (status == 200 && type.startsWith("text/event-stream")) {
                up.breaker().onSuccess();
                EventStreamReader r = up.newReader(this);
                reader = r;
                return r.bodySubscriber();
            }
            return HttpResponse.BodySubscribers.mapping(HttpResponse.BodySubscribers.discarding(), v -> {
                endpoint.completeExceptionally(new IllegalStateException("GET " + up.config().url() + " answered HTTP "
                        + status + (type.isEmpty() ? "" : " (" + type + ")") + ", not an event stream"));
                return null;
            });
        }).whenComplete((r, err) -> {
            if (err != null) {
                up.breaker().onFailure();
                endpoint.completeExceptionally(err);
            }
        });
        send(initialize, ex);
    }

    @Override
    public void request(Message request, Exchange exchange) {
        if (up.admit(request, exchange, closed.get())) {
            send(request, exchange);
        }
    }

    private void timeout(Call call, long ms) {
        if (call.deferDeadline(up.scheduler(), ms, () -> timeout(call, ms))) {
            return;
        }
        if (end(call, up.error(call.idJson, ErrorCodes.REQUEST_TIMEOUT, "did not answer within " + ms + " ms"),
                Exchange.Outcome.TIMED_OUT)) {
            dev.shadowcat.upstream.Timeouts.warn(up.name(), call.request.method(), call.exchange, ms);
            up.breaker().onFailure();
            post(("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":"
                    + call.idJson + "}}").getBytes(StandardCharsets.UTF_8));
        }
    }

    private void send(Message request, Exchange ex) {
        up.countRequest();
        Call call = new Call(request, ex, null);
        pending.put(call.idJson, call);
        long ms = up.config().requestTimeout().toMillis();
        try {
            call.deadline = up.scheduler().schedule(() -> timeout(call, ms), ms, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            end(call, up.error(call.idJson, ErrorCodes.UPSTREAM_UNAVAILABLE, "is shutting down"), Exchange.Outcome.FAILED);
            return;
        }
        postAsync(request.bytes()).whenComplete((status, err) -> {
            Throwable c = dev.shadowcat.concurrent.Futures.cause(err);
            if (c != null) {
                up.breaker().onFailure();
                up.countFailure();
                end(call, up.error(call.idJson, ErrorCodes.INTERNAL_ERROR, "is unreachable: " + c.getMessage()), Exchange.Outcome.FAILED);
            } else if (status < 200 || status >= 300) {
                up.countFailure();
                end(call, up.error(call.idJson, ErrorCodes.INTERNAL_ERROR, "answered HTTP " + status + " to a message POST"),
                        Exchange.Outcome.FAILED);
            }
        });
    }

    private CompletableFuture<Integer> postAsync(byte[] body) {
        return endpoint.thenCompose(uri -> up.send(session, up.request(uri, null, null)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.discarding())
                .thenApply(HttpResponse::statusCode));
    }

    private void post(byte[] body) {
        postAsync(body).exceptionally(e -> -1);
    }

    private boolean end(Call call, byte[] response, Exchange.Outcome outcome) {
        pending.remove(call.idJson, call);
        return call.end(response, outcome);
    }

    // ---- the event stream ----

    @Override
    public void onEvent(SseParser.Event e) {
        if ("endpoint".equals(e.event())) {
            URI uri = up.config().url().resolve(e.data().trim());
            if (!sameOrigin(uri, up.config().url())) {
                // a server must not send the gateway, with its credentials, somewhere else
                endpoint.completeExceptionally(new IllegalStateException("endpoint " + uri + " is not on the upstream's origin"));
                return;
            }
            endpoint.complete(uri);
            return;
        }
        if (!"message".equals(e.event()) || e.data() == null || e.data().isEmpty()) {
            return;
        }
        Message m;
        try {
            m = Message.parse(e.data().getBytes(StandardCharsets.UTF_8));
        } catch (ProtocolException ex) {
            LOG.warning(() -> "upstream '" + up.name() + "' sent an event that is not JSON-RPC: " + ex.getMessage());
            return;
        }
        switch (m.kind()) {
            case RESPONSE -> {
                Call c = pending.get(m.idJson());
                if (c != null) {
                    end(c, m.bytes(), Exchange.Outcome.REPLIED);
                }
            }
            case NOTIFICATION -> {
                String method = m.method();
                if (method.endsWith("/list_changed") || "notifications/resources/updated".equals(method)) {
                    session.onUpstreamEvent(m.bytes());
                } else {
                    session.onUpstreamNotification(m.bytes(), onlyPending());
                }
            }
            case REQUEST -> {
                if ("ping".equals(m.method())) {
                    post(Errors.result(m.idJson(), "{}"));
                } else {
                    session.onUpstreamRequest(m, this, onlyPending());
                }
            }
            default -> throw new IllegalStateException("bad kind " + m.kind());
        }
    }

    /** The exchange an unattributed message belongs to when exactly one request is in flight. */
    private Exchange onlyPending() {
        if (pending.size() == 1) {
            for (Call c : pending.values()) {
                return c.exchange;
            }
        }
        return null;
    }

    private static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost().equalsIgnoreCase(b.getHost())
                && a.getPort() == b.getPort();
    }

    @Override
    public void onEnd(EventStreamReader r) {
        lost("the upstream closed its event stream");
    }

    @Override
    public void onBroken(EventStreamReader r, String why) {
        up.breaker().onFailure();
        lost("the upstream's event stream broke (" + why + ")");
    }

    private void lost(String why) {
        if (closed.get()) {
            return;
        }
        endpoint.completeExceptionally(new IllegalStateException(why));
        for (Call c : List.copyOf(pending.values())) {
            end(c, up.error(c.idJson, ErrorCodes.INTERNAL_ERROR, why + "; the legacy transport cannot resume"),
                    Exchange.Outcome.FAILED);
        }
        session.onUpstreamLost(why);
    }

    // ---- client notifications and answers ----

    @Override
    public void notify(Message notification) {
        post(notification.bytes());
    }

    @Override
    public void answer(String originalIdJson, Message clientResponse) {
        post(clientResponse.rewrite(originalIdJson, -1, null));
    }

    @Override
    public void refuse(String originalIdJson, int code, String message) {
        post(Errors.response(originalIdJson, code, message, null));
    }

    @Override
    public void cancel(Exchange exchange, String reason) {
        for (Call c : pending.values()) {
            if (c.exchange.origin() == exchange.origin() && end(c, null, Exchange.Outcome.CANCELLED)) {
                post(("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":" + c.idJson
                        + ",\"reason\":" + JsonScan.quote(reason) + "}}").getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        EventStreamReader r = reader;
        if (r != null) {
            r.cancel();
        }
        for (Call c : List.copyOf(pending.values())) {
            end(c, up.error(c.idJson, ErrorCodes.UPSTREAM_UNAVAILABLE, "session closed"), Exchange.Outcome.FAILED);
        }
        endpoint.completeExceptionally(new IllegalStateException("session closed"));
        up.forget(this);
    }
}
