package dev.shadowcat.api;

import dev.shadowcat.gateway.Gateway;
import dev.shadowcat.upstream.Upstream;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.util.List;
import java.util.Map;

/** Per-upstream pool numbers: idle, busy, spawned, reused, died and more. */
@Path("/upstreams")
@ApplicationScoped
public class UpstreamsResource {
    @Inject
    Gateway gateway;

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public List<Map<String, Object>> list() {
        return gateway.upstreams().values().stream().map(Upstream::stats).toList();
    }
}
