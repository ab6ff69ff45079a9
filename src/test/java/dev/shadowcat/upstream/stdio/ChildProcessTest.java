package dev.shadowcat.upstream.stdio;

import dev.shadowcat.config.PoolSettings;
import dev.shadowcat.config.UpstreamConfig;
import dev.shadowcat.gateway.GatewayThreads;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link ChildProcess}'s stdin against real processes: messages written on the caller's thread and messages queued
 * for the stdin thread keep each sender's order, and a child that stops reading never blocks a sender.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ChildProcessTest {
    private final GatewayThreads threads = new GatewayThreads();
    private final ScheduledThreadPoolExecutor housekeeper = threads.newHousekeeper();
    private final List<ChildProcess> children = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        List<CompletableFuture<Void>> ends = new ArrayList<>();
        for (ChildProcess c : children) {
            ends.add(c.terminate(Duration.ofMillis(500), housekeeper));
        }
        CompletableFuture.allOf(ends.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
        housekeeper.shutdownNow();
        assertTrue(housekeeper.awaitTermination(5, TimeUnit.SECONDS));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (threads.liveCount() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(0, threads.liveCount(), "stdio threads left: " + threads.live());
    }

    /** `cat` echoes every line; acknowledging what came back keeps the direct path open, so both paths mix. */
    @Test
    void concurrentSenders_everyLineArrivesInEachSendersOrder() throws Exception {
        int senders = 4;
        int perSender = 1000; // 4,000 messages: fewer than the stdin queue holds, so none can be refused
        Map<Integer, Integer> lastSeen = new ConcurrentHashMap<>();
        List<String> disorder = new ArrayList<>();
        CountDownLatch all = new CountDownLatch(senders * perSender);
        AtomicLong echoed = new AtomicLong();
        ChildProcess[] self = new ChildProcess[1];
        ChildProcess child = start(List.of("cat"), new ChildProcess.Listener() {
            @Override
            public void onLine(byte[] line) {
                String s = new String(line, StandardCharsets.UTF_8);
                int sender = Integer.parseInt(s.substring(1, s.indexOf('-')));
                int seq = Integer.parseInt(s.substring(s.indexOf('-') + 1, s.indexOf(' ')));
                Integer prev = lastSeen.put(sender, seq);
                if (prev != null && prev + 1 != seq) {
                    synchronized (disorder) {
                        disorder.add(s.substring(0, s.indexOf(' ')) + " after " + prev);
                    }
                }
                // cat answers in order: what came back is what it has read
                self[0].consumedThrough(echoed.addAndGet(line.length + 1));
                all.countDown();
            }

            @Override
            public void onClosed(Integer exitCode, String reason) {
            }
        });
        self[0] = child;
        String pad = "x".repeat(150);
        List<Thread> ts = new ArrayList<>();
        List<String> refused = new ArrayList<>();
        for (int t = 0; t < senders; t++) {
            int sender = t;
            ts.add(new Thread(() -> {
                for (int i = 0; i < perSender; i++) {
                    byte[] m = ("s" + sender + "-" + i + " " + pad).getBytes(StandardCharsets.UTF_8);
                    if (child.send(m) < 0) {
                        synchronized (refused) {
                            refused.add("s" + sender + "-" + i);
                        }
                        return;
                    }
                }
            }));
        }
        ts.forEach(Thread::start);
        for (Thread t : ts) {
            t.join(TimeUnit.SECONDS.toMillis(30));
        }
        assertEquals(List.of(), refused);
        assertTrue(all.await(30, TimeUnit.SECONDS), "lines missing: " + all.getCount());
        assertEquals(List.of(), disorder);
    }

    /** A child that never reads: senders get a refusal once the queue is full, never a thread stuck in a pipe write. */
    @Test
    void childThatStopsReading_neverBlocksASender() throws Exception {
        ChildProcess child = start(List.of("sleep", "60"), new ChildProcess.Listener() {
            @Override
            public void onLine(byte[] line) {
            }

            @Override
            public void onClosed(Integer exitCode, String reason) {
            }
        });
        byte[] m = ("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"data\":\"" + "y".repeat(1000)
                + "\"}}").getBytes(StandardCharsets.UTF_8);
        int accepted = 0;
        long lastEnd = 0;
        // 64 KB fill the pipe, 4096 fill the queue: far fewer than 10,000 sends must be refused, and none may hang
        for (int i = 0; i < 10_000; i++) {
            long end = child.send(m);
            if (end < 0) {
                break;
            }
            assertTrue(end > lastEnd, "offsets grow");
            lastEnd = end;
            accepted++;
        }
        assertTrue(accepted < 10_000, "a child that reads nothing cannot take everything: accepted " + accepted);
        assertTrue(accepted >= 4096, "the queue takes 4096 messages before refusing: accepted " + accepted);
        assertEquals((long) accepted * (m.length + 1), lastEnd);
    }

    private ChildProcess start(List<String> command, ChildProcess.Listener listener) throws Exception {
        UpstreamConfig cfg = new UpstreamConfig("t", command, Map.of(), null, UpstreamConfig.SessionMode.SHARED,
                new PoolSettings(1, 0, Duration.ofSeconds(5), Duration.ofMinutes(1), Duration.ofHours(1), 10),
                Duration.ofSeconds(30),
                1 << 20, Duration.ofMillis(500), 0, Duration.ZERO);
        ChildProcess c = ChildProcess.start(cfg, listener, threads);
        children.add(c);
        return c;
    }
}
