package dev.shadowcat.it;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs a script of src/test/node with Node.js, bounded in time, and captures its output. */
final class Node {
    record Result(int exit, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit=" + exit + "\nstdout=" + stdout + "\nstderr=" + stderr;
        }
    }

    private Node() {
    }

    static Result run(String script, String... args) throws Exception {
        return run(java.util.Map.of(), script, args);
    }

    /** As {@link #run(String, String...)}, with {@code env} added to the environment (secrets: never on the command line). */
    static Result run(java.util.Map<String, String> env, String script, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("node", script));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(new File("src/test/node"));
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
            return new Result(-1, out.getNow(""), "timed out after 90 s; " + err.getNow(""));
        }
        return new Result(p.exitValue(), out.get(10, TimeUnit.SECONDS), err.get(10, TimeUnit.SECONDS));
    }

    private static String read(java.io.InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            return "";
        }
    }
}
