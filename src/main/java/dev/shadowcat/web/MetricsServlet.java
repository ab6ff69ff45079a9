package dev.shadowcat.web;

import dev.shadowcat.gateway.Gateway;
import dev.shadowcat.metrics.GatewayMetrics;

import jakarta.inject.Inject;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;

/** {@code GET /metrics}: the Prometheus text exposition of every meter. Guarded like every path by the Origin/Host filter. */
@WebServlet(name = "metrics", urlPatterns = "/metrics")
public class MetricsServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Inject
    transient Gateway gateway;

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        GatewayMetrics m = gateway.metrics();
        if (m == null) {
            resp.sendError(HttpServletResponse.SC_NOT_FOUND, "metrics are off (pipeline.metrics.enabled is false)");
            return;
        }
        resp.setContentType(GatewayMetrics.contentType());
        resp.setHeader("Cache-Control", "no-store");
        m.scrape(resp.getOutputStream());
    }
}
