package dev.shadowcat.auth;

import dev.shadowcat.config.AuthConfig;
import jakarta.json.JsonArray;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Checks a token by RFC 7662 introspection, for opaque tokens and for deployments that must see a revocation: the
 * authorization server must say {@code active}, name this gateway's issuer (when it names one) and this gateway's
 * resource among the audiences; roles and scopes are read as from a JWT's claims. Asynchronous: the auth filter
 * suspends the request on the first sight of a token and resumes it with the answer, so no request thread waits
 * for the authorization server. Thread-safe.
 */
final class Introspector {
    private final AuthConfig config;
    private final IdentityProvider idp;
    private final Set<String> audiences;

    Introspector(AuthConfig config, IdentityProvider idp) {
        this.config = config;
        this.idp = idp;
        Set<String> a = new LinkedHashSet<>();
        a.add(config.resource());
        a.addAll(config.audiences());
        this.audiences = Set.copyOf(a);
    }

    /**
     * The caller {@code token} stands for, once the authorization server has answered: completes exceptionally with
     * {@link InvalidTokenException} when it is not accepted, with {@link AuthServerUnavailableException} when the
     * authorization server could not be asked or answered with an error. Never blocks; the answer comes on one of
     * the identity provider's threads, in at most its timeout.
     */
    CompletableFuture<Caller> check(String token) {
        if (idp == null) {
            return CompletableFuture.failedFuture(new AuthServerUnavailableException(
                    "introspection is configured but the gateway has no client (auth.client)"));
        }
        CompletableFuture<Caller> out = new CompletableFuture<>();
        idp.introspect(token).whenComplete((o, err) -> {
            if (err != null) {
                Throwable c = dev.shadowcat.concurrent.Futures.cause(err);
                out.completeExceptionally(new AuthServerUnavailableException(
                        "the authorization server could not check the token: " + c.getMessage()));
                return;
            }
            try {
                out.complete(callerOf(o));
            } catch (InvalidTokenException | RuntimeException e) {
                out.completeExceptionally(e);
            }
        });
        return out;
    }

    /** The caller an introspection answer describes, if it is active and meant for this gateway. */
    private Caller callerOf(JsonObject o) throws InvalidTokenException {
        if (o.get("active") != JsonValue.TRUE) {
            throw new InvalidTokenException("the authorization server says the token is not active (expired or revoked)");
        }
        if (o.get("iss") instanceof JsonString iss && !iss.getString().equals(config.issuer())) {
            throw new InvalidTokenException("the token's iss is '" + iss.getString() + "', not this gateway's issuer");
        }
        List<String> aud = strings(o.get("aud"));
        if (aud.stream().noneMatch(audiences::contains)) {
            throw new InvalidTokenException("the token's aud " + aud + " does not name this gateway (" + config.resource() + ")");
        }
        String sub = o.get("sub") instanceof JsonString s ? s.getString() : null;
        if (sub == null || sub.isEmpty()) {
            throw new InvalidTokenException("the introspection answer has no sub");
        }
        long now = System.currentTimeMillis();
        long exp = o.get("exp") instanceof JsonNumber n ? n.longValue() * 1000 : now + config.introspection().cacheTtl().toMillis();
        if (exp <= now) {
            throw new InvalidTokenException("the token has expired");
        }
        Map<String, Object> claims = plain(o);
        Set<String> roles = new LinkedHashSet<>();
        for (String path : config.rolesClaims()) {
            TokenVerifier.collect(claims, path, roles);
        }
        Set<String> scopes = new LinkedHashSet<>();
        if (o.get("scope") instanceof JsonString s) {
            for (String one : s.getString().trim().split("\\s+")) {
                if (!one.isEmpty()) {
                    scopes.add(one);
                }
            }
        }
        return new Caller(sub, Set.copyOf(roles), Set.copyOf(scopes), exp);
    }

    private static List<String> strings(JsonValue v) {
        List<String> out = new ArrayList<>();
        if (v instanceof JsonString s) {
            out.add(s.getString());
        } else if (v instanceof JsonArray a) {
            for (JsonValue x : a) {
                if (x instanceof JsonString s) {
                    out.add(s.getString());
                }
            }
        }
        return out;
    }

    /** The answer as plain maps, lists and strings: the shape the role-claim paths are read from. */
    private static Map<String, Object> plain(JsonObject o) {
        Map<String, Object> m = new LinkedHashMap<>();
        o.forEach((k, v) -> m.put(k, plainValue(v)));
        return m;
    }

    private static Object plainValue(JsonValue v) {
        if (v instanceof JsonObject o) {
            return plain(o);
        }
        if (v instanceof JsonArray a) {
            List<Object> l = new ArrayList<>();
            a.forEach(x -> l.add(plainValue(x)));
            return l;
        }
        if (v instanceof JsonString s) {
            return s.getString();
        }
        return v.toString();
    }
}
