package dev.shadowcat.upstream;

/** An exchange an upstream wraps around the client's to hear its end; everything else passes through. */
public abstract class ForwardingExchange implements Exchange {
    protected final Exchange inner;

    protected ForwardingExchange(Exchange inner) {
        this.inner = inner;
    }

    @Override
    public ClientSession session() {
        return inner.session();
    }

    @Override
    public String requestIdJson() {
        return inner.requestIdJson();
    }

    @Override
    public String principal() {
        return inner.principal();
    }

    @Override
    public java.util.Set<String> grants() {
        return inner.grants();
    }

    @Override
    public boolean gatewayOwn() {
        return inner.gatewayOwn();
    }

    @Override
    public Exchange origin() {
        return inner.origin();
    }

    @Override
    public void onMessage(byte[] message) {
        inner.onMessage(message);
    }

    @Override
    public long deadlineExtension(long timeoutMillis) {
        return inner.deadlineExtension(timeoutMillis);
    }
}
