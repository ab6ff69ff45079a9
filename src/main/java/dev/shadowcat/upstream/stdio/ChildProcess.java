package dev.shadowcat.upstream.stdio;

import dev.shadowcat.config.UpstreamConfig;
import dev.shadowcat.gateway.GatewayThreads;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One stdio MCP server process and the three threads that own its pipes.
 *
 * <p>Thread-safe. The stdout thread delivers complete lines to the {@link Listener} and, at EOF, reports the
 * end of the process exactly once; the stderr thread copies the child's log lines to the gateway's log and
 * keeps a short tail for error reports.
 *
 * <p>Writing to stdin never blocks a caller on the pipe. A message is written on the caller's thread only when
 * nothing is queued before it and the pipe provably has room: the child's unread bytes are bounded by what was
 * written minus what it has certainly read ({@link #consumedThrough}: it answered a request that ended there),
 * and that bound plus the message stays within {@value #DIRECT_WRITE_BYTES} bytes, less than any pipe holds.
 * Otherwise the message goes to a bounded queue that the stdin thread drains. Writing directly saves a thread
 * wake-up per message, the bulk of a small call's latency on a busy machine.
 */
public final class ChildProcess {
    private static final Logger LOG = Logger.getLogger(ChildProcess.class.getName());
    private static final byte[] CLOSE_STDIN = new byte[0];
    /** What a child inherits from the gateway's environment; anything else must be configured explicitly. */
    private static final List<String> INHERITED_ENV = List.of("HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER",
            "LANG", "LC_ALL", "TMPDIR", "TZ", "SYSTEMROOT", "APPDATA", "USERPROFILE", "NODE_PATH");
    private static final int STDERR_TAIL = 2048;
    /** One page: the least a Linux pipe holds, so a write that keeps the unread bytes within it cannot block. */
    static final int DIRECT_WRITE_BYTES = 4096;

    /** Receives what the child writes. Called on the child's stdout thread. */
    public interface Listener {
        void onLine(byte[] line);

        /** The child can serve no more: stdout ended, or it broke the framing. Called once. */
        void onClosed(Integer exitCode, String reason);
    }

    private final String label;
    private final Process process;
    private final Listener listener;
    private final int maxFrameBytes;
    private final BlockingQueue<byte[]> stdin;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean terminating = new AtomicBoolean();
    private final CompletableFuture<Void> terminated = new CompletableFuture<>();
    private final StringBuilder stderrTail = new StringBuilder(); // guarded by itself
    private final OutputStream pipe;
    private final ReentrantLock stdinLock = new ReentrantLock(); // orders direct writes against the queue
    private long accepted; // guarded by stdinLock: stdin offset after the last message accepted
    private int queued;    // guarded by stdinLock: messages queued or being written by the stdin thread
    private final AtomicLong consumed = new AtomicLong(); // the child has read at least this much of stdin

    private ChildProcess(String label, Process process, Listener listener, int maxFrameBytes, int queue) {
        this.label = label;
        this.process = process;
        this.listener = listener;
        this.maxFrameBytes = maxFrameBytes;
        this.stdin = new ArrayBlockingQueue<>(queue);
        this.pipe = process.getOutputStream();
    }

    /** Starts the configured command. Blocks for the fork/exec, so call it off the request threads. */
    public static ChildProcess start(UpstreamConfig cfg, Listener listener, GatewayThreads threads) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cfg.command());
        Map<String, String> env = pb.environment();
        Map<String, String> parent = Map.copyOf(env);
        env.clear();
        for (String k : INHERITED_ENV) {
            String v = parent.get(k);
            if (v != null) {
                env.put(k, v);
            }
        }
        env.putAll(cfg.env());
        if (cfg.cwd() != null) {
            pb.directory(cfg.cwd().toFile());
        }
        Process p = startWithoutOurLoader(pb);
        ChildProcess c = new ChildProcess(cfg.name() + "#" + p.pid(), p, listener, cfg.maxFrameBytes(), 4096);
        threads.start("stdio-" + c.label + "-out", c::readStdout);
        threads.start("stdio-" + c.label + "-in", c::writeStdin);
        threads.start("stdio-" + c.label + "-err", c::readStderr);
        return c;
    }

    public long pid() {
        return process.pid();
    }

    public String label() {
        return label;
    }

    /** True until stdout ends or the child is being terminated. */
    public boolean isAlive() {
        return !closed.get() && !terminating.get() && process.isAlive();
    }

    /**
     * Writes or queues one message (without its newline). Returns the stdin offset just after it, to be passed to
     * {@link #consumedThrough} once the child answers it, or -1 when the child is gone or its stdin queue is full.
     */
    public long send(byte[] message) {
        if (!isAlive()) {
            return -1;
        }
        long end;
        stdinLock.lock();
        try {
            end = accepted + message.length + 1;
            if (queued == 0 && end - consumed.get() <= DIRECT_WRITE_BYTES) {
                pipe.write(message);
                pipe.write('\n');
                pipe.flush();
            } else if (stdin.offer(message)) {
                queued++;
            } else {
                return -1;
            }
            accepted = end;
        } catch (IOException e) {
            LOG.fine(() -> label + ": stdin closed: " + e.getMessage());
            return -1;
        } finally {
            stdinLock.unlock();
        }
        return end;
    }

    /** The child answered a message that ended at stdin offset {@code offset}, so it has read everything before. */
    public void consumedThrough(long offset) {
        consumed.accumulateAndGet(offset, Math::max);
    }

    /** True once the gateway began ending this process (so its exit is expected, not a fault). */
    public boolean isTerminating() {
        return terminating.get();
    }

    public String stderrTail() {
        synchronized (stderrTail) {
            return stderrTail.toString();
        }
    }

    private void readStdout() {
        String reason = "stdout closed";
        try (InputStream in = new BufferedInputStream(process.getInputStream(), 64 * 1024)) {
            byte[] buf = new byte[8192];
            byte[] line = new byte[8192];
            int len = 0;
            int n;
            outer:
            while ((n = in.read(buf)) > 0) {
                int from = 0;
                for (int i = 0; i < n; i++) {
                    if (buf[i] != '\n') {
                        continue;
                    }
                    int chunk = i - from;
                    if (len + chunk > maxFrameBytes) {
                        reason = "sent a line longer than maxFrameBytes (" + maxFrameBytes + ")";
                        break outer;
                    }
                    line = ensure(line, len + chunk);
                    System.arraycopy(buf, from, line, len, chunk);
                    len += chunk;
                    deliver(line, len);
                    len = 0;
                    from = i + 1;
                }
                int rest = n - from;
                if (len + rest > maxFrameBytes) {
                    reason = "sent a line longer than maxFrameBytes (" + maxFrameBytes + ")";
                    break;
                }
                line = ensure(line, len + rest);
                System.arraycopy(buf, from, line, len, rest);
                len += rest;
            }
        } catch (IOException e) {
            reason = "stdout failed: " + e.getMessage();
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, label + ": listener failed", e);
            reason = "internal error: " + e;
        }
        finish(reason);
    }

    private void deliver(byte[] line, int len) {
        if (len > 0 && line[len - 1] == '\r') {
            len--;
        }
        if (len == 0) {
            return;
        }
        byte[] msg = new byte[len];
        System.arraycopy(line, 0, msg, 0, len);
        listener.onLine(msg);
    }

    private static byte[] ensure(byte[] b, int need) {
        if (need <= b.length) {
            return b;
        }
        return java.util.Arrays.copyOf(b, Math.max(need, b.length * 2));
    }

    private void finish(String reason) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        Integer code = null;
        try {
            // stdout closes as the process exits; the exit code follows once the JDK's reaper has seen it, which
            // on a loaded machine took more than 200 ms (the client then got "stdout closed" without the code)
            if (process.waitFor(1000, TimeUnit.MILLISECONDS)) {
                code = process.exitValue();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        stdin.clear();
        stdin.offer(CLOSE_STDIN);
        try {
            listener.onClosed(code, code != null ? "exited with code " + code : reason);
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, label + ": close listener failed", e);
        }
    }

    private void writeStdin() {
        try (OutputStream out = pipe) {
            while (true) {
                byte[] msg = stdin.take();
                int n = 0;
                while (msg != null && msg != CLOSE_STDIN) {
                    out.write(msg);
                    out.write('\n');
                    n++;
                    msg = stdin.poll();
                }
                out.flush();
                stdinLock.lock();
                try {
                    queued -= n;
                } finally {
                    stdinLock.unlock();
                }
                if (msg == CLOSE_STDIN) {
                    return;
                }
            }
        } catch (IOException e) {
            LOG.fine(() -> label + ": stdin closed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void readStderr() {
        try (InputStream in = process.getErrorStream()) {
            byte[] buf = new byte[4096];
            StringBuilder line = new StringBuilder();
            int n;
            while ((n = in.read(buf)) > 0) {
                String s = new String(buf, 0, n, StandardCharsets.UTF_8);
                synchronized (stderrTail) {
                    stderrTail.append(s);
                    if (stderrTail.length() > STDERR_TAIL) {
                        stderrTail.delete(0, stderrTail.length() - STDERR_TAIL);
                    }
                }
                for (int i = 0; i < s.length(); i++) {
                    char c = s.charAt(i);
                    if (c == '\n') {
                        String l = line.toString();
                        LOG.info(() -> "[" + label + "] " + l);
                        line.setLength(0);
                    } else if (line.length() < 4096) {
                        line.append(c);
                    }
                }
            }
        } catch (IOException e) {
            // the process is gone
        }
    }

    /**
     * Ends the process tree: close stdin, wait; SIGTERM the tree, wait; SIGKILL what is left.
     * Idempotent; never blocks the caller. The future completes when every process in the tree has exited.
     */
    public CompletableFuture<Void> terminate(java.time.Duration grace, ScheduledExecutorService scheduler) {
        return terminate(grace, scheduler, Runnable::run);
    }

    /**
     * As {@link #terminate(java.time.Duration, ScheduledExecutorService)}, with the first step on {@code work}: listing
     * the process tree reads all of /proc, which must not happen on the caller's (a Jetty) thread. The tree is listed
     * before stdin closes, since a child whose parent exited can no longer be found as its descendant.
     */
    public CompletableFuture<Void> terminate(java.time.Duration grace, ScheduledExecutorService scheduler,
                                             java.util.concurrent.Executor work) {
        if (!terminating.compareAndSet(false, true)) {
            return terminated;
        }
        try {
            work.execute(() -> beginTermination(grace, scheduler));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            beginTermination(grace, scheduler); // the executor is stopping: do it here
        }
        return terminated;
    }

    private void beginTermination(java.time.Duration grace, ScheduledExecutorService scheduler) {
        List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
        stdin.clear();
        stdin.offer(CLOSE_STDIN);
        long g = Math.max(1, grace.toMillis());
        whenExited(g, scheduler).thenAccept(exited -> {
            if (exited) {
                killTree(tree, false);
                awaitTree(tree, g, scheduler);
                return;
            }
            addDescendants(tree);
            killTree(tree, false);
            process.destroy();
            whenExited(g, scheduler).thenAccept(exited2 -> {
                if (!exited2) {
                    LOG.warning(() -> label + " ignored SIGTERM for " + g + " ms; sending SIGKILL");
                }
                addDescendants(tree);
                killTree(tree, true);
                process.destroyForcibly();
                awaitTree(tree, g, scheduler);
            });
        });
    }

    private void addDescendants(List<ProcessHandle> tree) {
        if (process.isAlive()) {
            for (ProcessHandle h : process.descendants().toList()) {
                if (!tree.contains(h)) {
                    tree.add(h);
                }
            }
        }
    }

    private static void killTree(List<ProcessHandle> tree, boolean force) {
        for (ProcessHandle h : tree) {
            if (h.isAlive()) {
                if (force) {
                    h.destroyForcibly();
                } else {
                    h.destroy();
                }
            }
        }
    }

    /** Completes {@link #terminated} once the root and the tree are gone, SIGKILLing stragglers after a grace. */
    private void awaitTree(List<ProcessHandle> tree, long graceMs, ScheduledExecutorService scheduler) {
        List<CompletableFuture<ProcessHandle>> exits = new ArrayList<>();
        exits.add(process.toHandle().onExit());
        for (ProcessHandle h : tree) {
            exits.add(h.onExit());
        }
        CompletableFuture<Void> all = CompletableFuture.allOf(exits.toArray(CompletableFuture[]::new));
        later(scheduler, graceMs, () -> {
            if (!all.isDone()) {
                process.destroyForcibly();
                killTree(tree, true);
            }
        });
        all.whenComplete((v, e) -> terminated.complete(null));
    }

    /** Completes with true when the root exits within {@code ms}, false otherwise. */
    private CompletableFuture<Boolean> whenExited(long ms, ScheduledExecutorService scheduler) {
        CompletableFuture<Boolean> f = new CompletableFuture<>();
        process.onExit().thenRun(() -> f.complete(true));
        later(scheduler, ms, () -> f.complete(false));
        return f;
    }

    /** Runs {@code r} after {@code ms}; at once if the scheduler is already stopped (late shutdown paths). */
    private static void later(ScheduledExecutorService scheduler, long ms, Runnable r) {
        try {
            scheduler.schedule(r, ms, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            r.run();
        }
    }

    public CompletableFuture<Void> terminated() {
        return terminated;
    }

    @Override
    public String toString() {
        return "ChildProcess{" + label + (isAlive() ? " alive" : " dead") + "}";
    }

    /**
     * Starts the process with no context class loader on this thread: the JDK's shared "process reaper" thread that
     * the start may create inherits it, and would keep the web application's class loader reachable for a minute
     * after an undeploy.
     */
    private static Process startWithoutOurLoader(ProcessBuilder pb) throws java.io.IOException {
        Thread me = Thread.currentThread();
        ClassLoader ours = me.getContextClassLoader();
        me.setContextClassLoader(null);
        try {
            return pb.start();
        } finally {
            me.setContextClassLoader(ours);
        }
    }
}
