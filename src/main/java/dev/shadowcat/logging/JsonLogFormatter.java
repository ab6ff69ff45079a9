package dev.shadowcat.logging;

import dev.shadowcat.protocol.JsonScan;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.Map;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/**
 * One JSON object per line: {@code time}, {@code level}, {@code logger}, {@code thread}, {@code message}, the fields
 * of any {@link LogFields} parameter of the record (session handle, upstream, principal), and {@code exception}
 * with its stack trace. Stateless and thread-safe.
 */
public final class JsonLogFormatter extends Formatter {
    @Override
    public String format(LogRecord r) {
        StringBuilder b = new StringBuilder(256);
        JsonScan.quote(b.append("{\"time\":"), Instant.ofEpochMilli(r.getMillis()).toString());
        JsonScan.quote(b.append(",\"level\":"), r.getLevel().getName());
        JsonScan.quote(b.append(",\"logger\":"), String.valueOf(r.getLoggerName()));
        JsonScan.quote(b.append(",\"thread\":"), Thread.currentThread().getName());
        JsonScan.quote(b.append(",\"message\":"), formatMessage(r));
        Object[] params = r.getParameters();
        if (params != null) {
            for (Object p : params) {
                if (p instanceof LogFields f) {
                    for (Map.Entry<String, String> e : f.logFields().entrySet()) {
                        if (e.getValue() != null) {
                            JsonScan.quote(b.append(",\"").append(e.getKey()).append("\":"), e.getValue());
                        }
                    }
                }
            }
        }
        Throwable t = r.getThrown();
        if (t != null) {
            StringWriter w = new StringWriter();
            t.printStackTrace(new PrintWriter(w));
            JsonScan.quote(b.append(",\"exception\":"), w.toString());
        }
        return b.append("}\n").toString();
    }
}
