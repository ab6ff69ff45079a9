package dev.shadowcat.testing.fakes;

import dev.shadowcat.protocol.Message;
import dev.shadowcat.upstream.ClientSession;
import dev.shadowcat.upstream.Exchange;
import dev.shadowcat.upstream.UpstreamPeer;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/** A client session that records what reaches it and answers server→client requests with an empty roots list. */
public final class FakeClient implements ClientSession {
    public final List<String> got = new CopyOnWriteArrayList<>();

    @Override
    public String handle() {
        return "s1";
    }

    @Override
    public String protocolVersion() {
        return "2025-11-25";
    }

    @Override
    public void onUpstreamNotification(byte[] message, Exchange related) {
        got.add("notification " + Message.trusted(message).method());
    }

    @Override
    public void onUpstreamEvent(byte[] message) {
        got.add("event " + Message.trusted(message).method());
    }

    @Override
    public void onUpstreamRequest(Message request, UpstreamPeer from, Exchange related) {
        got.add("request " + request.method());
        from.answer(request.idJson(), Message.trusted("{\"jsonrpc\":\"2.0\",\"id\":\"shadowcat-1\",\"result\":{\"roots\":[]}}"
                .getBytes(StandardCharsets.UTF_8)));
    }

    @Override
    public void onUpstreamLost(String reason) {
        got.add("lost");
    }

    /** One request's exchange: its messages and its end. */
    public final class Call implements Exchange {
        final String id;
        public final List<String> messages = new CopyOnWriteArrayList<>();
        public final CompletableFuture<String> end = new CompletableFuture<>();
        public volatile Outcome outcome;

        public Call(String id) {
            this.id = id;
        }

        @Override
        public ClientSession session() {
            return FakeClient.this;
        }

        @Override
        public String requestIdJson() {
            return id;
        }

        @Override
        public void onMessage(byte[] message) {
            messages.add(new String(message, StandardCharsets.UTF_8));
        }

        @Override
        public void onEnd(byte[] response, Outcome outcome) {
            this.outcome = outcome;
            if (!end.complete(response == null ? null : new String(response, StandardCharsets.UTF_8))) {
                throw new AssertionError("a second end");
            }
        }
    }
}
