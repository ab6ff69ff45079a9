package dev.shadowcat.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigLoaderTest {
    private final ConfigLoader loader = new ConfigLoader(Map.of("java", "/usr/bin/java"),
            Map.of("SECRET_FROM_ENV", "s3cr3t")::get);

    private String error(String json) {
        return assertThrows(ConfigException.class, () -> loader.parse(json, "test.json")).getMessage();
    }

    @Test
    void minimalConfig_getsSafeDefaults() {
        GatewayConfig c = loader.parse("{\"upstreams\":{\"a\":{\"command\":[\"${java}\",\"-version\"]}}}", "t");
        UpstreamConfig u = (UpstreamConfig) c.upstreams().get("a");
        assertEquals(List.of("/usr/bin/java", "-version"), u.command());
        assertEquals(UpstreamConfig.SessionMode.DEDICATED, u.mode());
        assertEquals(Duration.ofSeconds(30), u.requestTimeout());
        assertEquals(Duration.ofSeconds(1), u.readinessTimeout());
        assertTrue(c.server().allowedHosts().contains("localhost"));
        assertFalse(c.server().allowedOrigins().contains("*"));
        assertEquals(4 * 1024 * 1024, c.server().maxBodyBytes());
    }

    @Test
    void auth_isOffByDefault_andRefusesWhatWouldWeakenIt() {
        String up = "\"upstreams\":{\"a\":{\"command\":[\"x\"]}}";
        assertFalse(loader.parse("{" + up + "}", "t").auth().enabled());
        AuthConfig a = loader.parse("{" + up + ",\"auth\":{\"issuer\":\"https://idp.example/realms/r\","
                + "\"publicBaseUrl\":\"https://mcp.example.com\"}}", "t").auth();
        assertTrue(a.bearer());
        assertEquals("https://mcp.example.com", a.resource(), "the resource defaults to the public base URL");
        assertEquals(List.of("RS256", "PS256", "ES256"), a.algorithms());
        assertEquals(Duration.ofSeconds(60), a.clockSkew());
        assertTrue(error("{" + up + ",\"auth\":{\"issuer\":\"https://i\",\"publicBaseUrl\":\"https://g\",\"algorithms\":[\"HS256\"]}}")
                .contains("auth.algorithms: 'HS256' is not an asymmetric JWS algorithm"));
        assertTrue(error("{" + up + ",\"auth\":{\"issuer\":\"https://i\",\"algorithms\":[\"none\"],\"publicBaseUrl\":\"https://g\"}}")
                .contains("'none'"));
        assertTrue(error("{" + up + ",\"auth\":{\"issuer\":\"https://i\"}}").contains("auth.publicBaseUrl: required"));
        assertTrue(error("{" + up + ",\"auth\":{\"publicBaseUrl\":\"https://g\"}}").contains("auth.issuer: required"));
    }

    @Test
    void upstreamCredentials_needTheGatewaysClient_andTokenExchangeNeedsBearerTokens() {
        String base = "\"auth\":{\"issuer\":\"https://idp/realms/r\",\"publicBaseUrl\":\"https://g\"";
        String client = ",\"client\":{\"id\":\"gw\",\"secret\":{\"fromEnv\":\"GW_SECRET\"}}";
        String exchange = "\"upstreams\":{\"u\":{\"url\":\"https://up/mcp\",\"credentials\":{\"grant\":\"token-exchange\",\"audience\":\"up\"}}}";
        ConfigLoader withSecret = new ConfigLoader(java.util.Map.of(), n -> n.equals("GW_SECRET") ? "from-the-environment" : null);
        GatewayConfig c = withSecret.parse("{" + exchange + "," + base + client + "}}", "t");
        HttpUpstreamConfig u = (HttpUpstreamConfig) c.upstreams().get("u");
        assertTrue(u.credentials().perCaller());
        assertEquals("from-the-environment", c.auth().client().secret());
        assertFalse(c.auth().client().toString().contains("from-the-environment"), "the secret is never printed");
        assertTrue(error("{" + exchange + "," + base + "}}").contains("upstreams.u.credentials: needs auth.client"));
        assertTrue(error("{" + exchange + "}").contains("upstreams.u.credentials: needs auth.client"));
        assertTrue(error("{\"upstreams\":{\"u\":{\"url\":\"https://up/mcp\",\"credentials\":{\"grant\":\"password\"}}}}")
                .contains("credentials.grant: must be \"token-exchange\""));
        assertTrue(error("{\"upstreams\":{\"u\":{\"url\":\"https://up/mcp\",\"headers\":{\"Authorization\":\"Bearer x\"},"
                + "\"credentials\":{\"grant\":\"client-credentials\"}}}}").contains("give one or the other"));
        assertTrue(error("{" + exchange + "," + base + ",\"validation\":\"introspection\"}}")
                .contains("auth.client: required for validation introspection"));
        assertTrue(error("{" + exchange + "," + base + ",\"client\":{\"id\":\"gw\"}}}").contains("auth.client: needs id and secret"));
    }

    @Test
    void errors_nameTheKey() {
        assertTrue(error("{\"upstreams\":{}}").contains("upstreams: at least one"));
        assertTrue(error("{\"upstreams\":{\"a\":{}}}").contains("upstreams.a.command: required"));
        assertTrue(error("{\"upstreams\":{\"a\":{\"command\":[\"x\"],\"mode\":\"pooled\"}}}").contains("upstreams.a.mode"));
        assertTrue(error("{\"upstreams\":{\"a\":{\"command\":[\"x\"],\"pool\":{\"maxSize\":0}}}}")
                .contains("upstreams.a.pool.maxSize: must be between 1"));
        assertTrue(error("{\"upstreams\":{\"a\":{\"command\":[\"x\"],\"comand\":1}}}").contains("upstreams.a.comand: unknown key"));
        assertTrue(error("{\"server\":{\"maxBodyBytes\":\"big\"},\"upstreams\":{\"a\":{\"command\":[\"x\"]}}}")
                .contains("server.maxBodyBytes: must be a whole number"));
        assertTrue(error("{\"upstreams\":{\"a\":{\"command\":[\"${nope}\"]}}}").contains("upstreams.a.command[0]: unknown placeholder ${nope}"));
        assertTrue(error("{\"upstreams\":{\"a\":{\"command\":[\"x\"],\"env\":{\"K\":{\"fromEnv\":\"MISSING\"}}}}}")
                .contains("upstreams.a.env.K.fromEnv: environment variable MISSING is not set"));
        assertTrue(error("not json").contains("test.json: not valid JSON"));
    }

    @Test
    void secrets_comeFromEnvOrFile_andAreNeverPrinted(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("token");
        Files.writeString(f, "file-secret\n");
        GatewayConfig c = loader.parse("{\"upstreams\":{\"a\":{\"command\":[\"x\"],\"env\":{\"A\":{\"fromEnv\":\"SECRET_FROM_ENV\"},"
                + "\"B\":{\"fromFile\":\"" + f + "\"},\"C\":\"plain\"}}}}", "t");
        UpstreamConfig u = (UpstreamConfig) c.upstreams().get("a");
        assertEquals(Map.of("A", "s3cr3t", "B", "file-secret", "C", "plain"), u.env());
        assertFalse(u.toString().contains("s3cr3t"));
        assertFalse(u.toString().contains("file-secret"));
    }

    @Test
    void builtInDefault_isValid() throws Exception {
        try (var in = ConfigLoader.class.getResourceAsStream("/dev/shadowcat/config/default-config.json")) {
            GatewayConfig c = new ConfigLoader(Map.of("java", "j", "webapp.classpath", "cp"), k -> null).load(in, "default");
            assertEquals("demo", c.firstUpstream().name());
            assertTrue(((UpstreamConfig) c.firstUpstream()).command().contains("dev.shadowcat.demo.DemoMcpServer"));
        }
    }
}
