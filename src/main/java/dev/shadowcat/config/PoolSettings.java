package dev.shadowcat.config;

import java.time.Duration;

/**
 * Pool limits for one upstream. Immutable.
 *
 * @param maxSize        most children alive at once (leased, idle or starting)
 * @param minIdle        children kept started and idle (the warm pool)
 * @param acquireTimeout how long a caller waits for a child before failing
 * @param idleTimeout    an idle child above minIdle is retired after this long
 * @param maxLifetime    a child is retired this long after it was created
 * @param maxWaiters     callers allowed to queue for a child
 */
public record PoolSettings(int maxSize, int minIdle, Duration acquireTimeout, Duration idleTimeout,
                           Duration maxLifetime, int maxWaiters) {
}
