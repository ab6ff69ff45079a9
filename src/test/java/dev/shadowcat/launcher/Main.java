package dev.shadowcat.launcher;

import dev.shadowcat.testing.jetty.WebApps;
import java.nio.file.Files;
import java.nio.file.Path;
import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * Development launcher: serves the built WAR on embedded Jetty 12.1 at context {@code /}.
 * Lives in src/test because Jetty is test-scoped (so it stays out of WEB-INF/lib).
 *
 * <pre>
 *   mvn -q package -DskipTests exec:java [-Dshadowcat.port=8080] [-Dshadowcat.host=127.0.0.1]
 *                                        [-Dshadowcat.war=target/shadowcat.war] [-Dshadowcat.config=FILE]
 * </pre>
 * Ctrl-C / SIGTERM stops the server gracefully (stopAtShutdown), which runs the app's @PreDestroy.
 */
public final class Main {

    /**
     * Jetty's per-connection cache of header fields (Authorization among them) holds 1024 characters by default: a
     * bearer token of ~1 KB (Keycloak's are 1-2 KB) does not fit beside Accept and User-Agent, and Jetty then clears
     * and refills the cache on every request (measured: ~15 % fewer calls/s at C=32 with auth on). 8 KB fits them.
     */
    static final int HEADER_CACHE_CHARS = 8192;

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        // as dev.shadowcat.boot.JvmDefaults does in the shipped launcher (that class is inside the WAR, not on our classpath)
        if (System.getProperty("java.util.concurrent.ForkJoinPool.common.parallelism") == null) {
            System.setProperty("java.util.concurrent.ForkJoinPool.common.parallelism",
                    Integer.toString(Math.max(2, Runtime.getRuntime().availableProcessors())));
        }
        String host = System.getProperty("shadowcat.host", "127.0.0.1");
        int port = Integer.getInteger("shadowcat.port", 8080);
        Path war = Path.of(System.getProperty("shadowcat.war", "target/shadowcat.war")).toAbsolutePath();
        if (!Files.isRegularFile(war)) {
            throw new IllegalStateException("WAR not found: " + war + " (build it: mvn -q package -DskipTests)");
        }

        java.net.URLConnection.setDefaultUseCaches("jar", false); // see Jetty121Container: no jar kept open after undeploy
        Server server = new Server();
        org.eclipse.jetty.server.HttpConfiguration httpConfig = new org.eclipse.jetty.server.HttpConfiguration();
        httpConfig.setHeaderCacheSize(HEADER_CACHE_CHARS);
        ServerConnector http = new ServerConnector(server, new org.eclipse.jetty.server.HttpConnectionFactory(httpConfig));
        http.setHost(host);
        http.setPort(port);
        // Jetty's default already (ServerConnector sets TCP_NODELAY on every accepted socket);
        // stated here because small SSE / JSON-RPC frames must not wait for Nagle.
        http.setAcceptedTcpNoDelay(true);
        server.addConnector(http);

        WebAppContext app = WebApps.newWebApp(war, "/");
        String config = System.getProperty("shadowcat.config");
        if (config != null) {
            app.setInitParameter("shadowcat.config", config);
        }
        server.setHandler(app);
        server.setStopAtShutdown(true);
        server.setStopTimeout(15_000); // above server.shutdownTimeoutSeconds (10 s): the gateway drains first (ExitDrain)
        try {
            server.start();
        } catch (Exception e) {
            server.stop();
            throw e;
        }
        String urlHost = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        System.out.println("Shadowcat listening on http://" + urlHost + ":" + http.getLocalPort() + "/mcp");
        server.join();
    }
}
