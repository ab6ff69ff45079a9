package dev.shadowcat.api;

import dev.shadowcat.session.SessionStore;
import dev.shadowcat.session.Session;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Open sessions by their public handle. The secret {@code Mcp-Session-Id} is never shown: anyone who could
 * read it here could take the session over.
 */
@Path("/sessions")
@ApplicationScoped
@Produces(MediaType.APPLICATION_JSON)
public class SessionsResource {
    /** One row of {@code GET /api/sessions}. */
    public record SessionInfo(String id, String principal, String upstream, String protocolVersion, String state, String createdAt,
                              long idleSeconds, int inFlight, long requests, long bufferedBytes) {
    }

    @Inject
    SessionStore sessions;

    @GET
    public List<SessionInfo> list() {
        long now = System.nanoTime();
        return sessions.sessions().stream()
                .sorted(Comparator.comparingLong(Session::createdMillis))
                .map(s -> new SessionInfo(s.handle(), s.principal(), s.upstream().name(), s.protocolVersion(), s.state().name(),
                        Instant.ofEpochMilli(s.createdMillis()).toString(), (now - s.lastActiveNanos()) / 1_000_000_000L,
                        s.inFlightCount(), s.requestCount(), s.buffers().used()))
                .toList();
    }

    @DELETE
    @Path("/{id}")
    public Response delete(@PathParam("id") String handle) {
        Session s = sessions.byHandle(handle);
        if (s == null || !sessions.close(s, "deleted through the operations API")) {
            return Response.status(404).entity(Map.of("error", "no open session " + handle)).build();
        }
        return Response.noContent().build();
    }
}
