package dev.shadowcat.protocol;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class HeaderValuesTest {
    @Test
    void plainValuesStayPlain_othersAreBase64_andBothDecodeBack() {
        assertEquals("eu-west-1", HeaderValues.encode("eu-west-1"));
        assertEquals("=?base64?SGVsbG8sIOS4lueVjA==?=", HeaderValues.encode("Hello, 世界"), "the spec's own example");
        for (String v : new String[]{"eu-west-1", "Hello, 世界", " padded ", "line\nbreak", "=?base64?looks-encoded?=", "tab\there"}) {
            assertEquals(v, HeaderValues.decode(HeaderValues.encode(v)), v);
        }
    }

    @Test
    void decodingTrimsWhiteSpace_andRejectsBrokenBase64() {
        assertEquals("tools/call", HeaderValues.decode("  tools/call \t"));
        assertNull(HeaderValues.decode("=?base64?%%%?="));
        assertNull(HeaderValues.decode(null));
    }
}
