package dev.shadowcat.config;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LiveConfigTest {
    private final ConfigLoader loader = new ConfigLoader(Map.of(), k -> null);

    private GatewayConfig parse(String server, String pipeline, String auth) {
        return loader.parse("{\"server\":{" + server + "},\"upstreams\":{\"a\":{\"command\":[\"x\"]}},\"pipeline\":{" + pipeline + "}"
                + (auth == null ? "" : ",\"auth\":" + auth) + "}", "t");
    }

    @Test
    void liveKeysTakeTheNewValue_othersKeepTheRunningOneAndAreNamed() {
        GatewayConfig running = parse("\"maxBodyBytes\":10000,\"replayBytes\":50000", "", null);
        GatewayConfig next = parse("\"maxBodyBytes\":20000,\"replayBytes\":60000,\"allowedOrigins\":[\"https://app.example\"]",
                "\"metrics\":{\"enabled\":false},\"filters\":{\"a\":{\"tools\":{\"deny\":[\"x\"]}}}", null);
        LiveConfig.Split s = LiveConfig.split(running, next);
        assertEquals(20000, s.effective().server().maxBodyBytes());
        assertEquals(List.of("https://app.example"), s.effective().server().allowedOrigins());
        assertEquals(50000, s.effective().server().replayBytes(), "kept until a restart");
        assertTrue(s.effective().pipeline().metrics(), "metrics stay as they run");
        assertEquals(1, s.effective().pipeline().filters().size(), "filters change live");
        assertEquals(List.of("server.replayBytes", "pipeline.metrics"), s.needsRestart());
    }

    @Test
    void authPolicyIsLive_turningAuthOnIsNot() {
        String auth = "{\"issuer\":\"https://i\",\"publicBaseUrl\":\"https://g\",\"policy\":[{\"roles\":[\"r\"],\"upstreams\":[\"%s\"]}]}";
        GatewayConfig running = parse("", "", auth.formatted("a"));
        LiveConfig.Split s = LiveConfig.split(running, parse("", "", auth.formatted("*").replace("https://i", "https://other")));
        assertEquals(List.of("*"), s.effective().auth().policy().get(0).upstreams());
        assertEquals("https://i", s.effective().auth().issuer());
        assertEquals(List.of("auth.issuer"), s.needsRestart());
        LiveConfig.Split on = LiveConfig.split(parse("", "", null), running);
        assertTrue(!on.effective().auth().enabled() && on.needsRestart().equals(List.of("auth.mode")), on.toString());
    }
}
