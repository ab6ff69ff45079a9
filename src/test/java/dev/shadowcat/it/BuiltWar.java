package dev.shadowcat.it;

import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.importer.ZipImporter;
import org.jboss.shrinkwrap.api.spec.WebArchive;

import java.nio.file.Path;

/** The WAR the build produced ({@code -Dshadowcat.war}, set by failsafe), as every integration test deploys it. */
final class BuiltWar {
    private BuiltWar() {
    }

    static Path path() {
        return Path.of(System.getProperty("shadowcat.war", "target/shadowcat.war")).toAbsolutePath();
    }

    /** Deploys {@code deployment} with {@code configJson} as its configuration (a temporary file, removed at exit). */
    static Path deploy(org.jboss.arquillian.container.test.api.Deployer deployer, String deployment, String configJson)
            throws java.io.IOException {
        Path cfg = java.nio.file.Files.createTempFile("shadowcat-" + deployment, ".json");
        cfg.toFile().deleteOnExit();
        java.nio.file.Files.writeString(cfg, configJson);
        System.setProperty("shadowcat.config", cfg.toString());
        try {
            deployer.deploy(deployment);
        } finally {
            System.clearProperty("shadowcat.config");
        }
        return cfg;
    }

    /** The built WAR as an Arquillian deployment; a test may add classes to it. */
    static WebArchive archive() {
        return ShrinkWrap.create(ZipImporter.class, "shadowcat.war").importFrom(path().toFile()).as(WebArchive.class);
    }
}
