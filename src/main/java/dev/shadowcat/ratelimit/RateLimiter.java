package dev.shadowcat.ratelimit;

import dev.shadowcat.config.PipelineConfig;

/**
 * Where the token buckets live: in this JVM ({@link LocalRateLimiter}) or, for a gateway scaled out, in a shared
 * store (Bucket4j's Lettuce proxy manager over Redis), behind the same two methods. Thread-safe.
 */
public interface RateLimiter {
    /** Takes one token from the bucket {@code key} (created at {@code rate}); 0 if taken, else nanoseconds to wait. */
    long tryAcquire(String key, PipelineConfig.Rate rate);
}
