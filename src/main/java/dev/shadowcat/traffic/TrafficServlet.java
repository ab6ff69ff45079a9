package dev.shadowcat.traffic;

import dev.shadowcat.gateway.Gateway;
import dev.shadowcat.pipeline.CallContext;
import dev.shadowcat.stream.AsyncWriter;
import dev.shadowcat.stream.ByteBudget;
import jakarta.inject.Inject;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code GET /api/traffic[?session=HANDLE][&upstream=NAME]}: the frames crossing the pipeline, as an event stream of
 * one JSON object per frame ({@link TrafficTap}), for as long as the client reads. Behind the same Origin/Host and
 * authentication checks as the rest of {@code /api}. A viewer that falls {@link #QUEUE_BYTES} behind is cut off (the
 * admin page reconnects); the page closes it while hidden, so the tap costs nothing then.
 */
@WebServlet(name = "traffic", urlPatterns = "/api/traffic", asyncSupported = true)
public class TrafficServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    static final long QUEUE_BYTES = 2 * 1024 * 1024;
    static final int QUEUE_FRAMES = 4096;
    private static final byte[] KEEP_ALIVE = ":\n\n".getBytes(StandardCharsets.US_ASCII);

    @Inject
    transient Gateway gateway;

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String session = req.getParameter("session");
        String upstream = req.getParameter("upstream");
        TrafficTap tap = gateway.traffic();
        resp.setContentType("text/event-stream");
        resp.setCharacterEncoding("UTF-8");
        resp.setHeader("Cache-Control", "no-store");
        resp.setHeader("X-Accel-Buffering", "no"); // nginx in front: do not buffer the stream
        AsyncContext async = req.startAsync();
        async.setTimeout(0);
        TrafficTap.Watcher[] watcher = new TrafficTap.Watcher[1];
        ScheduledFuture<?>[] pings = new ScheduledFuture<?>[1];
        AsyncWriter w = AsyncWriter.start(async, QUEUE_FRAMES, QUEUE_BYTES, ByteBudget.UNLIMITED, ended -> {
            if (watcher[0] != null) {
                tap.unwatch(watcher[0]);
            }
            if (pings[0] != null) {
                pings[0].cancel(false);
            }
        });
        watcher[0] = new TrafficTap.Watcher() {
            @Override
            public boolean wants(CallContext c) {
                // an aggregate session's legs to its members are "<handle>/<member>"
                String h = c.session();
                boolean s = session == null || (h != null && (h.equals(session) || h.startsWith(session + "/")));
                return s && (upstream == null || upstream.equals(c.upstream()) || upstream.equals(c.via()));
            }

            @Override
            public boolean offer(byte[] line) {
                byte[] event = new byte[line.length + 8];
                System.arraycopy("data: ".getBytes(StandardCharsets.US_ASCII), 0, event, 0, 6);
                System.arraycopy(line, 0, event, 6, line.length);
                event[event.length - 2] = '\n';
                event[event.length - 1] = '\n';
                return w.send(event);
            }

            @Override
            public void close() {
                w.complete();
            }
        };
        tap.watch(watcher[0]);
        w.send(": watching\n\n".getBytes(StandardCharsets.US_ASCII));
        try {
            pings[0] = gateway.scheduler().scheduleWithFixedDelay(() -> {
                if (!w.send(KEEP_ALIVE)) {
                    tap.unwatch(watcher[0]);
                }
            }, 10, 10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            w.complete();
        }
        if (!w.isOpen()) {
            tap.unwatch(watcher[0]);
        }
    }
}
