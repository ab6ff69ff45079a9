package dev.shadowcat.boot;

/**
 * JVM settings the gateway needs and a launcher can still make before anything else runs.
 *
 * <p>The JDK's {@code HttpClient} (the HTTP upstreams) completes every response through
 * {@code CompletableFuture}'s default executor. On a machine with two cores the common pool has parallelism 1,
 * and the default executor then starts a new thread per task: one thread per upstream response (250 a second
 * under load, measured with JFR; see docs/benchmarks.md). Parallelism 2 or more makes it use the pool. The
 * property only works before the common pool is first used, so launchers set it first thing, and a container
 * needs it on its command line ({@code jetty-config/run.sh} passes it).
 */
public final class JvmDefaults {
    public static final String COMMON_POOL_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

    private JvmDefaults() {
    }

    public static void apply() {
        if (System.getProperty(COMMON_POOL_PARALLELISM) == null) {
            System.setProperty(COMMON_POOL_PARALLELISM, Integer.toString(Math.max(2, Runtime.getRuntime().availableProcessors())));
        }
    }
}
