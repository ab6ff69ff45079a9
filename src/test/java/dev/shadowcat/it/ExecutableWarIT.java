package dev.shadowcat.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code java -jar shadowcat.war serve}, as README's quick start runs it: the whole gateway on its embedded Jetty
 * (MCP over Streamable HTTP and legacy SSE, the admin page), and on SIGTERM a graceful stop that answers the call in
 * flight and leaves no child process.
 */
class ExecutableWarIT {
    private static final Path DIR = Path.of("target/executable-war-it").toAbsolutePath();
    private static Process gateway;

    @AfterAll
    static void kill() throws Exception {
        if (gateway != null && gateway.isAlive()) {
            gateway.descendants().forEach(ProcessHandle::destroyForcibly);
            gateway.destroyForcibly();
            gateway.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    @Test
    void withoutACommand_itSaysHowToServe() throws Exception {
        Process p = new ProcessBuilder(java(), "-jar", BuiltWar.path().toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue());
        assertTrue(out.contains("java -jar shadowcat.war serve [--config FILE] [--port N] [--host H]"), out);
    }

    @Test
    void serve_runsTheGateway_andStopsGracefullyOnSigterm() throws Exception {
        Files.createDirectories(DIR);
        Path cfg = DIR.resolve("shadowcat.json");
        Files.writeString(cfg, """
                { "upstreams": { "demo": { "command": ["${java}", "-XX:TieredStopAtLevel=1", "-cp", "${webapp.classpath}",
                                                       "dev.shadowcat.demo.DemoMcpServer"], "mode": "shared" } },
                  "server": { "shutdownTimeoutSeconds": 5 } }
                """);
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path log = DIR.resolve("serve.log");
        gateway = new ProcessBuilder(java(), "-XX:TieredStopAtLevel=1", "-jar", BuiltWar.path().toString(), "serve",
                "--config", cfg.toString(), "--port", Integer.toString(port))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        URI base = URI.create("http://127.0.0.1:" + port + "/");
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (!Files.readString(log).contains("Shadowcat listening on http://127.0.0.1:" + port + "/mcp")) {
            assertTrue(gateway.isAlive(), () -> "exited: " + read(log));
            assertTrue(System.nanoTime() < deadline, () -> "not up after 90 s: " + read(log));
            Thread.sleep(200);
        }

        Node.Result streamable = Node.run("mcp-scenarios.mjs", "--url", base.resolve("mcp/demo").toString(), "--server", "demo");
        assertEquals(0, streamable.exit(), streamable.toString());
        Node.Result legacy = Node.run("legacy-client.mjs", "--url", base.resolve("sse/demo").toString());
        assertEquals(0, legacy.exit(), legacy.toString());
        HttpResponse<String> admin = RawMcp.HTTP.send(HttpRequest.newBuilder(base.resolve("admin/")).timeout(RawMcp.TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, admin.statusCode());
        assertTrue(admin.body().contains("admin.js"), "the admin page is served from the WAR");

        RawMcp s = new RawMcp(base.resolve("mcp/demo")).open();
        HttpRequest slow = s.request(Map.of()).header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(RawMcp.call(5, "sleep", "{\"ms\":1500}"))).build();
        CompletableFuture<HttpResponse<String>> inFlight = RawMcp.HTTP.sendAsync(slow, HttpResponse.BodyHandlers.ofString());
        Thread.sleep(300);
        List<ProcessHandle> children = gateway.descendants().toList();
        assertFalse(children.isEmpty(), "the demo server runs as a child");
        gateway.destroy(); // SIGTERM
        HttpResponse<String> answered = inFlight.get(30, TimeUnit.SECONDS);
        assertTrue(answered.body().contains("\"result\""), "the call in flight finished within the drain: " + answered.body());
        assertTrue(gateway.waitFor(30, TimeUnit.SECONDS), "still running 30 s after SIGTERM");
        assertEquals(0, children.stream().filter(ProcessHandle::isAlive).count(), "child processes left");
        assertFalse(read(log).contains("Exception in thread"), read(log));
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return e.toString();
        }
    }
}
