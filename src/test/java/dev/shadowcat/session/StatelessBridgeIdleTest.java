package dev.shadowcat.session;

import dev.shadowcat.protocol.Message;
import dev.shadowcat.testing.fakes.ScriptedUpstream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A per-caller bridge gives its upstream session back once nobody has used it for the idle time, and only then. */
class StatelessBridgeIdleTest {
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
    private final List<String> answers = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() throws InterruptedException {
        timers.shutdownNow();
        assertTrue(timers.awaitTermination(5, TimeUnit.SECONDS));
    }

    private StatelessBridge bridge(ScriptedUpstream u) {
        return new StatelessBridge(u, timers, new RequestStateSigner(), 1000, "alice");
    }

    private void call(StatelessBridge b, int id) {
        byte[] req = ("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":\"echo\"}}")
                .getBytes(StandardCharsets.UTF_8);
        b.request(Message.trusted(req), "alice", Set.of(), new StatelessBridge.Sink() {
            @Override
            public void message(byte[] json) {
            }

            @Override
            public void response(byte[] json, int status) {
                answers.add(new String(json, StandardCharsets.UTF_8));
            }
        });
    }

    @Test
    void anIdleBridgeClosesItsUpstreamSessionAndRefusesLateRequestsWithARetryableError() {
        ScriptedUpstream u = ScriptedUpstream.answering("exchanged", "{\"content\":[]}");
        StatelessBridge b = bridge(u);
        call(b, 1);
        assertEquals(1, answers.size(), answers.toString());
        assertFalse(b.retireIfIdle(System.nanoTime(), TimeUnit.HOURS.toNanos(1)), "used a moment ago");
        assertEquals(0, u.closedBindings());

        assertTrue(b.retireIfIdle(System.nanoTime() + TimeUnit.HOURS.toNanos(2), TimeUnit.HOURS.toNanos(1)));
        assertEquals(1, u.closedBindings(), "its upstream session is closed");
        assertFalse(b.retireIfIdle(System.nanoTime() + TimeUnit.HOURS.toNanos(3), 0), "retired once");

        call(b, 2); // a request that got the bridge just before the gateway dropped it
        assertEquals(2, answers.size());
        assertTrue(answers.get(1).contains("send the request again"), answers.get(1));
        assertEquals(1, u.closedBindings(), "no upstream session was opened for it");
    }

    @Test
    void aBridgeWithACallInFlightIsNotIdleHoweverLongItRuns() {
        ScriptedUpstream u = ScriptedUpstream.holding("exchanged");
        StatelessBridge b = bridge(u);
        call(b, 1);
        assertFalse(b.retireIfIdle(System.nanoTime() + TimeUnit.DAYS.toNanos(1), 0));
        assertEquals(0, u.closedBindings());
        assertEquals(List.of(), answers);
    }
}
