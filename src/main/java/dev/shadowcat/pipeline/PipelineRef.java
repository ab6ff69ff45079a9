package dev.shadowcat.pipeline;

import dev.shadowcat.upstream.Upstream;

/**
 * The gateway's current chain, which a configuration reload replaces. Every upstream is wrapped once against this
 * reference, so a reload changes the stages without changing the upstream objects sessions hold. A call keeps the
 * chain it started on until it ends (its answer crosses the stages its request crossed); what starts after the swap
 * takes the new one. Thread-safe: one volatile field.
 */
public final class PipelineRef {
    private volatile Pipeline current;

    public PipelineRef(Pipeline initial) {
        this.current = initial;
    }

    public Pipeline get() {
        return current;
    }

    public void set(Pipeline next) {
        current = next;
    }

    /** {@code upstream} behind whatever chain is current; {@code via} names the aggregate it is a member of. */
    public Upstream wrap(Upstream upstream, String via) {
        return new PipelinedUpstream(upstream, this, via);
    }
}
