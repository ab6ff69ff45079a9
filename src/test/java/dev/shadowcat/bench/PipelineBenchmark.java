package dev.shadowcat.bench;

import dev.shadowcat.audit.AuditLog;
import dev.shadowcat.audit.AuditStage;
import dev.shadowcat.config.PipelineConfig;
import dev.shadowcat.metrics.GatewayMetrics;
import dev.shadowcat.metrics.MetricsStage;
import dev.shadowcat.pipeline.Pipeline;
import dev.shadowcat.pipeline.Stage;
import dev.shadowcat.policy.FilterStage;
import dev.shadowcat.testing.fakes.FakeClient;
import dev.shadowcat.testing.fakes.ScriptedUpstream;
import dev.shadowcat.protocol.Message;
import dev.shadowcat.upstream.ClientSession;
import dev.shadowcat.upstream.Exchange;
import dev.shadowcat.upstream.Upstream;
import dev.shadowcat.upstream.UpstreamBinding;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The pipeline's own cost per call: one tools/call request through the chain to an upstream that answers at once,
 * and its response back through the chain to the client's exchange, with no stage, each built-in stage alone, and
 * all three (what docs/benchmarks.md compares). Run with {@code bench/jmh.sh PipelineBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PipelineBenchmark {
    @Param({"none", "metrics", "audit", "filter", "traffic-idle", "traffic-watched", "metrics+traffic-idle", "all"})
    public String stages;

    private GatewayMetrics metrics;
    private AuditLog audit;
    private Path dir;
    private UpstreamBinding binding;
    private Message request;
    private Blackhole hole;
    private ClientSession session;

    @Setup(Level.Trial)
    public void setup(Blackhole bh) throws Exception {
        hole = bh;
        metrics = new GatewayMetrics();
        dir = Files.createTempDirectory("pipeline-bench");
        List<Stage> built = new ArrayList<>();
        if (stages.startsWith("metrics") || stages.equals("all")) {
            built.add(new Stage("metrics", Stage.METRICS, new MetricsStage(metrics.registry())));
        }
        if (stages.equals("audit") || stages.equals("all")) {
            PipelineConfig.Audit cfg = new PipelineConfig.Audit(dir.resolve("audit.log"), 64L << 20, 2, 8192, Map.of());
            audit = new AuditLog(cfg.file(), cfg.maxFileBytes(), cfg.maxFiles(), cfg.queueLines(), (name, task) -> {
                Thread t = new Thread(task, "bench-" + name);
                t.setDaemon(true);
                t.start();
                return t;
            });
            built.add(new Stage("audit", Stage.AUDIT, new AuditStage(audit, cfg)));
        }
        if (stages.equals("filter") || stages.equals("all")) {
            PipelineConfig.Names deny = new PipelineConfig.Names(List.of(), List.of("never-*", "*_admin"));
            built.add(new Stage("filter", Stage.FILTER, new FilterStage(Map.of("echo",
                    new PipelineConfig.Filter(deny, PipelineConfig.Names.ALL, PipelineConfig.Names.ALL)))));
        }
        if (stages.contains("traffic")) {
            // the admin page's tap: alone, idle (nobody watching), or with one viewer whose queue takes every line
            dev.shadowcat.traffic.TrafficTap tap = new dev.shadowcat.traffic.TrafficTap(new dev.shadowcat.traffic.RecentErrors(100));
            if (stages.equals("traffic-watched")) {
                tap.watch(new dev.shadowcat.traffic.TrafficTap.Watcher() {
                    @Override
                    public boolean wants(dev.shadowcat.pipeline.CallContext c) {
                        return true;
                    }

                    @Override
                    public boolean offer(byte[] line) {
                        hole.consume(line);
                        return true;
                    }

                    @Override
                    public void close() {
                    }
                });
            }
            built.add(new Stage("traffic", Stage.TRAFFIC, tap));
        }
        Upstream u = Pipeline.assemble(built, List.of()).wrap(ScriptedUpstream.answering("echo", "{\"content\":[{\"type\":\"text\",\"text\":\"Echo: hello\"}]}"), null);
        session = new FakeClient();
        binding = u.open(session, Message.trusted("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{}}"
                .getBytes(StandardCharsets.UTF_8)), exchange());
        request = Message.parse(ProtocolBenchmark.REQUEST.getBytes(StandardCharsets.UTF_8));
    }

    private Exchange exchange() {
        return new Exchange() {
            @Override
            public ClientSession session() {
                return session;
            }

            @Override
            public void onMessage(byte[] message) {
            }

            @Override
            public void onEnd(byte[] response, Outcome outcome) {
                hole.consume(response);
            }
        };
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        if (audit != null) {
            audit.close();
        }
        metrics.close();
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }

    /** One call, both ways. */
    @Benchmark
    public void call() {
        binding.request(request, exchange());
    }
}
