package dev.shadowcat.it;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.jboss.arquillian.container.test.api.Deployer;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.OperateOnDeployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.asset.StringAsset;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.InputStream;
import java.io.StringReader;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code auth.mode: container}: the servlet container authenticates (here Jetty's HashLoginService, realm
 * {@code shadowcat}, src/test/resources/jetty/realm.properties) with the descriptor README documents
 * (docs/container-auth/override-web.xml, pasted into the WAR's web.xml as a Tomcat admin would), and the gateway
 * takes the principal and its roles from the container: policy, admin role and session binding as with tokens.
 */
@ExtendWith(ArquillianExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@RunAsClient
class ContainerAuthIT {
    private static final String DEPLOYMENT = "shadowcat-container-auth";

    @ArquillianResource
    private Deployer deployer;

    @Deployment(name = DEPLOYMENT, managed = false, testable = false)
    static WebArchive war() throws Exception {
        WebArchive war = BuiltWar.archive();
        String webXml;
        try (InputStream in = war.get("WEB-INF/web.xml").getAsset().openStream()) {
            webXml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        String override = Files.readString(Path.of("docs/container-auth/override-web.xml"));
        String elements = override.substring(override.indexOf(">", override.indexOf("<web-app xmlns")) + 1, override.lastIndexOf("</web-app>"));
        war.delete("WEB-INF/web.xml");
        war.add(new StringAsset(webXml.replace("</web-app>", elements + "</web-app>")), "WEB-INF/web.xml");
        return war;
    }

    private static Map<String, String> basic(String user) {
        return Map.of("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                (user + ":" + user + "-password").getBytes(StandardCharsets.UTF_8)));
    }

    private static URI at(URL base, String path) {
        return URI.create(base.toString()).resolve(path.substring(1));
    }

    private static RawMcp open(URI endpoint, String user) throws Exception {
        return new RawMcp(endpoint).open(basic(user));
    }

    private static String toolsList(RawMcp s, String user) throws Exception {
        return s.post("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}", basic(user)).body();
    }

    private static HttpResponse<String> get(URI uri, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(RawMcp.TIMEOUT);
        headers.forEach(b::header);
        return RawMcp.HTTP.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @Order(1)
    void deploys() throws Exception {
        String demo = "[\"${java}\", \"-XX:TieredStopAtLevel=1\", \"-cp\", \"${webapp.classpath}\", \"dev.shadowcat.demo.DemoMcpServer\"]";
        BuiltWar.deploy(deployer, DEPLOYMENT, """
                {
                  "upstreams": { "demo": { "command": %s, "mode": "shared", "pool": { "maxSize": 1, "minIdle": 1 } } },
                  "auth": { "mode": "container", "publicBaseUrl": "https://shadowcat.test",
                            "policy": [
                              { "roles": ["mcp-user"], "upstreams": ["demo"], "tools": { "deny": ["crash", "env"] } },
                              { "roles": ["shadowcat-admin"], "upstreams": ["demo"] }
                            ] }
                }
                """.formatted(demo));
    }

    @Test
    @Order(2)
    void theContainerAuthenticates_andTheGatewayAppliesThePolicyToItsUsersRoles(
            @ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        URI demo = at(base, "/mcp/demo");
        HttpResponse<String> anonymous = new RawMcp(demo).post(RawMcp.initializeBody("2025-11-25"), Map.of());
        assertEquals(401, anonymous.statusCode(), "the container's own challenge");
        assertTrue(anonymous.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Basic"), anonymous.headers().map().toString());
        HttpResponse<String> wrong = new RawMcp(demo).post(RawMcp.initializeBody("2025-11-25"),
                Map.of("Authorization", "Basic " + Base64.getEncoder().encodeToString("alice:nope".getBytes())));
        assertEquals(401, wrong.statusCode());

        RawMcp alice = open(demo, "alice");
        String aliceTools = toolsList(alice, "alice");
        assertTrue(aliceTools.contains("\"echo\"") && !aliceTools.contains("\"crash\""), "mcp-user: demo without crash: " + aliceTools);
        RawMcp bob = open(demo, "bob");
        assertTrue(toolsList(bob, "bob").contains("\"crash\""), "shadowcat-admin adds what mcp-user hides");

        HttpResponse<String> carol = new RawMcp(demo).post(RawMcp.initializeBody("2025-11-25"), basic("carol"));
        assertEquals(403, carol.statusCode(), "authenticated, but no rule allows her: " + carol.body());

        RawMcp stolen = new RawMcp(demo);
        stolen.sessionId = alice.sessionId;
        HttpResponse<String> asBob = stolen.post("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\"}", basic("bob"));
        assertEquals(404, asBob.statusCode(), "another user's session id is an unknown one: " + asBob.body());

        assertEquals(403, get(at(base, "/api/sessions"), basic("alice")).statusCode(), "the API needs shadowcat-admin");
        HttpResponse<String> sessions = get(at(base, "/api/sessions"), basic("bob"));
        assertEquals(200, sessions.statusCode());
        JsonObject listed = Json.createReader(new StringReader(sessions.body())).readArray().getValuesAs(JsonObject.class).stream()
                .filter(o -> "alice".equals(o.getString("principal", null))).findFirst().orElseThrow(() -> new AssertionError(sessions.body()));
        assertFalse(listed.toString().contains(alice.sessionId), "the API shows handles, never session ids");
        for (var s : List.of(Map.entry(alice, "alice"), Map.entry(bob, "bob"))) {
            RawMcp.HTTP.send(s.getKey().request(basic(s.getValue())).DELETE().build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    @Test
    @Order(90)
    void undeploys() {
        deployer.undeploy(DEPLOYMENT);
    }
}
