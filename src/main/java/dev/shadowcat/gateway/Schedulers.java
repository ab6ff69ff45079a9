package dev.shadowcat.gateway;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The gateway's threads: the factory every gateway thread comes from ({@link GatewayThreads}, all named
 * {@code shadowcat-…}), and its two schedulers — {@code shadowcat-housekeeper} for periodic upkeep and
 * {@code shadowcat-timers} for one-shot timers (deadlines, acquire timeouts, backoff), kept apart so that upkeep
 * can never delay a deadline. Thread-safe. {@link #stop} (also the idempotent {@code @PreDestroy}) ends both.
 */
@ApplicationScoped
public class Schedulers {
    private static final Logger LOG = Logger.getLogger(Schedulers.class.getName());

    private final GatewayThreads threads = new GatewayThreads();
    private volatile ScheduledThreadPoolExecutor housekeeper;
    private volatile ScheduledThreadPoolExecutor timers;

    /** Starts both schedulers; a no-op when they run. */
    public synchronized void start() {
        if (housekeeper == null) {
            housekeeper = threads.newHousekeeper();
            timers = threads.newScheduler("timers");
        }
    }

    public GatewayThreads threads() {
        return threads;
    }

    /** Periodic upkeep. */
    public ScheduledThreadPoolExecutor housekeeper() {
        return housekeeper;
    }

    /** One-shot timers of requests and streams. */
    public ScheduledThreadPoolExecutor timers() {
        return timers;
    }

    /** Stops both schedulers (queued tasks are dropped), waiting up to two seconds each. Idempotent. */
    @PreDestroy
    public synchronized void stop() {
        for (ScheduledThreadPoolExecutor s : new ScheduledThreadPoolExecutor[]{housekeeper, timers}) {
            if (s == null) {
                continue;
            }
            s.shutdownNow();
            try {
                if (!s.awaitTermination(2, TimeUnit.SECONDS)) {
                    LOG.warning("shutdown: a scheduler did not stop within 2 s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        housekeeper = null;
        timers = null;
    }

    /** Waits (bounded) for every gateway thread to end: pipe threads end when their process's pipes close. */
    public void awaitThreads(long ms) {
        long end = System.currentTimeMillis() + ms;
        for (Thread t : threads.live()) {
            long left = end - System.currentTimeMillis();
            if (left <= 0) {
                break;
            }
            try {
                t.join(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        List<Thread> alive = List.copyOf(threads.live());
        if (!alive.isEmpty()) {
            LOG.warning("shutdown: threads still alive: " + alive);
        }
    }
}
