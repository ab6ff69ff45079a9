package dev.shadowcat.web;

import dev.shadowcat.gateway.Gateway;
import dev.shadowcat.protocol.ErrorCodes;

import jakarta.inject.Inject;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.util.List;
import java.util.Locale;

/**
 * Refuses requests from browsers on other sites (Origin → 403) and requests addressed to a name this gateway
 * does not serve (Host → 421), which is how DNS rebinding reaches a loopback server. On for every path.
 */
@WebFilter(filterName = "origin-host", urlPatterns = "/*", asyncSupported = true)
public class OriginHostFilter extends HttpFilter {
    private static final long serialVersionUID = 1L;

    @Inject
    transient Gateway gateway;

    @Override
    protected void doFilter(HttpServletRequest req, HttpServletResponse resp, FilterChain chain)
            throws IOException, ServletException {
        var settings = gateway.config().server();
        String host = hostName(req.getHeader("Host"));
        if (!hostAllowed(host, settings.allowedHosts())) {
            HttpErrors.send(resp, 421, ErrorCodes.INVALID_REQUEST,
                    "Misdirected Request: Host '" + host + "' is not served here (server.allowedHosts)");
            return;
        }
        String origin = req.getHeader("Origin");
        if (origin != null && !originAllowed(origin, settings.allowedOrigins())) {
            HttpErrors.send(resp, 403, ErrorCodes.INVALID_REQUEST,
                    "Forbidden: Origin '" + origin + "' is not allowed (server.allowedOrigins)");
            return;
        }
        if (!settings.apiAllowRemote() && !gateway.config().auth().enabled() && isApi(req)
                && !isLoopback(req.getRemoteAddr())) {
            // while no authentication protects it (then it needs an admin role): it lists and ends sessions
            HttpErrors.send(resp, 403, ErrorCodes.INVALID_REQUEST,
                    "Forbidden: the operations API and the admin page answer loopback clients only (server.apiAllowRemote)");
            return;
        }
        chain.doFilter(req, resp);
    }

    private static boolean isApi(HttpServletRequest req) {
        String path = req.getRequestURI().substring(req.getContextPath().length());
        return path.equals("/api") || path.startsWith("/api/") || path.equals("/admin") || path.startsWith("/admin/");
    }

    /** Whether a remote address (an IP literal, as the container gives it) is a loopback one; never resolves names. */
    static boolean isLoopback(String address) {
        if (address == null) {
            return false;
        }
        String a = address.startsWith("[") && address.endsWith("]") ? address.substring(1, address.length() - 1) : address;
        if (a.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
            return a.startsWith("127.");
        }
        if (a.indexOf(':') < 0) {
            return false; // neither IPv4 nor IPv6: a name, which is never looked up here
        }
        try {
            return java.net.InetAddress.getByName(a).isLoopbackAddress(); // a literal with ':' is parsed, not resolved
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    /** The Host header without its port; IPv6 literals keep their brackets. */
    static String hostName(String host) {
        if (host == null) {
            return "";
        }
        host = host.trim().toLowerCase(Locale.ROOT);
        if (host.startsWith("[")) {
            int end = host.indexOf(']');
            return end > 0 ? host.substring(0, end + 1) : host;
        }
        int colon = host.indexOf(':');
        return colon >= 0 ? host.substring(0, colon) : host;
    }

    static boolean hostAllowed(String host, List<String> allowed) {
        for (String a : allowed) {
            if (a.equals("*") || a.equalsIgnoreCase(host)) {
                return true;
            }
        }
        return false;
    }

    /** Exact match, or a {@code scheme://host:*} entry that allows any port (and no port). */
    static boolean originAllowed(String origin, List<String> allowed) {
        String o = origin.trim().toLowerCase(Locale.ROOT);
        for (String a : allowed) {
            String p = a.toLowerCase(Locale.ROOT);
            if (p.equals("*") || p.equals(o)) {
                return true;
            }
            if (p.endsWith(":*")) {
                String base = p.substring(0, p.length() - 2);
                if (o.equals(base)) {
                    return true;
                }
                if (o.startsWith(base + ":")) {
                    String port = o.substring(base.length() + 1);
                    if (!port.isEmpty() && port.chars().allMatch(Character::isDigit)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }
}
