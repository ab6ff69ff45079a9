package dev.shadowcat.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A deliberately low-level MCP-over-HTTP client for tests that need exact headers, bodies and SSE frames. */
final class RawMcp {
    static final Duration TIMEOUT = Duration.ofSeconds(15);
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(TIMEOUT).build();
    static final String ACCEPT_BOTH = "application/json, text/event-stream";

    /** A well-formed 2026-07-28 POST: the version and {@code Mcp-Method} headers, and {@code Mcp-Name} unless null. */
    static <T> java.net.http.HttpResponse<T> post2026(java.net.URI ep, String method, String name, String body,
                                                      java.net.http.HttpResponse.BodyHandler<T> handler) {
        var b = java.net.http.HttpRequest.newBuilder(ep).timeout(TIMEOUT)
                .header("Content-Type", "application/json").header("Accept", ACCEPT_BOTH)
                .header("MCP-Protocol-Version", "2026-07-28").header("Mcp-Method", method);
        if (name != null) {
            b.header("Mcp-Name", name);
        }
        try {
            return HTTP.send(b.POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(), handler);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static final String META_2026 = "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
            + "\"io.modelcontextprotocol/clientCapabilities\":{},\"io.modelcontextprotocol/clientInfo\":{\"name\":\"it\",\"version\":\"1\"}}";

    /** A 2026-07-28 request with the per-request {@code _meta} added to {@code paramsMembers}; version and method headers set. */
    static HttpResponse<String> call2026(URI endpoint, Object id, String method, String paramsMembers,
                                                 Map<String, String> headers) throws Exception {
        String params = paramsMembers.isEmpty() ? "{" + META_2026 + "}" : "{" + paramsMembers + "," + META_2026 + "}";
        String body = "{\"jsonrpc\":\"2.0\",\"id\":" + (id instanceof String ? "\"" + id + "\"" : id) + ",\"method\":\"" + method
                + "\",\"params\":" + params + "}";
        var b = java.net.http.HttpRequest.newBuilder(endpoint).timeout(RawMcp.TIMEOUT)
                .header("Content-Type", "application/json").header("Accept", RawMcp.ACCEPT_BOTH);
        Map<String, String> h = new java.util.HashMap<>(Map.of("MCP-Protocol-Version", "2026-07-28", "Mcp-Method", method));
        h.putAll(headers);
        h.forEach((k, v) -> {
            if (v != null) {
                b.header(k, v);
            }
        });
        return RawMcp.HTTP.send(b.POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** One SSE event. */
    record Event(String id, String data) {
    }

    private final URI endpoint;
    String sessionId;
    String version = "2025-11-25";

    RawMcp(URI endpoint) {
        this.endpoint = endpoint;
    }

    static String initializeBody(String version) {
        return "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"" + version
                + "\",\"capabilities\":{},\"clientInfo\":{\"name\":\"raw-test\",\"version\":\"1\"}}}";
    }

    static String call(int id, String tool, String argsJson) {
        return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool
                + "\",\"arguments\":" + argsJson + "}}";
    }

    /** initialize + notifications/initialized; keeps the session id. */
    RawMcp open() throws Exception {
        return open(Map.of());
    }

    /** initialize and notifications/initialized, each with {@code headers} (credentials, say). */
    RawMcp open(Map<String, String> headers) throws Exception {
        HttpResponse<String> r = post(initializeBody(version), headers);
        if (r.statusCode() != 200) {
            throw new AssertionError("initialize failed: " + r.statusCode() + " " + r.body());
        }
        sessionId = r.headers().firstValue("Mcp-Session-Id").orElseThrow();
        HttpResponse<String> n = post("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", headers);
        if (n.statusCode() != 202) {
            throw new AssertionError("initialized got " + n.statusCode());
        }
        return this;
    }

    HttpRequest.Builder request(Map<String, String> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(endpoint).timeout(TIMEOUT);
        boolean hasAccept = false;
        for (var h : headers.entrySet()) {
            if (h.getValue() != null) {
                b.header(h.getKey(), h.getValue());
            }
            hasAccept |= h.getKey().equalsIgnoreCase("Accept");
        }
        if (!hasAccept) {
            b.header("Accept", ACCEPT_BOTH);
        }
        if (sessionId != null && !headers.containsKey("Mcp-Session-Id")) {
            b.header("Mcp-Session-Id", sessionId);
        }
        if (sessionId != null && !headers.containsKey("MCP-Protocol-Version")) {
            b.header("MCP-Protocol-Version", version);
        }
        return b;
    }

    HttpResponse<String> post(String body, Map<String, String> headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = request(headers);
        if (!headers.containsKey("Content-Type")) {
            b.header("Content-Type", "application/json");
        }
        return HTTP.send(b.POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String body) throws IOException, InterruptedException {
        return post(body, Map.of());
    }

    HttpResponse<InputStream> postStream(String body) throws IOException, InterruptedException {
        HttpRequest.Builder b = request(Map.of()).header("Content-Type", "application/json");
        return HTTP.send(b.POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
    }

    HttpResponse<InputStream> getStream(Map<String, String> headers) throws IOException, InterruptedException {
        Map<String, String> h = new java.util.HashMap<>(headers);
        h.putIfAbsent("Accept", "text/event-stream");
        return HTTP.send(request(h).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
    }

    HttpResponse<String> delete() throws IOException, InterruptedException {
        return HTTP.send(request(Map.of()).DELETE().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Reads SSE events until {@code stop} events were read or the stream ends. Comment lines are skipped. */
    static List<Event> readEvents(BufferedReader in, int stop) throws IOException {
        List<Event> out = new ArrayList<>();
        String id = null;
        StringBuilder data = null;
        String line;
        while (out.size() < stop && (line = in.readLine()) != null) {
            if (line.isEmpty()) {
                if (data != null || id != null) {
                    out.add(new Event(id, data == null ? "" : data.toString()));
                }
                id = null;
                data = null;
            } else if (line.startsWith("id:")) {
                id = line.substring(3).trim();
            } else if (line.startsWith("data:")) {
                String d = line.substring(5).startsWith(" ") ? line.substring(6) : line.substring(5);
                data = data == null ? new StringBuilder(d) : data.append('\n').append(d);
            }
        }
        return out;
    }

    static BufferedReader reader(HttpResponse<InputStream> r) {
        return new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8));
    }

    private static final java.util.concurrent.ScheduledExecutorService WATCHDOG =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "test-sse-watchdog");
                t.setDaemon(true);
                return t;
            });

    /** Like {@link #readEvents(BufferedReader, int)} but gives up after {@code timeout} by closing the stream. */
    static List<Event> readEvents(HttpResponse<InputStream> r, BufferedReader in, int stop, Duration timeout) {
        var closer = WATCHDOG.schedule(() -> {
            try {
                r.body().close();
            } catch (IOException ignored) {
                // closing is all we want
            }
        }, timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        List<Event> got = new ArrayList<>();
        try {
            got.addAll(readEvents(in, stop));
        } catch (IOException e) {
            // the watchdog closed the stream
        } finally {
            closer.cancel(false);
        }
        if (got.size() < stop) {
            throw new AssertionError("expected " + stop + " events within " + timeout + ", got " + got);
        }
        return got;
    }

    /** The text of the first text content of a tools/call result. */
    static String text(String json) {
        Matcher m = Pattern.compile("\"text\":\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(json);
        return m.find() ? m.group(1) : null;
    }
}
