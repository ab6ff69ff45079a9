package dev.shadowcat.auth;

import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

/** The identity cache in front of the verified-token cache: only the very same header object, only until expiry. */
class RecentHeadersTest {
    private final AtomicLong now = new AtomicLong(1_000);
    private final RecentHeaders recent = new RecentHeaders(now::get);
    private final Caller alice = new Caller("alice", Set.of("mcp-user"), Set.of("mcp"), 5_000);

    @Test
    void theSameHeaderObjectIsKnownUntilItsTokenExpires() {
        String header = "Bearer " + "abc.def.ghi";
        recent.put(header, "abc.def.ghi", alice);
        assertSame(alice, recent.get(header).caller());
        assertEquals("abc.def.ghi", recent.get(header).token());
        now.set(5_000);
        assertNull(recent.get(header), "an expired token is not served from here; the filter checks it again");
        assertNull(recent.get(header), "and the entry is gone");
    }

    @Test
    void anEqualButDifferentStringIsNotKnown() {
        String header = "Bearer " + "abc.def.ghi";
        String same = new String(header.toCharArray());
        assertNotSame(header, same);
        recent.put(header, "abc.def.ghi", alice);
        assertNull(recent.get(same), "equal text from another connection goes through the hash lookup, by design");
        assertNull(recent.get("Bearer forged"));
    }

    @Test
    void entriesNeverShowTheToken() {
        String header = "Bearer secret-token-text";
        recent.put(header, "secret-token-text", alice);
        assertEquals(-1, recent.get(header).toString().indexOf("secret-token-text"));
    }
}
