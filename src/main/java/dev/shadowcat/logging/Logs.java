package dev.shadowcat.logging;

import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** One way to log a line about a call or a session: its {@link LogFields} ride along for the JSON format. */
public final class Logs {
    private Logs() {
    }

    /** Builds the message only when the level is on. */
    public static void log(Logger logger, Level level, LogFields about, Throwable thrown, Supplier<String> message) {
        if (!logger.isLoggable(level)) {
            return;
        }
        LogRecord r = new LogRecord(level, message.get());
        r.setLoggerName(logger.getName());
        r.setParameters(new Object[]{about});
        r.setThrown(thrown);
        logger.log(r);
    }
}
