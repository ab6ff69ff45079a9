package dev.shadowcat.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import jakarta.json.Json;
import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Runs the demo server as a real subprocess and talks JSON-RPC to it over its pipes. */
@Timeout(60)
class DemoMcpServerTest {

    static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void initializeNegotiatesVersionAndListsTools() throws Exception {
        try (Server s = new Server()) {
            JsonObject init = s.call(1, "initialize", "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
                    + "\"clientInfo\":{\"name\":\"test\",\"version\":\"0\"}}").getJsonObject("result");
            assertEquals("2025-06-18", init.getString("protocolVersion"));
            assertEquals("shadowcat-demo", init.getJsonObject("serverInfo").getString("name"));
            assertEquals("1.0.0", init.getJsonObject("serverInfo").getString("version"));
            JsonObject caps = init.getJsonObject("capabilities");
            assertTrue(caps.getJsonObject("tools").getBoolean("listChanged"));
            assertTrue(caps.getJsonObject("resources").getBoolean("subscribe"));
            assertTrue(caps.getJsonObject("prompts").getBoolean("listChanged"));
            assertNotNull(caps.getJsonObject("logging"));
            assertFalse(init.getString("instructions").isEmpty());
            s.notify("notifications/initialized", "{}");

            JsonObject other = s.call(2, "initialize", "{\"protocolVersion\":\"1999-01-01\"}").getJsonObject("result");
            assertEquals("2025-11-25", other.getString("protocolVersion"));
            JsonObject noVersion = s.call(3, "initialize", "{}").getJsonObject("result");
            assertEquals("2025-11-25", noVersion.getString("protocolVersion"));

            Set<String> names = new TreeSet<>();
            for (JsonValue tool : s.call(4, "tools/list", "{}").getJsonObject("result").getJsonArray("tools")) {
                names.add(tool.asJsonObject().getString("name"));
                assertEquals("object", tool.asJsonObject().getJsonObject("inputSchema").getString("type"));
            }
            assertEquals(new TreeSet<>(List.of("echo", "add", "pid", "progress", "log", "sample", "elicit", "roots",
                    "sleep", "crash", "garbage", "touch", "env", "cwd", "big", "error", "flood")), names);
        }
    }

    @Test
    void echoAndOtherSimpleTools() throws Exception {
        try (Server s = new Server()) {
            assertEquals("Echo: héllo\nwörld", s.toolText(1, "echo", "{\"message\":\"héllo\\nwörld\"}"));
            assertEquals("5", s.toolText(2, "add", "{\"a\":2,\"b\":3}"));
            assertEquals("0.3", s.toolText(3, "add", "{\"a\":0.1,\"b\":0.2}"));
            assertEquals(Long.toString(s.process.pid()), s.toolText(4, "pid", "{}"));
            assertEquals(Path.of("").toAbsolutePath().toString(), s.toolText(5, "cwd", "{}"));
            assertEquals("(unset)", s.toolText(6, "env", "{\"name\":\"SHADOWCAT_SURELY_UNSET\"}"));
            assertEquals("x".repeat(100_000), s.toolText(7, "big", "{\"bytes\":100000}"));
            JsonObject error = s.call(8, "tools/call", "{\"name\":\"error\"}").getJsonObject("result");
            assertTrue(error.getBoolean("isError"));
            assertEquals("boom", error.getJsonArray("content").getJsonObject(0).getString("text"));
        }
    }

    @Test
    void protocolErrorsKeepTheServerRunning() throws Exception {
        try (Server s = new Server()) {
            s.sendLine("{this is not json");
            JsonObject parseError = s.next();
            assertEquals(JsonValue.NULL, parseError.get("id"));
            assertEquals(-32700, errorCode(parseError));
            assertEquals(-32601, errorCode(s.call(1, "no/such/method", "{}")));
            assertEquals(-32602, errorCode(s.call(2, "tools/call", "{\"name\":\"echo\",\"arguments\":{}}")));
            assertEquals(-32602, errorCode(s.call(3, "tools/call", "{\"name\":\"nope\"}")));
            assertEquals(-32602, errorCode(s.call(4, "prompts/get", "{\"name\":\"greet\"}")));
            assertEquals(-32002, errorCode(s.call(5, "resources/read", "{\"uri\":\"demo://nope\"}")));
            assertEquals(JsonValue.EMPTY_JSON_OBJECT, s.call(6, "ping", "{}").get("result"));
        }
    }

    @Test
    void resourcesPromptsAndSubscriptions() throws Exception {
        try (Server s = new Server()) {
            JsonObject read = s.call(1, "resources/read", "{\"uri\":\"demo://static/hello\"}").getJsonObject("result");
            assertEquals("Hello from demo", read.getJsonArray("contents").getJsonObject(0).getString("text"));
            JsonObject greet = s.call(2, "prompts/get", "{\"name\":\"greet\",\"arguments\":{\"name\":\"Ada\"}}")
                    .getJsonObject("result");
            assertEquals("Hello, Ada!", greet.getJsonArray("messages").getJsonObject(0)
                    .getJsonObject("content").getString("text"));

            s.call(3, "resources/subscribe", "{\"uri\":\"demo://pid\"}");
            s.send(4, "tools/call", "{\"name\":\"touch\",\"arguments\":{\"uri\":\"demo://pid\"}}");
            JsonObject updated = s.next();
            assertEquals("notifications/resources/updated", updated.getString("method"));
            assertEquals("demo://pid", updated.getJsonObject("params").getString("uri"));
            assertEquals("notifications/resources/list_changed", s.next().getString("method"));
            assertEquals(4, s.next().getInt("id"));
        }
    }

    @Test
    void progressNotificationsArriveInOrderBeforeTheResponse() throws Exception {
        try (Server s = new Server()) {
            for (String token : List.of("\"tok-1\"", "42")) {
                s.send(1, "tools/call", "{\"name\":\"progress\",\"arguments\":{\"steps\":3,\"delayMs\":5},"
                        + "\"_meta\":{\"progressToken\":" + token + "}}");
                for (int i = 1; i <= 3; i++) {
                    JsonObject note = s.next();
                    assertEquals("notifications/progress", note.getString("method"), note.toString());
                    JsonObject p = note.getJsonObject("params");
                    assertEquals(parse(token), p.get("progressToken"));
                    assertEquals(i, p.getInt("progress"));
                    assertEquals(3, p.getInt("total"));
                }
                JsonObject response = s.next();
                assertEquals(1, response.getInt("id"));
                assertEquals("done 3", resultText(response));
            }
        }
    }

    @Test
    void samplingRoundTrip() throws Exception {
        try (Server s = new Server()) {
            s.send(1, "tools/call", "{\"name\":\"sample\",\"arguments\":{\"prompt\":\"ping?\"}}");
            JsonObject request = s.next();
            assertEquals("sampling/createMessage", request.getString("method"));
            JsonObject message = request.getJsonObject("params").getJsonArray("messages").getJsonObject(0);
            assertEquals("ping?", message.getJsonObject("content").getString("text"));
            JsonValue serverId = request.get("id");
            assertTrue(serverId instanceof JsonString, "server-chosen id is a string: " + serverId);
            s.sendLine("{\"jsonrpc\":\"2.0\",\"id\":" + serverId + ",\"result\":{\"role\":\"assistant\","
                    + "\"content\":{\"type\":\"text\",\"text\":\"pong\"},\"model\":\"test\"}}");
            JsonObject response = s.next();
            assertEquals(1, response.getInt("id"));
            assertEquals("sampled: pong", resultText(response));

            s.send(2, "tools/call", "{\"name\":\"sample\",\"arguments\":{\"prompt\":\"again\"}}");
            JsonValue secondId = s.next().get("id");
            assertFalse(serverId.equals(secondId), "server request ids are unique");
            s.sendLine("{\"jsonrpc\":\"2.0\",\"id\":" + secondId + ",\"error\":{\"code\":-1,\"message\":\"denied\"}}");
            JsonObject failed = s.next().getJsonObject("result");
            assertTrue(failed.getBoolean("isError"));
        }
    }

    @Test
    void cancelledSleepGetsNoResponse() throws Exception {
        try (Server s = new Server()) {
            s.send(1, "tools/call", "{\"name\":\"sleep\",\"arguments\":{\"ms\":1500}}");
            s.notify("notifications/cancelled", "{\"requestId\":1,\"reason\":\"test\"}");
            assertEquals(2, s.call(2, "ping", "{}").getInt("id"));
            // Past the moment the uncancelled sleep would have answered.
            assertNull(s.lines.poll(2500, TimeUnit.MILLISECONDS), "no response for the cancelled request");
            assertEquals("slept 1", s.toolText(3, "sleep", "{\"ms\":1}"));
        }
    }

    @Test
    void crashExitsWithTheRequestedCodeWithoutAnswering() throws Exception {
        try (Server s = new Server()) {
            s.send(1, "tools/call", "{\"name\":\"crash\",\"arguments\":{\"exitCode\":7}}");
            assertEquals(7, s.awaitExit());
            assertEquals(Server.EOF, s.nextLine());
        }
    }

    @Test
    void singleShotExitsAfterTheFirstResponseAfterTheHandshake() throws Exception {
        try (Server s = new Server("--single-shot")) {
            s.send(1, "initialize", "{\"protocolVersion\":\"2025-11-25\"}");
            assertNotNull(s.next().get("id"), "initialize is answered and does not count");
            s.send(2, "ping", "{}");
            s.send(3, "ping", "{}");
            assertNotNull(s.next().get("id"));
            assertEquals(Server.EOF, s.nextLine(), "only one response");
            assertEquals(0, s.awaitExit());
        }
    }

    /** The gateway's readiness ping comes before initialize; the MCP spec allows it and it is no real request. */
    @Test
    void pingBeforeInitializeIsAnsweredAndDoesNotCountForSingleShot() throws Exception {
        try (Server s = new Server("--single-shot")) {
            s.sendLine("{\"jsonrpc\":\"2.0\",\"id\":\"shadowcat-ready\",\"method\":\"ping\"}");
            JsonObject pong = s.next();
            assertEquals("shadowcat-ready", pong.getString("id"));
            assertEquals(JsonValue.EMPTY_JSON_OBJECT, pong.getJsonObject("result"));
            s.call(1, "initialize", "{\"protocolVersion\":\"2025-11-25\"}");
            s.call(2, "ping", "{}");
            assertEquals(Server.EOF, s.nextLine(), "the ping after initialize was the one real request");
            assertEquals(0, s.awaitExit());
        }
    }

    @Test
    void ignorePingBeforeInitLeavesOnlyThoseUnanswered() throws Exception {
        try (Server s = new Server("--ignore-ping-before-init")) {
            s.send(1, "ping", "{}");
            s.send(2, "initialize", "{\"protocolVersion\":\"2025-11-25\"}");
            s.send(3, "ping", "{}");
            List<Integer> ids = new ArrayList<>(); // requests run concurrently: answers come in any order
            while (!ids.containsAll(List.of(2, 3))) {
                ids.add(s.next().getInt("id"));
            }
            assertEquals(2, ids.size(), "answered: " + ids);
        }
    }

    @Test
    void bootGateHoldsStdinUntilTheFileExists(@TempDir Path dir) throws Exception {
        Path gate = dir.resolve("gate");
        try (Server s = new Server("--boot-gate", gate.toString())) {
            s.send(1, "ping", "{}");
            long end = System.nanoTime() + WAIT.toNanos();
            while (!s.stderr.toString().contains("booting until") && System.nanoTime() < end) {
                Thread.sleep(10);
            }
            assertTrue(s.stderr.toString().contains("booting until"), s.stderr::toString);
            assertNull(s.lines.poll(300, TimeUnit.MILLISECONDS), "no answer while the gate is closed");
            java.nio.file.Files.createFile(gate);
            assertEquals(1, s.next().getInt("id"));
        }
    }

    @Test
    void stdinEofExitsCleanly() throws Exception {
        try (Server s = new Server()) {
            s.call(1, "initialize", "{\"protocolVersion\":\"2025-11-25\"}");
            s.process.getOutputStream().close();
            assertEquals(0, s.awaitExit());
        }
    }

    @Test
    void garbageLineIsFollowedByAValidResponse() throws Exception {
        try (Server s = new Server()) {
            s.send(1, "tools/call", "{\"name\":\"garbage\"}");
            String garbage = s.nextLine();
            assertThrows(JsonException.class, () -> parse(garbage));
            JsonObject response = s.next();
            assertEquals(1, response.getInt("id"));
            assertEquals("garbage sent", resultText(response));
        }
    }

    // ---------------------------------------------------------------- helpers

    static JsonValue parse(String json) {
        try (JsonReader reader = Json.createReader(new StringReader(json))) {
            return reader.readValue();
        }
    }

    static int errorCode(JsonObject response) {
        assertNotNull(response.getJsonObject("error"), () -> "expected an error: " + response);
        return response.getJsonObject("error").getInt("code");
    }

    static String resultText(JsonObject response) {
        return response.getJsonObject("result").getJsonArray("content").getJsonObject(0).getString("text");
    }

    /** The server as a subprocess; stdout lines are queued by a reader thread, stderr is kept for failures. */
    static final class Server implements AutoCloseable {
        static final String EOF = "<EOF>";

        final Process process;
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final StringBuffer stderr = new StringBuffer();
        private final OutputStream stdin;

        Server(String... flags) throws IOException {
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), DemoMcpServer.class.getName()));
            command.addAll(List.of(flags));
            process = new ProcessBuilder(command).start();
            stdin = process.getOutputStream();
            pump(process.getInputStream(), line -> lines.add(line), () -> lines.add(EOF));
            pump(process.getErrorStream(), line -> stderr.append(line).append('\n'), () -> { });
        }

        private static void pump(InputStream in, java.util.function.Consumer<String> sink, Runnable atEnd) {
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        sink.accept(line);
                    }
                } catch (IOException ignored) {
                    // process gone
                } finally {
                    atEnd.run();
                }
            });
            t.setDaemon(true);
            t.start();
        }

        void sendLine(String line) throws IOException {
            stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            stdin.flush();
        }

        void send(int id, String method, String params) throws IOException {
            sendLine("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"" + method + "\",\"params\":" + params + "}");
        }

        void notify(String method, String params) throws IOException {
            sendLine("{\"jsonrpc\":\"2.0\",\"method\":\"" + method + "\",\"params\":" + params + "}");
        }

        /** Sends a request and returns its response; no other message may arrive in between. */
        JsonObject call(int id, String method, String params) throws Exception {
            send(id, method, params);
            JsonObject response = next();
            assertEquals(id, response.getInt("id"), () -> "unexpected message: " + response);
            return response;
        }

        String toolText(int id, String tool, String arguments) throws Exception {
            JsonObject response = call(id, "tools/call", "{\"name\":\"" + tool + "\",\"arguments\":" + arguments + "}");
            assertFalse(response.getJsonObject("result").getBoolean("isError"), response::toString);
            return resultText(response);
        }

        String nextLine() throws InterruptedException {
            String line = lines.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            if (line == null) {
                fail("no output within " + WAIT + "; stderr:\n" + stderr);
            }
            return line;
        }

        JsonObject next() throws InterruptedException {
            String line = nextLine();
            assertFalse(line.equals(EOF), () -> "server closed stdout; stderr:\n" + stderr);
            return parse(line).asJsonObject();
        }

        int awaitExit() throws InterruptedException {
            if (!process.waitFor(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                fail("server did not exit within " + WAIT + "; stderr:\n" + stderr);
            }
            return process.exitValue();
        }

        @Override
        public void close() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        }
    }
}
