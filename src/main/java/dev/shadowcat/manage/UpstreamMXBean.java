package dev.shadowcat.manage;

import java.util.Map;

/** {@code dev.shadowcat:type=Upstream,context=…,name=…}: one upstream or aggregate. */
public interface UpstreamMXBean {
    String getName();

    /** {@code stdio}, {@code http} or {@code aggregate}. */
    String getKind();

    /** stdio: {@code dedicated} or {@code shared}; http: the transport in use; aggregate: its members. */
    String getTransport();

    /** http: {@code closed}, {@code open} or {@code half_open}; others: empty. */
    String getBreakerState();

    int getSessions();

    /** Every number the operations API shows for it ({@code /api/upstreams}), by name. */
    Map<String, String> getStats();

    /** Ends its sessions once their calls in flight are answered; returns how many. */
    int drain();

    /** stdio: replaces every child process, each when next idle. */
    void restartChildren();

    /** http: opens the breaker now (calls fail fast until it probes again). */
    void openBreaker();

    /** http: closes the breaker and forgets the failures. */
    void closeBreaker();
}
