package dev.shadowcat.upstream;

import dev.shadowcat.protocol.ErrorCodes;
import dev.shadowcat.protocol.Errors;
import dev.shadowcat.protocol.Message;

/** The binding of a session an upstream refused at open (shutting down): every request fails at once. */
public enum RefusingBinding implements UpstreamBinding {
    INSTANCE;

    @Override
    public void request(Message request, Exchange exchange) {
        exchange.onEnd(Errors.response(request.idJson(), ErrorCodes.UPSTREAM_UNAVAILABLE,
                "the gateway is shutting down", null), Exchange.Outcome.FAILED);
    }

    @Override
    public void notify(Message notification) {
    }

    @Override
    public void cancel(Exchange exchange, String reason) {
    }

    @Override
    public void close() {
    }
}
