package dev.shadowcat.metrics;

import dev.shadowcat.pipeline.CallContext;
import dev.shadowcat.pipeline.Frame;
import dev.shadowcat.pipeline.Interceptor;
import dev.shadowcat.protocol.JsonP;
import dev.shadowcat.protocol.Message;
import dev.shadowcat.upstream.Exchange;

import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.io.StringReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Counts and times every call at the end of its way back: {@code shadowcat_call_duration_seconds} (a histogram by
 * upstream, method, tool or prompt name and origin), {@code shadowcat_call_errors_total} by JSON-RPC code, and
 * {@code shadowcat_call_cancellations_total}. Thread-safe; meters are created once per label set and cached.
 *
 * <p>Origin is {@code client} for a client's call at the endpoint it called, {@code member} for an aggregate's
 * leg to one of its members, {@code gateway} for a call the gateway made for itself.
 */
public final class MetricsStage implements Interceptor {
    private static final Duration[] BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5),
            Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
            Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500),
            Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30)};

    private record TimerKey(String upstream, String method, String name, String origin) {
    }

    private record ErrorKey(String upstream, String method, String code) {
    }

    private final MeterRegistry registry;
    private final CallLabels labels = new CallLabels();
    private final ConcurrentHashMap<TimerKey, Timer> timers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<ErrorKey, Counter> errors = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter> cancellations = new ConcurrentHashMap<>();

    public MetricsStage(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void intercept(Frame frame, Chain chain) {
        if (frame.isEnd()) {
            record(frame);
        }
        chain.proceed(frame);
    }

    private void record(Frame end) {
        CallContext c = end.context();
        long nanos = System.nanoTime() - c.startNanos();
        String method = CallLabels.method(c.method());
        if (end.outcome() == Exchange.Outcome.CANCELLED) {
            cancellations.computeIfAbsent(c.upstream(), u -> Counter.builder("shadowcat.call.cancellations")
                    .description("Calls the client cancelled").tag("upstream", u).register(registry)).increment();
            return;
        }
        Message m = end.message();
        if (m != null && m.isError()) {
            String code = code(m);
            errors.computeIfAbsent(new ErrorKey(c.upstream(), method, code), k -> Counter.builder("shadowcat.call.errors")
                    .description("Calls answered with a JSON-RPC error, by code")
                    .tags("upstream", k.upstream(), "method", k.method(), "code", k.code()).register(registry)).increment();
        } else if (m != null && ("tools/list".equals(method) || "prompts/list".equals(method))) {
            learn(c.upstream(), method, m);
        }
        String origin = c.own() ? "gateway" : c.via() != null ? "member" : "client";
        TimerKey key = new TimerKey(c.upstream(), method, labels.name(c.upstream(), c.method(), c.name()), origin);
        Timer t = timers.get(key);
        if (t == null) {
            t = timers.computeIfAbsent(key, k -> Timer.builder("shadowcat.call.duration")
                    .description("Time from a request entering the gateway to its response leaving it")
                    .tags("upstream", k.upstream(), "method", k.method(), "name", k.name(), "origin", k.origin())
                    .serviceLevelObjectives(BUCKETS).register(registry));
        }
        t.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** The error code as a bounded label: the JSON-RPC and gateway codes by number, the rest grouped. */
    private static String code(Message m) {
        long span = m.path("error", "code");
        if (span < 0) {
            return "none";
        }
        String text = m.textAt(span);
        int code;
        try {
            code = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            return CallLabels.OTHER;
        }
        if (code >= -32768 && code <= -32000) {
            return text; // the JSON-RPC reserved range: the spec's codes, the gateway's and MCP's
        }
        return CallLabels.OTHER;
    }

    private void learn(String upstream, String method, Message list) {
        long span = list.path("result");
        if (span < 0) {
            return;
        }
        String key = "tools/list".equals(method) ? "tools" : "prompts";
        List<String> names = new ArrayList<>();
        try (var r = JsonP.PROVIDER.createReader(new StringReader(list.textAt(span)))) {
            if (r.readObject().get(key) instanceof JsonArray items) {
                for (JsonValue item : items) {
                    if (item instanceof JsonObject o && o.get("name") instanceof JsonString n) {
                        names.add(n.getString());
                    }
                }
            }
        } catch (RuntimeException e) {
            return; // not a list we can read: nothing learned
        }
        labels.listed(upstream, CallLabels.kind(method), names);
    }
}
