package dev.shadowcat.it;

import dev.shadowcat.testing.containers.JettyContainer;
import dev.shadowcat.testing.containers.ServletContainer;
import dev.shadowcat.testing.containers.TomcatContainer;
import org.junit.jupiter.params.ParameterizedTest;

import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One WAR, proven on the containers it claims: Tomcat 10.1 and 11, the jetty-home distribution with the shipped
 * jetty-config/, and a plain jetty base with only the modules README names, each from its distribution in the local
 * Maven repository. For each: hot deploy; a full MCP client scenario (the TypeScript SDK over Streamable HTTP with
 * server→client requests, and over legacy SSE); a hot undeploy while an event stream is open (the stream ends; no
 * child process, no MBean, no gateway thread, no leak warning in the container's log); then ten redeploys in a row,
 * after which threads, loaded classes and heap are back at their level (no class-loader leak).
 */
class ContainersIT {
    private static final Path WORK = Path.of("target/containers-it").toAbsolutePath();
    private static final Pattern LEAK = Pattern.compile(
            "(?i)memory leak|appears to have started a thread|created a ThreadLocal|failed to (stop|unregister)");
    private static final int REDEPLOYS = 10;

    private static ServletContainer container(String which) throws Exception {
        Path jettyHome = Path.of(System.getProperty("jetty.home", "target/jetty-home-12.1.12"));
        return switch (which) {
            case "tomcat-10.1" -> new TomcatContainer(Path.of(System.getProperty("tomcat10.home", "target/apache-tomcat-10.1.59")),
                    WORK.resolve(which));
            case "tomcat-11" -> new TomcatContainer(Path.of(System.getProperty("tomcat11.home", "target/apache-tomcat-11.0.24")),
                    WORK.resolve(which));
            case "jetty-config" -> JettyContainer.withShippedConfig(jettyHome, WORK.resolve(which)).war(BuiltWar.path());
            // exactly the modules README's "Run it in a container" names for a plain base
            case "jetty-plain" -> JettyContainer.plain(jettyHome, WORK.resolve(which),
                    List.of("http", "ee10-deploy", "ee10-annotations", "ee10-cdi"));
            default -> throw new IllegalArgumentException(which);
        };
    }

    private record Level(int threads, long classes, long heapBytes) {
    }

    private static Level level(MBeanServerConnection mb) throws Exception {
        MemoryMXBean memory = ManagementFactory.newPlatformMXBeanProxy(mb, ManagementFactory.MEMORY_MXBEAN_NAME, MemoryMXBean.class);
        for (int i = 0; i < 3; i++) {
            memory.gc();
            Thread.sleep(200);
        }
        ThreadMXBean threads = ManagementFactory.newPlatformMXBeanProxy(mb, ManagementFactory.THREAD_MXBEAN_NAME, ThreadMXBean.class);
        long classes = (Integer) mb.getAttribute(new ObjectName(ManagementFactory.CLASS_LOADING_MXBEAN_NAME), "LoadedClassCount");
        return new Level(threads.getThreadCount(), classes, memory.getHeapMemoryUsage().getUsed());
    }

    private static List<String> gatewayThreads(MBeanServerConnection mb) throws Exception {
        ThreadMXBean threads = ManagementFactory.newPlatformMXBeanProxy(mb, ManagementFactory.THREAD_MXBEAN_NAME, ThreadMXBean.class);
        return Arrays.stream(threads.getThreadInfo(threads.getAllThreadIds())).filter(java.util.Objects::nonNull)
                .map(ThreadInfo::getThreadName).filter(n -> n.startsWith("shadowcat-")).toList();
    }

    private static <T> T eventually(java.util.concurrent.Callable<T> what, java.util.function.Predicate<T> done, Duration limit)
            throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        T v = what.call();
        while (!done.test(v) && System.nanoTime() < deadline) {
            Thread.sleep(100);
            v = what.call();
        }
        return v;
    }

    @org.junit.jupiter.api.Test
    void aJettyBaseWithoutAnnotationScanning_failsTheDeploymentSayingWhy() throws Exception {
        Files.createDirectories(WORK);
        Path config = WORK.resolve("no-annotations.json");
        Files.writeString(config, "{ \"upstreams\": { \"x\": { \"command\": [\"true\"] } } }");
        Path jettyHome = Path.of(System.getProperty("jetty.home", "target/jetty-home-12.1.12"));
        try (ServletContainer c = JettyContainer.plain(jettyHome, WORK.resolve("jetty-no-annotations"), List.of("http", "ee10-deploy"))) {
            c.start(config);
            Files.copy(BuiltWar.path(), WORK.resolve("jetty-no-annotations/webapps/ROOT.war"));
            String log = eventually(c::logText, l -> l.contains("did not scan the WAR's annotations"), Duration.ofSeconds(60));
            assertTrue(log.contains("enable the ee10-annotations and ee10-cdi modules"), log);
        }
    }

    /** All four; {@code -Dcontainers=tomcat-11,jetty-plain} runs some. */
    static List<String> containers() {
        return List.of(System.getProperty("containers", "tomcat-10.1,tomcat-11,jetty-config,jetty-plain").split(","));
    }

    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.MethodSource("containers")
    void deploysServesUndeploysAndRedeploys_leavingNothingBehind(String which) throws Exception {
        Files.createDirectories(WORK);
        Path config = WORK.resolve(which + ".json");
        String demo = "[\"${java}\", \"-XX:TieredStopAtLevel=1\", \"-cp\", \"${webapp.classpath}\", \"dev.shadowcat.demo.DemoMcpServer\"]";
        Files.writeString(config, """
                { "upstreams": { "demo": { "command": %s, "mode": "shared", "pool": { "maxSize": 2, "minIdle": 1 } } },
                  "server": { "shutdownTimeoutSeconds": 2 } }
                """.formatted(demo));
        try (ServletContainer c = container(which)) {
            c.start(config);
            MBeanServerConnection mb = c.mbeans();
            Level empty = level(mb);
            Duration firstDeploy = c.deploy(BuiltWar.path());
            URI base = c.base();
            Level deployed = level(mb);

            Node.Result streamable = Node.run("mcp-scenarios.mjs", "--url", base.resolve("mcp/demo").toString(), "--server", "demo");
            assertEquals(0, streamable.exit(), c.name() + ": Streamable HTTP scenarios\n" + streamable);
            Node.Result legacy = Node.run("legacy-client.mjs", "--url", base.resolve("sse/demo").toString());
            assertEquals(0, legacy.exit(), c.name() + ": legacy SSE\n" + legacy);
            assertTrue(mb.queryNames(new ObjectName("dev.shadowcat:type=Gateway,*"), null).size() == 1,
                    "the gateway's MBean is in the container's MBean server");
            assertFalse(c.process().descendants().toList().isEmpty(), "the demo server runs as the container's child");

            // hot undeploy while a client holds an event stream open
            RawMcp s = new RawMcp(base.resolve("mcp/demo")).open();
            HttpResponse<InputStream> stream = RawMcp.HTTP.send(s.request(Map.of("Accept", "text/event-stream")).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, stream.statusCode());
            CompletableFuture<Void> ended = CompletableFuture.runAsync(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
                    while (r.readLine() != null) {
                        // keep-alives until the context goes
                    }
                } catch (java.io.IOException closed) {
                    // a reset is an end too
                }
            });
            c.undeploy();
            ended.get(20, TimeUnit.SECONDS);
            List<ProcessHandle> left = eventually(() -> c.process().descendants().filter(ProcessHandle::isAlive).toList(),
                    List::isEmpty, Duration.ofSeconds(10));
            assertEquals(List.of(), left.stream().map(p -> p.info().commandLine().orElse("?")).toList(),
                    c.name() + ": child processes left after the undeploy");
            assertEquals(java.util.Set.of(), mb.queryNames(new ObjectName("dev.shadowcat:*"), null), "MBeans left");
            assertEquals(List.of(), eventually(() -> gatewayThreads(mb), List::isEmpty, Duration.ofSeconds(10)), "threads left");

            Level baseline = level(mb);
            List<Duration> times = new ArrayList<>();
            for (int i = 0; i < REDEPLOYS; i++) {
                times.add(c.deploy(BuiltWar.path()));
                RawMcp x = new RawMcp(base.resolve("mcp/demo")).open();
                assertEquals("Echo: " + i, RawMcp.text(x.post(RawMcp.call(2, "echo", "{\"message\":\"" + i + "\"}")).body()));
                c.undeploy();
            }
            assertEquals(List.of(), eventually(() -> gatewayThreads(mb), List::isEmpty, Duration.ofSeconds(10)), "threads left");
            Level after = level(mb);
            long perDeploy = deployed.classes() - empty.classes();
            String summary = c.name() + ": first deploy " + firstDeploy.toMillis() + " ms, redeploys " + times.stream()
                    .map(d -> Long.toString(d.toMillis())).toList() + " ms; classes empty/deployed/baseline/after "
                    + empty.classes() + "/" + deployed.classes() + "/" + baseline.classes() + "/" + after.classes()
                    + "; threads " + baseline.threads() + "→" + after.threads() + "; heap MB " + baseline.heapBytes() / 1048576
                    + "→" + after.heapBytes() / 1048576;
            System.out.println(summary);
            assertTrue(after.threads() <= baseline.threads() + 3, "threads grew: " + summary);
            assertTrue(after.classes() - baseline.classes() < perDeploy, "classes of old deployments stay loaded: " + summary);
            assertTrue(after.heapBytes() - baseline.heapBytes() < 64L * 1024 * 1024, "heap grew: " + summary);

            List<String> warnings = c.logText().lines().filter(l -> LEAK.matcher(l).find()).distinct().toList();
            assertTrue(warnings.isEmpty(), c.name() + " reported " + warnings.size() + " leaks, the first: "
                    + warnings.stream().limit(3).map(w -> w.length() > 400 ? w.substring(0, 400) + "…" : w).toList());
            assertFalse(c.logText().contains("did not scan the WAR's annotations"), "the deployment check did not fire");
        }
    }
}
