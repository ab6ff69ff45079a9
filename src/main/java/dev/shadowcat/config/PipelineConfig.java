package dev.shadowcat.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Settings of the pipeline's built-in stages (the {@code pipeline} section). Immutable.
 *
 * @param metrics whether calls are counted and timed for {@code GET /metrics}
 * @param audit   the audit log, or null when it is off
 * @param filters allow and deny lists by upstream or aggregate name
 * @param rateLimits request rates by upstream or aggregate name
 */
public record PipelineConfig(boolean metrics, Audit audit, Map<String, Filter> filters, Map<String, RateLimits> rateLimits) {
    public static final PipelineConfig DEFAULT = new PipelineConfig(true, null, Map.of(), Map.of());

    /** A token bucket: {@code perSecond} requests a second on average, {@code burst} at once. */
    public record Rate(int perSecond, int burst) {
    }

    /**
     * The rates of one upstream or aggregate, either null for none: all requests of one principal (its session
     * while authentication is off), and the calls of one principal to one tool ({@code tools/call} by name).
     */
    public record RateLimits(Rate perPrincipal, Rate perTool) {
    }

    /**
     * @param file         the current log file; older ones are {@code file.1} … {@code file.(maxFiles-1)}
     * @param maxFileBytes size at which the file rotates
     * @param maxFiles     files kept, the current one included
     * @param queueLines   lines buffered for the writer thread; past that lines are dropped and counted
     * @param details      per upstream: what of a call's content goes into its line
     */
    public record Audit(Path file, long maxFileBytes, int maxFiles, int queueLines, Map<String, AuditDetail> details) {
        public AuditDetail detail(String upstream) {
            return details.getOrDefault(upstream, AuditDetail.NONE);
        }
    }

    /**
     * @param arguments whether a line carries the request's {@code params}
     * @param results   whether a line carries the response's {@code result}
     * @param redact    dotted paths (from the line's top level, {@code *} for any member or element) whose
     *                  values are replaced by {@code "[redacted]"}
     */
    public record AuditDetail(boolean arguments, boolean results, List<String> redact) {
        public static final AuditDetail NONE = new AuditDetail(false, false, List.of());
    }

    /** Allow and deny lists of one upstream or aggregate, per kind of name. */
    public record Filter(Names tools, Names prompts, Names resources) {
    }

    /**
     * Globs ({@code *} any run of characters, {@code ?} one): a name is visible when {@code allow} is empty or one
     * of its globs matches, and no {@code deny} glob matches.
     */
    public record Names(List<String> allow, List<String> deny) {
        public static final Names ALL = new Names(List.of(), List.of());

        public boolean isOpen() {
            return allow.isEmpty() && deny.isEmpty();
        }
    }
}
