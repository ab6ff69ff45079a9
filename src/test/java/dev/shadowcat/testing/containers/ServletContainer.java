package dev.shadowcat.testing.containers;

import javax.management.MBeanServerConnection;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real servlet container in a process of its own, as an admin installs it from its distribution: started empty,
 * then the WAR hot-deployed into it by copying a file, and hot-undeployed by removing it. The container's JVM has a
 * JMX connector on loopback, through which the tests read its MBeans, threads, heap and classes.
 */
public abstract class ServletContainer implements AutoCloseable {
    protected final Path base;
    protected final int port;
    protected final int jmxPort;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private Process process;
    private JMXConnector jmx;

    protected ServletContainer(Path base) throws IOException {
        this.base = base.toAbsolutePath();
        this.port = freePort();
        this.jmxPort = freePort();
        deleteTree(this.base);
        Files.createDirectories(this.base);
    }

    public abstract String name();

    /** The command that runs the container in the foreground (the JVM is the process, or its only child). */
    protected abstract ProcessBuilder command(List<String> jvmOptions) throws IOException;

    /** Where a WAR dropped in is deployed at context path "/". */
    protected abstract Path deployedWar();

    public URI base() {
        return URI.create("http://127.0.0.1:" + port + "/");
    }

    public Path log() {
        return base.resolve("container.log");
    }

    public String logText() {
        try {
            StringBuilder all = new StringBuilder(Files.readString(log(), StandardCharsets.UTF_8));
            Path logs = base.resolve("logs");
            if (Files.isDirectory(logs)) {
                try (Stream<Path> files = Files.list(logs)) {
                    for (Path f : files.sorted().toList()) {
                        all.append('\n').append(Files.readString(f, StandardCharsets.UTF_8));
                    }
                }
            }
            return all.toString();
        } catch (IOException e) {
            return e.toString();
        }
    }

    public void start(Path config) throws Exception {
        List<String> jvm = new ArrayList<>(List.of(
                "-Dshadowcat.config=" + config.toAbsolutePath(),
                "-Djava.util.concurrent.ForkJoinPool.common.parallelism=2",
                "-XX:TieredStopAtLevel=1", "-Xmx384m",
                "-Dcom.sun.management.jmxremote.port=" + jmxPort,
                "-Dcom.sun.management.jmxremote.rmi.port=" + jmxPort,
                "-Dcom.sun.management.jmxremote.host=127.0.0.1",
                "-Djava.rmi.server.hostname=127.0.0.1",
                "-Dcom.sun.management.jmxremote.authenticate=false",
                "-Dcom.sun.management.jmxremote.ssl=false"));
        ProcessBuilder pb = command(jvm).redirectErrorStream(true).redirectOutput(log().toFile());
        process = pb.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name() + " exited with " + process.exitValue() + ": " + logText());
            }
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(base()).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() > 0) {
                    break;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name() + " not listening after 60 s: " + logText());
            }
            Thread.sleep(200);
        }
        jmx = JMXConnectorFactory.connect(new JMXServiceURL("service:jmx:rmi:///jndi/rmi://127.0.0.1:" + jmxPort + "/jmxrmi"),
                Map.of());
    }

    public ProcessHandle process() {
        return process.toHandle();
    }

    public MBeanServerConnection mbeans() throws IOException {
        return jmx.getMBeanServerConnection();
    }

    /** Copies the WAR in and waits until the gateway answers its health check; returns how long it took. */
    public Duration deploy(Path war) throws Exception {
        long t0 = System.nanoTime();
        install(war);
        waitFor(true, Duration.ofSeconds(60));
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    /** Removes the WAR and waits until the context is gone (404 for the health check). */
    public void undeploy() throws Exception {
        Files.delete(deployedWar());
        waitFor(false, Duration.ofSeconds(60));
    }

    /** Puts the application where the container's deployer finds it: the WAR itself, by default. */
    protected void install(Path war) throws IOException {
        Path target = deployedWar();
        Path tmp = target.resolveSibling(".deploying.tmp");
        Files.copy(war, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Until the application answers (or, {@code deployed} false, no longer does): {@code GET /api/health}, polled
     * through the deploy and the undeploy as a load balancer would, which the container answers with 404 without
     * the application (and with which Tomcat once caught Weld's request-scope ThreadLocals left on its threads).
     */
    private void waitFor(boolean deployed, Duration limit) throws Exception {
        URI health = base().resolve("api/health");
        long deadline = System.nanoTime() + limit.toNanos();
        int last = -1;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name() + " exited: " + logText());
            }
            try {
                last = http.send(HttpRequest.newBuilder(health).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode();
                if ((last != 404 && last < 500) == deployed) {
                    return;
                }
            } catch (IOException e) {
                last = -1;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException(name() + ": GET /mcp still answers " + last + " (waiting for the application to be "
                + (deployed ? "deployed" : "gone") + ") after " + limit.toSeconds() + " s: " + logText());
    }

    /** SIGTERM, then SIGKILL after 30 s; waits for the process. */
    @Override
    public void close() throws Exception {
        if (jmx != null) {
            try {
                jmx.close();
            } catch (IOException ignored) {
                // the container is going anyway
            }
        }
        if (process != null && process.isAlive()) {
            List<ProcessHandle> tree = process.descendants().toList();
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                tree.forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    protected static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    protected static String javaBinary() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    protected static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> all = Files.walk(p)) {
            for (Path f : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }

    protected static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path f : all.toList()) {
                Path t = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(f, t, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}
