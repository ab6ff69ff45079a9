package dev.shadowcat.upstream.http;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * An incremental client-side parser for {@code text/event-stream}, following the WHATWG EventSource
 * "interpreting an event stream" rules.
 *
 * <p>Not thread-safe: one parser belongs to one stream and is fed by the thread that reads it.
 *
 * <p>Bytes may arrive split anywhere, including inside a UTF-8 sequence or between {@code \r} and {@code \n}.
 * Lines are cut at the byte level ({@code \r} and {@code \n} never occur inside a UTF-8 sequence) and only
 * field values are decoded, so a partial sequence simply waits in the line buffer for the next chunk.
 * Malformed UTF-8 decodes to U+FFFD, as the spec requires.
 *
 * <p>As in the spec, an event whose data buffer is empty is not dispatched, but its {@code id} still becomes
 * the stream's last event id when its blank line arrives; this is how MCP "priming" events
 * ({@code id: X} with an empty {@code data:}) work. An incomplete event at the end of the stream is discarded
 * and its id does not count.
 *
 * <p>After {@link #feed} has thrown, the parser stays failed and the stream must be abandoned.
 */
public final class SseParser {
    /**
     * One dispatched event.
     *
     * @param id          the stream's last event id at dispatch time, or null if none (or reset by an empty id)
     * @param event       the event type; "message" when the event named none
     * @param data        the data lines joined with {@code \n}; never empty
     * @param retryMillis the stream's reconnection time at dispatch time (the last valid {@code retry:}), or null
     */
    public record Event(String id, String event, String data, Long retryMillis) {}

    private static final byte[] DATA = ascii("data");
    private static final byte[] ID = ascii("id");
    private static final byte[] EVENT = ascii("event");
    private static final byte[] RETRY = ascii("retry");
    // room for "data: " on top of the data limit, so that a single line may carry a maximal event
    private static final int LINE_SLACK = 16;

    private final int maxEventBytes;
    private final int maxLineBytes;

    private byte[] line = new byte[256];
    private int lineLen;
    private boolean afterCr;      // the previous byte was \r: a following \n belongs to the same line end
    private boolean atStreamStart = true;
    private boolean failed;

    private final StringBuilder data = new StringBuilder();
    private int dataBytes;        // UTF-8 size of data including the \n after each line
    private String eventType = "";
    private String idBuffer;      // the spec's "last event ID buffer"
    private String lastEventId;   // the spec's "last event ID string", committed on each blank line
    private Long retryMillis;

    /** @param maxEventBytes the most UTF-8 bytes of data one event may carry */
    public SseParser(int maxEventBytes) {
        if (maxEventBytes <= 0) {
            throw new IllegalArgumentException("maxEventBytes must be positive: " + maxEventBytes);
        }
        this.maxEventBytes = maxEventBytes;
        this.maxLineBytes = (int) Math.min(Integer.MAX_VALUE - 8, (long) maxEventBytes + LINE_SLACK);
    }

    /**
     * Consumes the next chunk of the stream.
     *
     * @return the events completed by this chunk, in order; empty if none
     * @throws IllegalStateException if an event's data, or a single line, grows past the limit
     */
    public List<Event> feed(byte[] buf, int off, int len) {
        Objects.checkFromIndexSize(off, len, buf.length);
        if (failed) {
            throw new IllegalStateException("parser failed earlier: event larger than " + maxEventBytes + " bytes");
        }
        List<Event> out = null;
        int end = off + len;
        int i = off;
        try {
            while (i < end) {
                if (afterCr) {
                    afterCr = false;
                    if (buf[i] == '\n') {
                        i++;
                        continue;
                    }
                }
                int eol = i;
                while (eol < end && buf[eol] != '\n' && buf[eol] != '\r') {
                    eol++;
                }
                append(buf, i, eol - i);
                if (eol == end) {
                    break;
                }
                afterCr = buf[eol] == '\r';
                i = eol + 1;
                Event e = processLine();
                if (e != null) {
                    if (out == null) {
                        out = new ArrayList<>(2);
                    }
                    out.add(e);
                }
            }
        } catch (IllegalStateException tooBig) {
            failed = true;
            throw tooBig;
        }
        return out == null ? List.of() : out;
    }

    /** The stream's last event id, as set by the last completed event that had an id field; null if none. */
    public String lastEventId() {
        return lastEventId;
    }

    /** The last valid {@code retry:} value seen (ASCII digits only), or null. */
    public Long retryMillis() {
        return retryMillis;
    }

    private void append(byte[] buf, int off, int len) {
        if (len == 0) {
            return;
        }
        if (lineLen + len > maxLineBytes) {
            throw tooBig();
        }
        if (lineLen + len > line.length) {
            line = Arrays.copyOf(line, Math.min(maxLineBytes, Math.max(lineLen + len, line.length * 2)));
        }
        System.arraycopy(buf, off, line, lineLen, len);
        lineLen += len;
    }

    private Event processLine() {
        int start = 0;
        if (atStreamStart) {
            atStreamStart = false;
            if (lineLen >= 3 && line[0] == (byte) 0xEF && line[1] == (byte) 0xBB && line[2] == (byte) 0xBF) {
                start = 3; // one leading BOM is ignored
            }
        }
        int len = lineLen - start;
        lineLen = 0;
        if (len == 0) {
            return dispatch();
        }
        if (line[start] == ':') {
            return null;
        }
        int colon = start;
        int end = start + len;
        while (colon < end && line[colon] != ':') {
            colon++;
        }
        int valueStart = colon;
        if (colon < end) {
            valueStart = colon + 1;
            if (valueStart < end && line[valueStart] == ' ') {
                valueStart++;
            }
        }
        int nameLen = colon - start;
        int valueLen = end - valueStart;
        if (nameIs(DATA, start, nameLen)) {
            int total = dataBytes + valueLen;
            if (total > maxEventBytes) {
                throw tooBig();
            }
            data.append(decode(valueStart, valueLen)).append('\n');
            dataBytes = total + 1;
        } else if (nameIs(ID, start, nameLen)) {
            if (!contains((byte) 0, valueStart, valueLen)) {
                idBuffer = decode(valueStart, valueLen);
            }
        } else if (nameIs(EVENT, start, nameLen)) {
            eventType = decode(valueStart, valueLen);
        } else if (nameIs(RETRY, start, nameLen)) {
            parseRetry(valueStart, valueLen);
        }
        return null;
    }

    private Event dispatch() {
        lastEventId = idBuffer == null || idBuffer.isEmpty() ? null : idBuffer;
        if (data.length() == 0) {
            eventType = "";
            return null;
        }
        data.setLength(data.length() - 1); // the trailing \n
        Event e = new Event(lastEventId, eventType.isEmpty() ? "message" : eventType, data.toString(), retryMillis);
        data.setLength(0);
        dataBytes = 0;
        eventType = "";
        return e;
    }

    private void parseRetry(int off, int len) {
        if (len == 0 || len > 18) { // 18 digits always fit in a long; longer values are ignored as invalid
            return;
        }
        long v = 0;
        for (int i = off; i < off + len; i++) {
            byte b = line[i];
            if (b < '0' || b > '9') {
                return;
            }
            v = v * 10 + (b - '0');
        }
        retryMillis = v;
    }

    private boolean nameIs(byte[] name, int off, int len) {
        return len == name.length && Arrays.equals(line, off, off + len, name, 0, len);
    }

    private boolean contains(byte b, int off, int len) {
        for (int i = off; i < off + len; i++) {
            if (line[i] == b) {
                return true;
            }
        }
        return false;
    }

    private String decode(int off, int len) {
        return new String(line, off, len, StandardCharsets.UTF_8);
    }

    private IllegalStateException tooBig() {
        return new IllegalStateException("event larger than " + maxEventBytes + " bytes");
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
