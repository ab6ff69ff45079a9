package dev.shadowcat.policy;

import dev.shadowcat.config.PipelineConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Compiled allow and deny globs for one kind of name. Immutable and thread-safe.
 *
 * <p>{@code *} matches any run of characters (slashes included: names and URIs are not paths here), {@code ?}
 * one character; everything else is literal.
 */
final class NameRules implements Visibility {
    /** Every name visible. */
    static final NameRules OPEN = new NameRules(dev.shadowcat.config.PipelineConfig.Names.ALL, "");

    private record Glob(String key, String text, Pattern pattern) {
    }

    private final List<Glob> allow;
    private final List<Glob> deny;

    NameRules(PipelineConfig.Names names, String key) {
        this.allow = compile(names.allow(), key + ".allow");
        this.deny = compile(names.deny(), key + ".deny");
    }

    private static List<Glob> compile(List<String> globs, String key) {
        List<Glob> out = new ArrayList<>();
        for (int i = 0; i < globs.size(); i++) {
            out.add(new Glob(key + "[" + i + "]", globs.get(i), toRegex(globs.get(i))));
        }
        return List.copyOf(out);
    }

    static Pattern toRegex(String glob) {
        StringBuilder re = new StringBuilder();
        StringBuilder literal = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (c == '*' || c == '?') {
                if (!literal.isEmpty()) {
                    re.append(Pattern.quote(literal.toString()));
                    literal.setLength(0);
                }
                re.append(c == '*' ? ".*" : ".");
            } else {
                literal.append(c);
            }
        }
        if (!literal.isEmpty()) {
            re.append(Pattern.quote(literal.toString()));
        }
        return Pattern.compile(re.toString(), Pattern.DOTALL);
    }

    @Override
    public boolean isOpen() {
        return allow.isEmpty() && deny.isEmpty();
    }

    /** Why {@code name} is hidden (the rule's key and glob), or null when it is visible. */
    @Override
    public String hiddenBy(String name) {
        if (name == null) {
            return null;
        }
        for (Glob g : deny) {
            if (g.pattern.matcher(name).matches()) {
                return g.key + " \"" + g.text + "\"";
            }
        }
        if (allow.isEmpty()) {
            return null;
        }
        for (Glob g : allow) {
            if (g.pattern.matcher(name).matches()) {
                return null;
            }
        }
        return allow.get(0).key.replaceFirst("\\[0]$", "") + " (no glob matches)";
    }
}
