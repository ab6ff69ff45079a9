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
        response.getHeaders().put("Mcp-Session-Id", SESSION_ID);
        byte[] out = EchoReply.reply(body, body.length);
        if (out == null) {
            response.setStatus(202);
            callback.succeeded();
            return;
        }
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, out.length);
        response.write(true, ByteBuffer.wrap(out), callback);
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
