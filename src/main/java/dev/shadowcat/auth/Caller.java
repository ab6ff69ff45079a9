package dev.shadowcat.auth;

import jakarta.servlet.http.HttpServletRequest;

import java.util.Set;

/**
 * Who sent a request: a token's subject with its roles and scopes, or {@link #ANONYMOUS} when authentication is
 * off. Never holds the token. Immutable.
 *
 * @param subject       the {@code sub} claim (or the container's principal name)
 * @param roles         role and group names from the configured claims
 * @param scopes        the token's scopes
 * @param expiresAtMillis when the token expires (0: not from a token)
 * @param grants        its roles and scopes together: what authorization rules match on (computed once, since the
 *                      authorization stage looks it up for every message)
 */
public record Caller(String subject, Set<String> roles, Set<String> scopes, long expiresAtMillis, Set<String> grants)
        implements java.security.Principal {
    public static final Caller ANONYMOUS = new Caller(dev.shadowcat.pipeline.CallContext.ANONYMOUS, Set.of(), Set.of(), 0);
    /** The request attribute the authentication filter leaves for the servlets. */
    public static final String ATTRIBUTE = Caller.class.getName();

    /** The request attribute holding the bearer token itself, for upstream token exchanges only. */
    public static final String TOKEN_ATTRIBUTE = Caller.class.getName() + ".token";

    public Caller(String subject, Set<String> roles, Set<String> scopes, long expiresAtMillis) {
        this(subject, roles, scopes, expiresAtMillis, union(roles, scopes));
    }

    private static Set<String> union(Set<String> roles, Set<String> scopes) {
        if (scopes.isEmpty()) {
            return roles;
        }
        java.util.Set<String> all = new java.util.LinkedHashSet<>(roles);
        all.addAll(scopes);
        return Set.copyOf(all);
    }

    public static Caller of(jakarta.servlet.ServletRequest req) {
        return req.getAttribute(ATTRIBUTE) instanceof Caller c ? c : ANONYMOUS;
    }

    /**
     * The bearer token the request was authenticated with (null in the other modes). It goes only to the
     * authorization server, in a token exchange for an upstream: never upstream, never to a log.
     */
    public static String presentedToken(jakarta.servlet.ServletRequest req) {
        return req.getAttribute(TOKEN_ATTRIBUTE) instanceof String s ? s : null;
    }

    /** Whether any of {@code names} is one of its roles or scopes. */
    public boolean hasAny(java.util.Collection<String> names) {
        for (String n : names) {
            if (roles.contains(n) || scopes.contains(n)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String getName() {
        return subject;
    }

    @Override
    public String toString() {
        return "Caller{" + subject + " roles=" + roles + " scopes=" + scopes + "}";
    }
}
