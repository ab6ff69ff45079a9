package dev.shadowcat.pipeline;

/**
 * An interceptor with its place in the chain: lower priorities are nearer the client. The built-in stages
 * use the constants below, spaced so that a deployment's own stage (a CDI bean with
 * {@code @jakarta.annotation.Priority}) can sit between any two; a bean without a priority sits at
 * {@link #DEFAULT}, nearest the upstream.
 */
public record Stage(String name, int priority, Interceptor interceptor) {
    /** Counts and times every call as the client saw it, refusals by later stages included. */
    /** The admin page's live view and recent errors: outermost, so it shows what the client sent and got. */
    public static final int TRAFFIC = 50;
    public static final int METRICS = 100;
    /** One line per call; sees what the client got, after every rewrite. */
    public static final int AUDIT = 200;
    /** Planned: the caller's roles decide which upstreams and tools it may use. */
    public static final int AUTHORIZATION = 300;
    /** Tool, prompt and resource allow and deny lists. */
    public static final int FILTER = 400;
    /** Planned: rate limits per principal and tool. */
    public static final int RATE_LIMIT = 500;
    /** Planned: rewrite and refusal rules. */
    public static final int RULES = 600;
    /** Planned: tape recording, nearest the upstream so that a tape holds what the server said. */
    public static final int RECORD = 700;
    /** A CDI-bean stage without {@code @Priority}. */
    public static final int DEFAULT = 1000;
}
