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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Checks a token by RFC 7662 introspection, for opaque tokens and for deployments that must see a revocation: the
 * authorization server must say {@code active}, name this gateway's issuer (when it names one) and this gateway's
 * resource among the audiences; roles and scopes are read as from a JWT's claims. The caller (the auth filter, on
 * the first sight of a token) waits at most {@link IdentityProvider#TIMEOUT_MILLIS} plus a little. Thread-safe.
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

    Caller check(String token) throws InvalidTokenException {
        if (idp == null) {
            throw new InvalidTokenException("introspection is configured but the gateway has no client (auth.client)");
        }
        JsonObject o;
        try {
            o = idp.introspect(token).get(IdentityProvider.TIMEOUT_MILLIS + 1000L, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new InvalidTokenException("the token could not be checked: " + e.getCause().getMessage());
        } catch (TimeoutException e) {
            throw new InvalidTokenException("the token could not be checked: the authorization server did not answer in time");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InvalidTokenException("the token could not be checked: interrupted");
        }
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
