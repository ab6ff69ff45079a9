package dev.shadowcat.bench;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.shadowcat.auth.Caller;
import dev.shadowcat.auth.TokenVerifier;
import dev.shadowcat.auth.VerifiedTokens;
import dev.shadowcat.config.AuthConfig;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What authentication costs per request: the hot path (a token seen before: SHA-256 of the token and a map
 * lookup) and the first request with a new token (an RS256 signature check and the claim checks).
 * Run with {@code bench/jmh.sh AuthBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class AuthBenchmark {
    private TokenVerifier verifier;
    private VerifiedTokens cache;
    private String token;

    @Setup
    public void setup() throws Exception {
        RSAKey key = new RSAKeyGenerator(2048).keyID("bench").generate();
        AuthConfig config = new AuthConfig("bearer", "https://idp.example/realms/bench", null, "https://gw.example/mcp",
                "https://gw.example", List.of(), List.of("RS256"), Duration.ofSeconds(60), List.of(), List.of(),
                List.of("realm_access.roles"), List.of(), "jwt", null, null);
        verifier = new TokenVerifier(config, new ImmutableJWKSet<>(new JWKSet(key.toPublicJWK())));
        JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(config.issuer()).subject("user-1")
                .audience(config.resource()).expirationTime(new Date(System.currentTimeMillis() + 3_600_000))
                .claim("realm_access", java.util.Map.of("roles", List.of("mcp-user"))).claim("scope", "openid profile").build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("bench").type(JOSEObjectType.JWT).build(), claims);
        jwt.sign(new RSASSASigner(key));
        token = jwt.serialize();
        cache = new VerifiedTokens(10_000, System::currentTimeMillis);
        cache.put(VerifiedTokens.hash(token), verifier.verify(token));
    }

    @Benchmark
    public Caller cachedToken() {
        return cache.get(VerifiedTokens.hash(token));
    }

    @Benchmark
    public Caller newToken() throws Exception {
        return verifier.verify(token);
    }
}
