package dev.shadowcat.auth;

import com.sun.net.httpserver.HttpServer;
import dev.shadowcat.config.AuthConfig;
import dev.shadowcat.config.HttpUpstreamConfig;
import dev.shadowcat.upstream.ClientSession;
import dev.shadowcat.upstream.Exchange;
import dev.shadowcat.upstream.UpstreamPeer;
import dev.shadowcat.protocol.Message;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The upstream token cache against a real (loopback) token endpoint: reuse, renewal before expiry, per caller. */
class UpstreamTokensTest {
    private HttpServer server;
    private final AtomicInteger issued = new AtomicInteger();
    private final ConcurrentLinkedQueue<String> forms = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<String> authorizations = new ConcurrentLinkedQueue<>();
    private volatile int status = 200;
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private IdentityProvider idp;

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/token", x -> {
            forms.add(URLDecoder.decode(new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8), StandardCharsets.UTF_8));
            authorizations.add(x.getRequestHeaders().getFirst("Authorization"));
            byte[] body = status == 200
                    ? ("{\"access_token\":\"t" + issued.incrementAndGet() + "\",\"expires_in\":100,\"token_type\":\"Bearer\"}").getBytes()
                    : "{\"error\":\"invalid_request\",\"error_description\":\"Invalid token\"}".getBytes();
            x.getResponseHeaders().add("Content-Type", "application/json");
            x.sendResponseHeaders(status, body.length);
            x.getResponseBody().write(body);
            x.close();
        });
        server.start();
        URI token = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/token");
        AuthConfig a = new AuthConfig("bearer", "http://127.0.0.1/realms/x", null, "https://gw/mcp", "https://gw",
                List.of(), List.of("RS256"), Duration.ZERO, List.of(), List.of(), List.of(), List.of(), "jwt", null,
                new AuthConfig.Client("gw", "s3cret:with/odd&chars", token));
        idp = new IdentityProvider(a, r -> new Thread(r, "test-idp"), now::get);
    }

    @AfterEach
    void stop() {
        idp.stop(1000);
        server.stop(0);
    }

    private static ClientSession caller(String principal, String token) {
        return new ClientSession() {
            public String handle() {
                return "h";
            }

            public String protocolVersion() {
                return "2025-11-25";
            }

            public String principal() {
                return principal;
            }

            public String subjectToken() {
                return token;
            }

            public void onUpstreamNotification(byte[] message, Exchange related) {
            }

            public void onUpstreamEvent(byte[] message) {
            }

            public void onUpstreamRequest(Message request, UpstreamPeer from, Exchange related) {
            }

            public void onUpstreamLost(String reason) {
            }
        };
    }

    private static String get(java.util.concurrent.CompletableFuture<String> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    @Test
    void anExchangedTokenIsReusedPerCaller_andRenewedBeforeItExpires() throws Exception {
        UpstreamTokens t = new UpstreamTokens("u", new HttpUpstreamConfig.Credentials(
                HttpUpstreamConfig.Credentials.Grant.TOKEN_EXCHANGE, "echo-upstream", null, null), idp, now::get);
        ClientSession alice = caller("alice", "alice-token");
        assertEquals("Bearer t1", get(t.authorization(alice)));
        assertTrue(forms.peek().contains("subject_token=alice-token") && forms.peek().contains("audience=echo-upstream")
                && forms.peek().contains("grant_type=urn:ietf:params:oauth:grant-type:token-exchange"), forms.peek());
        // RFC 6749 §2.3.1: form-encoded, then Basic
        assertEquals("Basic " + java.util.Base64.getEncoder().encodeToString("gw:s3cret%3Awith%2Fodd%26chars".getBytes()),
                authorizations.peek());
        assertEquals("Bearer t1", get(t.authorization(alice)), "reused");
        assertEquals("Bearer t2", get(t.authorization(caller("bob", "bob-token"))), "bob's own");
        assertEquals(2, issued.get());

        now.addAndGet(80_000); // past three quarters of 100 s: the old token still serves while a new one is fetched
        assertEquals("Bearer t1", get(t.authorization(alice)));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (issued.get() < 3 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        Thread.sleep(50);
        assertEquals("Bearer t3", get(t.authorization(alice)), "renewed in the background");
        now.addAndGet(200_000); // t3 also expired: the next call waits for a fresh one
        assertEquals("Bearer t4", get(t.authorization(alice)));
        assertEquals(4, ((Number) t.stats().get("tokensObtained")).intValue());
    }

    @Test
    void clientCredentialsAreOneTokenForEveryCaller() throws Exception {
        UpstreamTokens t = new UpstreamTokens("u", new HttpUpstreamConfig.Credentials(
                HttpUpstreamConfig.Credentials.Grant.CLIENT_CREDENTIALS, null, "mcp:tools", null), idp, now::get);
        assertEquals("Bearer t1", get(t.authorization(caller("alice", "a"))));
        assertEquals("Bearer t1", get(t.authorization(caller("bob", "b"))));
        assertTrue(forms.peek().contains("grant_type=client_credentials") && forms.peek().contains("scope=mcp:tools")
                && !forms.peek().contains("subject_token"), forms.peek());
    }

    @Test
    void aRefusalReachesTheCallerWithTheIdpsReason_neverATokenOrTheSecret() throws Exception {
        status = 400;
        UpstreamTokens t = new UpstreamTokens("u", new HttpUpstreamConfig.Credentials(
                HttpUpstreamConfig.Credentials.Grant.TOKEN_EXCHANGE, "echo-upstream", null, null), idp, now::get);
        ExecutionException e = assertThrows(ExecutionException.class, () -> get(t.authorization(caller("alice", "alice-secret-token"))));
        String m = e.getCause().getMessage();
        assertTrue(m.contains("400") && m.contains("invalid_request") && m.contains("Invalid token"), m);
        assertFalse(m.contains("alice-secret-token") || m.contains("s3cret"), m);
        ExecutionException none = assertThrows(ExecutionException.class, () -> get(t.authorization(caller("carol", null))));
        assertTrue(none.getCause().getMessage().contains("has none"), none.getCause().getMessage());
    }
}
