package dev.shadowcat.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * One stdio upstream. Immutable.
 *
 * @param command          argv; never a shell string
 * @param env              variables added to the child's minimal inherited environment (values already resolved)
 * @param cwd              working directory, or null for the gateway's
 * @param requestTimeout   per-request deadline; on expiry the client gets an error and the upstream a cancel
 * @param maxFrameBytes    longest stdout line accepted from the child; a longer one marks the child broken
 * @param terminationGrace how long each step of close stdin → SIGTERM → SIGKILL waits
 * @param maxRequestsPerChild shared mode: a child is retired after serving this many requests (0 = no limit);
 *                         1 serves single-shot servers that exit after one answer
 * @param readinessTimeout dedicated mode: how long a new child may take to answer the gateway's first
 *                         {@code ping} before it is counted ready anyway; zero counts it ready once started
 */
public record UpstreamConfig(String name, List<String> command, Map<String, String> env, Path cwd, SessionMode mode,
                             PoolSettings pool, Duration requestTimeout, int maxFrameBytes,
                             Duration terminationGrace, int maxRequestsPerChild, Duration readinessTimeout)
        implements UpstreamSpec {

    /** How client sessions map onto child processes. */
    public enum SessionMode {
        /** Each client session owns one child for its lifetime; children are pre-spawned warm. */
        DEDICATED,
        /** Children are initialized once by the gateway and leased to one request at a time from any session. */
        SHARED
    }

    @Override
    public String toString() {
        // env values may be secrets: never print them
        return "UpstreamConfig{" + name + " " + command + " env=" + env.keySet() + " mode=" + mode + " " + pool + "}";
    }
}
