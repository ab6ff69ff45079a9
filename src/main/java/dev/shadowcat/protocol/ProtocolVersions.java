package dev.shadowcat.protocol;

import java.util.List;

/** The MCP revisions the stateful front door speaks, oldest first. */
public final class ProtocolVersions {
    public static final String V2024_11_05 = "2024-11-05";
    public static final String V2025_03_26 = "2025-03-26";
    public static final String V2025_06_18 = "2025-06-18";
    public static final String V2025_11_25 = "2025-11-25";
    public static final String V2026_07_28 = "2026-07-28";
    /** The newest stateful revision (with initialize and sessions). */
    public static final String LATEST = V2025_11_25;
    /** Every revision the gateway speaks to clients, newest first, as 2026-07-28 errors and discovery list them. */
    public static final List<String> ALL = List.of(V2026_07_28, V2025_11_25, V2025_06_18, V2025_03_26, V2024_11_05);
    /** Assumed when a client sends no header and the session does not say otherwise (spec rule). */
    public static final String DEFAULT_WITHOUT_HEADER = V2025_03_26;

    public static final List<String> SUPPORTED = List.of(V2024_11_05, V2025_03_26, V2025_06_18, V2025_11_25);

    private ProtocolVersions() {
    }

    public static boolean isSupported(String v) {
        return v != null && SUPPORTED.contains(v);
    }

    /** Batches were part of exactly one revision. */
    public static boolean allowsBatch(String v) {
        return V2025_03_26.equals(v);
    }

    /** 2025-11-25 asks servers to open SSE responses with an id-only priming event. */
    public static boolean wantsPriming(String v) {
        return V2025_11_25.equals(v);
    }
}
