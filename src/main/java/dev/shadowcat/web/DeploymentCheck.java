package dev.shadowcat.web;

import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;

/**
 * Fails the deployment, with the reason, when the container has not registered the gateway's servlets: a container
 * that does not scan annotations (a Jetty base without the {@code ee10-annotations} module) would otherwise start
 * the application and answer 404 to everything, silently. Declared in web.xml, so it runs in every container; it
 * runs after the annotation-discovered initializers have (or have not) registered the servlets.
 */
public class DeploymentCheck implements ServletContextListener {
    @Override
    public void contextInitialized(ServletContextEvent sce) {
        if (sce.getServletContext().getServletRegistration("mcp") == null) {
            String msg = "Shadowcat cannot start: the container did not register its servlets, so it did not scan the "
                    + "WAR's annotations. Jetty 12: enable the ee10-annotations and ee10-cdi modules "
                    + "(java -jar $JETTY_HOME/start.jar --add-modules=ee10-annotations,ee10-cdi); other containers: "
                    + "do not set metadata-complete, and deploy it as a Jakarta EE 10 (Servlet 6) application.";
            sce.getServletContext().log(msg);
            throw new IllegalStateException(msg);
        }
    }
}
