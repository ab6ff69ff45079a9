package dev.shadowcat.session;

import dev.shadowcat.config.ServerSettings;
import dev.shadowcat.pipeline.FrontDoor;
import dev.shadowcat.protocol.Message;
import dev.shadowcat.testing.fakes.ScriptedUpstream;
import dev.shadowcat.upstream.Upstream;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SessionRegistryTest {
    private static final Message INIT = Message.trusted(("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\","
            + "\"params\":{\"protocolVersion\":\"2025-11-25\"}}").getBytes(StandardCharsets.UTF_8));

    static final ResponseSink SINK = new ResponseSink() {
        @Override
        public void message(byte[] json) {
        }

        @Override
        public void response(byte[] json) {
        }

        @Override
        public void cancelled() {
        }

        @Override
        public void sessionLost(byte[] json) {
        }
    };

    /** Keeps what a request was answered with: a response, or the 404 of a session that is gone. */
    private static final class RecordingSink implements ResponseSink {
        final List<String> responses = new java.util.concurrent.CopyOnWriteArrayList<>();
        final List<String> lost = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public void message(byte[] json) {
        }

        @Override
        public void response(byte[] json) {
            responses.add(new String(json, StandardCharsets.UTF_8));
        }

        @Override
        public void cancelled() {
        }

        @Override
        public void sessionLost(byte[] json) {
            lost.add(new String(json, StandardCharsets.UTF_8));
        }
    }

    private static ServerSettings settings(int maxSessions, int perClient, Duration reclaimIdle) {
        return settings(maxSessions, perClient, reclaimIdle, maxSessions);
    }

    private static ServerSettings settings(int maxSessions, int perClient, Duration reclaimIdle, int perUpstream) {
        return new ServerSettings(List.of(), List.of("127.0.0.1"), 65536, Duration.ofSeconds(15), Duration.ofHours(1),
                maxSessions, Duration.ofSeconds(1), 16, 64, Duration.ofMinutes(5), reclaimIdle, perClient, false,
                1 << 20, 1 << 20, 4 << 20, 64 << 20, perUpstream, "text");
    }

    private static Session open(SessionRegistry reg, Upstream u, String client) throws Exception {
        Session s = reg.create(u, INIT, FrontDoor.MCP, client);
        s.open(INIT, SINK);
        return s;
    }

    @Test
    void reclaimEndsTheLongestIdleSessionOfThatUpstream_neverABusyOneNorOneIdleLessThanTheFloor() throws Exception {
        AtomicLong now = new AtomicLong(0);
        SessionRegistry reg = new SessionRegistry(settings(100, 100, Duration.ofSeconds(10)), now::get);
        ScriptedUpstream demo = ScriptedUpstream.holding("demo");
        ScriptedUpstream other = ScriptedUpstream.holding("other");
        Session oldest = open(reg, demo, "a");
        now.addAndGet(TimeUnit.SECONDS.toNanos(1));
        Session busy = open(reg, demo, "a");
        now.addAndGet(TimeUnit.SECONDS.toNanos(1));
        Session younger = open(reg, demo, "b");
        Session otherUpstream = open(reg, other, "a");
        busy.request(Message.trusted("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\"}".getBytes(StandardCharsets.UTF_8)), SINK);

        now.addAndGet(TimeUnit.SECONDS.toNanos(5));
        assertFalse(reg.reclaimIdle("demo"), "nobody idle for 10 s yet");
        now.addAndGet(TimeUnit.SECONDS.toNanos(10));
        assertTrue(reg.reclaimIdle("demo"));
        assertNull(reg.find(oldest.id()), "the longest idle one is gone: its client gets 404");
        assertEquals(1, demo.closedBindings(), "its upstream binding (the dedicated child) was released");
        assertNotNull(reg.find(busy.id()), "a session with a request in flight is never reclaimed");
        assertNotNull(reg.find(otherUpstream.id()), "another upstream's sessions are not touched");
        assertTrue(reg.reclaimIdle("demo"));
        assertNull(reg.find(younger.id()));
        assertFalse(reg.reclaimIdle("demo"), "only the busy one is left");
        assertEquals(2L, reg.counters().get("reclaimed"));
    }

    @Test
    void reclaimIsOffWithAZeroFloor() throws Exception {
        AtomicLong now = new AtomicLong(0);
        SessionRegistry reg = new SessionRegistry(settings(100, 100, Duration.ZERO), now::get);
        Session s = open(reg, ScriptedUpstream.holding("demo"), "a");
        now.addAndGet(TimeUnit.HOURS.toNanos(1));
        assertFalse(reg.reclaimIdle("demo"));
        assertNotNull(reg.find(s.id()));
    }

    @Test
    void sessionsPerClientAreLimited_andClosingOneMakesRoom() throws Exception {
        SessionRegistry reg = new SessionRegistry(settings(100, 2, Duration.ZERO), System::nanoTime);
        ScriptedUpstream u = ScriptedUpstream.holding("demo");
        Session a1 = open(reg, u, "10.0.0.1");
        open(reg, u, "10.0.0.1");
        SessionRegistry.RefusedException e = assertThrows(SessionRegistry.RefusedException.class, () -> open(reg, u, "10.0.0.1"));
        assertTrue(e.getMessage().contains("too many sessions from this client (2)"), e.getMessage());
        open(reg, u, "10.0.0.2"); // another client is not affected
        reg.close(a1, "done");
        open(reg, u, "10.0.0.1");
    }

    @Test
    void clientsOfOneUpstreamCannotTakeEverySlot_andClosingOneMakesRoom() throws Exception {
        SessionRegistry reg = new SessionRegistry(settings(10, 100, Duration.ZERO, 3), System::nanoTime);
        ScriptedUpstream busy = ScriptedUpstream.holding("busy");
        ScriptedUpstream other = ScriptedUpstream.holding("other");
        Session first = open(reg, busy, "10.0.0.1");
        open(reg, busy, "10.0.0.2");
        open(reg, busy, "10.0.0.3");
        SessionRegistry.RefusedException e = assertThrows(SessionRegistry.RefusedException.class, () -> open(reg, busy, "10.0.0.4"));
        assertTrue(e.getMessage().contains("too many sessions on upstream 'busy' (3)"), e.getMessage());
        open(reg, other, "10.0.0.4"); // the other upstream still has room
        assertEquals(4, reg.size());
        reg.close(first, "done");
        open(reg, busy, "10.0.0.4");
        // a refusal by the upstream limit gives the client's slot back
        SessionRegistry small = new SessionRegistry(settings(10, 1, Duration.ZERO, 1), System::nanoTime);
        open(small, busy, "c");
        assertThrows(SessionRegistry.RefusedException.class, () -> open(small, busy, "d"));
        open(small, other, "d");
    }

    @Test
    void maxSessionsHoldsUnderConcurrentInitializes() throws Exception {
        SessionRegistry reg = new SessionRegistry(settings(50, 10_000, Duration.ZERO), System::nanoTime);
        ScriptedUpstream u = ScriptedUpstream.holding("demo");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch go = new CountDownLatch(1);
        AtomicInteger created = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        try {
            for (int i = 0; i < 400; i++) {
                pool.execute(() -> {
                    try {
                        go.await();
                        reg.create(u, INIT, FrontDoor.MCP, "c");
                        created.incrementAndGet();
                    } catch (SessionRegistry.RefusedException ex) {
                        refused.incrementAndGet();
                    } catch (InterruptedException ex) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
            go.countDown();
            pool.shutdown();
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        } finally {
            pool.shutdownNow();
        }
        assertEquals(50, created.get());
        assertEquals(350, refused.get());
        assertEquals(50, reg.size());
    }

    @Test
    void statelessRequestsAreCountedInFlight_andRefusedOnceShutdownBegins() {
        SessionRegistry reg = new SessionRegistry(settings(10, 10, Duration.ZERO), System::nanoTime);
        assertTrue(reg.enterStateless());
        assertEquals(1, reg.inFlight(), "shutdown waits for it");
        reg.beginShutdown();
        assertFalse(reg.enterStateless(), "no new 2026-07-28 request during the drain");
        reg.exitStateless();
        assertEquals(0, reg.inFlight());
    }

    @Test
    void aSessionRefusesRequestsBeyondItsInFlightBound_withoutLosingTheOthers() throws Exception {
        SessionRegistry reg = new SessionRegistry(settings(10, 10, Duration.ZERO), System::nanoTime);
        Session s = open(reg, ScriptedUpstream.holding("demo"), "a");
        RecordingSink sink = new RecordingSink();
        List<String> refusals = sink.responses;
        for (int i = 1; i <= Session.MAX_IN_FLIGHT + 5; i++) {
            assertTrue(s.request(Message.trusted(("{\"jsonrpc\":\"2.0\",\"id\":" + i + ",\"method\":\"tools/call\"}")
                    .getBytes(StandardCharsets.UTF_8)), sink));
        }
        assertEquals(5, refusals.size(), "only the requests past the bound are answered at once");
        assertTrue(refusals.get(0).contains("too many requests in flight on this session (1000)"), refusals.get(0));
        assertEquals(Session.MAX_IN_FLIGHT, s.inFlightCount(), "the admitted ones are still waiting for their upstream");
    }

    @Test
    void aRequestThatFindsItsSessionEndingGetsTheSameNotFoundAsAnUnknownSession() throws Exception {
        SessionRegistry reg = new SessionRegistry(settings(10, 10, Duration.ZERO), System::nanoTime);
        ScriptedUpstream u = ScriptedUpstream.holding("demo");
        Session s = open(reg, u, "a");
        reg.close(s, "deleted by its client"); // between the servlet's lookup and the dispatch
        RecordingSink sink = new RecordingSink();
        List<String> lost = sink.lost;
        List<String> answered = sink.responses;
        assertTrue(s.request(Message.trusted("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\"}"
                .getBytes(StandardCharsets.UTF_8)), sink));
        assertEquals(List.of(), answered, "not a generic error with status 200");
        assertEquals(1, lost.size(), "the client hears 404: start a new session");
        assertTrue(lost.get(0).contains("\"id\":3") && lost.get(0).contains("\"code\":-32600")
                && lost.get(0).contains("send a new initialize request"), lost.get(0));
        assertEquals(0, s.inFlightCount());
        assertEquals(1, u.closedBindings(), "closed once, not again by the refused request");
    }
}
