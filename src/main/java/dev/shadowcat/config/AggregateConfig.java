package dev.shadowcat.config;

import java.util.List;

/**
 * One aggregated endpoint ({@code /mcp/{name}}) that merges several upstreams. Immutable.
 *
 * @param members upstream names, in priority order
 * @param prefix  {@code always}, {@code conflict} or {@code never}
 */
public record AggregateConfig(String name, List<String> members, String prefix) {
}
