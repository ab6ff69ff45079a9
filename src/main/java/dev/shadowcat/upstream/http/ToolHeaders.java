package dev.shadowcat.upstream.http;

import dev.shadowcat.protocol.HeaderValues;

import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which tool arguments a 2026-07-28 server wants mirrored as {@code Mcp-Param-{Name}} headers, learned from the
 * {@code x-mcp-header} annotations in its {@code tools/list} results (top-level properties only). Thread-safe.
 */
final class ToolHeaders {
    private final Map<String, Map<String, String>> byTool = new ConcurrentHashMap<>();
    private volatile boolean listed;
    /** Tools a call was made for after a listing that did not name them: listing once more will not help. */
    private final java.util.Set<String> attempted = ConcurrentHashMap.newKeySet();

    void learn(JsonObject toolsListResult) {
        if (!(toolsListResult.get("tools") instanceof jakarta.json.JsonArray tools)) {
            return;
        }
        for (JsonValue t : tools) {
            if (!(t instanceof JsonObject tool) || !(tool.get("name") instanceof JsonString name)) {
                continue;
            }
            Map<String, String> headers = new LinkedHashMap<>();
            if (tool.get("inputSchema") instanceof JsonObject schema && schema.get("properties") instanceof JsonObject props) {
                for (var p : props.entrySet()) {
                    if (p.getValue() instanceof JsonObject prop && prop.get("x-mcp-header") instanceof JsonString h
                            && !h.getString().isEmpty()) {
                        headers.put(p.getKey(), h.getString());
                    }
                }
            }
            byTool.put(name.getString(), Map.copyOf(headers));
        }
        listed = true;
    }

    /** False until a tools/list result was seen: a tools/call then needs one first, or its headers may be missing. */
    boolean listed() {
        return listed;
    }

    /**
     * Whether a call of {@code tool} can be sent: its annotations are known, or a listing was seen and it was
     * not in it (then listing again would not help; only the first page is learned, see README).
     */
    boolean knows(String tool) {
        return listed && (tool == null || byTool.containsKey(tool) || attempted.contains(tool));
    }

    /** A listing is about to be fetched for {@code tool}: if one was already seen without it, never again for it. */
    void fetchingFor(String tool) {
        if (listed && tool != null) {
            if (attempted.size() >= 1024) {
                attempted.clear(); // bounded: names come from clients
            }
            attempted.add(tool);
        }
    }

    /** The tool list changed: learn it again on the next call. */
    void forget() {
        listed = false;
        attempted.clear();
    }

    /** Header name (without the {@code Mcp-Param-} prefix) → encoded value, for the arguments present. */
    Map<String, String> headersFor(String tool, JsonObject arguments) {
        Map<String, String> spec = byTool.getOrDefault(tool, Map.of());
        Map<String, String> out = new LinkedHashMap<>();
        spec.forEach((prop, header) -> {
            JsonValue v = arguments.get(prop);
            String text = switch (v == null ? JsonValue.ValueType.NULL : v.getValueType()) {
                case STRING -> ((JsonString) v).getString();
                case NUMBER -> ((JsonNumber) v).isIntegral() ? ((JsonNumber) v).bigIntegerValue().toString() : v.toString();
                case TRUE -> "true";
                case FALSE -> "false";
                default -> null;
            };
            if (text != null) {
                out.put(header, HeaderValues.encode(text));
            }
        });
        return out;
    }
}
