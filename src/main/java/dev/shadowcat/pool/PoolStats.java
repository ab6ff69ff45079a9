package dev.shadowcat.pool;

/**
 * A snapshot of one pool's counters.
 *
 * @param starting resources being created (a creation ends when its resource is ready to serve)
 * @param waiting  callers queued for a free slot; one that started a creation is counted in starting
 * @param spawned  resources created over the pool's life
 * @param reused   leases served by an existing resource
 * @param retired  resources ended by the pool while alive (expired, returned as not reusable, closed)
 * @param died     resources found dead (process exited) when checked
 */
public record PoolStats(String name, int total, int leased, int idle, int starting, int waiting, int max,
                        long spawned, long reused, long retired, long died, long spawnFailures,
                        long acquireTimeouts, boolean closed) {
}
