package dev.shadowcat.route;

import dev.shadowcat.protocol.ErrorCodes;
import dev.shadowcat.protocol.Errors;
import dev.shadowcat.protocol.JsonScan;
import dev.shadowcat.protocol.Message;
import dev.shadowcat.upstream.ClientSession;
import dev.shadowcat.upstream.Exchange;
import dev.shadowcat.upstream.Upstream;
import dev.shadowcat.upstream.UpstreamBinding;
import dev.shadowcat.upstream.UpstreamPeer;

import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;

import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One MCP endpoint in front of several upstreams: tools, resources, resource templates and prompts are merged,
 * and each call goes to the upstream that offered the name. A client session opens its own session on every
 * member and stays pinned to them.
 *
 * <p>Thread-safe. Names are exposed per {@link PrefixMode}: {@code ALWAYS} as {@code <upstream>__<name>},
 * {@code CONFLICT} only where two upstreams offer the same name, {@code NEVER} as they are (the first upstream in
 * configuration order wins a collision). Resources keep their URIs (URIs are already global). List pagination is
 * not merged: each member's first page is used.
 */
public final class AggregateUpstream implements Upstream {
    /** How exposed names relate to the members' own names. */
    public enum PrefixMode { ALWAYS, CONFLICT, NEVER }

    static final String SEPARATOR = "__";

    private final String name;
    private final List<Upstream> members;
    private final PrefixMode mode;
    private final AtomicLong sessionsOpened = new AtomicLong();

    public AggregateUpstream(String name, List<Upstream> members, PrefixMode mode) {
        this.name = name;
        this.members = List.copyOf(members);
        this.mode = mode;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public UpstreamBinding open(ClientSession session, Message initialize, Exchange init) {
        sessionsOpened.incrementAndGet();
        Binding b = new Binding(session);
        b.start(initialize, init);
        return b;
    }

    @Override
    public void maintain() {
        // members are maintained by the gateway as upstreams of their own
    }

    @Override
    public Map<String, Object> stats() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("kind", "aggregate");
        m.put("members", members.stream().map(Upstream::name).toList());
        m.put("prefix", mode.name().toLowerCase(java.util.Locale.ROOT));
        m.put("sessionsOpened", sessionsOpened.get());
        return m;
    }

    @Override
    public int waitingCallCapacity() {
        return members.stream().mapToInt(Upstream::waitingCallCapacity).min().orElse(1);
    }

    /** True if any member does: its requestStates must pass through (the bridge still reads its own). */
    @Override
    public boolean speaksStateless() {
        return members.stream().anyMatch(Upstream::speaksStateless);
    }

    @Override
    public boolean attributesServerRequests() {
        return members.stream().allMatch(Upstream::attributesServerRequests);
    }

    @Override
    public CompletableFuture<Void> shutdown() {
        return CompletableFuture.completedFuture(null); // members shut down on their own
    }

    private static JsonObject parse(byte[] json) {
        try (var r = dev.shadowcat.protocol.JsonP.PROVIDER.createReader(new StringReader(new String(json, StandardCharsets.UTF_8)))) {
            return r.readObject();
        }
    }

    /** A member's answer to a request the aggregate made on the client's behalf. */
    private record Answer(int member, JsonObject response) {
        boolean ok() {
            return response != null && response.containsKey("result");
        }
    }

    /** One client session: a binding on every member, plus the routing table built from their lists. */
    private final class Binding implements UpstreamBinding {
        private final ClientSession session;
        private final List<UpstreamBinding> memberBindings = new ArrayList<>();
        private final Map<String, Route> tools = new ConcurrentHashMap<>();
        private final Map<String, Route> prompts = new ConcurrentHashMap<>();
        private final Map<String, Integer> resources = new ConcurrentHashMap<>();
        private final AtomicBoolean closed = new AtomicBoolean();
        private final AtomicLong internalIds = new AtomicLong();

        Binding(ClientSession session) {
            this.session = session;
        }

        void start(Message initialize, Exchange init) {
            List<CompletableFuture<Answer>> answers = new ArrayList<>();
            for (int i = 0; i < members.size(); i++) {
                Collector c = new Collector(i, init);
                memberBindings.add(members.get(i).open(new MemberSession(i), initialize, c));
                answers.add(c.future);
            }
            all(answers).thenAccept(list -> {
                List<Answer> ok = list.stream().filter(Answer::ok).toList();
                if (ok.isEmpty()) {
                    init.onEnd(list.get(0).response == null
                            ? Errors.response(initialize.idJson(), ErrorCodes.UPSTREAM_UNAVAILABLE, "no upstream of '" + name + "' answered", null)
                            : withId(list.get(0).response, initialize.idJson()), Exchange.Outcome.FAILED);
                    return;
                }
                init.onEnd(Errors.result(initialize.idJson(), mergedInitialize(initialize, ok).toString()), Exchange.Outcome.REPLIED);
            });
        }

        private JsonObject mergedInitialize(Message initialize, List<Answer> ok) {
            JsonObjectBuilder caps = dev.shadowcat.protocol.JsonP.PROVIDER.createObjectBuilder();
            String version = null;
            for (Answer a : ok) {
                JsonObject r = a.response.getJsonObject("result");
                String v = r.getString("protocolVersion", null);
                if (version == null || (v != null && v.compareTo(version) < 0)) {
                    version = v; // the oldest revision every member speaks
                }
                JsonObject c = r.getJsonObject("capabilities");
                if (c != null) {
                    for (var e : c.entrySet()) {
                        caps.add(e.getKey(), e.getValue());
                    }
                }
            }
            return dev.shadowcat.protocol.JsonP.PROVIDER.createObjectBuilder()
                    .add("protocolVersion", version == null ? initialize.paramString("protocolVersion") : version)
                    .add("capabilities", caps)
                    .add("serverInfo", dev.shadowcat.protocol.JsonP.PROVIDER.createObjectBuilder().add("name", "shadowcat:" + name).add("version", "0.1.0"))
                    .add("instructions", "Shadowcat aggregates " + members.stream().map(Upstream::name).toList())
                    .build();
        }

        @Override
        public void request(Message request, Exchange exchange) {
            String method = request.method();
            switch (method) {
                case "ping" -> exchange.onEnd(Errors.result(request.idJson(), "{}"), Exchange.Outcome.REPLIED);
                case "tools/list" -> list(request, exchange, "tools", tools, true);
                case "prompts/list" -> list(request, exchange, "prompts", prompts, true);
                case "resources/list" -> list(request, exchange, "resources", null, false);
                case "resources/templates/list" -> list(request, exchange, "resourceTemplates", null, false);
                case "tools/call" -> routed(request, exchange, tools, "tools/list", "tools");
                case "prompts/get" -> routed(request, exchange, prompts, "prompts/list", "prompts");
                case "resources/read", "resources/subscribe", "resources/unsubscribe" -> byUri(request, exchange);
                case "logging/setLevel" -> fanOutForAll(request, exchange);
                default -> exchange.onEnd(Errors.response(request.idJson(), ErrorCodes.METHOD_NOT_FOUND,
                        "method " + method + " is not supported on the aggregated endpoint '" + name + "'", null),
                        Exchange.Outcome.REPLIED);
            }
        }

        /** Asks every member, merges the arrays under {@code key}, renames per the prefix mode. */
        private void list(Message request, Exchange exchange, String key, Map<String, Route> routes, boolean named) {
            merge(request.method(), key, routes, named).thenAccept(result ->
                    exchange.onEnd(Errors.result(request.idJson(), result.toString()), Exchange.Outcome.REPLIED));
        }

        private CompletableFuture<JsonObject> merge(String method, String key, Map<String, Route> routes, boolean named) {
            return fetch(method).thenApply(answers -> {
                JsonArrayBuilder merged = dev.shadowcat.protocol.JsonP.PROVIDER.createArrayBuilder();
                Map<String, Integer> counts = new LinkedHashMap<>();
                Map<String, Route> fresh = new LinkedHashMap<>();
                if (named) {
                    for (Answer a : answers) {
                        for (JsonValue v : items(a, key)) {
                            counts.merge(v.asJsonObject().getString("name", ""), 1, Integer::sum);
                        }
                    }
                }
                for (Answer a : answers) {
                    for (JsonValue v : items(a, key)) {
                        JsonObject item = v.asJsonObject();
                        if (named) {
                            String original = item.getString("name", "");
                            String exposed = exposedName(a.member, original, counts.getOrDefault(original, 0) > 1);
                            if (fresh.putIfAbsent(exposed, new Route(a.member, original)) != null) {
                                continue; // NEVER mode: the first member keeps a colliding name
                            }
                            merged.add(dev.shadowcat.protocol.JsonP.PROVIDER.createObjectBuilder(item).add("name", exposed));
                        } else {
                            String uri = item.getString("uri", item.getString("uriTemplate", ""));
                            resources.putIfAbsent(uri, a.member);
                            merged.add(item);
                        }
                    }
                }
                if (named) {
                    routes.keySet().retainAll(fresh.keySet());
                    routes.putAll(fresh);
                }
                return dev.shadowcat.protocol.JsonP.PROVIDER.createObjectBuilder().add(key, merged).build();
            });
        }

        private String exposedName(int member, String original, boolean collides) {
            boolean prefix = mode == PrefixMode.ALWAYS || (mode == PrefixMode.CONFLICT && collides);
            return prefix ? members.get(member).name() + SEPARATOR + original : original;
        }

        private List<JsonValue> items(Answer a, String key) {
            if (!a.ok()) {
                return List.of();
            }
            JsonObject r = a.response.getJsonObject("result");
            return r.containsKey(key) ? r.getJsonArray(key) : List.of();
        }

        /** Forwards a call to the member that offered the name, under its own name. */
        private void routed(Message request, Exchange exchange, Map<String, Route> routes, String listMethod, String key) {
            String exposed = request.paramString("name");
            Route r = exposed == null ? null : routes.get(exposed);
            if (r == null && exposed != null) {
                // not listed yet (or the lists changed): learn the names, then route
                merge(listMethod, key, routes, true).thenAccept(x -> forwardRoute(request, exchange, routes.get(exposed), exposed));
                return;
            }
            forwardRoute(request, exchange, r, exposed);
        }

        private void forwardRoute(Message request, Exchange exchange, Route r, String exposed) {
            if (r == null) {
                exchange.onEnd(Errors.response(request.idJson(), ErrorCodes.INVALID_PARAMS,
                        "unknown name '" + exposed + "' on the aggregated endpoint '" + name + "'", null), Exchange.Outcome.REPLIED);
                return;
            }
            Message renamed = r.original.equals(exposed) ? request
                    : Message.trusted(request.rewriteSpan(request.paramsPath("name"), JsonScan.quote(r.original)));
            memberBindings.get(r.member).request(renamed, exchange);
        }

        private void byUri(Message request, Exchange exchange) {
            String uri = request.paramString("uri");
            Integer member = uri == null ? null : resources.get(uri);
            if (member != null) {
                memberBindings.get(member).request(request, exchange);
                return;
            }
            fetch("resources/list").thenAccept(answers -> {
                for (Answer a : answers) {
                    for (JsonValue v : items(a, "resources")) {
                        resources.putIfAbsent(v.asJsonObject().getString("uri", ""), a.member);
                    }
                }
                Integer m = uri == null ? null : resources.get(uri);
                // a URI no member listed may still come from a template: the first member decides
                memberBindings.get(m == null ? 0 : m).request(request, exchange);
            });
        }

        private void fanOutForAll(Message request, Exchange exchange) {
            fetchWith(request).thenAccept(answers ->
                    exchange.onEnd(Errors.result(request.idJson(), "{}"), Exchange.Outcome.REPLIED));
        }

        /** Sends one request of the aggregate's own to every member; completes when all answered or failed. */
        private CompletableFuture<List<Answer>> fetch(String method) {
            return fetchWith(Message.trusted(("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":" + JsonScan.quote(method) + "}")
                    .getBytes(StandardCharsets.UTF_8)));
        }

        private CompletableFuture<List<Answer>> fetchWith(Message template) {
            List<CompletableFuture<Answer>> all = new ArrayList<>();
            for (int i = 0; i < memberBindings.size(); i++) {
                String id = "\"shadowcat-agg-" + internalIds.incrementAndGet() + "\"";
                Collector c = new Collector(i, null);
                memberBindings.get(i).request(Message.trusted(template.rewrite(id, -1, null)), c);
                all.add(c.future);
            }
            return all(all);
        }

        @Override
        public void notify(Message notification) {
            for (UpstreamBinding b : memberBindings) {
                b.notify(notification);
            }
        }

        @Override
        public void cancel(Exchange exchange, String reason) {
            for (UpstreamBinding b : memberBindings) {
                b.cancel(exchange, reason);
            }
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                for (UpstreamBinding b : memberBindings) {
                    b.close();
                }
            }
        }

        /** How member {@code i} reaches the client session: list changes also invalidate the routes. */
        private final class MemberSession implements ClientSession {
            private final int member;

            MemberSession(int member) {
                this.member = member;
            }

            @Override
            public String handle() {
                return session.handle() + "/" + members.get(member).name();
            }

            @Override
            public String protocolVersion() {
                return session.protocolVersion();
            }

            @Override
            public String principal() {
                return session.principal();
            }

            @Override
            public java.util.Set<String> grants() {
                return session.grants();
            }

            @Override
            public String subjectToken() {
                return session.subjectToken();
            }

            @Override
            public dev.shadowcat.pipeline.FrontDoor frontDoor() {
                return session.frontDoor();
            }

            @Override
            public void onUpstreamEvent(byte[] message) {
                session.onUpstreamEvent(message);
            }

            @Override
            public void onUpstreamNotification(byte[] message, Exchange related) {
                session.onUpstreamNotification(message, related);
            }

            @Override
            public void onUpstreamRequest(Message request, UpstreamPeer from, Exchange related) {
                session.onUpstreamRequest(request, from, related);
            }

            @Override
            public void onUpstreamLost(String reason) {
                session.onUpstreamLost(members.get(member).name() + ": " + reason);
            }
        }

        /** Collects a member's answer to an internal request; related messages still reach the client. */
        private final class Collector implements Exchange {
            final CompletableFuture<Answer> future = new CompletableFuture<>();
            private final int member;
            private final Exchange client;

            Collector(int member, Exchange client) {
                this.member = member;
                this.client = client;
            }

            @Override
            public ClientSession session() {
                return session;
            }

            @Override
            public Exchange origin() {
                return client != null ? client.origin() : this;
            }

            @Override
            public void onMessage(byte[] message) {
                if (client != null) {
                    client.onMessage(message);
                }
            }

            @Override
            public void onEnd(byte[] response, Outcome outcome) {
                future.complete(new Answer(member, response == null ? null : parse(response)));
            }
        }
    }

    private record Route(int member, String original) {
    }

    private static byte[] withId(JsonObject response, String idJson) {
        return Message.trusted(response.toString().getBytes(StandardCharsets.UTF_8)).rewrite(idJson, -1, null);
    }

    private static CompletableFuture<List<Answer>> all(List<CompletableFuture<Answer>> futures) {
        return CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
                .thenApply(v -> futures.stream().map(CompletableFuture::join).toList());
    }
}
