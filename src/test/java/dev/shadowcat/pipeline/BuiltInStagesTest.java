package dev.shadowcat.pipeline;

import dev.shadowcat.audit.AuditLog;
import dev.shadowcat.audit.AuditStage;
import dev.shadowcat.config.PipelineConfig;
import dev.shadowcat.metrics.GatewayMetrics;
import dev.shadowcat.metrics.MetricsStage;
import dev.shadowcat.policy.FilterStage;
import dev.shadowcat.protocol.Message;
import dev.shadowcat.testing.fakes.FakeClient;
import dev.shadowcat.upstream.Upstream;
import dev.shadowcat.upstream.UpstreamBinding;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The three built-in stages over the in-memory upstream. */
class BuiltInStagesTest {
    private static Message msg(String json) {
        return Message.trusted(json.getBytes(StandardCharsets.UTF_8));
    }

    private static final Message INIT = msg("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{}}");

    private static String request(UpstreamBinding b, FakeClient client, int id, String method, String params) throws Exception {
        FakeClient.Call c = client.new Call(Integer.toString(id));
        b.request(msg("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"" + method + "\""
                + (params != null ? ",\"params\":" + params : "") + "}"), c);
        return c.end.get(2, TimeUnit.SECONDS);
    }

    private static Pipeline with(Stage... stages) {
        return Pipeline.assemble(List.of(stages), List.of());
    }

    private static PipelineConfig.Filter tools(List<String> allow, List<String> deny) {
        return new PipelineConfig.Filter(new PipelineConfig.Names(allow, deny), PipelineConfig.Names.ALL, PipelineConfig.Names.ALL);
    }

    @Test
    void hiddenToolsLeaveTheListAndTheirCallsAreRefusedNamingTheRule() throws Exception {
        FakeUpstream fake = new FakeUpstream(List.of("echo", "delete_all", "delete_one", "add"));
        Upstream u = with(new Stage("filter", Stage.FILTER, new FilterStage(Map.of("fake",
                tools(List.of(), List.of("delete_*")))))).wrap(fake, null);
        FakeClient client = new FakeClient();
        UpstreamBinding b = u.open(client, INIT, client.new Call("0"));

        String list = request(b, client, 1, "tools/list", null);
        assertTrue(list.contains("\"echo\"") && list.contains("\"add\""), list);
        assertFalse(list.contains("delete_"), list);
        assertTrue(list.contains("\"inputSchema\""), "the kept entries are unchanged: " + list);

        String refused = request(b, client, 2, "tools/call", "{\"name\":\"delete_all\"}");
        assertTrue(refused.contains("\"code\":-32602"), refused);
        assertTrue(refused.contains("pipeline.filters.fake.tools.deny[0] \\\"delete_*\\\""), refused);
        assertFalse(fake.received.contains("tools/call delete_all"), "never reached the upstream");

        assertTrue(request(b, client, 3, "tools/call", "{\"name\":\"echo\"}").contains("\"text\":\"echo\""));
    }

    @Test
    void rateLimitsPerCallerAndPerToolRefuseWithTheRetryTime_andRefillWithTime() throws Exception {
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(1_000_000_000L);
        io.github.bucket4j.TimeMeter clock = new io.github.bucket4j.TimeMeter() {
            @Override
            public long currentTimeNanos() {
                return now.get();
            }

            @Override
            public boolean isWallClockBased() {
                return false;
            }
        };
        FakeUpstream fake = new FakeUpstream(List.of("echo", "slow"));
        var limits = new PipelineConfig.RateLimits(new PipelineConfig.Rate(10, 5), new PipelineConfig.Rate(1, 2));
        Upstream u = with(new Stage("rate", Stage.RATE_LIMIT, new dev.shadowcat.ratelimit.RateLimitStage(Map.of("fake", limits),
                new dev.shadowcat.ratelimit.LocalRateLimiter(1000, clock), null))).wrap(fake, null);
        FakeClient client = new FakeClient();
        UpstreamBinding b = u.open(client, INIT, client.new Call("0")); // the initialize takes 1 of the caller's 5

        assertTrue(request(b, client, 1, "tools/call", "{\"name\":\"slow\"}").contains("\"text\":\"slow\""));
        assertTrue(request(b, client, 2, "tools/call", "{\"name\":\"slow\"}").contains("\"text\":\"slow\""));
        String perTool = request(b, client, 3, "tools/call", "{\"name\":\"slow\"}");
        assertTrue(perTool.contains("\"code\":-32029") && perTool.contains("tool 'slow'"), perTool);
        assertTrue(perTool.contains("\"retryAfterMs\":1000"), "one token a second: " + perTool);
        assertTrue(request(b, client, 4, "tools/call", "{\"name\":\"echo\"}").contains("\"text\":\"echo\""),
                "another tool has its own bucket");
        String perCaller = request(b, client, 5, "tools/list", null);
        assertTrue(perCaller.contains("\"code\":-32029") && perCaller.contains("rate for this caller"), perCaller);
        assertFalse(fake.received.stream().filter(r -> r.equals("tools/call slow")).count() > 2, "refused calls never went upstream");

        now.addAndGet(1_000_000_000L); // one second: 10 caller tokens (capped at 5) and 1 'slow' token
        assertTrue(request(b, client, 6, "tools/call", "{\"name\":\"slow\"}").contains("\"text\":\"slow\""));
    }

    @Test
    void anAllowListHidesEverythingElse() throws Exception {
        FakeUpstream fake = new FakeUpstream(List.of("echo", "add", "secret"));
        Upstream u = with(new Stage("filter", Stage.FILTER, new FilterStage(Map.of("fake",
                tools(List.of("e?ho", "ad*"), List.of()))))).wrap(fake, null);
        FakeClient client = new FakeClient();
        UpstreamBinding b = u.open(client, INIT, client.new Call("0"));
        String list = request(b, client, 1, "tools/list", null);
        assertTrue(list.contains("\"echo\"") && list.contains("\"add\"") && !list.contains("secret"), list);
        String refused = request(b, client, 2, "tools/call", "{\"name\":\"secret\"}");
        assertTrue(refused.contains("pipeline.filters.fake.tools.allow (no glob matches)"), refused);
    }

    @Test
    void metricsCountCallsAndErrorsWithBoundedLabels() throws Exception {
        try (GatewayMetrics metrics = new GatewayMetrics()) {
            FakeUpstream fake = new FakeUpstream(List.of("echo"));
            Upstream u = with(new Stage("metrics", Stage.METRICS, new MetricsStage(metrics.registry())),
                    new Stage("filter", Stage.FILTER, new FilterStage(Map.of("fake", tools(List.of(), List.of("nope"))))))
                    .wrap(fake, null);
            FakeClient client = new FakeClient();
            UpstreamBinding b = u.open(client, INIT, client.new Call("0"));
            request(b, client, 1, "tools/list", null);
            request(b, client, 2, "tools/call", "{\"name\":\"echo\"}");
            request(b, client, 3, "tools/call", "{\"name\":\"echo\"}");
            for (int i = 0; i < 20; i++) { // invented names and methods must not become label values
                request(b, client, 10 + i, "tools/call", "{\"name\":\"invented-" + i + "\"}");
                request(b, client, 40 + i, "made/up-" + i, null);
            }
            request(b, client, 99, "tools/call", "{\"name\":\"nope\"}");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            metrics.scrape(out);
            String text = out.toString(StandardCharsets.UTF_8);
            assertTrue(text.contains("shadowcat_call_duration_seconds_count{method=\"tools/call\",name=\"echo\",origin=\"client\",upstream=\"fake\"} 2"), text);
            assertTrue(text.contains("shadowcat_call_duration_seconds_count{method=\"tools/call\",name=\"other\",origin=\"client\",upstream=\"fake\"} 21"), text);
            assertTrue(text.contains("shadowcat_call_duration_seconds_count{method=\"other\",name=\"\",origin=\"client\",upstream=\"fake\"} 20"), text);
            assertTrue(text.contains("shadowcat_call_errors_total{code=\"-32601\",method=\"other\",upstream=\"fake\"} 20"), text);
            assertTrue(text.contains("shadowcat_call_errors_total{code=\"-32602\",method=\"tools/call\",upstream=\"fake\"} 1"),
                    "a refusal by a later stage is counted: " + text);
            assertTrue(text.contains("shadowcat_call_duration_seconds_bucket{method=\"tools/call\",name=\"echo\",origin=\"client\",upstream=\"fake\",le=\"0.001\"}"), text);
            assertFalse(text.contains("invented") || text.contains("made/up"), "client-chosen names are not labels");
        }
    }

    @Test
    void auditWritesOneRedactedLinePerCallAndRotates(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("audit.log");
        PipelineConfig.Audit config = new PipelineConfig.Audit(file, 1500, 3, 1024, Map.of("fake",
                new PipelineConfig.AuditDetail(true, true, List.of("params.arguments.password", "result.content.*.text"))));
        List<Thread> started = new java.util.concurrent.CopyOnWriteArrayList<>();
        AuditLog log = new AuditLog(file, config.maxFileBytes(), config.maxFiles(), config.queueLines(), (name, task) -> {
            Thread t = new Thread(task, "test-" + name);
            started.add(t);
            t.start();
            return t;
        });
        try {
            FakeUpstream fake = new FakeUpstream(List.of("echo"));
            Upstream u = with(new Stage("audit", Stage.AUDIT, new AuditStage(log, config))).wrap(fake, null);
            FakeClient client = new FakeClient();
            UpstreamBinding b = u.open(client, INIT, client.new Call("0"));
            request(b, client, 1, "tools/call", "{\"name\":\"echo\",\"arguments\":{\"user\":\"ann\",\"password\":\"hunter2\"}}");
            request(b, client, 2, "nothing/here", null);
        } finally {
            log.close();
        }
        assertFalse(started.get(0).isAlive(), "the writer thread ended with close()");
        List<String> lines = Files.readAllLines(file);
        assertEquals(3, lines.size(), lines.toString());
        String call = lines.get(1);
        assertTrue(call.contains("\"principal\":\"anonymous\",\"session\":\"s1\",\"door\":\"mcp\",\"upstream\":\"fake\",\"method\":\"tools/call\",\"name\":\"echo\",\"outcome\":\"ok\""), call);
        assertTrue(call.contains("\"user\":\"ann\"") && call.contains("\"password\":\"[redacted]\"") && !call.contains("hunter2"), call);
        assertTrue(call.contains("\"text\":\"[redacted]\""), call);
        assertTrue(lines.get(2).contains("\"outcome\":\"error\",\"code\":-32601"), lines.get(2));
        for (String l : lines) {
            jakarta.json.Json.createReader(new java.io.StringReader(l)).readObject(); // every line is one JSON object
        }

        // rotation: past maxFileBytes the file moves to .1, and no more than maxFiles files exist
        AuditLog again = new AuditLog(file, 1500, 3, 1024, (name, task) -> {
            Thread t = new Thread(task);
            t.start();
            return t;
        });
        for (int i = 0; i < 40; i++) {
            again.offer("{\"n\":" + i + ",\"pad\":\"" + "x".repeat(100) + "\"}");
        }
        again.close();
        assertTrue(Files.exists(dir.resolve("audit.log.1")) && Files.exists(dir.resolve("audit.log.2")));
        assertFalse(Files.exists(dir.resolve("audit.log.3")));
        assertTrue(Files.size(file) <= 1500);
        assertTrue(Files.readString(file).contains("\"n\":39"), "the newest line is in the current file");
    }
}
