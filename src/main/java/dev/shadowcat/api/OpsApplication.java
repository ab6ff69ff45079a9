package dev.shadowcat.api;

import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;

/** The operations API under {@code /api}: health, sessions, upstream pools. */
@ApplicationPath("/api")
public class OpsApplication extends Application {
}
