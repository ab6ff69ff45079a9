package dev.shadowcat.logging;

import java.util.Map;

/**
 * Something a log line is about (a call, a session), passed as a parameter of the log record: the JSON format
 * writes its fields as members of the line ({@code session}, {@code upstream}, {@code principal}); the text format
 * ignores it. No thread-local context: the gateway's work moves between threads, and container threads must not
 * keep anything of the application's.
 */
public interface LogFields {
    /** Field name → value; null values are left out. Never a secret (session handles, never session ids). */
    Map<String, String> logFields();
}
