package dev.shadowcat.protocol;

/** A message the gateway refuses, with the JSON-RPC error code to answer it with. */
public final class ProtocolException extends Exception {
    private static final long serialVersionUID = 1L;
    private final int code;

    public ProtocolException(int code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public int code() {
        return code;
    }
}
