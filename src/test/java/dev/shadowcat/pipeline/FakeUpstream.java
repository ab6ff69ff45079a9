package dev.shadowcat.pipeline;

import dev.shadowcat.protocol.Errors;
import dev.shadowcat.protocol.Message;
import dev.shadowcat.upstream.ClientSession;
import dev.shadowcat.upstream.Exchange;
import dev.shadowcat.upstream.Upstream;
import dev.shadowcat.upstream.UpstreamBinding;
import dev.shadowcat.upstream.UpstreamPeer;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An in-memory upstream: answers initialize, {@code tools/list} with the tools it is given, {@code tools/call}
 * with the tool's name (after a progress notification), and for {@code ask} sends the session a server→client
 * request whose answer becomes the call's result. Records what reached it.
 */
final class FakeUpstream implements Upstream {
    final List<String> received = new CopyOnWriteArrayList<>();
    final List<String> tools;
    volatile ClientSession lastSession;
    final List<Exchange> hanging = new CopyOnWriteArrayList<>();

    FakeUpstream(List<String> tools) {
        this.tools = tools;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String name() {
        return "fake";
    }

    @Override
    public UpstreamBinding open(ClientSession session, Message initialize, Exchange init) {
        lastSession = session;
        received.add("initialize");
        init.onEnd(Errors.result(initialize.idJson(), "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{}}"),
                Exchange.Outcome.REPLIED);
        return new UpstreamBinding() {
            @Override
            public void request(Message request, Exchange exchange) {
                received.add(request.method() + (request.paramString("name") != null ? " " + request.paramString("name") : ""));
                switch (request.method()) {
                    case "tools/list" -> {
                        StringBuilder sb = new StringBuilder("{\"tools\":[");
                        for (int i = 0; i < tools.size(); i++) {
                            sb.append(i > 0 ? "," : "").append("{\"name\":\"").append(tools.get(i))
                                    .append("\",\"inputSchema\":{\"type\":\"object\"}}");
                        }
                        exchange.onEnd(Errors.result(request.idJson(), sb.append("]}").toString()), Exchange.Outcome.REPLIED);
                    }
                    case "tools/call" -> {
                        exchange.onMessage(utf8("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":1,\"progress\":1}}"));
                        exchange.onEnd(Errors.result(request.idJson(), "{\"content\":[{\"type\":\"text\",\"text\":\""
                                + request.paramString("name") + "\"}]}"), Exchange.Outcome.REPLIED);
                    }
                    case "ask" -> session.onUpstreamRequest(Message.trusted(utf8(
                                    "{\"jsonrpc\":\"2.0\",\"id\":77,\"method\":\"roots/list\"}")),
                            new UpstreamPeer() {
                                @Override
                                public void answer(String originalIdJson, Message clientResponse) {
                                    received.add("answer " + originalIdJson);
                                    exchange.onEnd(Errors.result(request.idJson(), clientResponse.textAt(clientResponse.path("result"))),
                                            Exchange.Outcome.REPLIED);
                                }

                                @Override
                                public void refuse(String originalIdJson, int code, String message) {
                                    received.add("refuse " + originalIdJson);
                                    exchange.onEnd(Errors.response(request.idJson(), code, message, null), Exchange.Outcome.FAILED);
                                }
                            }, exchange);
                    case "hang" -> hanging.add(exchange);
                    default -> exchange.onEnd(Errors.response(request.idJson(), -32601, "no " + request.method(), null),
                            Exchange.Outcome.REPLIED);
                }
            }

            @Override
            public void notify(Message notification) {
                received.add(notification.method());
            }

            @Override
            public void cancel(Exchange exchange, String reason) {
                received.add("cancel");
                // like every real binding: the exchange it was given ends, found by the client's origin
                for (Exchange h : hanging) {
                    if (h.origin() == exchange.origin() && hanging.remove(h)) {
                        h.onEnd(null, Exchange.Outcome.CANCELLED);
                    }
                }
            }

            @Override
            public void close() {
                received.add("close");
            }
        };
    }

    @Override
    public void maintain() {
    }

    @Override
    public Map<String, Object> stats() {
        return Map.of("name", "fake", "kind", "fake");
    }

    @Override
    public CompletableFuture<Void> shutdown() {
        return CompletableFuture.completedFuture(null);
    }
}
