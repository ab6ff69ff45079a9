package dev.shadowcat.protocol;

import java.nio.charset.StandardCharsets;

/** Replaces up to two non-overlapping byte spans of a message. Stateless. */
final class Splice {
    private Splice() {
    }

    static byte[] apply(byte[] raw, int from, int to, long span1, String json1, long span2, String json2) {
        if (span1 < 0 && span2 < 0) {
            byte[] out = new byte[to - from];
            System.arraycopy(raw, from, out, 0, out.length);
            return out;
        }
        if (span1 < 0 || (span2 >= 0 && JsonScan.start(span2) < JsonScan.start(span1))) {
            long ts = span1;
            span1 = span2;
            span2 = ts;
            String tj = json1;
            json1 = json2;
            json2 = tj;
        }
        byte[] r1 = json1.getBytes(StandardCharsets.UTF_8);
        byte[] r2 = span2 < 0 ? null : json2.getBytes(StandardCharsets.UTF_8);
        int s1 = JsonScan.start(span1);
        int e1 = JsonScan.end(span1);
        int len = (to - from) - (e1 - s1) + r1.length;
        if (r2 != null) {
            len += r2.length - (JsonScan.end(span2) - JsonScan.start(span2));
        }
        byte[] out = new byte[len];
        int o = 0;
        System.arraycopy(raw, from, out, o, s1 - from);
        o += s1 - from;
        System.arraycopy(r1, 0, out, o, r1.length);
        o += r1.length;
        int tail = e1;
        if (r2 != null) {
            int s2 = JsonScan.start(span2);
            System.arraycopy(raw, e1, out, o, s2 - e1);
            o += s2 - e1;
            System.arraycopy(r2, 0, out, o, r2.length);
            o += r2.length;
            tail = JsonScan.end(span2);
        }
        System.arraycopy(raw, tail, out, o, to - tail);
        return out;
    }
}
