package dev.shadowcat.pipeline;

/**
 * Who is calling what, carried with every frame through the pipeline. Immutable.
 *
 * <p>A session has one base context ({@link #method} null); each request derives its own with
 * {@link #forCall}, which the request's response and related messages carry too.
 *
 * @param principal       the caller's subject; {@link #ANONYMOUS} until authentication is configured
 * @param session         the session's public handle (never the secret session id)
 * @param upstream        the upstream (or aggregate) whose chain this frame crosses
 * @param via             the aggregate this upstream serves as a member of, or null
 * @param frontDoor       where the client's messages enter
 * @param protocolVersion the version negotiated with the client
 * @param own             whether the gateway made the call for itself (a bridge's handshake, a header lookup)
 * @param method          the request's method; null on a session's base context
 * @param name            the tool or prompt name, or the resource URI, the request is about; null if none
 * @param startNanos      when the request entered the pipeline ({@link System#nanoTime()})
 * @param grants          the caller's roles, groups and scopes (empty while authentication is off)
 */
public record CallContext(String principal, String session, String upstream, String via, FrontDoor frontDoor,
                          String protocolVersion, boolean own, String method, String name, long startNanos,
                          java.util.Set<String> grants) implements dev.shadowcat.logging.LogFields {
    public static final String ANONYMOUS = "anonymous";

    @Override
    public java.util.Map<String, String> logFields() {
        java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
        m.put("session", session);
        m.put("upstream", upstream);
        m.put("via", via);
        m.put("principal", principal);
        m.put("method", method);
        m.put("name", name);
        return m;
    }

    /** A session's base context. */
    public static CallContext session(String principal, String session, String upstream, String via,
                                      FrontDoor frontDoor, String protocolVersion) {
        return session(principal, java.util.Set.of(), session, upstream, via, frontDoor, protocolVersion);
    }

    /** A session's base context, with its caller's grants. */
    public static CallContext session(String principal, java.util.Set<String> grants, String session, String upstream,
                                      String via, FrontDoor frontDoor, String protocolVersion) {
        return new CallContext(principal, session, upstream, via, frontDoor, protocolVersion, false, null, null, 0, grants);
    }

    /** The context of one request of this session. */
    public CallContext forCall(String principal, boolean own, String method, String name, long startNanos) {
        return forCall(principal, grants, own, method, name, startNanos);
    }

    /** The context of one request made for a caller of its own (a 2026-07-28 call over a shared upstream session). */
    public CallContext forCall(String principal, java.util.Set<String> grants, boolean own, String method, String name,
                               long startNanos) {
        return new CallContext(principal, session, upstream, via, frontDoor, protocolVersion, own, method, name,
                startNanos, grants);
    }

    /** The same context with the version the session negotiated. */
    public CallContext withProtocolVersion(String version) {
        return version == null || version.equals(protocolVersion) ? this
                : new CallContext(principal, session, upstream, via, frontDoor, version, own, method, name, startNanos, grants);
    }

    /** Whether a client made this call at the endpoint it called (not the gateway, not an aggregate's member leg). */
    public boolean isClientCall() {
        return !own && via == null;
    }

    /** For log lines about this call. */
    @Override
    public String toString() {
        return "[" + frontDoor.label() + " " + session + " " + principal + " → " + upstream
                + (via != null ? " via " + via : "") + (method != null ? " " + method : "")
                + (name != null ? " " + name : "") + (own ? " own" : "") + "]";
    }
}
