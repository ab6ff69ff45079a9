package dev.shadowcat.bench;

import dev.shadowcat.gateway.GatewayLifecycle;
import dev.shadowcat.serve.Serve;

import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.handler.ContextHandlerCollection;

import java.nio.file.Path;

/**
 * A side-by-side benchmark target: the WAR deployed twice in one embedded Jetty (set up as {@code serve} sets it up),
 * each deployment with its own configuration file, so that two configurations are compared in the same JVM, on
 * the same Jetty threads and JIT, at the same time. What differs between the two is only what the configurations
 * turn on. Used by {@code bench/auth-bench.sh}.
 *
 * <pre>
 *   java -cp target/test-classes:target/classes:… dev.shadowcat.bench.AbServer PORT WAR /off=off.json /on=on.json
 * </pre>
 * The {@code shadowcat.config} system property must not be set: it would win over each deployment's own.
 */
public final class AbServer {
    private AbServer() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3 || System.getProperty("shadowcat.config") != null) {
            System.err.println("usage: AbServer PORT WAR /path=config.json [/path=config.json ...] (no -Dshadowcat.config)");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        Path war = Path.of(args[1]);
        ContextHandlerCollection apps = new ContextHandlerCollection();
        for (int i = 2; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            WebAppContext app = Serve.webApp(war, args[i].substring(0, eq));
            app.setInitParameter(GatewayLifecycle.CONFIG_PARAM, Path.of(args[i].substring(eq + 1)).toAbsolutePath().toString());
            apps.addHandler(app);
        }
        Server server = Serve.start("127.0.0.1", port, apps);
        System.out.println("AbServer listening on port " + port + " with " + (args.length - 2) + " deployments");
        server.join();
    }
}
