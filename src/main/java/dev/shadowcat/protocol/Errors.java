package dev.shadowcat.protocol;

import java.nio.charset.StandardCharsets;

/** Builds JSON-RPC error responses. Stateless. */
public final class Errors {
    private Errors() {
    }

    /**
     * @param idJson the id's JSON text, or null for {@code "id":null}
     * @param dataJson a JSON value for {@code error.data}, or null to leave it out
     */
    public static byte[] response(String idJson, int code, String message, String dataJson) {
        StringBuilder sb = new StringBuilder(96 + message.length());
        sb.append("{\"jsonrpc\":\"2.0\",\"id\":").append(idJson == null ? "null" : idJson)
                .append(",\"error\":{\"code\":").append(code).append(",\"message\":");
        JsonScan.quote(sb, message);
        if (dataJson != null) {
            sb.append(",\"data\":").append(dataJson);
        }
        sb.append("}}");
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    public static byte[] result(String idJson, String resultJson) {
        return ("{\"jsonrpc\":\"2.0\",\"id\":" + idJson + ",\"result\":" + resultJson + "}")
                .getBytes(StandardCharsets.UTF_8);
    }
}
