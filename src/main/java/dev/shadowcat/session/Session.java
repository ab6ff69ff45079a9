package dev.shadowcat.session;

import dev.shadowcat.protocol.ErrorCodes;
import dev.shadowcat.protocol.Message;
import dev.shadowcat.protocol.ProtocolVersions;
import dev.shadowcat.stream.EventStream;
import dev.shadowcat.upstream.ClientSession;
import dev.shadowcat.upstream.Exchange;
import dev.shadowcat.upstream.Upstream;
import dev.shadowcat.upstream.UpstreamBinding;
import dev.shadowcat.upstream.UpstreamPeer;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Logger;

/**
 * One client's MCP session at the gateway: its negotiated version, its link to the upstream, the requests it
 * has in flight, the server→client requests waiting for its answers, and its SSE streams.
 *
 * <p>Thread-safe. Called from request threads (client messages) and upstream reader threads (upstream
 * messages). The secret {@link #id()} is only ever compared, never logged; logs and the operations API use
 * {@link #handle()}.
 */
public final class Session implements ClientSession, dev.shadowcat.stream.StreamOwner, dev.shadowcat.logging.LogFields {
    private static final Logger LOG = Logger.getLogger(Session.class.getName());
    static final int MAX_OUTGOING = 1000;
    /** Client requests one session may have waiting for the upstream at once; more are refused, not queued. */
    static final int MAX_IN_FLIGHT = 1000;
    static final int MAX_KEPT_STREAMS = 64;

    public enum State { OPEN, CLOSING, CLOSED }

    private record Outgoing(UpstreamPeer peer, String originalIdJson, Exchange related) {
    }

    private final String id;
    private final String handle;
    private final Upstream upstream;
    private final SessionRegistry registry;
    private final long createdMillis = System.currentTimeMillis();
    private final AtomicReference<State> state = new AtomicReference<>(State.OPEN);
    private final Map<String, ClientExchange> inFlight = new ConcurrentHashMap<>();
    private final Map<String, Outgoing> outgoing = new ConcurrentHashMap<>();
    private final Map<Integer, EventStream> streams = new ConcurrentHashMap<>();
    private final AtomicInteger nextStream = new AtomicInteger();
    private final AtomicLong nextOutgoing = new AtomicLong();
    private final AtomicLong requests = new AtomicLong();
    private final EventStream standalone;
    /** This session's share of the gateway's stream buffers; given back whole when it ends. */
    private final dev.shadowcat.stream.ByteBudget buffers;
    private final dev.shadowcat.pipeline.FrontDoor frontDoor;
    /** What per-client limits count against: the principal, or the remote address until auth is on. */
    private final String client;
    /** The caller's subject the session is bound to (anonymous while authentication is off). */
    private final String principal;
    private final java.util.Set<String> grants;
    private volatile String protocolVersion;
    private volatile boolean lost;
    private volatile long lastActiveNanos;
    private volatile UpstreamBinding binding;
    private volatile java.util.function.Consumer<byte[]> direct;
    /** The client's latest bearer token, for upstream token exchanges only (see {@link #subjectToken}). */
    private volatile String subjectToken;

    Session(String id, String handle, Upstream upstream, String protocolVersion,
            dev.shadowcat.pipeline.FrontDoor frontDoor, String client, String principal, java.util.Set<String> grants,
            SessionRegistry registry) {
        this.id = id;
        this.client = client;
        this.principal = principal;
        this.grants = grants;
        this.frontDoor = frontDoor;
        this.handle = handle;
        this.upstream = upstream;
        this.protocolVersion = protocolVersion;
        this.registry = registry;
        this.lastActiveNanos = registry.now();
        this.buffers = registry.sessionBuffers();
        this.standalone = newStream();
    }

    @Override
    public String principal() {
        return principal;
    }

    @Override
    public java.util.Set<String> grants() {
        return grants;
    }

    @Override
    public String subjectToken() {
        return subjectToken;
    }

    @Override
    public java.util.Map<String, String> logFields() {
        return java.util.Map.of("session", handle, "upstream", upstream.name(), "principal", principal);
    }

    /** The token that authenticated the client's latest request (its principal's: {@link #belongsTo} was checked). */
    public void presented(String token) {
        if (token != null) {
            subjectToken = token;
        }
    }

    /** Whether a request of {@code caller} may use this session: only its own principal's may. */
    public boolean belongsTo(String caller) {
        return principal.equals(caller);
    }

    /** The budget its SSE connections' queues charge. */
    @Override
    public dev.shadowcat.stream.ByteBudget buffers() {
        return buffers;
    }

    public String id() {
        return id;
    }

    @Override
    public String handle() {
        return handle;
    }

    @Override
    public String protocolVersion() {
        return protocolVersion;
    }

    String client() {
        return client;
    }

    /** Whether any of its SSE streams has a connection attached. */
    public boolean hasOpenStream() {
        return openStreams() > 0;
    }

    /** How many of its SSE streams have a connection attached. */
    public int openStreams() {
        int n = 0;
        for (EventStream s : streams.values()) {
            if (s.hasWriter() && !s.isCompleted()) {
                n++;
            }
        }
        return n;
    }

    @Override
    public dev.shadowcat.pipeline.FrontDoor frontDoor() {
        return frontDoor;
    }

    void negotiated(String version) {
        if (ProtocolVersions.isSupported(version)) {
            protocolVersion = version;
        }
    }

    public Upstream upstream() {
        return upstream;
    }

    public State state() {
        return state.get();
    }

    public boolean isOpen() {
        return state.get() == State.OPEN && !lost;
    }

    /**
     * The upstream lost this session: from now on it is unknown to lookups (404) and takes no request, before the
     * client is told so; {@link #onUpstreamLost} then ends it. Without this, a client that got its 404 and asked
     * again at once could still find the session open.
     */
    void markLost() {
        lost = true;
    }

    public long createdMillis() {
        return createdMillis;
    }

    public long lastActiveNanos() {
        return lastActiveNanos;
    }

    public void touch() {
        lastActiveNanos = registry.now();
    }

    public long requestCount() {
        return requests.get();
    }

    public int inFlightCount() {
        return inFlight.size();
    }

    void bind(UpstreamBinding b) {
        this.binding = b;
    }

    // ---- streams ----

    /** A new logical SSE stream, kept for resumption until delivered, the session ends, or it is evicted. */
    @Override
    public EventStream newStream() {
        int n = nextStream.incrementAndGet();
        EventStream s = new EventStream(n, registry.settings().replayEvents(), registry.settings().replayBytes(),
                buffers, ProtocolVersions.wantsPriming(protocolVersion), 1000, registry.streamStats());
        streams.put(n, s);
        if (streams.size() > MAX_KEPT_STREAMS) {
            evictCompletedStreams();
        }
        return s;
    }

    private void evictCompletedStreams() {
        Iterator<Map.Entry<Integer, EventStream>> it = streams.entrySet().iterator();
        while (it.hasNext() && streams.size() > MAX_KEPT_STREAMS) {
            EventStream s = it.next().getValue();
            if (s != standalone && s.isCompleted() && !s.hasWriter()) {
                it.remove();
                s.discard();
            }
        }
    }

    /** The stream an event id names, if this session still keeps it. */
    public EventStream stream(int streamId) {
        return streams.get(streamId);
    }

    public EventStream standalone() {
        return standalone;
    }

    /** The POST stream has delivered everything; resumption is no longer needed. */
    @Override
    public void streamDelivered(EventStream s) {
        if (s != standalone && streams.remove(s.id(), s)) {
            s.discard();
        }
    }

    public void keepAlive() {
        for (EventStream s : streams.values()) {
            s.keepAlive();
        }
    }

    // ---- client → upstream ----

    /** Starts the upstream side with the client's initialize; the answer goes to {@code sink}. */
    public void open(Message initialize, ResponseSink sink) {
        ClientExchange ex = new ClientExchange(this, initialize.idJson(), sink, true);
        inFlight.put(initialize.idJson(), ex);
        registry.requestStarted();
        requests.incrementAndGet();
        // An upstream may answer before open() returns (shared mode answers from its cache). The client must not
        // see the answer, and so send its next message, before the binding is in place: hold the end until then.
        HeldEnd held = new HeldEnd(ex);
        bind(upstream.open(this, initialize, held));
        held.release();
    }

    /** Holds an exchange's end until {@link #release()}; everything else passes through. Thread-safe. */
    private static final class HeldEnd extends dev.shadowcat.upstream.ForwardingExchange {
        private byte[] response; // guarded by this
        private Outcome outcome; // guarded by this
        private boolean released; // guarded by this

        HeldEnd(Exchange inner) {
            super(inner);
        }

        @Override
        public void onEnd(byte[] response, Outcome outcome) {
            synchronized (this) {
                if (!released) {
                    this.response = response;
                    this.outcome = outcome;
                    return;
                }
            }
            inner.onEnd(response, outcome);
        }

        void release() {
            Outcome o;
            synchronized (this) {
                released = true;
                o = outcome;
            }
            if (o != null) {
                inner.onEnd(response, o);
            }
        }
    }

    /**
     * The one dispatch of a client message of an initialized session, whatever door it came through: a request goes
     * upstream (its answer to {@code sink}; a duplicate in-flight id is answered there with -32600), a notification
     * upstream (cancellations end their request), a response to the server→client request it answers.
     */
    public void dispatch(Message m, ResponseSink sink) {
        touch();
        switch (m.kind()) {
            case REQUEST -> {
                if (!request(m, sink)) {
                    sink.response(dev.shadowcat.protocol.Errors.response(m.idJson(), ErrorCodes.INVALID_REQUEST,
                            "Invalid Request: a request with id " + m.idJson() + " is already in flight in this session", null));
                }
            }
            case NOTIFICATION -> notification(m);
            case RESPONSE -> {
                if (!response(m)) {
                    LOG.fine(() -> "session " + handle + ": response to an unknown request id " + m.idJson() + " dropped");
                }
            }
        }
    }

    /** Forwards a client request; false if another request with the same id is still in flight. */
    public boolean request(Message request, ResponseSink sink) {
        ClientExchange ex = new ClientExchange(this, request.idJson(), sink, false);
        if (inFlight.putIfAbsent(request.idJson(), ex) != null) {
            return false;
        }
        registry.requestStarted();
        requests.incrementAndGet();
        if (!isOpen()) {
            ex.refuseEnded();
            return true;
        }
        if (inFlight.size() > MAX_IN_FLIGHT) {
            ex.fail(ErrorCodes.UPSTREAM_UNAVAILABLE, "too many requests in flight on this session (" + MAX_IN_FLIGHT
                    + "); wait for some answers first");
            return true;
        }
        binding.request(request, ex);
        return true;
    }

    /** Handles a client notification: cancellations end the named request; others go upstream. */
    public void notification(Message n) {
        if ("notifications/cancelled".equals(n.method())) {
            long span = n.paramsPath("requestId");
            ClientExchange ex = span < 0 ? null : inFlight.get(n.textAt(span));
            if (ex != null) {
                String reason = n.paramString("reason");
                binding.cancel(ex, reason != null ? reason : "cancelled by the client");
            }
            return;
        }
        binding.notify(n);
    }

    /** The client answers a server→client request. False if no such request is waiting. */
    public boolean response(Message r) {
        Outgoing o = outgoing.remove(r.idJson());
        if (o == null) {
            return false;
        }
        o.peer.answer(o.originalIdJson, r);
        return true;
    }

    void ended(ClientExchange ex) {
        inFlight.remove(ex.clientIdJson(), ex);
        registry.requestEnded();
    }

    // ---- upstream → client ----

    /**
     * Where what belongs to no request goes instead of the standalone SSE stream: forward mode writes it to stdout.
     * Set once, before {@link #open}.
     */
    public void sendStandaloneTo(java.util.function.Consumer<byte[]> direct) {
        this.direct = direct;
    }

    private void toStandalone(byte[] message) {
        java.util.function.Consumer<byte[]> d = direct;
        if (d != null) {
            d.accept(message);
        } else {
            standalone.send(message);
        }
    }

    @Override
    public void onUpstreamEvent(byte[] message) {
        toStandalone(message);
    }

    @Override
    public void onUpstreamNotification(byte[] message, Exchange related) {
        ClientExchange target = pickRelated(related);
        if (target != null && target.deliver(message)) {
            return;
        }
        toStandalone(message);
    }

    @Override
    public void onUpstreamRequest(Message request, UpstreamPeer from, Exchange related) {
        if (!isOpen()) {
            from.refuse(request.idJson(), ErrorCodes.UPSTREAM_UNAVAILABLE, "the client session has ended");
            return;
        }
        if (outgoing.size() >= MAX_OUTGOING) {
            from.refuse(request.idJson(), ErrorCodes.INTERNAL_ERROR, "too many unanswered requests to the client");
            return;
        }
        ClientExchange target = pickRelated(related);
        String newId = "\"shadowcat-" + nextOutgoing.incrementAndGet() + "\"";
        outgoing.put(newId, new Outgoing(from, request.idJson(), target));
        byte[] rewritten = request.rewrite(newId, -1, null);
        if (target != null && target.deliver(rewritten)) {
            return;
        }
        toStandalone(rewritten);
    }

    /**
     * Which in-flight request an unattributed message most likely belongs to: the only one, if exactly one is
     * in flight; otherwise none (the standalone stream gets it).
     */
    private ClientExchange pickRelated(Exchange hint) {
        if (hint != null && hint.origin() instanceof ClientExchange ce && ce.session() == this) {
            return ce;
        }
        if (inFlight.size() == 1) {
            for (ClientExchange ce : inFlight.values()) {
                return ce;
            }
        }
        return null;
    }

    @Override
    public void onUpstreamLost(String reason) {
        dev.shadowcat.logging.Logs.log(LOG, java.util.logging.Level.INFO, this, null, () -> "session " + handle + " ends: " + reason);
        registry.close(this, "upstream lost: " + reason, true);
    }

    /**
     * Ends the session once: stops routing, cancels what is in flight, releases the upstream, completes every
     * stream. Only {@link SessionRegistry#close} calls this.
     */
    boolean closeOnce(String reason, boolean upstreamLost) {
        if (!state.compareAndSet(State.OPEN, State.CLOSING)) {
            return false;
        }
        List<ClientExchange> pending = new ArrayList<>(inFlight.values());
        UpstreamBinding b = binding;
        for (ClientExchange ex : pending) {
            if (upstreamLost) {
                ex.sessionLost("the session ended: " + reason + "; initialize again");
            } else {
                ex.fail(ErrorCodes.UPSTREAM_UNAVAILABLE, "the session was closed: " + reason);
            }
            if (b != null) {
                b.cancel(ex, "session closed"); // the client already has its error; this frees the upstream
            }
        }
        for (var o : outgoing.entrySet()) {
            o.getValue().peer.refuse(o.getValue().originalIdJson, ErrorCodes.UPSTREAM_UNAVAILABLE, "the client session has ended");
        }
        outgoing.clear();
        if (b != null) {
            b.close();
        }
        for (EventStream s : streams.values()) {
            s.complete();
        }
        streams.clear();
        buffers.close(); // what the streams kept is garbage now; frames still being written are not counted
        state.set(State.CLOSED);
        return true;
    }

    @Override
    public String toString() {
        return "Session{" + handle + " " + state.get() + " v" + protocolVersion + " inFlight=" + inFlight.size()
                + " streams=" + streams.size() + "}";
    }
}
