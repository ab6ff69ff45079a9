package dev.shadowcat.gateway;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.BeforeDestroyed;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import jakarta.servlet.ServletContext;

import dev.shadowcat.session.SessionStore;

import java.io.File;
import java.util.Map;

/**
 * Starts the {@link Gateway} when the web application starts (not on the first request), so that a bad
 * configuration fails the deployment with a message, and stops it when the application scope is about to end,
 * while every bean is still alive: CDI destroys beans in no defined order, so the drain (refuse new work, let
 * calls finish, end sessions, stop the pools, then the scheduler) cannot wait for the beans' own
 * {@code @PreDestroy}, which remain idempotent backstops.
 */
@ApplicationScoped
public class GatewayLifecycle {
    /** Context parameter naming the configuration file. */
    public static final String CONFIG_PARAM = "shadowcat.config";

    @Inject
    Gateway gateway;

    /** The session store, for servlets and resources that use only sessions. Created on first use, after start. */
    @Produces
    @ApplicationScoped
    SessionStore sessions() {
        return gateway.sessions();
    }

    void onStop(@Observes @BeforeDestroyed(ApplicationScoped.class) Object event) {
        gateway.stop();
    }

    void onStart(@Observes @Initialized(ApplicationScoped.class) ServletContext ctx) {
        gateway.identify(ctx.getContextPath(), warVersion(ctx));
        gateway.start(ctx.getInitParameter(CONFIG_PARAM), Map.of(
                "java", javaBinary(),
                "webapp.classpath", webappClasspath(ctx)));
    }

    /** Implementation-Version of the WAR's manifest (the Maven project version), or "unknown". */
    private static String warVersion(ServletContext ctx) {
        try (java.io.InputStream in = ctx.getResourceAsStream("/META-INF/MANIFEST.MF")) {
            if (in != null) {
                String v = new java.util.jar.Manifest(in).getMainAttributes().getValue("Implementation-Version");
                if (v != null) {
                    return v;
                }
            }
        } catch (java.io.IOException e) {
            // no manifest to read: unknown
        }
        return "unknown";
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
