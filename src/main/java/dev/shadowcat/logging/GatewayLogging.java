package dev.shadowcat.logging;

import java.io.OutputStream;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.StreamHandler;

/**
 * {@code server.logFormat: json}: the gateway's loggers ({@code dev.shadowcat.*}) write JSON lines to standard error
 * through a handler of their own instead of the container's handlers, in every container alike (a container's
 * logging configuration could not name a formatter class that lives in the WAR). {@link #close} takes the handler
 * away and gives the loggers back to the container: after an undeploy the JVM's LogManager holds nothing of ours.
 */
public final class GatewayLogging implements AutoCloseable {
    private static final String ROOT = "dev.shadowcat";

    private final Logger root = Logger.getLogger(ROOT);
    private final Handler handler;
    private final boolean parentsBefore;

    private GatewayLogging(OutputStream out) {
        this.handler = new StreamHandler(out, new JsonLogFormatter()) {
            @Override
            public synchronized void publish(LogRecord record) {
                super.publish(record);
                flush(); // one line at a time, as it happens
            }

            @Override
            public synchronized void close() {
                flush(); // never close standard error
            }
        };
        this.handler.setLevel(Level.ALL);
        this.parentsBefore = root.getUseParentHandlers();
    }

    /** Installs JSON logging for {@code format} "json"; "text" leaves the container's logging alone (returns null). */
    public static GatewayLogging install(String format) {
        if (!"json".equals(format)) {
            return null;
        }
        GatewayLogging g = new GatewayLogging(System.err);
        g.root.addHandler(g.handler);
        g.root.setUseParentHandlers(false);
        return g;
    }

    @Override
    public void close() {
        root.removeHandler(handler);
        root.setUseParentHandlers(parentsBefore);
        handler.flush();
    }
}
