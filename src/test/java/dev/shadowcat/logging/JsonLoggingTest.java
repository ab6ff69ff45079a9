package dev.shadowcat.logging;

import dev.shadowcat.pipeline.CallContext;
import dev.shadowcat.pipeline.FrontDoor;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.util.Arrays;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonLoggingTest {
    @Test
    void aLineIsOneJsonObject_withTheCallsFields_andTheException() {
        CallContext c = CallContext.session("alice", "s-123", "demo", null, FrontDoor.MCP, "2025-11-25")
                .forCall("alice", false, "tools/call", "echo", 0);
        LogRecord r = new LogRecord(Level.WARNING, "pipeline stage 'x' failed \"quoted\"\nsecond line");
        r.setLoggerName("dev.shadowcat.pipeline.Pipeline");
        r.setParameters(new Object[]{c});
        r.setThrown(new IllegalStateException("boom"));
        String line = new JsonLogFormatter().format(r);
        assertTrue(line.endsWith("}\n") && line.indexOf('\n') == line.length() - 1, "one line: " + line);
        JsonObject o = Json.createReader(new StringReader(line)).readObject();
        assertEquals("WARNING", o.getString("level"));
        assertEquals("dev.shadowcat.pipeline.Pipeline", o.getString("logger"));
        assertEquals("pipeline stage 'x' failed \"quoted\"\nsecond line", o.getString("message"));
        assertEquals("s-123", o.getString("session"));
        assertEquals("demo", o.getString("upstream"));
        assertEquals("alice", o.getString("principal"));
        assertEquals("echo", o.getString("name"));
        assertFalse(o.containsKey("via"), "null fields are left out");
        assertTrue(o.getString("exception").startsWith("java.lang.IllegalStateException: boom"), o.toString());
    }

    @Test
    void installingTakesTheGatewaysLoggersAndClosingGivesThemBack() {
        Logger root = Logger.getLogger("dev.shadowcat");
        int before = root.getHandlers().length;
        assertEquals(null, GatewayLogging.install("text"), "text: the container's logging as it is");
        GatewayLogging g = GatewayLogging.install("json");
        assertEquals(before + 1, root.getHandlers().length);
        assertTrue(Arrays.stream(root.getHandlers()).anyMatch(h -> h.getFormatter() instanceof JsonLogFormatter));
        assertFalse(root.getUseParentHandlers(), "no line twice");
        g.close();
        assertEquals(before, root.getHandlers().length, "nothing of ours left in the LogManager");
        assertTrue(root.getUseParentHandlers());
    }
}
