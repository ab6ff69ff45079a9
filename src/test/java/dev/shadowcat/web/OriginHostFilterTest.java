package dev.shadowcat.web;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The operations API's loopback check reads the container's remote address; no name is ever resolved. */
class OriginHostFilterTest {
    @Test
    void loopbackAddressesInEveryFormAreLoopback() {
        for (String a : new String[]{"127.0.0.1", "127.1.2.3", "::1", "0:0:0:0:0:0:0:1", "[::1]"}) {
            assertTrue(OriginHostFilter.isLoopback(a), a);
        }
    }

    @Test
    void everyOtherAddressAndAnythingThatIsNotALiteralIsNot() {
        for (String a : new String[]{"10.0.0.7", "192.168.1.20", "172.16.0.1", "8.8.8.8", "fe80::1", "2001:db8::1",
                "localhost", "evil.example", "", "127.0.0.1.evil"}) {
            assertFalse(OriginHostFilter.isLoopback(a), a);
        }
        assertFalse(OriginHostFilter.isLoopback(null));
    }
}
