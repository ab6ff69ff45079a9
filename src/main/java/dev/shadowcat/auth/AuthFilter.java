package dev.shadowcat.auth;

import dev.shadowcat.config.AuthConfig;
import dev.shadowcat.protocol.ErrorCodes;

import jakarta.inject.Inject;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.security.Principal;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The resource server's front gate on every MCP door ({@code /mcp}, {@code /sse}, {@code /messages}, the
 * 2026-07-28 path) and on {@code /api} and {@code /metrics}, exactly as the MCP authorization spec says: 401 with
 * {@code WWW-Authenticate: Bearer resource_metadata="…"} for a missing, invalid or expired token, 403 with
 * {@code error="insufficient_scope"} and the scope needed, 400 for a malformed {@code Authorization} header or a
 * token in the query string. The caller is left in the request ({@link Caller#ATTRIBUTE}); the token goes no
 * further (the servlets never copy client headers upstream). Mapped after the Origin/Host filter (web.xml).
 */
@WebFilter(filterName = "auth", urlPatterns = {"/mcp", "/mcp/*", "/sse", "/sse/*", "/messages", "/messages/*", "/api/*",
        "/metrics"}, asyncSupported = true)
public class AuthFilter extends HttpFilter {
    private static final long serialVersionUID = 1L;

    @Inject
    transient Authenticator authenticator;

    /** A refusal at the gate: the status, the {@code WWW-Authenticate} challenge, the message, the subject if known. */
    private record Refusal(int status, String challenge, String message, String subject) {
        /** The JSON-RPC code of the body: the request was refused, or (503) could not be judged now. */
        int code() {
            return status == 503 ? ErrorCodes.UPSTREAM_UNAVAILABLE : ErrorCodes.INVALID_REQUEST;
        }
    }

    @Override
    protected void doFilter(HttpServletRequest req, HttpServletResponse resp, FilterChain chain)
            throws IOException, ServletException {
        AuthConfig a = authenticator.config();
        if (!a.enabled() || req.getDispatcherType() == jakarta.servlet.DispatcherType.ASYNC
                && req.getAttribute(Caller.ATTRIBUTE) instanceof Caller) {
            chain.doFilter(req, resp); // off, or resumed after an asynchronous check that let it through (below)
            return;
        }
        String path = req.getRequestURI().substring(req.getContextPath().length());
        boolean admin = path.startsWith("/api") || path.equals("/metrics");
        String query = req.getQueryString();
        if (query != null && (query.startsWith("access_token=") || query.contains("&access_token="))) {
            refuse(req, resp, new Refusal(400, "Bearer error=\"invalid_request\", error_description=\"tokens are accepted in the "
                    + "Authorization header only\", resource_metadata=\"" + metadata(admin, path) + "\"",
                    "Bad Request: a token in the query string is refused; send it as Authorization: Bearer", null));
            return;
        }
        Caller caller;
        String token = null;
        if (a.bearer()) {
            java.util.Enumeration<String> headers = req.getHeaders("Authorization");
            if (headers == null || !headers.hasMoreElements()) {
                refuse(req, resp, new Refusal(401, challenge(a, metadata(admin, path), null, null),
                        "Unauthorized: this gateway needs a bearer token", null));
                return;
            }
            String header = headers.nextElement();
            if (headers.hasMoreElements()) {
                header = null; // more than one: malformed
            }
            // the header a connection repeats is the same String (Jetty's header cache): known without hashing
            RecentHeaders.Entry seen = header == null ? null : authenticator.seen(header);
            if (seen != null) {
                caller = seen.caller();
                token = seen.token();
            } else {
                token = header == null ? null : bearerCandidate(header);
                // a token seen before was checked when it was first seen: only a new one has its syntax checked
                caller = token == null ? null : authenticator.cached(token);
                if (token == null || (caller == null && !isToken68(token))) {
                    refuse(req, resp, new Refusal(400, "Bearer error=\"invalid_request\", resource_metadata=\""
                            + metadata(admin, path) + "\"", "Bad Request: the Authorization header must be exactly one 'Bearer <token>'", null));
                    return;
                }
                if (caller == null && authenticator.checksRemotely()) {
                    checkRemotely(req, a, admin, path, header, token);
                    return;
                }
                try {
                    if (caller == null) {
                        caller = authenticator.authenticate(token);
                    }
                } catch (InvalidTokenException e) {
                    refuse(req, resp, invalid(a, admin, path, e));
                    return;
                } catch (AuthServerUnavailableException e) {
                    refuse(req, resp, unjudged(e));
                    return;
                }
                authenticator.remember(header, token, caller);
            }
        } else {
            Principal p = req.getUserPrincipal();
            if (p == null) {
                refuse(req, resp, new Refusal(401, challenge(a, metadata(admin, path), null, null),
                        "Unauthorized: the container has not authenticated this request (see its login-config)", null));
                return;
            }
            // the container knows which roles its user has only when asked by name: ask for every name the config uses
            Set<String> roles = new LinkedHashSet<>();
            for (String r : authenticator.roleNames()) {
                if (req.isUserInRole(r)) {
                    roles.add(r);
                }
            }
            caller = new Caller(p.getName(), Set.copyOf(roles), Set.of(), 0);
        }
        Refusal no = decide(a, admin, path, caller);
        if (no != null) {
            refuse(req, resp, no);
            return;
        }
        admit(req, caller, token);
        chain.doFilter(req, resp);
    }

    /** What the gateway knows of the request from here on: who sent it, and the token for upstream exchanges. */
    private static void admit(jakarta.servlet.ServletRequest req, Caller caller, String token) {
        req.setAttribute(Caller.ATTRIBUTE, caller);
        if (token != null) {
            req.setAttribute(Caller.TOKEN_ATTRIBUTE, token);
        }
    }

    /** Whether an authenticated caller may pass: the admin roles or the required scopes, then the policy's door. */
    private Refusal decide(AuthConfig a, boolean admin, String path, Caller caller) {
        List<String> needed = admin ? a.adminRoles() : a.scopes();
        if (!needed.isEmpty() && !caller.hasAny(needed)) {
            return new Refusal(403, "Bearer error=\"insufficient_scope\", scope=\"" + String.join(" ", needed)
                    + "\", resource_metadata=\"" + metadata(admin, path) + "\"",
                    "Forbidden: this needs one of " + needed + (admin ? " (the operations API and metrics are for admins)" : ""),
                    caller.subject());
        }
        String denied = admin ? null : authenticator.doorRefusal(caller.grants(), path);
        if (denied != null) {
            return new Refusal(403, "Bearer error=\"insufficient_scope\", error_description=\"" + denied
                    + "\", resource_metadata=\"" + metadata(admin, path) + "\"", "Forbidden: " + denied, caller.subject());
        }
        return null;
    }

    private Refusal invalid(AuthConfig a, boolean admin, String path, InvalidTokenException e) {
        return new Refusal(401, challenge(a, metadata(admin, path), "invalid_token", e.getMessage()),
                "Unauthorized: the token is not accepted: " + e.getMessage(), null);
    }

    /** The token could not be judged: 503 with Retry-After and no challenge, so the client keeps its token. */
    private static Refusal unjudged(AuthServerUnavailableException e) {
        return new Refusal(503, null, "Service Unavailable: " + e.getMessage() + "; try again later", null);
    }

    /** How long a request may wait for the authorization server's answer before it gets a 503 (its timeouts come first). */
    static final long REMOTE_CHECK_LIMIT_MILLIS = 15_000;

    /**
     * A token the authorization server must judge (introspection): the request is suspended, no Jetty thread waits,
     * and the answer resumes it. Admitted, it is dispatched again to where it was going, with the caller already set
     * (the filter lets such a dispatch through; a container that does not run filters on async dispatches goes
     * straight to the servlet, which finds the caller as well). Refused, the refusal is written from here.
     */
    private void checkRemotely(HttpServletRequest req, AuthConfig a, boolean admin, String path, String header, String token) {
        jakarta.servlet.AsyncContext async = req.startAsync();
        async.setTimeout(REMOTE_CHECK_LIMIT_MILLIS);
        java.util.concurrent.atomic.AtomicBoolean answered = new java.util.concurrent.atomic.AtomicBoolean();
        async.addListener(new jakarta.servlet.AsyncListener() {
            @Override
            public void onTimeout(jakarta.servlet.AsyncEvent event) {
                if (answered.compareAndSet(false, true)) {
                    refuseAsync(req, async, unjudged(new AuthServerUnavailableException(
                            "the authorization server did not judge the token within " + REMOTE_CHECK_LIMIT_MILLIS / 1000 + " s")));
                }
            }

            @Override
            public void onComplete(jakarta.servlet.AsyncEvent event) {
            }

            @Override
            public void onError(jakarta.servlet.AsyncEvent event) {
                answered.set(true);
            }

            @Override
            public void onStartAsync(jakarta.servlet.AsyncEvent event) {
            }
        });
        authenticator.introspect(token).whenComplete((caller, err) -> {
            if (!answered.compareAndSet(false, true)) {
                return; // timed out, or the client went away
            }
            Throwable c = err == null ? null : dev.shadowcat.concurrent.Futures.cause(err);
            Refusal no;
            if (c == null) {
                no = decide(a, admin, path, caller);
            } else if (c instanceof InvalidTokenException e) {
                no = invalid(a, admin, path, e);
            } else if (c instanceof AuthServerUnavailableException u) {
                no = unjudged(u);
            } else {
                no = unjudged(new AuthServerUnavailableException("the token could not be checked: " + c));
            }
            if (no != null) {
                refuseAsync(req, async, no);
                return;
            }
            authenticator.remember(header, token, caller);
            admit(req, caller, token);
            async.dispatch();
        });
    }

    /**
     * RFC 6750 §2.1: {@code Bearer} (any case), one space, a token68 ({@code ALPHA DIGIT - . _ ~ + /}, then
     * {@code =} padding); null when the header is anything else. A loop, not a regex: it runs on every request over
     * a token of 1-2 KB.
     */
    static String bearerToken(String header) {
        String t = bearerCandidate(header);
        return t != null && isToken68(t) ? t : null;
    }

    /** What follows {@code Bearer } (any case, one space), or null; its syntax is {@link #isToken68}'s to check. */
    static String bearerCandidate(String header) {
        String h = header.isEmpty() || (header.charAt(0) > ' ' && header.charAt(header.length() - 1) > ' ') ? header : header.trim();
        if (h.length() < 8 || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        return h.substring(7);
    }

    /** RFC 6750's token68: {@code ALPHA DIGIT - . _ ~ + /}, then {@code =} padding. */
    static boolean isToken68(String h) {
        int n = h.length();
        int i = 0;
        while (i < n) {
            char c = h.charAt(i);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/') {
                i++;
            } else {
                break;
            }
        }
        if (i == 0) {
            return false;
        }
        while (i < n && h.charAt(i) == '=') {
            i++;
        }
        return i == n;
    }

    /** Where the protected-resource metadata of the requested endpoint is: built only for a refusal's challenge. */
    private String metadata(boolean admin, String path) {
        return authenticator.resourceMetadataUrl(admin ? "" : endpointPath(path));
    }

    /** The MCP endpoint a path belongs to, whose metadata the challenge names: /mcp[/name] or /sse[/name]. */
    static String endpointPath(String path) {
        if (path.startsWith("/messages")) {
            return "/sse";
        }
        return path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }

    private static String challenge(AuthConfig a, String metadata, String error, String description) {
        StringBuilder b = new StringBuilder("Bearer resource_metadata=\"").append(metadata).append('"');
        if (!a.scopes().isEmpty()) {
            b.append(", scope=\"").append(String.join(" ", a.scopes())).append('"');
        }
        if (error != null) {
            b.append(", error=\"").append(error).append('"');
            if (description != null) {
                b.append(", error_description=\"").append(description.replace('"', '\'').replace('\\', '/')).append('"');
            }
        }
        return b.toString();
    }

    /** What every refusal does before its answer: an audit line (never the token) and the challenge. */
    private void announce(HttpServletRequest req, HttpServletResponse resp, Refusal no) {
        authenticator.audit(req.getRequestURI(), no.status, no.message, no.subject, req.getRemoteAddr());
        if (no.challenge != null) {
            resp.setHeader("WWW-Authenticate", no.challenge);
        }
        if (no.status == 503) {
            resp.setHeader("Retry-After", dev.shadowcat.web.HttpErrors.RETRY_AFTER_SECONDS);
        }
    }

    /** A refusal of a suspended request, from whichever thread decided it. */
    private void refuseAsync(HttpServletRequest req, jakarta.servlet.AsyncContext async, Refusal no) {
        announce(req, (HttpServletResponse) async.getResponse(), no);
        dev.shadowcat.web.HttpErrors.refuseAsync(async, no.status, no.code(), no.message);
    }

    private void refuse(HttpServletRequest req, HttpServletResponse resp, Refusal no) throws IOException {
        announce(req, resp, no);
        // the body of a refused POST is read and dropped first: closed under an unread body, the connection would
        // fail the client's next request on it (Java's HttpClient reports "header parser received no bytes")
        dev.shadowcat.web.HttpErrors.refuse(req, resp, no.status, no.code(), no.message);
    }
}
