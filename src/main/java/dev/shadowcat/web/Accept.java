package dev.shadowcat.web;

import java.util.Locale;

/** Reads the media-type headers a request carries (Accept, Content-Type). Stateless; never throws on odd input. */
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
            String[] fields = part.split(";", -1); // -1: "Accept: ;" gives two empty fields, not none
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

    /** True when {@code contentType} is {@code application/json}, with or without parameters. */
    static boolean isJson(String contentType) {
        return contentType != null
                && contentType.split(";", -1)[0].trim().toLowerCase(Locale.ROOT).equals("application/json");
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
