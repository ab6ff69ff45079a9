package dev.shadowcat.it;

import dev.shadowcat.testing.fixtures.EverythingServer;
import dev.shadowcat.testing.fixtures.FlakyMcpServer;
import dev.shadowcat.testing.fixtures.HeaderEchoMcpServer;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
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

import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway in front of remote MCP servers: server-everything over Streamable HTTP and over the legacy
 * HTTP+SSE transport (configured and auto-detected), a server that drops its event streams, a server that
 * echoes the headers it receives, an unreachable one (circuit breaker), and an aggregated endpoint.
 */
@ExtendWith(ArquillianExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@RunAsClient
class HttpUpstreamIT {
    private static final String DEPLOYMENT = "shadowcat-http";
    private static EverythingServer everythingHttp;
    private static EverythingServer everythingSse;
    private static FlakyMcpServer flaky;
    private static HeaderEchoMcpServer echo;
    private static dev.shadowcat.testing.fixtures.ModernMcpServer modern;
    private static EverythingServer asker;
    private static Leaks.Snapshot beforeDeploy;

    @ArquillianResource
    private Deployer deployer;

    @Deployment(name = DEPLOYMENT, managed = false, testable = false)
    static WebArchive war() {
        return BuiltWar.archive();
    }

    @AfterAll
    static void stopFixtures() {
        System.clearProperty("shadowcat.config");
        for (AutoCloseable c : new AutoCloseable[]{everythingHttp, everythingSse, flaky, echo, modern, asker}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // best effort
            }
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 0, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static URI mcp(URL base, String upstream) {
        return URI.create(base.toString()).resolve("mcp/" + upstream);
    }

    @Test
    @Order(1)
    void deploys() throws Exception {
        everythingHttp = EverythingServer.start(EverythingServer.STREAMABLE_HTTP);
        everythingSse = EverythingServer.start(EverythingServer.SSE);
        flaky = FlakyMcpServer.start(7);
        echo = HeaderEchoMcpServer.start();
        modern = dev.shadowcat.testing.fixtures.ModernMcpServer.start();
        asker = EverythingServer.start(EverythingServer.STANDALONE_ASKER);
        beforeDeploy = Leaks.take();
        Path secret = Files.createTempFile("upstream-token", ".txt");
        Files.writeString(secret, "Bearer upstream-secret-42\n");
        secret.toFile().deleteOnExit();
        String config = """
                {
                  "upstreams": {
                    "http": { "url": "%s", "transport": "streamable-http" },
                    "legacy": { "url": "%s", "transport": "sse" },
                    "detect": { "url": "%s" },
                    "flaky": { "url": "%s", "transport": "streamable-http" },
                    "echo": { "url": "%s", "headers": { "Authorization": { "fromFile": "%s" } } },
                    "modern": { "url": "%s" },
                    "modern-declared": { "url": "%s", "transport": "stateless" },
                    "asker": { "url": "%s", "transport": "streamable-http", "requestTimeoutSeconds": 8 },
                    "dead": { "url": "http://127.0.0.1:%d/mcp", "transport": "streamable-http", "connectTimeoutSeconds": 2,
                              "breaker": { "failures": 2, "openSeconds": 60 } },
                    "demo": { "command": ["${java}", "-XX:TieredStopAtLevel=1", "-cp", "${webapp.classpath}", "dev.shadowcat.demo.DemoMcpServer"] }
                  },
                  "aggregates": {
                    "all": { "members": ["demo", "http"], "prefix": "conflict" },
                    "all-prefixed": { "members": ["demo", "http"], "prefix": "always" },
                    "all-plain": { "members": ["demo", "http"], "prefix": "never" }
                  }
                }
                """.formatted(everythingHttp.endpoint(), everythingSse.sseEndpoint(), everythingSse.sseEndpoint(),
                flaky.endpoint(), echo.endpoint(), secret.toAbsolutePath(), modern.endpoint(), modern.endpoint(), asker.endpoint(), freePort());
        Path cfg = Files.createTempFile("shadowcat-http-it", ".json");
        Files.writeString(cfg, config);
        cfg.toFile().deleteOnExit();
        System.setProperty("shadowcat.config", cfg.toString());
        deployer.deploy(DEPLOYMENT);
    }

    private static McpSyncClient javaClient(URL base, String upstream, List<McpSchema.ProgressNotification> progress) {
        HttpClientStreamableHttpTransport transport = HttpClientStreamableHttpTransport.builder(base.toString())
                .endpoint("/mcp/" + upstream).build();
        return McpClient.sync(transport)
                .requestTimeout(Duration.ofSeconds(20))
                .initializationTimeout(Duration.ofSeconds(20))
                .capabilities(McpSchema.ClientCapabilities.builder().sampling().elicitation().roots(true).build())
                .roots(new McpSchema.Root("file:///work/project-root", "project"))
                .sampling(req -> new McpSchema.CreateMessageResult(McpSchema.Role.ASSISTANT,
                        new McpSchema.TextContent("sampled by java"), "test-model",
                        McpSchema.CreateMessageResult.StopReason.END_TURN))
                .elicitation(req -> new McpSchema.ElicitResult(McpSchema.ElicitResult.Action.ACCEPT, Map.of("name", "Ada")))
                .progressConsumer(progress::add)
                .build();
    }

    private static String text(McpSchema.CallToolResult r) {
        return ((McpSchema.TextContent) r.content().get(0)).text();
    }

    private void javaScenario(URL base, String upstream) {
        List<McpSchema.ProgressNotification> progress = new CopyOnWriteArrayList<>();
        McpSyncClient client = javaClient(base, upstream, progress);
        try {
            client.initialize();
            Set<String> tools = client.listTools().tools().stream().map(McpSchema.Tool::name).collect(Collectors.toSet());
            assertTrue(tools.contains("echo"), tools::toString);
            assertEquals("Echo: over " + upstream, text(client.callTool(new McpSchema.CallToolRequest("echo", Map.of("message", "over " + upstream)))));
            McpSchema.CallToolResult lr = client.callTool(McpSchema.CallToolRequest.builder("trigger-long-running-operation")
                    .arguments(Map.of("duration", 1, "steps", 2)).progressToken(upstream + "-token").build());
            assertFalse(Boolean.TRUE.equals(lr.isError()), lr::toString);
            assertFalse(progress.isEmpty(), "progress relayed");
            assertTrue(progress.stream().allMatch(p -> (upstream + "-token").equals(p.progressToken())), progress::toString);
            assertFalse(client.listResources().resources().isEmpty());
            assertFalse(client.listPrompts().prompts().isEmpty());
            // tools that need the client's capabilities appear once initialized; wait for them a bounded while
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (!client.listTools().tools().stream().anyMatch(t -> t.name().equals("trigger-sampling-request"))
                    && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            McpSchema.CallToolResult sampled = client.callTool(new McpSchema.CallToolRequest("trigger-sampling-request",
                    Map.of("prompt", "hello", "maxTokens", 10)));
            assertTrue(sampled.content().toString().contains("sampled by java"), sampled::toString);
            McpSchema.CallToolResult elicited = client.callTool(new McpSchema.CallToolRequest("trigger-elicitation-request", Map.of()));
            assertTrue(elicited.content().toString().contains("Ada"), elicited::toString);
            McpSchema.CallToolResult roots = client.callTool(new McpSchema.CallToolRequest("get-roots-list", Map.of()));
            assertTrue(roots.content().toString().contains("file:///work/project-root"), roots::toString);
        } finally {
            client.closeGracefully();
        }
    }

    @Test
    @Order(10)
    void javaSdk_throughStreamableHttpUpstream(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) {
        javaScenario(base, "http");
    }

    @Test
    @Order(11)
    void javaSdk_throughLegacySseUpstream(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) {
        javaScenario(base, "legacy");
    }

    @Test
    @Order(12)
    void typescriptSdk_throughHttpLegacyAndDetectedUpstreams(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        Node.Result direct = Node.run("mcp-scenarios.mjs", "--url", everythingHttp.endpoint().toString(), "--server", "everything");
        assertEquals(0, direct.exit(), "the baseline: the same scenarios pass directly: " + direct);
        for (String up : List.of("http", "legacy", "detect")) {
            Node.Result r = Node.run("mcp-scenarios.mjs", "--url", mcp(base, up).toString(), "--server", "everything");
            assertEquals(0, r.exit(), up + ": " + r);
        }
        String stats = RawMcp.HTTP.send(java.net.http.HttpRequest.newBuilder(URI.create(base + "api/upstreams")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(stats.contains("\"name\":\"detect\"") && stats.matches("(?s).*\"name\":\"detect\"[^}]*\"transport\":\"sse\".*"),
                "auto-detection fell back to legacy SSE: " + stats);
    }

    @Test
    @Order(20)
    void flakyUpstream_droppingItsStreamEvery7Events_stillDelivers100EventsInOrder(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        RawMcp c = new RawMcp(mcp(base, "flaky")).open();
        HttpResponse<InputStream> post = c.postStream("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"stream\","
                + "\"arguments\":{\"count\":100},\"_meta\":{\"progressToken\":\"p\"}}}");
        List<RawMcp.Event> events = RawMcp.readEvents(post, RawMcp.reader(post), 102, Duration.ofSeconds(60));
        List<Integer> steps = new ArrayList<>();
        String response = null;
        for (RawMcp.Event e : events) {
            if (e.data().contains("notifications/progress")) {
                steps.add(Integer.parseInt(e.data().replaceAll(".*\"progress\":(\\d+).*", "$1")));
            } else if (e.data().contains("\"id\":5")) {
                response = e.data();
            }
        }
        List<Integer> expected = new ArrayList<>();
        for (int i = 1; i <= 100; i++) {
            expected.add(i);
        }
        assertEquals(expected, steps, "every event once, in order");
        assertTrue(response != null && response.contains("streamed 100"), String.valueOf(response));
        assertTrue(flaky.connectionsDropped() >= 10 && flaky.resumes() >= 10,
                "the upstream really dropped and the gateway really resumed: drops=" + flaky.connectionsDropped() + " resumes=" + flaky.resumes());
        // one resume per break: a break reported twice (reader and response future) was resumed twice, and two
        // readers on one call could deliver its events out of order
        assertEquals(flaky.connectionsDropped(), flaky.resumes(), "resumes per dropped stream");
    }

    @Test
    @Order(30)
    void clientCredentials_neverReachTheUpstream_butTheConfiguredOneDoes(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        RawMcp c = new RawMcp(mcp(base, "echo"));
        Map<String, String> clientHeaders = Map.of("Authorization", "Bearer client-token-SECRET", "Cookie", "sid=client-cookie",
                "X-Api-Key", "client-key", "Proxy-Authorization", "Basic Y2xpZW50");
        HttpResponse<String> init = c.post(RawMcp.initializeBody("2025-11-25"), clientHeaders);
        assertEquals(200, init.statusCode(), init.body());
        c.sessionId = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
        HttpResponse<String> r = c.post(RawMcp.call(2, "headers", "{}"), clientHeaders);
        assertEquals(200, r.statusCode(), r.body());
        String seen = r.body();
        assertTrue(seen.contains("upstream-secret-42"), "the configured credential arrives: " + seen);
        for (String leaked : List.of("client-token-SECRET", "client-cookie", "client-key", "Y2xpZW50")) {
            assertFalse(seen.contains(leaked), leaked + " must not reach the upstream: " + seen);
        }
        for (Map<String, List<String>> h : echo.requests()) {
            assertFalse(h.toString().contains("client-token-SECRET") || h.toString().contains("client-cookie"), h.toString());
            assertFalse(h.toString().contains(c.sessionId), "the gateway's own session id never goes upstream");
        }
        int deletedBefore = echo.deletedSessions().size();
        assertEquals(200, c.delete().statusCode());
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (echo.deletedSessions().size() == deletedBefore && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(deletedBefore + 1, echo.deletedSessions().size(), "ending the client session ends the upstream session");
    }

    @Test
    @Order(25)
    void aServerThatAsksOnItsStandaloneStream_isAnswered_evenOnTheSessionsFirstCall(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) {
        // the TypeScript SDK keeps a message for a standalone stream that is not open yet and never sends it: the
        // gateway must open that stream before it forwards the first request. Several sessions: the race is per session.
        for (int i = 0; i < 5; i++) {
            McpSyncClient client = javaClient(base, "asker", new CopyOnWriteArrayList<>());
            try {
                client.initialize();
                McpSchema.CallToolResult r = client.callTool(new McpSchema.CallToolRequest("ask_standalone", Map.of()));
                assertEquals("sampled: sampled by java", text(r), "session " + i);
            } finally {
                client.closeGracefully();
            }
        }
    }

    @Test
    @Order(31)
    void upstreamForgetsTheSession_clientGets404_andCanInitializeAgain(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        RawMcp c = new RawMcp(mcp(base, "echo")).open();
        assertEquals(1, echo.openSessions().size(), echo.openSessions().toString());
        String upstreamSession = echo.openSessions().iterator().next();
        HttpResponse<String> kill = RawMcp.HTTP.send(java.net.http.HttpRequest.newBuilder(echo.endpoint())
                .header("Mcp-Session-Id", upstreamSession).DELETE().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, kill.statusCode());
        HttpResponse<String> r = c.post(RawMcp.call(3, "headers", "{}"));
        assertEquals(404, r.statusCode(), "not a generic 502: " + r.body());
        HttpResponse<String> after = c.post(RawMcp.call(4, "headers", "{}"));
        assertEquals(404, after.statusCode(), "the gateway session is gone too");
        // one code for 'your session is gone', whether the gateway learned it from the upstream or already knew
        assertTrue(r.body().contains("\"code\":-32600") && r.body().contains("send a new initialize request"), r.body());
        assertTrue(after.body().contains("\"code\":-32600"), after.body());
        RawMcp again = new RawMcp(mcp(base, "echo")).open();
        assertEquals(200, again.post(RawMcp.call(2, "headers", "{}")).statusCode());
        again.delete();
    }

    @Test
    @Order(40)
    void unreachableUpstream_opensTheBreaker_andFailsFast(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        for (int i = 0; i < 2; i++) {
            HttpResponse<String> r = new RawMcp(mcp(base, "dead")).post(RawMcp.initializeBody("2025-11-25"));
            assertTrue(r.body().contains("is unreachable"), r.body());
        }
        HttpResponse<String> fast = new RawMcp(mcp(base, "dead")).post(RawMcp.initializeBody("2025-11-25"));
        assertTrue(fast.body().contains("circuit") && fast.body().contains("dead"), fast.body());
        String stats = RawMcp.HTTP.send(java.net.http.HttpRequest.newBuilder(URI.create(base + "api/upstreams")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(stats.matches("(?s).*\"name\":\"dead\"[^}]*\"breaker\":\"open\".*"), stats);
    }

    @Test
    @Order(50)
    void aggregate_mergesTwoServers_andRoutesByName_inEachPrefixMode(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) {
        // demo and server-everything both have a tool named "echo": a collision
        McpSyncClient conflict = javaClient(base, "all", new CopyOnWriteArrayList<>());
        try {
            conflict.initialize();
            Set<String> names = conflict.listTools().tools().stream().map(McpSchema.Tool::name).collect(Collectors.toSet());
            assertTrue(names.containsAll(Set.of("demo__echo", "http__echo", "pid", "trigger-long-running-operation")), names::toString);
            assertFalse(names.contains("echo"), names::toString);
            assertEquals("Echo: from demo", text(conflict.callTool(new McpSchema.CallToolRequest("demo__echo", Map.of("message", "from demo")))));
            assertEquals("Echo: from everything", text(conflict.callTool(new McpSchema.CallToolRequest("http__echo", Map.of("message", "from everything")))));
            assertTrue(text(conflict.callTool(new McpSchema.CallToolRequest("pid", Map.of()))).matches("\\d+"));
            Set<String> uris = conflict.listResources().resources().stream().map(McpSchema.Resource::uri).collect(Collectors.toSet());
            assertTrue(uris.contains("demo://static/hello"), uris::toString);
            assertEquals("Hello from demo", ((McpSchema.TextResourceContents) conflict.readResource(
                    new McpSchema.ReadResourceRequest("demo://static/hello")).contents().get(0)).text());
            assertFalse(conflict.listPrompts().prompts().isEmpty());
        } finally {
            conflict.closeGracefully();
        }
        McpSyncClient always = javaClient(base, "all-prefixed", new CopyOnWriteArrayList<>());
        try {
            always.initialize();
            Set<String> names = always.listTools().tools().stream().map(McpSchema.Tool::name).collect(Collectors.toSet());
            assertTrue(names.stream().allMatch(n -> n.startsWith("demo__") || n.startsWith("http__")), names::toString);
            assertTrue(names.contains("demo__pid"), names::toString);
        } finally {
            always.closeGracefully();
        }
        McpSyncClient never = javaClient(base, "all-plain", new CopyOnWriteArrayList<>());
        try {
            never.initialize();
            Set<String> names = never.listTools().tools().stream().map(McpSchema.Tool::name).collect(Collectors.toSet());
            assertTrue(names.contains("echo") && names.contains("pid") && names.stream().noneMatch(n -> n.contains("__")), names::toString);
            assertEquals("Echo: first wins", text(never.callTool(new McpSchema.CallToolRequest("echo", Map.of("message", "first wins")))),
                    "in never mode the first member keeps a colliding name");
        } finally {
            never.closeGracefully();
        }
    }

    // ---- era bridging: a 2026-07-28 (stateless) server behind the gateway ----

    @Test
    @Order(60)
    void oldClient_reachesAStatelessServer_throughDiscoverMetaHeadersAndInputRounds(
            @ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        for (String up : List.of("modern", "modern-declared")) { // detected, then configured
            List<McpSchema.ProgressNotification> progress = new CopyOnWriteArrayList<>();
            java.util.concurrent.CountDownLatch toolsChanged = new java.util.concurrent.CountDownLatch(1);
            HttpClientStreamableHttpTransport transport = HttpClientStreamableHttpTransport.builder(base.toString())
                    .endpoint("/mcp/" + up).build();
            try (McpSyncClient client = McpClient.sync(transport)
                    .requestTimeout(Duration.ofSeconds(20)).initializationTimeout(Duration.ofSeconds(20))
                    .capabilities(McpSchema.ClientCapabilities.builder().sampling().elicitation().roots(true).build())
                    .roots(new McpSchema.Root("file:///work/project-root", "project"))
                    .sampling(req -> new McpSchema.CreateMessageResult(McpSchema.Role.ASSISTANT, new McpSchema.TextContent("hi from java"),
                            "test-model", McpSchema.CreateMessageResult.StopReason.END_TURN))
                    .elicitation(req -> new McpSchema.ElicitResult(McpSchema.ElicitResult.Action.ACCEPT, Map.of("name", "Ada")))
                    .progressConsumer(progress::add)
                    .toolsChangeConsumer(tools -> toolsChanged.countDown())
                    .build()) {
                McpSchema.InitializeResult init = client.initialize();
                assertEquals("modern-fixture", init.serverInfo().name(), up);
                assertEquals("2025-11-25", init.protocolVersion(), "the client keeps its own revision");
                assertTrue(client.listTools().tools().stream().anyMatch(t -> t.name().equals("region_echo")));
                assertEquals("echo: old meets new", text(client.callTool(new McpSchema.CallToolRequest("echo", Map.of("message", "old meets new")))));
                assertEquals("region: eu-west", text(client.callTool(new McpSchema.CallToolRequest("region_echo", Map.of("region", "eu-west")))),
                        "the x-mcp-header argument went up as Mcp-Param-Region (the server rejects it otherwise)");
                assertEquals("Hello, Ada!", text(client.callTool(new McpSchema.CallToolRequest("ask_name", Map.of()))),
                        "input_required became an elicitation to the client and the retry carried its answer");
                assertEquals("model said hi from java; roots file:///work/project-root",
                        text(client.callTool(new McpSchema.CallToolRequest("survey", Map.of()))), "two questions at once, both answered");
                var counted = client.callTool(McpSchema.CallToolRequest.builder().name("count").arguments(Map.of("n", 3))
                        .progressToken("old-token").build());
                assertEquals("counted 3", text(counted));
                assertTrue(progress.stream().anyMatch(p -> "old-token".equals(String.valueOf(p.progressToken()))), progress.toString());
                client.callTool(new McpSchema.CallToolRequest("trigger_list_change", Map.of()));
                assertTrue(toolsChanged.await(10, java.util.concurrent.TimeUnit.SECONDS), "tools/list_changed arrived through the session's listen stream");
                client.ping(); // answered by the gateway: 2026-07-28 has no ping
            }
        }
        List<dev.shadowcat.testing.fixtures.ModernMcpServer.Recorded> seen = modern.requests();
        assertEquals(1, modern.count("initialize"), "only the auto-detection probe tried initialize; later sessions "
                + "and the upstream declared stateless never did");
        assertTrue(seen.stream().filter(r -> "initialize".equals(r.method())).allMatch(r -> r.status() >= 400), "and it was refused");
        assertTrue(seen.stream().noneMatch(r -> r.headers().containsKey("mcp-session-id")), "no session ids in 2026-07-28");
        assertTrue(seen.stream().filter(r -> r.status() == 200).allMatch(r -> List.of("2026-07-28").equals(r.headers().get("mcp-protocol-version"))));
        assertTrue(modern.askNameValidStates() >= 2, "each ask_name retry echoed the server's requestState");
        assertTrue(seen.stream().filter(r -> "tools/call".equals(r.method()) && r.body().contains("region_echo"))
                .allMatch(r -> List.of("eu-west").equals(r.headers().get("mcp-param-region"))));
    }

    @Test
    @Order(61)
    void newClient_toAStatelessServer_passesThrough_withTheServersOwnInputRounds(
            @ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        URI ep = mcp(base, "modern");
        String meta = "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
                + "\"io.modelcontextprotocol/clientCapabilities\":{\"elicitation\":{}}}";
        java.util.function.BiFunction<Integer, String, HttpResponse<String>> post = (id, extra) -> RawMcp.post2026(ep, "tools/call",
                "ask_name", "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":\"ask_name\","
                        + "\"arguments\":{}" + extra + "," + meta + "}}", HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> first = post.apply(1, "");
        assertEquals(200, first.statusCode(), first.body());
        jakarta.json.JsonObject result;
        try (var r = dev.shadowcat.protocol.JsonP.PROVIDER.createReader(new java.io.StringReader(first.body()))) {
            result = r.readObject().getJsonObject("result");
        }
        assertEquals("input_required", result.getString("resultType"));
        assertTrue(result.getJsonObject("inputRequests").containsKey("user_name"), "the server's own key, untouched: " + result);
        String state = result.getString("requestState");
        HttpResponse<String> second = post.apply(2, ",\"inputResponses\":{\"user_name\":{\"action\":\"accept\",\"content\":{\"name\":\"Grace\"}}},"
                + "\"requestState\":" + dev.shadowcat.protocol.JsonScan.quote(state));
        assertEquals(200, second.statusCode(), second.body());
        assertTrue(second.body().contains("Hello, Grace!") && second.body().contains("\"id\":2"), second.body());
    }

    @Test
    @Order(90)
    void undeploy_leavesNoThreadProcessOrDescriptor() throws Exception {
        deployer.undeploy(DEPLOYMENT);
        // every HTTP upstream kind (Streamable HTTP, legacy SSE, detected, 2026-07-28): no JDK HttpClient selector
        // thread, no callback thread, nothing else of the deployment's
        assertEquals(List.of(), Leaks.since(beforeDeploy, java.time.Duration.ofSeconds(15)));
    }
}
