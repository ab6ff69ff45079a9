package dev.shadowcat.protocol;

import jakarta.json.spi.JsonProvider;

/**
 * The JSON-P provider, looked up once. {@code jakarta.json.Json.createX()} repeats the service-loader lookup on
 * every call (it scanned WEB-INF/lib and was most of the lock contention under load in shared mode).
 */
public final class JsonP {
    public static final JsonProvider PROVIDER = JsonProvider.provider();

    private JsonP() {
    }
}
