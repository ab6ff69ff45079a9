package dev.shadowcat.config;

import java.util.Map;

/** The whole validated configuration. Immutable. Upstreams keep their file order. */
public record GatewayConfig(ServerSettings server, Map<String, UpstreamSpec> upstreams,
                            Map<String, AggregateConfig> aggregates, PipelineConfig pipeline, AuthConfig auth) {
    public UpstreamSpec firstUpstream() {
        return upstreams.values().iterator().next();
    }
}
