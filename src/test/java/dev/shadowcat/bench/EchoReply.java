package dev.shadowcat.bench;

import java.nio.charset.StandardCharsets;

/** The echo floor's one answer, shared by {@link JettyEchoFloor} and {@link EchoStdioServer}. Stateless. */
final class EchoReply {
    private static final byte[] HEAD = "{\"jsonrpc\":\"2.0\",\"id\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TAIL = (",\"result\":{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{\"tools\":{}},"
            + "\"serverInfo\":{\"name\":\"jetty-echo-floor\",\"version\":\"1.0\"},"
            + "\"content\":[{\"type\":\"text\",\"text\":\"Echo: hello from the shadowcat load tool\"}]}}")
            .getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ID_KEY = "\"id\":".getBytes(StandardCharsets.US_ASCII);

    private EchoReply() {
    }

    /**
     * The fixed result with the id of {@code msg[0, len)} copied in, or null when the message has no id. Finds the
     * first {@code "id":} by byte search, nothing more: enough for what the load tool and the gateway send.
     */
    static byte[] reply(byte[] msg, int len) {
        int at = indexOf(msg, len, ID_KEY);
        if (at < 0) {
            return null;
        }
        int s = at + ID_KEY.length;
        while (s < len && msg[s] == ' ') {
            s++;
        }
        int e = s;
        if (e < len && msg[e] == '"') {
            e++;
            while (e < len && msg[e] != '"') {
                e += msg[e] == '\\' ? 2 : 1;
            }
            e++;
        } else {
            while (e < len && msg[e] != ',' && msg[e] != '}' && msg[e] != ' ') {
                e++;
            }
        }
        byte[] out = new byte[HEAD.length + (e - s) + TAIL.length];
        System.arraycopy(HEAD, 0, out, 0, HEAD.length);
        System.arraycopy(msg, s, out, HEAD.length, e - s);
        System.arraycopy(TAIL, 0, out, HEAD.length + (e - s), TAIL.length);
        return out;
    }

    private static int indexOf(byte[] b, int len, byte[] key) {
        outer:
        for (int i = 0; i + key.length <= len; i++) {
            for (int k = 0; k < key.length; k++) {
                if (b[i + k] != key[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
