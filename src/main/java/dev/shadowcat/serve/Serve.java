package dev.shadowcat.serve;

import org.eclipse.jetty.ee10.servlet.DecoratingListener;
import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code java -jar shadowcat.war serve [--config FILE] [--port N] [--host H]}: the WAR on an embedded Jetty 12,
 * set up as {@code jetty-config/} sets up jetty-home (loopback by default, header cache sized for bearer tokens,
 * idle timeout, connection limit, graceful stop within 15 s on SIGTERM). The Jetty jars and this class live in
 * {@code WEB-INF/serve/}, where a servlet container deploying the same file never looks; {@code WarLauncher} puts
 * them on a class loader of their own. Nothing here is loaded when the WAR is deployed.
 */
public final class Serve {
    static final String USAGE = """
            usage: java -jar shadowcat.war serve [--config FILE] [--port N] [--host H]
              --config FILE  the gateway's configuration (default: $SHADOWCAT_CONFIG, else the built-in demo)
              --port N       the port to listen on (default 8080; 0: any free port)
              --host H       the address to bind (default 127.0.0.1; binding beyond loopback is your decision)""";
    /** As jetty-config's http.ini and the development launcher: a ~1-2 KB bearer token fits beside Accept and User-Agent. */
    static final int HEADER_CACHE_CHARS = 8192;

    private Serve() {
    }

    public static void main(String[] args) throws Exception {
        String config = null;
        String host = "127.0.0.1";
        int port = 8080;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--config" -> config = value(args, ++i, a);
                case "--port" -> port = Integer.parseInt(value(args, ++i, a));
                case "--host" -> host = value(args, ++i, a);
                case "-h", "--help" -> {
                    System.out.println(USAGE);
                    return;
                }
                default -> {
                    System.err.println("unknown option " + a + "\n" + USAGE);
                    System.exit(2);
                }
            }
        }
        Path war = Path.of(System.getProperty("shadowcat.serve.war", "shadowcat.war")).toAbsolutePath();
        if (config != null) {
            Path c = Path.of(config).toAbsolutePath();
            if (!Files.isRegularFile(c)) {
                System.err.println("serve: no configuration file " + c);
                System.exit(2);
            }
            System.setProperty("shadowcat.config", c.toString());
        }
        Server server = start(war, host, port);
        String urlHost = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        System.out.println("Shadowcat listening on http://" + urlHost + ":" + ((ServerConnector) server.getConnectors()[0]).getLocalPort() + "/mcp");
        server.join();
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            System.err.println(option + " needs a value\n" + USAGE);
            System.exit(2);
        }
        return args[i];
    }

    static Server start(Path war, String host, int port) throws Exception {
        java.net.URLConnection.setDefaultUseCaches("jar", false); // no jar of the WAR kept open by a cached URL
        QueuedThreadPool threads = new QueuedThreadPool(200, 8);
        threads.setName("jetty");
        Server server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setHeaderCacheSize(HEADER_CACHE_CHARS);
        http.setSendServerVersion(false);
        ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setHost(host);
        connector.setPort(port);
        connector.setIdleTimeout(20_000);
        server.addConnector(connector);
        NetworkConnectionLimit limit = new NetworkConnectionLimit(1000, server); // as jetty-config's start.d
        limit.setEndPointIdleTimeout(1000);
        server.addBean(limit);

        WebAppContext app = new WebAppContext();
        app.setWar(war.toString());
        app.setContextPath("/");
        // what jetty-home's ee10-cdi-decorate module does: Weld decorates servlets and filters for @Inject
        app.setAttribute("org.eclipse.jetty.cdi", "CdiDecoratingListener");
        app.addEventListener(new DecoratingListener(app, "org.eclipse.jetty.cdi.decorator"));
        // the WAR brings its own CDI, JAX-RS and JSON APIs (jetty-annotations puts a CDI piece on our class path too):
        // the application's copies first, so that no API is split between two class loaders
        app.getProtectedClassMatcher().exclude("jakarta.enterprise.", "jakarta.inject.", "jakarta.decorator.",
                "jakarta.interceptor.", "jakarta.ws.rs.", "jakarta.json.", "jakarta.el.", "jakarta.validation.");
        app.setThrowUnavailableOnStartupException(true);
        server.setHandler(app);
        server.setStopAtShutdown(true);
        server.setStopTimeout(15_000); // above server.shutdownTimeoutSeconds (10 s): the gateway drains first
        try {
            server.start();
        } catch (Exception e) {
            server.stop();
            throw e;
        }
        return server;
    }
}
