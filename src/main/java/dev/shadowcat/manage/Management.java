package dev.shadowcat.manage;

import dev.shadowcat.gateway.Gateway;
import dev.shadowcat.session.Session;
import dev.shadowcat.session.SessionStore;
import dev.shadowcat.upstream.Upstream;
import dev.shadowcat.upstream.http.HttpUpstream;
import dev.shadowcat.upstream.stdio.StdioUpstream;

import javax.management.InstanceAlreadyExistsException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The gateway's MXBeans in the platform MBean server, under {@value #DOMAIN} with {@code type}, {@code context} (the
 * web application's context path, so that two deployments in one container do not collide) and, for upstreams,
 * {@code name}: what JConsole, VisualVM, Jolokia and a container's console show. Registered when the gateway has
 * started, re-registered for the upstreams a reload changed, all unregistered when it stops: an undeploy leaves
 * no MBean behind. Thread-safe: registration is serialized; the beans read the gateway's state when asked.
 */
public final class Management {
    public static final String DOMAIN = "dev.shadowcat";
    private static final Logger LOG = Logger.getLogger(Management.class.getName());

    private final Gateway gateway;
    private final String context;
    private final String version;
    private final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    private final List<ObjectName> registered = new ArrayList<>();
    /**
     * The application's class loader: JMX calls arrive on the caller's thread (RMI, Jolokia, the container's console),
     * whose context class loader does not see the application's service providers (JSON-P, CDI).
     */
    private final ClassLoader application = Thread.currentThread().getContextClassLoader();

    private <T> T inApplication(java.util.function.Supplier<T> work) {
        Thread t = Thread.currentThread();
        ClassLoader was = t.getContextClassLoader();
        t.setContextClassLoader(application);
        try {
            return work.get();
        } finally {
            t.setContextClassLoader(was);
        }
    }

    public Management(Gateway gateway, String context, String version) {
        this.gateway = gateway;
        this.context = context;
        this.version = version;
    }

    /** Registers the gateway, sessions, streams and one bean per endpoint. */
    public synchronized void register() {
        register(name("Gateway", null), new GatewayBean());
        register(name("Sessions", null), new SessionsBean());
        register(name("Streams", null), new StreamsBean());
        registerUpstreams();
    }

    /** After a reload: the endpoints' beans again, for the endpoints as they are now. */
    public synchronized void refreshUpstreams() {
        for (ObjectName n : List.copyOf(registered)) {
            if ("Upstream".equals(n.getKeyProperty("type"))) {
                unregister(n);
            }
        }
        registerUpstreams();
    }

    private void registerUpstreams() {
        for (Upstream u : gateway.upstreams().values()) {
            register(name("Upstream", u.name()), new UpstreamBean(u.name()));
        }
    }

    /** Unregisters every bean this registered. Idempotent. */
    public synchronized void unregisterAll() {
        for (ObjectName n : List.copyOf(registered)) {
            unregister(n);
        }
    }

    ObjectName name(String type, String upstream) {
        try {
            String s = DOMAIN + ":type=" + type + ",context=" + ObjectName.quote(context)
                    + (upstream == null ? "" : ",name=" + ObjectName.quote(upstream));
            return new ObjectName(s);
        } catch (JMException e) {
            throw new IllegalStateException(e);
        }
    }

    private void register(ObjectName n, Object bean) {
        try {
            if (server.isRegistered(n)) {
                // a previous instance of this application that did not unregister (it crashed): ours replaces it
                LOG.warning("JMX: " + n + " was still registered; replacing it");
                server.unregisterMBean(n);
            }
            server.registerMBean(bean, n);
            registered.add(n);
        } catch (InstanceAlreadyExistsException e) {
            LOG.warning("JMX: " + n + " registered twice at once; keeping the first");
        } catch (JMException | RuntimeException e) {
            LOG.log(Level.WARNING, "JMX: could not register " + n, e);
        }
    }

    private void unregister(ObjectName n) {
        try {
            if (server.isRegistered(n)) {
                server.unregisterMBean(n);
            }
        } catch (JMException | RuntimeException e) {
            LOG.log(Level.WARNING, "JMX: could not unregister " + n, e);
        }
        registered.remove(n);
    }


    private final class GatewayBean implements GatewayMXBean {
        @Override
        public String getState() {
            SessionStore s = gateway.sessions();
            if (s == null || gateway.startedAt() == null) {
                return "STOPPED";
            }
            return gateway.isStopping() ? "DRAINING" : "RUNNING";
        }

        @Override
        public String getVersion() {
            return version;
        }

        @Override
        public long getUptimeSeconds() {
            Instant t = gateway.startedAt();
            return t == null ? 0 : Duration.between(t, Instant.now()).toSeconds();
        }

        @Override
        public String getStartedAt() {
            return String.valueOf(gateway.startedAt());
        }

        @Override
        public String getConfigSource() {
            return gateway.configSource();
        }

        @Override
        public String getLastReload() {
            Gateway.ReloadResult r = gateway.lastReload();
            return r == null ? "" : r.toJson();
        }

        @Override
        public int getSessionCount() {
            SessionStore s = gateway.sessions();
            return s == null ? 0 : s.size();
        }

        @Override
        public long getRequestsInFlight() {
            SessionStore s = gateway.sessions();
            return s == null ? 0 : s.inFlight();
        }

        @Override
        public String reloadConfig() {
            return inApplication(() -> gateway.reload("JMX reloadConfig").toJson());
        }

        @Override
        public void drainAndStopAccepting() {
            inApplication(() -> {
                gateway.drain();
                return null;
            });
        }
    }

    private final class UpstreamBean implements UpstreamMXBean {
        private final String name;

        UpstreamBean(String name) {
            this.name = name;
        }

        private Upstream upstream() {
            Upstream u = gateway.upstreams().get(name);
            if (u == null) {
                throw new IllegalStateException("upstream '" + name + "' is no longer configured");
            }
            return u;
        }

        @Override
        public String getName() {
            return name;
        }

        @Override
        public String getKind() {
            return String.valueOf(upstream().stats().get("kind"));
        }

        @Override
        public String getTransport() {
            Map<String, Object> s = upstream().stats();
            Object t = s.containsKey("transport") ? s.get("transport") : s.containsKey("mode") ? s.get("mode") : s.get("members");
            return t == null ? "" : String.valueOf(t);
        }

        @Override
        public String getBreakerState() {
            Object b = upstream().stats().get("breaker");
            return b == null ? "" : String.valueOf(b);
        }

        @Override
        public int getSessions() {
            Upstream u = upstream();
            SessionStore s = gateway.sessions();
            return s == null ? 0 : (int) s.sessions().stream().filter(x -> x.upstream() == u).count();
        }

        @Override
        public Map<String, String> getStats() {
            Map<String, String> m = new TreeMap<>();
            upstream().stats().forEach((k, v) -> m.put(k, String.valueOf(v)));
            return m;
        }

        @Override
        public int drain() {
            return inApplication(() -> gateway.drainEndpoint(name));
        }

        @Override
        public void restartChildren() {
            if (!(upstream().unwrap() instanceof StdioUpstream s)) {
                throw new UnsupportedOperationException("'" + name + "' has no child processes (it is not a stdio upstream)");
            }
            s.restartChildren();
        }

        @Override
        public void openBreaker() {
            http().setBreakerOpen(true);
        }

        @Override
        public void closeBreaker() {
            http().setBreakerOpen(false);
        }

        private HttpUpstream http() {
            if (!(upstream().unwrap() instanceof HttpUpstream h)) {
                throw new UnsupportedOperationException("'" + name + "' has no circuit breaker (it is not an HTTP upstream)");
            }
            return h;
        }
    }

    private final class SessionsBean implements SessionsMXBean {
        private List<Session> all() {
            SessionStore s = gateway.sessions();
            return s == null ? List.of() : List.copyOf(s.sessions());
        }

        @Override
        public int getCount() {
            return all().size();
        }

        @Override
        public Map<String, Integer> getCountByUpstream() {
            Map<String, Integer> m = new TreeMap<>();
            all().forEach(s -> m.merge(s.upstream().name(), 1, Integer::sum));
            return m;
        }

        @Override
        public Map<String, Integer> getCountByPrincipal() {
            Map<String, Integer> m = new TreeMap<>();
            all().forEach(s -> m.merge(s.principal(), 1, Integer::sum));
            return m;
        }

        @Override
        public String[] getHandles() {
            return all().stream().map(Session::handle).toArray(String[]::new);
        }

        @Override
        public boolean closeSession(String handle) {
            SessionStore store = gateway.sessions();
            Session s = store == null ? null : store.byHandle(handle);
            return s != null && inApplication(() -> store.close(s, "closed through JMX"));
        }
    }

    private final class StreamsBean implements StreamsMXBean {
        private SessionStore store() {
            return gateway.sessions();
        }

        @Override
        public int getOpen() {
            SessionStore s = store();
            return s == null ? 0 : s.openStreams();
        }

        @Override
        public long getReplayedEvents() {
            SessionStore s = store();
            return s == null ? 0 : s.streamStats().replayedEvents();
        }

        @Override
        public long getDroppedSlowReaders() {
            SessionStore s = store();
            return s == null ? 0 : s.streamStats().droppedSlowReaders();
        }

        @Override
        public long getEventsNotKept() {
            SessionStore s = store();
            return s == null ? 0 : s.streamStats().eventsNotKept();
        }

        @Override
        public long getResumesRefused() {
            SessionStore s = store();
            return s == null ? 0 : s.streamStats().refusedResumes();
        }

        @Override
        public long getBufferedBytes() {
            SessionStore s = store();
            return s == null ? 0 : s.bufferedBytes();
        }
    }
}
