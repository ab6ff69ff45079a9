package dev.shadowcat.gateway;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Creates and tracks every thread the gateway starts, all named {@code shadowcat-…}, so that shutdown can
 * prove none is left. Thread-safe.
 */
public final class GatewayThreads implements ThreadFactory {
    private static final Logger LOG = Logger.getLogger(GatewayThreads.class.getName());
    public static final String PREFIX = "shadowcat-";

    private final Set<Thread> live = ConcurrentHashMap.newKeySet();
    private final AtomicInteger seq = new AtomicInteger();

    /** Starts a daemon thread running {@code task}; uncaught failures are logged, never lost. */
    public Thread start(String name, Runnable task) {
        Thread t = create(name, task);
        t.start();
        return t;
    }

    @Override
    public Thread newThread(Runnable r) {
        return create("worker-" + seq.incrementAndGet(), r);
    }

    private Thread create(String name, Runnable task) {
        Thread t = new Thread(null, () -> {
            try {
                task.run();
            } catch (Throwable e) {
                LOG.log(Level.SEVERE, "thread " + Thread.currentThread().getName() + " failed", e);
            } finally {
                live.remove(Thread.currentThread());
            }
        }, PREFIX + name, 256 * 1024);
        t.setDaemon(true);
        live.add(t);
        return t;
    }

    /** A factory for one component's pool threads, named {@code shadowcat-<prefix>-N} and tracked like all others. */
    public ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> create(prefix + "-" + n.incrementAndGet(), r);
    }

    /** The scheduler of the gateway's periodic upkeep (keep-alives, idle reaping, pool maintenance). */
    public ScheduledThreadPoolExecutor newHousekeeper() {
        return newScheduler("housekeeper");
    }

    /** A single-thread scheduler named {@code shadowcat-<name>}: queued tasks are dropped at shutdown. */
    public ScheduledThreadPoolExecutor newScheduler(String name) {
        ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1,
                r -> create(name, r));
        s.setRemoveOnCancelPolicy(true);
        s.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        return s;
    }

    public int liveCount() {
        return live.size();
    }

    public Set<Thread> live() {
        return Set.copyOf(live);
    }
}
