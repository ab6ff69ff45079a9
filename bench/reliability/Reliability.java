import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The reliability suite's driver: failure scenarios against a running gateway (started by bench/reliability/run.sh
 * with its own config), loopback only, bounded in count and time. JDK classes only; run as a single-file program:
 *
 * <pre>java bench/reliability/Reliability.java --port P --pid PID [--mode ci|full] [--table FILE] [--only a,b]
 *      [--churn N] [--killed K] [--slowloris S] [--slowloris-seconds T] [--abandoned A]</pre>
 *
 * Prints one table row per scenario (markdown) and exits 1 if any scenario misses its target. The last scenario
 * (sigterm) stops the gateway.
 */
public class Reliability {
    static final String HOST = "127.0.0.1";
    static final String PV = "2025-11-25";
    static final String DEMO = "/mcp/demo";     // dedicated: one child JVM per session
    static final String SHARED = "/mcp/shared"; // shared pool of 2 children: cheap sessions
    static final long TOTAL_BUFFER_BYTES = 201_326_592L; // server.totalBufferBytes default (192 MiB)

    static int port;
    static long pid;
    static HttpClient http;
    static final List<Row> rows = new ArrayList<>();
    static final ExecutorService aux = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "aux");
        t.setDaemon(true);
        return t;
    });

    record Row(String scenario, String size, String result, String target, boolean pass) {
    }

    // ------------------------------------------------------------------------------------------------ main

    public static void main(String[] args) throws Exception {
        // idle client connections must not hold the gateway's descriptors while levels are compared
        System.setProperty("jdk.httpclient.keepalive.timeout", System.getProperty("jdk.httpclient.keepalive.timeout", "2"));
        Map<String, String> a = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument " + args[i]);
            }
            a.put(args[i].substring(2), args[i + 1]);
        }
        port = Integer.parseInt(req(a, "port"));
        pid = Long.parseLong(req(a, "pid"));
        boolean full = "full".equals(a.getOrDefault("mode", "ci"));
        int churn = Integer.parseInt(a.getOrDefault("churn", full ? "100000" : "1000"));
        int abandoned = Integer.parseInt(a.getOrDefault("abandoned", "20"));
        int killed = Integer.parseInt(a.getOrDefault("killed", full ? "50" : "5"));
        int slowloris = Integer.parseInt(a.getOrDefault("slowloris", full ? "20000" : "300"));
        int slowlorisSeconds = Integer.parseInt(a.getOrDefault("slowloris-seconds", full ? "60" : "10"));
        Set<String> only = a.containsKey("only") ? Set.of(a.get("only").split(",")) : null;
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();

        if (ProcessHandle.of(pid).isEmpty()) {
            throw new IllegalStateException("no process " + pid);
        }
        log("gateway pid " + pid + " on 127.0.0.1:" + port + ", mode " + (full ? "full" : "ci"));
        run(only, "churn", () -> churn(churn));
        run(only, "abandoned", () -> abandoned(abandoned));
        run(only, "killed", () -> killed(killed));
        run(only, "slow-readers", Reliability::slowReaders);
        run(only, "hostile", Reliability::hostile);
        run(only, "slowloris", () -> slowloris(slowloris, slowlorisSeconds));
        run(only, "sigterm", Reliability::sigterm);

        StringBuilder t = new StringBuilder();
        t.append("| scenario | size | result | target | verdict |\n|---|---|---|---|---|\n");
        for (Row r : rows) {
            t.append("| ").append(r.scenario).append(" | ").append(r.size).append(" | ").append(r.result.replace("|", "/"))
                    .append(" | ").append(r.target).append(" | ").append(r.pass ? "PASS" : "**FAIL**").append(" |\n");
        }
        System.out.println();
        System.out.print(t);
        if (a.containsKey("table")) {
            Files.writeString(Path.of(a.get("table")), t.toString());
        }
        boolean ok = rows.stream().allMatch(Row::pass);
        System.out.println(ok ? "all scenarios met their targets" : "FAILED: "
                + rows.stream().filter(r -> !r.pass).map(Row::scenario).toList());
        System.exit(ok ? 0 : 1);
    }

    interface Scenario {
        Row run() throws Exception;
    }

    static void run(Set<String> only, String name, Scenario s) {
        if (only != null && !only.contains(name)) {
            return;
        }
        long t0 = System.nanoTime();
        log("== " + name);
        Row r;
        try {
            r = s.run();
        } catch (Throwable e) {
            e.printStackTrace();
            r = new Row(name, "-", "aborted: " + e, "-", false);
        }
        rows.add(r);
        log("== " + name + " " + (r.pass ? "PASS" : "FAIL") + " in " + (System.nanoTime() - t0) / 1_000_000 + " ms: " + r.result);
    }

    static String req(Map<String, String> a, String k) {
        String v = a.get(k);
        if (v == null) {
            throw new IllegalArgumentException("--" + k + " is required");
        }
        return v;
    }

    static void log(String s) {
        System.err.println("[reliability " + java.time.LocalTime.now().withNano(0) + "] " + s);
    }

    // ------------------------------------------------------------------------------------------------ scenario 1

    static Row churn(int n) throws Exception {
        int c = 16;
        churnSessions(Math.min(200, n), c, null); // warm-up: JIT, lazy init, Jetty's pool at this concurrency
        Thread.sleep(3000);                       // client keep-alive (2 s) ends
        Figures before = figures(true);
        log("before: " + before);
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        long t0 = System.nanoTime();
        int failed = churnSessions(n, c, failures);
        double secs = (System.nanoTime() - t0) / 1e9;
        log("churned " + n + " in " + String.format(Locale.ROOT, "%.1f", secs) + " s, failures " + failed
                + (failures.isEmpty() ? "" : " e.g. " + failures.subList(0, Math.min(3, failures.size()))));
        long heapBound = Math.max(before.heapKiB / 10, 8 * 1024);
        Figures after = null;
        double open = -1;
        boolean levels = false;
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            after = figures(true);
            open = metric("shadowcat_sessions_open");
            levels = Math.abs(after.others() - before.others()) <= 2 && Math.abs(after.fds - before.fds) <= 2
                    && Math.abs(after.children - before.children) <= 2 && after.heapKiB - before.heapKiB <= heapBound
                    && open == 0;
            if (levels || System.nanoTime() > deadline) {
                break;
            }
            Thread.sleep(1000);
        }
        log("after: " + after);
        String result = String.format(Locale.ROOT, "%.0f sessions/s, %d failures; threads %d→%d (idle in Jetty's pool %d→%d, "
                        + "others %d→%d), fds %d→%d, children %d→%d, heap %s→%s, sessions_open %.0f", n / secs, failed,
                before.threads, after.threads, before.idle, after.idle, before.others(), after.others(), before.fds,
                after.fds, before.children, after.children, mib(before.heapKiB), mib(after.heapKiB), open);
        return new Row("1 churn (`/mcp/shared`)", String.format(Locale.ROOT, "%,d sessions, c=%d", n, c), result,
                "0 failures; within 10 s: threads (not counting Jetty's idle pool) / fds / children ±2, heap ≤ +max(10 %, 8 MiB), "
                        + "sessions_open 0",
                failed == 0 && levels);
    }

    /** n sessions of initialize + initialized + echo + DELETE at concurrency c; returns the number that failed. */
    static int churnSessions(int n, int c, List<String> failures) throws Exception {
        AtomicInteger next = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(c);
        List<Future<?>> fs = new ArrayList<>();
        for (int w = 0; w < c; w++) {
            fs.add(pool.submit(() -> {
                int i;
                while ((i = next.getAndIncrement()) < n) {
                    try {
                        Mcp s = new Mcp(SHARED).open();
                        String m = "m" + i;
                        String text = s.callText(2, "echo", "{\"message\":\"" + m + "\"}");
                        if (!("Echo: " + m).equals(text)) {
                            throw new IllegalStateException("echo answered " + text);
                        }
                        int d = s.delete();
                        if (d != 200 && d != 204) {
                            throw new IllegalStateException("DELETE " + d);
                        }
                    } catch (Exception e) {
                        failed.incrementAndGet();
                        if (failures != null && failures.size() < 20) {
                            failures.add(e.toString());
                        }
                    }
                    if (failures != null && i > 0 && i % 10_000 == 0) {
                        log("  churn " + i + "/" + n);
                    }
                }
            }));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        pool.shutdown();
        return failed.get();
    }

    // ------------------------------------------------------------------------------------------------ scenario 2

    static Row abandoned(int n) throws Exception {
        // n dedicated sessions (pool maxSize 16), never deleted; reclaimIdleSeconds is 2 in the suite's config
        List<Mcp> opened = Collections.synchronizedList(new ArrayList<>());
        List<String> openFailures = Collections.synchronizedList(new ArrayList<>());
        List<Long> openMs = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> fs = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            fs.add(pool.submit(() -> {
                while (next.getAndIncrement() < n) {
                    long t0 = System.nanoTime();
                    try {
                        Mcp s = new Mcp(DEMO).open();
                        s.callText(2, "echo", "{\"message\":\"a\"}");
                        opened.add(s);
                    } catch (Exception e) {
                        openFailures.add(e.getMessage());
                    }
                    openMs.add((System.nanoTime() - t0) / 1_000_000);
                }
            }));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        pool.shutdown();
        log("opened " + opened.size() + "/" + n + " (ms " + openMs + ")" + (openFailures.isEmpty() ? "" : ", failures " + openFailures));
        Thread.sleep(2500); // every session idle >= reclaimIdleSeconds
        // a new client, and each refused one initializing again, must now be served (each ends the idlest old session)
        int newClients = Math.max(1, openFailures.size());
        int served = 0;
        long worstNewMs = 0;
        String why = "";
        List<Mcp> fresh = new ArrayList<>();
        for (int i = 0; i < newClients; i++) {
            long t0 = System.nanoTime();
            try {
                Mcp f = new Mcp(DEMO).open();
                fresh.add(f);
                if ("Echo: new".equals(f.callText(2, "echo", "{\"message\":\"new\"}"))) {
                    served++;
                }
            } catch (Exception e) {
                why = " (" + shorten(e.getMessage(), 100) + ")";
            }
            worstNewMs = Math.max(worstNewMs, (System.nanoTime() - t0) / 1_000_000);
        }
        boolean newWorks = served == newClients;
        int gone = 0, alive = 0, other = 0;
        for (Mcp s : opened) {
            Resp r;
            try {
                r = s.post(call(3, "echo", "{\"message\":\"still\"}"), Duration.ofSeconds(15));
            } catch (RuntimeException e) {
                other++;
                continue;
            }
            if (r.status == 404) {
                gone++;
            } else if (r.status == 200 && "Echo: still".equals(toolText(r.msg))) {
                alive++;
            } else {
                other++;
            }
        }
        for (Mcp s : opened) {
            s.delete();
        }
        for (Mcp f : fresh) {
            f.delete();
        }
        double open = waitMetric("shadowcat_sessions_open", 0, 10);
        String result = String.format(Locale.ROOT, "%d/%d opened at once (%d refused%s); after 2.5 s idle %d/%d new clients "
                        + "served (worst %d ms)%s; old sessions: %d got 404, %d still served, %d other; sessions_open after DELETEs %.0f",
                opened.size(), n, openFailures.size(), openFailures.isEmpty() ? "" : ": " + shorten(openFailures.get(0), 70),
                served, newClients, worstNewMs, why, gone, alive, other, open);
        return new Row("2 abandoned (`/mcp/demo`, reclaim 2 s)", n + " sessions > pool 16, no DELETE", result,
                "new clients served once the old sessions are idle ≥ 2 s", newWorks);
    }

    // ------------------------------------------------------------------------------------------------ scenario 3

    static Row killed(int k) throws Exception {
        List<Long> ms = Collections.synchronizedList(new ArrayList<>());
        List<String> wrong = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger next = new AtomicInteger();
        int c = Math.min(2, k);
        ExecutorService pool = Executors.newFixedThreadPool(c);
        List<Future<?>> fs = new ArrayList<>();
        for (int w = 0; w < c; w++) {
            fs.add(pool.submit(() -> {
                while (next.getAndIncrement() < k) {
                    try {
                        Mcp s = new Mcp(DEMO).open();
                        long t0 = System.nanoTime();
                        Resp r = s.post(call(2, "crash", "{\"exitCode\":7}"), Duration.ofSeconds(30));
                        long t = (System.nanoTime() - t0) / 1_000_000;
                        Map<?, ?> err = r.msg == null ? null : (Map<?, ?>) r.msg.get("error");
                        String message = err == null ? null : String.valueOf(err.get("message"));
                        Object data = err == null ? null : err.get("data");
                        Object exit = data instanceof Map<?, ?> d ? d.get("exitCode") : null;
                        if (message != null && message.contains("code 7") && exit instanceof Number x && x.intValue() == 7) {
                            ms.add(t);
                        } else {
                            wrong.add(r.status + " " + shorten(r.body, 120));
                        }
                        s.delete();
                    } catch (Exception e) {
                        wrong.add(e.toString());
                    }
                }
            }));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        pool.shutdown();
        boolean after;
        try {
            Mcp fresh = new Mcp(DEMO).open();
            after = "Echo: after".equals(fresh.callText(2, "echo", "{\"message\":\"after\"}"));
            fresh.delete();
        } catch (Exception e) {
            after = false;
        }
        List<Long> sorted = new ArrayList<>(ms);
        Collections.sort(sorted);
        long p50 = pct(sorted, 0.50), p99 = pct(sorted, 0.99);
        String result = String.format(Locale.ROOT, "%d/%d errors name exit code 7; time to error p50 %d ms, p99 %d ms, max %d ms; "
                        + "new session after: %s%s", ms.size(), k, p50, p99, sorted.isEmpty() ? -1 : sorted.get(sorted.size() - 1),
                after ? "works" : "FAILS", wrong.isEmpty() ? "" : "; wrong: " + shorten(wrong.get(0), 120));
        return new Row("3 killed children (`/mcp/demo`)", k + " × crash {exitCode:7}", result,
                "every error names exit code 7, p99 < 1 s, new session works",
                wrong.isEmpty() && ms.size() == k && p99 < 1000 && after);
    }

    // ------------------------------------------------------------------------------------------------ scenario 4

    static Row slowReaders() throws Exception {
        Figures before = figures(true);
        Mcp flooded = new Mcp(DEMO).open();
        Mcp other = new Mcp(DEMO).open();
        double droppedBefore = metric("shadowcat_sse_dropped_slow_readers_total");
        AtomicLong peak = new AtomicLong();
        AtomicBoolean sampling = new AtomicBoolean(true);
        List<Long> lat = new ArrayList<>();
        int otherFailures = 0;
        String floodText;
        try (Socket unread = new Socket()) {
            unread.setReceiveBufferSize(4096);
            unread.connect(new InetSocketAddress(HOST, port), 5000);
            OutputStream out = unread.getOutputStream();
            out.write(("GET " + DEMO + " HTTP/1.1\r\nHost: " + HOST + ":" + port + "\r\nAccept: text/event-stream\r\nMcp-Session-Id: "
                    + flooded.sid + "\r\nMCP-Protocol-Version: " + PV + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Thread.sleep(300); // attached, never read
            Future<?> sampler = aux.submit(() -> {
                while (sampling.get()) {
                    try {
                        peak.accumulateAndGet((long) metric("shadowcat_sse_buffered_bytes"), Math::max);
                        Thread.sleep(25);
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            CompletableFuture<Resp> flood = CompletableFuture.supplyAsync(() -> flooded.post(
                    call(2, "flood", "{\"count\":40,\"bytes\":1048576,\"kind\":\"updated\"}"), Duration.ofSeconds(120)), aux);
            int during = 0;
            for (int i = 0; i < 50; i++) {
                long t0 = System.nanoTime();
                try {
                    if (!("Echo: o" + i).equals(other.callText(10 + i, "echo", "{\"message\":\"o" + i + "\"}"))) {
                        otherFailures++;
                    }
                } catch (Exception e) {
                    otherFailures++;
                }
                lat.add((System.nanoTime() - t0) / 1_000_000);
                if (!flood.isDone()) {
                    during++;
                }
                Thread.sleep(20);
            }
            Resp fr = flood.get(120, TimeUnit.SECONDS);
            floodText = fr.status + " " + toolText(fr.msg);
            Thread.sleep(300);
            sampling.set(false);
            sampler.get(5, TimeUnit.SECONDS);
            log("flood answered " + floodText + "; " + during + " of the other session's echoes overlapped it");
        }
        double dropped = metric("shadowcat_sse_dropped_slow_readers_total") - droppedBefore;
        int d1 = flooded.delete(), d2 = other.delete();
        double buffered = waitMetric("shadowcat_sse_buffered_bytes", 0, 10);
        Figures after = figures(true);
        Collections.sort(lat);
        String result = String.format(Locale.ROOT, "peak buffered %s; slow readers dropped %.0f; flood answered %s; other session: "
                        + "%d failures, echo p50 %d ms, p99 %d ms; after DELETE (%d, %d): buffered %.0f B, heap %s (before %s)",
                mib(peak.get() / 1024), dropped, floodText, otherFailures, pct(lat, 0.5), pct(lat, 0.99), d1, d2, buffered,
                mib(after.heapKiB), mib(before.heapKiB));
        return new Row("4 slow reader (`/mcp/demo`)", "unread GET, 40 × 1 MiB; 50 echoes", result,
                "peak ≤ 192 MiB, other session 0 failures, buffered back to 0",
                peak.get() <= TOTAL_BUFFER_BYTES && otherFailures == 0 && buffered == 0);
    }

    // ------------------------------------------------------------------------------------------------ scenario 5

    record Hostile(String name, byte[] request) {
    }

    static Row hostile() throws Exception {
        Mcp victim = new Mcp(SHARED).open();   // its session id is used by the requests that need one
        Mcp functional = new Mcp(SHARED).open();
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger fOk = new AtomicInteger(), fFail = new AtomicInteger();
        List<String> fWhy = Collections.synchronizedList(new ArrayList<>());
        Future<?> loop = aux.submit(() -> {
            int i = 0;
            while (running.get()) {
                try {
                    String m = "f" + i;
                    if (("Echo: " + m).equals(functional.callText(100 + i++, "echo", "{\"message\":\"" + m + "\"}"))) {
                        fOk.incrementAndGet();
                    } else {
                        fFail.incrementAndGet();
                    }
                } catch (Exception e) {
                    fFail.incrementAndGet();
                    fWhy.add(e.toString());
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        List<Hostile> list = hostileRequests(victim.sid);
        Map<String, Integer> classes = new LinkedHashMap<>();
        List<String> fivexx = new ArrayList<>(), noBody = new ArrayList<>(), hangs = new ArrayList<>(), resets = new ArrayList<>();
        for (Hostile h : list) {
            RawResp r = raw(h.request, 5000);
            String cls = r.status > 0 ? (r.status / 100) + "xx" : r.outcome;
            classes.merge(cls, 1, Integer::sum);
            log(String.format(Locale.ROOT, "  %-42s %s %5d ms  body %d B%s", h.name, r.status > 0 ? r.status : r.outcome,
                    r.millis, r.body.length, r.status >= 400 ? "  " + shorten(new String(r.body, StandardCharsets.UTF_8), 90) : ""));
            String created = r.header("mcp-session-id");
            if (created != null) {
                raw(("DELETE " + SHARED + " HTTP/1.1\r\nHost: " + HOST + ":" + port + "\r\nMcp-Session-Id: " + created
                        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII), 5000);
            }
            if (r.status >= 500) {
                fivexx.add(h.name + "→" + r.status);
            }
            if (r.status >= 400 && r.body.length == 0) {
                noBody.add(h.name + "→" + r.status);
            }
            if ("hang".equals(r.outcome)) {
                hangs.add(h.name);
            } else if (r.status <= 0) {
                resets.add(h.name + "→" + r.outcome);
            }
        }
        Thread.sleep(200);
        running.set(false);
        loop.get(20, TimeUnit.SECONDS);
        victim.delete();
        functional.delete();
        String result = String.format(Locale.ROOT, "%s; 5xx %d%s; ≥400 without body %d%s; no answer %d%s; hangs %d%s; functional "
                        + "client %d ok, %d failed%s", classes, fivexx.size(), list(fivexx), noBody.size(), list(noBody),
                resets.size(), list(resets), hangs.size(), list(hangs), fOk.get(), fFail.get(),
                fWhy.isEmpty() ? "" : " (" + shorten(fWhy.get(0), 80) + ")");
        return new Row("5 hostile inputs (raw sockets)", list.size() + " requests, echo loop beside",
                result, "0 5xx, 0 hangs (> 5 s), 0 functional failures",
                fivexx.isEmpty() && hangs.isEmpty() && fFail.get() == 0 && fOk.get() > 0);
    }

    static String list(List<String> l) {
        return l.isEmpty() ? "" : " " + l;
    }

    static List<Hostile> hostileRequests(String sid) {
        List<Hostile> l = new ArrayList<>();
        String ping = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}";
        String init = initBody(PV);
        String[] S = {"Mcp-Session-Id", sid, "MCP-Protocol-Version", PV};
        String J = "application/json";
        String A = "application/json, text/event-stream";
        l.add(h("Accept ';'", "POST", SHARED, ping, "Accept", ";", "Content-Type", J, S[0], S[1], S[2], S[3]));
        l.add(h("Accept empty", "POST", SHARED, ping, "Accept", "", "Content-Type", J, S[0], S[1], S[2], S[3]));
        l.add(h("Accept text/html", "POST", SHARED, init, "Accept", "text/html", "Content-Type", J));
        l.add(h("Accept q=garbage", "POST", SHARED, init, "Accept", "application/json;q=x, text/event-stream;q=", "Content-Type", J));
        l.add(h("Accept only JSON", "POST", SHARED, init, "Accept", J, "Content-Type", J));
        l.add(h("Content-Type text/plain", "POST", SHARED, ping, "Accept", A, "Content-Type", "text/plain", S[0], S[1], S[2], S[3]));
        l.add(h("Content-Type charset=\"", "POST", SHARED, ping, "Accept", A, "Content-Type", "application/json; charset=\"", S[0], S[1], S[2], S[3]));
        l.add(h("Content-Type charset=bogus", "POST", SHARED, ping, "Accept", A, "Content-Type", "application/json; charset=x-bogus-42", S[0], S[1], S[2], S[3]));
        l.add(h("no Content-Type", "POST", SHARED, ping, "Accept", A, S[0], S[1], S[2], S[3]));
        l.add(h("garbage JSON", "POST", SHARED, "{\"jsonrpc\":\"2.0\",\"id\":", "Accept", A, "Content-Type", J, S[0], S[1], S[2], S[3]));
        l.add(h("body []", "POST", SHARED, "[]", "Accept", A, "Content-Type", J, S[0], S[1], S[2], S[3]));
        l.add(h("body null", "POST", SHARED, "null", "Accept", A, "Content-Type", J, S[0], S[1], S[2], S[3]));
        l.add(h("body \"string\"", "POST", SHARED, "\"x\"", "Accept", A, "Content-Type", J, S[0], S[1], S[2], S[3]));
        l.add(h("body {}", "POST", SHARED, "{}", "Accept", A, "Content-Type", J, S[0], S[1], S[2], S[3]));
        l.add(h("empty body", "POST", SHARED, "", "Accept", A, "Content-Type", J, S[0], S[1], S[2], S[3]));
        l.add(h("id is an object", "POST", SHARED, "{\"jsonrpc\":\"2.0\",\"id\":{\"a\":1},\"method\":\"ping\"}", "Accept", A, "Content-Type", J, S[0], S[1], S[2], S[3]));
        l.add(h("id 1e400", "POST", SHARED, "{\"jsonrpc\":\"2.0\",\"id\":1e400,\"method\":\"ping\"}", "Accept", A, "Content-Type", J, S[0], S[1], S[2], S[3]));
        l.add(h("nesting depth 20000", "POST", SHARED, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":{\"a\":"
                + "[".repeat(20000) + "]".repeat(20000) + "}}", "Accept", A, "Content-Type", J, S[0], S[1], S[2], S[3]));
        StringBuilder batch = new StringBuilder("[");
        for (int i = 0; i < 200; i++) {
            batch.append(i == 0 ? "" : ",").append("{\"jsonrpc\":\"2.0\",\"id\":").append(i).append(",\"method\":\"ping\"}");
        }
        batch.append(']');
        l.add(h("batch of 200 pings (session)", "POST", SHARED, batch.toString(), "Accept", A, "Content-Type", J, S[0], S[1], S[2], S[3]));
        l.add(h("batch of 200 pings (2025-03-26)", "POST", SHARED, batch.toString(), "Accept", A, "Content-Type", J, "MCP-Protocol-Version", "2025-03-26"));
        l.add(h("unknown session", "POST", SHARED, ping, "Accept", A, "Content-Type", J, "Mcp-Session-Id", "no-such-session", S[2], S[3]));
        l.add(h("duplicate Mcp-Session-Id", "POST", SHARED, ping, "Accept", A, "Content-Type", J, S[0], S[1], S[0], S[1], S[2], S[3]));
        l.add(h("Mcp-Session-Id 6 KiB", "POST", SHARED, ping, "Accept", A, "Content-Type", J, S[0], "x".repeat(6144), S[2], S[3]));
        l.add(h("Mcp-Session-Id control chars", "POST", SHARED, ping, "Accept", A, "Content-Type", J, S[0], "a\u0001b\u007f", S[2], S[3]));
        l.add(h("wrong MCP-Protocol-Version", "POST", SHARED, ping, "Accept", A, "Content-Type", J, S[0], S[1], S[2], "1999-01-01"));
        l.add(h("other known MCP-Protocol-Version", "POST", SHARED, ping, "Accept", A, "Content-Type", J, S[0], S[1], S[2], "2025-03-26"));
        l.add(h("initialize, bogus protocolVersion", "POST", SHARED, initBody("bogus"), "Accept", A, "Content-Type", J));
        l.add(h("initialize without params", "POST", SHARED, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\"}", "Accept", A, "Content-Type", J));
        l.add(h("request without session", "POST", SHARED, call(1, "echo", "{\"message\":\"x\"}"), "Accept", A, "Content-Type", J));
        l.add(h("unknown tool", "POST", SHARED, call(1, "no_such_tool", "{}"), "Accept", A, "Content-Type", J, S[0], S[1], S[2], S[3]));
        l.add(rawH("3 MiB body, unknown session", ("POST " + SHARED + " HTTP/1.1\r\nHost: " + HOST + ":" + port + "\r\nAccept: " + A
                + "\r\nContent-Type: " + J + "\r\nMcp-Session-Id: unknown\r\nConnection: close\r\nContent-Length: " + (3 << 20) + "\r\n\r\n"),
                bigBody(3 << 20)));
        l.add(rawH("5 MiB body (> maxBodyBytes)", ("POST " + SHARED + " HTTP/1.1\r\nHost: " + HOST + ":" + port + "\r\nAccept: " + A
                + "\r\nContent-Type: " + J + "\r\nMcp-Session-Id: " + sid + "\r\nMCP-Protocol-Version: " + PV
                + "\r\nConnection: close\r\nContent-Length: " + (5 << 20) + "\r\n\r\n"), bigBody(5 << 20)));
        l.add(h("GET bad Last-Event-ID", "GET", SHARED, null, "Accept", "text/event-stream", S[0], S[1], S[2], S[3], "Last-Event-ID", "garbage\u00ff"));
        l.add(h("GET Last-Event-ID of nothing", "GET", SHARED, null, "Accept", "text/event-stream", S[0], S[1], S[2], S[3], "Last-Event-ID", "999999-999999"));
        l.add(h("GET without event-stream Accept", "GET", SHARED, null, "Accept", J, S[0], S[1], S[2], S[3]));
        l.add(h("GET without session", "GET", SHARED, null, "Accept", "text/event-stream"));
        l.add(h("Origin http://evil.example", "POST", SHARED, init, "Accept", A, "Content-Type", J, "Origin", "http://evil.example"));
        l.add(h("Origin null", "POST", SHARED, init, "Accept", A, "Content-Type", J, "Origin", "null"));
        l.add(hHost("Host evil.example", "evil.example", "POST", SHARED, init, "Accept", A, "Content-Type", J));
        l.add(h("PUT", "PUT", SHARED, ping, "Accept", A, "Content-Type", J));
        l.add(h("method FOO", "FOO", SHARED, null, "Accept", A));
        l.add(h("DELETE unknown session", "DELETE", SHARED, null, "Mcp-Session-Id", "no-such-session", S[2], S[3]));
        l.add(h("DELETE without session", "DELETE", SHARED, null));
        l.add(h("unknown upstream", "POST", "/mcp/nope", init, "Accept", A, "Content-Type", J));
        l.add(h("path traversal", "POST", "/mcp/../api/sessions", init, "Accept", A, "Content-Type", J));
        l.add(h("encoded NUL in path", "POST", "/mcp/shared%00", init, "Accept", A, "Content-Type", J));
        l.add(h("header value 20 KiB", "POST", SHARED, ping, "Accept", A, "Content-Type", J, S[0], S[1], S[2], S[3], "X-Big", "y".repeat(20480)));
        l.add(rawH("Content-Length abc", "POST " + SHARED + " HTTP/1.1\r\nHost: " + HOST + ":" + port
                + "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: abc\r\n\r\n", new byte[0]));
        l.add(rawH("bad chunk size", "POST " + SHARED + " HTTP/1.1\r\nHost: " + HOST + ":" + port + "\r\nAccept: " + A
                + "\r\nContent-Type: application/json\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", new byte[0]));
        l.add(rawH("invalid UTF-8 body", "POST " + SHARED + " HTTP/1.1\r\nHost: " + HOST + ":" + port + "\r\nAccept: " + A
                + "\r\nContent-Type: application/json\r\nMcp-Session-Id: " + sid + "\r\nMCP-Protocol-Version: " + PV
                + "\r\nConnection: close\r\nContent-Length: 34\r\n\r\n", ("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + "\u00ff\u00fe\"}")
                .getBytes(StandardCharsets.ISO_8859_1)));
        l.add(rawH("request line garbage", "\u0016\u0003\u0001 not http at all\r\n\r\n", new byte[0]));
        l.add(h("2026-07-28 without Mcp-Method", "POST", SHARED, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server/discover\",\"params\":{}}",
                "Accept", A, "Content-Type", J, "MCP-Protocol-Version", "2026-07-28"));
        l.add(h("legacy /messages unknown sessionId", "POST", "/messages?sessionId=nope", ping, "Content-Type", J));
        l.add(h("/metrics from evil Origin", "GET", "/metrics", null, "Origin", "http://evil.example"));
        return l;
    }

    static byte[] bigBody(int n) {
        byte[] b = new byte[n];
        byte[] head = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":{\"pad\":\"".getBytes(StandardCharsets.US_ASCII);
        java.util.Arrays.fill(b, (byte) 'x');
        System.arraycopy(head, 0, b, 0, head.length);
        b[n - 3] = '"';
        b[n - 2] = '}';
        b[n - 1] = '}';
        return b;
    }

    static Hostile h(String name, String method, String path, String body, String... headers) {
        return hHost(name, HOST + ":" + port, method, path, body, headers);
    }

    static Hostile hHost(String name, String host, String method, String path, String body, String... headers) {
        StringBuilder s = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\n");
        for (int i = 0; i + 1 < headers.length; i += 2) {
            s.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
        }
        byte[] b = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        if (body != null) {
            s.append("Content-Length: ").append(b.length).append("\r\n");
        }
        s.append("Connection: close\r\n\r\n");
        return rawH(name, s.toString(), b);
    }

    static Hostile rawH(String name, String head, byte[] body) {
        byte[] h = head.getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = new byte[h.length + body.length];
        System.arraycopy(h, 0, all, 0, h.length);
        System.arraycopy(body, 0, all, h.length, body.length);
        return new Hostile(name, all);
    }

    // ------------------------------------------------------------------------------------------------ scenario 6

    static Row slowloris(int wanted, int seconds) throws Exception {
        // every connection is a descriptor here too: stay below this process's limit (ulimit -n)
        long limit = maxOpenFiles();
        int s = (int) Math.min(wanted, Math.max(100, limit - 300));
        String capped = s < wanted ? " (asked " + wanted + ", capped by ulimit -n " + limit + ")" : "";
        InetSocketAddress addr = new InetSocketAddress(HOST, port);
        byte[] partial = ("POST " + SHARED + " HTTP/1.1\r\nHost: " + HOST + ":" + port + "\r\nX-Slow: ").getBytes(StandardCharsets.US_ASCII);
        Selector selector = Selector.open();
        List<SocketChannel> all = new ArrayList<>();
        Set<SocketChannel> connected = new HashSet<>();
        int notOpened = 0, closedByServer = 0, connectFailed = 0, peakConnected = 0;
        String openError = null;
        AtomicBoolean running = new AtomicBoolean(true);
        List<long[]> attempts = Collections.synchronizedList(new ArrayList<>()); // {startOffsetMs, ms, ok}
        List<String> whyFailed = Collections.synchronizedList(new ArrayList<>());
        long start = System.nanoTime();
        long end = start + seconds * 1_000_000_000L;
        Future<?> wellBehaved = aux.submit(() -> {
            int i = 0;
            while (running.get()) {
                long t0 = System.nanoTime();
                boolean ok = false;
                try {
                    ok = rawSessionEcho("w" + i++, 5000);
                } catch (Exception e) {
                    if (whyFailed.size() < 50) {
                        whyFailed.add("at " + (t0 - start) / 1_000_000 + " ms: " + e.getMessage());
                    }
                }
                long ms = (System.nanoTime() - t0) / 1_000_000;
                attempts.add(new long[]{(t0 - start) / 1_000_000, ms, ok ? 1 : 0});
                long pause = 500 - ms;
                if (pause > 0) {
                    try {
                        Thread.sleep(pause);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        });
        List<String> serverSaid = new ArrayList<>();
        Map<Long, Integer> closeTimes = new java.util.TreeMap<>(); // second → connections the server closed
        ByteBuffer one = ByteBuffer.wrap(new byte[]{'x'});
        ByteBuffer sink = ByteBuffer.allocate(4096);
        long nextTrickle = System.nanoTime() + 1_000_000_000L;
        int opened = 0;
        try {
            while (System.nanoTime() < end) {
                // ramp: open up to 1,000 connections per 100 ms
                for (int k = 0; k < 1000 && opened < s; k++, opened++) {
                    try {
                        SocketChannel ch = SocketChannel.open();
                        ch.configureBlocking(false);
                        all.add(ch);
                        if (ch.connect(addr)) {
                            ch.write(ByteBuffer.wrap(partial));
                            connected.add(ch);
                            ch.register(selector, SelectionKey.OP_READ);
                        } else {
                            ch.register(selector, SelectionKey.OP_CONNECT);
                        }
                    } catch (IOException e) {
                        notOpened += s - opened;
                        openError = e.toString();
                        opened = s;
                        break;
                    }
                }
                selector.select(100);
                for (Iterator<SelectionKey> it = selector.selectedKeys().iterator(); it.hasNext(); ) {
                    SelectionKey key = it.next();
                    it.remove();
                    SocketChannel ch = (SocketChannel) key.channel();
                    try {
                        if (key.isValid() && key.isConnectable()) {
                            ch.finishConnect();
                            ch.write(ByteBuffer.wrap(partial));
                            connected.add(ch);
                            key.interestOps(SelectionKey.OP_READ);
                        } else if (key.isValid() && key.isReadable()) {
                            sink.clear();
                            int got = ch.read(sink);
                            if (got > 0 && serverSaid.size() < 3) {
                                serverSaid.add(shorten(new String(sink.array(), 0, got, StandardCharsets.ISO_8859_1), 60));
                            }
                            if (got < 0) {
                                throw new IOException("closed by server");
                            }
                        }
                    } catch (IOException e) {
                        if (connected.remove(ch)) {
                            closedByServer++;
                            closeTimes.merge((System.nanoTime() - start) / 1_000_000_000L, 1, Integer::sum);
                        } else {
                            connectFailed++;
                        }
                        key.cancel();
                        ch.close();
                    }
                }
                peakConnected = Math.max(peakConnected, connected.size());
                if (System.nanoTime() >= nextTrickle) {
                    nextTrickle += 1_000_000_000L;
                    for (Iterator<SocketChannel> it = connected.iterator(); it.hasNext(); ) {
                        SocketChannel ch = it.next();
                        try {
                            one.rewind();
                            ch.write(one);
                        } catch (IOException e) {
                            it.remove();
                            closedByServer++;
                            closeTimes.merge((System.nanoTime() - start) / 1_000_000_000L, 1, Integer::sum);
                            ch.close();
                        }
                    }
                }
            }
        } finally {
            running.set(false);
            int stillConnected = connected.size();
            for (SocketChannel ch : all) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
            selector.close();
            log(String.format(Locale.ROOT, "slowloris: opened %d, peak connected %d, still connected at the end %d, closed by server %d, "
                    + "connect failed %d, not opened %d %s", opened - notOpened, peakConnected, stillConnected, closedByServer,
                    connectFailed, notOpened, openError == null ? "" : openError));
            log("closed by the server, by second: " + closeTimes + (serverSaid.isEmpty() ? "" : "; it sent e.g. " + serverSaid));
        }
        wellBehaved.get(30, TimeUnit.SECONDS);
        int ok = 0;
        long worst = 0;
        int windows = (seconds + 4) / 5;
        boolean[] hit = new boolean[windows];
        for (long[] t : attempts) {
            worst = Math.max(worst, t[1]);
            if (t[2] == 1) {
                ok++;
                int w = (int) ((t[0] + t[1]) / 5000);
                if (w < windows) {
                    hit[w] = true;
                }
            }
        }
        int covered = 0;
        for (boolean b : hit) {
            covered += b ? 1 : 0;
        }
        int n = attempts.size();
        if (!whyFailed.isEmpty()) {
            log("well-behaved client failures: " + whyFailed);
        }
        StringBuilder ws = new StringBuilder();
        for (boolean b : hit) {
            ws.append(b ? '+' : '-');
        }
        log("5 s windows with a success: " + ws);
        StringBuilder tl = new StringBuilder();
        for (long[] t : attempts) {
            tl.append(' ').append(t[0]).append('+').append(t[1]).append(t[2] == 1 ? "" : "!");
        }
        log("well-behaved attempts (start+ms, ! failed):" + tl);
        boolean pass = n > 0 && ok * 100L >= 80L * n && covered == windows;
        String result = String.format(Locale.ROOT, "%d trickling (peak %d connected, %d closed by the server%s); well-behaved "
                        + "client %d/%d ok, %d failed, worst %d ms, 5 s windows with a success %d/%d%s", opened - notOpened,
                peakConnected, closedByServer, notOpened > 0 ? ", " + notOpened + " not opened: " + openError : "", ok, n, n - ok,
                worst, covered, windows, whyFailed.isEmpty() ? "" : " (" + shorten(whyFailed.get(0), 80) + ")");
        return new Row("6 slowloris (connection limit 1000)", String.format(Locale.ROOT, "%,d connections%s, %d s", s, capped, seconds),
                result, "well-behaved ≥ 80 % ok and ≥ 1 success per 5 s", pass);
    }

    static long maxOpenFiles() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (l.startsWith("Max open files")) {
                    return Long.parseLong(l.substring(26).trim().split("\\s+")[0]);
                }
            }
        } catch (Exception e) {
            // assume the common default
        }
        return 1024;
    }

    /**
     * initialize + initialized + echo + DELETE on one new kept-alive connection (a new connection per attempt, so each
     * attempt goes through the accept queue the tricklers fill); true if the echo came back.
     */
    static boolean rawSessionEcho(String m, int timeoutMs) throws IOException {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        String base = "POST " + SHARED + " HTTP/1.1\r\nHost: " + HOST + ":" + port
                + "\r\nAccept: application/json, text/event-stream\r\nContent-Type: application/json\r\n";
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getByName(HOST), port), left(deadline));
            RawResp init = exchange(s, with(base, initBody(PV)), deadline, false);
            String sid = init.header("mcp-session-id");
            if (init.status != 200 || sid == null) {
                throw new IOException("initialize: " + (init.status > 0 ? init.status : init.outcome) + " after " + init.millis + " ms");
            }
            String sess = base + "Mcp-Session-Id: " + sid + "\r\nMCP-Protocol-Version: " + PV + "\r\n";
            RawResp n = exchange(s, with(sess, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}"), deadline, false);
            if (n.status != 202) {
                throw new IOException("initialized: " + (n.status > 0 ? n.status : n.outcome));
            }
            RawResp e = exchange(s, with(sess, call(2, "echo", "{\"message\":\"" + m + "\"}")), deadline, false);
            boolean ok = e.status == 200 && ("Echo: " + m).equals(toolText(messageOf(e.contentType(), new String(e.body, StandardCharsets.UTF_8))));
            exchange(s, ("DELETE " + SHARED + " HTTP/1.1\r\nHost: " + HOST + ":" + port + "\r\nMcp-Session-Id: " + sid
                    + "\r\nMCP-Protocol-Version: " + PV + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII),
                    Math.max(deadline, System.nanoTime() + 1_000_000_000L), false);
            if (!ok) {
                throw new IOException("echo: " + (e.status > 0 ? e.status : e.outcome));
            }
            return true;
        } catch (SocketTimeoutException e) {
            throw new IOException("connect: timed out");
        }
    }

    static int left(long deadline) throws IOException {
        long ms = (deadline - System.nanoTime()) / 1_000_000;
        if (ms <= 0) {
            throw new IOException("timed out");
        }
        return (int) ms;
    }

    static byte[] with(String head, String body) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        return rawH("", head + "Content-Length: " + b.length + "\r\n\r\n", b).request;
    }

    // ------------------------------------------------------------------------------------------------ scenario 7

    static Row sigterm() throws Exception {
        ProcessHandle jvm = ProcessHandle.of(pid).orElseThrow();
        List<Mcp> sessions = Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> opens = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            opens.add(pool.submit(() -> {
                sessions.add(new Mcp(DEMO).open());
                return null;
            }));
        }
        for (Future<?> f : opens) {
            f.get();
        }
        pool.shutdown();
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            Mcp s = sessions.get(i % 10);
            long ms = i % 2 == 0 ? 1500 : 60_000; // half finish within the 3 s drain, half are still running at its end
            calls.add(http.sendAsync(s.request(Duration.ofSeconds(40)).POST(HttpRequest.BodyPublishers.ofString(
                    call(100 + i, "sleep", "{\"ms\":" + ms + "}"))).build(), HttpResponse.BodyHandlers.ofString()));
        }
        long wait = System.nanoTime() + 20_000_000_000L;
        double inFlight;
        while ((inFlight = metric("shadowcat_requests_in_flight")) < 100) {
            if (System.nanoTime() > wait) {
                throw new IllegalStateException("only " + inFlight + " calls in flight after 20 s");
            }
            Thread.sleep(20);
        }
        List<ProcessHandle> children = jvm.descendants().toList();
        long t0 = System.nanoTime();
        jvm.destroy(); // SIGTERM
        CompletableFuture<ProcessHandle> exit = jvm.onExit();
        int answered = 0, errored = 0;
        List<String> failed = new ArrayList<>();
        List<Long> answerMs = new ArrayList<>();
        for (CompletableFuture<HttpResponse<String>> c : calls) {
            HttpResponse<String> r;
            try {
                r = c.get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                failed.add("no answer: " + e.getCause());
                continue;
            }
            answerMs.add((System.nanoTime() - t0) / 1_000_000);
            Map<String, Object> m = messageOf(r.headers().firstValue("Content-Type").orElse(""), r.body());
            if (m == null) {
                failed.add(r.statusCode() + " with body '" + shorten(r.body(), 60) + "'");
            } else if (m.containsKey("result")) {
                answered++;
            } else if (m.get("error") instanceof Map<?, ?> e && e.get("code") instanceof Number code && code.intValue() == -32002
                    && String.valueOf(e.get("message")).contains("shutting down")) {
                errored++;
            } else {
                failed.add(shorten(r.body(), 100));
            }
        }
        long exitMs;
        try {
            exit.get(30, TimeUnit.SECONDS);
            exitMs = (System.nanoTime() - t0) / 1_000_000;
        } catch (Exception e) {
            exitMs = -1;
        }
        Thread.sleep(500);
        List<ProcessHandle> orphans = children.stream().filter(ProcessHandle::isAlive).toList();
        for (ProcessHandle o : orphans) {
            log("orphan child " + o.pid() + " " + o.info().commandLine().orElse("?") + ": killing it");
            o.destroyForcibly();
        }
        String result = String.format(Locale.ROOT, "%d answered, %d JSON-RPC -32002 \"shutting down\", %d failed%s; %d children before, "
                        + "%d orphans; exit %s after SIGTERM", answered, errored, failed.size(),
                failed.isEmpty() ? "" : " (" + shorten(failed.get(0), 80) + ")", children.size(), orphans.size(),
                exitMs < 0 ? "NOT within 30 s" : exitMs + " ms");
        return new Row("7 SIGTERM (`/mcp/demo`)", "10 sessions × 10 sleep calls (1.5 s / 60 s), drain 3 s", result,
                "100 answered or errored, 0 failed, 0 orphans", answered + errored == 100 && failed.isEmpty() && orphans.isEmpty()
                && exitMs >= 0);
    }

    // ------------------------------------------------------------------------------------------------ MCP client

    static String initBody(String version) {
        return "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"" + version
                + "\",\"capabilities\":{},\"clientInfo\":{\"name\":\"reliability\",\"version\":\"1\"}}}";
    }

    static String call(int id, String tool, String args) {
        return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool
                + "\",\"arguments\":" + args + "}}";
    }

    record Resp(int status, String contentType, String body, Map<String, Object> msg) {
    }

    static final class Mcp {
        final URI uri;
        String sid;

        Mcp(String path) {
            uri = URI.create("http://" + HOST + ":" + port + path);
        }

        HttpRequest.Builder request(Duration timeout) {
            HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(timeout).header("Content-Type", "application/json")
                    .header("Accept", "application/json, text/event-stream");
            if (sid != null) {
                b.header("Mcp-Session-Id", sid).header("MCP-Protocol-Version", PV);
            }
            return b;
        }

        Resp post(String body, Duration timeout) {
            try {
                HttpResponse<String> r = http.send(request(timeout).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                        HttpResponse.BodyHandlers.ofString());
                String ct = r.headers().firstValue("Content-Type").orElse("");
                return new Resp(r.statusCode(), ct, r.body(), messageOf(ct, r.body()));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        Mcp open() throws IOException {
            HttpResponse<String> r;
            try {
                r = http.send(request(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.ofString(initBody(PV))).build(),
                        HttpResponse.BodyHandlers.ofString());
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            Map<String, Object> m = messageOf(r.headers().firstValue("Content-Type").orElse(""), r.body());
            if (m != null && m.get("error") instanceof Map<?, ?> e) {
                throw new IOException("initialize: HTTP " + r.statusCode() + ", JSON-RPC " + (e.get("code") instanceof Number c ? c.longValue() : e.get("code")) + " " + e.get("message"));
            }
            if (r.statusCode() != 200 || r.headers().firstValue("Mcp-Session-Id").isEmpty()) {
                throw new IOException("initialize " + uri.getPath() + ": " + r.statusCode() + " " + shorten(r.body(), 160));
            }
            if (m == null || !m.containsKey("result")) {
                throw new IOException("initialize " + uri.getPath() + ": " + shorten(r.body(), 160));
            }
            sid = r.headers().firstValue("Mcp-Session-Id").get();
            Resp n = post("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", Duration.ofSeconds(20));
            if (n.status != 202) {
                throw new IOException("notifications/initialized: " + n.status + " " + shorten(n.body, 160));
            }
            return this;
        }

        String callText(int id, String tool, String args) throws IOException {
            Resp r = post(call(id, tool, args), Duration.ofSeconds(30));
            if (r.status != 200) {
                throw new IOException(tool + ": HTTP " + r.status + " " + shorten(r.body, 160));
            }
            String t = toolText(r.msg);
            if (t == null) {
                throw new IOException(tool + ": " + shorten(r.body, 160));
            }
            return t;
        }

        int delete() {
            try {
                return http.send(request(Duration.ofSeconds(20)).DELETE().build(), HttpResponse.BodyHandlers.discarding()).statusCode();
            } catch (Exception e) {
                return -1;
            }
        }
    }

    /** The JSON-RPC response in a JSON or SSE body (the last message with a result or an error), or null. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> messageOf(String contentType, String body) {
        if (body == null || body.isBlank()) {
            return null;
        }
        try {
            if (contentType.toLowerCase(Locale.ROOT).startsWith("text/event-stream")) {
                Map<String, Object> found = null;
                StringBuilder data = null;
                for (String line : (body + "\n\n").split("\r?\n", -1)) {
                    if (line.startsWith("data:")) {
                        String d = line.substring(5).startsWith(" ") ? line.substring(6) : line.substring(5);
                        data = data == null ? new StringBuilder(d) : data.append('\n').append(d);
                    } else if (line.isEmpty() && data != null) {
                        Object v = new Json(data.toString()).parse();
                        if (v instanceof Map<?, ?> m && (m.containsKey("result") || m.containsKey("error"))) {
                            found = (Map<String, Object>) m;
                        }
                        data = null;
                    }
                }
                return found;
            }
            Object v = new Json(body).parse();
            return v instanceof Map<?, ?> m ? (Map<String, Object>) m : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The first text content of a tools/call result, or null. */
    static String toolText(Map<String, Object> msg) {
        if (msg != null && msg.get("result") instanceof Map<?, ?> r && r.get("content") instanceof List<?> c && !c.isEmpty()
                && c.get(0) instanceof Map<?, ?> first && first.get("text") instanceof String t) {
            return t;
        }
        return null;
    }

    // ------------------------------------------------------------------------------------------------ raw HTTP

    record RawResp(int status, String head, byte[] body, long millis, String outcome) {
        String header(String name) {
            for (String line : head.split("\r\n")) {
                int c = line.indexOf(':');
                if (c > 0 && line.substring(0, c).trim().equalsIgnoreCase(name)) {
                    return line.substring(c + 1).trim();
                }
            }
            return null;
        }

        String contentType() {
            String ct = header("content-type");
            return ct == null ? "" : ct;
        }
    }

    /**
     * One request on a new connection (written by another thread, so a server that answers before reading the body is
     * seen); the response is read by Content-Length, chunks, to EOF, or up to its headers for an event stream.
     * outcome: "ok", "hang" (no complete answer within timeoutMs), or the error that ended it.
     */
    static RawResp raw(byte[] request, int timeoutMs) {
        long t0 = System.nanoTime();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getByName(HOST), port), timeoutMs);
            return exchange(s, request, t0 + timeoutMs * 1_000_000L, true);
        } catch (SocketTimeoutException e) {
            return new RawResp(-1, "", new byte[0], ms(t0), "hang");
        } catch (IOException e) {
            return new RawResp(-1, "", new byte[0], ms(t0), e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    /** One request and its response on a connected socket; an event stream is read to its end unless streamHeadOnly. */
    static RawResp exchange(Socket s, byte[] request, long deadline, boolean streamHeadOnly) {
        long t0 = System.nanoTime();
        int status = -1;
        String head = "";
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        try {
            Future<?> writer = aux.submit(() -> {
                try {
                    OutputStream out = s.getOutputStream();
                    for (int off = 0; off < request.length; off += 65536) {
                        out.write(request, off, Math.min(65536, request.length - off));
                    }
                    out.flush();
                } catch (IOException e) {
                    // the server answered and closed before taking the whole body: the answer is what counts
                }
            });
            InputStream in = s.getInputStream();
            String statusLine = readLine(in, s, deadline);
            if (statusLine == null) {
                return new RawResp(-1, "", new byte[0], ms(t0), "closed without a response");
            }
            String[] parts = statusLine.split(" ");
            status = parts.length > 1 ? Integer.parseInt(parts[1]) : -1;
            StringBuilder h = new StringBuilder(statusLine).append("\r\n");
            long length = -1;
            boolean chunked = false, sse = false;
            String line;
            while ((line = readLine(in, s, deadline)) != null && !line.isEmpty()) {
                h.append(line).append("\r\n");
                String l = line.toLowerCase(Locale.ROOT);
                if (l.startsWith("content-length:")) {
                    length = Long.parseLong(l.substring(15).trim());
                } else if (l.startsWith("transfer-encoding:") && l.contains("chunked")) {
                    chunked = true;
                } else if (l.startsWith("content-type:") && l.contains("text/event-stream")) {
                    sse = true;
                }
            }
            head = h.toString();
            if (sse && status == 200 && streamHeadOnly) {
                writer.cancel(true);
                return new RawResp(status, head, "(event stream)".getBytes(StandardCharsets.US_ASCII), ms(t0), "ok");
            }
            if (length >= 0) {
                copy(in, s, deadline, body, length);
            } else if (chunked) {
                while (true) {
                    String size = readLine(in, s, deadline);
                    if (size == null) {
                        break;
                    }
                    int semi = size.indexOf(';');
                    long n = Long.parseLong((semi >= 0 ? size.substring(0, semi) : size).trim(), 16);
                    if (n == 0) {
                        readLine(in, s, deadline);
                        break;
                    }
                    copy(in, s, deadline, body, n);
                    readLine(in, s, deadline);
                }
            } else if (status != 204 && status != 304 && status >= 200) {
                copy(in, s, deadline, body, Long.MAX_VALUE);
            }
            writer.get(Math.max(1, (deadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
            return new RawResp(status, head, body.toByteArray(), ms(t0), "ok");
        } catch (SocketTimeoutException | java.util.concurrent.TimeoutException e) {
            return new RawResp(status, head, body.toByteArray(), ms(t0), "hang");
        } catch (Exception e) {
            return new RawResp(status, head, body.toByteArray(), ms(t0), status > 0 ? "ok" : e.getClass().getSimpleName()
                    + ": " + e.getMessage());
        }
    }

    static long ms(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    static String readLine(InputStream in, Socket s, long deadline) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (true) {
            setTimeout(s, deadline);
            int c = in.read();
            if (c < 0) {
                return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
            }
            if (c == '\n') {
                String l = b.toString(StandardCharsets.ISO_8859_1);
                return l.endsWith("\r") ? l.substring(0, l.length() - 1) : l;
            }
            b.write(c);
        }
    }

    static void copy(InputStream in, Socket s, long deadline, ByteArrayOutputStream out, long n) throws IOException {
        byte[] buf = new byte[8192];
        while (n > 0) {
            setTimeout(s, deadline);
            int k = in.read(buf, 0, (int) Math.min(buf.length, n));
            if (k < 0) {
                return;
            }
            out.write(buf, 0, k);
            n -= k;
        }
    }

    static void setTimeout(Socket s, long deadline) throws IOException {
        long ms = (deadline - System.nanoTime()) / 1_000_000;
        if (ms <= 0) {
            throw new SocketTimeoutException("deadline");
        }
        s.setSoTimeout((int) ms);
    }

    // ------------------------------------------------------------------------------------------------ figures

    /** threads: all of the JVM's (/proc); idle: those waiting for work in Jetty's thread pool (jcmd Thread.print). */
    record Figures(int threads, int idle, int fds, long children, long heapKiB) {
        int others() {
            return threads - idle;
        }

        @Override
        public String toString() {
            return "threads " + threads + " (" + idle + " idle in Jetty's pool), fds " + fds + ", children " + children
                    + ", heap " + mib(heapKiB);
        }
    }

    static Figures figures(boolean heap) throws Exception {
        int threads = -1;
        for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (l.startsWith("Threads:")) {
                threads = Integer.parseInt(l.substring(8).trim());
            }
        }
        int fds;
        try (var s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            fds = (int) s.count();
        }
        long children = ProcessHandle.of(pid).map(p -> p.descendants().count()).orElse(-1L);
        int idle = 0;
        for (String t : jcmd("Thread.print").split("\n\n")) {
            if (t.contains("QueuedThreadPool$Runner.idleJobPoll") || t.contains("ReservedThreadExecutor$ReservedThread.reservedWait")) {
                idle++;
            }
        }
        return new Figures(threads, idle, fds, children, heap ? heapKiB() : -1);
    }

    /** Heap in use after a full GC (jcmd GC.run, then GC.heap_info; the "used" of every heap line, not Metaspace). */
    static long heapKiB() throws Exception {
        jcmd("GC.run");
        String info = jcmd("GC.heap_info");
        long used = 0;
        Matcher m = Pattern.compile("(?m)^(.*?)used (\\d+)K").matcher(info);
        while (m.find()) {
            String what = m.group(1).toLowerCase(Locale.ROOT);
            if (!what.contains("metaspace") && !what.contains("class space") && !what.contains("from") && !what.contains("to ")
                    && !what.contains("eden")) {
                used += Long.parseLong(m.group(2));
            }
        }
        return used;
    }

    static String jcmd(String command) throws Exception {
        Process p = new ProcessBuilder("jcmd", Long.toString(pid), command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("jcmd " + command + ": " + out);
        }
        return out;
    }

    static String mib(long kib) {
        return String.format(Locale.ROOT, "%.1f MiB", kib / 1024.0);
    }

    static double metric(String name) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + HOST + ":" + port + "/metrics"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("/metrics: " + r.statusCode());
        }
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*})? ([-+0-9.eE]+|NaN)$").matcher(r.body());
        double sum = 0;
        boolean found = false;
        while (m.find()) {
            found = true;
            sum += Double.parseDouble(m.group(2));
        }
        if (!found) {
            throw new IllegalStateException(name + " not in /metrics");
        }
        return sum;
    }

    /** Polls a metric until it equals want or seconds pass; returns the last value. */
    static double waitMetric(String name, double want, int seconds) throws Exception {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        double v;
        while ((v = metric(name)) != want && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        return v;
    }

    static long pct(List<Long> sorted, double q) {
        if (sorted.isEmpty()) {
            return -1;
        }
        int i = (int) Math.ceil(q * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    static String shorten(String s, int n) {
        if (s == null) {
            return "null";
        }
        s = s.replace('\n', ' ').replace('\r', ' ');
        return s.length() <= n ? s : s.substring(0, n) + "…";
    }

    // ------------------------------------------------------------------------------------------------ JSON

    /** A small JSON parser: objects → LinkedHashMap, arrays → ArrayList, numbers → Double, strings, booleans, null. */
    static final class Json {
        private final String s;
        private int i;

        Json(String s) {
            this.s = s;
        }

        Object parse() {
            Object v = value();
            ws();
            if (i != s.length()) {
                throw new IllegalArgumentException("trailing characters at " + i);
            }
            return v;
        }

        private void ws() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private Object value() {
            ws();
            if (i >= s.length()) {
                throw new IllegalArgumentException("unexpected end");
            }
            char c = s.charAt(i);
            switch (c) {
                case '{': {
                    i++;
                    Map<String, Object> m = new LinkedHashMap<>();
                    ws();
                    if (peek('}')) {
                        return m;
                    }
                    do {
                        ws();
                        String k = string();
                        ws();
                        expect(':');
                        m.put(k, value());
                        ws();
                    } while (peek(','));
                    expect('}');
                    return m;
                }
                case '[': {
                    i++;
                    List<Object> l = new ArrayList<>();
                    ws();
                    if (peek(']')) {
                        return l;
                    }
                    do {
                        l.add(value());
                        ws();
                    } while (peek(','));
                    expect(']');
                    return l;
                }
                case '"':
                    return string();
                case 't':
                    return word("true", Boolean.TRUE);
                case 'f':
                    return word("false", Boolean.FALSE);
                case 'n':
                    return word("null", null);
                default: {
                    int st = i;
                    while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
                        i++;
                    }
                    if (st == i) {
                        throw new IllegalArgumentException("unexpected " + c + " at " + i);
                    }
                    return Double.parseDouble(s.substring(st, i));
                }
            }
        }

        private Object word(String w, Object v) {
            if (!s.startsWith(w, i)) {
                throw new IllegalArgumentException("bad literal at " + i);
            }
            i += w.length();
            return v;
        }

        private boolean peek(char c) {
            if (i < s.length() && s.charAt(i) == c) {
                i++;
                return true;
            }
            return false;
        }

        private void expect(char c) {
            if (!peek(c)) {
                throw new IllegalArgumentException("expected " + c + " at " + i);
            }
        }

        private String string() {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (true) {
                if (i >= s.length()) {
                    throw new IllegalArgumentException("unterminated string");
                }
                char c = s.charAt(i++);
                if (c == '"') {
                    return b.toString();
                }
                if (c == '\\') {
                    char e = s.charAt(i++);
                    switch (e) {
                        case 'n' -> b.append('\n');
                        case 't' -> b.append('\t');
                        case 'r' -> b.append('\r');
                        case 'b' -> b.append('\b');
                        case 'f' -> b.append('\f');
                        case 'u' -> {
                            b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                            i += 4;
                        }
                        default -> b.append(e);
                    }
                } else {
                    b.append(c);
                }
            }
        }
    }
}
