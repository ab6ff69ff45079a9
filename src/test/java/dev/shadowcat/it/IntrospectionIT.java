package dev.shadowcat.it;

import com.sun.net.httpserver.HttpServer;
import org.jboss.arquillian.container.test.api.Deployer;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.OperateOnDeployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URL;
import java.net.URLDecoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Token introspection (RFC 7662) does not hold a request thread while the authorization server thinks: the request
 * is suspended and resumed with the answer, and meanwhile callers whose tokens are known are served. The
 * authorization server here is a stub on 127.0.0.1 that can hold its answers (Keycloak cannot be told to be slow);
 * AuthIT runs introspection against the real Keycloak.
 */
@ExtendWith(ArquillianExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@RunAsClient
class IntrospectionIT {
    private static final String DEPLOYMENT = "shadowcat-introspection";
    private static final String RESOURCE = "https://shadowcat.test/mcp";

    private static HttpServer idp;
    private static ExecutorService idpThreads;
    /** Released by the test: introspections of tokens starting "held-" wait for it. */
    private static final CountDownLatch release = new CountDownLatch(1);
    private static final CountDownLatch heldArrived = new CountDownLatch(1);
    private static final java.util.Set<String> failedOnce = java.util.concurrent.ConcurrentHashMap.newKeySet();

    @ArquillianResource
    private Deployer deployer;

    @Deployment(name = DEPLOYMENT, managed = false, testable = false)
    static WebArchive war() {
        return BuiltWar.archive();
    }

    @BeforeAll
    static void startIdp() throws Exception {
        idpThreads = Executors.newCachedThreadPool();
        idp = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        idp.setExecutor(idpThreads);
        idp.createContext("/introspect", ex -> {
            String form = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String token = Arrays.stream(form.split("&")).filter(kv -> kv.startsWith("token="))
                    .map(kv -> URLDecoder.decode(kv.substring(6), StandardCharsets.UTF_8)).findFirst().orElse("");
            if (token.startsWith("held-")) {
                heldArrived.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (token.startsWith("flaky-") && failedOnce.add(token)) {
                ex.sendResponseHeaders(500, -1); // the authorization server's bad moment, once per such token
                ex.close();
                return;
            }
            // tokens name their user and role: "<anything>-<user>-<role>"; "revoked-…" is not active
            String[] parts = token.split("-", 3);
            String body = token.startsWith("revoked-") || parts.length < 3 ? "{\"active\":false}"
                    : "{\"active\":true,\"sub\":\"" + parts[1] + "\",\"aud\":\"" + RESOURCE + "\",\"exp\":"
                    + (System.currentTimeMillis() / 1000 + 300) + ",\"realm_access\":{\"roles\":[\"" + parts[2] + "\"]}}";
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        idp.start();
    }

    @AfterAll
    static void stopIdp() throws InterruptedException {
        release.countDown();
        idp.stop(0);
        idpThreads.shutdownNow();
        assertTrue(idpThreads.awaitTermination(10, TimeUnit.SECONDS));
    }

    private static Map<String, String> bearer(String token) {
        return Map.of("Authorization", "Bearer " + token);
    }

    private static URI demo(URL base) {
        return URI.create(base.toString()).resolve("mcp/demo");
    }

    @Test
    @Order(1)
    void deploys() throws Exception {
        String demo = "[\"${java}\", \"-XX:TieredStopAtLevel=1\", \"-cp\", \"${webapp.classpath}\", \"dev.shadowcat.demo.DemoMcpServer\"]";
        String at = "http://127.0.0.1:" + idp.getAddress().getPort();
        BuiltWar.deploy(deployer, DEPLOYMENT, """
                {
                  "upstreams": { "demo": { "command": %s, "mode": "shared", "pool": { "maxSize": 1, "minIdle": 1 } } },
                  "auth": { "issuer": "%s/realm", "resource": "%s", "publicBaseUrl": "https://shadowcat.test",
                            "validation": "introspection", "introspection": { "endpoint": "%2$s/introspect", "cacheSeconds": 60 },
                            "client": { "id": "gateway", "secret": "test-only-not-a-secret" },
                            "policy": [ { "roles": ["mcp-user"], "upstreams": ["demo"] } ] }
                }
                """.formatted(demo, at, RESOURCE));
    }

    @Test
    @Order(2)
    void aTokenTheAuthorizationServerIsStillJudgingHoldsNoRequestThread_andKnownCallersAreServedMeanwhile(
            @ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        URI demo = demo(base);
        assertEquals(200, new RawMcp(demo).post(RawMcp.initializeBody("2025-11-25"), bearer("t1-bob-mcp-user")).statusCode(),
                "bob's token is introspected once, then known");

        CompletableFuture<HttpResponse<String>> held = RawMcp.HTTP.sendAsync(
                new RawMcp(demo).request(bearer("held-alice-mcp-user")).header("Content-Type", "application/json").POST(
                        java.net.http.HttpRequest.BodyPublishers.ofString(RawMcp.initializeBody("2025-11-25"))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertTrue(heldArrived.await(10, TimeUnit.SECONDS), "the gateway asked the authorization server about alice's token");
        // the thread that suspended alice's request may take a moment to leave the filter; one blocked in it never does
        String inFilter = threadInAuthFilter();
        for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5); inFilter != null && System.nanoTime() < end; ) {
            Thread.sleep(50);
            inFilter = threadInAuthFilter();
        }
        assertNull(inFilter, "a thread waits inside the auth filter while the authorization server thinks");
        assertFalse(held.isDone(), "alice's request waits for the answer");
        HttpResponse<String> bob = new RawMcp(demo).post(RawMcp.initializeBody("2025-11-25"), bearer("t1-bob-mcp-user"));
        assertEquals(200, bob.statusCode(), "a known caller is served meanwhile: " + bob.body());

        release.countDown();
        HttpResponse<String> alice = held.get(20, TimeUnit.SECONDS);
        assertEquals(200, alice.statusCode(), "resumed with the answer: " + alice.body());
        assertTrue(alice.headers().firstValue("Mcp-Session-Id").isPresent(), "and the request went on to open a session");
        RawMcp session = new RawMcp(demo);
        session.sessionId = alice.headers().firstValue("Mcp-Session-Id").orElseThrow();
        HttpResponse<String> tools = session.post("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}", bearer("held-alice-mcp-user"));
        assertTrue(tools.body().contains("\"echo\""), "the session is alice's and works: " + tools.body());
        assertEquals(404, session.post("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\"}", bearer("t1-bob-mcp-user")).statusCode(),
                "and only alice's");
    }

    /** A thread (name and stack) inside the auth filter right now, or null. */
    private static String threadInAuthFilter() {
        for (var e : Thread.getAllStackTraces().entrySet()) {
            String stack = Arrays.toString(e.getValue());
            if (stack.contains("dev.shadowcat.auth.AuthFilter")) {
                return e.getKey() + " " + stack;
            }
        }
        return null;
    }

    @Test
    @Order(3)
    void refusalsDecidedOnTheAnswerAreWrittenAsTheSpecSays(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        URI demo = demo(base);
        HttpResponse<String> revoked = new RawMcp(demo).post(RawMcp.initializeBody("2025-11-25"), bearer("revoked-carol-mcp-user"));
        assertEquals(401, revoked.statusCode(), revoked.body());
        assertTrue(revoked.headers().firstValue("WWW-Authenticate").orElse("").contains("error=\"invalid_token\""),
                revoked.headers().map().toString());
        assertTrue(revoked.body().contains("not active"), revoked.body());

        HttpResponse<String> noRule = new RawMcp(demo).post(RawMcp.initializeBody("2025-11-25"), bearer("t2-dave-guest"));
        assertEquals(403, noRule.statusCode(), "active, but no policy rule gives role guest the upstream: " + noRule.body());
        assertTrue(noRule.headers().firstValue("WWW-Authenticate").orElse("").contains("insufficient_scope"));
        assertEquals(200, new RawMcp(demo).post(RawMcp.initializeBody("2025-11-25"), bearer("t3-erin-mcp-user")).statusCode(),
                "the connection and the gateway are fine after refusals");
    }

    @Test
    @Order(4)
    void anAuthorizationServerThatCannotAnswer_getsA503ToRetry_notA401ThatThrowsTheTokenAway(
            @ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        URI demo = demo(base);
        HttpResponse<String> first = new RawMcp(demo).post(RawMcp.initializeBody("2025-11-25"), bearer("flaky-frank-mcp-user"));
        assertEquals(503, first.statusCode(), first.body());
        assertEquals("5", first.headers().firstValue("Retry-After").orElse(null), first.headers().map().toString());
        assertTrue(first.headers().firstValue("WWW-Authenticate").isEmpty(), "no invalid_token challenge: the token may be good");
        assertTrue(first.body().contains("\"code\":-32002") && first.body().contains("could not check the token")
                && first.body().contains("500"), first.body());
        assertFalse(first.body().contains("flaky-frank"), "the token is never echoed");
        HttpResponse<String> retry = new RawMcp(demo).post(RawMcp.initializeBody("2025-11-25"), bearer("flaky-frank-mcp-user"));
        assertEquals(200, retry.statusCode(), "the failure was not remembered; the retry is judged again: " + retry.body());
    }
}
