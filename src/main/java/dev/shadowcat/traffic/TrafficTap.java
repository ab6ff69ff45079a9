package dev.shadowcat.traffic;

import dev.shadowcat.pipeline.CallContext;
import dev.shadowcat.pipeline.Frame;
import dev.shadowcat.pipeline.Interceptor;
import dev.shadowcat.protocol.JsonScan;
import dev.shadowcat.protocol.Message;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * The outermost stage: the admin page's live view of traffic and its list of recent errors. While nobody watches,
 * a frame costs one empty-list check (and an end frame one check of whether it is an error); with watchers, each
 * frame becomes one short JSON line (direction, kind, method, id, session handle, upstream, principal, size and a
 * redacted preview of at most {@link #PREVIEW_CHARS} characters) offered to every watcher whose filter it passes.
 *
 * <p>Thread-safe: watchers are a copy-on-write list (they come and go rarely); a watcher that cannot keep up is
 * dropped by its own bounded queue, never waited for.
 */
public final class TrafficTap implements Interceptor {
    static final int PREVIEW_CHARS = 300;
    /** Values of keys that look like secrets are masked in previews, whatever the upstream. */
    private static final Pattern SECRET = Pattern.compile(
            "(\"(?i:[a-z_-]*(?:password|passwd|secret|token|api[_-]?key|authorization|credential|cookie)[a-z_-]*)\"\\s*:\\s*)\"(?:[^\"\\\\]|\\\\.)*\"");

    /** One open view: its filter and where its lines go. */
    public interface Watcher {
        /** Whether this frame's session or upstream is one the viewer asked for. */
        boolean wants(CallContext context);

        /** One line; false when the viewer is gone or too slow (it is then removed). */
        boolean offer(byte[] line);

        /** Ends the view (the gateway is stopping): its response completes. */
        void close();
    }

    private final CopyOnWriteArrayList<Watcher> watchers = new CopyOnWriteArrayList<>();
    private final RecentErrors errors;
    private final AtomicLong seq = new AtomicLong();

    public TrafficTap(RecentErrors errors) {
        this.errors = errors;
    }

    public RecentErrors errors() {
        return errors;
    }

    public void watch(Watcher w) {
        watchers.add(w);
    }

    public void unwatch(Watcher w) {
        watchers.remove(w);
    }

    /** Ends every view: at shutdown no open stream may keep the container from stopping. */
    public void closeAll() {
        for (Watcher w : watchers) {
            watchers.remove(w);
            w.close();
        }
    }

    public int watching() {
        return watchers.size();
    }

    @Override
    public void intercept(Frame frame, Chain chain) {
        if (frame.isEnd()) {
            Message m = frame.message();
            if (m != null && m.isError()) {
                errors.add(frame.context(), m);
            }
        }
        if (!watchers.isEmpty()) {
            publish(frame);
        }
        chain.proceed(frame);
    }

    private void publish(Frame frame) {
        CallContext c = frame.context();
        byte[] line = null;
        for (Watcher w : watchers) {
            if (!w.wants(c)) {
                continue;
            }
            if (line == null) {
                line = line(frame, c);
            }
            if (!w.offer(line)) {
                watchers.remove(w);
            }
        }
    }

    private byte[] line(Frame frame, CallContext c) {
        byte[] bytes = frame.bytes();
        String text = new String(bytes, 0, Math.min(bytes.length, PREVIEW_CHARS * 4), StandardCharsets.UTF_8);
        String preview = redact(text);
        if (preview.length() > PREVIEW_CHARS) {
            preview = preview.substring(0, PREVIEW_CHARS) + "…";
        }
        Message m = frame.message();
        StringBuilder b = new StringBuilder(200 + preview.length());
        b.append("{\"seq\":").append(seq.incrementAndGet());
        JsonScan.quote(b.append(",\"time\":"), Instant.now().toString());
        JsonScan.quote(b.append(",\"direction\":"), frame.direction() == Frame.Direction.TO_UPSTREAM ? "to-upstream" : "to-client");
        JsonScan.quote(b.append(",\"kind\":"), frame.isEnd() ? "end" : frame.kind().name().toLowerCase(java.util.Locale.ROOT));
        String method = m != null && m.method() != null ? m.method() : c.method();
        if (method != null) {
            JsonScan.quote(b.append(",\"method\":"), method);
        }
        if (m != null && m.idJson() != null) {
            b.append(",\"id\":").append(m.idJson()); // as the client sent it: a number or a string
        }
        if (m != null && frame.isEnd()) {
            b.append(",\"error\":").append(m.isError());
        }
        member(b, "session", c.session());
        member(b, "upstream", c.upstream());
        member(b, "via", c.via());
        member(b, "principal", c.principal());
        b.append(",\"bytes\":").append(bytes.length);
        JsonScan.quote(b.append(",\"preview\":"), preview);
        return b.append('}').toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void member(StringBuilder b, String name, String value) {
        if (value != null) {
            JsonScan.quote(b.append(",\"").append(name).append("\":"), value);
        }
    }

    static String redact(String json) {
        return SECRET.matcher(json).replaceAll("$1\"[redacted]\"");
    }
}
