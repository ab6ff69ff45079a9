package dev.shadowcat.testing.jetty;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandlerCollection;
import org.jboss.arquillian.container.spi.client.container.DeployableContainer;
import org.jboss.arquillian.container.spi.client.container.DeploymentException;
import org.jboss.arquillian.container.spi.client.container.LifecycleException;
import org.jboss.arquillian.container.spi.client.protocol.ProtocolDescription;
import org.jboss.arquillian.container.spi.client.protocol.metadata.HTTPContext;
import org.jboss.arquillian.container.spi.client.protocol.metadata.ProtocolMetaData;
import org.jboss.arquillian.container.spi.client.protocol.metadata.Servlet;
import org.jboss.shrinkwrap.api.Archive;
import org.jboss.shrinkwrap.api.exporter.ZipExporter;

/**
 * Arquillian container for embedded Jetty 12.1 (ee10). The published arquillian-jetty-embedded-12-ee10
 * adapter is built against Jetty 12.0's jetty-deploy (App/AppProvider/DeploymentManager), which 12.1
 * removed; this one needs no jetty-deploy. One Server per container start, one WebAppContext per
 * deployment, in-JVM: use {@code @RunAsClient} / {@code testable = false} deployments.
 */
public class Jetty121Container implements DeployableContainer<Jetty121Configuration> {

    private Jetty121Configuration config;
    private Server server;
    private ServerConnector connector;
    private ContextHandlerCollection contexts;
    private Path workDir;
    private final Map<String, WebAppContext> deployed = new ConcurrentHashMap<>();

    @Override
    public Class<Jetty121Configuration> getConfigurationClass() {
        return Jetty121Configuration.class;
    }

    @Override
    public void setup(Jetty121Configuration configuration) {
        this.config = configuration;
    }

    @Override
    public void start() throws LifecycleException {
        try {
            // As Tomcat's JreMemoryLeakPreventionListener does: a cached jar: URL connection (ServiceLoader reads
            // through them) keeps a web application's jars open for the JVM's life, after an undeploy too.
            java.net.URLConnection.setDefaultUseCaches("jar", false);
            workDir = Files.createTempDirectory("arquillian-jetty121-");
            server = new Server();
            connector = new ServerConnector(server);
            connector.setHost(config.getBindAddress());
            connector.setPort(config.getBindHttpPort());
            server.addConnector(connector);
            contexts = new ContextHandlerCollection();
            server.setHandler(contexts);
            server.setStopTimeout(config.getStopTimeoutMillis());
            // the realm a WAR with <login-config><realm-name>shadowcat</realm-name> authenticates against (ContainerAuthIT)
            java.net.URL realm = Jetty121Container.class.getResource("/jetty/realm.properties");
            if (realm != null) {
                server.addBean(new org.eclipse.jetty.security.HashLoginService("shadowcat",
                        org.eclipse.jetty.util.resource.ResourceFactory.of(server).newResource(realm.toURI())));
            }
            server.start();
        } catch (Exception e) {
            throw new LifecycleException("Could not start Jetty 12.1 on " + config.getBindAddress() + ":"
                    + config.getBindHttpPort(), e);
        }
    }

    @Override
    public void stop() throws LifecycleException {
        try {
            for (String name : deployed.keySet()) {
                stopContext(name);
            }
            if (server != null) {
                server.stop();
                server.join();
            }
        } catch (Exception e) {
            throw new LifecycleException("Could not stop Jetty 12.1", e);
        } finally {
            server = null;
            deleteRecursively(workDir);
        }
    }

    @Override
    public ProtocolDescription getDefaultProtocol() {
        // Tests run as clients (testable = false); nothing is packaged into the archive.
        return new ProtocolDescription("Local");
    }

    @Override
    public ProtocolMetaData deploy(Archive<?> archive) throws DeploymentException {
        String name = archive.getName();
        if (deployed.containsKey(name)) {
            throw new DeploymentException(name + " is already deployed");
        }
        WebAppContext webapp = null;
        try {
            Path war = workDir.resolve(name);
            archive.as(ZipExporter.class).exportTo(war.toFile(), true);
            webapp = WebApps.newWebApp(war, config.getContextPath());
            contexts.addHandler(webapp);
            if (!webapp.isStarted()) {
                webapp.start();
            }
            if (!webapp.isAvailable()) {
                throw new IllegalStateException("context unavailable", webapp.getUnavailableException());
            }
            deployed.put(name, webapp);
        } catch (Exception e) {
            if (webapp != null) {
                contexts.removeHandler(webapp);
                try {
                    webapp.stop();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw new DeploymentException("Could not deploy " + name, e);
        }

        String host = config.getBindAddress();
        HTTPContext http = new HTTPContext(host, connector.getLocalPort());
        for (ServletHolder holder : webapp.getServletHandler().getServlets()) {
            http.add(new Servlet(holder.getName(), config.getContextPath()));
        }
        return new ProtocolMetaData().addContext(http);
    }

    @Override
    public void undeploy(Archive<?> archive) throws DeploymentException {
        try {
            stopContext(archive.getName());
        } catch (Exception e) {
            throw new DeploymentException("Could not undeploy " + archive.getName(), e);
        }
    }

    /** Stopping the WebAppContext runs contextDestroyed listeners, hence Weld's @PreDestroy. */
    private void stopContext(String name) throws Exception {
        WebAppContext webapp = deployed.remove(name);
        if (webapp == null) {
            return;
        }
        try {
            webapp.stop();
        } finally {
            contexts.removeHandler(webapp);
            webapp.destroy();
            Files.deleteIfExists(workDir.resolve(name));
        }
    }

    private static void deleteRecursively(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // best effort: a leftover temp dir must not fail the test run
        }
    }
}
