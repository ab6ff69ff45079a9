package dev.shadowcat.policy;

import dev.shadowcat.config.PipelineConfig;
import dev.shadowcat.pipeline.Frame;
import dev.shadowcat.pipeline.Interceptor;
import dev.shadowcat.protocol.ErrorCodes;
import dev.shadowcat.protocol.Errors;
import dev.shadowcat.protocol.JsonP;
import dev.shadowcat.protocol.JsonScan;
import dev.shadowcat.protocol.Message;

import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;

import java.io.StringReader;
import java.util.HashMap;
import java.util.Map;

/**
 * Tool, prompt and resource filtering: hidden names are removed from list results, and a request that names one
 * is refused with a JSON-RPC error naming the rule. Which names are hidden comes from a resolver of the call's
 * context: per upstream or aggregate ({@code pipeline.filters}), or per caller ({@link AccessPolicy}, from
 * {@code auth.policy}). Stateless and thread-safe.
 *
 * <p>List results are parsed and rebuilt (JSON-P) only for upstreams with rules of that kind; every other frame
 * passes without being looked at. A {@code list_changed} notification passes: the client's refetch is a list
 * request like any other and is filtered on its way back.
 */
public final class FilterStage implements Interceptor {
    /** What one call may see, by kind. */
    record Rules(Visibility tools, Visibility prompts, Visibility resources) {
        static Rules of(PipelineConfig.Filter f, String key) {
            return new Rules(new NameRules(f.tools(), key + ".tools"), new NameRules(f.prompts(), key + ".prompts"),
                    new NameRules(f.resources(), key + ".resources"));
        }
    }

    private final java.util.function.Function<dev.shadowcat.pipeline.CallContext, Rules> resolver;

    /** The static filters of {@code pipeline.filters}, per upstream or aggregate. */
    public FilterStage(Map<String, PipelineConfig.Filter> filters) {
        Map<String, Rules> byEndpoint = new HashMap<>();
        for (var e : filters.entrySet()) {
            byEndpoint.put(e.getKey(), Rules.of(e.getValue(), "pipeline.filters." + e.getKey()));
        }
        this.resolver = c -> byEndpoint.get(c.upstream());
    }

    /** Rules from {@code resolver} (null: this call is not filtered). */
    FilterStage(java.util.function.Function<dev.shadowcat.pipeline.CallContext, Rules> resolver) {
        this.resolver = resolver;
    }

    @Override
    public void intercept(Frame frame, Chain chain) {
        if (frame.context().method() == null) {
            chain.proceed(frame);
            return;
        }
        Rules rules = resolver.apply(frame.context());
        if (rules == null || frame.context().method() == null) {
            chain.proceed(frame);
            return;
        }
        if (frame.direction() == Frame.Direction.TO_UPSTREAM && frame.kind() == Frame.Kind.REQUEST) {
            String refusal = refusal(rules, frame);
            if (refusal != null) {
                Message m = frame.message();
                StringBuilder data = new StringBuilder("{\"rule\":");
                JsonScan.quote(data, refusal);
                chain.respond(Errors.response(m.idJson(), ErrorCodes.INVALID_PARAMS, describe(frame, refusal),
                        data.append('}').toString()));
                return;
            }
        } else if (frame.isEnd() && frame.bytes() != null) {
            Visibility r = switch (frame.context().method()) {
                case "tools/list" -> rules.tools;
                case "prompts/list" -> rules.prompts;
                case "resources/list", "resources/templates/list" -> rules.resources;
                default -> null;
            };
            if (r != null && !r.isOpen()) {
                byte[] filtered = filterList(frame.message(), frame.context().method(), r);
                chain.proceed(filtered == null ? frame : frame.withBytes(filtered));
                return;
            }
        }
        chain.proceed(frame);
    }

    /** The rule that hides what the request names, or null. */
    private static String refusal(Rules rules, Frame frame) {
        String name = frame.context().name();
        return switch (frame.context().method()) {
            case "tools/call" -> rules.tools.hiddenBy(name);
            case "prompts/get" -> rules.prompts.hiddenBy(name);
            case "resources/read", "resources/subscribe", "resources/unsubscribe" -> rules.resources.hiddenBy(name);
            default -> null;
        };
    }

    private static String describe(Frame frame, String rule) {
        String what = switch (frame.context().method()) {
            case "tools/call" -> "tool";
            case "prompts/get" -> "prompt";
            default -> "resource";
        };
        return what + " '" + frame.context().name() + "' is not available through this gateway (" + rule + ")";
    }

    /** The list response without hidden entries, or null when it has no list to filter. */
    private static byte[] filterList(Message response, String method, Visibility rules) {
        long span = response.path("result");
        if (span < 0 || response.isError()) {
            return null;
        }
        String key;
        String nameField;
        switch (method) {
            case "tools/list" -> { key = "tools"; nameField = "name"; }
            case "prompts/list" -> { key = "prompts"; nameField = "name"; }
            case "resources/list" -> { key = "resources"; nameField = "uri"; }
            default -> { key = "resourceTemplates"; nameField = "uriTemplate"; }
        }
        JsonObject result;
        try (var r = JsonP.PROVIDER.createReader(new StringReader(response.textAt(span)))) {
            result = r.readObject();
        } catch (RuntimeException e) {
            return null;
        }
        JsonValue list = result.get(key);
        if (!(list instanceof JsonArray items)) {
            return null;
        }
        JsonArrayBuilder kept = JsonP.PROVIDER.createArrayBuilder();
        boolean changed = false;
        for (JsonValue item : items) {
            String name = item instanceof JsonObject o && o.get(nameField) instanceof jakarta.json.JsonString s ? s.getString() : null;
            if (name != null && rules.hiddenBy(name) != null) {
                changed = true;
            } else {
                kept.add(item);
            }
        }
        if (!changed) {
            return null;
        }
        JsonObjectBuilder out = JsonP.PROVIDER.createObjectBuilder(result).add(key, kept);
        return response.rewriteSpan(span, out.build().toString());
    }
}
