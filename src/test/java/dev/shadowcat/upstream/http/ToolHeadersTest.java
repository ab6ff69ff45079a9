package dev.shadowcat.upstream.http;

import dev.shadowcat.protocol.JsonP;

import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ToolHeadersTest {
    private static JsonObject json(String s) {
        try (var r = JsonP.PROVIDER.createReader(new StringReader(s))) {
            return r.readObject();
        }
    }

    @Test
    void annotatedArgumentsBecomeHeaders_inTheirWireForm() {
        ToolHeaders h = new ToolHeaders();
        assertFalse(h.listed());
        h.learn(json("""
                {"tools":[{"name":"deploy","inputSchema":{"type":"object","properties":{
                  "region":{"type":"string","x-mcp-header":"Region"},
                  "replicas":{"type":"integer","x-mcp-header":"Replicas"},
                  "dryRun":{"type":"boolean","x-mcp-header":"Dry-Run"},
                  "note":{"type":"string"}}}},
                  {"name":"plain","inputSchema":{"type":"object"}}]}"""));
        assertTrue(h.listed());
        assertEquals(Map.of("Region", "=?base64?WsO8cmljaA==?=", "Replicas", "3", "Dry-Run", "false"),
                h.headersFor("deploy", json("{\"region\":\"Zürich\",\"replicas\":3,\"dryRun\":false,\"note\":\"x\"}")));
        assertEquals(Map.of("Region", "eu"), h.headersFor("deploy", json("{\"region\":\"eu\",\"replicas\":null}")),
                "absent or null arguments send no header");
        assertEquals(Map.of(), h.headersFor("plain", json("{\"region\":\"eu\"}")));
        assertEquals(Map.of(), h.headersFor("unknown", json("{}")));
    }
}
