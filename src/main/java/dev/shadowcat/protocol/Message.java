package dev.shadowcat.protocol;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One JSON-RPC 2.0 message kept as its original bytes, with the positions of the members routing needs.
 *
 * <p>Immutable and thread-safe. The id is kept as its exact JSON text ({@code 7}, {@code "a"}) so it
 * can be written back byte for byte after remapping.
 */
public final class Message {
    public enum Kind { REQUEST, NOTIFICATION, RESPONSE }

    private final byte[] raw;
    private final int start;
    private final int end;
    private final Kind kind;
    private final String method;
    private final long idSpan;
    private final long paramsSpan;
    private final boolean error;

    private Message(byte[] raw, int start, int end, Kind kind, String method, long idSpan, long paramsSpan,
                    boolean error) {
        this.raw = raw;
        this.start = start;
        this.end = end;
        this.kind = kind;
        this.method = method;
        this.idSpan = idSpan;
        this.paramsSpan = paramsSpan;
        this.error = error;
    }

    /** Parses one message that fills {@code bytes}. */
    public static Message parse(byte[] bytes) throws ProtocolException {
        try {
            JsonScan.validate(bytes, 0, bytes.length);
        } catch (JsonScan.MalformedJsonException e) {
            throw new ProtocolException(ErrorCodes.PARSE_ERROR, "Parse error: " + e.getMessage());
        }
        int s = JsonScan.skipWs(bytes, 0, bytes.length);
        if (bytes[s] == '[') {
            throw new ProtocolException(ErrorCodes.INVALID_REQUEST, "Invalid Request: a batch (JSON array) where one message was expected");
        }
        return of(bytes, s, lastNonWs(bytes, bytes.length));
    }

    /** Parses a body that may be a single message or (when allowed) a batch. */
    public static List<Message> parseBody(byte[] bytes, boolean batchAllowed) throws ProtocolException {
        try {
            JsonScan.validate(bytes, 0, bytes.length);
        } catch (JsonScan.MalformedJsonException e) {
            throw new ProtocolException(ErrorCodes.PARSE_ERROR, "Parse error: " + e.getMessage());
        }
        int s = JsonScan.skipWs(bytes, 0, bytes.length);
        int e = lastNonWs(bytes, bytes.length);
        if (bytes[s] != '[') {
            return List.of(of(bytes, s, e));
        }
        if (!batchAllowed) {
            throw new ProtocolException(ErrorCodes.INVALID_REQUEST,
                    "Invalid Request: JSON-RPC batches are only allowed with protocol version 2025-03-26");
        }
        List<Message> out = new ArrayList<>();
        int i = JsonScan.skipWs(bytes, s + 1, e);
        try {
            while (i < e - 1) {
                int vEnd = JsonScan.skipValue(bytes, i, e, 0);
                out.add(of(bytes, i, vEnd));
                i = JsonScan.skipWs(bytes, vEnd, e);
                if (bytes[i] == ',') {
                    i = JsonScan.skipWs(bytes, i + 1, e);
                }
            }
        } catch (JsonScan.MalformedJsonException ex) {
            throw new ProtocolException(ErrorCodes.PARSE_ERROR, "Parse error: " + ex.getMessage());
        }
        if (out.isEmpty()) {
            throw new ProtocolException(ErrorCodes.INVALID_REQUEST, "Invalid Request: empty batch");
        }
        return out;
    }

    private static int lastNonWs(byte[] b, int end) {
        while (end > 0) {
            byte c = b[end - 1];
            if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
                end--;
            } else {
                break;
            }
        }
        return end;
    }

    private static Message of(byte[] b, int s, int e) throws ProtocolException {
        if (b[s] != '{') {
            throw new ProtocolException(ErrorCodes.INVALID_REQUEST, "Invalid Request: a JSON-RPC message must be a JSON object");
        }
        long version = JsonScan.member(b, s, e, "jsonrpc");
        if (version < 0 || !"\"2.0\"".equals(text(b, version))) {
            throw new ProtocolException(ErrorCodes.INVALID_REQUEST, "Invalid Request: \"jsonrpc\" must be \"2.0\"");
        }
        long idSpan = JsonScan.member(b, s, e, "id");
        long methodSpan = JsonScan.member(b, s, e, "method");
        long paramsSpan = JsonScan.member(b, s, e, "params");
        if (idSpan >= 0) {
            byte c = b[JsonScan.start(idSpan)];
            boolean ok = c == '"' || c == '-' || (c >= '0' && c <= '9') || (methodSpan < 0 && c == 'n');
            if (!ok) {
                throw new ProtocolException(ErrorCodes.INVALID_REQUEST, "Invalid Request: \"id\" must be a string or a number");
            }
        }
        if (methodSpan >= 0) {
            if (b[JsonScan.start(methodSpan)] != '"') {
                throw new ProtocolException(ErrorCodes.INVALID_REQUEST, "Invalid Request: \"method\" must be a string");
            }
            if (paramsSpan >= 0) {
                byte p = b[JsonScan.start(paramsSpan)];
                if (p != '{' && p != '[') {
                    throw new ProtocolException(ErrorCodes.INVALID_REQUEST, "Invalid Request: \"params\" must be an object or an array");
                }
            }
            String method = JsonScan.decodeString(b, JsonScan.start(methodSpan), JsonScan.end(methodSpan));
            return new Message(b, s, e, idSpan >= 0 ? Kind.REQUEST : Kind.NOTIFICATION, method, idSpan, paramsSpan, false);
        }
        long result = JsonScan.member(b, s, e, "result");
        long err = JsonScan.member(b, s, e, "error");
        if (idSpan < 0 || (result < 0) == (err < 0)) {
            throw new ProtocolException(ErrorCodes.INVALID_REQUEST,
                    "Invalid Request: neither a request (\"method\") nor a response (\"id\" with exactly one of \"result\" or \"error\")");
        }
        return new Message(b, s, e, Kind.RESPONSE, null, idSpan, -1, err >= 0);
    }

    private static String text(byte[] b, long span) {
        return new String(b, JsonScan.start(span), JsonScan.end(span) - JsonScan.start(span), StandardCharsets.UTF_8);
    }

    public Kind kind() {
        return kind;
    }

    public boolean isRequest() {
        return kind == Kind.REQUEST;
    }

    public boolean isNotification() {
        return kind == Kind.NOTIFICATION;
    }

    public boolean isResponse() {
        return kind == Kind.RESPONSE;
    }

    public boolean isError() {
        return error;
    }

    /** The method name, or null for a response. */
    public String method() {
        return method;
    }

    /** The id's JSON text, or null for a notification. */
    public String idJson() {
        return idSpan < 0 ? null : text(raw, idSpan);
    }

    public boolean hasParams() {
        return paramsSpan >= 0;
    }

    /** Span of a member path under {@code params}, or -1. */
    public long paramsPath(String... names) {
        if (paramsSpan < 0) {
            return -1;
        }
        return JsonScan.path(raw, JsonScan.start(paramsSpan), JsonScan.end(paramsSpan), names);
    }

    /** Span of a member path from the message's top level, or -1. */
    public long path(String... names) {
        return JsonScan.path(raw, start, end, names);
    }

    /** A string at a member path from the top level, decoded, or null. */
    public String string(String... names) {
        long span = path(names);
        if (span < 0 || raw[JsonScan.start(span)] != '"') {
            return null;
        }
        return JsonScan.decodeString(raw, JsonScan.start(span), JsonScan.end(span));
    }

    /** The JSON text at {@code span}. */
    public String textAt(long span) {
        return text(raw, span);
    }

    /** A string member under {@code params} decoded, or null when absent or not a string. */
    public String paramString(String... names) {
        long span = paramsPath(names);
        if (span < 0 || raw[JsonScan.start(span)] != '"') {
            return null;
        }
        return JsonScan.decodeString(raw, JsonScan.start(span), JsonScan.end(span));
    }

    /** The {@code params} object's JSON text, or null. */
    public String paramsJson() {
        return paramsSpan < 0 ? null : text(raw, paramsSpan);
    }

    /** The message's bytes (a copy only when it was a batch element). */
    public byte[] bytes() {
        if (start == 0 && end == raw.length) {
            return raw;
        }
        byte[] out = new byte[end - start];
        System.arraycopy(raw, start, out, 0, out.length);
        return out;
    }

    public int size() {
        return end - start;
    }

    /** A copy of this message with its id replaced and, if given, one more span replaced. */
    public byte[] rewrite(String newIdJson, long otherSpan, String otherJson) {
        return Splice.apply(raw, start, end, idSpan, newIdJson, otherSpan, otherJson);
    }

    /**
     * A copy with {@code members} (JSON text like {@code "a":1,"b":2}) added at the front of the {@code result}
     * object, or this message's bytes unchanged when it has no object result.
     */
    public byte[] withResultMembers(String members) {
        long span = path("result");
        if (span < 0 || raw[JsonScan.start(span)] != '{') {
            return bytes();
        }
        int open = JsonScan.start(span);
        boolean empty = raw[JsonScan.skipWs(raw, open + 1, JsonScan.end(span))] == '}';
        byte[] add = (members + (empty ? "" : ",")).getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[end - start + add.length];
        int head = open + 1 - start;
        System.arraycopy(raw, start, out, 0, head);
        System.arraycopy(add, 0, out, head, add.length);
        System.arraycopy(raw, open + 1, out, head + add.length, end - open - 1);
        return out;
    }

    /** A copy with only the span replaced. */
    public byte[] rewriteSpan(long span, String json) {
        return Splice.apply(raw, start, end, span, json, -1, null);
    }

    /** Re-parses rewritten bytes produced by this gateway (known to be valid). */
    public static Message trusted(byte[] bytes) {
        try {
            return of(bytes, 0, bytes.length);
        } catch (ProtocolException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "Message{" + kind + (method != null ? " " + method : "") + (idSpan >= 0 ? " id=" + idJson() : "")
                + " " + size() + "B}";
    }
}
