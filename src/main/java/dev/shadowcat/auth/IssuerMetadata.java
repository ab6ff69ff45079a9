package dev.shadowcat.auth;

import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jose.util.ResourceRetriever;

import java.io.IOException;
import java.net.URI;
import java.text.ParseException;
import java.util.List;
import java.util.Map;

/**
 * The authorization server's {@code jwks_uri}, from its metadata: OpenID Connect discovery
 * ({@code <issuer>/.well-known/openid-configuration}), then RFC 8414 ({@code /.well-known/oauth-authorization-server}
 * inserted before the issuer's path). The document's {@code issuer} must equal the configured one (RFC 8414 §3.3).
 * Fetched with Nimbus' retriever, as the keys are: bounded in time and size, and no client thread left behind.
 */
final class IssuerMetadata {
    private static final ResourceRetriever HTTP = new DefaultResourceRetriever(3_000, 3_000, 256 * 1024);

    private IssuerMetadata() {
    }

    static URI jwksUri(String issuer) {
        URI i = URI.create(issuer);
        String path = i.getRawPath() == null ? "" : i.getRawPath().replaceAll("/$", "");
        String origin = i.getScheme() + "://" + i.getRawAuthority();
        List<URI> candidates = List.of(URI.create(issuer.replaceAll("/$", "") + "/.well-known/openid-configuration"),
                URI.create(origin + "/.well-known/oauth-authorization-server" + path));
        StringBuilder tried = new StringBuilder();
        for (URI u : candidates) {
            Map<String, Object> doc;
            try {
                doc = JSONObjectUtils.parse(HTTP.retrieveResource(u.toURL()).getContent());
            } catch (IOException | ParseException e) {
                tried.append(u).append(" → ").append(e.getMessage()).append("; ");
                continue;
            }
            try {
                if (!issuer.equals(JSONObjectUtils.getString(doc, "issuer"))) {
                    throw new IllegalStateException(u + " names issuer '" + doc.get("issuer") + "', not the configured '"
                            + issuer + "'");
                }
                URI jwks = JSONObjectUtils.getURI(doc, "jwks_uri");
                if (jwks == null) {
                    throw new IllegalStateException(u + " has no jwks_uri");
                }
                return jwks;
            } catch (ParseException e) {
                throw new IllegalStateException(u + ": " + e.getMessage(), e);
            }
        }
        throw new IllegalStateException("no metadata for issuer " + issuer + ": " + tried);
    }
}
