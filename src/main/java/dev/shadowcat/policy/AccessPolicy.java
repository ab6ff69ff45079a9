package dev.shadowcat.policy;

import dev.shadowcat.config.AuthConfig;
import dev.shadowcat.pipeline.CallContext;
import dev.shadowcat.pipeline.Interceptor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * {@code auth.policy}: which callers (by role, group or scope) may use which upstreams, and which tools, prompts and
 * resources they see there. Deny until a rule allows: with no rule for a caller and an endpoint, the endpoint is
 * refused at the door and every name is hidden. Immutable; the per-(grants, endpoint) rules are computed once and
 * cached (bounded: callers share a handful of role sets). Thread-safe.
 */
public final class AccessPolicy {
    private static final int MAX_CACHED = 4096;

    private record Compiled(AuthConfig.Rule rule, List<Pattern> upstreams, FilterStage.Rules names) {
        boolean matches(Set<String> grants, String endpoint) {
            boolean who = rule.roles().contains("*") || rule.roles().stream().anyMatch(grants::contains);
            return who && upstreams.stream().anyMatch(p -> p.matcher(endpoint).matches());
        }
    }

    private record Key(Set<String> grants, String endpoint) {
    }

    private final List<Compiled> rules = new ArrayList<>();
    private final Map<Key, FilterStage.Rules> cache = new ConcurrentHashMap<>();

    public AccessPolicy(List<AuthConfig.Rule> policy) {
        for (AuthConfig.Rule r : policy) {
            rules.add(new Compiled(r, r.upstreams().stream().map(NameRules::toRegex).toList(),
                    FilterStage.Rules.of(r.names(), r.key())));
        }
    }

    /** The door decisions made so far, by (grants, endpoint): "" when allowed. Bounded like the rules cache. */
    private final Map<Key, String> doors = new ConcurrentHashMap<>();

    /** Why a caller with {@code grants} may not use {@code endpoint}, or null when a rule allows it. */
    public String refusal(Set<String> grants, String endpoint) {
        Key k = new Key(grants, endpoint);
        String known = doors.get(k);
        if (known == null) {
            known = decide(grants, endpoint);
            if (doors.size() < MAX_CACHED) {
                doors.put(k, known);
            }
        }
        return known.isEmpty() ? null : known;
    }

    private String decide(Set<String> grants, String endpoint) {
        for (Compiled c : rules) {
            if (c.matches(grants, endpoint)) {
                return "";
            }
        }
        return "no auth.policy rule gives " + (grants.isEmpty() ? "a caller without roles" : "the roles " + grants)
                + " the upstream '" + endpoint + "'";
    }

    /** The stage that filters lists and refuses calls by these rules (priority {@link dev.shadowcat.pipeline.Stage#AUTHORIZATION}). */
    public Interceptor stage() {
        return new FilterStage(this::rulesFor);
    }

    private FilterStage.Rules rulesFor(CallContext c) {
        if (c.own()) {
            return null; // the gateway's own calls (a bridge's handshake) are not a caller's
        }
        Key k = new Key(c.grants(), c.upstream());
        FilterStage.Rules r = cache.get(k);
        if (r == null) {
            r = compute(k);
            if (cache.size() < MAX_CACHED) {
                cache.put(k, r);
            }
        }
        return r;
    }

    private FilterStage.Rules compute(Key k) {
        List<Visibility> tools = new ArrayList<>();
        List<Visibility> prompts = new ArrayList<>();
        List<Visibility> resources = new ArrayList<>();
        for (Compiled c : rules) {
            if (c.matches(k.grants, k.endpoint)) {
                tools.add(c.names.tools());
                prompts.add(c.names.prompts());
                resources.add(c.names.resources());
            }
        }
        String none = "no auth.policy rule covers '" + k.endpoint + "' for " + k.grants;
        return new FilterStage.Rules(Visibility.anyOf(tools, none), Visibility.anyOf(prompts, none),
                Visibility.anyOf(resources, none));
    }
}
