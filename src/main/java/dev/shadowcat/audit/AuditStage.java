package dev.shadowcat.audit;

import dev.shadowcat.config.PipelineConfig;
import dev.shadowcat.pipeline.CallContext;
import dev.shadowcat.pipeline.Frame;
import dev.shadowcat.pipeline.Interceptor;
import dev.shadowcat.protocol.JsonP;
import dev.shadowcat.protocol.JsonScan;
import dev.shadowcat.protocol.Message;

import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;

import jakarta.json.JsonValue;

import java.io.StringReader;
import java.time.Instant;
import java.util.List;

/**
 * One JSON line per call, queued for the {@link AuditLog} when the call ends: time, principal, session handle,
 * front door, upstream (and the aggregate it served, if any), method, what it named, outcome and error code,
 * duration. The request's {@code params} and the response's {@code result} are added only where configured for
 * the upstream, after redaction. Never a token, a cookie or a session id: the context carries none.
 * Thread-safe; calls the gateway makes for itself are not audited.
 */
public final class AuditStage implements Interceptor {
    static final String REDACTED = "[redacted]";

    private final AuditLog log;
    private final PipelineConfig.Audit config;

    public AuditStage(AuditLog log, PipelineConfig.Audit config) {
        this.log = log;
        this.config = config;
    }

    @Override
    public void intercept(Frame frame, Chain chain) {
        if (frame.isEnd() && !frame.context().own()) {
            log.offer(line(frame, System.currentTimeMillis()));
        }
        chain.proceed(frame);
    }

    String line(Frame end, long nowMillis) {
        CallContext c = end.context();
        StringBuilder sb = new StringBuilder(256);
        sb.append("{\"time\":\"").append(Instant.ofEpochMilli(nowMillis)).append('"');
        field(sb, "principal", c.principal());
        field(sb, "session", c.session());
        field(sb, "door", c.frontDoor().label());
        field(sb, "upstream", c.upstream());
        if (c.via() != null) {
            field(sb, "via", c.via());
        }
        field(sb, "method", c.method());
        if (c.name() != null) {
            field(sb, "name", c.name());
        }
        Message m = end.message();
        String outcome = switch (end.outcome()) {
            case REPLIED -> m != null && m.isError() ? "error" : "ok";
            case FAILED -> "error";
            case TIMED_OUT -> "timeout";
            case CANCELLED -> "cancelled";
            case SESSION_LOST -> "session-lost";
        };
        field(sb, "outcome", outcome);
        if (m != null && m.isError()) {
            long code = m.path("error", "code");
            if (code >= 0) {
                sb.append(",\"code\":").append(m.textAt(code));
            }
        }
        long micros = (System.nanoTime() - c.startNanos()) / 1000;
        long frac = micros % 1000;
        sb.append(",\"durationMs\":").append(micros / 1000).append('.').append(frac < 100 ? (frac < 10 ? "00" : "0") : "").append(frac);
        PipelineConfig.AuditDetail detail = config.detail(c.upstream());
        if (detail.arguments() || detail.results()) {
            content(sb, end, m, detail);
        }
        return sb.append('}').toString();
    }

    private static void content(StringBuilder sb, Frame end, Message response, PipelineConfig.AuditDetail detail) {
        JsonObjectBuilder parts = JsonP.PROVIDER.createObjectBuilder();
        Message request = end.request();
        if (detail.arguments() && request != null && request.paramsJson() != null) {
            parts.add("params", parse(request.paramsJson()));
        }
        if (detail.results() && response != null) {
            long span = response.path("result");
            if (span >= 0) {
                parts.add("result", parse(response.textAt(span)));
            }
        }
        JsonObject redacted = parts.build();
        for (String path : detail.redact()) {
            redacted = (JsonObject) redact(redacted, List.of(path.split("\\.")), 0);
        }
        for (var e : redacted.entrySet()) {
            sb.append(",\"").append(e.getKey()).append("\":").append(e.getValue());
        }
    }

    private static JsonValue parse(String json) {
        try (var r = JsonP.PROVIDER.createReader(new StringReader(json))) {
            return r.readValue();
        }
    }

    /** The value with whatever {@code path} names from position {@code i} replaced. */
    static JsonValue redact(JsonValue v, List<String> path, int i) {
        if (i == path.size()) {
            return JsonP.PROVIDER.createValue(REDACTED);
        }
        String step = path.get(i);
        if (v instanceof JsonObject o) {
            JsonObjectBuilder b = JsonP.PROVIDER.createObjectBuilder();
            for (var e : o.entrySet()) {
                boolean hit = step.equals("*") || step.equals(e.getKey());
                b.add(e.getKey(), hit ? redact(e.getValue(), path, i + 1) : e.getValue());
            }
            return b.build();
        }
        if (v instanceof JsonArray a) {
            JsonArrayBuilder b = JsonP.PROVIDER.createArrayBuilder();
            for (int k = 0; k < a.size(); k++) {
                boolean hit = step.equals("*") || step.equals(Integer.toString(k));
                b.add(hit ? redact(a.get(k), path, i + 1) : a.get(k));
            }
            return b.build();
        }
        return v; // the path goes on below a plain value: nothing there to redact
    }

    private static void field(StringBuilder sb, String name, String value) {
        sb.append(",\"").append(name).append("\":");
        if (value == null) {
            sb.append("null");
        } else {
            JsonScan.quote(sb, value);
        }
    }

}
