package dev.shadowcat.config;

/** One configured upstream, of whichever kind. */
public sealed interface UpstreamSpec permits UpstreamConfig, HttpUpstreamConfig {
    String name();
}
