package dev.shadowcat.manage;

import java.util.Map;

/** {@code dev.shadowcat:type=Sessions,context=…}: the open client sessions. */
public interface SessionsMXBean {
    int getCount();

    Map<String, Integer> getCountByUpstream();

    /** By the caller's subject ({@code anonymous} while authentication is off). */
    Map<String, Integer> getCountByPrincipal();

    /** The sessions' public handles (never their secret ids), as {@code /api/sessions} shows them. */
    String[] getHandles();

    /** Closes the session with this handle (its client gets 404 and initializes again); false if there is none. */
    boolean closeSession(String handle);
}
