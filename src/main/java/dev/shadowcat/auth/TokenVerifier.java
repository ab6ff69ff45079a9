package dev.shadowcat.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.shadowcat.config.AuthConfig;

import java.net.MalformedURLException;
import java.net.URI;
import java.text.ParseException;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Validates JWT access tokens with Nimbus JOSE+JWT: the signature against the issuer's keys (fetched from its
 * {@code jwks_uri}, cached, refetched on an unknown {@code kid} at most once per {@link #MIN_REFETCH_MILLIS}, so a
 * flood of forged key ids cannot hammer the identity provider), an algorithm from the allow-list (never
 * {@code none}, never HS*), {@code iss} exactly, {@code aud} containing this gateway's resource, {@code exp} and
 * {@code nbf} within the clock skew. Thread-safe; the processor is immutable after construction.
 */
public final class TokenVerifier {
    static final long MIN_REFETCH_MILLIS = 30_000;
    private static final int HTTP_TIMEOUT_MILLIS = 3_000;

    private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
    private final List<String> rolesClaims;
    private final String issuer;

    /** Keys from the issuer: {@code jwksUri} is asked for on first use (it may need the issuer's metadata, fetched then). */
    public static TokenVerifier remote(AuthConfig config, Supplier<URI> jwksUri) {
        return new TokenVerifier(config, new LazyJwkSource(() -> {
            try {
                return JWKSourceBuilder.<SecurityContext>create(jwksUri.get().toURL(),
                                new DefaultResourceRetriever(HTTP_TIMEOUT_MILLIS, HTTP_TIMEOUT_MILLIS, 512 * 1024))
                        .cache(15 * 60_000L, HTTP_TIMEOUT_MILLIS)
                        .rateLimited(MIN_REFETCH_MILLIS)
                        .retrying(true)
                        .build();
            } catch (MalformedURLException e) {
                throw new IllegalStateException("jwks_uri is not a URL: " + e.getMessage(), e);
            }
        }));
    }

    /** Keys from {@code keys} (a fixed set in tests and benchmarks, the issuer's in {@link #remote}). */
    public TokenVerifier(AuthConfig config, JWKSource<SecurityContext> keys) {
        this.rolesClaims = config.rolesClaims();
        this.issuer = config.issuer();
        Set<JWSAlgorithm> algs = new HashSet<>();
        for (String a : config.algorithms()) {
            algs.add(JWSAlgorithm.parse(a));
        }
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(algs, keys));
        // access tokens are typ JWT (Keycloak, Entra) or at+jwt (RFC 9068); a missing typ is accepted too
        processor.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(JOSEObjectType.JWT, new JOSEObjectType("at+jwt"), null));
        Set<String> audiences = new LinkedHashSet<>();
        audiences.add(config.resource());
        audiences.addAll(config.audiences());
        DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(audiences,
                new JWTClaimsSet.Builder().issuer(config.issuer()).build(), Set.of("sub", "exp", "iss", "aud"), null);
        claims.setMaxClockSkew((int) config.clockSkew().toSeconds());
        processor.setJWTClaimsSetVerifier(claims);
    }

    /**
     * The caller a valid token names; an {@link InvalidTokenException} saying why otherwise, or an
     * {@link AuthServerUnavailableException} when the issuer's keys could not be fetched to judge it.
     */
    public Caller verify(String token) throws InvalidTokenException, AuthServerUnavailableException {
        precheck(token);
        JWTClaimsSet c;
        try {
            c = processor.process(token, null);
        } catch (ParseException e) {
            throw new InvalidTokenException("the token is not a JWT");
        } catch (BadJWTException e) {
            throw new InvalidTokenException(e.getMessage()); // expired, not yet valid, wrong issuer or audience
        } catch (BadJOSEException e) {
            throw new InvalidTokenException(e.getMessage()); // unsigned, bad signature, algorithm or key not accepted
        } catch (com.nimbusds.jose.jwk.source.JWKSetUnavailableException e) {
            // the keys could not be fetched or read (a rate-limited refetch for an unknown kid is not this: 401)
            throw new AuthServerUnavailableException("the identity provider's keys could not be fetched to check the token: "
                    + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName()));
        } catch (JOSEException | RuntimeException e) {
            throw new InvalidTokenException("the token could not be verified: "
                    + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName()));
        }
        Set<String> roles = new LinkedHashSet<>();
        for (String path : rolesClaims) {
            collect(c.getClaims(), path, roles);
        }
        Set<String> scopes = new LinkedHashSet<>();
        Object scope = c.getClaim("scope");
        if (scope instanceof String s) {
            for (String one : s.trim().split("\\s+")) {
                if (!one.isEmpty()) {
                    scopes.add(one);
                }
            }
        }
        collect(c.getClaims(), "scp", scopes);
        return new Caller(c.getSubject(), Set.copyOf(roles), Set.copyOf(scopes), c.getExpirationTime().getTime());
    }

    /**
     * Cheap refusals before any key is looked up: an unsigned token, or one from another issuer (whose unknown
     * {@code kid} would otherwise make the gateway refetch its own issuer's keys for nothing).
     */
    private void precheck(String token) throws InvalidTokenException {
        com.nimbusds.jwt.JWT jwt;
        try {
            jwt = com.nimbusds.jwt.JWTParser.parse(token);
        } catch (ParseException e) {
            throw new InvalidTokenException("the token is not a JWT");
        }
        if (jwt instanceof com.nimbusds.jwt.PlainJWT) {
            throw new InvalidTokenException("unsecured (alg none) tokens are refused");
        }
        try {
            String iss = jwt.getJWTClaimsSet().getIssuer();
            if (!issuer.equals(iss)) {
                throw new InvalidTokenException("the token's iss is '" + iss + "', not this gateway's issuer");
            }
        } catch (ParseException e) {
            throw new InvalidTokenException("the token's claims are not a JSON object");
        }
    }

    static void collect(Map<String, Object> claims, String dottedPath, Set<String> into) {
        Object v = claims;
        for (String part : dottedPath.split("\\.")) {
            if (!(v instanceof Map<?, ?> m)) {
                return;
            }
            v = m.get(part);
        }
        if (v instanceof java.util.Collection<?> list) {
            for (Object o : list) {
                if (o instanceof String s) {
                    into.add(s);
                }
            }
        } else if (v instanceof String s) {
            into.add(s);
        }
    }

    /** Builds the real key source on first use, so that the gateway starts even while the IdP is unreachable. */
    private static final class LazyJwkSource implements JWKSource<SecurityContext> {
        private final Supplier<JWKSource<SecurityContext>> factory;
        private volatile JWKSource<SecurityContext> source;

        LazyJwkSource(Supplier<JWKSource<SecurityContext>> factory) {
            this.factory = factory;
        }

        @Override
        public List<com.nimbusds.jose.jwk.JWK> get(com.nimbusds.jose.jwk.JWKSelector selector, SecurityContext context)
                throws com.nimbusds.jose.KeySourceException {
            JWKSource<SecurityContext> s = source;
            if (s == null) {
                synchronized (this) {
                    s = source;
                    if (s == null) {
                        try {
                            s = factory.get();
                        } catch (RuntimeException e) {
                            throw new com.nimbusds.jose.jwk.source.JWKSetUnavailableException(
                                    "the identity provider's keys are unavailable: " + e.getMessage(), e);
                        }
                        source = s;
                    }
                }
            }
            return s.get(selector, context);
        }
    }
}
