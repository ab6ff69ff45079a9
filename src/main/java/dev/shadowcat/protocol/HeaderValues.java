package dev.shadowcat.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Values of the headers 2026-07-28 mirrors from the body ({@code Mcp-Name}, {@code Mcp-Param-*}): plain when they
 * are visible ASCII without surrounding white space, else {@code =?base64?<UTF-8 as Base64>?=}.
 */
public final class HeaderValues {
    private static final String PREFIX = "=?base64?";
    private static final String SUFFIX = "?=";

    private HeaderValues() {
    }

    public static String encode(String value) {
        boolean plain = !value.isEmpty() && !value.startsWith(PREFIX)
                && value.charAt(0) != ' ' && value.charAt(value.length() - 1) != ' ';
        for (int i = 0; plain && i < value.length(); i++) {
            char c = value.charAt(i);
            plain = c >= 0x20 && c < 0x7f;
        }
        return plain ? value : PREFIX + Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8)) + SUFFIX;
    }

    /** The value a header carries: surrounding white space is not part of it; the Base64 form is decoded. Null if malformed. */
    public static String decode(String header) {
        if (header == null) {
            return null;
        }
        String v = header.strip();
        if (v.startsWith(PREFIX) && v.endsWith(SUFFIX) && v.length() >= PREFIX.length() + SUFFIX.length()) {
            try {
                return new String(Base64.getDecoder().decode(v.substring(PREFIX.length(), v.length() - SUFFIX.length())), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        return v;
    }
}
