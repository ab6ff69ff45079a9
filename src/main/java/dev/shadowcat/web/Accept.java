package dev.shadowcat.web;

import java.util.Locale;

/** Reads an HTTP Accept header. Stateless. */
final class Accept {
    private Accept() {
    }

    /** True when {@code header} accepts {@code type} (exactly, by {@code type/*}, or by {@code *}{@code /*}). */
    static boolean allows(String header, String type) {
        if (header == null) {
            return false;
        }
        String major = type.substring(0, type.indexOf('/'));
        for (String part : header.split(",")) {
            String[] fields = part.split(";");
            String range = fields[0].trim().toLowerCase(Locale.ROOT);
            if (isZeroQuality(fields)) {
                continue;
            }
            if (range.equals(type) || range.equals("*/*") || range.equals(major + "/*")) {
                return true;
            }
        }
        return false;
    }

    private static boolean isZeroQuality(String[] fields) {
        for (int i = 1; i < fields.length; i++) {
            String f = fields[i].trim();
            if (f.startsWith("q=")) {
                try {
                    return Double.parseDouble(f.substring(2)) == 0.0;
                } catch (NumberFormatException e) {
                    return false;
                }
            }
        }
        return false;
    }
}
