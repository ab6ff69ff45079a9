package dev.shadowcat.testing.jetty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.Test;

class JettyDefaultsTest {

    @Test
    void serverConnectorSetsTcpNoDelayByDefault() {
        ServerConnector connector = new ServerConnector(new Server());
        assertTrue(connector.getAcceptedTcpNoDelay(), "Jetty 12.1 accepts sockets with TCP_NODELAY");
        assertTrue(connector.getReuseAddress());
    }

    @Test
    void webAppLetsTheWarOwnCdiAndJaxRsButNotServlet() {
        WebAppContext ctx = WebApps.newWebApp(Path.of("target/none.war"), "/");
        assertEquals("/", ctx.getContextPath());
        assertEquals("CdiDecoratingListener", ctx.getAttribute(WebApps.CDI_MODE_ATTRIBUTE));
        assertTrue(ctx.isThrowUnavailableOnStartupException(), "a failed start fails the deploy");
        assertFalse(ctx.getProtectedClassMatcher().match("jakarta.enterprise.inject.spi.CDI"));
        assertFalse(ctx.getProtectedClassMatcher().match("jakarta.ws.rs.ext.RuntimeDelegate"));
        assertTrue(ctx.getProtectedClassMatcher().match("jakarta.servlet.Servlet"));
    }
}
