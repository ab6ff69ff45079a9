package dev.shadowcat.auth;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The Authorization header grammar of RFC 6750 §2.1. */
class AuthFilterTest {
    @Test
    void onlyBearerWithOneToken68IsAToken() {
        assertEquals("abc.DEF-_~+/9", AuthFilter.bearerToken("Bearer abc.DEF-_~+/9"));
        assertEquals("abc==", AuthFilter.bearerToken("bearer abc=="), "the scheme is case-insensitive; = pads at the end");
        assertEquals("x", AuthFilter.bearerToken("  BEARER x  "));
        assertNull(AuthFilter.bearerToken("Bearer"));
        assertNull(AuthFilter.bearerToken("Bearer "));
        assertNull(AuthFilter.bearerToken("Bearer a b"));
        assertNull(AuthFilter.bearerToken("Bearer a=b"), "= only as padding");
        assertNull(AuthFilter.bearerToken("Bearer =abc"));
        assertNull(AuthFilter.bearerToken("Bearer  abc"), "exactly one space");
        assertNull(AuthFilter.bearerToken("Basic YWxpY2U6c2VjcmV0"));
        assertNull(AuthFilter.bearerToken("Bearer abc\u00e9"));
        assertNull(AuthFilter.bearerToken("Bearerabc"));
    }
}
