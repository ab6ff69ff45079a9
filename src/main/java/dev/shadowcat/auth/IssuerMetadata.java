package dev.shadowcat.auth;

import jakarta.json.Json;
import jakarta.json.JsonObject;

import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/**
 * The authorization server's {@code jwks_uri}, from its metadata: OpenID Connect discovery
 * ({@code <issuer>/.well-known/openid-configuration}), then RFC 8414 ({@code /.well-known/oauth-authorization-server}
 * inserted before the issuer's path). The document's {@code issuer} must equal the configured one (RFC 8414 §3.3).
 */
final class IssuerMetadata {
    private IssuerMetadata() {
    }

    static URI jwksUri(String issuer) {
        URI i = URI.create(issuer);
        String path = i.getRawPath() == null ? "" : i.getRawPath().replaceAll("/$", "");
        String origin = i.getScheme() + "://" + i.getRawAuthority();
        List<URI> candidates = List.of(URI.create(issuer.replaceAll("/$", "") + "/.well-known/openid-configuration"),
                URI.create(origin + "/.well-known/oauth-authorization-server" + path));
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3))
                .followRedirects(HttpClient.Redirect.NEVER).build();
        StringBuilder tried = new StringBuilder();
        for (URI u : candidates) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(u).timeout(Duration.ofSeconds(3))
                        .header("Accept", "application/json").build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) {
                    tried.append(u).append(" → ").append(r.statusCode()).append("; ");
                    continue;
                }
                JsonObject doc = Json.createReader(new StringReader(r.body())).readObject();
                if (!issuer.equals(doc.getString("issuer", null))) {
                    throw new IllegalStateException(u + " names issuer '" + doc.getString("issuer", null)
                            + "', not the configured '" + issuer + "'");
                }
                String jwks = doc.getString("jwks_uri", null);
                if (jwks == null) {
                    throw new IllegalStateException(u + " has no jwks_uri");
                }
                return URI.create(jwks);
            } catch (java.io.IOException | RuntimeException e) {
                if (e instanceof IllegalStateException) {
                    throw (IllegalStateException) e;
                }
                tried.append(u).append(" → ").append(e.getMessage()).append("; ");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while reading the issuer's metadata", e);
            }
        }
        throw new IllegalStateException("no metadata for issuer " + issuer + ": " + tried);
    }
}
