package dev.shadowcat.bench;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The "echo floor": the least an MCP Streamable HTTP endpoint on Jetty 12 can do per request. A bare Jetty core
 * Handler (no servlets, no webapp, no upstream) that answers every POST carrying an id with one fixed JSON-RPC
 * result (good enough for both initialize and tools/call), every POST without an id (a notification) with 202,
 * and DELETE with 200. The id is copied from the request so that a client can match the response; nothing
 * else is parsed. bench/run-all.sh measures the gateway against it to price the gateway itself.
 *
 * <pre>
 *   java -cp target/test-classes:$(cat target/launcher.cp) -Dshadowcat.port=18099 dev.shadowcat.bench.JettyEchoFloor
 * </pre>
 */
public final class JettyEchoFloor extends Handler.Abstract {
    static final String SESSION_ID = "echo-floor-session";
    private static final byte[] HEAD = "{\"jsonrpc\":\"2.0\",\"id\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TAIL = (",\"result\":{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{\"tools\":{}},"
            + "\"serverInfo\":{\"name\":\"jetty-echo-floor\",\"version\":\"1.0\"},"
            + "\"content\":[{\"type\":\"text\",\"text\":\"Echo: hello from the shadowcat load tool\"}]}}")
            .getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ID_KEY = "\"id\":".getBytes(StandardCharsets.US_ASCII);

    private JettyEchoFloor() {
        super(InvocationType.NON_BLOCKING);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        switch (request.getMethod()) {
            case "POST" -> Content.Source.asByteArrayAsync(request, 1 << 20).whenComplete((body, err) -> {
                if (err != null) {
                    Response.writeError(request, response, callback, 400);
                    return;
                }
                respond(body, response, callback);
            });
            case "DELETE" -> {
                response.setStatus(200);
                callback.succeeded();
            }
            default -> Response.writeError(request, response, callback, 405);
        }
        return true;
    }

    private static void respond(byte[] body, Response response, Callback callback) {
        int at = indexOf(body, ID_KEY);
        response.getHeaders().put("Mcp-Session-Id", SESSION_ID);
        if (at < 0) {
            response.setStatus(202);
            callback.succeeded();
            return;
        }
        int s = at + ID_KEY.length;
        while (s < body.length && body[s] == ' ') {
            s++;
        }
        int e = s;
        if (e < body.length && body[e] == '"') {
            e++;
            while (e < body.length && body[e] != '"') {
                e += body[e] == '\\' ? 2 : 1;
            }
            e++;
        } else {
            while (e < body.length && body[e] != ',' && body[e] != '}' && body[e] != ' ') {
                e++;
            }
        }
        byte[] out = new byte[HEAD.length + (e - s) + TAIL.length];
        System.arraycopy(HEAD, 0, out, 0, HEAD.length);
        System.arraycopy(body, s, out, HEAD.length, e - s);
        System.arraycopy(TAIL, 0, out, HEAD.length + (e - s), TAIL.length);
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, out.length);
        response.write(true, ByteBuffer.wrap(out), callback);
    }

    private static int indexOf(byte[] b, byte[] key) {
        outer:
        for (int i = 0; i + key.length <= b.length; i++) {
            for (int k = 0; k < key.length; k++) {
                if (b[i + k] != key[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    public static void main(String[] args) throws Exception {
        String host = System.getProperty("shadowcat.host", "127.0.0.1");
        int port = Integer.getInteger("shadowcat.port", 18099);
        Server server = new Server();
        ServerConnector http = new ServerConnector(server);
        http.setHost(host);
        http.setPort(port);
        http.setAcceptedTcpNoDelay(true);
        server.addConnector(http);
        server.setHandler(new JettyEchoFloor());
        server.setStopAtShutdown(true);
        server.start();
        System.out.println("Jetty echo floor listening on http://" + host + ":" + http.getLocalPort() + "/mcp");
        server.join();
    }
}
