package dev.shadowcat.it;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.jboss.arquillian.container.test.api.Deployer;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.OperateOnDeployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.StringReader;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The admin page in a real headless Chromium (Playwright, Debian's chromium): it shows the upstreams and the
 * session a test client opened, draws its charts from /metrics, streams live traffic, and closes the session from
 * its row; the client then gets 404. When the page is gone, nobody watches the tap any more.
 */
@ExtendWith(ArquillianExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@RunAsClient
class AdminPageIT {
    private static final String DEPLOYMENT = "shadowcat-admin-page";

    @ArquillianResource
    private Deployer deployer;

    @Deployment(name = DEPLOYMENT, managed = false, testable = false)
    static WebArchive war() {
        return BuiltWar.archive();
    }

    private static URI at(URL base, String path) {
        return URI.create(base.toString()).resolve(path.substring(1));
    }

    private static HttpResponse<String> get(URI uri) throws Exception {
        return RawMcp.HTTP.send(HttpRequest.newBuilder(uri).timeout(RawMcp.TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @Order(1)
    void deploys() throws Exception {
        String demo = "[\"${java}\", \"-XX:TieredStopAtLevel=1\", \"-cp\", \"${webapp.classpath}\", \"dev.shadowcat.demo.DemoMcpServer\"]";
        BuiltWar.deploy(deployer, DEPLOYMENT, """
                { "upstreams": {
                    "demo": { "command": %s, "mode": "shared", "pool": { "maxSize": 1, "minIdle": 1 } },
                    "other": { "command": %1$s, "mode": "shared", "pool": { "maxSize": 1, "minIdle": 1 } } } }
                """.formatted(demo));
    }

    @Test
    @Order(2)
    void thePageShowsTheUpstreamsAndASession_andClosesIt(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base)
            throws Exception {
        HttpResponse<String> page = get(at(base, "/admin/"));
        assertEquals(200, page.statusCode());
        assertTrue(page.headers().firstValue("Content-Security-Policy").orElse("").contains("default-src 'self'"),
                page.headers().map().toString());

        RawMcp victim = new RawMcp(at(base, "/mcp/demo")).open();
        String handle = Json.createReader(new StringReader(get(at(base, "/api/sessions")).body())).readArray()
                .getJsonObject(0).getString("id");
        // traffic for the live view while the page is open
        RawMcp busy = new RawMcp(at(base, "/mcp/other")).open();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger calls = new AtomicInteger();
        CompletableFuture<Void> load = CompletableFuture.runAsync(() -> {
            long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!stop.get() && System.nanoTime() < end) {
                try {
                    busy.post(RawMcp.call(calls.incrementAndGet(), "echo", "{\"message\":\"live\",\"password\":\"hunter2\"}"));
                    Thread.sleep(150);
                } catch (Exception e) {
                    return;
                }
            }
        });
        Node.Result r;
        try {
            String url = base.toString().replaceAll("/$", "");
            r = Node.run("admin-page.mjs", "--url", url, "--session", handle, "--expect-upstreams", "demo,other",
                    "--screenshots", java.nio.file.Path.of("target/admin-page").toAbsolutePath().toString());
        } finally {
            stop.set(true);
            load.get(20, java.util.concurrent.TimeUnit.SECONDS);
        }
        assertEquals(0, r.exit(), r.toString());
        JsonObject out = Json.createReader(new StringReader(r.stdout().strip().lines().reduce((a, b) -> b).orElse("{}"))).readObject();
        assertTrue(out.getBoolean("ok"), out.toString());
        assertEquals(handle, out.getString("closed"));
        assertTrue(out.getInt("trafficRows") > 0, "the live view showed frames: " + out);

        HttpResponse<String> after = victim.post("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"ping\"}");
        assertEquals(404, after.statusCode(), "the client of the closed session is told: " + after.body());
        assertEquals(200, busy.post("{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"ping\"}").statusCode(), "the other session goes on");

        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        String metrics = get(at(base, "/metrics")).body();
        while (!metrics.contains("shadowcat_traffic_watchers 0.0") && System.nanoTime() < deadline) {
            Thread.sleep(200);
            metrics = get(at(base, "/metrics")).body();
        }
        assertTrue(metrics.contains("shadowcat_traffic_watchers 0.0"), "nobody watches once the page is gone");
    }

    @Test
    @Order(3)
    void theLiveViewMasksSecrets(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        HttpResponse<java.io.InputStream> stream = RawMcp.HTTP.send(HttpRequest.newBuilder(at(base, "/api/traffic?upstream=other"))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, stream.statusCode());
        assertTrue(stream.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        RawMcp s = new RawMcp(at(base, "/mcp/other")).open();
        CompletableFuture<String> seen = CompletableFuture.supplyAsync(() -> {
            try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(stream.body(), java.nio.charset.StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    if (line.startsWith("data:") && line.contains("tools/call")) {
                        return line;
                    }
                }
                return "";
            } catch (java.io.IOException e) {
                return e.toString();
            }
        });
        s.post(RawMcp.call(2, "echo", "{\"message\":\"x\",\"api_key\":\"sk-very-secret\"}"));
        String line = seen.get(15, java.util.concurrent.TimeUnit.SECONDS);
        stream.body().close();
        assertTrue(line.contains("\\\"api_key\\\":\\\"[redacted]\\\"") && !line.contains("sk-very-secret"), line);
        assertTrue(line.contains("\"upstream\":\"other\"") && !line.contains("\"null\""), line);
    }

    @Test
    @Order(90)
    void undeploys() {
        deployer.undeploy(DEPLOYMENT);
    }
}
