package dev.shadowcat.config;

import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Which parts of a new configuration a running gateway takes at a reload, and which wait for a restart. Live: the
 * upstreams and aggregates, the filters and rate limits, {@code auth.policy}, and the front door's origin, host and
 * body checks, API exposure and shutdown timeout. Everything else (buffer budgets and session limits the session
 * store was built with, keep-alive timing, the audit log and metrics switches, how tokens are checked) keeps its
 * running value and is named in {@link Split#needsRestart}. Pure: no state.
 */
public final class LiveConfig {
    static final Set<String> LIVE_SERVER = Set.of("allowedOrigins", "allowedHosts", "maxBodyBytes", "shutdownTimeout",
            "apiAllowRemote");
    static final Set<String> LIVE_PIPELINE = Set.of("filters", "rateLimits");
    static final Set<String> LIVE_AUTH = Set.of("policy");

    /**
     * @param effective    what the gateway runs after the reload: {@code next}, with the running values where a
     *                     change would need a restart
     * @param needsRestart the keys that changed but wait for a restart, as in the file ({@code server.replayBytes})
     */
    public record Split(GatewayConfig effective, List<String> needsRestart) {
    }

    private LiveConfig() {
    }

    public static Split split(GatewayConfig running, GatewayConfig next) {
        List<String> restart = new ArrayList<>();
        ServerSettings server = merge("server", ServerSettings.class, running.server(), next.server(), LIVE_SERVER, restart);
        PipelineConfig pipeline = merge("pipeline", PipelineConfig.class, running.pipeline(), next.pipeline(), LIVE_PIPELINE, restart);
        AuthConfig auth;
        if (running.auth().mode().equals(next.auth().mode())) {
            auth = merge("auth", AuthConfig.class, running.auth(), next.auth(), LIVE_AUTH, restart);
        } else {
            auth = running.auth(); // turning authentication on or off takes a restart, policy and all
            restart.add("auth.mode");
        }
        return new Split(new GatewayConfig(server, next.upstreams(), next.aggregates(), pipeline, auth), List.copyOf(restart));
    }

    /** A record of {@code type} with {@code next}'s value for each live component and {@code running}'s for the rest. */
    private static <R extends Record> R merge(String section, Class<R> type, R running, R next, Set<String> live,
                                              List<String> restart) {
        RecordComponent[] parts = type.getRecordComponents();
        Object[] values = new Object[parts.length];
        Class<?>[] types = new Class<?>[parts.length];
        try {
            for (int i = 0; i < parts.length; i++) {
                RecordComponent c = parts[i];
                types[i] = c.getType();
                Object now = c.getAccessor().invoke(running);
                Object then = c.getAccessor().invoke(next);
                if (live.contains(c.getName()) || Objects.equals(now, then)) {
                    values[i] = then;
                } else {
                    values[i] = now;
                    restart.add(section + "." + c.getName());
                }
            }
            Constructor<R> canonical = type.getDeclaredConstructor(types);
            return canonical.newInstance(values);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot compare " + type.getSimpleName() + ": " + e, e);
        }
    }
}
