package dev.shadowcat.serve;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Jetty is a provided dependency so that {@code java -jar shadowcat.war serve} can start it; only
 * {@code dev.shadowcat.serve} (kept in WEB-INF/serve/, out of the webapp's class path) may use it. Any other class
 * naming a Jetty type would fail on Tomcat and every other container with NoClassDefFoundError.
 */
class NoJettyInTheWebappTest {
    @Test
    void onlyTheServePackageNamesJetty() throws IOException {
        Path classes = Path.of("target/classes/dev/shadowcat");
        List<String> offenders;
        try (Stream<Path> all = Files.walk(classes)) {
            offenders = all.filter(p -> p.toString().endsWith(".class"))
                    .filter(p -> !p.startsWith(classes.resolve("serve")))
                    .filter(p -> {
                        try {
                            return new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1).contains("org/eclipse/jetty");
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    })
                    .map(Path::toString).toList();
        }
        assertEquals(List.of(), offenders, "classes of the webapp that name Jetty");
        assertFalse(!new String(Files.readAllBytes(classes.resolve("serve/Serve.class")), StandardCharsets.ISO_8859_1)
                .contains("org/eclipse/jetty"), "the check finds Jetty where it is");
    }
}
