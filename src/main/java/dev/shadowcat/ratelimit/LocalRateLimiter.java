package dev.shadowcat.ratelimit;

import dev.shadowcat.config.PipelineConfig;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Token buckets in this JVM (Bucket4j, lock-free buckets). Bounded: past {@code maxKeys} buckets the map starts
 * over, which at worst gives every caller its burst again. Thread-safe; the clock is injected.
 */
public final class LocalRateLimiter implements RateLimiter {
    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final int maxKeys;
    private final TimeMeter clock;

    public LocalRateLimiter(int maxKeys, TimeMeter clock) {
        this.maxKeys = maxKeys;
        this.clock = clock;
    }

    public LocalRateLimiter() {
        this(100_000, TimeMeter.SYSTEM_NANOTIME);
    }

    @Override
    public long tryAcquire(String key, PipelineConfig.Rate rate) {
        Bucket b = buckets.get(key);
        if (b == null) {
            if (buckets.size() >= maxKeys) {
                buckets.clear();
            }
            b = buckets.computeIfAbsent(key, k -> Bucket.builder()
                    .addLimit(Bandwidth.builder().capacity(rate.burst()).refillGreedy(rate.perSecond(), Duration.ofSeconds(1)).build())
                    .withCustomTimePrecision(clock).build());
        }
        ConsumptionProbe p = b.tryConsumeAndReturnRemaining(1);
        return p.isConsumed() ? 0 : Math.max(1, p.getNanosToWaitForRefill());
    }
}
