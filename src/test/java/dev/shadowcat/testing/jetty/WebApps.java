package dev.shadowcat.testing.jetty;

import java.nio.file.Path;
import org.eclipse.jetty.ee10.servlet.DecoratingListener;
import org.eclipse.jetty.ee10.webapp.WebAppContext;

/**
 * Builds the {@link WebAppContext} for the Shadowcat WAR on embedded Jetty 12.1 (ee10). Shared by
 * the Arquillian container and the launcher so that tests and {@code exec:java} run the WAR alike.
 */
public final class WebApps {

    /** Context attribute read by Weld's JettyContainer; without it @Inject into servlets stays null. */
    public static final String CDI_MODE_ATTRIBUTE = "org.eclipse.jetty.cdi";
    /** Attribute under which Weld publishes its decorator; the DecoratingListener picks it up. */
    public static final String CDI_DECORATOR_ATTRIBUTE = "org.eclipse.jetty.cdi.decorator";

    /**
     * API packages the webapp must load from WEB-INF/lib although Jetty protects {@code jakarta.*}:
     * the test/launcher classpath also carries them (the WAR's compile deps), and APIs with static
     * state or ServiceLoader look-ups (CDI.current(), RuntimeDelegate, JsonbProvider) would otherwise
     * bind to the parent copy and fail ("Unable to access CDI"). jakarta.servlet and
     * jakarta.annotation stay server-side on purpose.
     */
    public static final String[] WEBAPP_OWNED_APIS = {
        "jakarta.enterprise.", "jakarta.inject.", "jakarta.decorator.", "jakarta.interceptor.",
        "jakarta.ws.rs.", "jakarta.json.", "jakarta.el.", "jakarta.validation.",
    };

    private WebApps() {
    }

    public static WebAppContext newWebApp(Path war, String contextPath) {
        WebAppContext ctx = new WebAppContext();
        ctx.setWar(war.toAbsolutePath().toString());
        ctx.setContextPath(contextPath);
        // What jetty-home's ee10-cdi-decorate module does, without the (unpublished) jetty-ee10-cdi jar.
        ctx.setAttribute(CDI_MODE_ATTRIBUTE, "CdiDecoratingListener");
        ctx.addEventListener(new DecoratingListener(ctx, CDI_DECORATOR_ATTRIBUTE));
        ctx.getProtectedClassMatcher().exclude(WEBAPP_OWNED_APIS);
        // A webapp that fails to start must fail the deploy/launch, not sit there answering 503.
        ctx.setThrowUnavailableOnStartupException(true);
        return ctx;
    }
}
