import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Load generator for any MCP Streamable HTTP endpoint (Shadowcat, server-everything, supergateway --stateful).
 * Single file, JDK only (Java 17):
 *
 * <pre>
 *   java bench/LoadTool.java --url http://127.0.0.1:8080/mcp/demo [--mode calls|sse|churn|sessions]
 *        [--concurrency 8] [--calls 200] [--warmup 50] [--duration-cap-seconds 60] [--timeout-seconds 30]
 *        [--tool echo] [--args-json '{"message":"hello"}'] [--gateway-pid PID] [--label NAME]
 *        [--json-out FILE] [--protocol-version 2025-11-25] [--bearer-env VAR] [--url-b URL]
 * </pre>
 *
 * Modes (C = --concurrency, N = --calls, W = --warmup, all per worker):
 * <ul>
 * <li>{@code calls}: C sessions at once; each does initialize + notifications/initialized, W unmeasured calls,
 * then (after every worker is ready) N tools/call sequentially, then DELETE.</li>
 * <li>{@code sse}: as calls, but every call carries a progressToken so a tool that reports progress before
 * its result answers with an event stream (default tool {@code progress {"steps":1,"delayMs":0}}, the
 * demo server's).</li>
 * <li>{@code churn}: C workers each loop N times initialize → initialized → one call → DELETE (after W
 * unmeasured loops).</li>
 * <li>{@code sessions}: C workers each warm their connection (up to 10 pings without a session, whose answers
 * are ignored), then open N sessions one after another and keep them; initialize latency is
 * measured; with --gateway-pid, the heap is measured after a forced GC (jcmd GC.run) before and after, giving
 * bytes per idle session; then every session is deleted.</li>
 * </ul>
 * With {@code --url-b} (calls mode), every worker opens a session on both URLs and alternates its calls between
 * them (A then B, or B then A, by turns), so that two targets are measured under the same load at the same time;
 * {@code b} in the output has B's latencies, {@code pairedDeltaP50Us} the median of (B − A) over the pairs both
 * answered, and calls/s counts A's calls (B gets as many).
 * A call is an error when the HTTP status is not 2xx, when no JSON-RPC response with its id arrives, when the
 * response is a JSON-RPC error, or when the tool result has {@code isError: true}.
 * Prints one JSON line (starts with '{') and a human table on stdout.
 */
public final class LoadTool {

    // ------------------------------------------------------------------ options

    static final class Options {
        URI url;
        /** A second target whose calls alternate with the first's ({@code --url-b}, calls mode only). */
        URI urlB;
        String mode = "calls";
        int concurrency = 1;
        int calls = 100;
        int warmup = 20;
        int durationCapSeconds = 60;
        int timeoutSeconds = 30;
        String tool;
        String argsJson;
        long gatewayPid = -1;
        String label = "";
        Path jsonOut;
        String protocolVersion = "2025-11-25";
        /** Authorization: Bearer, from the environment variable --bearer-env names (never on the command line). */
        String bearer;
    }

    static Options parse(String[] args) {
        Options o = new Options();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                v = a.substring(eq + 1);
                a = a.substring(0, eq);
            } else if (a.startsWith("--") && !a.equals("--help") && i + 1 < args.length) {
                v = args[++i];
            }
            switch (a) {
                case "--url" -> o.url = URI.create(v);
                case "--url-b" -> o.urlB = URI.create(v);
                case "--mode" -> o.mode = v;
                case "--concurrency" -> o.concurrency = Integer.parseInt(v);
                case "--calls" -> o.calls = Integer.parseInt(v);
                case "--warmup" -> o.warmup = Integer.parseInt(v);
                case "--duration-cap-seconds" -> o.durationCapSeconds = Integer.parseInt(v);
                case "--timeout-seconds" -> o.timeoutSeconds = Integer.parseInt(v);
                case "--tool" -> o.tool = v;
                case "--args-json" -> o.argsJson = v;
                case "--gateway-pid" -> o.gatewayPid = Long.parseLong(v);
                case "--label" -> o.label = v;
                case "--json-out" -> o.jsonOut = Path.of(v);
                case "--protocol-version" -> o.protocolVersion = v;
                case "--bearer-env" -> {
                    o.bearer = System.getenv(v);
                    if (o.bearer == null || o.bearer.isBlank()) {
                        throw new IllegalArgumentException("--bearer-env: environment variable " + v + " is not set");
                    }
                }
                case "--help" -> {
                    System.out.println("usage: java bench/LoadTool.java --url URL [--mode calls|sse|churn|sessions] "
                            + "[--concurrency C] [--calls N] [--warmup W] [--duration-cap-seconds S] [--timeout-seconds T] "
                            + "[--tool NAME] [--args-json JSON] [--gateway-pid PID] [--label NAME] [--json-out FILE] "
                            + "[--protocol-version V] [--bearer-env VAR] [--url-b URL]");
                    System.exit(0);
                }
                default -> throw new IllegalArgumentException("unknown option " + a + " (try --help)");
            }
        }
        if (o.url == null) {
            throw new IllegalArgumentException("--url is required");
        }
        if (o.urlB != null && !o.mode.equals("calls")) {
            throw new IllegalArgumentException("--url-b works in calls mode only");
        }
        if (!List.of("calls", "sse", "churn", "sessions").contains(o.mode)) {
            throw new IllegalArgumentException("--mode must be calls, sse, churn or sessions");
        }
        if (o.concurrency < 1 || o.calls < 0 || o.warmup < 0 || o.durationCapSeconds < 1) {
            throw new IllegalArgumentException("--concurrency >= 1, --calls >= 0, --warmup >= 0, --duration-cap-seconds >= 1");
        }
        if (o.tool == null) {
            o.tool = o.mode.equals("sse") ? "progress" : "echo";
        }
        if (o.argsJson == null) {
            o.argsJson = o.tool.equals("progress") ? "{\"steps\":1,\"delayMs\":0}"
                    : "{\"message\":\"hello from the shadowcat load tool\"}";
        }
        Object parsed = Json.parse(o.argsJson);
        if (!(parsed instanceof Map)) {
            throw new IllegalArgumentException("--args-json must be a JSON object");
        }
        return o;
    }

    // ------------------------------------------------------------------ per-worker recording

    /** Latencies in nanoseconds, appended without synchronization by one worker. */
    static final class Samples {
        long[] v = new long[256];
        int n;

        void add(long nanos) {
            if (n == v.length) {
                v = Arrays.copyOf(v, n * 2);
            }
            v[n++] = nanos;
        }

        static long[] merge(List<Samples> all) {
            int total = 0;
            for (Samples s : all) {
                total += s.n;
            }
            long[] out = new long[total];
            int o = 0;
            for (Samples s : all) {
                System.arraycopy(s.v, 0, out, o, s.n);
                o += s.n;
            }
            Arrays.sort(out);
            return out;
        }
    }

    static final class Worker {
        final int index;
        final Samples calls = new Samples();
        final Samples callsB = new Samples();
        /** B's latency minus A's, per alternating pair both answered (--url-b). */
        final Samples pairDeltas = new Samples();
        final Samples inits = new Samples();
        final Samples cycles = new Samples();
        long errors;          // failed measured calls (and failed initializes)
        long warmupErrors;
        long deleteErrors;
        long notifyErrors;
        long progressEvents;
        long sseResponses;
        long measuredCalls;
        long measuredCycles;
        long sessionsOpened;
        final List<String> sessionIds = new ArrayList<>();
        final List<String> errorSamples = new ArrayList<>();
        int nextId = 1;

        Worker(int index) {
            this.index = index;
        }

        void sample(String what) {
            if (errorSamples.size() < 3) {
                errorSamples.add(what.length() > 300 ? what.substring(0, 300) + "..." : what);
            }
        }
    }

    // ------------------------------------------------------------------ MCP over HTTP

    static final class McpSession {
        final String id;
        final String version;
        final URI url;
        /** A session on --url-b: its calls are recorded apart. */
        final boolean b;

        McpSession(String id, String version, URI url, boolean b) {
            this.id = id;
            this.version = version;
            this.url = url;
            this.b = b;
        }
    }

    static final class CallFailed extends Exception {
        CallFailed(String message) {
            super(message, null, false, false);
        }
    }

    final Options o;
    final HttpClient http;
    final Duration timeout;
    volatile long deadline;

    LoadTool(Options o) {
        this.o = o;
        this.timeout = Duration.ofSeconds(o.timeoutSeconds);
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1) // the JDK client sets TCP_NODELAY on its sockets
                .connectTimeout(Duration.ofSeconds(5))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    boolean pastDeadline() {
        return System.nanoTime() - deadline > 0;
    }

    HttpResponse<String> post(McpSession s, String body) throws IOException, InterruptedException {
        return post(s != null ? s.url : o.url, s, body);
    }

    HttpResponse<String> post(URI url, McpSession s, String body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(url)
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (o.bearer != null) {
            b.header("Authorization", "Bearer " + o.bearer);
        }
        if (s != null) {
            b.header("Mcp-Session-Id", s.id);
            b.header("MCP-Protocol-Version", s.version);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    /** The JSON-RPC messages of a response body: one JSON body, or the data of every SSE event. */
    static List<Object> messages(HttpResponse<String> r, Worker w) {
        String ct = r.headers().firstValue("Content-Type").orElse("").toLowerCase(Locale.ROOT);
        List<Object> out = new ArrayList<>(2);
        String body = r.body();
        if (ct.startsWith("text/event-stream")) {
            if (w != null) {
                w.sseResponses++;
            }
            StringBuilder data = null;
            int i = 0;
            int len = body.length();
            while (i <= len) {
                int nl = body.indexOf('\n', i);
                int end = nl < 0 ? len : nl;
                String line = body.substring(i, end);
                if (line.endsWith("\r")) {
                    line = line.substring(0, line.length() - 1);
                }
                if (line.isEmpty()) {
                    if (data != null && data.length() > 0) {
                        out.add(Json.parse(data.toString()));
                    }
                    data = null;
                } else if (line.startsWith("data:")) {
                    String d = line.substring(line.startsWith("data: ") ? 6 : 5);
                    if (data == null) {
                        data = new StringBuilder(d);
                    } else {
                        data.append('\n').append(d);
                    }
                }
                if (nl < 0) {
                    break;
                }
                i = nl + 1;
            }
            if (data != null && data.length() > 0) {
                out.add(Json.parse(data.toString()));
            }
        } else if (!body.isBlank()) {
            Object v = Json.parse(body);
            if (v instanceof List<?> l) {
                out.addAll(l);
            } else {
                out.add(v);
            }
        }
        return out;
    }

    /** Finds the response to {@code id}; counts the other messages (progress) into the worker. */
    static Map<?, ?> responseTo(List<Object> msgs, int id, Worker w) throws CallFailed {
        Map<?, ?> found = null;
        for (Object m : msgs) {
            if (m instanceof Map<?, ?> map) {
                Object mid = map.get("id");
                if (map.get("method") == null && mid instanceof Number n && n.intValue() == id) {
                    found = map;
                } else if ("notifications/progress".equals(map.get("method")) && w != null) {
                    w.progressEvents++;
                }
            }
        }
        if (found == null) {
            throw new CallFailed("no JSON-RPC response with id " + id + " among " + msgs.size() + " message(s)");
        }
        if (found.get("error") != null) {
            throw new CallFailed("JSON-RPC error: " + Json.write(found.get("error")));
        }
        return found;
    }

    McpSession initialize(Worker w, boolean onB) throws IOException, InterruptedException, CallFailed {
        String body = "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
                + Json.quote(o.protocolVersion) + ",\"capabilities\":{},\"clientInfo\":{\"name\":\"shadowcat-loadtool\","
                + "\"version\":\"1.0\"}}}";
        URI url = onB ? o.urlB : o.url;
        HttpResponse<String> r = post(url, null, body);
        if (r.statusCode() / 100 != 2) {
            throw new CallFailed("initialize: HTTP " + r.statusCode() + " " + r.body());
        }
        Map<?, ?> resp = responseTo(messages(r, null), 0, null);
        String sid = r.headers().firstValue("Mcp-Session-Id").orElse(null);
        if (sid == null) {
            throw new CallFailed("initialize: no Mcp-Session-Id header (is the server stateless?)");
        }
        Object result = resp.get("result");
        String version = o.protocolVersion;
        if (result instanceof Map<?, ?> m && m.get("protocolVersion") instanceof String v) {
            version = v;
        }
        return new McpSession(sid, version, url, onB);
    }

    void initialized(McpSession s, Worker w) throws IOException, InterruptedException {
        HttpResponse<String> r = post(s, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
        if (r.statusCode() / 100 != 2) {
            w.notifyErrors++;
            w.sample("notifications/initialized: HTTP " + r.statusCode());
        }
    }

    /** Opens a session, timing initialize into {@code w.inits}; null (error counted) on failure. */
    McpSession open(Worker w, boolean measured) throws InterruptedException {
        return open(w, measured, false);
    }

    McpSession open(Worker w, boolean measured, boolean onB) throws InterruptedException {
        long t0 = System.nanoTime();
        try {
            McpSession s = initialize(w, onB);
            long dt = System.nanoTime() - t0;
            if (measured) {
                w.inits.add(dt);
            }
            w.sessionsOpened++;
            initialized(s, w);
            return s;
        } catch (IOException | CallFailed | RuntimeException e) {
            w.errors++;
            w.sample("initialize: " + e);
            return null;
        }
    }

    /** One tools/call; its latency in ns on success, else -1. The latency is recorded when {@code measured}. */
    long call(McpSession s, Worker w, boolean measured) throws InterruptedException {
        int id = w.nextId++;
        String meta = o.mode.equals("sse") ? ",\"_meta\":{\"progressToken\":\"p" + w.index + "-" + id + "\"}" : "";
        String body = "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":"
                + Json.quote(o.tool) + ",\"arguments\":" + o.argsJson + meta + "}}";
        long t0 = System.nanoTime();
        try {
            HttpResponse<String> r = post(s, body);
            if (r.statusCode() / 100 != 2) {
                throw new CallFailed("tools/call: HTTP " + r.statusCode() + " " + r.body());
            }
            Map<?, ?> resp = responseTo(messages(r, w), id, w);
            long dt = System.nanoTime() - t0;
            if (resp.get("result") instanceof Map<?, ?> res && Boolean.TRUE.equals(res.get("isError"))) {
                throw new CallFailed("tool error: " + Json.write(res));
            }
            if (measured) {
                (s.b ? w.callsB : w.calls).add(dt);
                w.measuredCalls++;
            }
            return dt;
        } catch (IOException | CallFailed | RuntimeException e) {
            if (measured) {
                w.errors++;
                w.measuredCalls++;
            } else {
                w.warmupErrors++;
            }
            w.sample(e.toString());
            return -1;
        }
    }

    void delete(McpSession s, Worker w) throws InterruptedException {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(s.url).timeout(timeout)
                    .header("Mcp-Session-Id", s.id).header("MCP-Protocol-Version", s.version).DELETE();
            if (o.bearer != null) {
                b.header("Authorization", "Bearer " + o.bearer);
            }
            HttpRequest req = b.build();
            HttpResponse<Void> r = http.send(req, HttpResponse.BodyHandlers.discarding());
            if (r.statusCode() / 100 != 2) {
                w.deleteErrors++;
                w.sample("DELETE: HTTP " + r.statusCode());
            }
        } catch (IOException e) {
            w.deleteErrors++;
            w.sample("DELETE: " + e);
        }
    }

    // ------------------------------------------------------------------ modes

    interface Body {
        void run(Worker w, CyclicBarrier start, CyclicBarrier stop) throws Exception;
    }

    /** Waits for every worker (bounded); the last one to arrive stamps the start of the measured phase. */
    void await(CyclicBarrier b) throws InterruptedException {
        await(b, 0);
    }

    /**
     * Waits for every worker, at most until the cap plus {@code graceMillis} (the end barrier allows for a
     * request still in flight when the cap passes).
     */
    void await(CyclicBarrier b, long graceMillis) throws InterruptedException {
        try {
            b.await(Math.max(1, (deadline - System.nanoTime()) / 1_000_000) + graceMillis, TimeUnit.MILLISECONDS);
        } catch (BrokenBarrierException | TimeoutException e) {
            // a worker failed or the cap passed: carry on, the deadline stops everyone
        }
    }

    /**
     * One session, W unmeasured calls, then N measured ones. With --url-b a session on each target, the calls of
     * each turn going to both, A first or B first by turns, and the pair's difference recorded.
     */
    void callsMode(Worker w, CyclicBarrier start, CyclicBarrier stop) throws Exception {
        McpSession a = open(w, true, false);
        McpSession b = o.urlB != null ? open(w, true, true) : null;
        boolean ready = a != null && (o.urlB == null || b != null);
        for (int i = 0; ready && i < o.warmup && !pastDeadline(); i++) {
            call(a, w, false);
            if (b != null) {
                call(b, w, false);
            }
        }
        await(start);
        for (int i = 0; ready && i < o.calls && !pastDeadline(); i++) {
            if (b == null) {
                call(a, w, true);
                continue;
            }
            boolean aFirst = ((i + w.index) & 1) == 0;
            long first = call(aFirst ? a : b, w, true);
            long second = call(aFirst ? b : a, w, true);
            if (first >= 0 && second >= 0) {
                w.pairDeltas.add(aFirst ? second - first : first - second);
            }
        }
        await(stop, 1000L * o.timeoutSeconds + 1000);
        for (McpSession s : new McpSession[] {a, b}) {
            if (s != null) {
                delete(s, w);
            }
        }
    }

    void churnMode(Worker w, CyclicBarrier start, CyclicBarrier stop) throws Exception {
        for (int i = 0; i < o.warmup && !pastDeadline(); i++) {
            McpSession s = open(w, false);
            if (s != null) {
                call(s, w, false);
                delete(s, w);
            }
        }
        await(start);
        for (int i = 0; i < o.calls && !pastDeadline(); i++) {
            long t0 = System.nanoTime();
            McpSession s = open(w, true);
            if (s == null) {
                w.measuredCycles++;
                continue;
            }
            boolean ok = call(s, w, true) >= 0;
            delete(s, w);
            w.measuredCycles++;
            if (ok) {
                w.cycles.add(System.nanoTime() - t0);
            }
        }
        await(stop, 1000L * o.timeoutSeconds + 1000);
    }

    void sessionsMode(Worker w, CyclicBarrier start, CyclicBarrier stop) throws Exception {
        // Warm this worker's connection and the client's code without opening a session: a ping without a
        // session id (any answer will do, typically 400). Otherwise the first measured initialize of each
        // worker would include the TCP connect and a cold HTTP client.
        for (int i = 0; i < Math.min(o.warmup, 10) && !pastDeadline(); i++) {
            try {
                post(null, "{\"jsonrpc\":\"2.0\",\"id\":\"warm-up\",\"method\":\"ping\"}");
            } catch (IOException e) {
                w.warmupErrors++;
            }
        }
        await(start);
        for (int i = 0; i < o.calls && !pastDeadline(); i++) {
            McpSession s = open(w, true);
            if (s != null) {
                w.sessionIds.add(s.id + "\n" + s.version);
            }
        }
        await(stop, 1000L * o.timeoutSeconds + 1000);
    }

    // ------------------------------------------------------------------ process sampling

    /** The 1-minute load average when the run starts (the machine is shared: a busy one skews results). */
    static Double loadAvg1() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** USER_HZ: the unit of the CPU times in /proc (100 on Linux). */
    static final double TICKS = 100.0;

    /** utime+stime+cutime+cstime of one process (children it has reaped included), or 0. */
    static long procTicks(long pid) {
        return procTicks(pid, true);
    }

    /** utime+stime of one process, plus cutime+cstime (the children it has reaped) when asked; 0 when gone. */
    static long procTicks(long pid, boolean reaped) {
        try {
            String st = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = st.substring(st.lastIndexOf(')') + 2).split(" ");
            long t = Long.parseLong(f[11]) + Long.parseLong(f[12]);
            return reaped ? t + Long.parseLong(f[13]) + Long.parseLong(f[14]) : t;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /**
     * [target tree ticks, own ticks, machine total ticks, machine idle ticks, target process alone ticks]. The
     * target's tree is the process and its live descendants; a descendant that exits meanwhile is counted through
     * its reaper's cutime. "Alone" is the target's own threads only (for a gateway: without its children).
     */
    static long[] cpuSnapshot(long pid) {
        long tree = 0;
        if (pid > 0) {
            tree = procTicks(pid);
            try {
                for (ProcessHandle h : (Iterable<ProcessHandle>) ProcessHandle.of(pid).orElseThrow().descendants()::iterator) {
                    tree += procTicks(h.pid());
                }
            } catch (RuntimeException e) {
                // gone
            }
        }
        long own = procTicks(ProcessHandle.current().pid());
        long total = 0, idle = 0;
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            for (int i = 1; i < f.length && i <= 8; i++) {
                total += Long.parseLong(f[i]);
            }
            idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return new long[]{tree, own, total, idle, pid > 0 ? procTicks(pid, false) : 0};
    }

    static Long rssKb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or gone
        }
        return null;
    }

    /** Sum of VmRSS over the process's descendants (the gateway's stdio children). */
    static Long descendantsRssKb(long pid) {
        try {
            long sum = 0;
            for (ProcessHandle h : (Iterable<ProcessHandle>) ProcessHandle.of(pid).orElseThrow().descendants()::iterator) {
                Long r = rssKb(h.pid());
                if (r != null) {
                    sum += r;
                }
            }
            return sum;
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * True when the process is a JVM. jcmd must never be pointed at anything else: it triggers the attach
     * listener with SIGQUIT, which terminates a Node.js process.
     */
    static boolean isJvm(long pid) {
        try {
            byte[] cmd = Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline"));
            int end = 0;
            while (end < cmd.length && cmd[end] != 0) {
                end++;
            }
            String argv0 = new String(cmd, 0, end, StandardCharsets.UTF_8);
            return argv0.equals("java") || argv0.endsWith("/java");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    static String jcmd(long pid, String... command) {
        if (!isJvm(pid)) {
            return null;
        }
        List<String> argv = new ArrayList<>();
        argv.add(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString());
        argv.add(Long.toString(pid));
        argv.addAll(List.of(command));
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            return p.exitValue() == 0 ? new String(out, StandardCharsets.UTF_8) : null;
        } catch (IOException | InterruptedException e) {
            return null;
        }
    }

    static final Pattern HEAP_USED = Pattern.compile("total (\\d+)K, used (\\d+)K");

    /** [committed KB, used KB] of the Java heap, or null when the process is not a reachable JVM. */
    static long[] heapKb(long pid) {
        String out = jcmd(pid, "GC.heap_info");
        if (out == null) {
            return null;
        }
        Matcher m = HEAP_USED.matcher(out);
        return m.find() ? new long[]{Long.parseLong(m.group(1)), Long.parseLong(m.group(2))} : null;
    }

    static long[] heapAfterGcKb(long pid) {
        if (jcmd(pid, "GC.run") == null) {
            return null;
        }
        return heapKb(pid);
    }

    // ------------------------------------------------------------------ run

    Map<String, Object> run() throws Exception {
        Map<String, Object> res = new LinkedHashMap<>();
        res.put("label", o.label);
        res.put("mode", o.mode);
        res.put("url", o.url.toString());
        res.put("concurrency", o.concurrency);
        res.put("callsPerWorker", o.calls);
        res.put("warmupPerWorker", o.warmup);
        res.put("tool", o.tool);
        res.put("loadAvg1", loadAvg1());

        long[] heapBefore = null;
        Long rssBefore = null;
        if (o.mode.equals("sessions") && o.gatewayPid > 0) {
            heapBefore = heapAfterGcKb(o.gatewayPid);
            rssBefore = rssKb(o.gatewayPid);
        }

        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(o.durationCapSeconds);
        long[] phase = new long[2];
        long[][] cpu = new long[2][];
        CyclicBarrier start = new CyclicBarrier(o.concurrency, () -> {
            cpu[0] = cpuSnapshot(o.gatewayPid);
            phase[0] = System.nanoTime();
        });
        CyclicBarrier stop = new CyclicBarrier(o.concurrency, () -> {
            phase[1] = System.nanoTime();
            cpu[1] = cpuSnapshot(o.gatewayPid);
        });
        List<Worker> workers = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        Body body = switch (o.mode) {
            case "churn" -> this::churnMode;
            case "sessions" -> this::sessionsMode;
            default -> this::callsMode;
        };
        for (int i = 0; i < o.concurrency; i++) {
            Worker w = new Worker(i);
            workers.add(w);
            Thread t = new Thread(() -> {
                try {
                    body.run(w, start, stop);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (Exception e) {
                    w.errors++;
                    w.sample("worker: " + e);
                }
            }, "load-" + i);
            t.setDaemon(true);
            threads.add(t);
        }
        threads.forEach(Thread::start);
        boolean stuck = false;
        for (Thread t : threads) {
            long left = (deadline - System.nanoTime()) / 1_000_000 + 2L * o.timeoutSeconds * 1000 + 1000;
            t.join(Math.max(1, left));
            stuck |= t.isAlive();
        }
        if (phase[1] == 0) { // the end barrier broke (a worker failed or hung): measure up to now
            phase[1] = System.nanoTime();
            cpu[1] = cpuSnapshot(o.gatewayPid);
        }
        long end = phase[1];
        long began = phase[0] != 0 ? phase[0] : end;
        double elapsed = (end - began) / 1e9;

        long[] calls = Samples.merge(workers.stream().map(w -> w.calls).toList());
        long[] inits = Samples.merge(workers.stream().map(w -> w.inits).toList());
        long[] cycles = Samples.merge(workers.stream().map(w -> w.cycles).toList());
        long errors = 0, deleteErrors = 0, notifyErrors = 0, warmupErrors = 0, progress = 0, sse = 0,
                measured = 0, measuredCycles = 0, opened = 0;
        List<String> samples = new ArrayList<>();
        for (Worker w : workers) {
            errors += w.errors;
            deleteErrors += w.deleteErrors;
            notifyErrors += w.notifyErrors;
            warmupErrors += w.warmupErrors;
            progress += w.progressEvents;
            sse += w.sseResponses;
            measured += w.measuredCalls;
            measuredCycles += w.measuredCycles;
            opened += w.sessionsOpened;
            for (String s : w.errorSamples) {
                if (samples.size() < 5) {
                    samples.add(s);
                }
            }
        }
        res.put("elapsedSeconds", round(elapsed, 3));
        res.put("capped", pastDeadline() || stuck);
        res.put("measuredCalls", measured);
        res.put("okCalls", calls.length);
        res.put("callsPerSecond", elapsed > 0 && !o.mode.equals("sessions") ? round(calls.length / elapsed, 1) : null);
        res.put("callP50Ms", pct(calls, 0.50));
        res.put("callP95Ms", pct(calls, 0.95));
        res.put("callP99Ms", pct(calls, 0.99));
        res.put("callMaxMs", calls.length == 0 ? null : round(calls[calls.length - 1] / 1e6, 3));
        if (o.urlB != null) {
            long[] callsB = Samples.merge(workers.stream().map(w -> w.callsB).toList());
            long[] deltas = Samples.merge(workers.stream().map(w -> w.pairDeltas).toList());
            Map<String, Object> b = new LinkedHashMap<>();
            b.put("url", o.urlB.toString());
            b.put("okCalls", callsB.length);
            b.put("callP50Ms", pct(callsB, 0.50));
            b.put("callP95Ms", pct(callsB, 0.95));
            b.put("callP99Ms", pct(callsB, 0.99));
            res.put("b", b);
            res.put("pairs", deltas.length);
            res.put("pairedDeltaP50Us", deltas.length == 0 ? null : round(deltas[deltas.length / 2] / 1e3, 1));
        }
        res.put("initCount", inits.length);
        res.put("initP50Ms", pct(inits, 0.50));
        res.put("initP95Ms", pct(inits, 0.95));
        res.put("initMaxMs", inits.length == 0 ? null : round(inits[inits.length - 1] / 1e6, 3));
        if (o.mode.equals("churn")) {
            res.put("cycles", measuredCycles);
            res.put("cyclesPerSecond", elapsed > 0 ? round(cycles.length / elapsed, 1) : null);
            res.put("cycleP50Ms", pct(cycles, 0.50));
            res.put("cycleP99Ms", pct(cycles, 0.99));
        }
        if (o.mode.equals("sessions")) {
            res.put("sessionsOpened", opened);
            res.put("sessionsPerSecond", elapsed > 0 ? round(opened / elapsed, 1) : null);
        }
        if (cpu[0] != null && cpu[1] != null) {
            // CPU seconds used during the measured phase: the target (with every descendant), this load
            // generator, and the whole machine (busy share of all cores, including anything else running)
            double server = (cpu[1][0] - cpu[0][0]) / TICKS;
            double client = (cpu[1][1] - cpu[0][1]) / TICKS;
            long total = cpu[1][2] - cpu[0][2];
            long idle = cpu[1][3] - cpu[0][3];
            long done = o.mode.equals("sessions") ? opened : o.mode.equals("churn") ? cycles.length : calls.length;
            if (o.gatewayPid > 0) {
                res.put("serverCpuSeconds", round(server, 3));
                res.put("serverCpuMsPerOp", done > 0 ? round(1000 * server / done, 4) : null);
                double alone = (cpu[1][4] - cpu[0][4]) / TICKS;
                res.put("serverSelfCpuMsPerOp", done > 0 ? round(1000 * alone / done, 4) : null);
            }
            res.put("clientCpuSeconds", round(client, 3));
            res.put("clientCpuMsPerOp", done > 0 ? round(1000 * client / done, 4) : null);
            res.put("machineBusyPercent", total > 0 ? round(100.0 * (total - idle) / total, 1) : null);
        }
        res.put("errors", errors);
        res.put("errorRate", measured + inits.length > 0 ? round((double) errors / Math.max(1, measured + opened), 5) : null);
        res.put("warmupErrors", warmupErrors);
        res.put("notifyErrors", notifyErrors);
        res.put("progressEvents", progress);
        res.put("sseResponses", sse);
        if (o.gatewayPid > 0) {
            if (o.mode.equals("sessions")) {
                long[] heapAfter = heapAfterGcKb(o.gatewayPid);
                Long rssAfter = rssKb(o.gatewayPid);
                res.put("heapUsedBeforeKb", heapBefore == null ? null : heapBefore[1]);
                res.put("heapUsedAfterKb", heapAfter == null ? null : heapAfter[1]);
                res.put("rssBeforeKb", rssBefore);
                res.put("rssAfterKb", rssAfter);
                if (heapBefore != null && heapAfter != null && opened > 0) {
                    res.put("heapBytesPerSession", Math.round((heapAfter[1] - heapBefore[1]) * 1024.0 / opened));
                }
                if (rssBefore != null && rssAfter != null && opened > 0) {
                    res.put("rssBytesPerSession", Math.round((rssAfter - rssBefore) * 1024.0 / opened));
                }
            }
            res.put("rssKb", rssKb(o.gatewayPid));
            res.put("childrenRssKb", descendantsRssKb(o.gatewayPid));
            long[] heap = heapKb(o.gatewayPid);
            res.put("heapCommittedKb", heap == null ? null : heap[0]);
            res.put("heapUsedKb", heap == null ? null : heap[1]);
        }
        if (o.mode.equals("sessions")) {
            deleteAll(workers);
            deleteErrors = workers.stream().mapToLong(w -> w.deleteErrors).sum();
        }
        res.put("deleteErrors", deleteErrors);
        res.put("errorSamples", samples);
        return res;
    }

    /** Ends the sessions the sessions mode kept open, C at a time (bounded by the cap plus a grace period). */
    void deleteAll(List<Worker> workers) throws InterruptedException {
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Math.max(30, o.durationCapSeconds));
        List<Thread> threads = new ArrayList<>();
        for (Worker w : workers) {
            Thread t = new Thread(() -> {
                try {
                    for (String s : w.sessionIds) {
                        if (pastDeadline()) {
                            return;
                        }
                        String[] p = s.split("\n", 2);
                        delete(new McpSession(p[0], p[1], o.url, false), w);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "delete-" + w.index);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000 + 1000));
        }
    }

    static Double pct(long[] sorted, double q) {
        if (sorted.length == 0) {
            return null;
        }
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return round(sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6, 3);
    }

    static double round(double v, int places) {
        double f = Math.pow(10, places);
        return Math.round(v * f) / f;
    }

    static String table(Map<String, Object> r) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-22s %s%n", "target", r.get("label").toString().isEmpty() ? r.get("url") : r.get("label")));
        for (String k : List.of("mode", "concurrency", "elapsedSeconds", "capped", "measuredCalls", "callsPerSecond",
                "callP50Ms", "callP95Ms", "callP99Ms", "callMaxMs", "initCount", "initP50Ms", "initP95Ms", "initMaxMs",
                "cyclesPerSecond", "cycleP50Ms", "cycleP99Ms", "sessionsOpened", "sessionsPerSecond", "errors",
                "warmupErrors", "notifyErrors", "deleteErrors", "progressEvents", "sseResponses", "serverCpuSeconds",
                "serverCpuMsPerOp", "serverSelfCpuMsPerOp", "clientCpuSeconds", "clientCpuMsPerOp", "machineBusyPercent",
                "rssKb", "childrenRssKb", "heapUsedKb", "heapCommittedKb", "heapUsedBeforeKb", "heapUsedAfterKb",
                "heapBytesPerSession", "rssBytesPerSession")) {
            if (r.containsKey(k)) {
                sb.append(String.format(Locale.ROOT, "  %-20s %s%n", k, r.get(k)));
            }
        }
        @SuppressWarnings("unchecked")
        List<String> samples = (List<String>) r.get("errorSamples");
        for (String s : samples) {
            sb.append("  error sample: ").append(s).append('\n');
        }
        return sb.toString();
    }

    public static void main(String[] args) throws Exception {
        Options o;
        try {
            o = parse(args);
        } catch (RuntimeException e) {
            System.err.println("LoadTool: " + e.getMessage());
            System.exit(2);
            return;
        }
        Map<String, Object> r = new LoadTool(o).run();
        String line = Json.write(r);
        System.out.println(line);
        System.out.print(table(r));
        if (o.jsonOut != null) {
            Files.writeString(o.jsonOut, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        }
        System.exit(0);
    }

    // ------------------------------------------------------------------ minimal JSON

    /** Just enough JSON: objects → LinkedHashMap, arrays → ArrayList, numbers → Long or Double. */
    static final class Json {
        private final String s;
        private int i;

        private Json(String s) {
            this.s = s;
        }

        static Object parse(String text) {
            Json j = new Json(text);
            j.ws();
            Object v = j.value();
            j.ws();
            if (j.i != text.length()) {
                throw new IllegalArgumentException("trailing characters in JSON at " + j.i);
            }
            return v;
        }

        private void ws() {
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
                    i++;
                } else {
                    break;
                }
            }
        }

        private IllegalArgumentException bad(String what) {
            return new IllegalArgumentException("bad JSON: " + what + " at " + i);
        }

        private Object value() {
            if (i >= s.length()) {
                throw bad("unexpected end");
            }
            char c = s.charAt(i);
            switch (c) {
                case '{': {
                    i++;
                    Map<String, Object> m = new LinkedHashMap<>();
                    ws();
                    if (s.charAt(i) == '}') {
                        i++;
                        return m;
                    }
                    while (true) {
                        ws();
                        String k = string();
                        ws();
                        if (s.charAt(i++) != ':') {
                            throw bad("':' expected");
                        }
                        ws();
                        m.put(k, value());
                        ws();
                        char d = s.charAt(i++);
                        if (d == '}') {
                            return m;
                        }
                        if (d != ',') {
                            throw bad("',' or '}' expected");
                        }
                    }
                }
                case '[': {
                    i++;
                    List<Object> l = new ArrayList<>();
                    ws();
                    if (s.charAt(i) == ']') {
                        i++;
                        return l;
                    }
                    while (true) {
                        ws();
                        l.add(value());
                        ws();
                        char d = s.charAt(i++);
                        if (d == ']') {
                            return l;
                        }
                        if (d != ',') {
                            throw bad("',' or ']' expected");
                        }
                    }
                }
                case '"':
                    return string();
                case 't':
                    expect("true");
                    return Boolean.TRUE;
                case 'f':
                    expect("false");
                    return Boolean.FALSE;
                case 'n':
                    expect("null");
                    return null;
                default:
                    return number();
            }
        }

        private void expect(String word) {
            if (!s.startsWith(word, i)) {
                throw bad(word + " expected");
            }
            i += word.length();
        }

        private Number number() {
            int st = i;
            boolean frac = false;
            while (i < s.length()) {
                char c = s.charAt(i);
                if ((c >= '0' && c <= '9') || c == '-' || c == '+') {
                    i++;
                } else if (c == '.' || c == 'e' || c == 'E') {
                    frac = true;
                    i++;
                } else {
                    break;
                }
            }
            if (st == i) {
                throw bad("value expected");
            }
            String t = s.substring(st, i);
            if (!frac) {
                try {
                    return Long.parseLong(t);
                } catch (NumberFormatException e) {
                    // too big: fall through
                }
            }
            return Double.parseDouble(t);
        }

        private String string() {
            if (s.charAt(i) != '"') {
                throw bad("string expected");
            }
            i++;
            StringBuilder sb = null;
            int st = i;
            while (true) {
                char c = s.charAt(i);
                if (c == '"') {
                    String out = sb == null ? s.substring(st, i) : sb.append(s, st, i).toString();
                    i++;
                    return out;
                }
                if (c == '\\') {
                    if (sb == null) {
                        sb = new StringBuilder();
                    }
                    sb.append(s, st, i);
                    char e = s.charAt(i + 1);
                    switch (e) {
                        case 'n' -> sb.append('\n');
                        case 't' -> sb.append('\t');
                        case 'r' -> sb.append('\r');
                        case 'b' -> sb.append('\b');
                        case 'f' -> sb.append('\f');
                        case 'u' -> {
                            sb.append((char) Integer.parseInt(s.substring(i + 2, i + 6), 16));
                            i += 4;
                        }
                        default -> sb.append(e);
                    }
                    i += 2;
                    st = i;
                } else {
                    i++;
                }
            }
        }

        static String quote(String v) {
            StringBuilder sb = new StringBuilder(v.length() + 2).append('"');
            for (int k = 0; k < v.length(); k++) {
                char c = v.charAt(k);
                switch (c) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    default -> {
                        if (c < 0x20) {
                            sb.append(String.format("\\u%04x", (int) c));
                        } else {
                            sb.append(c);
                        }
                    }
                }
            }
            return sb.append('"').toString();
        }

        static String write(Object v) {
            StringBuilder sb = new StringBuilder();
            write(sb, v);
            return sb.toString();
        }

        private static void write(StringBuilder sb, Object v) {
            if (v == null) {
                sb.append("null");
            } else if (v instanceof String str) {
                sb.append(quote(str));
            } else if (v instanceof Double d) {
                sb.append(d.isNaN() || d.isInfinite() ? "null" : BigDecimalText.of(d));
            } else if (v instanceof Number || v instanceof Boolean) {
                sb.append(v);
            } else if (v instanceof Map<?, ?> m) {
                sb.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!first) {
                        sb.append(',');
                    }
                    first = false;
                    sb.append(quote(String.valueOf(e.getKey()))).append(':');
                    write(sb, e.getValue());
                }
                sb.append('}');
            } else if (v instanceof List<?> l) {
                sb.append('[');
                for (int k = 0; k < l.size(); k++) {
                    if (k > 0) {
                        sb.append(',');
                    }
                    write(sb, l.get(k));
                }
                sb.append(']');
            } else {
                sb.append(quote(v.toString()));
            }
        }
    }

    /** Doubles without exponent notation. */
    static final class BigDecimalText {
        static String of(double d) {
            return new java.math.BigDecimal(Double.toString(d)).stripTrailingZeros().toPlainString();
        }
    }
}
