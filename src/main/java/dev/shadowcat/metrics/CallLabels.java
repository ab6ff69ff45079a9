package dev.shadowcat.metrics;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps label values bounded: a method label is one of the protocol's methods or {@code other}; a tool or
 * prompt label is a name an upstream listed (at most {@link #MAX_NAMES} per upstream and kind) or
 * {@code other}. A client cannot grow the metrics by inventing names. Thread-safe.
 */
final class CallLabels {
    static final int MAX_NAMES = 500;
    static final String OTHER = "other";

    private static final Set<String> METHODS = Set.of("initialize", "ping", "tools/list", "tools/call",
            "prompts/list", "prompts/get", "resources/list", "resources/templates/list", "resources/read",
            "resources/subscribe", "resources/unsubscribe", "completion/complete", "logging/setLevel",
            "server/discover", "subscriptions/listen", "sampling/createMessage", "elicitation/create", "roots/list",
            "tasks/get", "tasks/result", "tasks/list", "tasks/cancel");

    private final ConcurrentHashMap<String, Set<String>> listed = new ConcurrentHashMap<>();

    static String method(String method) {
        return method != null && METHODS.contains(method) ? method : OTHER;
    }

    /** The label for what a call names: a listed tool or prompt, else {@code other}; empty for other methods. */
    String name(String upstream, String method, String name) {
        String kind = kind(method);
        if (kind == null) {
            return "";
        }
        Set<String> known = listed.get(upstream + " " + kind);
        return name != null && known != null && known.contains(name) ? name : OTHER;
    }

    /** Learns names an upstream listed. */
    void listed(String upstream, String kind, Iterable<String> names) {
        Set<String> known = listed.computeIfAbsent(upstream + " " + kind, k -> ConcurrentHashMap.newKeySet());
        for (String n : names) {
            if (known.size() >= MAX_NAMES) {
                return;
            }
            known.add(n);
        }
    }

    static String kind(String method) {
        if (method == null) {
            return null;
        }
        return switch (method) {
            case "tools/call", "tools/list" -> "tool";
            case "prompts/get", "prompts/list" -> "prompt";
            default -> null;
        };
    }
}
