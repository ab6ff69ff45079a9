package dev.shadowcat.bench;

import dev.shadowcat.config.PoolSettings;
import dev.shadowcat.pool.Lease;
import dev.shadowcat.pool.Pool;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Pool acquire + release of an idle resource (the shared-mode path of every request): a trivial resource and
 * a factory that completes at once, so only the pool's own bookkeeping is measured.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PoolBenchmark {
    /** A resource that is always alive and costs nothing. */
    static final class Trivial implements Pool.Pooled {
        @Override
        public boolean isAlive() {
            return true;
        }

        @Override
        public void retire() {
        }
    }

    ScheduledExecutorService scheduler;
    Pool<Trivial> pool;

    @Setup(Level.Trial)
    public void setup() {
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bench-pool-scheduler");
            t.setDaemon(true);
            return t;
        });
        PoolSettings settings = new PoolSettings(4, 4, Duration.ofSeconds(5), Duration.ofMinutes(5),
                Duration.ofHours(1), 1000);
        pool = new Pool<>("bench", settings, () -> CompletableFuture.completedFuture(new Trivial()), scheduler,
                System::nanoTime);
        pool.maintain(); // warm: minIdle resources created (completed futures) and idle
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        scheduler.shutdownNow();
    }

    @Benchmark
    public Trivial acquireRelease() {
        Lease<Trivial> lease = pool.acquire().join();
        Trivial r = lease.resource();
        lease.release();
        return r;
    }

    /** Two threads on one pool (the machine has 2 cores): the pool's lock under contention. */
    @Benchmark
    @Threads(2)
    public Trivial acquireReleaseContended() {
        Lease<Trivial> lease = pool.acquire().join();
        Trivial r = lease.resource();
        lease.release();
        return r;
    }
}
