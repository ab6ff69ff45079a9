package dev.shadowcat.protocol;

import jakarta.json.Json;
import jakarta.json.JsonException;
import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MessageTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static Message parse(String s) throws ProtocolException {
        return Message.parse(b(s));
    }

    @Test
    void request_readsIdMethodAndParams() throws Exception {
        Message m = parse(" {\"jsonrpc\":\"2.0\",\"id\":\"a\\\"b\",\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"_meta\":{\"progressToken\":7}}} ");
        assertTrue(m.isRequest());
        assertEquals("tools/call", m.method());
        assertEquals("\"a\\\"b\"", m.idJson());
        assertEquals("echo", m.paramString("name"));
        assertEquals("7", m.textAt(m.paramsPath("_meta", "progressToken")));
    }

    @Test
    void notificationAndResponse_areTold() throws Exception {
        assertTrue(parse("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}").isNotification());
        Message ok = parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}");
        assertTrue(ok.isResponse());
        assertFalse(ok.isError());
        assertTrue(parse("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-1,\"message\":\"x\"}}").isError());
    }

    @Test
    void rewrite_replacesIdAndTokenAndKeepsEverythingElse() throws Exception {
        String in = "{\"jsonrpc\":\"2.0\",\"params\":{\"_meta\":{\"progressToken\":\"tok\"},\"x\":\"ü\"},\"id\":\"client-1\",\"method\":\"m\"}";
        Message m = parse(in);
        byte[] out = m.rewrite("42", m.paramsPath("_meta", "progressToken"), "42");
        assertEquals("{\"jsonrpc\":\"2.0\",\"params\":{\"_meta\":{\"progressToken\":42},\"x\":\"ü\"},\"id\":42,\"method\":\"m\"}",
                new String(out, StandardCharsets.UTF_8));
        Message back = Message.trusted(out);
        assertEquals("42", back.idJson());
        assertArrayEquals(b(in), Message.trusted(back.rewrite("\"client-1\"", back.paramsPath("_meta", "progressToken"), "\"tok\"")).bytes());
    }

    @Test
    void malformedJson_isParseError() {
        for (String bad : List.of("", "{", "{\"a\":}", "{\"a\":1,}", "[1,2", "{\"a\":tru}", "{\"a\":01}", "{\"a\":\"\\x\"}",
                "{\"a\":1} x", "{\"a\":\"\u0001\"}", "{'a':1}", "nul")) {
            ProtocolException e = assertThrows(ProtocolException.class, () -> parse(bad), bad);
            assertEquals(ErrorCodes.PARSE_ERROR, e.code(), bad);
        }
    }

    @Test
    void invalidRequests_areInvalidRequest() {
        for (String bad : List.of("1", "\"x\"", "{}", "{\"jsonrpc\":\"1.0\",\"method\":\"m\"}",
                "{\"jsonrpc\":\"2.0\",\"method\":3}", "{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"m\"}",
                "{\"jsonrpc\":\"2.0\",\"id\":1}", "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1,\"error\":{}}",
                "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":5}", "[{\"jsonrpc\":\"2.0\",\"method\":\"m\"}]")) {
            ProtocolException e = assertThrows(ProtocolException.class, () -> parse(bad), bad);
            assertEquals(ErrorCodes.INVALID_REQUEST, e.code(), bad);
        }
    }

    @Test
    void batch_onlyWhenAllowed() throws Exception {
        String batch = "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\"} , {\"jsonrpc\":\"2.0\",\"method\":\"b\"}]";
        List<Message> ms = Message.parseBody(b(batch), true);
        assertEquals(2, ms.size());
        assertEquals("a", ms.get(0).method());
        assertEquals("{\"jsonrpc\":\"2.0\",\"method\":\"b\"}", new String(ms.get(1).bytes(), StandardCharsets.UTF_8));
        ProtocolException e = assertThrows(ProtocolException.class, () -> Message.parseBody(b(batch), false));
        assertEquals(ErrorCodes.INVALID_REQUEST, e.code());
        assertTrue(e.getMessage().contains("2025-03-26"));
    }

    @Test
    void deepNesting_isRefusedNotAStackOverflow() {
        String deep = "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}";
        assertThrows(ProtocolException.class, () -> parse(deep));
    }

    @Test
    void errorResponse_isValidJsonWithEscapedMessage() throws Exception {
        byte[] e = Errors.response("\"x\"", -32600, "bad \"quote\"\nline", "{\"k\":1}");
        Message m = Message.parse(e);
        assertTrue(m.isError());
        assertEquals("bad \"quote\"\nline", m.string("error", "message"));
        assertNull(m.method());
    }

    /** The scanner must agree with a real JSON parser on what is JSON, including on mutated input. */
    @Test
    void validator_agreesWithParsson_onMutations() {
        String seed = "{\"jsonrpc\":\"2.0\",\"id\":-12.5e+3,\"method\":\"a\\u00e9\\n\",\"params\":{\"l\":[true,false,null,{},[],\"\"],\"n\":0.5}}";
        Random r = new Random(42);
        String alphabet = "{}[],:\"\\0123456789-+.eEtrufalsn \u00e9x";
        int checked = 0;
        for (int i = 0; i < 20_000; i++) {
            StringBuilder sb = new StringBuilder(seed);
            int edits = 1 + r.nextInt(3);
            for (int k = 0; k < edits; k++) {
                int pos = r.nextInt(sb.length());
                switch (r.nextInt(3)) {
                    case 0 -> sb.deleteCharAt(pos);
                    case 1 -> sb.insert(pos, alphabet.charAt(r.nextInt(alphabet.length())));
                    default -> sb.setCharAt(pos, alphabet.charAt(r.nextInt(alphabet.length())));
                }
            }
            String s = sb.toString();
            boolean ours = true;
            try {
                byte[] bytes = b(s);
                JsonScan.validate(bytes, 0, bytes.length);
            } catch (JsonScan.MalformedJsonException e) {
                ours = false;
            }
            boolean theirs = true;
            try (var parser = Json.createParser(new StringReader(s))) {
                while (parser.hasNext()) { // unlike JsonReader, the parser also refuses trailing data
                    parser.next();
                }
            } catch (JsonException | java.util.NoSuchElementException e) {
                theirs = false;
            }
            assertEquals(theirs, ours, s);
            checked++;
        }
        assertEquals(20_000, checked);
    }
}
