package dev.shadowcat.it;

import dev.shadowcat.it.stage.FrameLogStage;
import dev.shadowcat.testing.fixtures.EverythingServer;
import dev.shadowcat.testing.fixtures.ModernMcpServer;

import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import org.jboss.arquillian.container.test.api.Deployer;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.OperateOnDeployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.StringReader;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pipeline on every front door × every upstream kind: tool filtering, metrics (scraped and parsed by an
 * independent Prometheus parser) and the audit log, plus a stage the deployment adds as a plain CDI bean. One
 * deployment; methods run in order.
 */
@ExtendWith(ArquillianExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@RunAsClient
class PipelineIT {
    private static final String DEPLOYMENT = "shadowcat-pipeline";
    private static final Path AUDIT = Path.of("target/pipeline-it/audit.log").toAbsolutePath();
    private static final Path FRAMES = Path.of("target/pipeline-it/frames.log").toAbsolutePath();

    /** upstream → (a tool it shows, a tool its filter hides). */
    private static final Map<String, String[]> TOOLS = new LinkedHashMap<>();

    static {
        TOOLS.put("dedicated", new String[]{"echo", "env"});
        TOOLS.put("shared", new String[]{"echo", "env"});
        TOOLS.put("http", new String[]{"echo", "get-sum"});
        TOOLS.put("legacy", new String[]{"echo", "get-sum"});
        TOOLS.put("modern", new String[]{"echo", "region_echo"});
        TOOLS.put("all", new String[]{"dedicated__echo", "dedicated__pid"});
    }

    private static Leaks.Snapshot beforeDeploy;
    private static EverythingServer everythingHttp;
    private static EverythingServer everythingSse;
    private static ModernMcpServer modern;

    @ArquillianResource
    private Deployer deployer;

    @Deployment(name = DEPLOYMENT, managed = false, testable = false)
    static WebArchive war() {
        return BuiltWar.archive()
                .addClass(FrameLogStage.class);
    }

    @AfterAll
    static void stop() throws Exception {
        System.clearProperty("shadowcat.config");
        System.clearProperty("shadowcat.test.frames");
        for (AutoCloseable c : new AutoCloseable[]{everythingHttp, everythingSse, modern}) {
            if (c != null) {
                c.close();
            }
        }
    }

    @Test
    @Order(1)
    void deploys() throws Exception {
        everythingHttp = EverythingServer.start(EverythingServer.STREAMABLE_HTTP);
        everythingSse = EverythingServer.start(EverythingServer.SSE);
        modern = ModernMcpServer.start();
        Files.createDirectories(AUDIT.getParent());
        Files.deleteIfExists(AUDIT);
        Files.deleteIfExists(FRAMES);
        String demo = "[\"${java}\", \"-XX:TieredStopAtLevel=1\", \"-cp\", \"${webapp.classpath}\", \"dev.shadowcat.demo.DemoMcpServer\"]";
        String config = """
                {
                  "upstreams": {
                    "dedicated": { "command": %s, "pool": { "maxSize": 8, "minIdle": 1 } },
                    "shared": { "command": %s, "mode": "shared", "pool": { "maxSize": 2, "minIdle": 1 } },
                    "http": { "url": "%s", "transport": "streamable-http" },
                    "legacy": { "url": "%s", "transport": "sse" },
                    "modern": { "url": "%s", "transport": "stateless" }
                  },
                  "aggregates": { "all": { "members": ["dedicated", "http"], "prefix": "always" } },
                  "pipeline": {
                    "audit": { "file": "%s",
                               "upstreams": { "dedicated": { "arguments": true, "redact": ["params.arguments.message"] } } },
                    "filters": {
                      "dedicated": { "tools": { "deny": ["env"] } },
                      "shared": { "tools": { "deny": ["env"] } },
                      "http": { "tools": { "deny": ["get-*"] } },
                      "legacy": { "tools": { "allow": ["*"], "deny": ["get-*"] } },
                      "modern": { "tools": { "deny": ["region_*"] } },
                      "all": { "tools": { "deny": ["*__pid"] } }
                    }
                  }
                }
                """.formatted(demo, demo, everythingHttp.endpoint(), everythingSse.sseEndpoint(), modern.endpoint(), AUDIT);
        Path cfg = Files.createTempFile("shadowcat-pipeline-it", ".json");
        Files.writeString(cfg, config);
        cfg.toFile().deleteOnExit();
        System.setProperty("shadowcat.config", cfg.toString());
        System.setProperty("shadowcat.test.frames", FRAMES.toString());
        beforeDeploy = Leaks.take();
        deployer.deploy(DEPLOYMENT);
    }

    // ---- the three front doors, spoken raw so that every status and error is visible ----

    /** A client of one front door: lists tools and calls one, returning the JSON-RPC response. */
    private interface Door {
        String name();

        JsonObject request(URI base, String upstream, int id, String method, String params) throws Exception;
    }

    private static JsonObject json(String s) {
        return Json.createReader(new StringReader(s)).readObject();
    }

    /** The JSON-RPC response in a POST's answer: the body, or the SSE event that carries the id. */
    private static JsonObject response(HttpResponse<String> r, int id) {
        String body = r.body();
        if (r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream")) {
            for (String line : body.split("\n")) {
                if (line.startsWith("data:") && line.contains("\"id\":" + id)) {
                    return json(line.substring(5).trim());
                }
            }
            throw new AssertionError("no response with id " + id + " in " + body);
        }
        return json(body);
    }

    private static final Door STATEFUL = new Door() {
        private final Map<String, RawMcp> sessions = new java.util.concurrent.ConcurrentHashMap<>();

        @Override
        public String name() {
            return "mcp";
        }

        @Override
        public JsonObject request(URI base, String upstream, int id, String method, String params) throws Exception {
            RawMcp s = sessions.get(upstream);
            if (s == null) {
                s = new RawMcp(base.resolve("mcp/" + upstream)).open();
                sessions.put(upstream, s);
            }
            HttpResponse<String> r = s.post("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"" + method + "\""
                    + (params != null ? ",\"params\":" + params : "") + "}");
            assertEquals(200, r.statusCode(), r.body());
            return response(r, id);
        }
    };

    private static final Door STATELESS = new Door() {
        @Override
        public String name() {
            return "mcp-2026";
        }

        @Override
        public JsonObject request(URI base, String upstream, int id, String method, String params) throws Exception {
            String members = params == null ? "" : params.substring(1, params.length() - 1);
            String name = params == null ? null : json(params).getString("name", null);
            HttpResponse<String> r = RawMcp.call2026(base.resolve("mcp/" + upstream), id, method, members,
                    name == null ? Map.of() : Map.of("Mcp-Name", name));
            assertEquals(200, r.statusCode(), r.body());
            return response(r, id);
        }
    };

    /** The 2024-11-05 transport: answers arrive as events on the GET stream. */
    private static final Door LEGACY = new Door() {
        private final Map<String, Object[]> sessions = new java.util.concurrent.ConcurrentHashMap<>();

        @Override
        public String name() {
            return "sse";
        }

        @SuppressWarnings("unchecked")
        @Override
        public JsonObject request(URI base, String upstream, int id, String method, String params) throws Exception {
            Object[] s = sessions.get(upstream);
            if (s == null) {
                HttpResponse<InputStream> sse = RawMcp.HTTP.send(HttpRequest.newBuilder(base.resolve("sse/" + upstream))
                        .header("Accept", "text/event-stream").GET().build(), HttpResponse.BodyHandlers.ofInputStream());
                assertEquals(200, sse.statusCode());
                BufferedReader in = RawMcp.reader(sse);
                String endpoint = RawMcp.readEvents(sse, in, 1, Duration.ofSeconds(15)).get(0).data();
                s = new Object[]{sse, in, base.resolve(endpoint)};
                sessions.put(upstream, s);
                post(s, RawMcp.initializeBody("2024-11-05"));
                take(s, 1);
                post(s, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
            }
            post(s, "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"" + method + "\""
                    + (params != null ? ",\"params\":" + params : "") + "}");
            return take(s, id);
        }

        private void post(Object[] s, String body) throws Exception {
            HttpResponse<String> r = RawMcp.HTTP.send(HttpRequest.newBuilder((URI) s[2]).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(202, r.statusCode(), r.body());
        }

        @SuppressWarnings("unchecked")
        private JsonObject take(Object[] s, int id) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (System.nanoTime() < deadline) {
                RawMcp.Event e = RawMcp.readEvents((HttpResponse<InputStream>) s[0], (BufferedReader) s[1], 1, Duration.ofSeconds(20)).get(0);
                JsonObject m = json(e.data());
                if (m.containsKey("id") && m.get("id").toString().equals(Integer.toString(id))) {
                    return m;
                }
            }
            throw new AssertionError("no answer with id " + id);
        }
    };

    private static final List<Door> DOORS = List.of(STATEFUL, STATELESS, LEGACY);

    private static Set<String> toolNames(JsonObject listResponse) {
        JsonArray tools = listResponse.getJsonObject("result").getJsonArray("tools");
        return tools.stream().map(v -> v.asJsonObject().getString("name")).collect(Collectors.toSet());
    }

    private static String args(String tool) {
        if (tool.endsWith("get-sum")) {
            return "{\"a\":1,\"b\":2}";
        }
        return tool.endsWith("env") ? "{\"name\":\"HOME\"}" : "{\"message\":\"through the pipeline\"}";
    }

    @Test
    @Order(10)
    void filtering_hidesTools_andRefusesTheirCalls_onEveryDoorAndUpstreamKind(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL url) throws Exception {
        URI base = URI.create(url.toString());
        List<String> failures = new ArrayList<>();
        int id = 100;
        for (Door door : DOORS) {
            for (var e : TOOLS.entrySet()) {
                String up = e.getKey();
                String visible = e.getValue()[0];
                String hidden = e.getValue()[1];
                String where = door.name() + " × " + up + ": ";
                Set<String> names = toolNames(door.request(base, up, ++id, "tools/list", null));
                if (!names.contains(visible) || names.contains(hidden)) {
                    failures.add(where + "list " + names);
                }
                if (up.equals("all") && names.stream().anyMatch(n -> n.startsWith("http__get-"))) {
                    failures.add(where + "a member's own filter applies inside the aggregate: " + names);
                }
                JsonObject refused = door.request(base, up, ++id, "tools/call",
                        "{\"name\":\"" + hidden + "\",\"arguments\":" + args(hidden) + "}");
                JsonObject err = refused.getJsonObject("error");
                if (err == null || err.getInt("code") != -32602 || !err.getString("message").contains("pipeline.filters." + up + ".tools")) {
                    failures.add(where + "hidden call answered " + refused);
                }
                JsonObject ok = door.request(base, up, ++id, "tools/call",
                        "{\"name\":\"" + visible + "\",\"arguments\":" + args(visible) + "}");
                if (!ok.containsKey("result") || !ok.toString().contains("through the pipeline")) {
                    failures.add(where + "visible call answered " + ok);
                }
            }
        }
        assertEquals(List.of(), failures);
    }

    @Test
    @Order(20)
    void metrics_countEveryDoorAndUpstream_andParseAsPrometheusText(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL url) throws Exception {
        // the official Python client's parser (Debian's python3-prometheus-client), independent of Micrometer
        String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
        Process p = new ProcessBuilder(python, "src/test/tools/prom_parse.py", url + "metrics").start();
        p.getOutputStream().close();
        var out = java.util.concurrent.CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
        var err = java.util.concurrent.CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the parser finished");
        assertEquals(0, p.exitValue(), err.get());
        JsonObject scrape = json(out.get().trim());
        assertTrue(scrape.getString("contentType").startsWith("text/plain; version=0.0.4"), scrape.getString("contentType"));
        Map<String, JsonObject> families = new LinkedHashMap<>();
        for (var f : scrape.getJsonArray("families")) {
            families.put(f.asJsonObject().getString("name"), f.asJsonObject());
        }
        JsonObject duration = families.get("shadowcat_call_duration_seconds");
        assertEquals("histogram", duration.getString("type"), families.keySet().toString());
        assertEquals("counter", families.get("shadowcat_call_errors").getString("type"));
        List<String> failures = new ArrayList<>();
        for (var e : TOOLS.entrySet()) {
            String up = e.getKey();
            double calls = sum(duration, "shadowcat_call_duration_seconds_count",
                    Map.of("upstream", up, "method", "tools/call", "name", e.getValue()[0], "origin", "client"));
            if (calls != DOORS.size()) {
                failures.add(up + ": " + calls + " calls of " + e.getValue()[0] + " counted, expected one per door");
            }
            double refused = sum(families.get("shadowcat_call_errors"), "shadowcat_call_errors_total",
                    Map.of("upstream", up, "method", "tools/call", "code", "-32602"));
            if (refused != DOORS.size()) {
                failures.add(up + ": " + refused + " refusals counted, expected one per door");
            }
        }
        assertEquals(List.of(), failures);
        assertTrue(sum(duration, "shadowcat_call_duration_seconds_count", Map.of("upstream", "dedicated", "origin", "member")) > 0,
                "the aggregate's legs to its members are counted apart from client calls");
        for (String family : List.of("shadowcat_sessions_open", "shadowcat_pool_children", "shadowcat_upstream_breaker_state",
                "shadowcat_pool_children_died", "shadowcat_upstream_stream_resumes", "shadowcat_requests_in_flight",
                "shadowcat_sse_streams_open", "shadowcat_sse_replayed_events", "shadowcat_sse_dropped_slow_readers")) {
            assertTrue(families.containsKey(family), family + " in " + families.keySet());
        }
        assertEquals(1.0, sum(families.get("shadowcat_upstream_breaker_state"), "shadowcat_upstream_breaker_state",
                Map.of("upstream", "http", "state", "closed")));
        assertTrue(sum(families.get("shadowcat_sse_streams_open"), "shadowcat_sse_streams_open", Map.of()) >= TOOLS.size(),
                "the legacy door's event streams, one per upstream, are still open");
    }

    private static double sum(JsonObject family, String sample, Map<String, String> labels) {
        return family.getJsonArray("samples").stream().map(v -> v.asJsonObject())
                .filter(s -> s.getString("name").equals(sample))
                .filter(s -> labels.entrySet().stream().allMatch(l -> l.getValue().equals(s.getJsonObject("labels").getString(l.getKey(), null))))
                .mapToDouble(s -> s.getJsonNumber("value").doubleValue()).sum();
    }

    private static String read(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            return "";
        }
    }

    @Test
    @Order(30)
    void audit_writesOneLinePerCall_withDoorAndUpstream_andRedactsWhatIsConfigured() throws Exception {
        List<JsonObject> lines = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        List<String> missing;
        do {
            lines.clear();
            for (String l : Files.readAllLines(AUDIT)) {
                lines.add(json(l));
            }
            missing = new ArrayList<>();
            for (Door d : DOORS) {
                for (var e : TOOLS.entrySet()) {
                    boolean found = lines.stream().anyMatch(l -> l.getString("door").equals(d.name())
                            && l.getString("upstream").equals(e.getKey()) && !l.containsKey("via")
                            && "tools/call".equals(l.getString("method")) && e.getValue()[0].equals(l.getString("name", ""))
                            && l.getString("outcome").equals("ok"));
                    boolean refused = lines.stream().anyMatch(l -> l.getString("door").equals(d.name())
                            && l.getString("upstream").equals(e.getKey()) && e.getValue()[1].equals(l.getString("name", ""))
                            && l.getString("outcome").equals("error") && l.getInt("code") == -32602);
                    if (!found || !refused) {
                        missing.add(d.name() + " × " + e.getKey());
                    }
                }
            }
            if (missing.isEmpty()) {
                break;
            }
            Thread.sleep(100); // the writer thread flushes asynchronously
        } while (System.nanoTime() < deadline);
        assertEquals(List.of(), missing);
        List<JsonObject> dedicatedCalls = lines.stream().filter(l -> l.getString("upstream").equals("dedicated")
                && "tools/call".equals(l.getString("method")) && l.containsKey("params")).toList();
        assertFalse(dedicatedCalls.isEmpty(), "arguments are recorded where configured");
        assertTrue(dedicatedCalls.stream().map(l -> l.getJsonObject("params").getJsonObject("arguments"))
                        .filter(a -> a.containsKey("message")).allMatch(a -> a.getString("message").equals("[redacted]")),
                "the configured path is redacted: " + dedicatedCalls);
        assertTrue(lines.stream().filter(l -> !l.getString("upstream").equals("dedicated")).noneMatch(l -> l.containsKey("params")),
                "no arguments where not configured");
        assertTrue(lines.stream().anyMatch(l -> "all".equals(l.getString("via", null))), "the aggregate's member legs name it");
        assertTrue(lines.stream().noneMatch(l -> l.toString().contains("Mcp-Session-Id") || l.getString("session").length() > 40),
                "handles only, never a session id");
    }

    @Test
    @Order(40)
    void aStageDeployedAsACdiBean_seesEveryFrameOfASession_bothWays_inOrder(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL url) throws Exception {
        Files.deleteIfExists(FRAMES);
        HttpClientStreamableHttpTransport transport = HttpClientStreamableHttpTransport.builder(url.toString()).endpoint("/mcp/dedicated").build();
        McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(20))
                .capabilities(McpSchema.ClientCapabilities.builder().sampling().build())
                .sampling(req -> new McpSchema.CreateMessageResult(McpSchema.Role.ASSISTANT, new McpSchema.TextContent("ok"),
                        "m", McpSchema.CreateMessageResult.StopReason.END_TURN))
                .build();
        try {
            client.initialize();
            McpSchema.CallToolResult p = client.callTool(McpSchema.CallToolRequest.builder("progress")
                    .arguments(Map.of("steps", 2, "delayMs", 1)).progressToken("t").build());
            assertEquals("done 2", ((McpSchema.TextContent) p.content().get(0)).text());
            client.callTool(new McpSchema.CallToolRequest("sample", Map.of("prompt", "x")));
        } finally {
            client.closeGracefully();
        }
        List<String> frames = Files.readAllLines(FRAMES).stream().filter(l -> l.contains(" dedicated ")).toList();
        String session = frames.get(0).split(" ")[0];
        List<String> mine = frames.stream().filter(l -> l.startsWith(session + " ")).map(l -> l.substring(session.length() + 1 + "dedicated ".length())).toList();
        List<String> expected = List.of(
                "up REQUEST initialize", "down RESPONSE end initialize REPLIED", "up NOTIFICATION notifications/initialized",
                "up REQUEST tools/call",
                "down NOTIFICATION notifications/progress", "down NOTIFICATION notifications/progress",
                "down RESPONSE end tools/call REPLIED",
                "up REQUEST tools/call", "down REQUEST sampling/createMessage", "up RESPONSE answer",
                "down RESPONSE end tools/call REPLIED");
        assertEquals(expected, mine.stream().filter(l -> !l.contains("ping")).toList(), String.join("\n", frames));
    }

    @Test
    @Order(90)
    void undeploy_leavesNoThreadProcessOrDescriptor_ofAnyKind() throws Exception {
        deployer.undeploy(DEPLOYMENT);
        // every JVM thread the deployment started (the audit writer, the HTTP upstreams' client threads and the JDK
        // HttpClient selector among them), every child process, every pipe and file descriptor
        assertEquals(List.of(), Leaks.since(beforeDeploy, Duration.ofSeconds(15)));
    }
}
