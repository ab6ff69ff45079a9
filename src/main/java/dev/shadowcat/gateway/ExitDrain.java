package dev.shadowcat.gateway;

import java.util.logging.Logger;

/**
 * Drains the gateway when the JVM is told to exit (SIGTERM, Ctrl-C), at the same moment the container begins its
 * own graceful stop, and so before it closes connections: Jetty closes every connection before it destroys a
 * context, so a drain that waited for {@code contextDestroyed} could only answer calls on connections already
 * gone. The servlet API has no "shutdown began" event; a JVM shutdown hook is the portable signal.
 *
 * <p>Registered when the gateway starts and removed when it stops (an undeploy without a JVM exit), so the hook
 * never keeps the web application's class loader alive.
 */
final class ExitDrain {
    private static final Logger LOG = Logger.getLogger(ExitDrain.class.getName());

    private final Thread hook;

    private ExitDrain(Thread hook) {
        this.hook = hook;
    }

    static ExitDrain register(Runnable drain) {
        // not from GatewayThreads: that factory counts a thread live from its creation, and a hook thread that never
        // runs (no JVM exit, just an undeploy) would then hold up the stop's wait for the gateway's threads
        Thread t = new Thread(() -> {
            LOG.info("JVM exit: draining before the container closes connections");
            drain.run();
        }, GatewayThreads.PREFIX + "exit-drain");
        t.setDaemon(false);
        Runtime.getRuntime().addShutdownHook(t);
        return new ExitDrain(t);
    }

    /** Removes the hook, unless the JVM is already exiting (then it is running or has run). Idempotent. */
    void unregister() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException exiting) {
            // the JVM is shutting down: hooks can no longer be removed, and this one has done its work
        }
    }
}
