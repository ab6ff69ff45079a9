package dev.shadowcat.ratelimit;

import dev.shadowcat.config.PipelineConfig;
import dev.shadowcat.pipeline.CallContext;
import dev.shadowcat.pipeline.Frame;
import dev.shadowcat.pipeline.Interceptor;
import dev.shadowcat.protocol.ErrorCodes;
import dev.shadowcat.protocol.Errors;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.HashMap;
import java.util.Map;

/**
 * Request rates per principal (its session while authentication is off) and per (principal, tool), by upstream or
 * aggregate ({@code pipeline.rateLimits}). A request over a rate is answered at once with JSON-RPC
 * {@link ErrorCodes#RATE_LIMITED} and {@code data.retryAfterMs}; a POST that carries only that request becomes HTTP
 * 429 with {@code Retry-After} at the front door. Only clients' own calls count (not the gateway's, not an
 * aggregate's member legs). Stateless and thread-safe; the buckets are the {@link RateLimiter}'s.
 */
public final class RateLimitStage implements Interceptor {
    private final Map<String, PipelineConfig.RateLimits> byEndpoint;
    private final RateLimiter limiter;
    private final Map<String, Counter[]> refused = new HashMap<>();

    /** @param metrics where refusals are counted ({@code shadowcat_rate_limited_total}), or null */
    public RateLimitStage(Map<String, PipelineConfig.RateLimits> limits, RateLimiter limiter, MeterRegistry metrics) {
        this.byEndpoint = Map.copyOf(limits);
        this.limiter = limiter;
        for (String endpoint : limits.keySet()) {
            refused.put(endpoint, metrics == null ? new Counter[2] : new Counter[]{
                    counter(metrics, endpoint, "principal"), counter(metrics, endpoint, "tool")});
        }
    }

    private static Counter counter(MeterRegistry r, String endpoint, String limit) {
        return Counter.builder("shadowcat.rate.limited").tag("upstream", endpoint).tag("limit", limit)
                .description("Requests refused by a rate limit").register(r);
    }

    @Override
    public void intercept(Frame frame, Chain chain) {
        CallContext c = frame.context();
        PipelineConfig.RateLimits l;
        if (frame.direction() != Frame.Direction.TO_UPSTREAM || frame.kind() != Frame.Kind.REQUEST || !c.isClientCall()
                || (l = byEndpoint.get(c.upstream())) == null) {
            chain.proceed(frame);
            return;
        }
        String who = CallContext.ANONYMOUS.equals(c.principal()) ? "session " + c.session() : c.principal();
        String key = c.upstream() + '\u0000' + who;
        long wait = l.perPrincipal() == null ? 0 : limiter.tryAcquire(key, l.perPrincipal());
        int which = 0;
        if (wait == 0 && l.perTool() != null && "tools/call".equals(c.method()) && c.name() != null) {
            wait = limiter.tryAcquire(key + '\u0000' + c.name(), l.perTool());
            which = 1;
        }
        if (wait == 0) {
            chain.proceed(frame);
            return;
        }
        Counter n = refused.get(c.upstream())[which];
        if (n != null) {
            n.increment();
        }
        long ms = Math.max(1, (wait + 999_999) / 1_000_000);
        chain.respond(Errors.response(frame.message().idJson(), ErrorCodes.RATE_LIMITED,
                "Too Many Requests: the " + (which == 0 ? "rate for this caller" : "rate for tool '" + c.name() + "'")
                        + " on '" + c.upstream() + "' is spent; retry in " + ms + " ms",
                "{\"retryAfterMs\":" + ms + "}"));
    }
}
