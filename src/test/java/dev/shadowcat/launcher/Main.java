package dev.shadowcat.launcher;

import dev.shadowcat.serve.Serve;
import org.eclipse.jetty.server.Server;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Development launcher: {@code java -jar shadowcat.war serve} from the build's class path, for {@code exec:java}
 * and the benchmarks (which add the test classes' demo and echo servers to the class path).
 *
 * <pre>
 *   mvn -q package -DskipTests exec:java [-Dshadowcat.port=8080] [-Dshadowcat.host=127.0.0.1]
 *                                        [-Dshadowcat.war=target/shadowcat.war] [-Dshadowcat.config=FILE]
 * </pre>
 * Ctrl-C / SIGTERM stops the server gracefully (stopAtShutdown), which runs the app's @PreDestroy.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws Exception {
        // as dev.shadowcat.boot.JvmDefaults does in the shipped launcher (that class is inside the WAR, not on our classpath)
        if (System.getProperty("java.util.concurrent.ForkJoinPool.common.parallelism") == null) {
            System.setProperty("java.util.concurrent.ForkJoinPool.common.parallelism",
                    Integer.toString(Math.max(2, Runtime.getRuntime().availableProcessors())));
        }
        String host = System.getProperty("shadowcat.host", "127.0.0.1");
        int port = Integer.getInteger("shadowcat.port", 8080);
        Path war = Path.of(System.getProperty("shadowcat.war", "target/shadowcat.war")).toAbsolutePath();
        if (!Files.isRegularFile(war)) {
            throw new IllegalStateException("WAR not found: " + war + " (build it: mvn -q package -DskipTests)");
        }
        // -Dshadowcat.config, if given, is read by the gateway itself
        Server server = Serve.start(war, host, port);
        System.out.println("Shadowcat listening on " + Serve.mcpUrl(server, host));
        server.join();
    }
}
