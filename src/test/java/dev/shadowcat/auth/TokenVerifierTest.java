package dev.shadowcat.auth;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSetRetrievalException;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.RateLimitReachedException;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.shadowcat.config.AuthConfig;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Date;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Whose fault a refusal is: a token that is wrong (401, sign in again) or an issuer that cannot be asked (503, retry). */
class TokenVerifierTest {
    private static final AuthConfig CONFIG = new AuthConfig("bearer", "https://idp.example/realms/test", null,
            "https://gw.example/mcp", "https://gw.example", List.of(), List.of("RS256"), Duration.ofSeconds(60),
            List.of(), List.of(), List.of("realm_access.roles"), List.of(), "jwt", null, null);
    private static RSAKey key;
    private static String token;

    @BeforeAll
    static void sign() throws Exception {
        key = new RSAKeyGenerator(2048).keyID("k1").generate();
        JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(CONFIG.issuer()).subject("alice")
                .audience(CONFIG.resource()).expirationTime(new Date(System.currentTimeMillis() + 600_000))
                .claim("realm_access", java.util.Map.of("roles", List.of("mcp-user"))).build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("k1").type(JOSEObjectType.JWT).build(), claims);
        jwt.sign(new RSASSASigner(key));
        token = jwt.serialize();
    }

    @Test
    void aValidTokenNamesItsCaller() throws Exception {
        Caller c = new TokenVerifier(CONFIG, new ImmutableJWKSet<>(new JWKSet(key.toPublicJWK()))).verify(token);
        assertEquals("alice", c.subject());
        assertEquals(java.util.Set.of("mcp-user"), c.roles());
    }

    @Test
    void keysThatCannotBeFetchedMeanTheTokenCouldNotBeJudged_notThatItIsInvalid() {
        JWKSource<SecurityContext> down = (selector, ctx) -> {
            throw new JWKSetRetrievalException("Couldn't retrieve JWK set from URL: Connection refused", null);
        };
        AuthServerUnavailableException e = assertThrows(AuthServerUnavailableException.class,
                () -> new TokenVerifier(CONFIG, down).verify(token));
        assertTrue(e.getMessage().contains("keys could not be fetched") && e.getMessage().contains("Connection refused"),
                e.getMessage());
    }

    @Test
    void aTokenSignedByAnotherKey_orAnUnknownKidPastTheRefetchLimit_isInvalid() throws Exception {
        RSAKey other = new RSAKeyGenerator(2048).keyID("k1").generate();
        assertThrows(InvalidTokenException.class,
                () -> new TokenVerifier(CONFIG, new ImmutableJWKSet<>(new JWKSet(other.toPublicJWK()))).verify(token));
        JWKSource<SecurityContext> limited = (selector, ctx) -> {
            throw new RateLimitReachedException();
        };
        // refetching for a kid the issuer does not have is limited; a token forged with random kids stays a 401
        assertThrows(InvalidTokenException.class, () -> new TokenVerifier(CONFIG, limited).verify(token));
    }
}
