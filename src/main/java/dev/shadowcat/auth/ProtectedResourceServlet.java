package dev.shadowcat.auth;

import dev.shadowcat.config.AuthConfig;

import jakarta.inject.Inject;
import jakarta.json.JsonArrayBuilder;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * RFC 9728 protected-resource metadata, at {@code /.well-known/oauth-protected-resource} and at the path-inserted
 * form for each MCP endpoint ({@code …/mcp/{name}}, {@code …/sse}): the resource (built from the configured public
 * base URL, never from the request's Host or scheme), its authorization server, scopes, and that tokens go in the
 * header only. 404 while authentication is off.
 */
@WebServlet(name = "protected-resource-metadata", urlPatterns = "/.well-known/oauth-protected-resource/*")
public class ProtectedResourceServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Inject
    transient Authenticator authenticator;

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        AuthConfig a = authenticator.config();
        if (!a.enabled()) {
            resp.sendError(404);
            return;
        }
        JsonArrayBuilder servers = dev.shadowcat.protocol.JsonP.PROVIDER.createArrayBuilder();
        if (a.issuer() != null) {
            servers.add(a.issuer());
        }
        JsonArrayBuilder scopes = dev.shadowcat.protocol.JsonP.PROVIDER.createArrayBuilder();
        a.scopes().forEach(scopes::add);
        byte[] body = dev.shadowcat.protocol.JsonP.PROVIDER.createObjectBuilder()
                .add("resource", a.resource())
                .add("authorization_servers", servers)
                .add("scopes_supported", scopes)
                .add("bearer_methods_supported", dev.shadowcat.protocol.JsonP.PROVIDER.createArrayBuilder().add("header"))
                .add("resource_name", "Shadowcat MCP gateway")
                .build().toString().getBytes(StandardCharsets.UTF_8);
        resp.setContentType("application/json");
        resp.setHeader("Cache-Control", "max-age=300");
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }
}
