package dev.shadowcat.stream;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Builds Server-Sent Events frames as bytes. Stateless. */
public final class SseFrames {
    public static final byte[] KEEP_ALIVE = ": keepalive\n\n".getBytes(StandardCharsets.US_ASCII);

    private SseFrames() {
    }

    /** {@code id: <id>\nevent: message\ndata: <json>\n\n}; a payload with line breaks becomes several data lines. */
    public static byte[] event(String id, byte[] data) {
        byte[] head = ("id: " + id + "\nevent: message\ndata: ").getBytes(StandardCharsets.US_ASCII);
        if (!hasLineBreak(data)) {
            byte[] out = new byte[head.length + data.length + 2];
            System.arraycopy(head, 0, out, 0, head.length);
            System.arraycopy(data, 0, out, head.length, data.length);
            out[out.length - 2] = '\n';
            out[out.length - 1] = '\n';
            return out;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(head.length + data.length + 16);
        out.writeBytes(head);
        for (int i = 0; i < data.length; i++) {
            byte c = data[i];
            if (c == '\r' || c == '\n') {
                if (c == '\r' && i + 1 < data.length && data[i + 1] == '\n') {
                    i++;
                }
                out.writeBytes("\ndata: ".getBytes(StandardCharsets.US_ASCII));
            } else {
                out.write(c);
            }
        }
        out.writeBytes("\n\n".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    /** An event with an id and empty data: gives the client a resumption point before anything else is sent. */
    public static byte[] priming(String id, long retryMillis) {
        return ("id: " + id + "\nretry: " + retryMillis + "\ndata: \n\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static boolean hasLineBreak(byte[] data) {
        for (byte c : data) {
            if (c == '\n' || c == '\r') {
                return true;
            }
        }
        return false;
    }
}
