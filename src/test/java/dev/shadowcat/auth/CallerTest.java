package dev.shadowcat.auth;

import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** What authorization rules match on: a caller's roles and scopes together, computed once per caller. */
class CallerTest {
    @Test
    void grantsAreRolesAndScopesComputedOnce() {
        Caller alice = new Caller("alice", Set.of("mcp-user"), Set.of("mcp"), 5_000);
        assertEquals(Set.of("mcp-user", "mcp"), alice.grants());
        assertSame(alice.grants(), alice.grants(), "the authorization stage looks it up for every message");
        Caller bob = new Caller("bob", Set.of("mcp-user"), Set.of(), 5_000);
        assertSame(bob.roles(), bob.grants(), "no scopes: the roles themselves");
    }
}
