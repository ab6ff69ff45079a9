package dev.shadowcat.protocol;

import java.nio.charset.StandardCharsets;

/**
 * A validating JSON scanner over UTF-8 bytes that finds where values are without building them.
 *
 * <p>Stateless and thread-safe. The gateway reads only the few members routing needs (id, method,
 * a progress token) and rewrites them in place, so whole messages are never re-serialized on the
 * hot path.
 *
 * <p>Design: {@link #skipValue} validates the full grammar (strings, escapes, numbers, literals,
 * nesting up to {@link #MAX_DEPTH}); {@link #member} then walks an already validated object.
 */
public final class JsonScan {
    public static final int MAX_DEPTH = 256;

    private JsonScan() {
    }

    /** Thrown for text that is not JSON; carries the byte offset of the problem. */
    public static final class MalformedJsonException extends Exception {
        private static final long serialVersionUID = 1L;

        MalformedJsonException(String what, int offset) {
            super(what + " at byte " + offset, null, false, false);
        }
    }

    public static int skipWs(byte[] b, int i, int end) {
        while (i < end) {
            byte c = b[i];
            if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
                i++;
            } else {
                break;
            }
        }
        return i;
    }

    /** Validates the whole of {@code b[from, to)} as one JSON value surrounded by optional white space. */
    public static void validate(byte[] b, int from, int to) throws MalformedJsonException {
        int i = skipWs(b, from, to);
        if (i == to) {
            throw new MalformedJsonException("empty body", i);
        }
        i = skipValue(b, i, to, 0);
        i = skipWs(b, i, to);
        if (i != to) {
            throw new MalformedJsonException("unexpected data after the JSON value", i);
        }
    }

    /** Validates one value starting at {@code i} (no leading white space) and returns the index after it. */
    public static int skipValue(byte[] b, int i, int end, int depth) throws MalformedJsonException {
        if (i >= end) {
            throw new MalformedJsonException("unexpected end of input", i);
        }
        switch (b[i]) {
            case '{':
                return skipObject(b, i, end, depth + 1);
            case '[':
                return skipArray(b, i, end, depth + 1);
            case '"':
                return skipString(b, i, end);
            case 't':
                return literal(b, i, end, "true");
            case 'f':
                return literal(b, i, end, "false");
            case 'n':
                return literal(b, i, end, "null");
            default:
                return skipNumber(b, i, end);
        }
    }

    private static int skipObject(byte[] b, int i, int end, int depth) throws MalformedJsonException {
        if (depth > MAX_DEPTH) {
            throw new MalformedJsonException("nesting deeper than " + MAX_DEPTH, i);
        }
        i = skipWs(b, i + 1, end);
        if (i < end && b[i] == '}') {
            return i + 1;
        }
        while (true) {
            if (i >= end || b[i] != '"') {
                throw new MalformedJsonException("expected a member name", i);
            }
            i = skipWs(b, skipString(b, i, end), end);
            if (i >= end || b[i] != ':') {
                throw new MalformedJsonException("expected ':'", i);
            }
            i = skipWs(b, i + 1, end);
            i = skipWs(b, skipValue(b, i, end, depth), end);
            if (i >= end) {
                throw new MalformedJsonException("unterminated object", i);
            }
            if (b[i] == '}') {
                return i + 1;
            }
            if (b[i] != ',') {
                throw new MalformedJsonException("expected ',' or '}'", i);
            }
            i = skipWs(b, i + 1, end);
        }
    }

    private static int skipArray(byte[] b, int i, int end, int depth) throws MalformedJsonException {
        if (depth > MAX_DEPTH) {
            throw new MalformedJsonException("nesting deeper than " + MAX_DEPTH, i);
        }
        i = skipWs(b, i + 1, end);
        if (i < end && b[i] == ']') {
            return i + 1;
        }
        while (true) {
            i = skipWs(b, skipValue(b, i, end, depth), end);
            if (i >= end) {
                throw new MalformedJsonException("unterminated array", i);
            }
            if (b[i] == ']') {
                return i + 1;
            }
            if (b[i] != ',') {
                throw new MalformedJsonException("expected ',' or ']'", i);
            }
            i = skipWs(b, i + 1, end);
        }
    }

    static int skipString(byte[] b, int i, int end) throws MalformedJsonException {
        int start = i;
        i++;
        while (i < end) {
            byte c = b[i];
            if (c == '"') {
                return i + 1;
            }
            if (c == '\\') {
                if (i + 1 >= end) {
                    break;
                }
                byte e = b[i + 1];
                if (e == 'u') {
                    if (i + 6 > end) {
                        throw new MalformedJsonException("short \\u escape", i);
                    }
                    for (int k = i + 2; k < i + 6; k++) {
                        if (Character.digit(b[k], 16) < 0) {
                            throw new MalformedJsonException("bad \\u escape", k);
                        }
                    }
                    i += 6;
                    continue;
                }
                if ("\"\\/bfnrt".indexOf(e) < 0) {
                    throw new MalformedJsonException("bad escape", i);
                }
                i += 2;
                continue;
            }
            if ((c & 0xFF) < 0x20) {
                throw new MalformedJsonException("control character in string", i);
            }
            i++;
        }
        throw new MalformedJsonException("unterminated string", start);
    }

    private static int literal(byte[] b, int i, int end, String word) throws MalformedJsonException {
        int n = word.length();
        if (i + n > end) {
            throw new MalformedJsonException("bad literal", i);
        }
        for (int k = 0; k < n; k++) {
            if (b[i + k] != word.charAt(k)) {
                throw new MalformedJsonException("bad literal", i);
            }
        }
        return i + n;
    }

    private static int skipNumber(byte[] b, int i, int end) throws MalformedJsonException {
        int start = i;
        if (i < end && b[i] == '-') {
            i++;
        }
        if (i >= end) {
            throw new MalformedJsonException("bad number", start);
        }
        if (b[i] == '0') {
            i++;
        } else if (b[i] >= '1' && b[i] <= '9') {
            while (i < end && isDigit(b[i])) {
                i++;
            }
        } else {
            throw new MalformedJsonException("unexpected character '" + (char) (b[i] & 0xFF) + "'", start);
        }
        if (i < end && b[i] == '.') {
            i++;
            int d = i;
            while (i < end && isDigit(b[i])) {
                i++;
            }
            if (i == d) {
                throw new MalformedJsonException("bad fraction", start);
            }
        }
        if (i < end && (b[i] == 'e' || b[i] == 'E')) {
            i++;
            if (i < end && (b[i] == '+' || b[i] == '-')) {
                i++;
            }
            int d = i;
            while (i < end && isDigit(b[i])) {
                i++;
            }
            if (i == d) {
                throw new MalformedJsonException("bad exponent", start);
            }
        }
        return i;
    }

    private static boolean isDigit(byte c) {
        return c >= '0' && c <= '9';
    }

    /**
     * Finds the value of member {@code name} in the already validated object starting at {@code objStart}.
     * Returns {@code (start << 32) | end} of the value, or -1 when absent. Later duplicates win, as in most parsers.
     */
    public static long member(byte[] b, int objStart, int end, String name) {
        long found = -1;
        int i = skipWs(b, objStart + 1, end);
        if (i < end && b[i] == '}') {
            return -1;
        }
        try {
            while (i < end) {
                int keyStart = i;
                int keyEnd = skipString(b, i, end);
                i = skipWs(b, keyEnd, end) + 1; // ':'
                i = skipWs(b, i, end);
                int vStart = i;
                int vEnd = skipValue(b, i, end, 0);
                if (keyEquals(b, keyStart, keyEnd, name)) {
                    found = ((long) vStart << 32) | vEnd;
                }
                i = skipWs(b, vEnd, end);
                if (i >= end || b[i] == '}') {
                    break;
                }
                i = skipWs(b, i + 1, end); // ','
            }
        } catch (MalformedJsonException e) {
            throw new IllegalStateException("member() called on unvalidated JSON", e);
        }
        return found;
    }

    /** Follows a path of member names through nested objects; -1 when any step is absent or not an object. */
    public static long path(byte[] b, int objStart, int end, String... names) {
        int s = objStart;
        int e = end;
        long span = -1;
        for (String n : names) {
            if (s >= e || b[s] != '{') {
                return -1;
            }
            span = member(b, s, e, n);
            if (span < 0) {
                return -1;
            }
            s = start(span);
            e = end(span);
        }
        return span;
    }

    public static int start(long span) {
        return (int) (span >>> 32);
    }

    public static int end(long span) {
        return (int) span;
    }

    private static boolean keyEquals(byte[] b, int keyStart, int keyEnd, String name) {
        int n = keyEnd - keyStart - 2;
        if (n == name.length()) {
            for (int k = 0; k < n; k++) {
                if (b[keyStart + 1 + k] != name.charAt(k)) {
                    return false;
                }
            }
            return true;
        }
        // Escaped member names are legal but rare: compare decoded.
        for (int k = keyStart + 1; k < keyEnd - 1; k++) {
            if (b[k] == '\\') {
                return name.equals(decodeString(b, keyStart, keyEnd));
            }
        }
        return false;
    }

    /** Decodes the JSON string at {@code [start, end)} (quotes included). */
    public static String decodeString(byte[] b, int start, int end) {
        boolean plain = true;
        for (int k = start + 1; k < end - 1; k++) {
            if (b[k] == '\\') {
                plain = false;
                break;
            }
        }
        if (plain) {
            return new String(b, start + 1, end - start - 2, StandardCharsets.UTF_8);
        }
        StringBuilder sb = new StringBuilder(end - start);
        String raw = new String(b, start + 1, end - start - 2, StandardCharsets.UTF_8);
        for (int k = 0; k < raw.length(); k++) {
            char c = raw.charAt(k);
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            char e = raw.charAt(++k);
            switch (e) {
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> {
                    sb.append((char) Integer.parseInt(raw.substring(k + 1, k + 5), 16));
                    k += 4;
                }
                default -> sb.append(e);
            }
        }
        return sb.toString();
    }

    /** Appends {@code s} as a JSON string literal. */
    public static StringBuilder quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"');
    }

    public static String quote(String s) {
        return quote(new StringBuilder(s.length() + 2), s).toString();
    }
}
