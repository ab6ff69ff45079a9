package dev.shadowcat.config;

import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * The {@code auth} section: the gateway as an OAuth 2.1 resource server. Immutable.
 *
 * @param mode            {@code off}; {@code bearer}: the gateway validates JWT access tokens itself; {@code container}:
 *                        the servlet container has authenticated the request (its realm, an SSO valve, Jakarta
 *                        Security) and the gateway uses {@code getUserPrincipal()} and {@code isUserInRole}
 * @param issuer          the authorization server's issuer, matched exactly against {@code iss}
 * @param jwksUri         its signing keys; null: taken from its OpenID Connect / RFC 8414 metadata
 * @param resource        this gateway's canonical resource URI (RFC 8707): tokens must name it in {@code aud}
 * @param publicBaseUrl   the URL clients reach the gateway at (behind a TLS proxy, not what the request says);
 *                        discovery documents and {@code WWW-Authenticate} are built from it
 * @param audiences       further accepted {@code aud} values
 * @param algorithms      accepted JWS algorithms (asymmetric only)
 * @param clockSkew       tolerance for {@code exp} and {@code nbf}
 * @param scopes          scopes every MCP request needs (403 insufficient_scope without), also advertised
 * @param adminRoles      roles or scopes that open {@code /api} and {@code /metrics}
 * @param rolesClaims     dotted claim paths holding role or group names (Keycloak: {@code realm_access.roles})
 * @param policy          which callers may use which upstreams and names; none allows nothing (deny until a rule allows)
 * @param validation      how a bearer token is checked: {@code jwt} (signature and claims, here) or
 *                        {@code introspection} (RFC 7662 at the authorization server: opaque tokens, revocation seen)
 * @param introspection   where and how long introspection answers are kept; null unless validation is introspection
 * @param client          the gateway's own client at the authorization server (introspection, token exchange and
 *                        client credentials for upstreams); null when none is configured
 */
public record AuthConfig(String mode, String issuer, URI jwksUri, String resource, String publicBaseUrl,
                         List<String> audiences, List<String> algorithms, Duration clockSkew, List<String> scopes,
                         List<String> adminRoles, List<String> rolesClaims, List<Rule> policy, String validation,
                         Introspection introspection, Client client) {
    public static final AuthConfig OFF = new AuthConfig("off", null, null, null, null, List.of(), List.of(),
            Duration.ZERO, List.of(), List.of(), List.of(), List.of(), "jwt", null, null);

    /**
     * RFC 7662 token introspection.
     *
     * @param endpoint null: the authorization server's {@code introspection_endpoint} from its metadata
     * @param cacheTtl how long an active answer is reused at most (never past the token's {@code exp}): a revoked
     *                 token is refused at most this long after its revocation
     */
    public record Introspection(URI endpoint, Duration cacheTtl) {
    }

    /**
     * The gateway's confidential client, authenticated with {@code client_secret_basic}.
     *
     * @param tokenEndpoint null: the authorization server's {@code token_endpoint} from its metadata
     */
    public record Client(String id, String secret, URI tokenEndpoint) {
        @Override
        public String toString() {
            return "Client{" + id + "}"; // never the secret
        }
    }

    /**
     * One rule of {@code auth.policy}: callers holding any of {@code roles} (roles, groups or scopes; {@code *}: any
     * authenticated caller) may use the upstreams and aggregates {@code upstreams} (globs) and, there, the tools,
     * prompts and resources {@code names} lets through. Rules add up: a name is visible if any matching rule shows it.
     *
     * @param key where it is in the file, for messages
     */
    public record Rule(String key, List<String> roles, List<String> upstreams, PipelineConfig.Filter names) {
    }

    public boolean enabled() {
        return !"off".equals(mode);
    }

    public boolean bearer() {
        return "bearer".equals(mode);
    }

    public boolean introspects() {
        return "introspection".equals(validation);
    }
}
