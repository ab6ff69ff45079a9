package dev.shadowcat.boot;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Makes the WAR runnable: {@code java -jar shadowcat.war forward --url …}. This class sits at the root of the
 * WAR (outside WEB-INF, where a servlet container never looks) and uses only the JDK: it unpacks WEB-INF/classes
 * and WEB-INF/lib once into a cache folder named after the WAR's size and date, and runs the command from a
 * class loader over them. A servlet container deploying the same file ignores all of this.
 */
public final class WarLauncher {
    private static final String USAGE = """
            usage: java -jar shadowcat.war serve [--config FILE] [--port N] [--host H]   (the gateway on an embedded Jetty 12)
                   java -jar shadowcat.war forward --url URL [options]   (stdio to a remote MCP server; 'forward --help')
            Or deploy this WAR to Jetty 12 (see jetty-config/), Tomcat 10.1/11 or any Jakarta EE 10 server.""";

    private WarLauncher() {
    }

    public static void main(String[] args) throws Exception {
        JvmDefaults.apply();
        if (args.length == 0 || !("forward".equals(args[0]) || "serve".equals(args[0]))) {
            System.err.println(USAGE);
            System.exit(2);
        }
        Path war = Path.of(WarLauncher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path dir = unpack(war);
        boolean serve = "serve".equals(args[0]);
        // serve: the embedded Jetty alone (the application's own classes come from the WAR, through Jetty's webapp
        // class loader, as in any container); forward: the application's classes, without a servlet container
        String classes = serve ? "WEB-INF/serve/classes/" : "WEB-INF/classes/";
        String lib = serve ? "WEB-INF/serve/lib" : "WEB-INF/lib";
        List<URL> urls = new ArrayList<>();
        urls.add(dir.resolve(classes).toUri().toURL());
        try (var libs = Files.list(dir.resolve(lib))) {
            for (Path jar : libs.filter(p -> p.toString().endsWith(".jar")).sorted().toList()) {
                urls.add(jar.toUri().toURL());
            }
        }
        ClassLoader parent = ClassLoader.getPlatformClassLoader(); // not the WAR itself: no class is seen twice
        URLClassLoader loader = new URLClassLoader("shadowcat", urls.toArray(URL[]::new), parent);
        Thread.currentThread().setContextClassLoader(loader);
        String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
        if (serve) {
            System.setProperty("shadowcat.serve.war", war.toString());
        }
        Method main = loader.loadClass(serve ? "dev.shadowcat.serve.Serve" : "dev.shadowcat.cli.Forward")
                .getMethod("main", String[].class);
        main.invoke(null, (Object) rest);
    }

    private static Path unpack(Path war) throws IOException {
        String key = Files.size(war) + "-" + Files.getLastModifiedTime(war).toMillis();
        Path base = Path.of(System.getProperty("java.io.tmpdir"), "shadowcat-" + System.getProperty("user.name", "user"));
        Path dir = base.resolve(key);
        if (Files.isRegularFile(dir.resolve(".complete"))) {
            return dir;
        }
        Path tmp = Files.createDirectories(base).resolve(key + ".tmp-" + ProcessHandle.current().pid());
        try (ZipFile zip = new ZipFile(war.toFile())) {
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry e = entries.nextElement();
                if (!e.getName().startsWith("WEB-INF/classes/") && !e.getName().startsWith("WEB-INF/lib/")
                        && !e.getName().startsWith("WEB-INF/serve/")) {
                    continue;
                }
                Path target = tmp.resolve(e.getName()).normalize();
                if (!target.startsWith(tmp)) {
                    throw new IOException("unsafe entry in the WAR: " + e.getName());
                }
                if (e.isDirectory()) {
                    Files.createDirectories(target);
                    continue;
                }
                Files.createDirectories(target.getParent());
                try (InputStream in = zip.getInputStream(e)) {
                    Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        Files.writeString(tmp.resolve(".complete"), key);
        try {
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException raced) {
            // another launcher unpacked the same WAR first; use its copy
            if (!Files.isRegularFile(dir.resolve(".complete"))) {
                throw raced;
            }
        }
        return dir;
    }
}
