package dev.shadowcat.pipeline;

/** Where a client's messages enter the gateway. */
public enum FrontDoor {
    /** {@code /mcp}: Streamable HTTP, revisions 2025-03-26 … 2025-11-25. */
    MCP("mcp"),
    /** {@code /mcp}: the 2026-07-28 stateless protocol. */
    MCP_STATELESS("mcp-2026"),
    /** {@code /sse} + {@code /messages}: the 2024-11-05 HTTP+SSE transport. */
    SSE("sse"),
    /** {@code java -jar shadowcat.war forward}: a stdio client. */
    FORWARD("forward");

    private final String label;

    FrontDoor(String label) {
        this.label = label;
    }

    /** The name used in metrics labels and audit lines. */
    public String label() {
        return label;
    }
}
