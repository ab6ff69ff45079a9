package dev.shadowcat.concurrent;

import java.util.concurrent.CompletionException;

/** Small helpers for the gateway's CompletableFuture chains. */
public final class Futures {
    private Futures() {
    }

    /**
     * What actually failed: a dependent stage hands its callbacks the failure wrapped in a
     * {@link CompletionException}, the stage that failed first does not.
     */
    public static Throwable cause(Throwable err) {
        return err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
    }
}
