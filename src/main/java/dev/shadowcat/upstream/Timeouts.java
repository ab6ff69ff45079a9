package dev.shadowcat.upstream;

import java.util.logging.Logger;

/** The one log line for a request an upstream did not answer in time, whatever the upstream kind. */
public final class Timeouts {
    private static final Logger LOG = Logger.getLogger(Timeouts.class.getName());

    private Timeouts() {
    }

    /** Logs at WARNING: which upstream, which method, which session (its public handle), after how long. */
    public static void warn(String upstream, String method, Exchange exchange, long millis) {
        LOG.warning(() -> "upstream '" + upstream + "' did not answer " + method + " within " + millis
                + " ms (session " + exchange.session().handle() + "); the client got -32001");
    }
}
