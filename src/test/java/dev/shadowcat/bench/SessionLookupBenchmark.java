package dev.shadowcat.bench;

import dev.shadowcat.config.ServerSettings;
import dev.shadowcat.protocol.Message;
import dev.shadowcat.session.Session;
import dev.shadowcat.session.SessionRegistry;
import dev.shadowcat.testing.fakes.ScriptedUpstream;
import dev.shadowcat.upstream.Upstream;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** SessionRegistry.find (every request after initialize) on a registry holding many sessions. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SessionLookupBenchmark {
    @Param({"10000"})
    int sessions;

    SessionRegistry registry;
    String[] ids;
    int next;
    String unknownId;

    @Setup
    public void setup() throws Exception {
        ServerSettings settings = new ServerSettings(List.of(), List.of("127.0.0.1"), 65536, Duration.ofSeconds(15),
                Duration.ofHours(1), sessions + 1, Duration.ofSeconds(1), 256, 1024, Duration.ofMinutes(5), Duration.ofSeconds(10), sessions + 1, false,
                4 << 20, 8 << 20, 16 << 20, 192L << 20, sessions + 1, "text");
        registry = new SessionRegistry(settings, System::nanoTime);
        Message init = Message.parse(("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{"
                + "\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},"
                + "\"clientInfo\":{\"name\":\"bench\",\"version\":\"1\"}}}").getBytes(StandardCharsets.UTF_8));
        Upstream upstream = ScriptedUpstream.holding("stub");
        ids = new String[sessions];
        for (int i = 0; i < sessions; i++) {
            ids[i] = registry.create(upstream, init, dev.shadowcat.pipeline.FrontDoor.MCP, "127.0.0.1").id();
        }
        // shuffle so that consecutive lookups do not walk the table in insertion order
        java.util.Random rnd = new java.util.Random(42);
        for (int i = ids.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            String t = ids[i];
            ids[i] = ids[j];
            ids[j] = t;
        }
        // the same shape as a real id (43 chars of URL-safe base64), but not registered
        unknownId = "A".repeat(43);
    }

    private String nextId() {
        String id = ids[next];
        if (++next == ids.length) {
            next = 0;
        }
        return id;
    }

    /** A header value is a fresh String per request, so its hash is not cached: copy the id each time. */
    @Benchmark
    public Session findHit() {
        return registry.find(new String(nextId().toCharArray()));
    }

    @Benchmark
    public Session findHitCachedHash() {
        return registry.find(nextId());
    }

    @Benchmark
    public Session findMiss() {
        return registry.find(new String(unknownId.toCharArray()));
    }
}
