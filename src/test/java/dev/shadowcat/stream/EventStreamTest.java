package dev.shadowcat.stream;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Replay buffers bounded in bytes, per stream, per session and for the gateway. */
class EventStreamTest {
    private static final int MIB = 1 << 20;

    private static byte[] json(int bytes) {
        byte[] b = new byte[bytes];
        java.util.Arrays.fill(b, (byte) 'x');
        return b;
    }

    private static EventStream stream(int id, long replayBytes, ByteBudget budget, StreamStats stats) {
        return new EventStream(id, 256, replayBytes, budget, false, 1000, stats);
    }

    @Test
    void keepsNoMoreBytesThanItsBoundAndRefusesAResumePastWhatItDropped() {
        ByteBudget session = ByteBudget.root(64 * MIB).child(16 * MIB);
        StreamStats stats = new StreamStats();
        EventStream s = stream(1, 4 * MIB, session, stats);
        for (int i = 0; i < 10; i++) {
            s.send(json(MIB));
        }
        assertTrue(s.keptBytes() <= 4 * MIB, s.toString());
        assertTrue(s.keptBytes() >= 3 * MIB, "the newest events are kept: " + s);
        assertEquals(s.keptBytes(), session.used());
        assertFalse(s.keepsAfter(0), "events 1..7 are gone: a resume after 0 must be refused, not silently short");
        assertTrue(s.keepsAfter(7), s.toString());
        assertTrue(s.keepsAfter(10), "nothing missed");
        assertFalse(s.keepsAfter(11), "an id from the future is not ours");
        assertEquals(7, stats.eventsNotKept());
    }

    @Test
    void anEventLargerThanTheBoundIsSentLiveButNotKept() {
        ByteBudget session = ByteBudget.root(64 * MIB).child(16 * MIB);
        EventStream s = stream(1, MIB, session, StreamStats.NONE);
        s.send(json(100));
        s.send(json(2 * MIB));
        assertEquals(0, session.used() - s.keptBytes());
        assertTrue(s.keptBytes() < 200, s.toString());
        assertFalse(s.keepsAfter(1), "event 2 was never kept");
        assertTrue(s.keepsAfter(2));
    }

    @Test
    void oneSessionsFloodCostsOtherSessionsNothing() {
        ByteBudget gateway = ByteBudget.root(12 * MIB);
        ByteBudget noisy = gateway.child(8 * MIB);
        ByteBudget quiet = gateway.child(8 * MIB);
        EventStream a = stream(1, 4 * MIB, noisy, StreamStats.NONE);
        EventStream b = stream(2, 4 * MIB, noisy, StreamStats.NONE);
        EventStream c = stream(3, 4 * MIB, noisy, StreamStats.NONE);
        for (int i = 0; i < 20; i++) {
            a.send(json(MIB / 2));
            b.send(json(MIB / 2));
            c.send(json(MIB / 2));
        }
        assertTrue(noisy.used() <= 8 * MIB, noisy.toString());
        EventStream q = stream(4, 4 * MIB, quiet, StreamStats.NONE);
        q.send(json(MIB));
        q.send(json(MIB));
        assertTrue(q.keptBytes() > 2 * MIB, "the quiet session keeps both its events: " + q);
        assertTrue(q.keepsAfter(0));
        assertTrue(gateway.used() <= 12 * MIB, gateway.toString());
    }

    @Test
    void theGatewayBoundHoldsAcrossSessions() {
        ByteBudget gateway = ByteBudget.root(10 * MIB);
        for (int n = 0; n < 8; n++) {
            EventStream s = stream(n, 4 * MIB, gateway.child(4 * MIB), StreamStats.NONE);
            for (int i = 0; i < 8; i++) {
                s.send(json(MIB / 2));
            }
        }
        assertTrue(gateway.used() <= 10 * MIB, gateway.toString());
    }

    @Test
    void discardingAStreamAndClosingASessionGiveEveryByteBack() {
        ByteBudget gateway = ByteBudget.root(64 * MIB);
        ByteBudget session = gateway.child(16 * MIB);
        EventStream delivered = stream(1, 4 * MIB, session, StreamStats.NONE);
        EventStream open = stream(2, 4 * MIB, session, StreamStats.NONE);
        delivered.send(json(MIB));
        open.send(json(MIB));
        long both = session.used();
        long deliveredBytes = delivered.keptBytes();
        delivered.discard();
        assertEquals(both - deliveredBytes, session.used());
        assertEquals(0, delivered.keptBytes());
        assertFalse(delivered.keepsAfter(0), "a discarded stream cannot be resumed");
        session.close();
        assertEquals(0, gateway.used());
        open.send(json(MIB)); // a late event of an ended session takes nothing
        open.discard();
        assertEquals(0, gateway.used());
        assertEquals(0, session.used());
    }

    @Test
    void aBudgetRefusesWithoutTakingAnythingAndForceStillCounts() {
        ByteBudget gateway = ByteBudget.root(100);
        ByteBudget a = gateway.child(80);
        ByteBudget b = gateway.child(80);
        assertTrue(a.tryReserve(60));
        assertFalse(a.tryReserve(30), "over its own bound");
        assertFalse(b.tryReserve(50), "over the gateway's bound");
        assertEquals(0, b.used());
        assertEquals(60, gateway.used());
        b.force(50);
        assertEquals(110, gateway.used());
        assertFalse(a.tryReserve(1));
        b.release(50);
        a.release(60);
        assertEquals(0, gateway.used());
    }
}
