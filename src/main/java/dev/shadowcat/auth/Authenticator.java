package dev.shadowcat.auth;

import java.util.Set;
import java.util.concurrent.CompletableFuture;

import dev.shadowcat.config.AuthConfig;
import dev.shadowcat.gateway.Gateway;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;


/**
 * Turns a bearer token into a {@link Caller}: from the verified-token cache, or by a signature check whose result is
 * cached until the token expires. Built on first use from the gateway's {@code auth} configuration. Thread-safe.
 */
@ApplicationScoped
public class Authenticator {
    static final int MAX_CACHED_TOKENS = 10_000;

    @Inject
    Gateway gateway;

    private volatile TokenVerifier verifier;
    private final VerifiedTokens cache = new VerifiedTokens(MAX_CACHED_TOKENS, System::currentTimeMillis);

    public AuthConfig config() {
        return gateway.config().auth();
    }

    /**
     * An audit line for a request refused at the gate: when, where, the status and why, and the subject when the
     * token was valid (403); never the token. Dropped, like every audit line, only when the log's queue is full.
     */
    void audit(String path, int status, String reason, String subject, String remote) {
        dev.shadowcat.audit.AuditLog log = gateway.audit();
        if (log == null) {
            return;
        }
        StringBuilder sb = new StringBuilder(200).append("{\"time\":\"").append(java.time.Instant.now()).append('"')
                .append(",\"event\":\"auth-refused\"")
                .append(",\"principal\":").append(dev.shadowcat.protocol.JsonScan.quote(subject == null ? "-" : subject))
                .append(",\"path\":").append(dev.shadowcat.protocol.JsonScan.quote(path))
                .append(",\"status\":").append(status)
                .append(",\"reason\":").append(dev.shadowcat.protocol.JsonScan.quote(reason))
                .append(",\"remote\":").append(dev.shadowcat.protocol.JsonScan.quote(remote)).append('}');
        log.offer(sb.toString());
    }

    private final RecentHeaders recent = new RecentHeaders(System::currentTimeMillis);

    /** What this very {@code Authorization} header object authenticated, while that holds; else null. */
    RecentHeaders.Entry seen(String header) {
        return recent.get(header);
    }

    /** Remembers, by identity, what {@code header} (carrying {@code token}) authenticated. */
    void remember(String header, String token, Caller caller) {
        recent.put(header, token, caller);
    }

    /** The caller of a token verified before and not yet expired, or null. */
    public Caller cached(String token) {
        return cache.get(VerifiedTokens.hash(token));
    }

    /** Whether a new token is checked at the authorization server (introspection): then only with {@link #introspect}. */
    boolean checksRemotely() {
        return config().introspects();
    }

    /** A new JWT: its signature and claims checked here (the issuer's keys are fetched only for an unknown kid). */
    public Caller authenticate(String token) throws InvalidTokenException, AuthServerUnavailableException {
        String hash = VerifiedTokens.hash(token);
        Caller c = cache.get(hash);
        if (c != null) {
            return c;
        }
        c = verifier().verify(token);
        cache.put(hash, c);
        return c;
    }

    /**
     * A new token checked by introspection, without blocking; the answer is cached for at most
     * {@code introspection.cacheSeconds}, so a revoked token is refused that soon after.
     */
    CompletableFuture<Caller> introspect(String token) {
        String hash = VerifiedTokens.hash(token);
        long ttl = config().introspection().cacheTtl().toMillis();
        return introspector().check(token).thenApply(c -> {
            Caller bounded = new Caller(c.subject(), c.roles(), c.scopes(),
                    Math.min(c.expiresAtMillis(), System.currentTimeMillis() + ttl));
            cache.put(hash, bounded);
            return bounded;
        });
    }

    private volatile Introspector introspector;

    private Introspector introspector() {
        Introspector i = introspector;
        if (i == null) {
            i = new Introspector(config(), gateway.identityProvider());
            introspector = i;
        }
        return i;
    }

    private TokenVerifier verifier() {
        TokenVerifier v = verifier;
        if (v == null) {
            synchronized (this) {
                v = verifier;
                if (v == null) {
                    AuthConfig a = config();
                    v = TokenVerifier.remote(a, () -> a.jwksUri() != null ? a.jwksUri() : IssuerMetadata.jwksUri(a.issuer()));
                    verifier = v;
                }
            }
        }
        return v;
    }

    /** Every role name the configuration mentions (admin roles, required scopes, the policy's roles but {@code *}). */
    Set<String> roleNames() {
        Set<String> n = roleNames;
        if (n == null) {
            AuthConfig a = config();
            Set<String> all = new java.util.LinkedHashSet<>(a.adminRoles());
            all.addAll(a.scopes());
            for (AuthConfig.Rule r : a.policy()) {
                r.roles().stream().filter(x -> !"*".equals(x)).forEach(all::add);
            }
            n = Set.copyOf(all);
            roleNames = n;
        }
        return n;
    }

    private volatile Set<String> roleNames;

    /** {@code auth.policy}, the gateway's one compiled copy (the authorization stage uses it too). */
    public dev.shadowcat.policy.AccessPolicy policy() {
        return gateway.accessPolicy();
    }

    /** Why the caller with {@code grants} may not use the endpoint {@code path} addresses, or null (also for no endpoint). */
    String doorRefusal(Set<String> grants, String path) {
        String endpoint = endpointOf(path);
        return endpoint == null ? null : policy().refusal(grants, endpoint);
    }

    /** The upstream or aggregate an MCP path addresses ({@code /mcp}: the default one), or null if none or unknown. */
    String endpointOf(String path) {
        String rest;
        if (path.equals("/mcp") || path.equals("/sse") || path.equals("/mcp/") || path.equals("/sse/")) {
            rest = null;
        } else if (path.startsWith("/mcp/") || path.startsWith("/sse/")) {
            rest = path.substring(5);
        } else {
            return null;
        }
        dev.shadowcat.upstream.Upstream u = gateway.upstream(rest);
        return u == null ? null : u.name();
    }

    /** Where the protected-resource metadata of {@code endpointPath} ("" for the root) is published. */
    public String resourceMetadataUrl(String endpointPath) {
        return config().publicBaseUrl() + "/.well-known/oauth-protected-resource" + endpointPath;
    }
}
