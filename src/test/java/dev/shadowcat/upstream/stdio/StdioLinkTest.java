package dev.shadowcat.upstream.stdio;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** What a child's non-JSON stdout line looks like in the log: its start, escaped, bounded. */
class StdioLinkTest {
    @Test
    void aNonJsonLineIsLoggedAsABoundedEscapedPrefix() {
        byte[] forged = "Starting...\r\nSEVERE: forged \"line\" \\ é".getBytes(StandardCharsets.UTF_8);
        assertEquals("\"Starting...\\x0d\\x0aSEVERE: forged \\x22line\\x22 \\x5c \\xc3\\xa9\"",
                StdioLink.printablePrefix(forged, 200));
        byte[] long1000 = "y".repeat(1000).getBytes(StandardCharsets.US_ASCII);
        assertEquals("\"" + "y".repeat(10) + "\"… (1000 bytes)", StdioLink.printablePrefix(long1000, 10));
    }
}
