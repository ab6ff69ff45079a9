package dev.shadowcat.api;

import dev.shadowcat.gateway.Gateway;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.util.Map;

/** {@code GET /api/errors}: the last calls answered with a JSON-RPC error, newest first, and how many there were. */
@Path("/errors")
@ApplicationScoped
@Produces(MediaType.APPLICATION_JSON)
public class ErrorsResource {
    @Inject
    Gateway gateway;

    @GET
    public Map<String, Object> list() {
        var e = gateway.traffic().errors();
        return Map.of("total", e.total(), "recent", e.newestFirst());
    }
}
