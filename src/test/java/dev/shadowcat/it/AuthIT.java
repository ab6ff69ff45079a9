package dev.shadowcat.it;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import dev.shadowcat.testing.fixtures.HeaderEchoMcpServer;
import dev.shadowcat.testing.fixtures.Keycloak;
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

import java.io.StringReader;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway as an OAuth 2.1 resource server against a real Keycloak: discovery exactly as the MCP authorization
 * spec says, valid tokens served (raw HTTP and the Java SDK with a bearer header), one refusal per kind of bad token,
 * sessions bound to their principal, the operations API for admins only, and no client token reaching an upstream.
 */
@ExtendWith(ArquillianExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@RunAsClient
class AuthIT {
    private static final String DEPLOYMENT = "shadowcat-auth";
    private static final String PUBLIC_BASE = "https://shadowcat.test"; // as behind a TLS proxy: never the request's Host
    private static final Path AUDIT = Path.of("target/auth-it/audit.log").toAbsolutePath();
    private static Keycloak keycloak;
    private static final List<String> tokensSeen = new java.util.concurrent.CopyOnWriteArrayList<>();
    private static HeaderEchoMcpServer echo;

    @ArquillianResource
    private Deployer deployer;

    @Deployment(name = DEPLOYMENT, managed = false, testable = false)
    static WebArchive war() {
        return BuiltWar.archive();
    }

    @AfterAll
    static void stop() {
        if (echo != null) {
            echo.close();
        }
        Keycloak.stopShared(); // no other class needs it, and the others' leak checks count child processes
    }

    private static URI at(URL base, String path) {
        return URI.create(base.toString()).resolve(path.substring(1));
    }

    private static HttpResponse<String> get(URI uri, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(RawMcp.TIMEOUT);
        headers.forEach(b::header);
        return RawMcp.HTTP.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> initialize(URI endpoint, Map<String, String> headers) throws Exception {
        return new RawMcp(endpoint).post(RawMcp.initializeBody("2025-11-25"), headers);
    }

    /** The JSON-RPC answer of a POST: its JSON body, or the last event of its stream that carries an id. */
    private static JsonObject answer(HttpResponse<String> r) {
        String json = r.body().startsWith("{") ? r.body()
                : r.body().lines().filter(l -> l.startsWith("data:") && l.contains("\"id\"")).reduce((a, b) -> b)
                .map(l -> l.substring(5).strip()).orElseThrow(() -> new AssertionError("no answer in " + r.body()));
        return Json.createReader(new StringReader(json)).readObject();
    }

    private static Map<String, String> bearer(String token) {
        tokensSeen.add(token);
        return Map.of("Authorization", "Bearer " + token);
    }

    private static RawMcp open(URI endpoint, String token) throws Exception {
        return new RawMcp(endpoint).open(bearer(token));
    }

    @Test
    @Order(1)
    void deploys() throws Exception {
        keycloak = Keycloak.shared();
        Files.createDirectories(AUDIT.getParent());
        Files.deleteIfExists(AUDIT);
        echo = HeaderEchoMcpServer.start();
        String demo = "[\"${java}\", \"-XX:TieredStopAtLevel=1\", \"-cp\", \"${webapp.classpath}\", \"dev.shadowcat.demo.DemoMcpServer\"]";
        BuiltWar.deploy(deployer, DEPLOYMENT, """
                {
                  "upstreams": {
                    "demo": { "command": %s, "mode": "shared", "pool": { "maxSize": 2, "minIdle": 1 } },
                    "limited": { "command": %1$s, "mode": "shared", "pool": { "maxSize": 1, "minIdle": 1 } },
                    "echo": { "url": "%2$s" },
                    "exchanged": { "url": "%2$s", "credentials": { "grant": "token-exchange", "audience": "echo-upstream" } },
                    "machine": { "url": "%2$s", "credentials": { "grant": "client-credentials" } }
                  },
                  "auth": { "issuer": "%3$s", "resource": "%4$s", "publicBaseUrl": "%5$s", "clockSkewSeconds": 0,
                            "client": { "id": "shadowcat-gateway", "secret": "%7$s" },
                            "policy": [
                              { "roles": ["mcp-service"], "upstreams": ["*"] },
                              { "roles": ["mcp-user"], "upstreams": ["demo", "limited"], "tools": { "deny": ["crash", "env"] } },
                              { "roles": ["shadowcat-admin"], "upstreams": ["demo"] },
                              { "roles": ["mcp-user"], "upstreams": ["exchanged", "machine"] }
                            ] },
                  "pipeline": { "audit": { "file": "%6$s" },
                                "rateLimits": { "limited": { "perTool": { "requestsPerSecond": 1, "burst": 2 } } } }
                }
                """.formatted(demo, echo.endpoint(), keycloak.issuer("shadowcat"), Keycloak.RESOURCE, PUBLIC_BASE, AUDIT,
                        Keycloak.SECRET));
    }

    @Test
    @Order(2)
    void withoutAToken_everyDoorAnswers401_namingItsMetadata(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        Map<String, String> expected = Map.of("/mcp", "/mcp", "/mcp/echo", "/mcp/echo", "/sse", "/sse",
                "/messages?sessionId=x", "/sse", "/metrics", "", "/api/sessions", "");
        for (var e : expected.entrySet()) {
            HttpResponse<String> r = e.getKey().startsWith("/mcp") ? initialize(at(base, e.getKey()), Map.of())
                    : get(at(base, e.getKey()), Map.of("Accept", "text/event-stream"));
            assertEquals(401, r.statusCode(), e.getKey() + ": " + r.body());
            assertEquals("Bearer resource_metadata=\"" + PUBLIC_BASE + "/.well-known/oauth-protected-resource" + e.getValue() + "\"",
                    r.headers().firstValue("WWW-Authenticate").orElse(""), e.getKey());
            assertTrue(r.body().contains("\"error\""), r.body());
        }
    }

    @Test
    @Order(3)
    void protectedResourceMetadata_namesTheResourceAndKeycloak(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        for (String path : List.of("/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp",
                "/.well-known/oauth-protected-resource/mcp/echo")) {
            HttpResponse<String> r = get(at(base, path), Map.of());
            assertEquals(200, r.statusCode(), path);
            JsonObject m = Json.createReader(new StringReader(r.body())).readObject();
            assertEquals(Keycloak.RESOURCE, m.getString("resource"));
            assertEquals(List.of(keycloak.issuer("shadowcat")), m.getJsonArray("authorization_servers").getValuesAs(jakarta.json.JsonString.class)
                    .stream().map(jakarta.json.JsonString::getString).toList());
            assertEquals("header", m.getJsonArray("bearer_methods_supported").getString(0));
        }
    }

    @Test
    @Order(4)
    void aKeycloakToken_opensASession_rawAndThroughTheJavaSdk(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        String token = keycloak.clientToken("shadowcat", Keycloak.CLIENT);
        RawMcp s = open(at(base, "/mcp/demo"), token);
        HttpResponse<String> r = s.post(RawMcp.call(2, "echo", "{\"message\":\"authorized\"}"), bearer(token));
        assertEquals("Echo: authorized", RawMcp.text(r.body()));
        assertEquals(200, s.post(RawMcp.call(3, "echo", "{\"message\":\"cached\"}"), bearer(token)).statusCode());

        HttpClientStreamableHttpTransport transport = HttpClientStreamableHttpTransport.builder(base.toString())
                .endpoint("/mcp/demo").requestBuilder(HttpRequest.newBuilder().header("Authorization", "Bearer " + token)).build();
        try (McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(20)).build()) {
            client.initialize();
            McpSchema.CallToolResult result = client.callTool(new McpSchema.CallToolRequest("echo", Map.of("message", "sdk")));
            assertEquals("Echo: sdk", ((McpSchema.TextContent) result.content().get(0)).text());
        }
    }

    /** A real token's claims, re-signed or re-encoded by the test. */
    private static JWTClaimsSet claimsOf(String token) throws Exception {
        return SignedJWT.parse(token).getJWTClaimsSet();
    }

    private static void assertRefused(URL base, Map<String, String> headers, int status, String why) throws Exception {
        assertRefused(base, headers, status, why, "");
    }

    /** Refused with {@code status}, a challenge, a body that names the reason ({@code because}), the token not echoed. */
    private static void assertRefused(URL base, Map<String, String> headers, int status, String why, String because) throws Exception {
        HttpResponse<String> r = initialize(at(base, "/mcp/demo"), headers);
        assertEquals(status, r.statusCode(), why + ": " + r.body());
        assertTrue(r.body().contains(because), why + ": the reason should mention '" + because + "': " + r.body());
        String challenge = r.headers().firstValue("WWW-Authenticate").orElse("");
        assertTrue(challenge.startsWith("Bearer"), why + ": " + challenge);
        if (status == 401) {
            assertTrue(challenge.contains("error=\"invalid_token\""), why + ": " + challenge);
        }
        for (String v : headers.values()) {
            String token = v.replaceFirst("(?i)^bearer\\s*", "");
            if (token.length() > 20) {
                assertFalse(r.body().contains(token) || challenge.contains(token), why + ": the token is echoed back");
            }
        }
    }

    @Test
    @Order(5)
    void everyKindOfBadTokenIsRefused(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        String good = keycloak.clientToken("shadowcat", Keycloak.CLIENT);
        SignedJWT parsed = SignedJWT.parse(good);
        String[] parts = good.split("\\.");

        assertRefused(base, Map.of("Authorization", "Basic YWxpY2U6c2VjcmV0"), 400, "not a bearer header");
        assertRefused(base, Map.of("Authorization", "Bearer"), 400, "a bearer header without a token");
        assertRefused(base, Map.of("Authorization", "Bearer a b c"), 400, "a malformed token68");

        HttpResponse<String> inQuery = RawMcp.HTTP.send(HttpRequest.newBuilder(URI.create(at(base, "/mcp/demo") + "?access_token=" + good))
                .timeout(RawMcp.TIMEOUT).header("Content-Type", "application/json").header("Accept", RawMcp.ACCEPT_BOTH)
                .POST(HttpRequest.BodyPublishers.ofString(RawMcp.initializeBody("2025-11-25"))).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, inQuery.statusCode(), "a token in the query string: " + inQuery.body());

        assertRefused(base, bearer("not-a-jwt"), 401, "not a JWT");
        // the same signature over a payload whose subject was changed
        String payload = new String(java.util.Base64.getUrlDecoder().decode(parts[1]), java.nio.charset.StandardCharsets.UTF_8);
        String sub = parsed.getJWTClaimsSet().getSubject();
        String tampered = parts[0] + "." + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                payload.replace(sub, "someone-else").getBytes(java.nio.charset.StandardCharsets.UTF_8)) + "." + parts[2];
        assertRefused(base, bearer(tampered), 401, "a tampered payload", "signature");
        assertRefused(base, bearer(parts[0] + "." + parts[1] + "." + new StringBuilder(parts[2]).reverse()), 401, "a bad signature", "signature");
        assertRefused(base, bearer(new PlainJWT(claimsOf(good)).serialize()), 401, "alg none", "alg none");

        // HS256 signed with the RSA public key as the secret (the classic algorithm-confusion attack)
        RSAKey publicKey = (RSAKey) JWKSet.parse(keycloak.jwks("shadowcat").toString()).getKeyByKeyId(parsed.getHeader().getKeyID());
        SignedJWT hs = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(publicKey.getKeyID()).type(JOSEObjectType.JWT).build(),
                claimsOf(good));
        hs.sign(new MACSigner(publicKey.toRSAPublicKey().getEncoded()));
        assertRefused(base, bearer(hs.serialize()), 401, "HS256 with the public key", "algorithm");

        // signed by a key the IdP never published, with a kid it does not know: refetched once, still refused
        RSAKey forger = new RSAKeyGenerator(2048).keyID("rotated-" + System.nanoTime()).generate();
        SignedJWT forged = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(forger.getKeyID()).type(JOSEObjectType.JWT).build(),
                claimsOf(good));
        forged.sign(new RSASSASigner(forger));
        assertRefused(base, bearer(forged.serialize()), 401, "an unknown kid", "no matching key");

        assertRefused(base, bearer(keycloak.clientToken("shadowcat", "no-audience")), 401, "another audience", "aud claim");
        assertRefused(base, bearer(keycloak.clientToken("other", Keycloak.CLIENT)), 401, "another issuer", "iss");

        String shortLived = keycloak.clientToken("shadowcat", "short-lived");
        assertEquals(200, initialize(at(base, "/mcp/demo"), bearer(shortLived)).statusCode(), "valid while fresh");
        Thread.sleep(3500);
        assertRefused(base, bearer(shortLived), 401, "expired (also when cached)", "xpired");

        JWTClaimsSet early = new JWTClaimsSet.Builder(claimsOf(good)).notBeforeTime(new Date(System.currentTimeMillis() + 600_000)).build();
        SignedJWT notYet = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(forger.getKeyID()).build(), early);
        notYet.sign(new RSASSASigner(forger));
        assertRefused(base, bearer(notYet.serialize()), 401, "not yet valid (and signed by an unknown key)");
        lastUnknownKidNanos = System.nanoTime();
    }

    /** When a token with an unknown kid last made the gateway refetch the keys (refetches are 30 s apart at least). */
    private static long lastUnknownKidNanos = System.nanoTime();

    @Test
    @Order(89)
    void theIdpRotatesItsKey_andTheGatewayRefetchesOnceForTheNewKid(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base)
            throws Exception {
        String before = keycloak.userToken("shadowcat", Keycloak.CLIENT, "alice");
        assertEquals(200, initialize(at(base, "/mcp/demo"), bearer(before)).statusCode());
        // the forged kids of the bad-token test made the gateway refetch; a refetch within 30 s of that one is refused
        long wait = Duration.ofSeconds(31).toNanos() - (System.nanoTime() - lastUnknownKidNanos);
        if (wait > 0) {
            Thread.sleep(wait / 1_000_000);
        }
        String kid = keycloak.rotateSigningKey("shadowcat");
        String after = keycloak.userToken("shadowcat", Keycloak.CLIENT, "alice");
        assertEquals(kid, SignedJWT.parse(after).getHeader().getKeyID(), "Keycloak signs with the new key");
        HttpResponse<String> r = initialize(at(base, "/mcp/demo"), bearer(after));
        assertEquals(200, r.statusCode(), "the new kid made the gateway fetch the keys again: " + r.body());
        assertEquals(200, initialize(at(base, "/mcp/demo"), bearer(before)).statusCode(), "the old key is still published");
    }

    @Test
    @Order(6)
    void aSessionIsBoundToItsPrincipal(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        String alice = keycloak.userToken("shadowcat", Keycloak.CLIENT, "alice");
        String bob = keycloak.userToken("shadowcat", Keycloak.CLIENT, "bob");
        RawMcp s = open(at(base, "/mcp/demo"), alice);
        HttpResponse<String> stolen = s.post(RawMcp.call(2, "echo", "{\"message\":\"mine\"}"), bearer(bob));
        assertEquals(404, stolen.statusCode(), "another principal's session id is an unknown one: " + stolen.body());
        HttpResponse<String> own = s.post(RawMcp.call(3, "echo", "{\"message\":\"mine\"}"), bearer(alice));
        assertEquals("Echo: mine", RawMcp.text(own.body()));
        assertEquals(404, RawMcp.HTTP.send(s.request(bearer(bob)).DELETE().build(), HttpResponse.BodyHandlers.ofString()).statusCode());
        assertEquals(200, RawMcp.HTTP.send(s.request(bearer(alice)).DELETE().build(), HttpResponse.BodyHandlers.ofString()).statusCode());
    }

    @Test
    @Order(6)
    void aLegacySseSessionIsBoundToItsPrincipalToo(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        String alice = keycloak.userToken("shadowcat", Keycloak.CLIENT, "alice");
        String bob = keycloak.userToken("shadowcat", Keycloak.CLIENT, "bob");
        try (java.net.Socket sse = new java.net.Socket(base.getHost(), base.getPort())) {
            sse.setSoTimeout(10_000);
            sse.getOutputStream().write(("GET /sse/demo HTTP/1.1\r\nHost: " + base.getHost() + ":" + base.getPort()
                    + "\r\nAccept: text/event-stream\r\nAuthorization: Bearer " + alice + "\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(sse.getInputStream(),
                    java.nio.charset.StandardCharsets.UTF_8));
            String endpoint = null;
            for (String line; endpoint == null && (line = in.readLine()) != null; ) {
                if (line.startsWith("data:") && line.contains("sessionId=")) {
                    endpoint = line.substring(5).trim();
                }
            }
            assertTrue(endpoint != null, "no endpoint event");
            URI messages = at(base, endpoint.startsWith("/") ? endpoint : "/" + endpoint);
            HttpRequest.Builder post = HttpRequest.newBuilder(messages).timeout(RawMcp.TIMEOUT).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(RawMcp.initializeBody("2024-11-05")));
            HttpResponse<String> byBob = RawMcp.HTTP.send(post.copy().header("Authorization", "Bearer " + bob).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(404, byBob.statusCode(), "another principal's legacy session: " + byBob.body());
            HttpResponse<String> byAlice = RawMcp.HTTP.send(post.copy().header("Authorization", "Bearer " + alice).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(202, byAlice.statusCode(), byAlice.body());
        }
    }

    private static JsonObject elicit2026(URI ep, String token, int id, String extraMembers) throws Exception {
        String body = "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":\"elicit\","
                + "\"arguments\":{\"message\":\"Name?\"}" + (extraMembers.isEmpty() ? "" : "," + extraMembers)
                + ",\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
                + "\"io.modelcontextprotocol/clientCapabilities\":{\"elicitation\":{}}}}}";
        HttpResponse<String> r = RawMcp.HTTP.send(HttpRequest.newBuilder(ep).timeout(RawMcp.TIMEOUT)
                .header("Content-Type", "application/json").header("Accept", RawMcp.ACCEPT_BOTH)
                .header("MCP-Protocol-Version", "2026-07-28").header("Mcp-Method", "tools/call").header("Mcp-Name", "elicit")
                .header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        return answer(r);
    }

    @Test
    @Order(6)
    void a2026RequestStateResumesOnlyForTheCallerItWasIssuedTo(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        String alice = keycloak.userToken("shadowcat", Keycloak.CLIENT, "alice");
        String bob = keycloak.userToken("shadowcat", Keycloak.CLIENT, "bob");
        URI ep = at(base, "/mcp/demo");
        JsonObject asked = elicit2026(ep, alice, 1, "").getJsonObject("result");
        assertEquals("input_required", asked.getString("resultType"), asked.toString());
        String key = asked.getJsonObject("inputRequests").keySet().iterator().next();
        String retry = "\"inputResponses\":{\"" + key + "\":{\"action\":\"accept\",\"content\":{\"name\":\"Ada\"}}},"
                + "\"requestState\":\"" + asked.getString("requestState") + "\"";
        JsonObject byBob = elicit2026(ep, bob, 2, retry);
        assertEquals(-32602, byBob.getJsonObject("error").getInt("code"), "another caller's requestState: " + byBob);
        JsonObject byAlice = elicit2026(ep, alice, 3, retry);
        assertEquals("complete", byAlice.getJsonObject("result").getString("resultType"), "the call was not lost: " + byAlice);
    }

    @Test
    @Order(7)
    void theOperationsApiAndMetricsNeedTheAdminRole(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        String alice = keycloak.userToken("shadowcat", Keycloak.CLIENT, "alice");
        String bob = keycloak.userToken("shadowcat", Keycloak.CLIENT, "bob");
        RawMcp open = open(at(base, "/mcp/demo"), alice);
        for (String path : List.of("/api/sessions", "/metrics")) {
            HttpResponse<String> r = get(at(base, path), bearer(alice));
            assertEquals(403, r.statusCode(), path + ": " + r.body());
            assertEquals("Bearer error=\"insufficient_scope\", scope=\"shadowcat-admin\", resource_metadata=\"" + PUBLIC_BASE
                    + "/.well-known/oauth-protected-resource\"", r.headers().firstValue("WWW-Authenticate").orElse(""));
            assertEquals(200, get(at(base, path), bearer(bob)).statusCode(), path);
        }
        JsonArray sessions = Json.createReader(new StringReader(get(at(base, "/api/sessions"), bearer(bob)).body())).readArray();
        String aliceSub = claimsOf(alice).getSubject();
        assertTrue(sessions.getValuesAs(JsonObject.class).stream().anyMatch(o -> aliceSub.equals(o.getString("principal", null))),
                "the operations API shows each session's principal: " + sessions);
        assertFalse(sessions.toString().contains(alice), "never the token");
        RawMcp.HTTP.send(open.request(bearer(alice)).DELETE().build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @Order(8)
    void theClientsTokenNeverReachesAnUpstream(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        String token = keycloak.clientToken("shadowcat", Keycloak.CLIENT);
        RawMcp s = open(at(base, "/mcp/echo"), token);
        HttpResponse<String> r = s.post(RawMcp.call(2, "headers", "{}"), bearer(token));
        assertEquals(200, r.statusCode(), r.body());
        assertFalse(r.body().contains(token.substring(token.length() - 40)), "the upstream saw the client's token: " + r.body());
        for (Map<String, List<String>> h : echo.requests()) {
            assertFalse(new HashMap<>(h).toString().contains(token.substring(token.length() - 40)), h.toString());
        }
        RawMcp.HTTP.send(s.request(bearer(token)).DELETE().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The Authorization header the echo upstream received for one tools/call on {@code s}. */
    private static String upstreamAuthorization(RawMcp s, String token) throws Exception {
        HttpResponse<String> r = s.post(RawMcp.call(3, "headers", "{}"), bearer(token));
        assertEquals(200, r.statusCode(), r.body());
        JsonObject result = answer(r).getJsonObject("result");
        assertFalse(result.getBoolean("isError", false), result.toString());
        JsonObject headers = Json.createReader(new StringReader(
                result.getJsonArray("content").getJsonObject(0).getString("text"))).readObject();
        JsonArray auth = headers.getJsonArray("authorization");
        assertTrue(auth != null && auth.size() == 1, "one Authorization header upstream: " + headers);
        String value = auth.getString(0);
        assertTrue(value.startsWith("Bearer "), value);
        tokensSeen.add(value.substring(7));
        return value.substring(7);
    }

    @Test
    @Order(8)
    void anUpstreamGetsATokenMadeForIt_exchangedForTheCallerOrTheGatewaysOwn_neverTheClients(
            @ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        String alice = keycloak.userToken("shadowcat", Keycloak.CLIENT, "alice");
        String aliceSub = claimsOf(alice).getSubject();
        RawMcp ex = open(at(base, "/mcp/exchanged"), alice);
        String exchanged = upstreamAuthorization(ex, alice);
        assertFalse(exchanged.equals(alice), "the client's token went upstream");
        JWTClaimsSet c = SignedJWT.parse(exchanged).getJWTClaimsSet();
        assertEquals(List.of("echo-upstream"), c.getAudience(), "RFC 8693: a token whose audience is the upstream");
        assertEquals(aliceSub, c.getSubject(), "on behalf of the caller");
        assertEquals("shadowcat-gateway", c.getStringClaim("azp"), "obtained by the gateway's client");
        assertEquals(exchanged, upstreamAuthorization(ex, alice), "cached for the next call, not exchanged again");

        String bob = keycloak.userToken("shadowcat", Keycloak.CLIENT, "bob");
        RawMcp exBob = open(at(base, "/mcp/exchanged"), bob);
        JWTClaimsSet forBob = SignedJWT.parse(upstreamAuthorization(exBob, bob)).getJWTClaimsSet();
        assertEquals(claimsOf(bob).getSubject(), forBob.getSubject(), "each caller gets a token of its own");

        RawMcp m = open(at(base, "/mcp/machine"), alice);
        JWTClaimsSet own = SignedJWT.parse(upstreamAuthorization(m, alice)).getJWTClaimsSet();
        assertEquals(List.of("echo-upstream"), own.getAudience());
        assertEquals("service-account-shadowcat-gateway", own.getStringClaim("preferred_username"),
                "client credentials: the gateway's own identity, not the caller's");

        JsonObject ups = Json.createReader(new StringReader(get(at(base, "/api/upstreams"), bearer(bob)).body())).readArray()
                .getValuesAs(JsonObject.class).stream()
                .filter(u -> u.getString("name").equals("exchanged")).findFirst().orElseThrow();
        JsonObject creds = ups.getJsonObject("credentials");
        assertEquals("token-exchange", creds.getString("grant"), ups.toString());
        assertEquals(2, creds.getInt("tokensObtained"), "one exchange per caller: " + creds);
        assertFalse(ups.toString().contains(exchanged.substring(exchanged.length() - 30)), "the API shows no token");

        for (String t : List.of(alice, bob, exchanged)) {
            String tail = t.substring(t.length() - 40);
            for (Map<String, List<String>> h : echo.requests()) {
                if (t != exchanged) {
                    assertFalse(new HashMap<>(h).toString().contains(tail), "a client's token reached the upstream: " + h);
                }
            }
        }
        for (var p : List.of(Map.entry(ex, alice), Map.entry(exBob, bob), Map.entry(m, alice))) {
            RawMcp.HTTP.send(p.getKey().request(bearer(p.getValue())).DELETE().build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    private static List<String> toolNames(RawMcp s, String token) throws Exception {
        HttpResponse<String> r = s.post("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/list\"}", bearer(token));
        return answer(r).getJsonObject("result").getJsonArray("tools")
                .getValuesAs(JsonObject.class).stream().map(t -> t.getString("name")).toList();
    }

    @Test
    @Order(8)
    void rolesDecideWhichUpstreamsAndToolsACallerSees_denyUntilARuleAllows(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        String alice = keycloak.userToken("shadowcat", Keycloak.CLIENT, "alice"); // mcp-user: demo without crash and env
        String bob = keycloak.userToken("shadowcat", Keycloak.CLIENT, "bob");     // also shadowcat-admin: all of demo
        String carol = keycloak.userToken("shadowcat", Keycloak.CLIENT, "carol"); // no role: nothing

        RawMcp a = open(at(base, "/mcp/demo"), alice);
        List<String> aliceTools = toolNames(a, alice);
        assertTrue(aliceTools.contains("echo") && !aliceTools.contains("crash") && !aliceTools.contains("env"), aliceTools.toString());
        HttpResponse<String> crash = a.post(RawMcp.call(8, "crash", "{}"), bearer(alice));
        assertTrue(crash.body().contains("\"code\":-32602") && crash.body().contains("auth.policy[1].tools.deny"), crash.body());
        RawMcp b = open(at(base, "/mcp/demo"), bob);
        assertTrue(toolNames(b, bob).contains("crash"), "a second rule adds what the first hides");

        HttpResponse<String> echoForAlice = initialize(at(base, "/mcp/echo"), bearer(alice));
        assertEquals(403, echoForAlice.statusCode(), echoForAlice.body());
        assertTrue(echoForAlice.headers().firstValue("WWW-Authenticate").orElse("").contains("error=\"insufficient_scope\""));
        assertTrue(echoForAlice.body().contains("no auth.policy rule"), echoForAlice.body());
        HttpResponse<String> nothing = initialize(at(base, "/mcp/demo"), bearer(carol));
        assertEquals(403, nothing.statusCode(), "deny until a rule allows: " + nothing.body());
        for (RawMcp s : List.of(a)) {
            RawMcp.HTTP.send(s.request(bearer(alice)).DELETE().build(), HttpResponse.BodyHandlers.ofString());
        }
        RawMcp.HTTP.send(b.request(bearer(bob)).DELETE().build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @Order(8)
    void aPrincipalOverItsToolRateGets429WithRetryAfter_andOthersAreNotAffected(
            @ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        String alice = keycloak.userToken("shadowcat", Keycloak.CLIENT, "alice");
        String bob = keycloak.userToken("shadowcat", Keycloak.CLIENT, "bob");
        RawMcp a = open(at(base, "/mcp/limited"), alice);
        RawMcp b = open(at(base, "/mcp/limited"), bob);
        String add = RawMcp.call(20, "add", "{\"a\":1,\"b\":2}");
        assertEquals(200, a.post(add, bearer(alice)).statusCode());
        assertEquals(200, a.post(add, bearer(alice)).statusCode());
        HttpResponse<String> over = a.post(add, bearer(alice));
        assertEquals(429, over.statusCode(), over.body());
        assertEquals("1", over.headers().firstValue("Retry-After").orElse(""), over.headers().map().toString());
        JsonObject error = Json.createReader(new StringReader(over.body())).readObject().getJsonObject("error");
        assertEquals(-32029, error.getInt("code"));
        assertTrue(error.getJsonObject("data").getInt("retryAfterMs") > 0, error.toString());
        assertEquals(200, b.post(add, bearer(bob)).statusCode(), "another principal has its own bucket");
        assertEquals(200, a.post(RawMcp.call(21, "echo", "{\"message\":\"x\"}"), bearer(alice)).statusCode(), "and another tool");
        String metrics = get(at(base, "/metrics"), bearer(bob)).body();
        assertTrue(metrics.contains("shadowcat_rate_limited_total{limit=\"tool\",upstream=\"limited\"}"), "counted in /metrics");
        RawMcp.HTTP.send(a.request(bearer(alice)).DELETE().build(), HttpResponse.BodyHandlers.ofString());
        RawMcp.HTTP.send(b.request(bearer(bob)).DELETE().build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @Order(9)
    void theAuditLogHasEachCallsPrincipalAndEachRefusal_neverAToken() throws Exception {
        String alice = keycloak.userToken("shadowcat", Keycloak.CLIENT, "alice"); // alice made calls in earlier tests
        String aliceSub = claimsOf(alice).getSubject();
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        String audit = "";
        while (System.nanoTime() < deadline && !(audit.contains("auth-refused") && audit.contains(aliceSub))) {
            Thread.sleep(100);
            audit = Files.exists(AUDIT) ? Files.readString(AUDIT) : "";
        }
        assertTrue(audit.contains("\"event\":\"auth-refused\"") && audit.contains("\"status\":401")
                && audit.contains("\"status\":403") && audit.contains("\"status\":400"), audit);
        assertTrue(audit.contains("\"principal\":\"" + aliceSub + "\""), "calls carry the caller's subject: " + audit);
        for (String t : tokensSeen) {
            String sig = t.contains(".") ? t.substring(t.lastIndexOf('.') + 1) : t;
            if (sig.length() > 20) {
                assertFalse(audit.contains(sig), "a token reached the audit log");
            }
        }
    }

    @Test
    @Order(90)
    void undeploys(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) {
        livePort = base.getPort();
        deployer.undeploy(DEPLOYMENT);
    }

    // ---- a second set-up: tokens checked by introspection, and the public URL the clients really use ----

    private static final String LIVE = "shadowcat-auth-live";
    private static int livePort;

    @Deployment(name = LIVE, managed = false, testable = false)
    static WebArchive liveWar() {
        return org.jboss.shrinkwrap.api.ShrinkWrap.create(WebArchive.class, "live.war").merge(BuiltWar.archive());
    }

    private static String liveBase() {
        return "http://127.0.0.1:" + livePort;
    }

    @Test
    @Order(91)
    void deploysWithIntrospection() throws Exception {
        String demo = "[\"${java}\", \"-XX:TieredStopAtLevel=1\", \"-cp\", \"${webapp.classpath}\", \"dev.shadowcat.demo.DemoMcpServer\"]";
        // the clients' URL is the public one here, as the TypeScript SDK checks the metadata's resource against it;
        // Keycloak's tokens name the realm's fixed audience, accepted as a further one
        BuiltWar.deploy(deployer, LIVE, """
                {
                  "upstreams": { "demo": { "command": %s, "mode": "shared", "pool": { "maxSize": 1, "minIdle": 1 } } },
                  "auth": { "issuer": "%s", "resource": "%s/mcp", "publicBaseUrl": "%3$s", "audiences": ["%s"],
                            "validation": "introspection", "introspection": { "cacheSeconds": 1 },
                            "client": { "id": "shadowcat-gateway", "secret": "%s" },
                            "policy": [ { "roles": ["mcp-user", "mcp-service"], "upstreams": ["demo"] } ] }
                }
                """.formatted(demo, keycloak.issuer("shadowcat"), liveBase(), Keycloak.RESOURCE, Keycloak.SECRET));
    }

    @Test
    @Order(92)
    void introspection_refusesARevokedTokenSoonAfter_andATokenTheIdpNeverIssued() throws Exception {
        URI endpoint = URI.create(liveBase() + "/mcp/demo");
        String alice = keycloak.userToken("shadowcat", Keycloak.CLIENT, "alice");
        assertEquals(200, initialize(endpoint, bearer(alice)).statusCode(), "active at the authorization server");
        keycloak.revoke("shadowcat", Keycloak.CLIENT, alice);
        Thread.sleep(1500); // introspection.cacheSeconds is 1
        HttpResponse<String> revoked = initialize(endpoint, bearer(alice));
        assertEquals(401, revoked.statusCode(), revoked.body());
        assertTrue(revoked.headers().firstValue("WWW-Authenticate").orElse("").contains("error=\"invalid_token\""));
        assertTrue(revoked.body().contains("not active"), revoked.body());
        HttpResponse<String> opaque = initialize(endpoint, bearer("opaque-" + java.util.UUID.randomUUID()));
        assertEquals(401, opaque.statusCode(), "an opaque token the IdP does not know: " + opaque.body());
    }

    private static JsonObject sdkRun(String... args) throws Exception {
        Node.Result r = Node.run(Map.of("OAUTH_CLIENT_SECRET", Keycloak.SECRET, "OAUTH_USER_PASSWORD", "alice-password"),
                "oauth-client.mjs", args);
        assertEquals(0, r.exit(), r.toString());
        String last = r.stdout().strip().lines().reduce((a, b) -> b).orElse("");
        return Json.createReader(new StringReader(last)).readObject();
    }

    private static void assertDiscoveredFromThe401(JsonObject out) {
        List<String> seen = out.getJsonArray("requests").getValuesAs(jakarta.json.JsonString.class).stream()
                .map(jakarta.json.JsonString::getString).toList();
        assertEquals("POST /mcp/demo 401", seen.get(0), "first the 401: " + seen);
        assertEquals("GET /.well-known/oauth-protected-resource/mcp/demo 200", seen.get(1), "then the metadata it names: " + seen);
        assertTrue(seen.stream().anyMatch(x -> x.startsWith("POST /realms/shadowcat/protocol/openid-connect/token 200")), seen.toString());
        assertTrue(seen.stream().filter(x -> x.startsWith("POST /mcp/demo")).skip(1).allMatch(x -> x.endsWith(" 200") || x.endsWith(" 202")),
                "the session works with the token: " + seen);
        assertTrue(out.getJsonArray("tools").toString().contains("\"echo\""), out.toString());
        assertEquals("Echo: through the gateway", out.getString("echoed"), out.toString());
    }

    @Test
    @Order(93)
    void theTypeScriptSdk_findsKeycloakFromThe401_clientCredentials() throws Exception {
        assertDiscoveredFromThe401(sdkRun("client-credentials", liveBase() + "/mcp/demo", keycloak.issuer("shadowcat"), Keycloak.CLIENT));
    }

    @Test
    @Order(94)
    void theTypeScriptSdk_authorizationCodeWithPkce_throughKeycloaksLoginForm() throws Exception {
        JsonObject out = sdkRun("auth-code", liveBase() + "/mcp/demo", keycloak.issuer("shadowcat"), "mcp-cli", "alice");
        assertDiscoveredFromThe401(out);
        assertTrue(out.getJsonArray("requests").toString().contains("POST /realms/shadowcat/login-actions/authenticate 302"), out.toString());
    }

    @Test
    @Order(99)
    void undeploysTheSecond() {
        deployer.undeploy(LIVE);
    }
}
