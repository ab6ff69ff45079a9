package dev.shadowcat.session;

import dev.shadowcat.config.ServerSettings;
import dev.shadowcat.protocol.Message;
import dev.shadowcat.protocol.ProtocolVersions;
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
public final class SessionRegistry {
    private static final Logger LOG = Logger.getLogger(SessionRegistry.class.getName());

    /** Why a new session was refused. */
    public static final class RefusedException extends Exception {
        private static final long serialVersionUID = 1L;

        RefusedException(String message) {
            super(message, null, false, false);
        }
    }

    private final ServerSettings settings;
    private final LongSupplier clock;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Session> byId = new ConcurrentHashMap<>();
    private final Map<String, Session> byHandle = new ConcurrentHashMap<>();
    private final AtomicLong handles = new AtomicLong();
    private final AtomicLong opened = new AtomicLong();
    private final AtomicLong closed = new AtomicLong();
    private final AtomicLong expired = new AtomicLong();
    private final LongAdder inFlight = new LongAdder();
    private volatile boolean shuttingDown;

    public SessionRegistry(ServerSettings settings, LongSupplier nanoClock) {
        this.settings = settings;
        this.clock = nanoClock;
    }

    ServerSettings settings() {
        return settings;
    }

    long now() {
        return clock.getAsLong();
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
    public Session create(Upstream upstream, Message initialize, dev.shadowcat.pipeline.FrontDoor door) throws RefusedException {
        if (byId.size() >= settings.maxSessions()) {
            throw new RefusedException("too many sessions (" + settings.maxSessions() + "); try again later");
        }
        String asked = initialize.paramString("protocolVersion");
        String version = ProtocolVersions.isSupported(asked) ? asked : ProtocolVersions.LATEST;
        Session s = new Session(newId(), "s" + handles.incrementAndGet(), upstream, version, door, this);
        byId.put(s.id(), s);
        byHandle.put(s.handle(), s);
        if (shuttingDown) {
            byId.remove(s.id());
            byHandle.remove(s.handle());
            throw new RefusedException("the gateway is shutting down");
        }
        opened.incrementAndGet();
        return s;
    }

    /** The open session with this secret id, or null (unknown, expired or deleted). */
    public Session find(String id) {
        if (id == null) {
            return null;
        }
        Session s = byId.get(id);
        return s != null && s.isOpen() ? s : null;
    }

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

    public long inFlight() {
        return inFlight.sum();
    }

    /** Ends a session; false if it was already ending. */
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
        closed.incrementAndGet();
        LOG.fine(() -> "session " + s.handle() + " closed: " + reason);
        return true;
    }

    /** Housekeeper: closes sessions idle longer than the configured timeout. */
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
    public void keepAlive() {
        for (Session s : byId.values()) {
            s.keepAlive();
        }
    }

    public void beginShutdown() {
        shuttingDown = true;
    }

    public boolean isShuttingDown() {
        return shuttingDown;
    }

    public void closeAll(String reason) {
        for (Session s : List.copyOf(byId.values())) {
            close(s, reason);
        }
    }

    public Collection<Session> sessions() {
        return List.copyOf(byId.values());
    }

    public int size() {
        return byId.size();
    }

    public Map<String, Long> counters() {
        return Map.of("open", (long) byId.size(), "opened", opened.get(), "closed", closed.get(),
                "expired", expired.get(), "inFlight", inFlight.sum());
    }
}
