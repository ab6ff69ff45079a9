package dev.shadowcat.upstream.http;

import dev.shadowcat.upstream.http.SseParser.Event;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SseParserTest {
    // every kind of line ending, a multi-byte character, comments, an unnamed event and a retry hint
    private static final String STREAM = "\uFEFF: hello\r\n"
            + "id: 1\r\n"
            + "event: greeting\r\n"
            + "data: h\u00e9llo \u20ac \uD83D\uDE00\r\n"
            + "data:second line\r\n"
            + "\r\n"
            + "id: 2\r"
            + "data: plain\r"
            + "\r"
            + "retry: 1500\n"
            + "data\n"
            + "data: \n"
            + "\n"
            + "id: 3\n"
            + "data:\n"
            + "\n"
            + "event: dropped\n"
            + "\n"
            + "data: no id change\n"
            + "\n";

    private static final List<Event> EXPECTED = List.of(
            new Event("1", "greeting", "h\u00e9llo \u20ac \uD83D\uDE00\nsecond line", null),
            new Event("2", "message", "plain", null),
            new Event("2", "message", "\n", 1500L),
            new Event("3", "message", "", 1500L),
            new Event("3", "message", "no id change", 1500L));

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static List<Event> feedAll(SseParser p, String s) {
        byte[] b = utf8(s);
        return p.feed(b, 0, b.length);
    }

    @Test
    void wholeStream_yieldsExpectedEvents() {
        SseParser p = new SseParser(1024);
        assertEquals(EXPECTED, feedAll(p, STREAM));
        assertEquals("3", p.lastEventId());
        assertEquals(1500L, p.retryMillis());
    }

    @Test
    void splitAtEveryBoundary_yieldsIdenticalEvents() {
        byte[] b = utf8(STREAM);
        for (int cut = 0; cut <= b.length; cut++) {
            SseParser p = new SseParser(1024);
            List<Event> got = new ArrayList<>(p.feed(b, 0, cut));
            got.addAll(p.feed(b, cut, b.length - cut));
            assertEquals(EXPECTED, got, "cut at " + cut);
        }
    }

    @Test
    void splitAtEveryBoundaryPair_yieldsIdenticalEvents() {
        byte[] b = utf8(STREAM);
        for (int i = 0; i <= b.length; i++) {
            for (int j = i; j <= b.length; j++) {
                SseParser p = new SseParser(1024);
                List<Event> got = new ArrayList<>(p.feed(b, 0, i));
                got.addAll(p.feed(b, i, j - i));
                got.addAll(p.feed(b, j, b.length - j));
                assertEquals(EXPECTED, got, "cuts at " + i + ", " + j);
            }
        }
    }

    @Test
    void oneByteAtATime_yieldsIdenticalEvents() {
        byte[] b = utf8(STREAM);
        SseParser p = new SseParser(1024);
        List<Event> got = new ArrayList<>();
        for (int i = 0; i < b.length; i++) {
            got.addAll(p.feed(b, i, 1));
        }
        assertEquals(EXPECTED, got);
    }

    @Test
    void crLf_splitBetweenCrAndLf_isOneLineEnd() {
        SseParser p = new SseParser(100);
        assertEquals(List.of(), feedAll(p, "data: a\r"));
        // if the \n were a second line end, this would dispatch "a" now and lose "b"
        assertEquals(List.of(), feedAll(p, "\ndata: b\r"));
        assertEquals(List.of(new Event(null, "message", "a\nb", null)), feedAll(p, "\n\r\n"));
    }

    @Test
    void lineEndings_crLfCrAndLf_areEquivalent() {
        for (String eol : List.of("\r\n", "\r", "\n")) {
            SseParser p = new SseParser(100);
            String s = "event: e" + eol + "data: x" + eol + "data: y" + eol + eol;
            assertEquals(List.of(new Event(null, "e", "x\ny", null)), feedAll(p, s), "eol " + eol.length());
        }
    }

    @Test
    void lfCr_isTwoLineEnds() {
        SseParser p = new SseParser(100);
        assertEquals(List.of(new Event(null, "message", "x", null)), feedAll(p, "data: x\n\r"));
    }

    @Test
    void comments_areIgnored_andDoNotDispatch() {
        SseParser p = new SseParser(100);
        assertEquals(List.of(), feedAll(p, ":keepalive\n:\n: data: nope\n\n"));
        assertEquals(List.of(new Event(null, "message", "x", null)), feedAll(p, "data: x\n: between\n\n"));
    }

    @Test
    void fieldParsing_stripsExactlyOneSpace_andIgnoresUnknownFields() {
        SseParser p = new SseParser(100);
        List<Event> got = feedAll(p, "data:  two spaces\ndata:none\nfoo: bar\nDATA: upper\ndata\n\n");
        assertEquals(List.of(new Event(null, "message", " two spaces\nnone\n", null)), got);
    }

    @Test
    void valueMayContainColons() {
        SseParser p = new SseParser(100);
        assertEquals(List.of(new Event(null, "message", "{\"a\":\"b: c\"}", null)),
                feedAll(p, "data: {\"a\":\"b: c\"}\n\n"));
    }

    @Test
    void bomAtStart_isSkipped_evenWhenSplit() {
        byte[] b = utf8("\uFEFFdata: x\n\n");
        for (int cut = 0; cut <= b.length; cut++) {
            SseParser p = new SseParser(100);
            List<Event> got = new ArrayList<>(p.feed(b, 0, cut));
            got.addAll(p.feed(b, cut, b.length - cut));
            assertEquals(List.of(new Event(null, "message", "x", null)), got, "cut at " + cut);
        }
    }

    @Test
    void bomLaterInStream_isNotSkipped() {
        SseParser p = new SseParser(100);
        // only one leading BOM is ignored; a second one makes the first field name unknown
        assertEquals(List.of(), feedAll(p, "\uFEFF\uFEFFdata: x\n\n"));
        assertEquals(List.of(), feedAll(p, "\uFEFFdata: y\n\n"));
    }

    @Test
    void primingEvent_updatesLastEventId_andDispatchesEmptyData() {
        SseParser p = new SseParser(100);
        // WHATWG: "data:" appends "\n", so the buffer is not empty and an event with data "" is dispatched
        assertEquals(List.of(new Event("prime-1", "message", "", null)), feedAll(p, "id: prime-1\ndata:\n\n"));
        assertEquals("prime-1", p.lastEventId());
        assertEquals(List.of(new Event("prime-2", "message", "", null)), feedAll(p, "id: prime-2\ndata: \n\n"));
        assertEquals("prime-2", p.lastEventId());
        assertEquals(List.of(new Event("prime-2", "message", "x", null)), feedAll(p, "data: x\n\n"));
    }

    @Test
    void eventWithoutDataLine_updatesLastEventId_withoutDispatch() {
        SseParser p = new SseParser(100);
        assertEquals(List.of(), feedAll(p, "id: prime-1\n\n"));
        assertEquals("prime-1", p.lastEventId());
        assertEquals(List.of(), feedAll(p, "id: prime-2\nretry: 500\nevent: x\n\n"));
        assertEquals("prime-2", p.lastEventId());
        assertEquals(500L, p.retryMillis());
        assertEquals(List.of(new Event("prime-2", "message", "y", 500L)), feedAll(p, "data: y\n\n"));
    }

    @Test
    void idBecomesLastEventId_onlyWhenItsEventEnds() {
        SseParser p = new SseParser(100);
        feedAll(p, "id: 1\ndata: a\n\n");
        assertEquals(List.of(), feedAll(p, "id: 2\ndata: b\n"));
        assertEquals("1", p.lastEventId(), "an incomplete event's id must not be resumed from");
        assertEquals(List.of(new Event("2", "message", "b", null)), feedAll(p, "\n"));
        assertEquals("2", p.lastEventId());
    }

    @Test
    void idWithNul_isIgnored_andEmptyIdResets() {
        SseParser p = new SseParser(100);
        feedAll(p, "id: good\n\n");
        assertEquals(List.of(new Event("good", "message", "x", null)), feedAll(p, "id: b\u0000d\ndata: x\n\n"));
        assertEquals("good", p.lastEventId());
        assertEquals(List.of(new Event(null, "message", "y", null)), feedAll(p, "id\ndata: y\n\n"));
        assertNull(p.lastEventId());
    }

    @Test
    void eventType_resetsAfterEachEvent_evenWithoutDispatch() {
        SseParser p = new SseParser(100);
        assertEquals(List.of(), feedAll(p, "event: lost\n\n"));
        assertEquals(List.of(new Event(null, "message", "x", null)), feedAll(p, "data: x\n\n"));
        assertEquals(List.of(new Event(null, "message", "y", null)), feedAll(p, "event:\ndata: y\n\n"));
    }

    @Test
    void retry_acceptsDigitsOnly() {
        SseParser p = new SseParser(100);
        assertNull(p.retryMillis());
        feedAll(p, "retry: 3000\n");
        assertEquals(3000L, p.retryMillis(), "takes effect at once, not at the blank line");
        for (String bad : List.of("retry: -1\n", "retry: 1.5\n", "retry: 10 \n", "retry: abc\n", "retry:\n",
                "retry\n", "retry: 1234567890123456789012\n", "retry: \u0661\n")) {
            feedAll(p, bad);
            assertEquals(3000L, p.retryMillis(), bad);
        }
        feedAll(p, "retry:0\n\n");
        assertEquals(0L, p.retryMillis());
    }

    @Test
    void incompleteEventAtEnd_isNotDispatched() {
        SseParser p = new SseParser(100);
        assertEquals(List.of(), feedAll(p, "data: partial"));
        assertEquals(List.of(), feedAll(p, "\ndata: more\n"));
    }

    @Test
    void invalidUtf8_decodesToReplacementCharacter() {
        SseParser p = new SseParser(100);
        byte[] b = {'d', 'a', 't', 'a', ':', ' ', (byte) 0xC3, '\n', '\n'};
        assertEquals(List.of(new Event(null, "message", "\uFFFD", null)), p.feed(b, 0, b.length));
    }

    @Test
    void feed_honoursOffsetAndLength() {
        SseParser p = new SseParser(100);
        byte[] b = utf8("xxdata: a\n\nyy");
        assertEquals(List.of(new Event(null, "message", "a", null)), p.feed(b, 2, b.length - 4));
        assertThrows(IndexOutOfBoundsException.class, () -> p.feed(b, 10, 10));
    }

    @Test
    void sizeLimit_allowsExactlyTheLimit() {
        SseParser p = new SseParser(10);
        assertEquals(List.of(new Event(null, "message", "0123456789", null)), feedAll(p, "data: 0123456789\n\n"));
        // two lines: 4 + 1 (the joining \n) + 5 bytes
        assertEquals(List.of(new Event(null, "message", "0123\n45678", null)),
                feedAll(p, "data: 0123\ndata: 45678\n\n"));
        // the limit counts UTF-8 bytes: five two-byte characters
        assertEquals(5, feedAll(p, "data: \u00e9\u00e9\u00e9\u00e9\u00e9\n\n").get(0).data().length());
    }

    @Test
    void sizeLimit_rejectsOneByteMore_andStaysFailed() {
        SseParser p = new SseParser(10);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> feedAll(p, "data: 0123\ndata: 456789\n\n"));
        assertEquals("event larger than 10 bytes", e.getMessage());
        assertThrows(IllegalStateException.class, () -> feedAll(p, "data: x\n\n"));
    }

    @Test
    void sizeLimit_accumulatesAcrossEventsOnlyUntilDispatch() {
        SseParser p = new SseParser(10);
        for (int i = 0; i < 100; i++) {
            assertEquals(1, feedAll(p, "data: 0123456789\n\n").size());
        }
    }

    @Test
    void sizeLimit_boundsAnEndlessLine() {
        SseParser p = new SseParser(100);
        byte[] chunk = new byte[50];
        java.util.Arrays.fill(chunk, (byte) 'x');
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> {
            for (int i = 0; i < 10; i++) {
                p.feed(chunk, 0, chunk.length);
            }
        });
        assertTrue(e.getMessage().contains("100 bytes"));
    }

    @Test
    void keepaliveComments_doNotCountTowardsTheLimit() {
        SseParser p = new SseParser(10);
        for (int i = 0; i < 100; i++) {
            feedAll(p, ": keepalive ping\n");
        }
        assertEquals(List.of(new Event(null, "message", "x", null)), feedAll(p, "data: x\n\n"));
    }
}
