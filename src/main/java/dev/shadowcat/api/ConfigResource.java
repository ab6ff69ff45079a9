package dev.shadowcat.api;

import dev.shadowcat.gateway.Gateway;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The configuration's source and the last reload ({@code GET /api/config}), and a reload now
 * ({@code POST /api/config/reload}): 200 with what changed, or 422 with why the new file was refused (then nothing
 * changed).
 */
@Path("/config")
@ApplicationScoped
@Produces(MediaType.APPLICATION_JSON)
public class ConfigResource {
    @Inject
    Gateway gateway;

    @GET
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("source", gateway.configSource());
        m.put("startedAt", String.valueOf(gateway.startedAt()));
        m.put("lastReload", gateway.lastReload());
        return m;
    }

    @POST
    @Path("/reload")
    public Response reload() {
        Gateway.ReloadResult r = gateway.reload("POST /api/config/reload");
        return Response.status(r.applied() ? 200 : 422).entity(r).build();
    }
}
