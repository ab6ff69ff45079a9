package dev.shadowcat.it;

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

import java.io.BufferedReader;
import java.io.InputStream;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Deploys the real WAR into embedded Jetty 12.1 with {@code it-config.json} and drives it with real clients
 * (the MCP Java SDK in process, the TypeScript SDK through Node) against real stdio MCP servers (the demo
 * server shipped in the WAR, and server-everything from npm). The last test undeploys and checks that no
 * child process and no gateway thread is left behind. Methods share one deployment and run in order.
 */
@ExtendWith(ArquillianExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@RunAsClient
class GatewayIT {
    private static final String DEPLOYMENT = "shadowcat";
    private static Leaks.Snapshot beforeDeploy;

    @ArquillianResource
    private Deployer deployer;

    @Deployment(name = DEPLOYMENT, managed = false, testable = false)
    static WebArchive war() {
        return BuiltWar.archive();
    }

    @AfterAll
    static void clearConfig() {
        System.clearProperty("shadowcat.config");
    }

    private static URI mcp(URL base, String upstream) {
        return URI.create(base.toString()).resolve(upstream == null ? "mcp" : "mcp/" + upstream);
    }

    private static McpSyncClient javaClient(URL base, String upstream, List<McpSchema.ProgressNotification> progress) {
        HttpClientStreamableHttpTransport transport = HttpClientStreamableHttpTransport.builder(base.toString())
                .endpoint(upstream == null ? "/mcp" : "/mcp/" + upstream).build();
        return McpClient.sync(transport)
                .requestTimeout(Duration.ofSeconds(20))
                .initializationTimeout(Duration.ofSeconds(20))
                .capabilities(McpSchema.ClientCapabilities.builder().sampling().elicitation().build())
                .sampling(req -> new McpSchema.CreateMessageResult(McpSchema.Role.ASSISTANT,
                        new McpSchema.TextContent("a haiku from java"), "test-model",
                        McpSchema.CreateMessageResult.StopReason.END_TURN))
                .elicitation(req -> new McpSchema.ElicitResult(McpSchema.ElicitResult.Action.ACCEPT, Map.of("name", "Ada")))
                .progressConsumer(progress::add)
                .build();
    }

    private static String text(McpSchema.CallToolResult r) {
        return ((McpSchema.TextContent) r.content().get(0)).text();
    }

    @Test
    @Order(1)
    void deploys() {
        System.setProperty("shadowcat.config", Path.of("src/test/resources/it-config.json").toAbsolutePath().toString());
        beforeDeploy = Leaks.take();
        deployer.deploy(DEPLOYMENT);
    }

    @Test
    @Order(10)
    void javaSdk_fullScenario_throughDedicatedStdio(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws InterruptedException {
        List<McpSchema.ProgressNotification> progress = new CopyOnWriteArrayList<>();
        McpSyncClient client = javaClient(base, "demo", progress);
        try {
            McpSchema.InitializeResult init = client.initialize();
            assertEquals("shadowcat-demo", init.serverInfo().name());
            assertEquals("2025-11-25", init.protocolVersion());

            Set<String> tools = client.listTools().tools().stream().map(McpSchema.Tool::name).collect(Collectors.toSet());
            assertTrue(tools.containsAll(Set.of("echo", "progress", "sample", "elicit")), tools::toString);
            assertEquals("Echo: hello java", text(client.callTool(new McpSchema.CallToolRequest("echo", Map.of("message", "hello java")))));
            assertEquals("hello-from-config", text(client.callTool(new McpSchema.CallToolRequest("env", Map.of("name", "DEMO_GREETING")))),
                    "env from the config file reaches the child");
            assertEquals("(unset)", text(client.callTool(new McpSchema.CallToolRequest("env", Map.of("name", "JAVA_TOOL_OPTIONS_NOT_SET_X")))));

            McpSchema.ReadResourceResult res = client.readResource(new McpSchema.ReadResourceRequest("demo://static/hello"));
            assertEquals("Hello from demo", ((McpSchema.TextResourceContents) res.contents().get(0)).text());
            McpSchema.GetPromptResult prompt = client.getPrompt(new McpSchema.GetPromptRequest("greet", Map.of("name", "Grace")));
            assertEquals("Hello, Grace!", ((McpSchema.TextContent) prompt.messages().get(0).content()).text());

            McpSchema.CallToolResult p = client.callTool(McpSchema.CallToolRequest.builder("progress")
                    .arguments(Map.of("steps", 4, "delayMs", 5)).progressToken("java-token").build());
            assertEquals("done 4", text(p));
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (progress.size() < 4 && System.nanoTime() < until) {
                Thread.sleep(10); // the SDK hands progress to consumers asynchronously, possibly after the result
            }
            assertEquals(4, progress.size(), progress::toString);
            // the SDK hands notifications to consumers asynchronously; wire order is checked by the raw SSE test
            assertEquals(Set.of(1.0, 2.0, 3.0, 4.0), progress.stream().map(McpSchema.ProgressNotification::progress).collect(Collectors.toSet()));
            assertTrue(progress.stream().allMatch(n -> "java-token".equals(n.progressToken())), progress::toString);

            assertEquals("sampled: a haiku from java", text(client.callTool(new McpSchema.CallToolRequest("sample", Map.of("prompt", "write")))));
            assertTrue(text(client.callTool(new McpSchema.CallToolRequest("elicit", Map.of("message", "who?")))).startsWith("elicited: accept"));
        } finally {
            client.closeGracefully();
        }
    }

    @Test
    @Order(11)
    void javaSdk_againstServerEverything(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) {
        List<McpSchema.ProgressNotification> progress = new CopyOnWriteArrayList<>();
        McpSyncClient client = javaClient(base, "everything", progress);
        try {
            McpSchema.InitializeResult init = client.initialize();
            assertTrue(init.serverInfo().name().contains("everything"), init.serverInfo()::toString);
            assertEquals("Echo: via gateway", text(client.callTool(new McpSchema.CallToolRequest("echo", Map.of("message", "via gateway")))));
            McpSchema.CallToolResult lr = client.callTool(McpSchema.CallToolRequest.builder("trigger-long-running-operation")
                    .arguments(Map.of("duration", 1, "steps", 3)).progressToken("everything-token").build());
            assertFalse(Boolean.TRUE.equals(lr.isError()), lr::toString);
            assertTrue(progress.size() >= 1, "progress notifications relayed: " + progress);
            assertFalse(client.listResources().resources().isEmpty());
            assertFalse(client.listPrompts().prompts().isEmpty());
        } finally {
            client.closeGracefully();
        }
    }

    @Test
    @Order(12)
    void typescriptSdk_scenarios_demoAndEverything(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        Node.Result demo = Node.run("mcp-scenarios.mjs", "--url", mcp(base, "demo").toString(), "--server", "demo");
        assertEquals(0, demo.exit(), demo::toString);
        assertTrue(demo.stdout().contains("\"failed\":[]"), demo::toString);
        Node.Result everything = Node.run("mcp-scenarios.mjs", "--url", mcp(base, "everything").toString(), "--server", "everything");
        assertEquals(0, everything.exit(), everything::toString);
    }

    @Test
    @Order(13)
    void typescriptSdk_concurrentSessions_areIsolated_inSharedMode(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        Node.Result r = Node.run("mcp-scenarios.mjs", "--url", mcp(base, "sharedpool").toString(), "--server", "demo",
                "--concurrent", "6");
        assertEquals(0, r.exit(), r::toString);
    }

    @Test
    @Order(20)
    void shared_maxOne_servesSequentialRequestsFromOneProcess(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        Set<String> pids = new HashSet<>();
        for (int s = 0; s < 3; s++) {
            RawMcp c = new RawMcp(mcp(base, "shared")).open();
            for (int i = 0; i < 10; i++) {
                HttpResponse<String> r = c.post(RawMcp.call(10 + i, "pid", "{}"));
                assertEquals(200, r.statusCode(), r.body());
                pids.add(RawMcp.text(r.body()));
            }
            assertEquals(200, c.delete().statusCode());
        }
        assertEquals(1, pids.size(), "30 calls from 3 sessions, one child: " + pids);
    }

    @Test
    @Order(21)
    void shared_childKilledMidCall_errorForThatCall_freshChildForTheNext(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        RawMcp c = new RawMcp(mcp(base, "shared")).open();
        String before = RawMcp.text(c.post(RawMcp.call(2, "pid", "{}")).body());
        HttpResponse<String> crash = c.post(RawMcp.call(3, "crash", "{\"exitCode\":7}"));
        assertEquals(200, crash.statusCode());
        assertTrue(crash.body().contains("\"error\"") && crash.body().contains("\"exitCode\":7"), crash.body());
        assertTrue(crash.body().contains("\"id\":3"), crash.body());
        String after = RawMcp.text(c.post(RawMcp.call(4, "pid", "{}")).body());
        assertNotEquals(before, after);
        assertFalse(ProcessHandle.of(Long.parseLong(before)).map(ProcessHandle::isAlive).orElse(false), "crashed child is gone");
    }

    @Test
    @Order(22)
    void singleShotServer_isNeverReused_andLeavesNoProcess(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        RawMcp c = new RawMcp(mcp(base, "single")).open();
        List<String> pids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> r = c.post(RawMcp.call(5 + i, "pid", "{}"));
            assertEquals(200, r.statusCode(), r.body());
            pids.add(RawMcp.text(r.body()));
        }
        assertEquals(3, new HashSet<>(pids).size(), "each call got its own child: " + pids);
        for (String pid : pids) {
            awaitGone(Long.parseLong(pid));
        }
    }

    @Test
    @Order(23)
    void requestTimeout_isAJsonRpcError(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        RawMcp c = new RawMcp(mcp(base, "slow")).open();
        HttpResponse<String> r = c.post(RawMcp.call(9, "sleep", "{\"ms\":5000}"));
        assertEquals(200, r.statusCode());
        assertTrue(r.body().contains("\"code\":-32001") && r.body().contains("did not answer within 1000 ms"), r.body());
        assertTrue(c.post(RawMcp.call(10, "echo", "{\"message\":\"still fine\"}")).body().contains("Echo: still fine"));
    }

    @Test
    @Order(24)
    void dedicated_sessionEnd_terminatesItsChild(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        RawMcp a = new RawMcp(mcp(base, "demo")).open();
        RawMcp b = new RawMcp(mcp(base, "demo")).open();
        long pidA = Long.parseLong(RawMcp.text(a.post(RawMcp.call(2, "pid", "{}")).body()));
        long pidB = Long.parseLong(RawMcp.text(b.post(RawMcp.call(2, "pid", "{}")).body()));
        assertNotEquals(pidA, pidB);
        assertEquals(200, a.delete().statusCode());
        awaitGone(pidA);
        assertTrue(b.post(RawMcp.call(3, "echo", "{\"message\":\"b lives\"}")).body().contains("Echo: b lives"));
        assertEquals(200, b.delete().statusCode());
        awaitGone(pidB);
    }

    @Test
    @Order(25)
    void dedicatedPoolFullOfIdleSessions_reclaimsTheLongestIdle_forANewClient(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        // clients that never DELETE (the conformance runner, the Inspector CLI) must not lock new clients out
        URI ep = mcp(base, "tiny");
        RawMcp first = new RawMcp(ep).open();
        Thread.sleep(100);
        RawMcp second = new RawMcp(ep).open();
        Thread.sleep(1200); // both idle past server.reclaimIdleSeconds (1 s in it-config.json)
        HttpResponse<String> init = new RawMcp(ep).post(RawMcp.initializeBody("2025-11-25"));
        assertEquals(200, init.statusCode(), init.body());
        assertTrue(init.body().contains("\"result\"") && init.body().contains("shadowcat-demo"),
                "the third client got a child at once: " + init.body());
        HttpResponse<String> gone = first.post(RawMcp.call(2, "echo", "{\"message\":\"x\"}"));
        assertEquals(404, gone.statusCode(), "the longest idle session was reclaimed: its client re-initializes");
        HttpResponse<String> kept = second.post(RawMcp.call(2, "echo", "{\"message\":\"still here\"}"));
        assertEquals(200, kept.statusCode(), kept.body());
        assertTrue(kept.body().contains("Echo: still here"), kept.body());
        second.delete();
    }

    @Test
    @Order(30)
    void sse_resume_withLastEventId_replaysOnlyThatStreamsMissedEvents(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        RawMcp c = new RawMcp(mcp(base, "demo")).open();
        HttpResponse<InputStream> post = c.postStream("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"progress\","
                + "\"arguments\":{\"steps\":6,\"delayMs\":300},\"_meta\":{\"progressToken\":\"resume-me\"}}}");
        assertEquals("text/event-stream", post.headers().firstValue("Content-Type").orElse("").split(";")[0]);
        BufferedReader in = RawMcp.reader(post);
        List<RawMcp.Event> first = RawMcp.readEvents(post, in, 3, Duration.ofSeconds(10)); // priming + progress 1 + progress 2
        assertEquals("", first.get(0).data(), "2025-11-25 streams start with a priming event");
        assertTrue(first.get(2).data().contains("\"progress\":2"), first.toString());
        String lastId = first.get(2).id();
        post.body().close(); // the connection drops; the request goes on upstream

        HttpResponse<InputStream> resumed = c.getStream(Map.of("Last-Event-ID", lastId));
        assertEquals(200, resumed.statusCode());
        List<RawMcp.Event> rest = RawMcp.readEvents(resumed, RawMcp.reader(resumed), 5, Duration.ofSeconds(10));
        resumed.body().close();
        List<String> data = rest.stream().map(RawMcp.Event::data).toList();
        for (int step = 3; step <= 6; step++) {
            int s = step;
            assertEquals(1, data.stream().filter(d -> d.contains("\"progress\":" + s + ",")).count(), "step " + s + " once: " + data);
        }
        assertTrue(data.get(4).contains("\"id\":7") && data.get(4).contains("done 6"), data.toString());
        assertTrue(data.stream().noneMatch(d -> d.contains("\"progress\":2,") || d.contains("\"progress\":1,")), "nothing replayed twice: " + data);
        assertEquals(200, c.delete().statusCode());
    }

    @Test
    @Order(31)
    void standaloneGetStream_carriesListChanged_andOnlyOneIsAllowed(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        RawMcp c = new RawMcp(mcp(base, "demo")).open();
        HttpResponse<InputStream> get = c.getStream(Map.of());
        assertEquals(200, get.statusCode());
        assertEquals("no-store", get.headers().firstValue("Cache-Control").orElse(""));
        assertEquals("no", get.headers().firstValue("X-Accel-Buffering").orElse(""));
        assertEquals(409, c.getStream(Map.of()).statusCode(), "a second standalone stream is refused");
        c.post(RawMcp.call(3, "touch", "{\"uri\":\"demo://static/hello\"}"));
        BufferedReader in = RawMcp.reader(get);
        List<RawMcp.Event> events = RawMcp.readEvents(get, in, 2, Duration.ofSeconds(10)); // priming, then list_changed
        assertTrue(events.get(1).data().contains("notifications/resources/list_changed"), events.toString());
        // keep-alive comments arrive on the idle stream (keepAliveSeconds=1 in the IT config)
        var watchdog = java.util.concurrent.CompletableFuture.runAsync(() -> { }, 
                java.util.concurrent.CompletableFuture.delayedExecutor(5, TimeUnit.SECONDS))
                .thenRun(() -> {
                    try {
                        get.body().close();
                    } catch (java.io.IOException ignored) {
                        // the test reads what it got
                    }
                });
        String line;
        boolean keepAlive = false;
        try {
            while (!keepAlive && (line = in.readLine()) != null) {
                keepAlive = line.startsWith(":");
            }
        } catch (java.io.IOException closedByWatchdog) {
            // keepAlive stays false
        }
        watchdog.cancel(false);
        assertTrue(keepAlive, "a keep-alive comment within 5 s");
        get.body().close();
        assertEquals(200, c.delete().statusCode());
    }

    @Test
    @Order(40)
    void operationsApi_listsPools_andDeletesSessionsByHandle(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        RawMcp c = new RawMcp(mcp(base, "demo")).open();
        var http = RawMcp.HTTP;
        String ups = http.send(java.net.http.HttpRequest.newBuilder(URI.create(base + "api/upstreams")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(ups.contains("\"name\":\"shared\"") && ups.contains("\"spawned\"") && ups.contains("\"reused\""), ups);
        String sessions = http.send(java.net.http.HttpRequest.newBuilder(URI.create(base + "api/sessions")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertFalse(sessions.contains(c.sessionId), "the secret session id is never shown");
        java.util.List<String> handles = java.util.regex.Pattern.compile("\"id\":\"([^\"]+)\"").matcher(sessions).results()
                .map(m -> m.group(1)).toList();
        assertFalse(handles.isEmpty(), sessions);
        assertTrue(handles.stream().allMatch(h -> h.matches("s[A-Za-z0-9_-]{12}")), "random handles, not a sequence: " + handles);
        String handle = handles.get(handles.size() - 1);
        HttpResponse<String> del = http.send(java.net.http.HttpRequest.newBuilder(URI.create(base + "api/sessions/" + handle))
                .DELETE().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(204, del.statusCode());
        String health = http.send(java.net.http.HttpRequest.newBuilder(URI.create(base + "api/health")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(health.contains("\"status\":\"ok\""), health);
    }

    @Test
    @Order(32)
    void legacyFrontDoor_twoConcurrentOldClients_areIsolated(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        for (String up : List.of("demo", "sharedpool")) {
            Node.Result r = Node.run("legacy-client.mjs", "--url", URI.create(base.toString()).resolve("sse/" + up).toString(),
                    "--concurrent", "3");
            assertEquals(0, r.exit(), up + ": " + r);
        }
    }

    @Test
    @Order(33)
    void legacyFrontDoor_sendsTheEndpointFirst_andRefusesUnknownKeys(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        HttpResponse<InputStream> sse = RawMcp.HTTP.send(java.net.http.HttpRequest.newBuilder(URI.create(base + "sse/demo"))
                .header("Accept", "text/event-stream").GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, sse.statusCode());
        BufferedReader in = RawMcp.reader(sse);
        assertEquals("event: endpoint", in.readLine());
        String data = in.readLine();
        assertTrue(data.matches("data: /messages\\?sessionId=[A-Za-z0-9_-]{43}"), data);
        sse.body().close();
        HttpResponse<String> unknown = RawMcp.HTTP.send(java.net.http.HttpRequest.newBuilder(URI.create(base + "messages?sessionId=nope"))
                .header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(RawMcp.initializeBody("2024-11-05"))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(404, unknown.statusCode(), unknown.body());
    }

    // ---- one test per bad input: each gets a clear status and message, and the session still works after ----

    private static void assertRefused(HttpResponse<String> r, int status, String messagePart) {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.body().contains(messagePart), "expected '" + messagePart + "' in " + r.body());
    }

    @Test
    @Order(50)
    void badInput_missingSessionId_is400(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        assertRefused(new RawMcp(mcp(base, "demo")).post(RawMcp.call(1, "echo", "{}")), 400, "Mcp-Session-Id header is required");
    }

    @Test
    @Order(51)
    void badInput_unknownSession_is404(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        RawMcp c = new RawMcp(mcp(base, "demo"));
        c.sessionId = "not-a-session";
        assertRefused(c.post(RawMcp.call(1, "echo", "{}")), 404, "send a new initialize");
        assertEquals(404, c.getStream(Map.of()).statusCode());
    }

    @Test
    @Order(52)
    void badInput_wrongAccept_is406(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        RawMcp c = new RawMcp(mcp(base, "demo")).open();
        assertRefused(c.post(RawMcp.call(2, "echo", "{}"), Map.of("Accept", "application/json")), 406, "text/event-stream");
        HttpResponse<String> get = RawMcp.HTTP.send(c.request(Map.of("Accept", "application/json")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertRefused(get, 406, "Accept: text/event-stream");
    }

    @Test
    @Order(52)
    void badInput_emptyMediaTypeParts_are4xx_neverA500(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        RawMcp c = new RawMcp(mcp(base, "demo")).open();
        assertRefused(c.post(RawMcp.call(2, "echo", "{}"), Map.of("Accept", ";")), 406, "Not Acceptable");
        assertRefused(c.post(RawMcp.call(3, "echo", "{}"), Map.of("Content-Type", ";")), 415, "application/json");
        HttpResponse<String> get = RawMcp.HTTP.send(c.request(Map.of("Accept", ";")).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertRefused(get, 406, "Accept: text/event-stream");
        assertTrue(c.post(RawMcp.call(4, "echo", "{\"message\":\"still fine\"}")).body().contains("Echo: still fine"));
    }

    @Test
    @Order(52)
    void badInput_twoSessionIds_orAnotherRevisionsVersion_are400(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        RawMcp c = new RawMcp(mcp(base, "demo")).open();
        HttpResponse<String> two = RawMcp.HTTP.send(c.request(Map.of()).header("Mcp-Session-Id", "another")
                .header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(RawMcp.call(2, "echo", "{}"))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertRefused(two, 400, "more than one Mcp-Session-Id");
        assertRefused(c.post(RawMcp.call(3, "echo", "{}"), Map.of("MCP-Protocol-Version", "2024-11-05")), 400,
                "not the version this session negotiated ('2025-11-25')");
        assertTrue(c.post(RawMcp.call(4, "echo", "{\"message\":\"ok\"}")).body().contains("Echo: ok"), "the session still works");
    }

    @Test
    @Order(53)
    void badInput_wrongContentType_is415(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        RawMcp c = new RawMcp(mcp(base, "demo")).open();
        assertRefused(c.post(RawMcp.call(2, "echo", "{}"), Map.of("Content-Type", "text/plain")), 415, "application/json");
    }

    @Test
    @Order(54)
    void badInput_unsupportedVersionHeader_is400(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        RawMcp c = new RawMcp(mcp(base, "demo")).open();
        assertRefused(c.post(RawMcp.call(2, "echo", "{}"), Map.of("MCP-Protocol-Version", "1999-01-01")), 400, "unsupported MCP-Protocol-Version");
        assertTrue(c.post(RawMcp.call(3, "echo", "{\"message\":\"ok\"}")).body().contains("Echo: ok"), "session unharmed");
    }

    @Test
    @Order(55)
    void badInput_malformedJson_isParseError(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        RawMcp c = new RawMcp(mcp(base, "demo")).open();
        HttpResponse<String> r = c.post("{\"jsonrpc\":\"2.0\",\"id\":2,");
        assertRefused(r, 400, "\"code\":-32700");
        assertRefused(c.post("{\"jsonrpc\":\"2.0\",\"id\":2}"), 400, "\"code\":-32600");
        assertTrue(c.post(RawMcp.call(3, "echo", "{\"message\":\"ok\"}")).body().contains("Echo: ok"), "session unharmed");
    }

    @Test
    @Order(56)
    void badInput_oversizeBody_is413(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        RawMcp c = new RawMcp(mcp(base, "demo")).open();
        String big = RawMcp.call(2, "echo", "{\"message\":\"" + "x".repeat(70_000) + "\"}");
        assertRefused(c.post(big), 413, "exceeds 65536 bytes");
        assertTrue(c.post(RawMcp.call(3, "echo", "{\"message\":\"ok\"}")).body().contains("Echo: ok"), "session unharmed");
    }

    @Test
    @Order(57)
    void badInput_batchUnder20250618_isRefused_butAllowedUnder20250326(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        String batch = "[" + RawMcp.call(2, "echo", "{\"message\":\"a\"}") + "," + RawMcp.call(3, "echo", "{\"message\":\"b\"}") + "]";
        RawMcp modern = new RawMcp(mcp(base, "demo"));
        modern.version = "2025-06-18";
        modern.open();
        assertRefused(modern.post(batch), 400, "batches are only allowed with protocol version 2025-03-26");

        RawMcp old = new RawMcp(mcp(base, "demo"));
        old.version = "2025-03-26";
        old.open();
        HttpResponse<String> r = old.post(batch);
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.body().contains("Echo: a") && r.body().contains("Echo: b"), r.body());

        // bounded: 100 pings are all answered, 101 are refused as a whole with a clear -32600
        StringBuilder pings = new StringBuilder("[");
        for (int i = 1; i <= 101; i++) {
            pings.append(i > 1 ? "," : "").append("{\"jsonrpc\":\"2.0\",\"id\":").append(1000 + i).append(",\"method\":\"ping\"}");
        }
        String hundredAndOne = pings.append("]").toString();
        assertRefused(old.post(hundredAndOne), 400, "a batch of 101 messages; at most 100 per POST");
        String hundred = hundredAndOne.substring(0, hundredAndOne.lastIndexOf(",{")) + "]";
        HttpResponse<String> all = old.post(hundred);
        assertEquals(200, all.statusCode(), all.body());
        for (int i = 1; i <= 100; i++) {
            assertTrue(all.body().contains("\"id\":" + (1000 + i) + ","), "answer to ping " + (1000 + i) + " in " + all.body());
        }
    }

    @Test
    @Order(58)
    void badInput_foreignOrigin_is403(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        RawMcp c = new RawMcp(mcp(base, "demo"));
        assertRefused(c.post(RawMcp.initializeBody("2025-11-25"), Map.of("Origin", "http://evil.example.com")), 403, "Origin");
        assertEquals(200, c.post(RawMcp.initializeBody("2025-11-25"), Map.of("Origin", "http://localhost:6274")).statusCode(),
                "a loopback origin (the MCP Inspector) is allowed");
    }

    @Test
    @Order(59)
    void badInput_foreignHost_is421(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        // java.net.http refuses to set Host, so speak HTTP/1.1 over a socket
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", base.getPort())) {
            s.setSoTimeout(10_000);
            String body = RawMcp.initializeBody("2025-11-25");
            String req = "POST /mcp/demo HTTP/1.1\r\nHost: evil.example.com\r\nContent-Type: application/json\r\n"
                    + "Accept: application/json, text/event-stream\r\nContent-Length: " + body.length() + "\r\nConnection: close\r\n\r\n" + body;
            s.getOutputStream().write(req.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            String resp = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(resp.startsWith("HTTP/1.1 421"), resp);
            assertTrue(resp.contains("evil.example.com"), resp);
        }
    }

    @Test
    @Order(60)
    void badInput_deleteTwice_secondIs404_andOtherMethodsAre405(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        RawMcp c = new RawMcp(mcp(base, "demo")).open();
        assertEquals(200, c.delete().statusCode());
        assertRefused(c.delete(), 404, "send a new initialize");
        HttpResponse<String> put = RawMcp.HTTP.send(c.request(Map.of()).PUT(java.net.http.HttpRequest.BodyPublishers.ofString("{}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(405, put.statusCode());
        assertEquals("GET, POST, DELETE", put.headers().firstValue("Allow").orElse(""));
    }

    @Test
    @Order(61)
    void badInput_duplicateInFlightId_isRefused_withoutDisturbingTheFirst(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        RawMcp c = new RawMcp(mcp(base, "demo")).open();
        // two 1.5 s calls with the same id, sent together: they overlap whichever arrives first, so exactly one
        // must be refused and the other must finish untouched
        var calls = List.of(1, 2).stream().map(n -> java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return c.post(RawMcp.call(42, "sleep", "{\"ms\":1500}")).body();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        })).toList();
        List<String> bodies = new ArrayList<>();
        for (var f : calls) {
            bodies.add(f.get(20, TimeUnit.SECONDS));
        }
        assertEquals(1, bodies.stream().filter(b -> b.contains("already in flight") && b.contains("\"id\":42")).count(), bodies.toString());
        assertEquals(1, bodies.stream().filter(b -> b.contains("slept 1500")).count(), bodies.toString());
    }


    // ---- 2026-07-28 stateless clients, bridged to the stateful stdio servers ----

    @Test
    @Order(70)
    void stateless2026_discover_andCallsBridgedToStatefulStdio(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        for (String up : List.of("demo", "shared")) {
            URI ep = mcp(base, up);
            HttpResponse<String> d = RawMcp.call2026(ep, 1, "server/discover", "", Map.of());
            assertEquals(200, d.statusCode(), d.body());
            assertTrue(d.body().contains("\"resultType\":\"complete\"") && d.body().contains("\"supportedVersions\":[\"2026-07-28\"")
                    && d.body().contains("\"tools\"") && d.body().contains("\"io.modelcontextprotocol/serverInfo\":{\"name\":\"shadowcat-demo\""), d.body());
            assertFalse(d.headers().firstValue("Mcp-Session-Id").isPresent(), "no session for stateless clients");
            HttpResponse<String> list = RawMcp.call2026(ep, 2, "tools/list", "", Map.of());
            assertTrue(list.body().contains("\"resultType\":\"complete\",\"ttlMs\":0,\"cacheScope\":\"private\"") && list.body().contains("\"echo\""), list.body());
            HttpResponse<String> call = RawMcp.call2026(ep, "c-3", "tools/call", "\"name\":\"echo\",\"arguments\":{\"message\":\"modern\"}",
                    Map.of("Mcp-Name", "echo"));
            assertEquals(200, call.statusCode(), call.body());
            assertTrue(call.body().contains("\"id\":\"c-3\"") && call.body().contains("Echo: modern") && call.body().contains("\"resultType\":\"complete\""), call.body());
        }
    }

    @Test
    @Order(71)
    void stateless2026_progressKeepsTheClientsToken_andEqualIdsFromTwoClientsDoNotMeet(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        URI ep = mcp(base, "demo");
        String body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"progress\",\"arguments\":"
                + "{\"steps\":2,\"delayMs\":5},\"_meta\":{\"progressToken\":\"mine\",\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
                + "\"io.modelcontextprotocol/clientCapabilities\":{}}}}";
        HttpResponse<String> p = RawMcp.post2026(ep, "tools/call", "progress", body, HttpResponse.BodyHandlers.ofString());
        assertEquals(200, p.statusCode(), p.body());
        assertEquals(2, p.body().split("\"progressToken\":\"mine\"", -1).length - 1, "both steps with the client's own token: " + p.body());
        assertTrue(p.body().contains("done 2") && p.body().contains("\"resultType\":\"complete\""), p.body());
        var a = java.util.concurrent.CompletableFuture.supplyAsync(() -> call2026(ep, "sleep", "{\"ms\":300}"));
        var b = java.util.concurrent.CompletableFuture.supplyAsync(() -> call2026(ep, "echo", "{\"message\":\"b\"}"));
        assertTrue(a.get(20, TimeUnit.SECONDS).contains("slept 300"));
        assertTrue(b.get(20, TimeUnit.SECONDS).contains("Echo: b"));
    }

    private static String call2026(URI ep, String tool, String args) {
        try {
            // both clients use id 7: the gateway must keep them apart upstream
            return RawMcp.call2026(ep, 7, "tools/call", "\"name\":\"" + tool + "\",\"arguments\":" + args, Map.of("Mcp-Name", tool)).body();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    @Order(72)
    void stateless2026_badInputs_getTheRevisionsErrors(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        URI ep = mcp(base, "demo");
        HttpResponse<String> noMeta = RawMcp.HTTP.send(java.net.http.HttpRequest.newBuilder(ep).header("Content-Type", "application/json")
                .header("Accept", RawMcp.ACCEPT_BOTH).header("MCP-Protocol-Version", "2026-07-28").header("Mcp-Method", "server/discover")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"server/discover\",\"params\":{}}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertRefused(noMeta, 400, "\"code\":-32602");
        assertTrue(noMeta.body().contains("\"id\":5"), "errors echo the request id: " + noMeta.body());
        HttpResponse<String> unsupported = RawMcp.call2026(ep, 6, "server/discover", "", Map.of("MCP-Protocol-Version", "2099-01-01"));
        assertRefused(unsupported, 400, "\"code\":-32022");
        assertTrue(unsupported.body().contains("\"supported\":[\"2026-07-28\"") && unsupported.body().contains("\"requested\":\"2099-01-01\""), unsupported.body());
        assertRefused(RawMcp.call2026(ep, 7, "tools/list", "", Map.of("Mcp-Method", "prompts/list")), 400, "\"code\":-32020");
        HashMap<String, String> noMethod = new HashMap<>();
        noMethod.put("Mcp-Method", null);
        assertRefused(RawMcp.call2026(ep, 8, "tools/list", "", noMethod), 400, "\"code\":-32020");
        assertRefused(RawMcp.call2026(ep, 9, "tools/call", "\"name\":\"echo\",\"arguments\":{\"message\":\"x\"}", Map.of("Mcp-Name", "pid")), 400, "\"code\":-32020");
        assertRefused(RawMcp.call2026(ep, 10, "tools/call", "\"name\":\"echo\",\"arguments\":{\"message\":\"x\"}", Map.of()), 400, "Mcp-Name header is missing");
        HttpResponse<String> encoded = RawMcp.call2026(ep, 11, "tools/call", "\"name\":\"echo\",\"arguments\":{\"message\":\"x\"}",
                Map.of("Mcp-Name", "=?base64?" + java.util.Base64.getEncoder().encodeToString("echo".getBytes(java.nio.charset.StandardCharsets.UTF_8)) + "?="));
        assertEquals(200, encoded.statusCode(), "a base64-sentinel Mcp-Name is decoded before comparing: " + encoded.body());
        assertRefused(RawMcp.call2026(ep, 12, "initialize", "\"protocolVersion\":\"2026-07-28\"", Map.of()), 404, "\"code\":-32601");
        HttpResponse<String> get = RawMcp.HTTP.send(java.net.http.HttpRequest.newBuilder(ep).header("Accept", "text/event-stream")
                .header("MCP-Protocol-Version", "2026-07-28").GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(405, get.statusCode());
        HttpResponse<String> del = RawMcp.HTTP.send(java.net.http.HttpRequest.newBuilder(ep).header("MCP-Protocol-Version", "2026-07-28")
                .DELETE().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(405, del.statusCode());
    }

    @Test
    @Order(73)
    void stateless2026_subscriptionsListen_acknowledges_andTagsListChanges(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        URI ep = mcp(base, "demo");
        String body = "{\"jsonrpc\":\"2.0\",\"id\":4242,\"method\":\"subscriptions/listen\",\"params\":{\"notifications\":"
                + "{\"resourcesListChanged\":true},\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
                + "\"io.modelcontextprotocol/clientCapabilities\":{}}}}";
        HttpResponse<InputStream> listen = RawMcp.post2026(ep, "subscriptions/listen", null, body, HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, listen.statusCode());
        BufferedReader in = RawMcp.reader(listen);
        List<RawMcp.Event> ack = RawMcp.readEvents(listen, in, 1, Duration.ofSeconds(10));
        assertTrue(ack.get(0).data().contains("notifications/subscriptions/acknowledged")
                && ack.get(0).data().contains("\"io.modelcontextprotocol/subscriptionId\":4242"), ack.toString());
        RawMcp.call2026(ep, 2, "tools/call", "\"name\":\"touch\",\"arguments\":{\"uri\":\"demo://static/hello\"}", Map.of("Mcp-Name", "touch"));
        List<RawMcp.Event> changed = RawMcp.readEvents(listen, in, 1, Duration.ofSeconds(10));
        assertTrue(changed.get(0).data().contains("notifications/resources/list_changed")
                && changed.get(0).data().contains("\"io.modelcontextprotocol/subscriptionId\":4242"), changed.toString());
        listen.body().close();
    }

    /** A 2026 tools/call whose client can be asked for input; returns the HTTP status and the JSON-RPC message. */
    private static Map.Entry<Integer, jakarta.json.JsonObject> ask2026(URI ep, Object id, String tool, String args, String extraMembers)
            throws Exception {
        String body = "{\"jsonrpc\":\"2.0\",\"id\":" + (id instanceof String ? "\"" + id + "\"" : id)
                + ",\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool + "\",\"arguments\":" + args
                + (extraMembers.isEmpty() ? "" : "," + extraMembers)
                + ",\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
                + "\"io.modelcontextprotocol/clientCapabilities\":{\"elicitation\":{},\"sampling\":{},\"roots\":{}}}}}";
        HttpResponse<String> r = RawMcp.post2026(ep, "tools/call", tool, body, HttpResponse.BodyHandlers.ofString());
        String json = r.body();
        if (r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream")) {
            json = json.lines().filter(l -> l.startsWith("data:") && l.contains("\"id\"")).reduce((a, b) -> b)
                    .map(l -> l.substring(5).strip()).orElse("{}");
        }
        try (var reader = dev.shadowcat.protocol.JsonP.PROVIDER.createReader(new java.io.StringReader(json))) {
            return Map.entry(r.statusCode(), reader.readObject());
        }
    }

    private static String retryMembers(String key, String answerJson, String state) {
        return "\"inputResponses\":{\"" + key + "\":" + answerJson + "},\"requestState\":\"" + state + "\"";
    }

    private static final String ACCEPT_ADA = "{\"action\":\"accept\",\"content\":{\"name\":\"Ada\"}}";

    @Test
    @Order(74)
    void stateless2026_elicitation_becomesInputRequired_andTheRetryResumesTheSameUpstreamCall(
            @ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        for (String up : List.of("demo", "shared")) {
            URI ep = mcp(base, up);
            var first = ask2026(ep, 1, "elicit", "{\"message\":\"Your name?\"}", "");
            assertEquals(200, first.getKey(), up + ": " + first.getValue());
            var result = first.getValue().getJsonObject("result");
            assertEquals("input_required", result.getString("resultType"), up + ": " + result);
            var questions = result.getJsonObject("inputRequests");
            assertEquals(1, questions.size(), result.toString());
            String key = questions.keySet().iterator().next();
            assertEquals("elicitation/create", questions.getJsonObject(key).getString("method"));
            assertEquals("Your name?", questions.getJsonObject(key).getJsonObject("params").getString("message"));
            String state = result.getString("requestState");

            var retry = ask2026(ep, "again", "elicit", "{\"message\":\"Your name?\"}", retryMembers(key, ACCEPT_ADA, state));
            assertEquals(200, retry.getKey(), up + ": " + retry.getValue());
            assertEquals("again", retry.getValue().getString("id"), "the retry's own id is echoed");
            var done = retry.getValue().getJsonObject("result");
            assertEquals("complete", done.getString("resultType"), done.toString());
            assertEquals("elicited: accept {\"name\":\"Ada\"}", done.getJsonArray("content").getJsonObject(0).getString("text"),
                    "the upstream call that asked got the answer");

            var replay = ask2026(ep, 3, "elicit", "{\"message\":\"Your name?\"}", retryMembers(key, ACCEPT_ADA, state));
            assertEquals(400, replay.getKey(), replay.getValue().toString());
            assertEquals(-32602, replay.getValue().getJsonObject("error").getInt("code"));
            assertTrue(replay.getValue().getJsonObject("error").getString("message").contains("already used"), replay.getValue().toString());
        }
    }

    @Test
    @Order(75)
    void stateless2026_inputRequired_refusesTamperedOrForeignStateAndMalformedAnswers_withoutLosingTheCall(
            @ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        URI ep = mcp(base, "demo");
        var first = ask2026(ep, 1, "elicit", "{\"message\":\"Sure?\"}", "").getValue().getJsonObject("result");
        String key = first.getJsonObject("inputRequests").keySet().iterator().next();
        String state = first.getString("requestState");

        var tampered = ask2026(ep, 2, "elicit", "{\"message\":\"Sure?\"}", retryMembers(key, ACCEPT_ADA, state + "x"));
        assertEquals(400, tampered.getKey());
        assertTrue(tampered.getValue().getJsonObject("error").getString("message").contains("integrity"), tampered.getValue().toString());
        var foreign = ask2026(ep, 3, "sample", "{\"prompt\":\"hi\"}", retryMembers(key, ACCEPT_ADA, state));
        assertEquals(400, foreign.getKey(), "a state only fits the request it was issued for: " + foreign.getValue());
        var malformed = ask2026(ep, 4, "elicit", "{\"message\":\"Sure?\"}", retryMembers(key, "12345", state));
        assertEquals(400, malformed.getKey());
        assertEquals(-32602, malformed.getValue().getJsonObject("error").getInt("code"));
        var noAction = ask2026(ep, 5, "elicit", "{\"message\":\"Sure?\"}", retryMembers(key, "{\"content\":{}}", state));
        assertTrue(noAction.getValue().getJsonObject("error").getString("message").contains("action"), noAction.getValue().toString());

        var good = ask2026(ep, 6, "elicit", "{\"message\":\"Sure?\"}", retryMembers(key, ACCEPT_ADA, state));
        assertEquals("complete", good.getValue().getJsonObject("result").getString("resultType"),
                "refused retries left the waiting call intact: " + good.getValue());

        // a request that declares no sampling capability: the upstream's question is refused, not relayed
        String undeclared = RawMcp.call2026(ep, 7, "tools/call", "\"name\":\"sample\",\"arguments\":{\"prompt\":\"hi\"}",
                Map.of("Mcp-Name", "sample")).body();
        assertFalse(undeclared.contains("input_required"), undeclared);
        assertTrue(undeclared.contains("did not declare the 'sampling' capability"), undeclared);
    }

    @Test
    @Order(76)
    void stateless2026_callsWaitingForInput_areBounded_theOldestIsGivenUp(
            @ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        URI ep = mcp(base, "sharedpool"); // two children: one call may wait, one child stays free
        var a = ask2026(ep, 1, "elicit", "{\"message\":\"A?\"}", "").getValue().getJsonObject("result");
        var b = ask2026(ep, 2, "elicit", "{\"message\":\"B?\"}", "").getValue().getJsonObject("result");
        String keyA = a.getJsonObject("inputRequests").keySet().iterator().next();
        String keyB = b.getJsonObject("inputRequests").keySet().iterator().next();
        var lateA = ask2026(ep, 3, "elicit", "{\"message\":\"A?\"}", retryMembers(keyA, ACCEPT_ADA, a.getString("requestState")));
        assertEquals(400, lateA.getKey(), "the oldest waiting call was given up: " + lateA.getValue());
        assertTrue(lateA.getValue().getJsonObject("error").getString("message").contains("expired"), lateA.getValue().toString());
        var doneB = ask2026(ep, 4, "elicit", "{\"message\":\"B?\"}", retryMembers(keyB, ACCEPT_ADA, b.getString("requestState")));
        assertEquals("complete", doneB.getValue().getJsonObject("result").getString("resultType"), doneB.getValue().toString());
        assertTrue(call2026(ep, "echo", "{\"message\":\"still serving\"}").contains("still serving"));

        // left waiting on purpose: undeploy must end it and the session it holds (checked by the last test)
        var left = ask2026(mcp(base, "demo"), 9, "elicit", "{\"message\":\"never answered\"}", "");
        assertEquals("input_required", left.getValue().getJsonObject("result").getString("resultType"));
    }

    @Test
    @Order(77)
    void stateless2026_aParkedCall_outlivesTheUpstreamRequestTimeout(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base)
            throws Exception {
        URI ep = mcp(base, "slow"); // requestTimeoutSeconds 1
        var first = ask2026(ep, 1, "elicit", "{\"message\":\"Take your time\"}", "").getValue().getJsonObject("result");
        String key = first.getJsonObject("inputRequests").keySet().iterator().next();
        Thread.sleep(1_500); // a person answering: longer than the upstream's request timeout
        var done = ask2026(ep, 2, "elicit", "{\"message\":\"Take your time\"}", retryMembers(key, ACCEPT_ADA, first.getString("requestState")));
        assertEquals("complete", done.getValue().getJsonObject("result").getString("resultType"),
                "waiting for the client does not count against the upstream's timeout: " + done.getValue());
    }

    @Test
    @Order(90)
    void undeploy_leavesNoChildProcessAndNoGatewayThread() throws Exception {
        long t0 = System.nanoTime();
        deployer.undeploy(DEPLOYMENT);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        List<ProcessHandle> children = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        do {
            children = ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).toList();
            if (children.isEmpty()) {
                break;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        assertEquals(List.of(), children.stream().map(p -> p.pid() + " " + p.info().commandLine().orElse("?")).toList(),
                "no child process after undeploy (took " + ms + " ms)");
        List<String> threads = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("shadowcat-")).map(Thread::getName).toList();
        assertEquals(List.of(), threads, "no gateway thread after undeploy");
        // and nothing else the deployment started: any JVM thread, child process, pipe or file descriptor
        assertEquals(List.of(), Leaks.since(beforeDeploy, Duration.ofSeconds(10)));
    }

    static void awaitGone(long pid) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true)) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("process " + pid + " still alive after 10 s");
    }
}
