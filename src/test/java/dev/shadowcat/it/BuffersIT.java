package dev.shadowcat.it;

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
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

import javax.management.ObjectName;
import java.io.OutputStream;
import java.io.StringReader;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Memory is bounded in bytes: servers that flood their sessions with large notifications nobody reads cost each
 * session at most its share and the gateway at most its total, other sessions keep working, a resume past dropped
 * events is refused with 410, and when the sessions end every buffered byte and every session object is gone.
 */
@ExtendWith(ArquillianExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@RunAsClient
class BuffersIT {
    private static final String DEPLOYMENT = "shadowcat-buffers";
    private static final int MIB = 1 << 20;
    private static final long SESSION_BYTES = 6L * MIB;
    private static final long TOTAL_BYTES = 20L * MIB;

    private static final List<RawMcp> flooded = new ArrayList<>();

    @ArquillianResource
    private Deployer deployer;

    @Deployment(name = DEPLOYMENT, managed = false, testable = false)
    static WebArchive war() {
        return BuiltWar.archive();
    }

    private static URI mcp(URL base) {
        return URI.create(base.toString()).resolve("mcp");
    }

    private static JsonObject json(String s) {
        return Json.createReader(new StringReader(s)).readObject();
    }

    private static String toolText(HttpResponse<String> r) {
        assertEquals(200, r.statusCode(), r.body());
        String body = r.body();
        if (body.startsWith("{")) {
            return RawMcp.text(body);
        }
        for (String line : body.split("\n")) {
            if (line.startsWith("data:") && line.contains("\"result\"")) {
                return RawMcp.text(line.substring(5).trim());
            }
        }
        throw new AssertionError("no result in " + body);
    }

    private static long metric(URL base, String name) throws Exception {
        HttpResponse<String> r = RawMcp.HTTP.send(HttpRequest.newBuilder(URI.create(base.toString()).resolve("metrics"))
                .timeout(RawMcp.TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
        Matcher m = Pattern.compile("(?m)^" + name + "(\\{[^}]*})? ([0-9.eE+]+)$").matcher(r.body());
        assertTrue(m.find(), name + " not in /metrics");
        return (long) Double.parseDouble(m.group(2));
    }

    private static JsonArray sessions(URL base) throws Exception {
        HttpResponse<String> r = RawMcp.HTTP.send(HttpRequest.newBuilder(URI.create(base.toString()).resolve("api/sessions"))
                .timeout(RawMcp.TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
        return Json.createReader(new StringReader(r.body())).readArray();
    }

    /** Live instances of a class, counted by the JVM's own heap histogram (after a full GC). */
    private static long liveInstances(String className) throws Exception {
        String histogram = (String) ManagementFactory.getPlatformMBeanServer().invoke(
                new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                new Object[]{new String[0]}, new String[]{String[].class.getName()});
        long n = 0;
        Matcher m = Pattern.compile("(?m)^\\s*\\d+:\\s+(\\d+)\\s+\\d+\\s+" + Pattern.quote(className) + "(\\s|$)").matcher(histogram);
        while (m.find()) {
            n += Long.parseLong(m.group(1));
        }
        return n;
    }

    @Test
    @Order(1)
    void deploys() throws Exception {
        String demo = "[\"${java}\", \"-XX:TieredStopAtLevel=1\", \"-cp\", \"${webapp.classpath}\", \"dev.shadowcat.demo.DemoMcpServer\"]";
        BuiltWar.deploy(deployer, DEPLOYMENT, """
                {
                  "upstreams": { "demo": { "command": %s, "pool": { "maxSize": 10, "minIdle": 2 } } },
                  "server": { "replayBytes": %d, "sseQueueBytes": %d, "sessionBufferBytes": %d, "totalBufferBytes": %d }
                }
                """.formatted(demo, 2 * MIB, 2 * MIB, SESSION_BYTES, TOTAL_BYTES));
    }

    @Test
    @Order(2)
    void sessionsNobodyReadsHoldTheirShareAtMost_andTheGatewayItsTotal(
            @ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        // 6 sessions × 24 notifications of 512 KiB (12 MiB each, 72 MiB in all) with no GET stream to take them:
        // before the byte bounds every one stayed in the standalone stream's replay ring
        List<CompletableFuture<String>> calls = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            RawMcp s = new RawMcp(mcp(base)).open();
            flooded.add(s);
            calls.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return toolText(s.post(RawMcp.call(2, "flood", "{\"count\":24,\"kind\":\"updated\",\"bytes\":" + (512 * 1024) + "}")));
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }));
        }
        for (CompletableFuture<String> c : calls) {
            assertEquals("sent 24", c.get(60, java.util.concurrent.TimeUnit.SECONDS));
        }
        long total = metric(base, "shadowcat_sse_buffered_bytes");
        assertTrue(total <= TOTAL_BYTES, "gateway buffers " + total + " > " + TOTAL_BYTES);
        assertTrue(total >= 2L * MIB, "the newest events are still kept for a GET: " + total);
        for (JsonObject s : sessions(base).getValuesAs(JsonObject.class)) {
            assertTrue(s.getJsonNumber("bufferedBytes").longValue() <= SESSION_BYTES, s.toString());
        }
        assertTrue(metric(base, "shadowcat_sse_events_not_kept_total") > 0);
    }

    @Test
    @Order(3)
    void anUnreadStreamIsClosed_andOtherSessionsKeepWorking_andAResumePastTheDropIsRefused(
            @ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        RawMcp slow = new RawMcp(mcp(base)).open();
        flooded.add(slow);
        long droppedBefore = metric(base, "shadowcat_sse_dropped_slow_readers_total");
        try (Socket unread = new Socket()) {
            unread.setReceiveBufferSize(4096);
            unread.connect(new InetSocketAddress(base.getHost(), base.getPort()), 5000);
            OutputStream out = unread.getOutputStream();
            out.write(("GET " + mcp(base).getPath() + " HTTP/1.1\r\nHost: " + base.getHost() + ":" + base.getPort()
                    + "\r\nAccept: text/event-stream\r\nMcp-Session-Id: " + slow.sessionId
                    + "\r\nMCP-Protocol-Version: " + slow.version + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Thread.sleep(200); // attached
            CompletableFuture<String> flood = CompletableFuture.supplyAsync(() -> {
                try {
                    return toolText(slow.post(RawMcp.call(2, "flood", "{\"count\":40,\"kind\":\"updated\",\"bytes\":" + MIB + "}")));
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            RawMcp quiet = new RawMcp(mcp(base)).open();
            for (int i = 0; i < 20; i++) {
                assertEquals("Echo: " + i, toolText(quiet.post(RawMcp.call(10 + i, "echo", "{\"message\":\"" + i + "\"}"))));
            }
            assertEquals("sent 40", flood.get(60, java.util.concurrent.TimeUnit.SECONDS));
            quiet.delete();
        }
        assertTrue(metric(base, "shadowcat_sse_dropped_slow_readers_total") > droppedBefore, "the unread stream was closed");
        long total = metric(base, "shadowcat_sse_buffered_bytes");
        assertTrue(total <= TOTAL_BYTES, "gateway buffers " + total + " > " + TOTAL_BYTES);

        // the client comes back after its first event: 40 MiB later, those events are gone, and it is told so
        HttpResponse<String> resume = RawMcp.HTTP.send(slow.request(Map.of("Accept", "text/event-stream",
                "Last-Event-ID", "1-1")).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(410, resume.statusCode(), resume.body());
        assertTrue(json(resume.body()).getJsonObject("error").getString("message").contains("no longer kept"), resume.body());
        assertTrue(metric(base, "shadowcat_sse_resumes_refused_total") >= 1);
    }

    @Test
    @Order(4)
    void endedSessionsGiveBackEveryByte_andLeaveNoSessionOrEventInTheHeap(
            @ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        for (RawMcp s : flooded) {
            assertEquals(200, s.delete().statusCode());
        }
        flooded.clear();
        assertEquals(0, sessions(base).size());
        assertEquals(0, metric(base, "shadowcat_sse_buffered_bytes"));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        long sessionsLeft;
        long eventsLeft;
        do {
            sessionsLeft = liveInstances("dev.shadowcat.session.Session");
            eventsLeft = liveInstances("dev.shadowcat.stream.EventStream$Event");
        } while ((sessionsLeft > 0 || eventsLeft > 0) && System.nanoTime() < deadline && sleep());
        assertEquals(0, sessionsLeft, "Session objects still reachable after every session ended");
        assertEquals(0, eventsLeft, "replay events still reachable after every session ended");
    }

    private static boolean sleep() throws InterruptedException {
        Thread.sleep(250);
        return true;
    }

    @Test
    @Order(90)
    void undeploys() {
        deployer.undeploy(DEPLOYMENT);
    }
}
