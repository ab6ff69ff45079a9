package dev.shadowcat.testing.jetty;

import org.jboss.arquillian.container.spi.client.container.DeployableContainer;
import org.jboss.arquillian.core.spi.LoadableExtension;

/** Registered in META-INF/services/org.jboss.arquillian.core.spi.LoadableExtension. */
public final class Jetty121Extension implements LoadableExtension {
    @Override
    public void register(ExtensionBuilder builder) {
        builder.service(DeployableContainer.class, Jetty121Container.class);
    }
}
