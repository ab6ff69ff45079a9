import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Summarizes a JFR recording of the gateway (JDK only, Java 17):
 *
 * <pre>  java bench/JfrTop.java recording.jfr [topN] [packagePrefix]</pre>
 *
 * <ul>
 * <li>execution samples: hottest leaf methods overall; hottest methods of the gateway's own code
 * (default prefix {@code dev.shadowcat.}) by self time (leaf) and by inclusive time (anywhere on the stack);
 * for each sample the innermost gateway frame (time spent in or below gateway code, split by where it
 * leaves the gateway); samples per thread (names with digits folded);</li>
 * <li>allocation samples (jdk.ObjectAllocationSample): bytes by class and by innermost gateway frame;</li>
 * <li>lock contention (jdk.JavaMonitorEnter, jdk.ThreadPark over the recording's threshold): by monitor/parked
 * class and innermost gateway frame.</li>
 * </ul>
 */
public final class JfrTop {
    private JfrTop() {
    }

    static String name(RecordedFrame f) {
        return f.getMethod().getType().getName() + "." + f.getMethod().getName();
    }

    static String innermost(RecordedStackTrace st, String prefix) {
        if (st == null) {
            return "(no stack)";
        }
        for (RecordedFrame f : st.getFrames()) {
            if (f.isJavaFrame() && f.getMethod().getType().getName().startsWith(prefix)) {
                return name(f) + ":" + f.getLineNumber();
            }
        }
        return "(no " + prefix + "* frame)";
    }

    static void add(Map<String, Long> m, String k, long v) {
        m.merge(k, v, Long::sum);
    }

    static void print(String title, Map<String, Long> m, long total, int top, String unit) {
        System.out.printf("%n== %s (total %,d %s)%n", title, total, unit);
        m.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(top)
                .forEach(e -> System.out.printf("  %6.2f%%  %,12d  %s%n", total == 0 ? 0.0 : 100.0 * e.getValue() / total,
                        e.getValue(), e.getKey()));
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: java bench/JfrTop.java recording.jfr [topN] [packagePrefix]");
            System.exit(2);
        }
        Path file = Path.of(args[0]);
        int top = args.length > 1 ? Integer.parseInt(args[1]) : 25;
        String prefix = args.length > 2 ? args[2] : "dev.shadowcat.";

        Map<String, Long> leaf = new HashMap<>();
        Map<String, Long> ownSelf = new HashMap<>();
        Map<String, Long> ownInclusive = new HashMap<>();
        Map<String, Long> ownInnermost = new HashMap<>();
        Map<String, Long> threads = new HashMap<>();
        Map<String, Long> allocByClass = new HashMap<>();
        Map<String, Long> allocBySite = new HashMap<>();
        Map<String, Long> monitorByClass = new HashMap<>();
        Map<String, Long> monitorBySite = new HashMap<>();
        Map<String, Long> parkBySite = new HashMap<>();
        Map<String, Long> eventCounts = new LinkedHashMap<>();
        Map<String, Long> nativeTop = new HashMap<>();
        Map<Long, double[]> threadCpu = new HashMap<>(); // thread id -> [sum of user+system, events]
        Map<Long, String> threadNames = new HashMap<>();
        double cpuUser = 0, cpuSystem = 0, cpuMachine = 0;
        long cpuN = 0;
        long nativeSamples = 0;
        long samples = 0;
        long ownSamples = 0;
        long allocTotal = 0;
        long monitorNanos = 0;
        long parkNanos = 0;

        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            String type = e.getEventType().getName();
            add(eventCounts, type, 1);
            switch (type) {
                case "jdk.ExecutionSample" -> {
                    samples++;
                    RecordedStackTrace st = e.getStackTrace();
                    RecordedThread t = e.getThread("sampledThread");
                    add(threads, t == null ? "?" : String.valueOf(t.getJavaName()).replaceAll("\\d+", "N"), 1);
                    if (st == null || st.getFrames().isEmpty()) {
                        continue;
                    }
                    List<RecordedFrame> frames = st.getFrames();
                    add(leaf, name(frames.get(0)), 1);
                    if (name(frames.get(0)).startsWith(prefix)) {
                        add(ownSelf, name(frames.get(0)), 1);
                    }
                    java.util.Set<String> seen = new java.util.HashSet<>();
                    for (RecordedFrame f : frames) {
                        if (f.isJavaFrame() && f.getMethod().getType().getName().startsWith(prefix) && seen.add(name(f))) {
                            add(ownInclusive, name(f), 1);
                        }
                    }
                    if (!seen.isEmpty()) {
                        ownSamples++;
                        // where the time below the innermost gateway frame goes: that frame -> the leaf
                        add(ownInnermost, innermost(st, prefix) + "  ->  " + name(frames.get(0)), 1);
                    }
                }
                case "jdk.CPULoad" -> {
                    cpuUser += e.getFloat("jvmUser");
                    cpuSystem += e.getFloat("jvmSystem");
                    cpuMachine += e.getFloat("machineTotal");
                    cpuN++;
                }
                case "jdk.ThreadCPULoad" -> {
                    RecordedThread t = e.getThread("eventThread");
                    long tid = t == null ? -1 : t.getId();
                    threadNames.put(tid, t == null ? "?" : String.valueOf(t.getJavaName()).replaceAll("\\d+", "N"));
                    double[] acc = threadCpu.computeIfAbsent(tid, k -> new double[2]);
                    acc[0] += e.getFloat("user") + e.getFloat("system");
                    acc[1]++;
                }
                case "jdk.NativeMethodSample" -> {
                    nativeSamples++;
                    RecordedStackTrace st = e.getStackTrace();
                    if (st != null && !st.getFrames().isEmpty()) {
                        add(nativeTop, name(st.getFrames().get(0)) + "  <-  " + innermost(st, prefix), 1);
                    }
                }
                case "jdk.ObjectAllocationSample" -> {
                    long w = e.getLong("weight");
                    allocTotal += w;
                    add(allocByClass, e.getClass("objectClass").getName(), w);
                    add(allocBySite, innermost(e.getStackTrace(), prefix), w);
                }
                case "jdk.JavaMonitorEnter" -> {
                    long d = e.getDuration().toNanos();
                    monitorNanos += d;
                    add(monitorByClass, e.getClass("monitorClass").getName(), d);
                    add(monitorBySite, innermost(e.getStackTrace(), prefix), d);
                }
                case "jdk.ThreadPark" -> {
                    long d = e.getDuration().toNanos();
                    parkNanos += d;
                    add(parkBySite, innermost(e.getStackTrace(), prefix), d);
                }
                default -> {
                }
            }
        }
        System.out.println("JFR summary of " + file);
        System.out.printf("execution samples: %,d, with %s* code on the stack: %,d (%.1f%%)%n", samples, prefix, ownSamples,
                samples == 0 ? 0.0 : 100.0 * ownSamples / samples);
        if (cpuN > 0) {
            System.out.printf("CPU (jdk.CPULoad, mean of %d): this JVM user %.1f%% + system %.1f%% of the machine; machine total %.1f%%%n",
                    cpuN, 100 * cpuUser / cpuN, 100 * cpuSystem / cpuN, 100 * cpuMachine / cpuN);
        }
        if (!threadCpu.isEmpty()) {
            Map<String, Long> tc = new HashMap<>();
            // mean load of each thread over its events, summed over the threads of one (folded) name; threads with
            // a single event (short-lived: their one event covers an unknown part of their life) are left out
            long[] shortLived = new long[1];
            threadCpu.forEach((k, v) -> {
                if (v[1] < 2) {
                    shortLived[0]++;
                } else {
                    tc.merge(threadNames.get(k), Math.round(100_000 * v[0] / v[1]), Long::sum);
                }
            });
            System.out.println("\n== CPU by thread name (jdk.ThreadCPULoad: mean share of the machine, summed over the threads of a name; "
                    + shortLived[0] + " short-lived threads left out)");
            tc.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(top)
                    .forEach(en -> System.out.printf("  %8.2f%%  %s%n", en.getValue() / 1000.0, en.getKey()));
        }
        print("hottest leaf methods, all code", leaf, samples, top, "samples");
        print("hottest " + prefix + "* methods, self (leaf)", ownSelf, samples, top, "samples");
        print("hottest " + prefix + "* methods, inclusive", ownInclusive, samples, top, "samples");
        print("innermost " + prefix + "* frame -> leaf", ownInnermost, samples, top, "samples");
        print("samples by thread", threads, samples, top, "samples");
        print("native method samples (threads blocked in native code): leaf <- innermost " + prefix + "* frame",
                nativeTop, nativeSamples, 15, "samples");
        print("allocation by class (sampled weight)", allocByClass, allocTotal, top, "bytes");
        print("allocation by innermost " + prefix + "* frame", allocBySite, allocTotal, top, "bytes");
        print("monitor contention by class", monitorByClass, monitorNanos, 10, "ns");
        print("monitor contention by innermost " + prefix + "* frame", monitorBySite, monitorNanos, 10, "ns");
        print("thread park by innermost " + prefix + "* frame", parkBySite, parkNanos, 10, "ns");
        print("event counts", eventCounts, eventCounts.values().stream().mapToLong(Long::longValue).sum(), 40, "events");
    }
}
