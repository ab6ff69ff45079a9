package dev.shadowcat.testing.jetty;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.jboss.arquillian.container.spi.ConfigurationException;
import org.jboss.arquillian.container.spi.client.container.ContainerConfiguration;

/**
 * Properties of the {@code jetty121} container in arquillian.xml (or
 * {@code -Darq.container.jetty121.configuration.NAME=VALUE}).
 */
public class Jetty121Configuration implements ContainerConfiguration {

    /** Loopback only: integration tests never listen on an external interface. */
    private String bindAddress = "127.0.0.1";
    /** 0 = an ephemeral port; the real one is reported in the deployment's HTTPContext. */
    private int bindHttpPort = 0;
    private String contextPath = "/";
    /** Bound on Server.stop() (graceful shutdown of connectors and contexts). */
    private long stopTimeoutMillis = 5_000;

    @Override
    public void validate() throws ConfigurationException {
        if (bindHttpPort < 0 || bindHttpPort > 65_535) {
            throw new ConfigurationException("bindHttpPort out of range: " + bindHttpPort);
        }
        if (contextPath == null || !contextPath.startsWith("/")) {
            throw new ConfigurationException("contextPath must start with '/': " + contextPath);
        }
        try {
            if (!InetAddress.getByName(bindAddress).isLoopbackAddress()) {
                throw new ConfigurationException("bindAddress must be a loopback address: " + bindAddress);
            }
        } catch (UnknownHostException e) {
            throw new ConfigurationException("bindAddress cannot be resolved: " + bindAddress, e);
        }
    }

    public String getBindAddress() {
        return bindAddress;
    }

    public void setBindAddress(String bindAddress) {
        this.bindAddress = bindAddress;
    }

    public int getBindHttpPort() {
        return bindHttpPort;
    }

    public void setBindHttpPort(int bindHttpPort) {
        this.bindHttpPort = bindHttpPort;
    }

    public String getContextPath() {
        return contextPath;
    }

    public void setContextPath(String contextPath) {
        this.contextPath = contextPath;
    }

    public long getStopTimeoutMillis() {
        return stopTimeoutMillis;
    }

    public void setStopTimeoutMillis(long stopTimeoutMillis) {
        this.stopTimeoutMillis = stopTimeoutMillis;
    }
}
