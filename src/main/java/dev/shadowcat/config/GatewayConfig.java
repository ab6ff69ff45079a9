package dev.shadowcat.config;

import java.util.Map;

/** The whole validated configuration. Immutable. Upstreams keep their file order. */
public record GatewayConfig(ServerSettings server, Map<String, UpstreamConfig> upstreams) {
    public UpstreamConfig firstUpstream() {
        return upstreams.values().iterator().next();
    }
}
