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
        return endpoint(issuer, "jwks_uri");
    }

    /**
     * One endpoint the authorization server's metadata names ({@code jwks_uri}, {@code token_endpoint},
     * {@code introspection_endpoint}). Blocking, bounded by the retriever's timeouts: call it off the request path.
     */
    static URI endpoint(String issuer, String name) {
        Map<String, Object> doc = document(issuer);
        try {
            URI u = JSONObjectUtils.getURI(doc, name);
            if (u == null) {
                throw new IllegalStateException("the metadata of issuer " + issuer + " has no " + name);
            }
            return u;
        } catch (ParseException e) {
            throw new IllegalStateException("the metadata of issuer " + issuer + ": " + name + " " + e.getMessage(), e);
        }
    }

    private static Map<String, Object> document(String issuer) {
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
            Object named = doc.get("issuer");
            if (!issuer.equals(named)) {
                throw new IllegalStateException(u + " names issuer '" + named + "', not the configured '" + issuer + "'");
            }
            return doc;
        }
        throw new IllegalStateException("no metadata for issuer " + issuer + ": " + tried);
    }
}
