import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Turns bench/run-all.sh's results.jsonl (one LoadTool JSON line per run) into summary.md (min/median/max over
 * the repeated runs of each target and concurrency, and the performance targets met or missed) and
 * calls-per-second.png (median calls/s by target and concurrency, min-max whiskers). JDK only:
 *
 * <pre>  java bench/Plot.java bench/results/TIMESTAMP</pre>
 */
public final class Plot {
    /** Display order; labels not listed come after, in the order first seen. */
    static final List<String> ORDER = List.of("everything-http", "supergateway", "gw-everything-dedicated",
            "gw-everything-shared2", "jetty-echo-floor", "gw-echo-shared", "gw-echo-pipeline", "gw-demo-shared", "gw-demo-shared-sse");
    static final Color[] COLORS = {new Color(0x4C72B0), new Color(0xDD8452), new Color(0x55A868), new Color(0xC44E52)};

    record Run(Map<String, Object> f) {
        String s(String k) {
            Object v = f.get(k);
            return v == null ? null : v.toString();
        }

        Double d(String k) {
            return f.get(k) instanceof Number n ? n.doubleValue() : null;
        }
    }

    /** min, median, max of the non-null values, or null. */
    static double[] mmm(List<Run> runs, String k) {
        double[] v = runs.stream().map(r -> r.d(k)).filter(x -> x != null).mapToDouble(Double::doubleValue).sorted().toArray();
        if (v.length == 0) {
            return null;
        }
        double med = v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
        return new double[]{v[0], med, v[v.length - 1]};
    }

    static String fmt(double x) {
        if (Math.abs(x) >= 100) {
            return String.format(Locale.ROOT, "%.0f", x);
        }
        if (Math.abs(x) >= 10) {
            return String.format(Locale.ROOT, "%.1f", x);
        }
        return String.format(Locale.ROOT, "%.2f", x);
    }

    static String cell(double[] m) {
        return m == null ? "–" : fmt(m[0]) + " / **" + fmt(m[1]) + "** / " + fmt(m[2]);
    }

    static long sum(List<Run> runs, String k) {
        return runs.stream().map(r -> r.d(k)).filter(x -> x != null).mapToLong(Double::longValue).sum();
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : ".");
        List<Run> runs = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("results.jsonl"), StandardCharsets.UTF_8)) {
            if (line.startsWith("{")) {
                @SuppressWarnings("unchecked")
                Map<String, Object> m = (Map<String, Object>) Json.parse(line);
                runs.add(new Run(m));
            }
        }
        // group: label -> concurrency -> runs, for the throughput modes and for the sessions mode
        Map<String, TreeMap<Integer, List<Run>>> load = new LinkedHashMap<>();
        Map<String, TreeMap<Integer, List<Run>>> sessions = new LinkedHashMap<>();
        List<String> labels = new ArrayList<>(ORDER);
        for (Run r : runs) {
            String label = r.s("label");
            if (!labels.contains(label)) {
                labels.add(label);
            }
            var target = "sessions".equals(r.s("mode")) ? sessions : load;
            target.computeIfAbsent(label, k -> new TreeMap<>())
                    .computeIfAbsent(r.d("concurrency").intValue(), k -> new ArrayList<>()).add(r);
        }
        StringBuilder md = new StringBuilder();
        md.append("Each cell: min / **median** / max over the repeated runs (").append(runs.size()).append(" runs in all).\n\n");
        md.append("| target | mode | C | runs | calls/s | p50 ms | p95 ms | p99 ms | max ms | init p50 ms | server CPU ms/call | of which the server process alone | client CPU ms/call | machine busy % | errors | load avg (1 min) |\n");
        md.append("|---|---|---:|---:|---|---|---|---|---|---|---|---|---|---|---:|---|\n");
        for (String label : labels) {
            var byC = load.get(label);
            if (byC == null) {
                continue;
            }
            for (var e : byC.entrySet()) {
                List<Run> rs = e.getValue();
                md.append("| ").append(label).append(" | ").append(rs.get(0).s("mode")).append(" | ").append(e.getKey())
                        .append(" | ").append(rs.size())
                        .append(" | ").append(cell(mmm(rs, "callsPerSecond")))
                        .append(" | ").append(cell(mmm(rs, "callP50Ms")))
                        .append(" | ").append(cell(mmm(rs, "callP95Ms")))
                        .append(" | ").append(cell(mmm(rs, "callP99Ms")))
                        .append(" | ").append(cell(mmm(rs, "callMaxMs")))
                        .append(" | ").append(cell(mmm(rs, "initP50Ms")))
                        .append(" | ").append(cell(mmm(rs, "serverCpuMsPerOp")))
                        .append(" | ").append(cell(mmm(rs, "serverSelfCpuMsPerOp")))
                        .append(" | ").append(cell(mmm(rs, "clientCpuMsPerOp")))
                        .append(" | ").append(cell(mmm(rs, "machineBusyPercent")))
                        .append(" | ").append(sum(rs, "errors") + sum(rs, "warmupErrors"))
                        .append(" | ").append(loadRange(rs)).append(" |\n");
            }
        }
        if (!sessions.isEmpty()) {
            md.append("\n| sessions run | C | sessions per run | runs | init p50 ms | init p95 ms | heap B/session | RSS B/session | errors | notifications/initialized errors |\n");
            md.append("|---|---:|---:|---:|---|---|---|---|---:|---:|\n");
            for (var le : sessions.entrySet()) {
                for (var e : le.getValue().entrySet()) {
                    List<Run> rs = e.getValue();
                    md.append("| ").append(le.getKey()).append(" | ").append(e.getKey())
                            .append(" | ").append(fmt(mmm(rs, "sessionsOpened")[1]))
                            .append(" | ").append(rs.size())
                            .append(" | ").append(cell(mmm(rs, "initP50Ms")))
                            .append(" | ").append(cell(mmm(rs, "initP95Ms")))
                            .append(" | ").append(cell(mmm(rs, "heapBytesPerSession")))
                            .append(" | ").append(cell(mmm(rs, "rssBytesPerSession")))
                            .append(" | ").append(sum(rs, "errors"))
                            .append(" | ").append(sum(rs, "notifyErrors")).append(" |\n");
                }
            }
        }
        md.append("\n### Targets\n\n");
        targets(md, load, sessions);
        Files.writeString(dir.resolve("summary.md"), md.toString(), StandardCharsets.UTF_8);
        plot(dir.resolve("calls-per-second.png"), labels, load);
        System.out.print(md);
    }

    static String loadRange(List<Run> rs) {
        double[] m = mmm(rs, "loadAvg1");
        return m == null ? "–" : fmt(m[0]) + "–" + fmt(m[2]);
    }

    /** A difference with its sign: "+0.34", "-1.15". */
    static String signed(Double d) {
        return d == null ? "?" : (d >= 0 ? "+" : "") + n(d);
    }

    static Double median(Map<String, TreeMap<Integer, List<Run>>> g, String label, int c, String k) {
        var byC = g.get(label);
        if (byC == null || byC.get(c) == null) {
            return null;
        }
        double[] m = mmm(byC.get(c), k);
        return m == null ? null : m[1];
    }

    static void check(StringBuilder md, String what, Double value, String op, Double limit, String detail) {
        String verdict;
        if (value == null || limit == null) {
            verdict = "NOT MEASURED";
        } else {
            boolean ok = op.equals(">=") ? value >= limit : value <= limit;
            verdict = ok ? "MET" : "MISSED";
        }
        md.append("- **").append(verdict).append("** ").append(what).append(": ").append(detail).append('\n');
    }

    static String n(Double d) {
        return d == null ? "?" : fmt(d);
    }

    static void targets(StringBuilder md, Map<String, TreeMap<Integer, List<Run>>> load,
                        Map<String, TreeMap<Integer, List<Run>>> sessions) {
        TreeSet<Integer> cs = new TreeSet<>();
        load.values().forEach(m -> cs.addAll(m.keySet()));
        for (String gw : List.of("gw-everything-dedicated", "gw-everything-shared2")) {
            for (int c : cs) {
                Double g = median(load, gw, c, "callsPerSecond");
                Double sg = median(load, "supergateway", c, "callsPerSecond");
                Double ev = median(load, "everything-http", c, "callsPerSecond");
                check(md, gw + " ≥ 2× supergateway calls/s at C=" + c, g, ">=", sg == null ? null : 2 * sg,
                        n(g) + " vs 2 × " + n(sg) + " = " + n(sg == null ? null : 2 * sg)
                                + (g != null && sg != null ? " (ratio " + String.format(Locale.ROOT, "%.2f", g / sg) + "×)" : ""));
                check(md, gw + " ≥ server-everything HTTP calls/s at C=" + c, g, ">=", ev,
                        n(g) + " vs " + n(ev) + (g != null && ev != null ? " (ratio " + String.format(Locale.ROOT, "%.2f", g / ev) + "×)" : ""));
            }
        }
        var init = sessions.get("gw-everything-warm-init");
        if (init != null) {
            Integer low = init.firstKey();
            Integer high = init.lastKey();
            Double p1 = median(sessions, "gw-everything-warm-init", low, "initP50Ms");
            Double p32 = median(sessions, "gw-everything-warm-init", high, "initP50Ms");
            check(md, "session initialize p50 ≤ 20 ms at C=" + low + " (warm pool)", p1, "<=", 20.0, n(p1) + " ms");
            check(md, "session initialize p50 ≤ 100 ms at C=" + high + " (warm pool)", p32, "<=", 100.0, n(p32) + " ms");
        }
        var sharedInit = sessions.get("gw-everything-shared2-init");
        if (sharedInit != null) {
            md.append("- (for comparison, shared mode answers initialize from the gateway's cache: p50 ")
                    .append(n(median(sessions, "gw-everything-shared2-init", sharedInit.firstKey(), "initP50Ms")))
                    .append(" ms at C=").append(sharedInit.firstKey()).append(", ")
                    .append(n(median(sessions, "gw-everything-shared2-init", sharedInit.lastKey(), "initP50Ms")))
                    .append(" ms at C=").append(sharedInit.lastKey()).append(")\n");
        }
        if (!cs.isEmpty()) {
            int low = cs.first();
            int high = cs.last();
            // the gateway alone: in front of the floor's stdio twin (results before it existed used the demo server)
            String alone = load.containsKey("gw-echo-shared") ? "gw-echo-shared" : "gw-demo-shared";
            String what = alone.equals("gw-echo-shared") ? "gateway (→ echo, shared)" : "gateway (→ demo, shared)";
            Double g50 = median(load, alone, low, "callP50Ms");
            Double f50 = median(load, "jetty-echo-floor", low, "callP50Ms");
            Double g99 = median(load, alone, low, "callP99Ms");
            Double f99 = median(load, "jetty-echo-floor", low, "callP99Ms");
            Double d50 = g50 == null || f50 == null ? null : g50 - f50;
            Double d99 = g99 == null || f99 == null ? null : g99 - f99;
            check(md, what + " adds ≤ 0.1 ms p50 over the Jetty echo floor at C=" + low, d50, "<=", 0.1,
                    signed(d50) + " ms (" + n(g50) + " vs " + n(f50) + ")");
            check(md, what + " adds ≤ 1 ms p99 over the Jetty echo floor at C=" + low, d99, "<=", 1.0,
                    signed(d99) + " ms (" + n(g99) + " vs " + n(f99) + ")");
            Double gt = median(load, alone, high, "callsPerSecond");
            Double ft = median(load, "jetty-echo-floor", high, "callsPerSecond");
            Double share = gt == null || ft == null ? null : gt / ft;
            check(md, what + " keeps ≥ 50% of the floor's calls/s at C=" + high, share, ">=", 0.5,
                    (share == null ? "?" : String.format(Locale.ROOT, "%.1f%%", 100 * share)) + " (" + n(gt) + " vs " + n(ft) + ")");
            if (load.containsKey("gw-echo-pipeline") && load.containsKey("gw-echo-shared")) {
                // the pipeline's built-in stages (metrics, audit, filter) against the same gateway with an empty chain
                Double p50 = median(load, "gw-echo-pipeline", low, "callP50Ms");
                Double e50 = median(load, "gw-echo-shared", low, "callP50Ms");
                Double dus = p50 == null || e50 == null ? null : 1000 * (p50 - e50);
                check(md, "metrics + audit + filter add ≤ 20 µs p50 at C=" + low, dus, "<=", 20.0,
                        (dus == null ? "?" : String.format(Locale.ROOT, "%+.0f µs", dus)) + " (" + n(p50) + " vs " + n(e50) + " ms)");
                Double pt = median(load, "gw-echo-pipeline", high, "callsPerSecond");
                Double et = median(load, "gw-echo-shared", high, "callsPerSecond");
                Double loss = pt == null || et == null ? null : 100 * (1 - pt / et);
                check(md, "metrics + audit + filter cost ≤ 5% calls/s at C=" + high, loss, "<=", 5.0,
                        (loss == null ? "?" : String.format(Locale.ROOT, "%.1f%%", loss)) + " (" + n(pt) + " vs " + n(et) + ")");
            }
        }
        var idle = sessions.get("gw-demo-shared-idle");
        if (idle != null) {
            Double b = median(sessions, "gw-demo-shared-idle", idle.lastKey(), "heapBytesPerSession");
            check(md, "≤ 20 KB (20,480 B) heap per idle session", b, "<=", 20480.0, n(b) + " B per session");
        }
    }

    // ------------------------------------------------------------------ PNG

    static void plot(Path out, List<String> labels, Map<String, TreeMap<Integer, List<Run>>> load) throws Exception {
        List<String> groups = labels.stream().filter(load::containsKey).toList();
        TreeSet<Integer> cs = new TreeSet<>();
        load.values().forEach(m -> cs.addAll(m.keySet()));
        List<Integer> cl = new ArrayList<>(cs);
        double ymax = 1;
        for (var byC : load.values()) {
            for (var rs : byC.values()) {
                double[] m = mmm(rs, "callsPerSecond");
                if (m != null) {
                    ymax = Math.max(ymax, m[2]);
                }
            }
        }
        double step = niceStep(ymax / 6);
        ymax = Math.ceil(ymax / step) * step;

        int w = 1200, h = 640, left = 80, right = 90, top = 60, bottom = 130;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
        g.setColor(Color.BLACK);
        g.drawString("tools/call echo: calls/s by target and concurrency (median of runs, whiskers min–max)", left, 32);

        int pw = w - left - right, ph = h - top - bottom;
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        FontMetrics fm = g.getFontMetrics();
        for (double y = 0; y <= ymax + 1e-9; y += step) {
            int py = top + ph - (int) Math.round(y / ymax * ph);
            g.setColor(new Color(0xE0E0E0));
            g.drawLine(left, py, left + pw, py);
            g.setColor(Color.DARK_GRAY);
            String t = step >= 1 ? String.format(Locale.ROOT, "%.0f", y) : fmt(y);
            g.drawString(t, left - 8 - fm.stringWidth(t), py + 4);
        }
        g.setColor(Color.BLACK);
        g.drawLine(left, top, left, top + ph);
        g.drawLine(left, top + ph, left + pw, top + ph);
        int gw = groups.isEmpty() ? pw : pw / groups.size();
        int bw = Math.max(4, (int) (gw * 0.8 / Math.max(1, cl.size())));
        for (int gi = 0; gi < groups.size(); gi++) {
            var byC = load.get(groups.get(gi));
            int gx = left + gi * gw + (int) (gw * 0.1);
            for (int ci = 0; ci < cl.size(); ci++) {
                List<Run> rs = byC.get(cl.get(ci));
                double[] m = rs == null ? null : mmm(rs, "callsPerSecond");
                if (m == null) {
                    continue;
                }
                int x = gx + ci * bw;
                int y = top + ph - (int) Math.round(m[1] / ymax * ph);
                g.setColor(COLORS[ci % COLORS.length]);
                g.fillRect(x, y, bw - 2, top + ph - y);
                g.setColor(Color.BLACK);
                g.setStroke(new BasicStroke(1.2f));
                int ylo = top + ph - (int) Math.round(m[0] / ymax * ph);
                int yhi = top + ph - (int) Math.round(m[2] / ymax * ph);
                int cx = x + (bw - 2) / 2;
                g.drawLine(cx, ylo, cx, yhi);
                g.drawLine(cx - 3, ylo, cx + 3, ylo);
                g.drawLine(cx - 3, yhi, cx + 3, yhi);
                g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
                String t = fmt(m[1]);
                FontMetrics f2 = g.getFontMetrics();
                g.drawString(t, cx - f2.stringWidth(t) / 2, yhi - 4);
            }
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            g.setColor(Color.BLACK);
            String name = groups.get(gi);
            int tx = left + gi * gw + gw / 2;
            // rotate long labels a little
            Graphics2D g2 = (Graphics2D) g.create();
            g2.translate(tx - gw / 3, top + ph + 16);
            g2.rotate(Math.toRadians(18));
            g2.drawString(name, 0, 0);
            g2.dispose();
        }
        int lx = left + 10;
        for (int ci = 0; ci < cl.size(); ci++) {
            g.setColor(COLORS[ci % COLORS.length]);
            g.fillRect(lx, top - 22, 14, 14);
            g.setColor(Color.BLACK);
            String t = "C = " + cl.get(ci);
            g.drawString(t, lx + 18, top - 10);
            lx += 30 + fm.stringWidth(t);
        }
        g.dispose();
        ImageIO.write(img, "png", out.toFile());
    }

    static double niceStep(double raw) {
        double p = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1e-9))));
        for (double m : new double[]{1, 2, 2.5, 5, 10}) {
            if (m * p >= raw) {
                return m * p;
            }
        }
        return 10 * p;
    }

    // ------------------------------------------------------------------ minimal JSON reader

    static final class Json {
        private final String s;
        private int i;

        private Json(String s) {
            this.s = s;
        }

        static Object parse(String text) {
            return new Json(text).value();
        }

        private void ws() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private Object value() {
            ws();
            char c = s.charAt(i);
            if (c == '{') {
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
                    i++; // ':'
                    m.put(k, value());
                    ws();
                    if (s.charAt(i++) == '}') {
                        return m;
                    }
                }
            }
            if (c == '[') {
                i++;
                List<Object> l = new ArrayList<>();
                ws();
                if (s.charAt(i) == ']') {
                    i++;
                    return l;
                }
                while (true) {
                    l.add(value());
                    ws();
                    if (s.charAt(i++) == ']') {
                        return l;
                    }
                }
            }
            if (c == '"') {
                return string();
            }
            if (s.startsWith("true", i)) {
                i += 4;
                return Boolean.TRUE;
            }
            if (s.startsWith("false", i)) {
                i += 5;
                return Boolean.FALSE;
            }
            if (s.startsWith("null", i)) {
                i += 4;
                return null;
            }
            int st = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
                i++;
            }
            return Double.parseDouble(s.substring(st, i));
        }

        private String string() {
            StringBuilder sb = new StringBuilder();
            i++;
            while (true) {
                char c = s.charAt(i++);
                if (c == '"') {
                    return sb.toString();
                }
                if (c == '\\') {
                    char e = s.charAt(i++);
                    switch (e) {
                        case 'n' -> sb.append('\n');
                        case 't' -> sb.append('\t');
                        case 'r' -> sb.append('\r');
                        case 'u' -> {
                            sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                            i += 4;
                        }
                        default -> sb.append(e);
                    }
                } else {
                    sb.append(c);
                }
            }
        }
    }

    static {
        // headless: no display on a build machine
        System.setProperty("java.awt.headless", "true");
    }
}
