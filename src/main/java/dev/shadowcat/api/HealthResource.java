package dev.shadowcat.api;

import dev.shadowcat.session.SessionStore;
import dev.shadowcat.gateway.Gateway;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.util.List;

/** Liveness: 200 while serving, 503 once shutdown has begun. */
@Path("/health")
@ApplicationScoped
public class HealthResource {
    /** What {@code GET /api/health} returns. */
    public record Health(String status, int sessions, List<String> upstreams) {
    }

    @Inject
    Gateway gateway;

    @Inject
    SessionStore sessions;

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Response health() {
        boolean stopping = gateway.isStopping();
        Health h = new Health(stopping ? "stopping" : "ok", sessions.size(),
                List.copyOf(gateway.upstreams().keySet()));
        return Response.status(stopping ? 503 : 200).entity(h).build();
    }
}
