package dev.shadowcat.session;

import dev.shadowcat.config.ServerSettings;
import dev.shadowcat.protocol.Message;
import dev.shadowcat.protocol.ProtocolVersions;
import dev.shadowcat.stream.ByteBudget;
import dev.shadowcat.upstream.Upstream;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * All open sessions, by secret id and by public handle.
 *
 * <p>Thread-safe. A session is registered before the shutdown flag is checked, so a session opened during
 * shutdown is either refused or seen by the drain; it is removed in exactly one place, {@link #close}.
 */
public final class SessionRegistry implements SessionStore {
    private static final Logger LOG = Logger.getLogger(SessionRegistry.class.getName());

    private final ServerSettings settings;
    private final LongSupplier clock;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Session> byId = new ConcurrentHashMap<>();
    private final Map<String, Session> byHandle = new ConcurrentHashMap<>();
    private final AtomicLong opened = new AtomicLong();
    private final AtomicLong closed = new AtomicLong();
    private final AtomicLong expired = new AtomicLong();
    private final LongAdder inFlight = new LongAdder();
    /** Sessions counted against {@code maxSessions}: reserved before a session exists, so the limit holds under races. */
    private final java.util.concurrent.atomic.AtomicInteger reserved = new java.util.concurrent.atomic.AtomicInteger();
    private final ConcurrentHashMap<String, Integer> perClient = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Integer> perUpstream = new ConcurrentHashMap<>();
    private final AtomicLong reclaimed = new AtomicLong();
    private final dev.shadowcat.stream.StreamStats streamStats = new dev.shadowcat.stream.StreamStats();
    /** Bytes all sessions' streams keep for replay and queue for slow connections; each session has its own share. */
    private final ByteBudget buffers;
    private volatile boolean shuttingDown;

    public SessionRegistry(ServerSettings settings, LongSupplier nanoClock) {
        this.settings = settings;
        this.clock = nanoClock;
        this.buffers = ByteBudget.root(settings.totalBufferBytes());
    }

    /** A new session's share of the buffers. */
    ByteBudget sessionBuffers() {
        return buffers.child(settings.sessionBufferBytes());
    }

    @Override
    public long bufferedBytes() {
        return buffers.used();
    }

    ServerSettings settings() {
        return settings;
    }

    long now() {
        return clock.getAsLong();
    }

    /**
     * A public handle for logs, audit lines and the operations API: 72 random bits, so that knowing one session's
     * handle tells nothing of another's (sequential handles let a local client end every session).
     */
    private String newHandle() {
        byte[] b = new byte[9];
        random.nextBytes(b);
        return "s" + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** 256 bits from a CSPRNG, URL-safe base64: visible ASCII as the spec asks, unguessable. */
    private String newId() {
        byte[] b = new byte[32];
        random.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /**
     * Registers a new session for {@code initialize}; the caller then starts it with {@link Session#open}.
     */
    @Override
    public Session create(Upstream upstream, Message initialize, dev.shadowcat.pipeline.FrontDoor door, String client,
                          String principal, java.util.Set<String> grants) throws RefusedException {
        int n;
        do {
            n = reserved.get();
            if (n >= settings.maxSessions()) {
                throw new RefusedException("too many sessions (" + settings.maxSessions() + "); try again later");
            }
        } while (!reserved.compareAndSet(n, n + 1));
        if (!reserve(perClient, client, settings.maxSessionsPerClient())) {
            reserved.decrementAndGet();
            throw new RefusedException("too many sessions from this client (" + settings.maxSessionsPerClient()
                    + "); end some (DELETE) or try again later");
        }
        if (!reserve(perUpstream, upstream.name(), settings.maxSessionsPerUpstream())) {
            reserved.decrementAndGet();
            perClient.computeIfPresent(client, (k, v) -> v <= 1 ? null : v - 1);
            throw new RefusedException("too many sessions on upstream '" + upstream.name() + "' ("
                    + settings.maxSessionsPerUpstream() + "); try again later");
        }
        String asked = initialize.paramString("protocolVersion");
        String version = ProtocolVersions.isSupported(asked) ? asked : ProtocolVersions.LATEST;
        Session s = new Session(newId(), newHandle(), upstream, version, door, client, principal, grants, this);
        byId.put(s.id(), s);
        byHandle.put(s.handle(), s);
        if (shuttingDown) {
            byId.remove(s.id());
            byHandle.remove(s.handle());
            release(s);
            throw new RefusedException("the gateway is shutting down");
        }
        opened.incrementAndGet();
        return s;
    }

    private static boolean reserve(ConcurrentHashMap<String, Integer> counts, String key, int limit) {
        boolean[] ok = {false};
        counts.compute(key, (k, v) -> {
            int now = v == null ? 0 : v;
            if (now >= limit) {
                return v;
            }
            ok[0] = true;
            return now + 1;
        });
        return ok[0];
    }

    private void release(Session s) {
        reserved.decrementAndGet();
        perClient.computeIfPresent(s.client(), (k, v) -> v <= 1 ? null : v - 1);
        perUpstream.computeIfPresent(s.upstream().name(), (k, v) -> v <= 1 ? null : v - 1);
    }

    /**
     * The fair policy of a dedicated pool that has no free child: ends the session of {@code upstream} that has
     * been idle longest, if it has no request in flight, no open stream and was idle at least
     * {@code server.reclaimIdleSeconds}. Its client gets 404 on its next request and initializes again, as the
     * spec intends for an expired session. True if one was ended.
     */
    @Override
    public boolean reclaimIdle(String upstream) {
        long floor = settings.reclaimIdle().toNanos();
        if (floor <= 0) {
            return false;
        }
        long now = clock.getAsLong();
        Session oldest = null;
        for (Session s : byId.values()) {
            if (s.upstream().name().equals(upstream) && s.isOpen() && s.inFlightCount() == 0 && !s.hasOpenStream()
                    && now - s.lastActiveNanos() >= floor
                    && (oldest == null || s.lastActiveNanos() < oldest.lastActiveNanos())) {
                oldest = s;
            }
        }
        if (oldest == null) {
            return false;
        }
        long idleSeconds = (now - oldest.lastActiveNanos()) / 1_000_000_000L;
        Session victim = oldest;
        if (close(victim, "reclaimed: upstream '" + upstream + "' had no free child and the session was idle for "
                + idleSeconds + " s")) {
            reclaimed.incrementAndGet();
            LOG.info(() -> "session " + victim.handle() + " reclaimed for a new session of upstream '" + upstream
                    + "' (idle " + idleSeconds + " s)");
            return true;
        }
        return false;
    }

    /** The open session with this secret id, or null (unknown, expired or deleted). */
    @Override
    public Session find(String id) {
        if (id == null) {
            return null;
        }
        Session s = byId.get(id);
        return s != null && s.isOpen() ? s : null;
    }

    @Override
    public Session byHandle(String handle) {
        return byHandle.get(handle);
    }

    /** Counts a client request the session accepted; {@link #requestEnded} balances it. */
    void requestStarted() {
        inFlight.increment();
    }

    void requestEnded() {
        inFlight.decrement();
    }

    /** A 2026-07-28 request starts: counted in flight like a session's; false (refuse it) while shutting down. */
    @Override
    public boolean enterStateless() {
        if (shuttingDown) {
            return false;
        }
        inFlight.increment();
        return true;
    }

    /** Balances {@link #enterStateless}, once per admitted request. */
    @Override
    public void exitStateless() {
        inFlight.decrement();
    }

    @Override
    public long inFlight() {
        return inFlight.sum();
    }

    /** Ends a session; false if it was already ending. */
    @Override
    public boolean close(Session s, String reason) {
        return close(s, reason, false);
    }

    /** Ends a session; with {@code upstreamLost} its pending requests answer 404 so clients start over. */
    boolean close(Session s, String reason, boolean upstreamLost) {
        if (!s.closeOnce(reason, upstreamLost)) {
            return false;
        }
        byId.remove(s.id(), s);
        byHandle.remove(s.handle(), s);
        release(s);
        closed.incrementAndGet();
        LOG.fine(() -> "session " + s.handle() + " closed: " + reason);
        return true;
    }

    /** Housekeeper: closes sessions idle longer than the configured timeout. */
    @Override
    public void reapIdle() {
        long limit = settings.sessionIdleTimeout().toNanos();
        long now = clock.getAsLong();
        for (Session s : byId.values()) {
            if (s.inFlightCount() == 0 && !s.standalone().hasWriter() && now - s.lastActiveNanos() > limit) {
                if (close(s, "idle for more than " + settings.sessionIdleTimeout().toSeconds() + " s")) {
                    expired.incrementAndGet();
                }
            }
        }
    }

    /** Housekeeper: a comment frame on every attached SSE connection. */
    @Override
    public void keepAlive() {
        for (Session s : byId.values()) {
            s.keepAlive();
        }
    }

    @Override
    public void beginShutdown() {
        shuttingDown = true;
    }

    @Override
    public boolean isShuttingDown() {
        return shuttingDown;
    }

    @Override
    public void closeAll(String reason) {
        for (Session s : List.copyOf(byId.values())) {
            close(s, reason);
        }
    }

    @Override
    public Collection<Session> sessions() {
        return List.copyOf(byId.values());
    }

    @Override
    public int size() {
        return byId.size();
    }

    @Override
    public dev.shadowcat.stream.StreamStats streamStats() {
        return streamStats;
    }

    @Override
    public int openStreams() {
        int n = 0;
        for (Session s : byId.values()) {
            n += s.openStreams();
        }
        return n;
    }

    @Override
    public Map<String, Long> counters() {
        return Map.of("open", (long) byId.size(), "opened", opened.get(), "closed", closed.get(),
                "expired", expired.get(), "reclaimed", reclaimed.get(), "inFlight", inFlight.sum());
    }
}
