package dev.shadowcat.config;

import jakarta.json.JsonArray;
import jakarta.json.JsonException;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.json.stream.JsonParsingException;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and validates the gateway's JSON configuration file. Every error names the key it is about.
 *
 * <p>Strings in {@code command}, {@code cwd} and {@code env} may use {@code ${name}} placeholders for the
 * variables the caller passes (for example {@code ${java}}); env values may instead be
 * {@code {"fromEnv": "VAR"}} or {@code {"fromFile": "/path"}} so that secrets stay out of the file and off
 * every command line.
 */
public final class ConfigLoader {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Za-z0-9_.-]+)}");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");

    private final Map<String, String> vars;
    private final Function<String, String> environment;

    public ConfigLoader(Map<String, String> vars, Function<String, String> environment) {
        this.vars = Map.copyOf(vars);
        this.environment = environment;
    }

    public GatewayConfig load(Path file) {
        try {
            return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage(), e);
        }
    }

    public GatewayConfig load(InputStream in, String origin) {
        try {
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), origin);
        } catch (IOException e) {
            throw new ConfigException("cannot read config " + origin + ": " + e.getMessage(), e);
        }
    }

    public GatewayConfig parse(String json, String origin) {
        JsonObject root = readObject(json, origin);
        try {
            only(root, "", Set.of("server", "upstreams", "aggregates", "pipeline", "auth", "$comment"));
            ServerSettings server = server(obj(root, "server", ""));
            JsonObject ups = obj(root, "upstreams", "");
            if (ups == null || ups.isEmpty()) {
                throw new ConfigException("upstreams: at least one upstream is required");
            }
            Map<String, UpstreamSpec> upstreams = new LinkedHashMap<>();
            for (var e : ups.entrySet()) {
                String key = "upstreams." + e.getKey();
                if (!NAME.matcher(e.getKey()).matches()) {
                    throw new ConfigException(key + ": an upstream name is 1-64 letters, digits, '-' or '_'");
                }
                if (e.getValue().getValueType() != JsonValue.ValueType.OBJECT) {
                    throw new ConfigException(key + ": must be an object");
                }
                JsonObject u = e.getValue().asJsonObject();
                if (u.containsKey("url") && u.containsKey("command")) {
                    throw new ConfigException(key + ": give either command (a stdio server) or url (an HTTP server), not both");
                }
                upstreams.put(e.getKey(), u.containsKey("url") ? http(e.getKey(), u, key) : upstream(e.getKey(), u, key));
            }
            Map<String, AggregateConfig> aggregates = new LinkedHashMap<>();
            JsonObject aggs = obj(root, "aggregates", "");
            if (aggs != null) {
                for (var e : aggs.entrySet()) {
                    String key = "aggregates." + e.getKey();
                    if (!NAME.matcher(e.getKey()).matches() || upstreams.containsKey(e.getKey())) {
                        throw new ConfigException(key + ": an aggregate needs a name of its own (1-64 letters, digits, '-' or '_', not an upstream's)");
                    }
                    if (e.getValue().getValueType() != JsonValue.ValueType.OBJECT) {
                        throw new ConfigException(key + ": must be an object");
                    }
                    JsonObject a = e.getValue().asJsonObject();
                    only(a, key, Set.of("members", "prefix", "$comment"));
                    List<String> members = strings(a, "members", key + ".", null);
                    if (members == null || members.isEmpty()) {
                        throw new ConfigException(key + ".members: required, a non-empty array of upstream names");
                    }
                    for (String m : members) {
                        if (!upstreams.containsKey(m)) {
                            throw new ConfigException(key + ".members: no upstream named '" + m + "' (configured: " + upstreams.keySet() + ")");
                        }
                    }
                    String prefix = string(a, "prefix", key + ".", "conflict");
                    if (!Set.of("always", "conflict", "never").contains(prefix)) {
                        throw new ConfigException(key + ".prefix: must be \"always\", \"conflict\" or \"never\" (got \"" + prefix + "\")");
                    }
                    aggregates.put(e.getKey(), new AggregateConfig(e.getKey(), members, prefix));
                }
            }
            Set<String> endpoints = new java.util.LinkedHashSet<>(upstreams.keySet());
            endpoints.addAll(aggregates.keySet());
            AuthConfig auth = auth(obj(root, "auth", ""));
            for (UpstreamSpec u : upstreams.values()) {
                if (u instanceof HttpUpstreamConfig h && h.credentials() != null) {
                    String k = "upstreams." + h.name() + ".credentials";
                    if (auth.client() == null) {
                        throw new ConfigException(k + ": needs auth.client, the gateway's own client at the authorization server");
                    }
                    if (h.credentials().perCaller() && !auth.bearer()) {
                        throw new ConfigException(k + ": token-exchange trades the caller's bearer token, so it needs auth.mode bearer");
                    }
                    if (auth.client().tokenEndpoint() == null && auth.issuer() == null) {
                        throw new ConfigException(k + ": needs auth.client.tokenEndpoint or auth.issuer (whose metadata names it)");
                    }
                }
            }
            return new GatewayConfig(server, java.util.Collections.unmodifiableMap(upstreams),
                    java.util.Collections.unmodifiableMap(aggregates), pipeline(obj(root, "pipeline", ""), endpoints), auth);
        } catch (ConfigException e) {
            throw new ConfigException(origin + ": " + e.getMessage(), e);
        }
    }

    private AuthConfig auth(JsonObject o) {
        if (o == null) {
            return AuthConfig.OFF;
        }
        String p = "auth.";
        only(o, "auth", Set.of("mode", "issuer", "jwksUri", "resource", "publicBaseUrl", "audiences", "algorithms",
                "clockSkewSeconds", "scopes", "adminRoles", "rolesClaims", "policy", "validation", "introspection", "client",
                "$comment"));
        String mode = string(o, "mode", p, "bearer");
        if (!Set.of("off", "bearer", "container").contains(mode)) {
            throw new ConfigException(p + "mode: must be \"off\", \"bearer\" or \"container\" (got \"" + mode + "\")");
        }
        if ("off".equals(mode)) {
            return AuthConfig.OFF;
        }
        String base = string(o, "publicBaseUrl", p, null);
        if (base == null || !(base.startsWith("https://") || base.startsWith("http://")) || base.endsWith("/")) {
            throw new ConfigException(p + "publicBaseUrl: required, the URL clients use, e.g. https://mcp.example.com"
                    + " (no trailing slash; never taken from the request)");
        }
        String issuer = string(o, "issuer", p, null);
        if ("bearer".equals(mode) && issuer == null) {
            throw new ConfigException(p + "issuer: required for mode bearer (the authorization server's issuer URL)");
        }
        String jwks = string(o, "jwksUri", p, null);
        String validation = string(o, "validation", p, "jwt");
        if (!Set.of("jwt", "introspection").contains(validation)) {
            throw new ConfigException(p + "validation: must be \"jwt\" or \"introspection\" (got \"" + validation + "\")");
        }
        AuthConfig.Client client = authClient(obj(o, "client", p));
        AuthConfig.Introspection introspection = null;
        JsonObject io = obj(o, "introspection", p);
        if ("introspection".equals(validation)) {
            if (!"bearer".equals(mode)) {
                throw new ConfigException(p + "validation: introspection is for mode bearer (the container checks its own callers)");
            }
            if (client == null) {
                throw new ConfigException(p + "client: required for validation introspection (RFC 7662 needs an "
                        + "authenticated client)");
            }
            if (io == null) {
                io = JsonValue.EMPTY_JSON_OBJECT;
            }
            only(io, p + "introspection", Set.of("endpoint", "cacheSeconds", "$comment"));
            introspection = new AuthConfig.Introspection(uri(io, "endpoint", p + "introspection."),
                    seconds(io, "cacheSeconds", p + "introspection.", 30, 0, 3600));
        } else if (io != null) {
            throw new ConfigException(p + "introspection: only with \"validation\": \"introspection\"");
        }
        List<String> algs = strings(o, "algorithms", p, List.of("RS256", "PS256", "ES256"));
        for (String a : algs) {
            if (!Set.of("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA").contains(a)) {
                throw new ConfigException(p + "algorithms: '" + a + "' is not an asymmetric JWS algorithm this gateway accepts"
                        + " (none and HS* never are)");
            }
        }
        return new AuthConfig(mode, issuer, jwks == null ? null : java.net.URI.create(jwks),
                string(o, "resource", p, base), base, strings(o, "audiences", p, List.of()), algs,
                seconds(o, "clockSkewSeconds", p, 60, 0, 600), strings(o, "scopes", p, List.of()),
                strings(o, "adminRoles", p, List.of("shadowcat-admin")),
                strings(o, "rolesClaims", p, List.of("realm_access.roles", "roles", "groups")), policy(o),
                validation, introspection, client);
    }

    private AuthConfig.Client authClient(JsonObject o) {
        if (o == null) {
            return null;
        }
        String p = "auth.client.";
        only(o, "auth.client", Set.of("id", "secret", "tokenEndpoint", "$comment"));
        String id = string(o, "id", p, null);
        if (id == null || !o.containsKey("secret")) {
            throw new ConfigException("auth.client: needs id and secret (the gateway's confidential client; give the "
                    + "secret as {\"fromEnv\": VAR} or {\"fromFile\": PATH}, never in the file)");
        }
        return new AuthConfig.Client(id, secret(o.get("secret"), p + "secret"), uri(o, "tokenEndpoint", p));
    }

    private static java.net.URI uri(JsonObject o, String name, String p) {
        String s = string(o, name, p, null);
        if (s == null) {
            return null;
        }
        try {
            java.net.URI u = new java.net.URI(s);
            if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme()) || u.getHost() == null) {
                throw new ConfigException(p + name + ": must be an absolute http:// or https:// URL (got " + s + ")");
            }
            return u;
        } catch (java.net.URISyntaxException e) {
            throw new ConfigException(p + name + ": not a URI: " + e.getMessage());
        }
    }

    private static List<AuthConfig.Rule> policy(JsonObject auth) {
        JsonValue v = auth.get("policy");
        if (v == null) {
            return List.of();
        }
        if (v.getValueType() != JsonValue.ValueType.ARRAY) {
            throw new ConfigException("auth.policy: must be an array of rules");
        }
        List<AuthConfig.Rule> rules = new ArrayList<>();
        for (int i = 0; i < v.asJsonArray().size(); i++) {
            String k = "auth.policy[" + i + "]";
            JsonValue r = v.asJsonArray().get(i);
            if (r.getValueType() != JsonValue.ValueType.OBJECT) {
                throw new ConfigException(k + ": must be an object");
            }
            JsonObject o = r.asJsonObject();
            only(o, k, Set.of("roles", "upstreams", "tools", "prompts", "resources", "$comment"));
            List<String> roles = strings(o, "roles", k + ".", null);
            List<String> ups = strings(o, "upstreams", k + ".", null);
            if (roles == null || roles.isEmpty() || ups == null || ups.isEmpty()) {
                throw new ConfigException(k + ": needs roles (who) and upstreams (what), each a non-empty array");
            }
            rules.add(new AuthConfig.Rule(k, roles, ups, new PipelineConfig.Filter(names(o, "tools", k),
                    names(o, "prompts", k), names(o, "resources", k))));
        }
        return List.copyOf(rules);
    }

    /**
     * A file holding only a {@code pipeline} section's content (forward mode's {@code --pipeline}), whose filters and
     * audit details may name only {@code endpoints}.
     */
    public PipelineConfig parsePipeline(String json, String origin, Set<String> endpoints) {
        JsonObject root = readObject(json, origin);
        try {
            return pipeline(root, endpoints);
        } catch (ConfigException e) {
            throw new ConfigException(origin + ": " + e.getMessage(), e);
        }
    }

    private PipelineConfig pipeline(JsonObject o, Set<String> endpoints) {
        if (o == null) {
            return PipelineConfig.DEFAULT;
        }
        only(o, "pipeline", Set.of("metrics", "audit", "filters", "rateLimits", "$comment"));
        boolean metrics = true;
        JsonObject m = obj(o, "metrics", "pipeline.");
        if (m != null) {
            only(m, "pipeline.metrics", Set.of("enabled"));
            metrics = bool(m, "enabled", "pipeline.metrics.", true);
        }
        PipelineConfig.Audit audit = null;
        JsonObject a = obj(o, "audit", "pipeline.");
        if (a != null) {
            String p = "pipeline.audit.";
            only(a, "pipeline.audit", Set.of("file", "maxFileBytes", "maxFiles", "queueLines", "upstreams"));
            String file = string(a, "file", p, null);
            if (file == null || file.isBlank()) {
                throw new ConfigException(p + "file: required, the path of the audit log");
            }
            Path path = Path.of(expand(file, p + "file")).toAbsolutePath();
            if (path.getParent() != null && !Files.isDirectory(path.getParent())) {
                throw new ConfigException(p + "file: the folder " + path.getParent() + " does not exist");
            }
            Map<String, PipelineConfig.AuditDetail> details = new LinkedHashMap<>();
            JsonObject ups = obj(a, "upstreams", p);
            if (ups != null) {
                for (var e : ups.entrySet()) {
                    String k = p + "upstreams." + e.getKey();
                    known(endpoints, e.getKey(), k);
                    JsonObject d = obj(ups, e.getKey(), p + "upstreams.");
                    if (d == null) {
                        throw new ConfigException(k + ": must be an object");
                    }
                    only(d, k, Set.of("arguments", "results", "redact"));
                    List<String> redact = strings(d, "redact", k + ".", List.of());
                    for (int i = 0; i < redact.size(); i++) {
                        if (!redact.get(i).matches("[^.]+(\\.[^.]+)*")) {
                            throw new ConfigException(k + ".redact[" + i + "]: a dotted path such as params.arguments.password (got \"" + redact.get(i) + "\")");
                        }
                    }
                    details.put(e.getKey(), new PipelineConfig.AuditDetail(bool(d, "arguments", k + ".", false),
                            bool(d, "results", k + ".", false), redact));
                }
            }
            audit = new PipelineConfig.Audit(path, integer(a, "maxFileBytes", p, 10 * 1024 * 1024, 4096, Integer.MAX_VALUE),
                    integer(a, "maxFiles", p, 5, 1, 1000), integer(a, "queueLines", p, 8192, 16, 1_000_000),
                    java.util.Collections.unmodifiableMap(details));
        }
        Map<String, PipelineConfig.Filter> filters = new LinkedHashMap<>();
        JsonObject f = obj(o, "filters", "pipeline.");
        if (f != null) {
            for (var e : f.entrySet()) {
                String k = "pipeline.filters." + e.getKey();
                known(endpoints, e.getKey(), k);
                JsonObject one = obj(f, e.getKey(), "pipeline.filters.");
                if (one == null) {
                    throw new ConfigException(k + ": must be an object");
                }
                only(one, k, Set.of("tools", "prompts", "resources"));
                filters.put(e.getKey(), new PipelineConfig.Filter(names(one, "tools", k), names(one, "prompts", k),
                        names(one, "resources", k)));
            }
        }
        Map<String, PipelineConfig.RateLimits> limits = new LinkedHashMap<>();
        JsonObject rl = obj(o, "rateLimits", "pipeline.");
        if (rl != null) {
            for (var e : rl.entrySet()) {
                String k = "pipeline.rateLimits." + e.getKey();
                known(endpoints, e.getKey(), k);
                JsonObject one = obj(rl, e.getKey(), "pipeline.rateLimits.");
                if (one == null) {
                    throw new ConfigException(k + ": must be an object");
                }
                only(one, k, Set.of("perPrincipal", "perTool"));
                limits.put(e.getKey(), new PipelineConfig.RateLimits(rate(one, "perPrincipal", k), rate(one, "perTool", k)));
            }
        }
        return new PipelineConfig(metrics, audit, java.util.Collections.unmodifiableMap(filters),
                java.util.Collections.unmodifiableMap(limits));
    }

    private static PipelineConfig.Rate rate(JsonObject o, String name, String key) {
        JsonObject r = obj(o, name, key + ".");
        if (r == null) {
            return null;
        }
        String k = key + "." + name;
        only(r, k, Set.of("requestsPerSecond", "burst"));
        int perSecond = integer(r, "requestsPerSecond", k + ".", 0, 1, 1_000_000);
        if (perSecond == 0) {
            throw new ConfigException(k + ".requestsPerSecond: required, a whole number from 1");
        }
        return new PipelineConfig.Rate(perSecond, integer(r, "burst", k + ".", perSecond, 1, 10_000_000));
    }

    private static JsonObject readObject(String json, String origin) {
        try (Reader r = new StringReader(json); var reader = dev.shadowcat.protocol.JsonP.PROVIDER.createReader(r)) {
            return reader.readObject();
        } catch (JsonParsingException e) {
            throw new ConfigException(origin + ": not valid JSON: " + e.getMessage(), e);
        } catch (JsonException | IOException e) {
            throw new ConfigException(origin + ": the top level must be a JSON object", e);
        }
    }

    private static void known(Set<String> endpoints, String name, String key) {
        if (!endpoints.contains(name)) {
            throw new ConfigException(key + ": no upstream or aggregate named '" + name + "' (configured: " + endpoints + ")");
        }
    }

    private static PipelineConfig.Names names(JsonObject o, String kind, String key) {
        JsonObject n = obj(o, kind, key + ".");
        if (n == null) {
            return PipelineConfig.Names.ALL;
        }
        String k = key + "." + kind;
        only(n, k, Set.of("allow", "deny"));
        return new PipelineConfig.Names(strings(n, "allow", k + ".", List.of()), strings(n, "deny", k + ".", List.of()));
    }

    private static boolean bool(JsonObject o, String name, String p, boolean dflt) {
        JsonValue v = o.get(name);
        if (v == null) {
            return dflt;
        }
        if (v.getValueType() != JsonValue.ValueType.TRUE && v.getValueType() != JsonValue.ValueType.FALSE) {
            throw new ConfigException(p + name + ": must be true or false");
        }
        return v.getValueType() == JsonValue.ValueType.TRUE;
    }

    /** The {@code server} section's defaults, for a gateway part that has no configuration file (forward mode). */
    public ServerSettings defaultServerSettings() {
        return server(null);
    }

    private ServerSettings server(JsonObject o) {
        String p = "server.";
        if (o == null) {
            o = JsonValue.EMPTY_JSON_OBJECT;
        }
        only(o, "server", Set.of("allowedOrigins", "allowedHosts", "maxBodyBytes", "keepAliveSeconds",
                "sessionIdleTimeoutSeconds", "maxSessions", "shutdownTimeoutSeconds", "replayEvents", "sseQueueFrames",
                "inputWaitSeconds", "reclaimIdleSeconds", "maxSessionsPerClient", "apiAllowRemote",
                "replayBytes", "sseQueueBytes", "sessionBufferBytes", "totalBufferBytes", "maxSessionsPerUpstream",
                "logFormat"));
        String logFormat = string(o, "logFormat", p, "text");
        if (!Set.of("text", "json").contains(logFormat)) {
            throw new ConfigException(p + "logFormat: must be \"text\" or \"json\" (got \"" + logFormat + "\")");
        }
        return new ServerSettings(
                strings(o, "allowedOrigins", p, List.of("http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*",
                        "https://localhost:*", "https://127.0.0.1:*", "https://[::1]:*")),
                strings(o, "allowedHosts", p, List.of("localhost", "127.0.0.1", "[::1]")),
                integer(o, "maxBodyBytes", p, 4 * 1024 * 1024, 1024, Integer.MAX_VALUE),
                seconds(o, "keepAliveSeconds", p, 15, 1, 3600),
                seconds(o, "sessionIdleTimeoutSeconds", p, 1800, 1, 7 * 86400),
                integer(o, "maxSessions", p, 10_000, 1, 1_000_000),
                seconds(o, "shutdownTimeoutSeconds", p, 10, 0, 600),
                integer(o, "replayEvents", p, 256, 0, 100_000),
                integer(o, "sseQueueFrames", p, 1024, 16, 1_000_000),
                seconds(o, "inputWaitSeconds", p, 300, 1, 86400),
                seconds(o, "reclaimIdleSeconds", p, 10, 0, 7 * 86400),
                integer(o, "maxSessionsPerClient", p, 1000, 1, 1_000_000),
                bool(o, "apiAllowRemote", p, false),
                // sized for a 512 MB heap: 10,000 sessions cannot hold more than the total
                integer(o, "replayBytes", p, 4 << 20, 0, Integer.MAX_VALUE),
                integer(o, "sseQueueBytes", p, 8 << 20, 64 * 1024, Integer.MAX_VALUE),
                integer(o, "sessionBufferBytes", p, 16 << 20, 64 * 1024, Integer.MAX_VALUE),
                longValue(o, "totalBufferBytes", p, 192L << 20, 1 << 20, Long.MAX_VALUE),
                integer(o, "maxSessionsPerUpstream", p, 10_000, 1, 1_000_000), logFormat);
    }

    private UpstreamConfig upstream(String name, JsonObject o, String key) {
        String p = key + ".";
        only(o, key, Set.of("command", "env", "cwd", "mode", "pool", "requestTimeoutSeconds", "maxFrameBytes",
                "terminationGraceMillis", "maxRequestsPerChild", "readinessTimeoutMillis", "$comment"));
        List<String> command = strings(o, "command", p, null);
        if (command == null || command.isEmpty()) {
            throw new ConfigException(p + "command: required, a non-empty array of strings (argv, not a shell line)");
        }
        List<String> argv = new ArrayList<>();
        for (int i = 0; i < command.size(); i++) {
            argv.add(expand(command.get(i), p + "command[" + i + "]"));
        }
        Map<String, String> env = env(obj(o, "env", p), p + "env");
        String cwd = string(o, "cwd", p, null);
        Path dir = null;
        if (cwd != null) {
            dir = Path.of(expand(cwd, p + "cwd"));
            if (!Files.isDirectory(dir)) {
                throw new ConfigException(p + "cwd: not a directory: " + dir);
            }
        }
        String modeText = string(o, "mode", p, "dedicated");
        UpstreamConfig.SessionMode mode = switch (modeText) {
            case "dedicated" -> UpstreamConfig.SessionMode.DEDICATED;
            case "shared" -> UpstreamConfig.SessionMode.SHARED;
            default -> throw new ConfigException(p + "mode: must be \"dedicated\" or \"shared\" (got \"" + modeText + "\")");
        };
        PoolSettings pool = pool(obj(o, "pool", p), p + "pool", mode);
        return new UpstreamConfig(name, List.copyOf(argv), env, dir, mode, pool,
                seconds(o, "requestTimeoutSeconds", p, 30, 1, 86_400),
                integer(o, "maxFrameBytes", p, 16 * 1024 * 1024, 1024, Integer.MAX_VALUE),
                Duration.ofMillis(integer(o, "terminationGraceMillis", p, 2000, 0, 60_000)),
                integer(o, "maxRequestsPerChild", p, 0, 0, Integer.MAX_VALUE),
                Duration.ofMillis(integer(o, "readinessTimeoutMillis", p, 1000, 0, 600_000)));
    }

    /** Headers the gateway sets itself; a config may not override them. */
    private static final Set<String> RESERVED_HEADERS = Set.of("mcp-session-id", "mcp-protocol-version", "content-type",
            "accept", "last-event-id", "host", "content-length", "connection", "transfer-encoding", "upgrade",
            "expect", "te", "keep-alive", "proxy-connection");

    private HttpUpstreamConfig http(String name, JsonObject o, String key) {
        String p = key + ".";
        only(o, key, Set.of("url", "transport", "headers", "connectTimeoutSeconds", "requestTimeoutSeconds",
                "sseIdleTimeoutSeconds", "http2", "breaker", "pingIntervalSeconds", "reconnectGiveUpSeconds", "credentials",
                "$comment"));
        String url = expand(string(o, "url", p, null), p + "url");
        java.net.URI uri;
        try {
            uri = new java.net.URI(url);
        } catch (java.net.URISyntaxException e) {
            throw new ConfigException(p + "url: not a URI: " + e.getMessage());
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new ConfigException(p + "url: must be an absolute http:// or https:// URL (got " + url + ")");
        }
        String t = string(o, "transport", p, "auto");
        HttpUpstreamConfig.Transport transport = switch (t) {
            case "auto" -> HttpUpstreamConfig.Transport.AUTO;
            case "streamable-http" -> HttpUpstreamConfig.Transport.STREAMABLE_HTTP;
            case "sse" -> HttpUpstreamConfig.Transport.SSE;
            case "stateless" -> HttpUpstreamConfig.Transport.STATELESS;
            default -> throw new ConfigException(p + "transport: must be \"auto\", \"streamable-http\", \"sse\" or \"stateless\" (got \"" + t + "\")");
        };
        Map<String, String> headers = env(obj(o, "headers", p), p + "headers");
        for (String h : headers.keySet()) {
            if (RESERVED_HEADERS.contains(h.toLowerCase(java.util.Locale.ROOT))) {
                throw new ConfigException(p + "headers." + h + ": set by the gateway itself; cannot be configured");
            }
            if (!h.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]+")) {
                throw new ConfigException(p + "headers." + h + ": not a valid header name");
            }
        }
        HttpUpstreamConfig.Credentials credentials = credentials(obj(o, "credentials", p), p + "credentials");
        if (credentials != null && headers.keySet().stream().anyMatch("authorization"::equalsIgnoreCase)) {
            throw new ConfigException(p + "headers.Authorization: the upstream's token comes from credentials; give one or the other");
        }
        JsonObject b = obj(o, "breaker", p);
        if (b == null) {
            b = JsonValue.EMPTY_JSON_OBJECT;
        }
        only(b, p + "breaker", Set.of("failures", "openSeconds"));
        Boolean h2 = o.containsKey("http2") ? o.getBoolean("http2", false) : Boolean.FALSE;
        return new HttpUpstreamConfig(name, uri, transport, headers,
                seconds(o, "connectTimeoutSeconds", p, 10, 1, 600),
                seconds(o, "requestTimeoutSeconds", p, 30, 1, 86_400),
                seconds(o, "sseIdleTimeoutSeconds", p, 300, 1, 86_400),
                h2,
                integer(b, "failures", p + "breaker.", 5, 1, 1000),
                seconds(b, "openSeconds", p + "breaker.", 30, 1, 3600),
                seconds(o, "pingIntervalSeconds", p, 30, 0, 86_400),
                seconds(o, "reconnectGiveUpSeconds", p, 300, 1, 86_400), credentials);
    }

    private static HttpUpstreamConfig.Credentials credentials(JsonObject o, String key) {
        if (o == null) {
            return null;
        }
        String p = key + ".";
        only(o, key, Set.of("grant", "audience", "scope", "resource", "$comment"));
        String g = string(o, "grant", p, null);
        HttpUpstreamConfig.Credentials.Grant grant;
        if ("token-exchange".equals(g)) {
            grant = HttpUpstreamConfig.Credentials.Grant.TOKEN_EXCHANGE;
        } else if ("client-credentials".equals(g)) {
            grant = HttpUpstreamConfig.Credentials.Grant.CLIENT_CREDENTIALS;
        } else {
            throw new ConfigException(p + "grant: must be \"token-exchange\" (RFC 8693, the caller's identity) or "
                    + "\"client-credentials\" (the gateway's own), got " + (g == null ? "nothing" : "\"" + g + "\""));
        }
        String audience = string(o, "audience", p, null);
        if (grant == HttpUpstreamConfig.Credentials.Grant.TOKEN_EXCHANGE && audience == null) {
            throw new ConfigException(p + "audience: required for token-exchange (the upstream's client id or URI at "
                    + "the authorization server)");
        }
        return new HttpUpstreamConfig.Credentials(grant, audience, string(o, "scope", p, null), string(o, "resource", p, null));
    }

    private PoolSettings pool(JsonObject o, String key, UpstreamConfig.SessionMode mode) {
        if (o == null) {
            o = JsonValue.EMPTY_JSON_OBJECT;
        }
        String p = key + ".";
        only(o, key, Set.of("maxSize", "minIdle", "acquireTimeoutMillis", "idleTimeoutSeconds",
                "maxLifetimeSeconds", "maxWaiters"));
        boolean shared = mode == UpstreamConfig.SessionMode.SHARED;
        int max = integer(o, "maxSize", p, shared ? 4 : 64, 1, 100_000);
        int minIdle = integer(o, "minIdle", p, 1, 0, 100_000);
        if (minIdle > max) {
            throw new ConfigException(p + "minIdle: must not exceed maxSize (" + minIdle + " > " + max + ")");
        }
        return new PoolSettings(max, minIdle,
                Duration.ofMillis(integer(o, "acquireTimeoutMillis", p, 5000, 1, 600_000)),
                seconds(o, "idleTimeoutSeconds", p, 300, 1, 7 * 86400),
                seconds(o, "maxLifetimeSeconds", p, 3600, 1, 30 * 86400),
                integer(o, "maxWaiters", p, 1000, 0, 1_000_000));
    }

    private Map<String, String> env(JsonObject o, String key) {
        Map<String, String> env = new LinkedHashMap<>();
        if (o == null) {
            return Map.of();
        }
        for (var e : o.entrySet()) {
            env.put(e.getKey(), secret(e.getValue(), key + "." + e.getKey()));
        }
        return java.util.Collections.unmodifiableMap(env);
    }

    /** A value that may be a secret: a string, {@code {"fromEnv": VAR}} or {@code {"fromFile": PATH}}. */
    private String secret(JsonValue v, String k) {
        if (v.getValueType() == JsonValue.ValueType.STRING) {
            return expand(((JsonString) v).getString(), k);
        }
        if (v.getValueType() != JsonValue.ValueType.OBJECT) {
            throw new ConfigException(k + ": must be a string or {\"fromEnv\": ...} or {\"fromFile\": ...}");
        }
        JsonObject ref = v.asJsonObject();
        only(ref, k, Set.of("fromEnv", "fromFile"));
        if (ref.containsKey("fromEnv") == ref.containsKey("fromFile")) {
            throw new ConfigException(k + ": give exactly one of fromEnv or fromFile");
        }
        if (ref.containsKey("fromEnv")) {
            String var = string(ref, "fromEnv", k + ".", null);
            String value = environment.apply(var);
            if (value == null) {
                throw new ConfigException(k + ".fromEnv: environment variable " + var + " is not set");
            }
            return value;
        }
        Path file = Path.of(expand(string(ref, "fromFile", k + ".", null), k + ".fromFile"));
        try {
            return Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException ex) {
            throw new ConfigException(k + ".fromFile: cannot read " + file + ": " + ex.getMessage(), ex);
        }
    }

    private String expand(String s, String key) {
        Matcher m = PLACEHOLDER.matcher(s);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String v = vars.get(m.group(1));
            if (v == null) {
                throw new ConfigException(key + ": unknown placeholder ${" + m.group(1) + "} (known: " + vars.keySet() + ")");
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(v));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    private static void only(JsonObject o, String key, Set<String> allowed) {
        for (String k : o.keySet()) {
            if (!allowed.contains(k)) {
                throw new ConfigException((key.isEmpty() ? "" : key + ".") + k + ": unknown key (allowed: "
                        + new java.util.TreeSet<>(allowed) + ")");
            }
        }
    }

    private static JsonObject obj(JsonObject o, String name, String p) {
        JsonValue v = o.get(name);
        if (v == null || v == JsonValue.NULL) {
            return null;
        }
        if (v.getValueType() != JsonValue.ValueType.OBJECT) {
            throw new ConfigException(p + name + ": must be an object");
        }
        return v.asJsonObject();
    }

    private static String string(JsonObject o, String name, String p, String dflt) {
        JsonValue v = o.get(name);
        if (v == null) {
            return dflt;
        }
        if (v.getValueType() != JsonValue.ValueType.STRING) {
            throw new ConfigException(p + name + ": must be a string");
        }
        return ((JsonString) v).getString();
    }

    private static List<String> strings(JsonObject o, String name, String p, List<String> dflt) {
        JsonValue v = o.get(name);
        if (v == null) {
            return dflt;
        }
        if (v.getValueType() != JsonValue.ValueType.ARRAY) {
            throw new ConfigException(p + name + ": must be an array of strings");
        }
        List<String> out = new ArrayList<>();
        JsonArray a = v.asJsonArray();
        for (int i = 0; i < a.size(); i++) {
            if (a.get(i).getValueType() != JsonValue.ValueType.STRING) {
                throw new ConfigException(p + name + "[" + i + "]: must be a string");
            }
            out.add(a.getString(i));
        }
        return List.copyOf(out);
    }

    private static int integer(JsonObject o, String name, String p, int dflt, int min, int max) {
        return (int) longValue(o, name, p, dflt, min, max);
    }

    private static long longValue(JsonObject o, String name, String p, long dflt, long min, long max) {
        JsonValue v = o.get(name);
        if (v == null) {
            return dflt;
        }
        if (v.getValueType() != JsonValue.ValueType.NUMBER || !((JsonNumber) v).isIntegral()) {
            throw new ConfigException(p + name + ": must be a whole number");
        }
        long n = ((JsonNumber) v).longValue();
        if (n < min || n > max) {
            throw new ConfigException(p + name + ": must be between " + min + " and " + max + " (got " + n + ")");
        }
        return n;
    }

    private static Duration seconds(JsonObject o, String name, String p, int dflt, int min, int max) {
        return Duration.ofSeconds(integer(o, name, p, dflt, min, max));
    }
}
