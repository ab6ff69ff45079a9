package dev.shadowcat.gateway;

import dev.shadowcat.audit.AuditLog;
import dev.shadowcat.audit.AuditStage;
import dev.shadowcat.config.PipelineConfig;
import dev.shadowcat.metrics.MetricsStage;
import dev.shadowcat.pipeline.Stage;
import dev.shadowcat.policy.FilterStage;

import io.micrometer.core.instrument.MeterRegistry;

import java.util.ArrayList;
import java.util.List;

/** The built-in stages a {@code pipeline} configuration turns on, for the gateway and for forward mode alike. */
public final class BuiltInStages {
    private BuiltInStages() {
    }

    /**
     * @param policy  {@code auth.policy} compiled, or null while authentication is off (forward mode)
     * @param metrics where call metrics go, or null for none (forward mode has no {@code /metrics})
     * @param audit   the open audit log, or null when the configuration has none
     */
    public static List<Stage> of(PipelineConfig config, dev.shadowcat.policy.AccessPolicy policy, MeterRegistry metrics,
                                 AuditLog audit) {
        List<Stage> stages = new ArrayList<>();
        if (policy != null) {
            // deny until a rule allows: even an empty policy is a stage (it hides everything)
            stages.add(new Stage("authorization", Stage.AUTHORIZATION, policy.stage()));
        }
        if (metrics != null) {
            stages.add(new Stage("metrics", Stage.METRICS, new MetricsStage(metrics)));
        }
        if (audit != null) {
            stages.add(new Stage("audit", Stage.AUDIT, new AuditStage(audit, config.audit())));
        }
        if (!config.rateLimits().isEmpty()) {
            stages.add(new Stage("rate-limit", Stage.RATE_LIMIT, new dev.shadowcat.ratelimit.RateLimitStage(
                    config.rateLimits(), new dev.shadowcat.ratelimit.LocalRateLimiter(), metrics)));
        }
        if (!config.filters().isEmpty()) {
            stages.add(new Stage("filter", Stage.FILTER, new FilterStage(config.filters())));
        }
        return stages;
    }

    /** Opens the configured audit log (its writer thread from {@code threads}), or returns null when there is none. */
    public static AuditLog openAudit(PipelineConfig config, GatewayThreads threads) {
        PipelineConfig.Audit a = config.audit();
        if (a == null) {
            return null;
        }
        try {
            return new AuditLog(a.file(), a.maxFileBytes(), a.maxFiles(), a.queueLines(), threads::start);
        } catch (java.io.IOException e) {
            throw new dev.shadowcat.config.ConfigException("pipeline.audit.file: cannot open " + a.file() + ": " + e.getMessage(), e);
        }
    }
}
