package dev.shadowcat.it;

import dev.shadowcat.testing.jetty.WebApps;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.ee10.webapp.WebAppContext;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Property-based fuzzing (jqwik) of every header the gateway parses, on every front door, against the real WAR on
 * embedded Jetty: whatever the value, the answer is a complete HTTP response below 500 with a body that says why
 * when it is a refusal, no stack trace reaches the log, and the gateway keeps serving a well-behaved session.
 */
class HeaderFuzzIT {
    private static final List<String> HEADERS = List.of("Accept", "Content-Type", "MCP-Protocol-Version",
            "Mcp-Session-Id", "Last-Event-ID", "Origin", "Host", "Mcp-Method", "Mcp-Name", "Mcp-Param-Region",
            "Authorization"); // (Content-Length is Jetty's to parse: a wrong one makes it wait for the body, rightly)
    private static final List<String> DOORS = List.of("POST /mcp", "POST /mcp (session)", "GET /mcp (session)",
            "DELETE /mcp (session)", "GET /sse", "POST /messages", "POST /mcp (2026-07-28)");

    private static Server server;
    private static int port;
    private static RawMcp session;
    private static String legacySessionQuery;
    private static final List<LogRecord> traces = new CopyOnWriteArrayList<>();
    private static final Handler CAPTURE = new Handler() {
        @Override
        public void publish(LogRecord r) {
            if (r.getThrown() != null && r.getLevel().intValue() >= Level.WARNING.intValue()) {
                traces.add(r);
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeContainer
    static void start() throws Exception {
        Path cfg = Files.createTempFile("shadowcat-fuzz", ".json");
        cfg.toFile().deleteOnExit();
        Files.writeString(cfg, """
                { "upstreams": { "demo": { "command": ["${java}", "-XX:TieredStopAtLevel=1", "-cp", "${webapp.classpath}",
                                                      "dev.shadowcat.demo.DemoMcpServer"],
                                          "mode": "shared", "pool": { "maxSize": 1, "minIdle": 1 } } } }
                """);
        server = new Server();
        ServerConnector http = new ServerConnector(server);
        http.setHost("127.0.0.1");
        server.addConnector(http);
        WebAppContext app = WebApps.newWebApp(BuiltWar.path(), "/");
        app.setInitParameter("shadowcat.config", cfg.toString());
        server.setHandler(app);
        server.start();
        port = http.getLocalPort();
        Logger.getLogger("").addHandler(CAPTURE);
        session = new RawMcp(URI.create("http://127.0.0.1:" + port + "/mcp")).open();
        legacySessionQuery = openLegacy();
    }

    @AfterContainer
    static void stop() throws Exception {
        Logger.getLogger("").removeHandler(CAPTURE);
        if (server != null) {
            server.stop();
        }
    }

    /** Opens a legacy SSE connection (kept open) and returns the {@code sessionId=…} of its endpoint event. */
    private static String openLegacy() throws IOException {
        Socket s = new Socket("127.0.0.1", port);
        s.setSoTimeout(10_000);
        s.getOutputStream().write(("GET /sse HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nAccept: text/event-stream\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        InputStream in = s.getInputStream();
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        while (!seen.toString(StandardCharsets.UTF_8).contains("sessionId=")
                || !seen.toString(StandardCharsets.UTF_8).matches("(?s).*sessionId=[^\\r\\n]*\\r?\\n.*")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("legacy stream ended: " + seen);
            }
            seen.write(b);
        }
        String text = seen.toString(StandardCharsets.UTF_8);
        int at = text.indexOf("sessionId=");
        int end = at;
        while (end < text.length() && text.charAt(end) != '\r' && text.charAt(end) != '\n') {
            end++;
        }
        return text.substring(at, end); // the socket stays open for the rest of the run (closed with the server)
    }

    @Provide
    Arbitrary<String> values() {
        Arbitrary<String> printable = Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(80);
        Arbitrary<String> anyChars = Arbitraries.strings().all().ofMaxLength(40)
                .map(v -> v.replace("\r", "").replace("\n", "")); // CR/LF would end the header, not fuzz it
        Arbitrary<String> structured = tricky();
        Arbitrary<String> longOnes = Arbitraries.strings().withChars("ab;=,").ofMinLength(1000).ofMaxLength(6000);
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, printable), net.jqwik.api.Tuple.of(3, anyChars),
                net.jqwik.api.Tuple.of(4, structured), net.jqwik.api.Tuple.of(1, longOnes),
                net.jqwik.api.Tuple.of(2, Combinators.combine(structured, printable).as((a, b) -> a + b)));
    }

    /** Values that broke header parsers before (here: {@code Accept: ;} was a 500) or are on a parser's edges. */
    @Provide
    Arbitrary<String> tricky() {
        return Arbitraries.of(";", ",", "=", "*/*;q=", "text/event-stream;q=abc", "application/json;;",
                "application/json; charset=\"", "2025-11-25, 2024-11-05", "2024-11-05", "2026-07-28", "9999-99-99",
                "1-", "-1", "1-99999999999999999999", "a-b", "0-0", "null", "http://evil.example", "http://localhost:*",
                "=?base64?", "=?base64?!!!?=", "%00", "\u0000", "\t", " ", "", "\u00ff\u00fe", "é", "🙂");
    }

    /** Every door × every header × every tricky value, once each (deterministic: the regressions stay caught). */
    @Property(generation = net.jqwik.api.GenerationMode.EXHAUSTIVE)
    void everyTrickyValueOnEveryHeaderAndDoor(@ForAll("doors") String door, @ForAll("headers") String header,
                                              @ForAll("tricky") String value) throws Exception {
        anyHeaderValueGetsAClearAnswerBelow500(door, header, value);
    }

    @Provide
    Arbitrary<String> headers() {
        return Arbitraries.of(HEADERS);
    }

    @Provide
    Arbitrary<String> doors() {
        return Arbitraries.of(DOORS);
    }

    @Property(tries = 400, seed = "20261202")
    void anyHeaderValueGetsAClearAnswerBelow500(@ForAll("doors") String door, @ForAll("headers") String header,
                                                @ForAll("values") String value) throws Exception {
        traces.clear();
        String response = send(door, header, value);
        String status = response.isEmpty() ? "" : response.substring(0, Math.max(0, response.indexOf('\r')));
        assertTrue(status.matches("HTTP/1\\.1 \\d{3} ?.*"), () -> "no status line for " + door + " " + header + ": "
                + printable(value) + " → '" + response + "'");
        int code = Integer.parseInt(status.substring(9, 12));
        assertTrue(code < 500, () -> door + " with " + header + ": " + printable(value) + " → " + response);
        if (code >= 400 && (forbiddenInHttp(value) || header.equals("Host") && !value.matches(AUTHORITY))) {
            // RFC 9110 allows no control character but HTAB in a field value: Jetty's parser refuses the request
            // before any application sees it, with 400 and an empty body; likewise a Host that is no URI authority
            assertEquals(400, code, response);
        } else if (code >= 400) {
            String body = response.substring(response.indexOf("\r\n\r\n") + 4);
            assertTrue(!body.isBlank(), () -> door + " with " + header + ": " + printable(value) + " → " + code + " without a body");
        }
        assertEquals(List.of(), traces.stream().map(r -> r.getLoggerName() + ": " + r.getMessage() + " " + r.getThrown()).toList(),
                () -> "stack trace logged for " + door + " " + header + ": " + printable(value));
    }

    /**
     * A large body refused early (unknown session, too large, wrong type) gets its answer, not a reset: the body
     * is read and dropped before the answer, so the client is never cut off while still writing it.
     */
    @net.jqwik.api.Example
    void largeBodiesRefusedEarlyGetTheirAnswerNotAReset() throws Exception {
        String[][] cases = {
                {"/mcp", "Mcp-Session-Id: not-a-session\r\nMCP-Protocol-Version: 2025-11-25\r\n", "3", "404"},
                {"/mcp", "", "5", "413"},
                {"/messages?sessionId=not-a-session", "", "3", "404"},
                {"/messages?sessionId=not-a-session", "", "5", "404"},
                {"/messages?" + legacySessionQuery, "", "5", "413"},
        };
        for (String[] c : cases) {
            for (int i = 0; i < 3; i++) {
                byte[] body = new byte[Integer.parseInt(c[2]) << 20];
                java.util.Arrays.fill(body, (byte) 'x');
                try (Socket s = new Socket("127.0.0.1", port)) {
                    s.setSoTimeout(10_000);
                    s.getOutputStream().write(("POST " + c[0] + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
                            + "\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
                            + c[1] + "Connection: close\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    try {
                        s.getOutputStream().write(body);
                        s.getOutputStream().flush();
                    } catch (IOException e) {
                        throw new AssertionError(c[0] + " with " + c[2] + " MiB: the connection was reset under the body", e);
                    }
                    String response = readResponse(s.getInputStream(), false);
                    assertTrue(response.startsWith("HTTP/1.1 " + c[3]), c[0] + " " + c[2] + " MiB: " + response);
                    assertTrue(response.contains("\"error\""), response);
                }
            }
        }
    }

    @Property(tries = 1)
    void theWellBehavedSessionStillWorks() throws Exception {
        assertNotNull(session);
        assertEquals("Echo: still", RawMcp.text(session.post(RawMcp.call(9, "echo", "{\"message\":\"still\"}")).body()));
    }

    /** RFC 3986 authority characters (reg-name, IP literal, port); Jetty refuses a Host with any other. */
    private static final String AUTHORITY = "[A-Za-z0-9\\-._~%!$&'()*+,;=:\\[\\]]+";

    private static boolean forbiddenInHttp(String v) {
        return v.chars().anyMatch(c -> (c < 0x20 && c != '\t') || c == 0x7f);
    }

    private static String printable(String v) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : v.length() > 120 ? (v.substring(0, 120) + "…").toCharArray() : v.toCharArray()) {
            b.append(c < 0x20 || c == 0x7f ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
        return b.append('"').toString();
    }

    /** One request on a fresh connection, the fuzzed header replacing (or adding to) the well-formed ones. */
    private static String send(String door, String header, String value) throws IOException {
        String init = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\","
                + "\"capabilities\":{},\"clientInfo\":{\"name\":\"fuzz\",\"version\":\"1\"}}}";
        String call = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"message\":\"f\"}}}";
        String call2026 = "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\","
                + "\"arguments\":{\"message\":\"f\"}," + RawMcp.META_2026 + "}}";
        List<String[]> h = new ArrayList<>();
        h.add(new String[]{"Host", "127.0.0.1:" + port});
        String method;
        String path = "/mcp";
        String body = null;
        switch (door) {
            case "POST /mcp" -> {
                method = "POST";
                body = init;
            }
            case "POST /mcp (session)" -> {
                method = "POST";
                body = call;
                h.add(new String[]{"Mcp-Session-Id", session.sessionId});
                h.add(new String[]{"MCP-Protocol-Version", session.version});
            }
            case "GET /mcp (session)", "DELETE /mcp (session)" -> {
                method = door.substring(0, door.indexOf(' '));
                // a session id the fuzzing may spend; the well-behaved session is not deleted by a fuzzed DELETE
                h.add(new String[]{"Mcp-Session-Id", method.equals("DELETE") ? "not-" + session.sessionId : session.sessionId});
                h.add(new String[]{"MCP-Protocol-Version", session.version});
                h.add(new String[]{"Last-Event-ID", "1-0"});
            }
            case "GET /sse" -> {
                method = "GET";
                path = "/sse";
            }
            case "POST /messages" -> {
                method = "POST";
                path = "/messages?" + legacySessionQuery;
                body = call;
            }
            case "POST /mcp (2026-07-28)" -> {
                method = "POST";
                body = call2026;
                h.add(new String[]{"MCP-Protocol-Version", "2026-07-28"});
                h.add(new String[]{"Mcp-Method", "tools/call"});
                h.add(new String[]{"Mcp-Name", "echo"});
            }
            default -> throw new IllegalArgumentException(door);
        }
        h.add(new String[]{"Accept", door.startsWith("GET") ? "text/event-stream" : "application/json, text/event-stream"});
        if (body != null) {
            h.add(new String[]{"Content-Type", "application/json"});
        }
        byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        h.add(new String[]{"Content-Length", Integer.toString(content.length)});
        h.removeIf(kv -> kv[0].equalsIgnoreCase(header));
        h.add(new String[]{header, value});
        StringBuilder req = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\n");
        for (String[] kv : h) {
            req.append(kv[0]).append(": ").append(kv[1]).append("\r\n");
        }
        req.append("Connection: close\r\n\r\n");
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(req.toString().getBytes(StandardCharsets.UTF_8));
            s.getOutputStream().write(content);
            s.getOutputStream().flush();
            return readResponse(s.getInputStream(), door.startsWith("GET"));
        }
    }

    /** The status line, headers and (for event streams, the start of) the body. */
    private static String readResponse(InputStream in, boolean stream) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        int n;
        try {
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
                String text = out.toString(StandardCharsets.UTF_8);
                if (stream && text.startsWith("HTTP/1.1 200") && text.contains("\r\n\r\n")) {
                    return text; // an open event stream: its headers are the answer
                }
            }
        } catch (java.net.SocketTimeoutException e) {
            String text = out.toString(StandardCharsets.UTF_8);
            if (text.startsWith("HTTP/1.1 200")) {
                return text;
            }
            throw new AssertionError("hung: no complete answer in 10 s, got '" + text + "'");
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
