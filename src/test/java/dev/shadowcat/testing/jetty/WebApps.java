package dev.shadowcat.testing.jetty;

import dev.shadowcat.serve.Serve;
import org.eclipse.jetty.ee10.webapp.WebAppContext;

import java.nio.file.Path;

/**
 * The {@link WebAppContext} for the Shadowcat WAR on embedded Jetty 12.1 (ee10), for the Arquillian container and the
 * fuzzing test: the one definition of {@link Serve#webApp}, which {@code java -jar shadowcat.war serve} and the
 * development launcher use too, so that tests and users run the WAR alike.
 */
public final class WebApps {
    /** Context attribute read by Weld's JettyContainer; without it @Inject into servlets stays null. */
    public static final String CDI_MODE_ATTRIBUTE = Serve.CDI_MODE_ATTRIBUTE;

    private WebApps() {
    }

    public static WebAppContext newWebApp(Path war, String contextPath) {
        return Serve.webApp(war, contextPath);
    }
}
