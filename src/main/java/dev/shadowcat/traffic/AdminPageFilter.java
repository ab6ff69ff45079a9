package dev.shadowcat.traffic;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;

/**
 * The admin page's files ({@code /admin/}) carry a strict content security policy (its own scripts and styles only,
 * no inline code, no other origin: an injected value cannot run), no framing, no MIME sniffing and no caching of a
 * stale page after an upgrade. The data comes from {@code /api}, which has its own checks.
 */
@WebFilter(filterName = "admin-page", urlPatterns = {"/admin", "/admin/*"})
public class AdminPageFilter extends HttpFilter {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doFilter(HttpServletRequest req, HttpServletResponse resp, FilterChain chain)
            throws IOException, ServletException {
        resp.setHeader("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
                + "base-uri 'none'; form-action 'self'");
        resp.setHeader("X-Content-Type-Options", "nosniff");
        resp.setHeader("X-Frame-Options", "DENY");
        resp.setHeader("Referrer-Policy", "no-referrer");
        resp.setHeader("Cache-Control", "no-cache");
        chain.doFilter(req, resp);
    }
}
