package dev.shadowcat.manage;

/** {@code dev.shadowcat:type=Gateway,context=…}: the gateway as a whole. */
public interface GatewayMXBean {
    /** {@code RUNNING}, {@code DRAINING} (refusing new work) or {@code STOPPED}. */
    String getState();

    String getVersion();

    long getUptimeSeconds();

    String getStartedAt();

    /** The configuration file, or the built-in demo configuration. */
    String getConfigSource();

    /** The last reload's outcome as JSON, or empty when there was none. */
    String getLastReload();

    int getSessionCount();

    long getRequestsInFlight();

    /** Reads the configuration again and applies what can change live; returns the outcome as JSON. */
    String reloadConfig();

    /**
     * Stops accepting work (503 with Retry-After), lets calls in flight finish until the shutdown timeout, then ends
     * every session. Blocks until done. The application stays deployed: undeploy or restart it to serve again.
     */
    void drainAndStopAccepting();
}
