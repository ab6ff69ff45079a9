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
}
