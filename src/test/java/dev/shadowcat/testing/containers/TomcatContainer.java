package dev.shadowcat.testing.containers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Tomcat from its distribution zip (unpacked by the build), with a CATALINA_BASE of its own: the distribution's
 * conf/ with the HTTP connector on loopback and a free port, no shutdown port, and the deployer checking webapps/
 * every second. The WAR goes in as webapps/ROOT.war (context "/"); the configuration comes from
 * {@code -Dshadowcat.config} in CATALINA_OPTS.
 */
public final class TomcatContainer extends ServletContainer {
    private final Path home;
    private final String version;

    public TomcatContainer(Path home, Path base) throws IOException {
        super(base);
        this.home = home.toAbsolutePath();
        this.version = home.getFileName().toString().replace("apache-tomcat-", "");
        if (!Files.isRegularFile(this.home.resolve("bin/catalina.sh"))) {
            throw new IllegalStateException("no Tomcat at " + this.home + " (the build unpacks it in pre-integration-test)");
        }
        copyTree(this.home.resolve("conf"), this.base.resolve("conf"));
        for (String d : List.of("logs", "temp", "webapps", "work")) {
            Files.createDirectories(this.base.resolve(d));
        }
        Path serverXml = this.base.resolve("conf/server.xml");
        String xml = Files.readString(serverXml)
                .replace("<Server port=\"8005\"", "<Server port=\"-1\"")
                .replace("<Connector port=\"8080\"", "<Connector address=\"127.0.0.1\" port=\"" + port + "\"")
                .replace("<Engine name=\"Catalina\" defaultHost=\"localhost\">",
                        "<Engine name=\"Catalina\" defaultHost=\"localhost\" backgroundProcessorDelay=\"1\">");
        if (!xml.contains("port=\"" + port + "\"") || !xml.contains("backgroundProcessorDelay")) {
            throw new IllegalStateException("unexpected server.xml in " + this.home);
        }
        Files.writeString(serverXml, xml);
    }

    @Override
    public String name() {
        return "Tomcat " + version;
    }

    @Override
    protected ProcessBuilder command(List<String> jvmOptions) {
        ProcessBuilder pb = new ProcessBuilder("sh", home.resolve("bin/catalina.sh").toString(), "run");
        pb.environment().put("CATALINA_HOME", home.toString());
        pb.environment().put("CATALINA_BASE", base.toString());
        pb.environment().put("CATALINA_OPTS", String.join(" ", jvmOptions));
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().remove("JAVA_OPTS");
        return pb;
    }

    @Override
    protected Path deployedWar() {
        return base.resolve("webapps/ROOT.war");
    }
}
