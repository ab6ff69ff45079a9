package dev.shadowcat.upstream.stdio;

import dev.shadowcat.config.PoolSettings;
import dev.shadowcat.config.UpstreamConfig;
import dev.shadowcat.config.UpstreamConfig.SessionMode;
import dev.shadowcat.demo.DemoMcpServer;
import dev.shadowcat.gateway.GatewayThreads;
import dev.shadowcat.pool.PoolStats;
import dev.shadowcat.protocol.ErrorCodes;
import dev.shadowcat.protocol.Message;
import dev.shadowcat.protocol.ProtocolException;
import dev.shadowcat.upstream.ClientSession;
import dev.shadowcat.upstream.Exchange;
import dev.shadowcat.upstream.UpstreamBinding;
import dev.shadowcat.upstream.UpstreamPeer;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Drives {@link StdioUpstream} through its public API against real {@link DemoMcpServer} children.
 * Every wait is bounded; after each test no child process and no gateway thread may be left.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StdioUpstreamTest {
    /** Generous: a child JVM start plus handshake on a loaded 2-core machine. */
    private static final long WAIT_S = 30;
    private static final String VERSION = "2025-11-25";

    private GatewayThreads threads;
    private ScheduledThreadPoolExecutor housekeeper;
    private final List<StdioUpstream> upstreams = new ArrayList<>();
    /** Closed before the upstreams shut down, in the order Gateway.stop() uses (sessions first). */
    private final List<UpstreamBinding> bindings = new CopyOnWriteArrayList<>();
    /** Processes that are not descendants of this JVM (reparented grandchildren) but must be gone too. */
    private final Set<Long> extraPids = new HashSet<>();
    private final AtomicLong ids = new AtomicLong(100);

    @BeforeEach
    void setUp() {
        threads = new GatewayThreads();
        housekeeper = threads.newHousekeeper();
    }

    @AfterEach
    void tearDown() throws Exception {
        List<String> problems = new ArrayList<>();
        try {
            bindings.forEach(UpstreamBinding::close);
            List<CompletableFuture<Void>> exits = new ArrayList<>();
            for (StdioUpstream u : upstreams) {
                exits.add(u.shutdown());
            }
            try {
                CompletableFuture.allOf(exits.toArray(CompletableFuture[]::new)).get(15, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                problems.add("upstream shutdown did not complete within 15 s");
            }
            // children may still be dying (terminations are scheduled on the housekeeper): wait before stopping it
            if (!poll(Duration.ofSeconds(10), () -> liveDescendants().isEmpty())) {
                problems.add("child processes left after shutdown: " + describe(liveDescendants()));
            }
            for (long pid : extraPids) {
                if (!poll(Duration.ofSeconds(5), () -> isGone(pid))) {
                    problems.add("process " + pid + " still alive after shutdown");
                }
            }
            housekeeper.shutdownNow();
            if (!housekeeper.awaitTermination(5, TimeUnit.SECONDS)) {
                problems.add("housekeeper did not stop");
            }
            if (!poll(Duration.ofSeconds(5), () -> threads.liveCount() == 0)) {
                problems.add("gateway threads left: " + threads.live().stream().map(Thread::getName)
                        .collect(Collectors.toList()));
            }
        } finally {
            // safety net so that one failing test does not poison the next ones
            ProcessHandle.current().descendants().forEach(ProcessHandle::destroyForcibly);
            extraPids.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
            housekeeper.shutdownNow();
        }
        if (!problems.isEmpty()) {
            fail(String.join("; ", problems));
        }
    }

    // ------------------------------------------------------------------ tests

    /** 1 */
    @Test
    void sharedPool_sequentialCallsFromTwoSessionsReuseOneChild() throws Exception {
        StdioUpstream up = upstream(SessionMode.SHARED, 1, Duration.ofSeconds(30), Duration.ofSeconds(2));
        RecordingSession a = new RecordingSession("a");
        RecordingSession b = new RecordingSession("b");
        UpstreamBinding ba = open(up, a);
        UpstreamBinding bb = open(up, b);

        Set<Long> pids = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            RecordingSession s = i % 2 == 0 ? a : b;
            UpstreamBinding binding = i % 2 == 0 ? ba : bb;
            pids.add(pidCall(binding, s));
        }
        assertEquals(1, pids.size(), "all calls served by one child: " + pids);
        PoolStats st = up.poolStats();
        assertEquals(1, st.spawned(), "spawned: " + st);
        assertEquals(0, st.died(), "died: " + st);
        assertEquals(2L, up.stats().get("sessionsOpened"));
    }

    /** 2 */
    @Test
    void sharedPool_crashFailsTheCallWithExitCodeAndNextCallGetsNewChild() throws Exception {
        StdioUpstream up = upstream(SessionMode.SHARED, 1, Duration.ofSeconds(30), Duration.ofSeconds(2));
        RecordingSession s = new RecordingSession("s");
        UpstreamBinding b = open(up, s);
        long first = pidCall(b, s);

        RecordingExchange crash = new RecordingExchange(s);
        Message req = toolCall(7, "crash", "{\"exitCode\":7}");
        b.request(req, crash);
        End end = crash.await();
        assertEquals(Exchange.Outcome.FAILED, end.outcome());
        JsonObject resp = json(end.response());
        assertEquals(7, resp.getInt("id"), "client id restored: " + resp);
        JsonObject error = resp.getJsonObject("error");
        assertNotNull(error, "an error response: " + resp);
        assertEquals(ErrorCodes.INTERNAL_ERROR, error.getInt("code"), resp.toString());
        assertEquals(7, error.getJsonObject("data").getInt("exitCode"), resp.toString());
        assertEquals("t", error.getJsonObject("data").getString("upstream"), resp.toString());

        long second = pidCall(b, s);
        assertNotEquals(first, second, "a new child after the crash");
        assertTrue(poll(Duration.ofSeconds(5), () -> isGone(first)), "crashed child " + first + " is gone");
        assertEquals(2, up.poolStats().spawned(), up.poolStats().toString());
        assertEquals(1, crash.ends.get(), "exactly one end");
    }

    /** 3: a single-shot server configured with maxRequestsPerChild 1 answers every call from a fresh child. */
    @Test
    void sharedSingleShot_callIsAnsweredThenNextCallGetsNewChild() throws Exception {
        maxRequestsPerChild = 1;
        StdioUpstream up = upstream(SessionMode.SHARED, 1, Duration.ofSeconds(30), Duration.ofSeconds(2),
                "--single-shot");
        RecordingSession s = new RecordingSession("s");
        UpstreamBinding b = open(up, s);

        long first = pidCall(b, s);
        assertTrue(poll(Duration.ofSeconds(10), () -> isGone(first) && noThreadsFor(first)),
                "single-shot child " + first + " exits after answering");
        long second = pidCall(b, s);
        assertNotEquals(first, second);
        assertTrue(poll(Duration.ofSeconds(10), () -> isGone(second)), "second child exits too");
    }

    /**
     * 3, unconfigured: without maxRequestsPerChild a single-shot child may be handed a second call while it is
     * exiting. That call must end (FAILED), never hang, and the dead child must never be handed out again.
     */
    @Test
    void sharedSingleShot_withoutLimit_callsNeverHang_andADeadChildIsNotReused() throws Exception {
        StdioUpstream up = upstream(SessionMode.SHARED, 1, Duration.ofSeconds(30), Duration.ofSeconds(2),
                "--single-shot");
        RecordingSession s = new RecordingSession("s");
        UpstreamBinding b = open(up, s);

        long first = pidCall(b, s);
        assertTrue(poll(Duration.ofSeconds(10), () -> isGone(first)), "single-shot child exits after one answer");
        RecordingExchange ex = new RecordingExchange(s);
        b.request(toolCall(ids.incrementAndGet(), "pid", "{}"), ex);
        End end = ex.await();
        JsonObject resp = json(end.response());
        if (end.outcome() == Exchange.Outcome.REPLIED) {
            assertNotEquals(first, Long.parseLong(toolText(resp)), "a fresh child answered");
        } else {
            assertEquals(Exchange.Outcome.FAILED, end.outcome(), resp.toString());
            assertNotNull(resp.getJsonObject("error"), resp.toString());
            assertNotEquals(first, pidCall(b, s), "after the failure a fresh child answers");
        }
        assertTrue(up.poolStats().spawned() >= 2, up.poolStats().toString());
        assertEquals(0, up.poolStats().leased(), up.poolStats().toString());
    }

    /** 4 */
    @Test
    void dedicatedMode_sessionsOwnTheirChildAndCloseTerminatesIt() throws Exception {
        StdioUpstream up = upstream(SessionMode.DEDICATED, 8, Duration.ofSeconds(30), Duration.ofSeconds(2));
        RecordingSession a = new RecordingSession("a");
        RecordingSession b = new RecordingSession("b");
        RecordingExchange initA = new RecordingExchange(a);
        RecordingExchange initB = new RecordingExchange(b);
        UpstreamBinding ba = up.open(a, initialize(1), initA);
        UpstreamBinding bb = up.open(b, initialize(1), initB);
        bindings.add(ba);
        bindings.add(bb);
        for (RecordingExchange init : List.of(initA, initB)) {
            End end = init.await();
            assertEquals(Exchange.Outcome.REPLIED, end.outcome());
            JsonObject resp = json(end.response());
            assertEquals(1, resp.getInt("id"));
            assertEquals("shadowcat-demo", resp.getJsonObject("result").getJsonObject("serverInfo").getString("name"),
                    "the child answered the client's own initialize: " + resp);
        }
        ba.notify(initialized());
        bb.notify(initialized());

        long pidA = pidCall(ba, a);
        long pidB = pidCall(bb, b);
        assertNotEquals(pidA, pidB, "each session has its own child");
        assertEquals(pidA, pidCall(ba, a), "a session keeps its child");

        ba.close();
        ba.close(); // idempotent
        assertTrue(poll(Duration.ofSeconds(10), () -> isGone(pidA)), "closing A's binding ends its child " + pidA);
        assertTrue(ProcessHandle.of(pidB).map(ProcessHandle::isAlive).orElse(false), "B's child lives on");
        assertEquals(pidB, pidCall(bb, b), "B keeps working with its child");
        assertTrue(a.lost.isEmpty(), "a closed session is not told it lost its upstream: " + a.lost);
        assertTrue(b.lost.isEmpty(), "b: " + b.lost);
        bb.close();
        assertTrue(poll(Duration.ofSeconds(10), () -> isGone(pidB)), "closing B's binding ends its child " + pidB);
    }

    /** 5 */
    @ParameterizedTest
    @EnumSource(SessionMode.class)
    void progress_clientStringTokenIsRestoredInOrderBeforeTheResponse(SessionMode mode) throws Exception {
        StdioUpstream up = upstream(mode, 2, Duration.ofSeconds(30), Duration.ofSeconds(2));
        RecordingSession s = new RecordingSession("s");
        UpstreamBinding b = open(up, s);

        RecordingExchange ex = new RecordingExchange(s);
        b.request(parse("{\"jsonrpc\":\"2.0\",\"id\":\"req-1\",\"method\":\"tools/call\",\"params\":{\"_meta\":"
                + "{\"progressToken\":\"tok-A\"},\"name\":\"progress\",\"arguments\":{\"steps\":4,\"delayMs\":5}}}"), ex);
        End end = ex.await();
        assertEquals(Exchange.Outcome.REPLIED, end.outcome());
        JsonObject resp = json(end.response());
        assertEquals("req-1", resp.getString("id"), "client's string id restored: " + resp);
        assertEquals("done 4", toolText(resp));

        assertEquals(4, end.messagesBefore(), "all progress arrived before the response: " + ex.texts());
        for (int i = 0; i < 4; i++) {
            Message m = Message.parse(ex.messages.get(i));
            assertEquals("notifications/progress", m.method());
            JsonObject params = json(ex.messages.get(i)).getJsonObject("params");
            assertEquals("tok-A", params.getString("progressToken"), "exact client token: " + params);
            assertEquals(i + 1, params.getInt("progress"), "in order: " + ex.texts());
        }
        assertTrue(s.notifications.isEmpty(), "progress goes to the exchange, not the session: " + s.notifications);
    }

    /** 6 */
    @ParameterizedTest
    @EnumSource(SessionMode.class)
    void sampling_serverRequestReachesSessionAndAnswerCompletesTool(SessionMode mode) throws Exception {
        StdioUpstream up = upstream(mode, 2, Duration.ofSeconds(30), Duration.ofSeconds(2));
        RecordingSession s = new RecordingSession("s");
        s.samplingText = "a poem about cats";
        UpstreamBinding b = open(up, s);

        RecordingExchange ex = new RecordingExchange(s);
        b.request(toolCall(42, "sample", "{\"prompt\":\"write a poem\"}"), ex);
        End end = ex.await();
        assertEquals(Exchange.Outcome.REPLIED, end.outcome());
        JsonObject resp = json(end.response());
        assertEquals(42, resp.getInt("id"));
        assertEquals("sampled: a poem about cats", toolText(resp), resp.toString());

        assertEquals(1, s.requests.size(), "one server→client request");
        Received r = s.requests.get(0);
        assertEquals("sampling/createMessage", r.request().method());
        assertSame(s, r.session());
        assertTrue(json(r.request().bytes()).getJsonObject("params").getJsonArray("messages").toString()
                .contains("write a poem"), "the upstream's request is passed on unchanged");
    }

    /**
     * 6b: in shared mode the gateway knows which client request a server→client request belongs to, so it must
     * pass that exchange (the one the client gave to {@code request}) as {@code related}.
     */
    @Test
    void sharedMode_serverRequestAndNotificationNameTheClientsExchangeAsRelated() throws Exception {
        StdioUpstream up = upstream(SessionMode.SHARED, 1, Duration.ofSeconds(30), Duration.ofSeconds(2));
        RecordingSession s = new RecordingSession("s");
        s.samplingText = "x";
        UpstreamBinding b = open(up, s);

        RecordingExchange sample = new RecordingExchange(s);
        b.request(toolCall(1, "sample", "{\"prompt\":\"p\"}"), sample);
        assertEquals(Exchange.Outcome.REPLIED, sample.await().outcome());
        assertSame(sample, s.requests.get(0).related(), "related of the sampling request");

        RecordingExchange log = new RecordingExchange(s);
        b.request(toolCall(2, "log", "{\"message\":\"hello\"}"), log);
        assertEquals(Exchange.Outcome.REPLIED, log.await().outcome());
        assertEquals(1, s.notifications.size(), "the log notification: " + s.notifications);
        assertSame(log, s.notifications.get(0).related(), "related of notifications/message");
    }

    /** 7 */
    @Test
    void requestTimeout_endsTimedOutAndRetiresTheSharedChild() throws Exception {
        StdioUpstream up = upstream(SessionMode.SHARED, 1, Duration.ofSeconds(1), Duration.ofMillis(500));
        RecordingSession s = new RecordingSession("s");
        UpstreamBinding b = open(up, s);
        long child = pidCall(b, s);

        RecordingExchange ex = new RecordingExchange(s);
        long t0 = System.nanoTime();
        b.request(toolCall(9, "sleep", "{\"ms\":10000}"), ex);
        End end = ex.await();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(Exchange.Outcome.TIMED_OUT, end.outcome());
        assertTrue(ms >= 900 && ms < 5000, "ended after about 1 s, took " + ms + " ms");
        JsonObject resp = json(end.response());
        assertEquals(9, resp.getInt("id"));
        assertEquals(ErrorCodes.REQUEST_TIMEOUT, resp.getJsonObject("error").getInt("code"), resp.toString());

        assertTrue(poll(Duration.ofSeconds(10), () -> isGone(child)), "timed-out child " + child + " retired");
        assertEquals(1, up.poolStats().retired(), up.poolStats().toString());
        long next = pidCall(b, s);
        assertNotEquals(child, next, "the next call gets a fresh child");
    }

    /** 8a */
    @Test
    void terminate_stubbornChildIsKilledAfterTheGraces() throws Exception {
        StdioUpstream up = upstream(SessionMode.SHARED, 1, Duration.ofSeconds(30), Duration.ofMillis(300),
                "--stubborn");
        RecordingSession s = new RecordingSession("s");
        UpstreamBinding b = open(up, s);
        long child = pidCall(b, s);

        long t0 = System.nanoTime();
        CompletableFuture<Void> done = up.shutdown();
        done.get(10, TimeUnit.SECONDS);
        assertTrue(poll(Duration.ofSeconds(5), () -> isGone(child)), "stubborn child " + child + " killed");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 5000, "stubborn child gone " + ms + " ms after shutdown()");
        // it ignores stdin EOF and SIGTERM, so only the SIGKILL step can have ended it: after two graces
        assertTrue(ms >= 550, "not before close-stdin and SIGTERM graces: " + ms + " ms");
    }

    /** 8b */
    @Test
    void terminate_endsTheWholeProcessTreeIncludingGrandchild() throws Exception {
        StdioUpstream up = upstream(SessionMode.SHARED, 1, Duration.ofSeconds(30), Duration.ofMillis(300),
                "--spawn-child");
        RecordingSession s = new RecordingSession("s");
        UpstreamBinding b = open(up, s);
        long child = pidCall(b, s);
        List<ProcessHandle> grandchildren = ProcessHandle.of(child).orElseThrow().children().toList();
        assertEquals(1, grandchildren.size(), "the demo started its grandchild: " + describe(grandchildren));
        long grandchild = grandchildren.get(0).pid();
        extraPids.add(grandchild);
        assertTrue(grandchildren.get(0).info().command().orElse("").endsWith("sleep"),
                "grandchild is `sleep 300`: " + grandchildren.get(0).info());

        up.shutdown().get(10, TimeUnit.SECONDS);
        assertTrue(poll(Duration.ofSeconds(5), () -> isGone(child)), "child " + child + " gone");
        assertTrue(poll(Duration.ofSeconds(5), () -> isGone(grandchild)), "grandchild " + grandchild + " gone");
    }

    /** 8c: dedicated mode, the tree of a closed session's child. */
    @Test
    void terminate_dedicatedCloseEndsGrandchildToo() throws Exception {
        StdioUpstream up = upstream(SessionMode.DEDICATED, 2, Duration.ofSeconds(30), Duration.ofMillis(300),
                "--spawn-child");
        RecordingSession s = new RecordingSession("s");
        UpstreamBinding b = open(up, s);
        long child = pidCall(b, s);
        long grandchild = ProcessHandle.of(child).orElseThrow().children().findFirst().orElseThrow().pid();
        extraPids.add(grandchild);

        b.close();
        assertTrue(poll(Duration.ofSeconds(5), () -> isGone(child)), "child " + child + " gone");
        assertTrue(poll(Duration.ofSeconds(5), () -> isGone(grandchild)), "grandchild " + grandchild + " gone");
    }

    /** 9 */
    @ParameterizedTest
    @EnumSource(SessionMode.class)
    void cancel_inFlightSleepEndsCancelledWithoutResponse(SessionMode mode) throws Exception {
        StdioUpstream up = upstream(mode, 2, Duration.ofSeconds(30), Duration.ofSeconds(2));
        RecordingSession s = new RecordingSession("s");
        UpstreamBinding b = open(up, s);
        long child = pidCall(b, s); // warm: the next request is sent before request() returns

        RecordingExchange ex = new RecordingExchange(s);
        b.request(toolCall(5, "sleep", "{\"ms\":20000}"), ex);
        assertFalse(ex.end.isDone());
        long t0 = System.nanoTime();
        b.cancel(ex, "user pressed stop");
        End end = ex.await();
        assertEquals(Exchange.Outcome.CANCELLED, end.outcome());
        assertNull(end.response(), "no response for a cancelled request");
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 5000, "cancel is prompt");
        b.cancel(ex, "again"); // a second cancel is harmless
        assertEquals(1, ex.ends.get(), "exactly one end");

        if (mode == SessionMode.DEDICATED) {
            // the child was told to stop (the demo interrupts the sleep) and keeps serving the session
            assertEquals(child, pidCall(b, s));
        } else {
            // a shared child that was busy with a cancelled request is retired
            assertTrue(poll(Duration.ofSeconds(10), () -> isGone(child)), "cancelled shared child retired");
            assertNotEquals(child, pidCall(b, s));
        }
    }

    /** 10 */
    @Test
    void shutdown_pendingRequestEndsFailedInsteadOfHanging() throws Exception {
        StdioUpstream up = upstream(SessionMode.SHARED, 1, Duration.ofSeconds(60), Duration.ofMillis(300));
        RecordingSession s = new RecordingSession("s");
        UpstreamBinding b = open(up, s);
        long child = pidCall(b, s);

        RecordingExchange ex = new RecordingExchange(s);
        b.request(toolCall(11, "sleep", "{\"ms\":30000}"), ex);
        CompletableFuture<Void> down = up.shutdown();

        End end = ex.await(10);
        assertEquals(Exchange.Outcome.FAILED, end.outcome());
        JsonObject resp = json(end.response());
        assertEquals(11, resp.getInt("id"));
        assertNotNull(resp.getJsonObject("error"), resp.toString());
        down.get(10, TimeUnit.SECONDS);
        assertTrue(isGone(child), "shutdown() completes only after the child has exited");
    }

    /** 10 (dedicated): what holds today when the session is closed before the upstream shuts down. */
    @Test
    void shutdown_dedicatedPendingRequestEndsWhenSessionClosesFirst() throws Exception {
        StdioUpstream up = upstream(SessionMode.DEDICATED, 2, Duration.ofSeconds(60), Duration.ofMillis(300));
        RecordingSession s = new RecordingSession("s");
        UpstreamBinding b = open(up, s);
        long child = pidCall(b, s);

        RecordingExchange ex = new RecordingExchange(s);
        b.request(toolCall(11, "sleep", "{\"ms\":30000}"), ex);
        b.close();
        up.shutdown();
        End end = ex.await(10);
        assertEquals(Exchange.Outcome.FAILED, end.outcome());
        JsonObject resp = json(end.response());
        assertEquals(11, resp.getInt("id"));
        assertEquals(ErrorCodes.INTERNAL_ERROR, resp.getJsonObject("error").getInt("code"), resp.toString());
        assertTrue(poll(Duration.ofSeconds(5), () -> isGone(child)), "child gone");
    }

    /** After shutdown, new sessions and their requests are refused at once. */
    @Test
    void shutdown_refusesNewSessions() throws Exception {
        StdioUpstream up = upstream(SessionMode.SHARED, 1, Duration.ofSeconds(30), Duration.ofSeconds(2));
        up.shutdown().get(5, TimeUnit.SECONDS);
        RecordingSession s = new RecordingSession("s");
        RecordingExchange init = new RecordingExchange(s);
        UpstreamBinding b = up.open(s, initialize(1), init);
        End end = init.await(5);
        assertEquals(Exchange.Outcome.FAILED, end.outcome());
        assertEquals(ErrorCodes.UPSTREAM_UNAVAILABLE, json(end.response()).getJsonObject("error").getInt("code"));
        RecordingExchange call = new RecordingExchange(s);
        b.request(toolCall(2, "pid", "{}"), call);
        assertEquals(Exchange.Outcome.FAILED, call.await(5).outcome());
        assertEquals(0, up.poolStats().spawned());
    }

    /** 10 (dedicated): the same contract for a session that is still open when the upstream shuts down. */
    @Test
    void shutdown_endsTheChildOfAnOpenDedicatedSession() throws Exception {
        StdioUpstream up = upstream(SessionMode.DEDICATED, 2, Duration.ofSeconds(30), Duration.ofMillis(300));
        RecordingSession s = new RecordingSession("s");
        UpstreamBinding b = open(up, s);
        long child = pidCall(b, s);
        bindings.remove(b); // the session stays open across shutdown()

        up.shutdown().get(10, TimeUnit.SECONDS);
        assertTrue(isGone(child), "shutdown() completed, so child " + child + " must have exited");
    }

    /**
     * 10b: Gateway.stop() order (sessions closed, upstream shutdown() awaited, housekeeper stopped). A shared
     * child still busy with a request answers later; that answer must still end the client's exchange.
     */
    @Test
    void shutdown_lateResponseAfterHousekeeperStopStillEndsTheExchange() throws Exception {
        StdioUpstream up = upstream(SessionMode.SHARED, 1, Duration.ofSeconds(60), Duration.ofMillis(300));
        RecordingSession s = new RecordingSession("s");
        UpstreamBinding b = open(up, s);
        long child = pidCall(b, s);

        RecordingExchange ex = new RecordingExchange(s);
        b.request(toolCall(12, "sleep", "{\"ms\":1500}"), ex);
        b.close();
        up.shutdown().get(10, TimeUnit.SECONDS); // completes at once: the busy child is not waited for
        housekeeper.shutdownNow();

        End end = ex.await(10); // the child answers after 1.5 s
        assertNotNull(end.outcome());
        assertTrue(poll(Duration.ofSeconds(10), () -> isGone(child)), "child " + child + " gone");
    }

    /** Shared mode attribution: a notification sent during a request goes to that request's session only. */
    @Test
    void sharedMode_notificationsReachTheRightSessions() throws Exception {
        StdioUpstream up = upstream(SessionMode.SHARED, 1, Duration.ofSeconds(30), Duration.ofSeconds(2));
        RecordingSession a = new RecordingSession("a");
        RecordingSession b = new RecordingSession("b");
        UpstreamBinding ba = open(up, a);
        UpstreamBinding bb = open(up, b);

        RecordingExchange sub = new RecordingExchange(a);
        ba.request(parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/subscribe\",\"params\":"
                + "{\"uri\":\"demo://pid\"}}"), sub);
        assertEquals(Exchange.Outcome.REPLIED, sub.await().outcome());

        RecordingExchange log = new RecordingExchange(a);
        ba.request(toolCall(2, "log", "{\"message\":\"hello\"}"), log);
        assertEquals(Exchange.Outcome.REPLIED, log.await().outcome());
        assertEquals(List.of("notifications/message"), methods(a.notifications), "A's own log message");
        assertTrue(b.notifications.isEmpty(), "B gets nothing of A's request: " + methods(b.notifications));

        RecordingExchange touch = new RecordingExchange(b);
        bb.request(toolCall(3, "touch", "{\"uri\":\"demo://pid\"}"), touch);
        assertEquals(Exchange.Outcome.REPLIED, touch.await().outcome());
        assertEquals(List.of("notifications/message", "notifications/resources/updated",
                "notifications/resources/list_changed"), methods(a.notifications), "A subscribed to demo://pid");
        assertEquals(List.of("notifications/resources/list_changed"), methods(b.notifications),
                "B did not subscribe, but list_changed goes to every session");
    }

    // ------------------------------------------------------------------ readiness (dedicated mode)

    /** A warm child counts as starting, not idle, until it answers the readiness ping; then a session gets it. */
    @Test
    void readiness_aBootingChildIsNotIdleUntilItAnswersPing() throws Exception {
        minIdle = 1;
        readinessTimeout = Duration.ofSeconds(2 * WAIT_S); // longer than any wait below: the gate decides
        Path gate = tmp.resolve("boot");
        StdioUpstream up = upstream(SessionMode.DEDICATED, 2, Duration.ofSeconds(30), Duration.ofMillis(300),
                "--boot-gate", gate.toString());
        up.maintain();
        long child = awaitChildren(1).get(0);

        // the child exists but cannot read its stdin before the gate opens, so it cannot have answered
        PoolStats booting = up.poolStats();
        assertEquals(0, booting.idle(), "a booting child is not idle: " + booting);
        assertEquals(1, booting.starting(), booting.toString());
        up.maintain();
        assertEquals(1, up.poolStats().total(), "a booting child counts toward minIdle: " + up.poolStats());

        Files.createFile(gate);
        assertTrue(poll(Duration.ofSeconds(WAIT_S), () -> up.poolStats().idle() == 1), up.poolStats().toString());
        assertEquals(0L, up.stats().get("readinessTimeouts"), "it answered the ping: " + up.stats());

        RecordingSession s = new RecordingSession("s");
        RecordingExchange init = new RecordingExchange(s);
        UpstreamBinding b = up.open(s, initialize(3), init);
        bindings.add(b);
        End end = init.await();
        assertEquals(Exchange.Outcome.REPLIED, end.outcome(), () -> text(end.response()));
        assertEquals(3, json(end.response()).getInt("id"), "the client's initialize, not the ping, answered");
        b.notify(initialized());
        assertEquals(child, pidCall(b, s), "the session got the warm child");
        assertEquals(1, init.ends.get());
        assertTrue(s.notifications.isEmpty() && s.requests.isEmpty(), "nothing of the ping reached the session");
        PoolStats st = up.poolStats();
        assertEquals(1, st.spawned(), st.toString());
        assertEquals(1, st.reused(), "leased from idle: " + st);
    }

    /** A child that ignores ping before initialize is handed out once the bound passes. */
    @Test
    void readiness_aChildThatNeverAnswersPingIsHandedOutAfterTheBound() throws Exception {
        readinessTimeout = Duration.ofMillis(300);
        StdioUpstream up = upstream(SessionMode.DEDICATED, 2, Duration.ofSeconds(30), Duration.ofSeconds(2),
                "--ignore-ping-before-init");
        RecordingSession s = new RecordingSession("s");
        UpstreamBinding b = open(up, s);
        pidCall(b, s);
        assertEquals(1L, up.stats().get("readinessTimeouts"), up.stats().toString());
        assertEquals(0, up.poolStats().spawnFailures(), up.poolStats().toString());
    }

    /** The bound passed while the child was still booting: it serves, and its late answer to the ping is consumed. */
    @Test
    void readiness_aLateAnswerAfterTheBoundIsConsumed() throws Exception {
        minIdle = 1;
        readinessTimeout = Duration.ofMillis(300);
        Path gate = tmp.resolve("boot");
        StdioUpstream up = upstream(SessionMode.DEDICATED, 2, Duration.ofSeconds(30), Duration.ofMillis(300),
                "--boot-gate", gate.toString());
        up.maintain();
        assertTrue(poll(Duration.ofSeconds(WAIT_S), () -> up.poolStats().idle() == 1), up.poolStats().toString());
        assertEquals(1L, up.stats().get("readinessTimeouts"), "the gate is closed, so only the bound ends the probe");

        RecordingSession s = new RecordingSession("s");
        RecordingExchange init = new RecordingExchange(s);
        UpstreamBinding b = up.open(s, initialize(4), init);
        bindings.add(b);
        Files.createFile(gate); // now the child reads the ping, then the initialize
        End end = init.await();
        assertEquals(Exchange.Outcome.REPLIED, end.outcome(), () -> text(end.response()));
        assertEquals(4, json(end.response()).getInt("id"));
        b.notify(initialized());
        pidCall(b, s);
        assertEquals(1, init.ends.get(), "exactly one end for the initialize");
        assertTrue(s.notifications.isEmpty() && s.requests.isEmpty(), "nothing of the ping reached the session");
    }

    /** readinessTimeout 0 turns the probe off: a child is idle as soon as it is started. */
    @Test
    void readiness_zeroBoundCountsAStartedChildIdle() throws Exception {
        minIdle = 1;
        readinessTimeout = Duration.ZERO;
        StdioUpstream up = upstream(SessionMode.DEDICATED, 2, Duration.ofSeconds(30), Duration.ofMillis(300),
                "--boot-gate", tmp.resolve("never").toString());
        up.maintain();
        assertTrue(poll(Duration.ofSeconds(WAIT_S), () -> up.poolStats().idle() == 1), up.poolStats().toString());
        assertEquals(0L, up.stats().get("readinessTimeouts"), up.stats().toString());
    }

    /** A warm child that dies while booting is a start failure, and the next upkeep replaces it. */
    @Test
    void readiness_aChildThatDiesWhileBootingIsDiscardedAndReplaced() throws Exception {
        minIdle = 1;
        readinessTimeout = Duration.ofSeconds(2 * WAIT_S);
        Path gate = tmp.resolve("boot");
        StdioUpstream up = upstream(SessionMode.DEDICATED, 2, Duration.ofSeconds(30), Duration.ofMillis(300),
                "--boot-gate", gate.toString());
        up.maintain();
        long first = awaitChildren(1).get(0);
        ProcessHandle.of(first).orElseThrow().destroyForcibly();

        assertTrue(poll(Duration.ofSeconds(WAIT_S), () -> up.poolStats().spawnFailures() == 1), up.poolStats().toString());
        PoolStats dead = up.poolStats();
        assertEquals(0, dead.total(), "discarded: " + dead);
        assertEquals(0, dead.idle(), dead.toString());
        assertTrue(poll(Duration.ofSeconds(10), () -> isGone(first) && noThreadsFor(first)), "child " + first + " reaped");

        up.maintain();
        Files.createFile(gate);
        assertTrue(poll(Duration.ofSeconds(WAIT_S), () -> up.poolStats().idle() == 1), up.poolStats().toString());
        RecordingSession s = new RecordingSession("s");
        UpstreamBinding b = open(up, s);
        assertNotEquals(first, pidCall(b, s), "a replacement serves");
        PoolStats st = up.poolStats();
        assertEquals(1, st.spawned(), "only the replacement started: " + st);
        assertEquals(1, st.spawnFailures(), st.toString());
    }

    /** A session whose own new child dies before it is ready gets an error, not a dead child. */
    @Test
    void readiness_aSessionWhoseChildDiesWhileBootingGetsAnError() throws Exception {
        readinessTimeout = Duration.ofSeconds(2 * WAIT_S);
        Path gate = tmp.resolve("boot");
        StdioUpstream up = upstream(SessionMode.DEDICATED, 2, Duration.ofSeconds(30), Duration.ofMillis(300),
                "--boot-gate", gate.toString());
        RecordingSession s = new RecordingSession("s");
        RecordingExchange init = new RecordingExchange(s);
        bindings.add(up.open(s, initialize(5), init));
        long child = awaitChildren(1).get(0);
        // until the JDK's spawn helper has exec'd the server, killing that pid is a failed start, not a death
        assertTrue(poll(Duration.ofSeconds(WAIT_S), () -> ProcessHandle.of(child).flatMap(p -> p.info().command())
                .map(c -> c.endsWith("/java")).orElse(false)), "child " + child + " runs the server's JVM");
        assertFalse(init.end.isDone(), "initialize waits for the booting child");
        ProcessHandle.of(child).orElseThrow().destroyForcibly();

        End end = init.await();
        assertEquals(Exchange.Outcome.FAILED, end.outcome());
        JsonObject resp = json(end.response());
        assertEquals(5, resp.getInt("id"));
        assertEquals(ErrorCodes.UPSTREAM_UNAVAILABLE, resp.getJsonObject("error").getInt("code"), resp.toString());
        assertTrue(resp.getJsonObject("error").getString("message").contains("ended before it was ready"), resp.toString());
        assertEquals(1, up.poolStats().spawnFailures(), up.poolStats().toString());
        assertEquals(0, up.poolStats().total(), up.poolStats().toString());
    }

    /** Shutdown ends children that are still booting, warm ones and one a session waits for alike. */
    @Test
    void readiness_shutdownWhileChildrenBootLeavesNoProcess() throws Exception {
        minIdle = 2;
        readinessTimeout = Duration.ofSeconds(2 * WAIT_S);
        Path gate = tmp.resolve("never");
        StdioUpstream up = upstream(SessionMode.DEDICATED, 3, Duration.ofSeconds(30), Duration.ofMillis(300),
                "--boot-gate", gate.toString());
        up.maintain();
        RecordingSession s = new RecordingSession("s");
        RecordingExchange init = new RecordingExchange(s);
        UpstreamBinding b = up.open(s, initialize(6), init);
        List<Long> children = awaitChildren(3);
        PoolStats booting = up.poolStats();
        assertEquals(3, booting.starting(), booting.toString());
        assertEquals(0, booting.idle(), booting.toString());

        up.shutdown().get(10, TimeUnit.SECONDS);
        for (long pid : children) {
            assertTrue(poll(Duration.ofSeconds(10), () -> isGone(pid)), "booting child " + pid + " ended by shutdown");
        }
        End end = init.await(10);
        assertEquals(Exchange.Outcome.FAILED, end.outcome());
        assertEquals(ErrorCodes.UPSTREAM_UNAVAILABLE, json(end.response()).getJsonObject("error").getInt("code"));
        assertTrue(json(end.response()).getJsonObject("error").getString("message").contains("closed"), text(end.response()));
        b.close();
        assertEquals(0, up.poolStats().total(), up.poolStats().toString());
    }

    /** Waits until this JVM has {@code n} live child processes; returns their pids. */
    private static List<Long> awaitChildren(int n) throws InterruptedException {
        assertTrue(poll(Duration.ofSeconds(WAIT_S), () -> liveDescendants().size() >= n),
                () -> "expected " + n + " children: " + describe(liveDescendants()));
        List<Long> pids = liveDescendants().stream().map(ProcessHandle::pid).toList();
        assertEquals(n, pids.size(), () -> describe(liveDescendants()));
        return pids;
    }

    private static List<String> methods(List<Notified> ns) {
        List<String> out = new ArrayList<>();
        for (Notified n : ns) {
            out.add(Message.trusted(n.message()).method());
        }
        return out;
    }

    // ------------------------------------------------------------------ fixtures

    /** Set by a test before {@link #upstream} to configure maxRequestsPerChild. */
    private int maxRequestsPerChild;
    /** Set by a test before {@link #upstream}: the pool's minIdle (the test calls maintain() itself). */
    private int minIdle;
    /** Set by a test before {@link #upstream}. */
    private Duration readinessTimeout = Duration.ofSeconds(5);
    @TempDir
    Path tmp;

    private StdioUpstream upstream(SessionMode mode, int maxSize, Duration requestTimeout, Duration grace,
                                   String... flags) {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), DemoMcpServer.class.getName()));
        cmd.addAll(List.of(flags));
        PoolSettings pool = new PoolSettings(maxSize, minIdle, Duration.ofSeconds(WAIT_S), Duration.ofSeconds(300),
                Duration.ofSeconds(3600), 1000);
        UpstreamConfig cfg = new UpstreamConfig("t", List.copyOf(cmd), Map.of(), null, mode, pool, requestTimeout,
                16 * 1024 * 1024, grace, maxRequestsPerChild, readinessTimeout);
        StdioUpstream u = new StdioUpstream(cfg, threads, housekeeper, System::nanoTime);
        upstreams.add(u);
        return u;
    }

    /** Opens a session and waits for its initialize to be answered. */
    private UpstreamBinding open(StdioUpstream up, RecordingSession s) throws Exception {
        RecordingExchange init = new RecordingExchange(s);
        UpstreamBinding b = up.open(s, initialize(0), init);
        bindings.add(b);
        End end = init.await();
        assertEquals(Exchange.Outcome.REPLIED, end.outcome(), () -> "initialize: " + text(end.response()));
        JsonObject result = json(end.response()).getJsonObject("result");
        assertNotNull(result, () -> "initialize result: " + text(end.response()));
        assertEquals(VERSION, result.getString("protocolVersion"));
        b.notify(initialized());
        return b;
    }

    /** A tools/call pid that must be answered; returns the child's pid. */
    private long pidCall(UpstreamBinding b, RecordingSession s) throws Exception {
        RecordingExchange ex = new RecordingExchange(s);
        long id = ids.incrementAndGet();
        b.request(toolCall(id, "pid", "{}"), ex);
        End end = ex.await();
        assertEquals(Exchange.Outcome.REPLIED, end.outcome(), () -> "pid call: " + text(end.response()));
        JsonObject resp = json(end.response());
        assertEquals(id, resp.getJsonNumber("id").longValue(), "client id restored");
        return Long.parseLong(toolText(resp));
    }

    private static Message initialize(long id) throws ProtocolException {
        return parse("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"initialize\",\"params\":{\"protocolVersion\":\""
                + VERSION + "\",\"capabilities\":{\"sampling\":{}},\"clientInfo\":{\"name\":\"test\",\"version\":\"1\"}}}");
    }

    private static Message initialized() throws ProtocolException {
        return parse("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
    }

    private static Message toolCall(long id, String tool, String argsJson) throws ProtocolException {
        return parse("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool
                + "\",\"arguments\":" + argsJson + "}}");
    }

    private static Message parse(String json) throws ProtocolException {
        return Message.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    static JsonObject json(byte[] bytes) {
        assertNotNull(bytes, "a response");
        try (JsonReader r = Json.createReader(new StringReader(new String(bytes, StandardCharsets.UTF_8)))) {
            return r.readObject();
        }
    }

    static String text(byte[] bytes) {
        return bytes == null ? "null" : new String(bytes, StandardCharsets.UTF_8);
    }

    static String toolText(JsonObject resp) {
        JsonObject result = resp.getJsonObject("result");
        assertNotNull(result, () -> "a result: " + resp);
        return result.getJsonArray("content").getJsonObject(0).getString("text");
    }

    // ------------------------------------------------------------------ process helpers

    private static List<ProcessHandle> liveDescendants() {
        return ProcessHandle.current().descendants().filter(h -> !isGone(h.pid())).toList();
    }

    private static String describe(List<ProcessHandle> hs) {
        return hs.stream().map(h -> h.pid() + ":" + h.info().command().orElse("?") + " "
                        + h.info().arguments().map(a -> a[a.length - 1]).orElse(""))
                .collect(Collectors.joining(", ", "[", "]"));
    }

    /** True when the process no longer runs: absent, reported dead, or a zombie waiting to be reaped. */
    static boolean isGone(long pid) {
        Set<String> dead = Set.of("Z", "X", "x");
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        if (Files.exists(stat)) {
            try {
                String s = Files.readString(stat);
                String state = s.substring(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3);
                if (dead.contains(state)) {
                    return true;
                }
            } catch (IOException | RuntimeException e) {
                // vanished meanwhile
            }
        }
        return ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true);
    }

    /** No pipe thread of that child is left (its stdout EOF was fully processed). */
    private boolean noThreadsFor(long pid) {
        return threads.live().stream().noneMatch(t -> t.getName().contains("#" + pid + "-"));
    }

    static boolean poll(Duration max, BooleanSupplier cond) throws InterruptedException {
        long end = System.nanoTime() + max.toNanos();
        while (true) {
            if (cond.getAsBoolean()) {
                return true;
            }
            if (System.nanoTime() > end) {
                return false;
            }
            Thread.sleep(20); // polling for process death, not synchronization
        }
    }

    // ------------------------------------------------------------------ test doubles

    record End(byte[] response, Exchange.Outcome outcome, int messagesBefore) {
    }

    record Received(Message request, UpstreamPeer peer, Exchange related, ClientSession session) {
    }

    record Notified(byte[] message, Exchange related) {
    }

    /** Records notifications and server→client requests; answers sampling with a fixed text when set. */
    static final class RecordingSession implements ClientSession {
        final String handle;
        final List<Notified> notifications = new CopyOnWriteArrayList<>();
        final List<Received> requests = new CopyOnWriteArrayList<>();
        final BlockingQueue<String> lost = new LinkedBlockingQueue<>();
        volatile String samplingText;

        RecordingSession(String handle) {
            this.handle = handle;
        }

        @Override
        public String handle() {
            return handle;
        }

        @Override
        public String protocolVersion() {
            return VERSION;
        }

        @Override
        public void onUpstreamNotification(byte[] message, Exchange related) {
            notifications.add(new Notified(message, related == null ? null : related.origin()));
        }

        @Override
        public void onUpstreamEvent(byte[] message) {
            notifications.add(new Notified(message, null));
        }

        @Override
        public void onUpstreamRequest(Message request, UpstreamPeer from, Exchange related) {
            requests.add(new Received(request, from, related == null ? null : related.origin(), this));
            String t = samplingText;
            if (t != null && "sampling/createMessage".equals(request.method())) {
                try {
                    // the client answers with its own id for the request; the peer puts the upstream's back
                    from.answer(request.idJson(), parse("{\"jsonrpc\":\"2.0\",\"id\":\"client-7\",\"result\":{"
                            + "\"role\":\"assistant\",\"content\":{\"type\":\"text\",\"text\":" + quote(t)
                            + "},\"model\":\"test-model\",\"stopReason\":\"endTurn\"}}"));
                } catch (ProtocolException e) {
                    throw new IllegalStateException(e);
                }
            } else {
                from.refuse(request.idJson(), ErrorCodes.METHOD_NOT_FOUND, "test session does not do " + request.method());
            }
        }

        @Override
        public void onUpstreamLost(String reason) {
            lost.add(reason);
        }

        private static String quote(String s) {
            return Json.createValue(s).toString();
        }
    }

    /** Records onMessage and the single end; the end is also a future. */
    static final class RecordingExchange implements Exchange {
        final ClientSession session;
        final List<byte[]> messages = new CopyOnWriteArrayList<>();
        final CompletableFuture<End> end = new CompletableFuture<>();
        final AtomicInteger ends = new AtomicInteger();

        RecordingExchange(ClientSession session) {
            this.session = session;
        }

        @Override
        public ClientSession session() {
            return session;
        }

        @Override
        public void onMessage(byte[] message) {
            messages.add(message);
        }

        @Override
        public void onEnd(byte[] response, Outcome outcome) {
            ends.incrementAndGet();
            end.complete(new End(response, outcome, messages.size()));
        }

        End await() throws Exception {
            return await(WAIT_S);
        }

        End await(long seconds) throws Exception {
            try {
                return end.get(seconds, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                throw new AssertionError("exchange did not end within " + seconds + " s", e);
            }
        }

        List<String> texts() {
            return messages.stream().map(StdioUpstreamTest::text).toList();
        }
    }
}
