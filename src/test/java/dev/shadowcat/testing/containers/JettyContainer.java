package dev.shadowcat.testing.containers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The standalone jetty-home 12 distribution with a jetty base of its own: either a copy of the project's
 * {@code jetty-config/} (the WAR deployed by its context XML), or a plain base made with {@code --add-modules} of
 * exactly the modules README names (the WAR dropped into webapps/ as ROOT.war). The deployer scans every second.
 */
public final class JettyContainer extends ServletContainer {
    private final Path home;
    private final boolean shippedConfig;
    private Path war;

    private JettyContainer(Path home, Path base, boolean shippedConfig) throws IOException {
        super(base);
        this.home = home.toAbsolutePath();
        this.shippedConfig = shippedConfig;
        if (!Files.isRegularFile(this.home.resolve("start.jar"))) {
            throw new IllegalStateException("no jetty-home at " + this.home + " (the build unpacks it in pre-integration-test)");
        }
    }

    /** A copy of jetty-config/, without its context XML (deploying copies it in). */
    public static JettyContainer withShippedConfig(Path home, Path base) throws IOException {
        JettyContainer c = new JettyContainer(home, base, true);
        copyTree(Path.of("jetty-config").toAbsolutePath(), c.base);
        Files.delete(c.base.resolve("webapps/shadowcat.xml"));
        return c;
    }

    /** A new base with only {@code modules} added, as README's "plain jetty base" set-up makes it. */
    public static JettyContainer plain(Path home, Path base, List<String> modules) throws Exception {
        JettyContainer c = new JettyContainer(home, base, false);
        Process p = new ProcessBuilder(javaBinary(), "-jar", c.home.resolve("start.jar").toString(), "jetty.home=" + c.home,
                "jetty.base=" + c.base, "--add-modules=" + String.join(",", modules))
                .redirectErrorStream(true).redirectOutput(c.base.resolve("add-modules.log").toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException("--add-modules failed: " + Files.readString(c.base.resolve("add-modules.log")));
        }
        Files.createDirectories(c.base.resolve("webapps"));
        return c;
    }

    @Override
    public String name() {
        return shippedConfig ? "jetty-home with jetty-config" : "jetty-home, plain base";
    }

    @Override
    protected ProcessBuilder command(List<String> jvmOptions) {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaBinary());
        cmd.addAll(jvmOptions);
        if (war != null) {
            cmd.add("-Dshadowcat.war=" + war);
        }
        cmd.addAll(List.of("-jar", home.resolve("start.jar").toString(), "jetty.home=" + home, "jetty.base=" + base,
                "jetty.http.host=127.0.0.1", "jetty.http.port=" + port, "jetty.deploy.scanInterval=1"));
        return new ProcessBuilder(cmd).directory(base.toFile());
    }

    /** jetty-config's context XML takes the WAR's path from -Dshadowcat.war, given at start. */
    public JettyContainer war(Path war) {
        this.war = war.toAbsolutePath();
        return this;
    }

    @Override
    protected Path deployedWar() {
        return shippedConfig ? base.resolve("webapps/shadowcat.xml") : base.resolve("webapps/ROOT.war");
    }

    @Override
    protected void install(Path warFile) throws IOException {
        if (!shippedConfig) {
            super.install(warFile);
            return;
        }
        Path tmp = base.resolve("webapps/.shadowcat.xml.tmp");
        Files.writeString(tmp, Files.readString(Path.of("jetty-config/webapps/shadowcat.xml"), StandardCharsets.UTF_8));
        Files.move(tmp, deployedWar(), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
}
