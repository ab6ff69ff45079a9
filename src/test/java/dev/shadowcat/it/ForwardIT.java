package dev.shadowcat.it;

import dev.shadowcat.testing.fixtures.EverythingServer;
import dev.shadowcat.testing.fixtures.HeaderEchoMcpServer;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Forward mode, as a desktop client runs it: {@code java -jar shadowcat.war forward --url …} launched by a real
 * stdio MCP client (the TypeScript SDK's StdioClientTransport), against remote servers.
 */
class ForwardIT {
    private static final String WAR = Path.of(System.getProperty("shadowcat.war", "target/shadowcat.war")).toAbsolutePath().toString();
    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    @Test
    void typescriptStdioClient_throughForwardMode_toStreamableHttpAndLegacySse() throws Exception {
        try (EverythingServer http = EverythingServer.start(EverythingServer.STREAMABLE_HTTP);
             EverythingServer sse = EverythingServer.start(EverythingServer.SSE)) {
            for (String url : List.of(http.endpoint().toString(), sse.sseEndpoint().toString())) {
                Node.Result r = Node.run("stdio-client.mjs", "--timeout-ms", "20000", "--", JAVA, "-jar", WAR, "forward", "--url", url);
                assertEquals(0, r.exit(), url + ": " + r);
                assertTrue(r.stdout().contains("\"ok\":true") && r.stdout().contains("Echo: "), r.toString());
            }
        }
    }

    @Test
    void bearerFromTheEnvironment_reachesTheServer_andStdinCloseEndsTheRemoteSession() throws Exception {
        try (HeaderEchoMcpServer echo = HeaderEchoMcpServer.start()) {
            ProcessBuilder pb = new ProcessBuilder(JAVA, "-jar", WAR, "forward", "--url", echo.endpoint().toString(),
                    "--bearer-env", "SHADOWCAT_TEST_TOKEN");
            pb.environment().put("SHADOWCAT_TEST_TOKEN", "t0ken-from-env");
            Process p = pb.start();
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> {
                try {
                    return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
                } catch (java.io.IOException e) {
                    return "";
                }
            });
            try {
                assertFalse(p.info().arguments().map(a -> String.join(" ", a)).orElse("").contains("t0ken"),
                        "the secret is not on the command line");
                OutputStream in = p.getOutputStream();
                BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                in.write((RawMcp.initializeBody("2025-11-25") + "\n").getBytes(StandardCharsets.UTF_8));
                in.flush();
                String init = out.readLine();
                assertTrue(init != null && init.contains("\"result\""), init);
                in.write(("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n" + RawMcp.call(2, "headers", "{}") + "\n")
                        .getBytes(StandardCharsets.UTF_8));
                in.flush();
                String headers = out.readLine();
                assertTrue(headers != null && headers.contains("Bearer t0ken-from-env"), headers);
                assertTrue(headers.contains("\"id\":2"), headers);
                in.close();
                assertTrue(p.waitFor(20, TimeUnit.SECONDS), "forward mode exits when stdin closes");
                assertEquals(0, p.exitValue(), err.getNow(""));
                assertEquals(1, echo.deletedSessions().size(), "the remote session was ended on the way out");
            } finally {
                p.destroyForcibly();
            }
        }
    }

    @Test
    void pipelineFile_filtersAndAuditsForwardedCalls(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        try (EverythingServer http = EverythingServer.start(EverythingServer.STREAMABLE_HTTP)) {
            Path audit = dir.resolve("audit.log");
            Path pipeline = dir.resolve("pipeline.json");
            java.nio.file.Files.writeString(pipeline, "{\"audit\": {\"file\": \"" + audit + "\"},"
                    + " \"filters\": {\"forward\": {\"tools\": {\"deny\": [\"get-*\"]}}}}");
            Process p = new ProcessBuilder(JAVA, "-jar", WAR, "forward", "--url", http.endpoint().toString(),
                    "--pipeline", pipeline.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            try {
                OutputStream in = p.getOutputStream();
                BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                in.write((RawMcp.initializeBody("2025-11-25") + "\n").getBytes(StandardCharsets.UTF_8));
                in.flush();
                String init = out.readLine(); // a client waits for the result before it sends anything else
                assertTrue(init != null && init.contains("\"result\"") && init.contains("\"id\":1"), init);
                in.write(("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n"
                        + "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}\n").getBytes(StandardCharsets.UTF_8));
                in.flush();
                String list = out.readLine();
                assertTrue(list.contains("\"echo\"") && !list.contains("get-sum"), list);
                in.write((RawMcp.call(3, "get-sum", "{\"a\":1,\"b\":2}") + "\n").getBytes(StandardCharsets.UTF_8));
                in.flush();
                String refused = out.readLine();
                assertTrue(refused.contains("-32602") && refused.contains("pipeline.filters.forward.tools.deny[0]"), refused);
                in.write((RawMcp.call(4, "echo", "{\"message\":\"fwd\"}") + "\n").getBytes(StandardCharsets.UTF_8));
                in.flush();
                assertTrue(out.readLine().contains("Echo: fwd"));
                in.close();
                assertTrue(p.waitFor(20, TimeUnit.SECONDS));
                assertEquals(0, p.exitValue());
            } finally {
                p.destroyForcibly();
            }
            String lines = java.nio.file.Files.readString(audit);
            assertTrue(lines.contains("\"door\":\"forward\",\"upstream\":\"forward\",\"method\":\"tools/call\",\"name\":\"echo\",\"outcome\":\"ok\""), lines);
            assertTrue(lines.contains("\"name\":\"get-sum\",\"outcome\":\"error\",\"code\":-32602"), lines);
        }
    }

    @Test
    void serverToClientRequests_travelThroughForwardMode_andTheAnswerReachesTheServer() throws Exception {
        try (EverythingServer http = EverythingServer.start(EverythingServer.STREAMABLE_HTTP)) {
            Process p = new ProcessBuilder(JAVA, "-jar", WAR, "forward", "--url", http.endpoint().toString())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            try {
                OutputStream in = p.getOutputStream();
                BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                in.write(("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\","
                        + "\"capabilities\":{\"sampling\":{}},\"clientInfo\":{\"name\":\"raw\",\"version\":\"1\"}}}\n").getBytes(StandardCharsets.UTF_8));
                in.flush();
                assertTrue(out.readLine().contains("\"result\""));
                in.write(("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n"
                        + RawMcp.call(2, "trigger-sampling-request", "{\"prompt\":\"hi\",\"maxTokens\":5}") + "\n").getBytes(StandardCharsets.UTF_8));
                in.flush();
                String ask = null;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (System.nanoTime() < deadline) { // notifications (logging, list changes) may come first
                    String l = out.readLine();
                    if (l == null || l.contains("sampling/createMessage")) {
                        ask = l;
                        break;
                    }
                }
                assertTrue(ask != null && ask.contains("\"id\":\"shadowcat-1\""), "the server's question, with the gateway's id: " + ask);
                in.write(("{\"jsonrpc\":\"2.0\",\"id\":\"shadowcat-1\",\"result\":{\"role\":\"assistant\","
                        + "\"content\":{\"type\":\"text\",\"text\":\"sampled over stdio\"},\"model\":\"m\",\"stopReason\":\"endTurn\"}}\n")
                        .getBytes(StandardCharsets.UTF_8));
                in.flush();
                String result = null;
                while (System.nanoTime() < deadline) {
                    String l = out.readLine();
                    if (l == null || l.contains("\"id\":2")) {
                        result = l;
                        break;
                    }
                }
                assertTrue(result != null && result.contains("sampled over stdio"), String.valueOf(result));
                in.close();
                assertTrue(p.waitFor(20, TimeUnit.SECONDS));
                assertEquals(0, p.exitValue());
            } finally {
                p.destroyForcibly();
            }
        }
    }
}
