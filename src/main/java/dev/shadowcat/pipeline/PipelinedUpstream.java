package dev.shadowcat.pipeline;

import dev.shadowcat.protocol.ErrorCodes;
import dev.shadowcat.protocol.Errors;
import dev.shadowcat.protocol.JsonScan;
import dev.shadowcat.protocol.Message;
import dev.shadowcat.upstream.ClientSession;
import dev.shadowcat.upstream.Exchange;
import dev.shadowcat.upstream.ForwardingExchange;
import dev.shadowcat.upstream.Upstream;
import dev.shadowcat.upstream.UpstreamBinding;
import dev.shadowcat.upstream.UpstreamPeer;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * An upstream behind the pipeline. Every path between a session and the upstream crosses the chain: the client's
 * requests, notifications, cancellations and answers on the way up; responses, notifications, events and
 * server→client requests on the way down. Nothing but the session's lifecycle (open, close, lost) bypasses it.
 *
 * <p>Thread-safe; holds no state of its own beyond each session's {@link Attachment}.
 */
final class PipelinedUpstream implements Upstream {
    private final Upstream upstream;
    private final PipelineRef chain;
    private final String via;

    PipelinedUpstream(Upstream inner, PipelineRef chain, String via) {
        this.upstream = inner;
        this.chain = chain;
        this.via = via;
    }

    /** The chain now; a call captures it once ({@link Call#pipeline}), so that its answer crosses the same stages. */
    private Pipeline pipeline() {
        return chain.get();
    }

    @Override
    public String name() {
        return upstream.name();
    }

    @Override
    public UpstreamBinding open(ClientSession session, Message initialize, Exchange init) {
        Attachment a = new Attachment(session);
        a.start(initialize, init);
        return a;
    }

    @Override
    public boolean attributesServerRequests() {
        return upstream.attributesServerRequests();
    }

    @Override
    public int waitingCallCapacity() {
        return upstream.waitingCallCapacity();
    }

    @Override
    public boolean speaksStateless() {
        return upstream.speaksStateless();
    }

    @Override
    public void maintain() {
        upstream.maintain();
    }

    @Override
    public Map<String, Object> stats() {
        return upstream.stats();
    }

    @Override
    public CompletableFuture<Void> shutdown() {
        return upstream.shutdown();
    }

    @Override
    public Upstream unwrap() {
        return upstream.unwrap();
    }

    /** What a request is about: the tool or prompt name, or the resource URI. */
    static String target(Message m) {
        String method = m.method();
        if (method == null || !m.hasParams()) {
            return null;
        }
        return switch (method) {
            case "tools/call", "prompts/get" -> m.paramString("name");
            case "resources/read", "resources/subscribe", "resources/unsubscribe" -> m.paramString("uri");
            default -> null;
        };
    }

    /** One session's attachment: the binding the session talks to and the session the upstream talks to. */
    private final class Attachment implements UpstreamBinding, ClientSession {
        private final ClientSession client;
        private final CallContext base;
        private volatile UpstreamBinding binding;
        private volatile boolean closed;

        Attachment(ClientSession client) {
            this.client = client;
            this.base = CallContext.session(client.principal(), client.grants(), client.handle(), upstream.name(), via,
                    client.frontDoor(), client.protocolVersion());
        }

        private CallContext context() {
            return base.withProtocolVersion(client.protocolVersion());
        }

        private CallContext call(Exchange ex, Message m) {
            return context().forCall(ex.principal(), ex.grants(), ex.gatewayOwn(), m.method(), target(m), System.nanoTime());
        }

        void start(Message initialize, Exchange init) {
            Call c = new Call(init, this, call(init, initialize), initialize) {
                @Override
                void send(Frame f) {
                    UpstreamBinding b = upstream.open(Attachment.this, f.message(), this);
                    binding = b;
                    if (closed) {
                        b.close(); // the session ended while a stage held its initialize: release what it opened
                    }
                }
            };
            c.pipeline.toUpstream(Frame.toUpstream(Frame.Kind.REQUEST, initialize, c.context), c);
        }

        // ---- client → upstream ----

        @Override
        public void request(Message request, Exchange exchange) {
            Call c = new Call(exchange, this, call(exchange, request), request) {
                @Override
                void send(Frame f) {
                    UpstreamBinding b = binding;
                    if (b == null) { // the end crosses the chain like any other, so metrics and audit see it
                        onEnd(Errors.response(request.idJson(), ErrorCodes.UPSTREAM_UNAVAILABLE,
                                "the session's initialize did not reach upstream '" + upstream.name() + "'", null),
                                Outcome.FAILED);
                        return;
                    }
                    b.request(f.message(), this);
                }
            };
            c.pipeline.toUpstream(Frame.toUpstream(Frame.Kind.REQUEST, request, c.context), c);
        }

        @Override
        public void notify(Message notification) {
            CallContext ctx = context().forCall(client.principal(), false, notification.method(), null, System.nanoTime());
            pipeline().toUpstream(Frame.toUpstream(Frame.Kind.NOTIFICATION, notification, ctx), f -> {
                UpstreamBinding b = binding;
                if (b != null) {
                    b.notify(f.message());
                }
            });
        }

        @Override
        public void cancel(Exchange exchange, String reason) {
            Message m = cancellation(exchange, reason);
            CallContext ctx = context().forCall(exchange.principal(), exchange.gatewayOwn(), m.method(), null,
                    System.nanoTime());
            pipeline().toUpstream(Frame.toUpstream(Frame.Kind.NOTIFICATION, m, ctx), f -> {
                UpstreamBinding b = binding;
                if (b != null) {
                    b.cancel(exchange, reason);
                }
            });
        }

        @Override
        public void close() {
            closed = true;
            UpstreamBinding b = binding;
            if (b != null) {
                b.close();
            }
        }

        // ---- upstream → client ----

        @Override
        public String handle() {
            return client.handle();
        }

        @Override
        public String protocolVersion() {
            return client.protocolVersion();
        }

        @Override
        public String principal() {
            return client.principal();
        }

        @Override
        public java.util.Set<String> grants() {
            return client.grants();
        }

        @Override
        public String subjectToken() {
            return client.subjectToken();
        }

        @Override
        public FrontDoor frontDoor() {
            return client.frontDoor();
        }

        @Override
        public void onUpstreamEvent(byte[] message) {
            pipeline().toClient(Frame.toClient(Frame.Kind.NOTIFICATION, message, context()),
                    f -> client.onUpstreamEvent(f.bytes()));
        }

        @Override
        public void onUpstreamNotification(byte[] message, Exchange related) {
            pipeline().toClient(Frame.toClient(Frame.Kind.NOTIFICATION, message, context()),
                    f -> client.onUpstreamNotification(f.bytes(), related));
        }

        @Override
        public void onUpstreamRequest(Message request, UpstreamPeer from, Exchange related) {
            CallContext ctx = context().forCall(client.principal(), false, request.method(), null, System.nanoTime());
            Pipeline p = pipeline();
            p.toClient(Frame.toClient(Frame.Kind.REQUEST, request, ctx), new Pipeline.Destination() {
                @Override
                public void deliver(Frame f) {
                    client.onUpstreamRequest(f.message(), new Peer(from, ctx, p), related);
                }

                @Override
                public void answer(Frame response) {
                    from.answer(request.idJson(), response.message());
                }
            });
        }

        @Override
        public void onUpstreamLost(String reason) {
            client.onUpstreamLost(reason);
        }
    }

    /** The client's notification that it gave up a request, as it would have sent it. */
    private static Message cancellation(Exchange exchange, String reason) {
        String requestId = exchange.requestIdJson();
        StringBuilder json = new StringBuilder("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":")
                .append(requestId != null ? requestId : "null");
        if (reason != null) {
            JsonScan.quote(json.append(",\"reason\":"), reason);
        }
        return Message.trusted(json.append("}}").toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * One request through the chain: the destination of the request (the upstream) and of everything that comes
     * back for it (to the client's exchange).
     */
    private abstract class Call extends ForwardingExchange implements Pipeline.Destination {
        final CallContext context;
        final Message request;
        /** The chain this call started on: its answer goes back through the same stages, across a reload too. */
        final Pipeline pipeline = pipeline();
        private final ClientSession session;

        Call(Exchange client, ClientSession session, CallContext context, Message request) {
            super(client);
            this.session = session;
            this.context = context;
            this.request = request;
        }

        /** The attachment, not the client's session: what the upstream sends through it crosses the chain too. */
        @Override
        public ClientSession session() {
            return session;
        }

        /** After the last stage: hand the request to the upstream. */
        abstract void send(Frame request);

        @Override
        public void deliver(Frame f) {
            if (f.direction() == Frame.Direction.TO_UPSTREAM) {
                send(f);
            } else if (f.isEnd()) {
                inner.onEnd(f.bytes(), f.outcome());
            } else {
                inner.onMessage(f.bytes());
            }
        }

        @Override
        public void answer(Frame response) {
            inner.onEnd(response.bytes(), response.outcome());
        }

        @Override
        public void onMessage(byte[] message) {
            pipeline.toClient(Frame.toClient(Frame.Kind.NOTIFICATION, message, context), this);
        }

        @Override
        public void onEnd(byte[] response, Outcome outcome) {
            pipeline.toClient(Frame.end(response, outcome, context, request), this);
        }
    }

    /** The upstream's side of a server→client request: the client's answer crosses the chain on its way up. */
    private final class Peer implements UpstreamPeer {
        private final UpstreamPeer inner;
        private final CallContext context;
        private final Pipeline pipeline;

        Peer(UpstreamPeer inner, CallContext context, Pipeline pipeline) {
            this.inner = inner;
            this.context = context;
            this.pipeline = pipeline;
        }

        @Override
        public void answer(String originalIdJson, Message clientResponse) {
            pipeline.toUpstream(Frame.toUpstream(Frame.Kind.RESPONSE, clientResponse, context),
                    f -> inner.answer(originalIdJson, f.message()));
        }

        @Override
        public void refuse(String originalIdJson, int code, String message) {
            Message error = Message.trusted(Errors.response(originalIdJson, code, message, null));
            pipeline.toUpstream(Frame.toUpstream(Frame.Kind.RESPONSE, error, context),
                    f -> inner.refuse(originalIdJson, code, message));
        }
    }
}
