package dev.shadowcat.gateway;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.servlet.ServletContext;

import java.io.File;
import java.util.Map;

/**
 * Starts the {@link Gateway} when the web application starts (not on the first request), so that a bad
 * configuration fails the deployment with a message. Shutdown is the gateway's own {@code @PreDestroy}.
 */
@ApplicationScoped
public class GatewayStartup {
    /** Context parameter naming the configuration file. */
    public static final String CONFIG_PARAM = "shadowcat.config";

    @Inject
    Gateway gateway;

    void onStart(@Observes @Initialized(ApplicationScoped.class) ServletContext ctx) {
        gateway.start(ctx.getInitParameter(CONFIG_PARAM), Map.of(
                "java", javaBinary(),
                "webapp.classpath", webappClasspath(ctx)));
    }

    private static String javaBinary() {
        return ProcessHandle.current().info().command()
                .orElse(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
    }

    /** WEB-INF/classes and every jar of WEB-INF/lib, for upstreams run from the WAR itself (the demo server). */
    private static String webappClasspath(ServletContext ctx) {
        String classes = ctx.getRealPath("/WEB-INF/classes");
        String lib = ctx.getRealPath("/WEB-INF/lib");
        StringBuilder cp = new StringBuilder();
        if (classes != null) {
            cp.append(classes);
        }
        if (lib != null) {
            cp.append(File.pathSeparator).append(lib).append(File.separator).append('*');
        }
        return cp.toString();
    }
}
