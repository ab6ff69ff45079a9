package dev.shadowcat.testing.fakes;

import dev.shadowcat.protocol.Errors;
import dev.shadowcat.protocol.Message;
import dev.shadowcat.upstream.ClientSession;
import dev.shadowcat.upstream.Exchange;
import dev.shadowcat.upstream.Upstream;
import dev.shadowcat.upstream.UpstreamBinding;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * An in-memory upstream for unit tests and benchmarks: answers {@code initialize} at once with an empty result and
 * hands every other request to a script ({@link #holding} never answers, {@link #answering} answers at once with a
 * fixed result). A cancel ends the exchange without a response; closed bindings are counted.
 */
public final class ScriptedUpstream implements Upstream {
    private final String name;
    private final BiConsumer<Message, Exchange> script;
    private final AtomicInteger closed = new AtomicInteger();

    public ScriptedUpstream(String name, BiConsumer<Message, Exchange> script) {
        this.name = name;
        this.script = script;
    }

    /** Requests stay in flight until cancelled. */
    public static ScriptedUpstream holding(String name) {
        return new ScriptedUpstream(name, (request, exchange) -> { });
    }

    /** Every request is answered at once with {@code resultJson}. */
    public static ScriptedUpstream answering(String name, String resultJson) {
        return new ScriptedUpstream(name, (request, exchange) ->
                exchange.onEnd(Errors.result(request.idJson(), resultJson), Exchange.Outcome.REPLIED));
    }

    /** How many bindings were closed (for a dedicated upstream: children released). */
    public int closedBindings() {
        return closed.get();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public UpstreamBinding open(ClientSession session, Message initialize, Exchange init) {
        init.onEnd(Errors.result(initialize.idJson(), "{}"), Exchange.Outcome.REPLIED);
        return new UpstreamBinding() {
            @Override
            public void request(Message request, Exchange exchange) {
                script.accept(request, exchange);
            }

            @Override
            public void notify(Message notification) {
            }

            @Override
            public void cancel(Exchange exchange, String reason) {
                exchange.onEnd(null, Exchange.Outcome.CANCELLED);
            }

            @Override
            public void close() {
                closed.incrementAndGet();
            }
        };
    }

    @Override
    public void maintain() {
    }

    @Override
    public Map<String, Object> stats() {
        return Map.of("name", name, "kind", "scripted");
    }

    @Override
    public CompletableFuture<Void> shutdown() {
        return CompletableFuture.completedFuture(null);
    }
}
