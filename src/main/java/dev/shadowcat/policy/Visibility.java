package dev.shadowcat.policy;

import java.util.List;

/** Which names of one kind (tools, prompts, resources) a caller may see and use. Immutable and thread-safe. */
interface Visibility {
    /** Why {@code name} is hidden (the rule's key), or null when it is visible. */
    String hiddenBy(String name);

    /** Whether every name is visible (then lists need not be parsed). */
    boolean isOpen();

    /** Visible if any of {@code parts} shows it; with no parts, nothing is ({@code why} says why). */
    static Visibility anyOf(List<? extends Visibility> parts, String why) {
        if (parts.stream().anyMatch(Visibility::isOpen)) {
            return NameRules.OPEN;
        }
        if (parts.size() == 1) {
            return parts.get(0);
        }
        return new Visibility() {
            @Override
            public String hiddenBy(String name) {
                String first = null;
                for (Visibility p : parts) {
                    String h = p.hiddenBy(name);
                    if (h == null) {
                        return null;
                    }
                    if (first == null) {
                        first = h;
                    }
                }
                return first != null ? first : why;
            }

            @Override
            public boolean isOpen() {
                return false;
            }
        };
    }
}
