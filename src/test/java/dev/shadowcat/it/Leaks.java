package dev.shadowcat.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * What a deployment could leave behind, taken before deploy and compared after undeploy: every thread of the JVM,
 * every child process, every open file descriptor that is not a socket or an epoll/eventfd (pipes to children, files).
 *
 * <p>A thread counts as the deployment's when it is new and was started by the web application: named
 * {@code shadowcat-…} or running with the web application's class loader as its context loader (threads the JDK
 * starts for the gateway, such as an HTTP client's selector, inherit it). New threads of the test itself or of the
 * container (Jetty's pool grows under load) keep the test's or the server's loader and are not the deployment's.
 * Sockets are left out of the descriptor count: the test's own keep-alive connections to Jetty come and go.
 */
final class Leaks {
    record Snapshot(Set<Long> threads, Set<Long> children, Map<String, Integer> descriptors) {
    }

    private Leaks() {
    }

    static Snapshot take() {
        Set<Long> threads = new HashSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            threads.add(t.getId());
        }
        Set<Long> children = new HashSet<>();
        ProcessHandle.current().descendants().forEach(p -> children.add(p.pid()));
        return new Snapshot(threads, children, descriptors());
    }

    /** Open descriptors by what they point at (a path, or pipe/anon_inode kinds), sockets left out. */
    static Map<String, Integer> descriptors() {
        Map<String, Integer> out = new HashMap<>();
        Path dir = Path.of("/proc/self/fd");
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> fds = Files.list(dir)) {
            for (Path fd : fds.toList()) {
                String target;
                try {
                    target = Files.readSymbolicLink(fd).toString();
                } catch (IOException e) {
                    continue; // closed while listing (the listing's own descriptor among them)
                }
                if (target.startsWith("socket:") || target.startsWith("anon_inode:")) {
                    continue; // epoll/eventfd pairs belong to every HTTP client, the test's own too: a gateway's shows as its thread
                }
                out.merge(target.startsWith("pipe:") ? "pipe" : target, 1, Integer::sum);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out;
    }

    /** What is new since {@code before}, waiting up to {@code wait} (with GCs) for it to go; empty when nothing. */
    static List<String> since(Snapshot before, Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        List<String> left;
        do {
            System.gc(); // a JDK HttpClient's selector thread ends once its client is unreachable
            left = new ArrayList<>();
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (t.isAlive() && !before.threads().contains(t.getId()) && isTheDeployments(t)) {
                    left.add("thread " + t.getName() + " (" + t.getState() + ")");
                }
            }
            for (ProcessHandle p : ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).toList()) {
                if (!before.children().contains(p.pid())) {
                    left.add("process " + p.pid() + " " + p.info().commandLine().orElse("?"));
                }
            }
            Map<String, Integer> now = descriptors();
            for (var e : now.entrySet()) {
                int was = before.descriptors().getOrDefault(e.getKey(), 0);
                if (e.getValue() > was) {
                    left.add("descriptor " + e.getKey() + " x" + (e.getValue() - was));
                }
            }
            if (left.isEmpty()) {
                return left;
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        if (!left.isEmpty() && System.getProperty("leaks.debug") != null) { // -Dleaks.debug: what is still reachable
            try {
                Object h = java.lang.management.ManagementFactory.getPlatformMBeanServer().invoke(
                        new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                        new Object[]{null}, new String[]{String[].class.getName()});
                Files.writeString(Path.of("target/leak-histogram.txt"), String.valueOf(h));
                StringBuilder sb = new StringBuilder();
                for (var e : Thread.getAllStackTraces().entrySet()) {
                    if (e.getKey().getName().contains("Selector")) {
                        sb.append(e.getKey().getName()).append('\n');
                        for (StackTraceElement el : e.getValue()) {
                            sb.append("  ").append(el).append('\n');
                        }
                    }
                }
                Files.writeString(Path.of("target/leak-threads.txt"), sb.toString());
            } catch (Exception e) {
                e.printStackTrace();
            }
        }
        return left;
    }

    private static boolean isTheDeployments(Thread t) {
        if (t.getName().startsWith("shadowcat-")) {
            return true;
        }
        ClassLoader l = t.getContextClassLoader();
        return l != null && l.getClass().getName().contains("WebAppClassLoader");
    }
}
