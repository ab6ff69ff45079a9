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
        System.out.println("Shadowcat listening on " + mcpUrl(server, host));
        server.join();
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            System.err.println(option + " needs a value\n" + USAGE);
            System.exit(2);
        }
        return args[i];
    }

    /** Jetty's context attribute that tells Weld how to integrate (jetty-home's ee10-cdi-decorate mode). */
    public static final String CDI_MODE_ATTRIBUTE = "org.eclipse.jetty.cdi";
    /** Where Weld publishes its decorator; Jetty's DecoratingListener picks it up for @Inject into servlets. */
    public static final String CDI_DECORATOR_ATTRIBUTE = "org.eclipse.jetty.cdi.decorator";
    /**
     * API packages the WAR brings itself and must load from WEB-INF/lib although Jetty protects {@code jakarta.*}:
     * jetty-annotations puts a piece of CDI on the server's class path, and the test class path carries them all; APIs
     * with static state or ServiceLoader look-ups (CDI.current(), RuntimeDelegate, JsonbProvider) would otherwise bind
     * to the server's copy and fail ("Unable to access CDI"). jakarta.servlet and jakarta.annotation stay server-side.
     */
    public static final String[] WEBAPP_OWNED_APIS = {
        "jakarta.enterprise.", "jakarta.inject.", "jakarta.decorator.", "jakarta.interceptor.",
        "jakarta.ws.rs.", "jakarta.json.", "jakarta.el.", "jakarta.validation.",
    };

    /**
     * The WAR as a Jetty 12 ee10 context, set up as jetty-home's ee10-annotations and ee10-cdi modules set it up:
     * the one definition {@code serve}, the development launcher and the tests' embedded container share.
     */
    public static WebAppContext webApp(Path war, String contextPath) {
        WebAppContext app = new WebAppContext();
        app.setWar(war.toAbsolutePath().toString());
        app.setContextPath(contextPath);
        app.setAttribute(CDI_MODE_ATTRIBUTE, "CdiDecoratingListener");
        app.addEventListener(new DecoratingListener(app, CDI_DECORATOR_ATTRIBUTE));
        app.getProtectedClassMatcher().exclude(WEBAPP_OWNED_APIS);
        // a webapp that fails to start must fail the deploy or launch, not sit there answering 503
        app.setThrowUnavailableOnStartupException(true);
        return app;
    }

    /** The MCP endpoint of a started server, as a client would write it. */
    public static String mcpUrl(Server server, String host) {
        String urlHost = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        return "http://" + urlHost + ":" + ((ServerConnector) server.getConnectors()[0]).getLocalPort() + "/mcp";
    }

    /** The WAR at "/" on {@code host:port} (0: any free port), started; the caller joins or stops it. */
    public static Server start(Path war, String host, int port) throws Exception {
        return start(host, port, webApp(war, "/"));
    }

    /** {@code app} (the WAR's context, or several) on {@code host:port}, with the server set up as above; started. */
    public static Server start(String host, int port, org.eclipse.jetty.server.Handler app) throws Exception {
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
