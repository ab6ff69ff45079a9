package dev.shadowcat.audit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Audit lines written by one thread of their own to a {@link RotatingFile}, so that no request ever waits for a
 * disk. Thread-safe: any thread may {@link #offer} a line. The queue is bounded; when it is full the line is
 * dropped and counted ({@link #dropped()}), and the next line written says how many were lost.
 *
 * <p>The writer drains the queue in batches and then sleeps {@link #BATCH_MILLIS} instead of waiting on the queue:
 * a waiting writer would be woken by every single line, one context switch per call on a busy gateway. A line
 * reaches the file at most that long after its call ended.
 */
public final class AuditLog implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(AuditLog.class.getName());
    static final long BATCH_MILLIS = 20;
    private static final int BATCH_LINES = 1024;

    private final ArrayBlockingQueue<String> queue;
    private final RotatingFile file;
    private final Thread writer;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    private volatile boolean closing;

    /** {@code threads} starts the writer thread: (name, task) → started thread. */
    public AuditLog(Path path, long maxFileBytes, int maxFiles, int queueLines,
                    BiFunction<String, Runnable, Thread> threads) throws IOException {
        this.queue = new ArrayBlockingQueue<>(queueLines);
        this.file = new RotatingFile(path, maxFileBytes, maxFiles);
        this.writer = threads.apply("audit", this::run);
    }

    /** Queues a line (without its newline); false when it was dropped. */
    public boolean offer(String line) {
        if (closing || !queue.offer(line)) {
            dropped.incrementAndGet();
            return false;
        }
        return true;
    }

    public long dropped() {
        return dropped.get();
    }

    public long written() {
        return written.get();
    }

    private void run() {
        long reportedDrops = 0;
        java.util.List<String> batch = new java.util.ArrayList<>(BATCH_LINES);
        try {
            while (true) {
                boolean last = closing; // read before draining: what was queued before close() is written
                queue.drainTo(batch, BATCH_LINES);
                if (batch.isEmpty()) {
                    if (last) {
                        return;
                    }
                    if (Thread.interrupted()) {
                        throw new InterruptedException();
                    }
                    java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(BATCH_MILLIS));
                    continue;
                }
                long d = dropped.get();
                if (d > reportedDrops) {
                    write("{\"audit\":\"dropped\",\"lines\":" + (d - reportedDrops) + "}");
                    reportedDrops = d;
                }
                for (String line : batch) {
                    write(line);
                }
                batch.clear();
                file.flush();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            LOG.log(Level.SEVERE, "audit log: cannot write; audit lines are dropped from now on", e);
            closing = true;
        } finally {
            try {
                file.close();
            } catch (IOException e) {
                LOG.log(Level.WARNING, "audit log: close failed", e);
            }
        }
    }

    private void write(String line) throws IOException {
        file.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        written.incrementAndGet();
    }

    /** Writes what is queued, then stops the writer; waits up to two seconds. Idempotent. */
    @Override
    public void close() {
        closing = true;
        java.util.concurrent.locks.LockSupport.unpark(writer);
        try {
            writer.join(2000);
            if (writer.isAlive()) {
                LOG.warning("audit log: the writer did not finish within 2 s; " + queue.size() + " lines not written");
                writer.interrupt();
                writer.join(500);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
