package dev.shadowcat.auth;

import dev.shadowcat.config.AuthConfig;
import jakarta.json.JsonException;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * The gateway as a client of its authorization server: the token endpoint (RFC 8693 token exchange and the
 * client-credentials grant) and the introspection endpoint (RFC 7662), both with the gateway's confidential client
 * ({@code client_secret_basic}). Endpoints come from the configuration or the issuer's metadata, looked up once.
 *
 * <p>Thread-safe. Every call runs on this component's own bounded worker pool (a few threads, a bounded queue: a
 * flood fails fast with "busy" instead of queueing), never on the caller's thread, so a request thread never waits
 * for the identity provider. The HTTP calls are bounded in time and in answer size. {@link #stop} ends the workers.
 * Neither the secret nor any token is ever put in a message or a log line.
 */
public final class IdentityProvider {
    private static final Logger LOG = Logger.getLogger(IdentityProvider.class.getName());
    static final int TIMEOUT_MILLIS = 5_000;
    private static final int MAX_ANSWER_BYTES = 256 * 1024;

    private final AuthConfig config;
    private final AuthConfig.Client client;
    private final ThreadPoolExecutor workers;
    private final LongSupplier clock;
    private volatile URI tokenEndpoint;
    private volatile URI introspectionEndpoint;

    /** A token the authorization server issued; {@link #toString} never shows it. */
    public record Issued(String value, long expiresAtMillis) {
        @Override
        public String toString() {
            return "Issued{expires " + expiresAtMillis + "}";
        }
    }

    /** The authorization server said no, or could not be asked; the message is safe to show and log. */
    public static final class RefusedException extends IOException {
        private static final long serialVersionUID = 1L;

        RefusedException(String message) {
            super(message);
        }
    }

    public IdentityProvider(AuthConfig config, ThreadFactory threads, LongSupplier wallClockMillis) {
        this.config = config;
        this.client = config.client();
        this.clock = wallClockMillis;
        this.tokenEndpoint = client == null ? null : client.tokenEndpoint();
        this.introspectionEndpoint = config.introspection() == null ? null : config.introspection().endpoint();
        this.workers = new ThreadPoolExecutor(4, 4, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(256), threads);
        this.workers.allowCoreThreadTimeOut(true);
    }

    /** A token for the gateway itself (client-credentials grant). */
    public CompletableFuture<Issued> clientCredentials(String scope, String resource) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "client_credentials");
        putIf(form, "scope", scope);
        putIf(form, "resource", resource);
        return token(form, "the client-credentials grant");
    }

    /** The caller's {@code subjectToken} traded for one whose audience is {@code audience} (RFC 8693). */
    public CompletableFuture<Issued> exchange(String subjectToken, String audience, String scope, String resource) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange");
        form.put("subject_token", subjectToken);
        form.put("subject_token_type", "urn:ietf:params:oauth:token-type:access_token");
        form.put("requested_token_type", "urn:ietf:params:oauth:token-type:access_token");
        putIf(form, "audience", audience);
        putIf(form, "scope", scope);
        putIf(form, "resource", resource);
        return token(form, "the token exchange");
    }

    /** The authorization server's answer about {@code token} (RFC 7662): {@code active} and the token's claims. */
    public CompletableFuture<JsonObject> introspect(String token) {
        return submit(() -> {
            URI at = introspectionEndpoint;
            if (at == null) {
                at = IssuerMetadata.endpoint(config.issuer(), "introspection_endpoint");
                introspectionEndpoint = at;
            }
            Answer a = post(at, Map.of("token", token, "token_type_hint", "access_token"));
            if (a.status != 200) {
                throw new RefusedException("introspection at the authorization server answered " + a.status + describe(a.json));
            }
            return a.json;
        });
    }

    private CompletableFuture<Issued> token(Map<String, String> form, String what) {
        return submit(() -> {
            URI at = tokenEndpoint;
            if (at == null) {
                at = IssuerMetadata.endpoint(config.issuer(), "token_endpoint");
                tokenEndpoint = at;
            }
            Answer a = post(at, form);
            if (a.status != 200) {
                throw new RefusedException("the authorization server refused " + what + ": " + a.status + describe(a.json));
            }
            JsonValue token = a.json.get("access_token");
            if (!(token instanceof JsonString s) || s.getString().isEmpty()) {
                throw new RefusedException("the authorization server's answer to " + what + " has no access_token");
            }
            JsonValue in = a.json.get("expires_in");
            // no expires_in: kept briefly, since nothing says how long it lives
            long seconds = in instanceof JsonNumber n ? Math.max(0, n.longValue()) : 60;
            return new Issued(s.getString(), clock.getAsLong() + seconds * 1000);
        });
    }

    private interface Work<T> {
        T run() throws IOException;
    }

    private <T> CompletableFuture<T> submit(Work<T> work) {
        CompletableFuture<T> f = new CompletableFuture<>();
        try {
            workers.execute(() -> {
                try {
                    f.complete(work.run());
                } catch (IOException e) {
                    f.completeExceptionally(e);
                } catch (RuntimeException e) {
                    f.completeExceptionally(new RefusedException("the authorization server could not be asked: "
                            + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())));
                }
            });
        } catch (RejectedExecutionException e) {
            f.completeExceptionally(new RefusedException(workers.isShutdown() ? "the gateway is shutting down"
                    : "too many calls to the authorization server are waiting (" + workers.getQueue().size() + ")"));
        }
        return f;
    }

    private record Answer(int status, JsonObject json) {
    }

    private Answer post(URI at, Map<String, String> form) throws IOException {
        StringBuilder body = new StringBuilder();
        for (var e : form.entrySet()) {
            if (body.length() > 0) {
                body.append('&');
            }
            body.append(enc(e.getKey())).append('=').append(enc(e.getValue()));
        }
        byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
        HttpURLConnection c = (HttpURLConnection) at.toURL().openConnection();
        try {
            c.setConnectTimeout(TIMEOUT_MILLIS);
            c.setReadTimeout(TIMEOUT_MILLIS);
            c.setInstanceFollowRedirects(false);
            c.setRequestMethod("POST");
            c.setDoOutput(true);
            c.setFixedLengthStreamingMode(bytes.length);
            c.setRequestProperty("Content-Type", "application/x-www-form-urlencoded");
            c.setRequestProperty("Accept", "application/json");
            // RFC 6749 §2.3.1: id and secret form-encoded, then Basic
            c.setRequestProperty("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                    (enc(client.id()) + ":" + enc(client.secret())).getBytes(StandardCharsets.UTF_8)));
            try (OutputStream out = c.getOutputStream()) {
                out.write(bytes);
            }
            int status = c.getResponseCode();
            InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
            String text = "";
            if (in != null) {
                try (in) {
                    byte[] got = in.readNBytes(MAX_ANSWER_BYTES + 1);
                    if (got.length > MAX_ANSWER_BYTES) {
                        throw new RefusedException("the authorization server's answer is over " + MAX_ANSWER_BYTES + " bytes");
                    }
                    text = new String(got, StandardCharsets.UTF_8);
                }
            }
            JsonObject json;
            try {
                json = text.isBlank() ? JsonValue.EMPTY_JSON_OBJECT : dev.shadowcat.protocol.JsonP.PROVIDER.createReader(new StringReader(text)).readObject();
            } catch (JsonException | ClassCastException e) {
                throw new RefusedException("the authorization server's answer (" + status + ") is not a JSON object");
            }
            return new Answer(status, json);
        } catch (java.net.SocketTimeoutException e) {
            throw new RefusedException("the authorization server did not answer within " + TIMEOUT_MILLIS + " ms (" + at.getHost() + ")");
        } catch (RefusedException e) {
            throw e;
        } catch (IOException e) {
            throw new RefusedException("the authorization server is unreachable: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()));
        } finally {
            c.disconnect();
        }
    }

    /** RFC 6749 §5.2's error and description, which never hold a token. */
    private static String describe(JsonObject o) {
        String error = o.get("error") instanceof JsonString s ? s.getString() : null;
        String desc = o.get("error_description") instanceof JsonString s ? s.getString() : null;
        if (error == null) {
            return "";
        }
        String d = desc == null ? "" : " (" + (desc.length() > 200 ? desc.substring(0, 200) + "…" : desc) + ")";
        return " " + error + d;
    }

    private static void putIf(Map<String, String> form, String name, String value) {
        if (value != null) {
            form.put(name, value);
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** Ends the workers: calls still queued fail with "shutting down"; running ones are interrupted after a grace. */
    public void stop(long graceMillis) {
        workers.shutdown();
        try {
            if (!workers.awaitTermination(graceMillis, TimeUnit.MILLISECONDS)) {
                workers.shutdownNow();
                if (!workers.awaitTermination(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) {
                    LOG.warning("identity provider calls still running after stop");
                }
            }
        } catch (InterruptedException e) {
            workers.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
